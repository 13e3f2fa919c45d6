"""The GST/QST report: its figures are the sums of the exported rows for the same range."""

import csv
import io
import re

import pytest

from consult.extensions import db
from tests.factories import make_sample_books, sign_in


@pytest.fixture
def books(app):
    with app.app_context():
        return make_sample_books(db.session)


def report_figures(html):
    """{"sales": cents, ..., "GST": {"collected": ..., ...}, ...} from the report page."""
    figures = {}
    summary, taxes = re.findall(r"<table class=\"tax-report\">(.*?)</table>", html, re.S)
    for field, value in re.findall(r'data-field="([\w-]+)" data-cents="(-?\d+)"', summary):
        figures[field] = int(value)
    for code, row in re.findall(r'<tr data-tax="(\w+)">(.*?)</tr>', taxes, re.S):
        figures[code] = {
            field: int(value)
            for field, value in re.findall(r'data-field="([\w-]+)" data-cents="(-?\d+)"', row)
        }
    return figures


def exported_rows(client, start, end):
    response = client.get("/en/accounting/export.csv", query_string={"start": start, "end": end})
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8"), newline="")))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def cents(text):
    return round(float(text) * 100) if text else 0


def sums_of(rows, column, kind=None, taxable_only=False):
    return sum(
        cents(row[column])
        for row in rows
        if (kind is None or row["Type"] == kind) and (not taxable_only or row["GST"] or row["QST"])
    )


@pytest.mark.parametrize(
    ("query", "start", "end"),
    [
        ({"year": "2026", "period": "11"}, "2026-11-01", "2026-11-30"),
        ({"year": "2026", "period": "Q4"}, "2026-10-01", "2026-12-31"),
        ({"year": "2026", "period": "10"}, "2026-10-01", "2026-10-31"),
    ],
)
def test_the_report_equals_the_sums_of_the_exported_rows(client, app, books, query, start, end):
    sign_in(app, client, "accountant")
    response = client.get("/en/accounting/taxes", query_string=query)
    assert response.status_code == 200
    figures = report_figures(response.text)
    rows = exported_rows(client, start, end)
    assert rows, "the range has rows"

    assert figures["sales"] == sums_of(rows, "Pre-tax", "payment")
    assert figures["refunds"] == sums_of(rows, "Pre-tax", "refund")
    assert figures["net-sales"] == sums_of(rows, "Pre-tax")
    assert figures["taxable-sales"] == sums_of(rows, "Pre-tax", taxable_only=True)
    assert figures["exempt-sales"] == figures["net-sales"] - figures["taxable-sales"]
    for code in ("GST", "QST"):
        assert figures[code]["collected"] == sums_of(rows, code, "payment")
        assert figures[code]["reversed"] == sums_of(rows, code, "refund")
        assert figures[code]["to-remit"] == sums_of(rows, code)
    assert figures["all"]["to-remit"] == sums_of(rows, "GST") + sums_of(rows, "QST")


def test_novembers_figures_in_dollars(client, app, books):
    sign_in(app, client, "accountant")
    figures = report_figures(
        client.get("/en/accounting/taxes", query_string={"year": "2026", "period": "11"}).text
    )
    # Three taxable payments of $150 and one exempt of $80; refunds of $50 and $172.46.
    assert figures["sales"] == 3 * 15000 + 8000
    assert figures["refunds"] == -4349 - 15000
    assert figures["exempt-sales"] == 8000
    assert figures["GST"] == {"collected": 2250, "reversed": -217 - 750, "to-remit": 1283}
    assert figures["QST"] == {"collected": 4488, "reversed": -434 - 1496, "to-remit": 2558}


def test_the_report_defaults_to_the_previous_month_and_links_to_its_rows(client, app):
    sign_in(app, client, "accountant")
    response = client.get("/en/accounting/taxes")
    assert response.status_code == 200
    assert "selected" in re.search(
        r'<select[^>]*name="period".*?</select>', response.text, re.S
    ).group(0)
    assert "See the rows behind these figures" in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"year": "twenty", "period": "11"}, "Enter a year as four digits"),
        ({"year": "1899", "period": "11"}, "Enter a year between 2000 and 2999."),
        ({"year": "2026", "period": "13"}, "Unknown period."),
        ({"year": "2026", "period": "Q5"}, "Unknown period."),
        ({"year": "", "period": "11"}, "Enter a year"),
    ],
)
def test_a_bad_period_gets_a_message_never_a_500(client, app, query, message):
    sign_in(app, client, "accountant")
    response = client.get("/en/accounting/taxes", query_string=query)
    assert response.status_code == 400
    assert message in response.text
    assert "data-tax=" not in response.text
