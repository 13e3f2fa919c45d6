"""The ledger page: rows of every kind in the consultant's zone, filters, totals, bad input."""

import re

import pytest

from consult.extensions import db
from tests.factories import make_sample_books, sign_in

NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture
def books(app):
    with app.app_context():
        return make_sample_books(db.session)


def shown_numbers(html):
    return re.findall(r'/accounting/receipts/((?:R|CN)-\d+)"', html)


def totals(html, kind):
    """{field: cents} of one totals row of the page."""
    section = re.search(rf'<tr data-kind="{kind}">(.*?)</tr>', html, re.S).group(1)
    return {
        f: int(c) for f, c in re.findall(r'data-field="([\w-]+)" data-cents="(-?\d+)"', section)
    }


def test_the_accountant_sees_every_row_of_the_month_in_the_consultants_zone(client, app, books):
    sign_in(app, client, "accountant")
    response = client.get("/en/accounting/", query_string=NOVEMBER)
    assert response.status_code == 200
    html = response.text
    expected = ["stripe", "interac", "partial_refund", "october_refund", "exempt", "late_november"]
    assert shown_numbers(html) == [books[name] for name in expected]
    assert books["october"] not in shown_numbers(html)
    assert books["december"] not in shown_numbers(html)
    assert "America/Montreal" in html
    assert "2026-11-03, 10:15\u202fa.m." in html  # Montréal time, not UTC (15:15)
    assert "2026-11-30, 10:30\u202fp.m." in html


def test_a_credit_note_row_is_negative_and_names_the_receipt_it_corrects(client, app, books):
    sign_in(app, client, "accountant")
    html = client.get("/en/accounting/", query_string=NOVEMBER).text
    row = re.search(
        rf'<tr class="row-refund"[^>]*>((?:(?!</tr>).)*{books["partial_refund"]}.*?)</tr>',
        html,
        re.S,
    )
    assert row is not None
    assert f"corrects {books['stripe']}" in row.group(1)
    assert "-$50.00" in row.group(1)


def test_the_totals_are_the_sums_of_the_rows(client, app, books):
    sign_in(app, client, "accountant")
    html = client.get("/en/accounting/", query_string=NOVEMBER).text
    payments, refunds, overall = (totals(html, kind) for kind in ("payment", "refund", "all"))
    # 172.46 (stripe) + 172.46 (interac) + 80.00 (exempt) + 172.46 (late November)
    assert payments["total"] == 17246 * 3 + 8000
    assert payments["subtotal"] == 15000 * 3 + 8000
    assert payments["tax-GST"] == 750 * 3 and payments["tax-QST"] == 1496 * 3
    # -50.00 (partial) and -172.46 (the October payment given back in November)
    assert refunds["total"] == -5000 - 17246
    assert overall["total"] == payments["total"] + refunds["total"]
    assert overall["net"] == payments["net"] + refunds["net"]


def shown_rows(html):
    """{number: {field: cents}} of the rows table (a blank cell has no data-cents)."""
    rows = {}
    for number, body in re.findall(
        r'<tr class="row-\w+" data-number="([\w-]+)">(.*?)</tr>', html, re.S
    ):
        rows[number] = {
            f: int(c) for f, c in re.findall(r'data-field="([\w-]+)" data-cents="(-?\d+)"', body)
        }
    return rows


def test_net_counts_refunds_and_every_column_of_the_total_row_adds_up(client, app, books):
    sign_in(app, client, "accountant")
    html = client.get("/en/accounting/", query_string=NOVEMBER).text
    payments, refunds, overall = (totals(html, kind) for kind in ("payment", "refund", "all"))
    rows = shown_rows(html)
    # A refund's net is its negative amount; no processor reported a fee on a refund.
    for name in ("partial_refund", "october_refund"):
        assert rows[books[name]]["net"] == rows[books[name]]["total"] < 0
        assert "fee" not in rows[books[name]]
    # The Interac payment has no fee reported: blank, and its whole total is its net.
    assert "fee" not in rows[books["interac"]]
    assert rows[books["interac"]]["net"] == rows[books["interac"]]["total"]
    assert "fee" not in refunds  # blank, not 0.00
    for field in ("subtotal", "tax-GST", "tax-QST", "total", "net"):
        assert overall[field] == payments[field] + refunds[field], field
        assert overall[field] == sum(row.get(field, 0) for row in rows.values()), field
    assert overall["fee"] == payments["fee"] == sum(row.get("fee", 0) for row in rows.values())
    for sums in (payments, refunds, overall):
        assert sums["subtotal"] + sums["tax-GST"] + sums["tax-QST"] == sums["total"]
        assert sums["total"] - sums.get("fee", 0) == sums["net"]
    assert overall["net"] <= overall["total"]


def test_the_rows_table_scrolls_in_its_own_box_with_the_number_first(client, app, books):
    sign_in(app, client, "accountant")
    html = client.get("/en/accounting/", query_string=NOVEMBER).text
    assert '<div class="table-scroll ledger-scroll"' in html
    first_cells = re.findall(r'<tr class="row-\w+" data-number="[\w-]+">\s*<(\w+)', html)
    assert first_cells and set(first_cells) == {"th"}
    assert 'data-label="Net"' in html


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"method": "interac"}, ["interac"]),
        ({"method": "other"}, ["exempt"]),
        ({"kind": "refund"}, ["partial_refund", "october_refund"]),
        ({"kind": "payment", "method": "stripe"}, ["stripe", "late_november"]),
        ({"start": "2026-12-01", "end": "2026-12-31"}, ["december"]),
        ({"start": "2026-10-31", "end": "2026-10-31"}, ["october"]),
    ],
)
def test_filters_by_local_dates_method_and_status(client, app, books, filters, expected):
    sign_in(app, client, "accountant")
    html = client.get("/en/accounting/", query_string={**NOVEMBER, **filters}).text
    assert shown_numbers(html) == [books[name] for name in expected]


def test_without_filters_the_ledger_shows_the_current_month(client, app):
    sign_in(app, client, "accountant")
    response = client.get("/en/accounting/")
    assert response.status_code == 200
    assert 'name="start" type="date" value="' in response.text
    assert "No payment or refund matches these filters." in response.text


def link(html, rel):
    found = re.search(rf'href="([^"]+)" rel="{rel}"', html)
    return found and found.group(1).replace("&amp;", "&")


def test_the_ledger_pages_through_long_months_and_back(client, app, books, monkeypatch):
    from consult.accounting import routes

    monkeypatch.setattr(routes, "ROWS_PER_PAGE", 4)
    sign_in(app, client, "accountant")
    first = client.get("/en/accounting/", query_string=NOVEMBER).text
    assert len(shown_numbers(first)) == 4
    assert link(first, "prev") is None
    second = client.get(link(first, "next")).text
    assert len(shown_numbers(second)) == 2
    assert link(second, "prev") and link(second, "next") is None
    # Back from the second page: the first page again, and the filters kept.
    back = client.get(link(second, "prev")).text
    assert shown_numbers(back) == shown_numbers(first)
    assert "start=2026-11-01" in link(second, "prev")
    assert link(back, "prev") is None and link(back, "next")
    # Every row once, in order, across the pages.
    assert shown_numbers(first) + shown_numbers(second) == [
        books[name]
        for name in (
            "stripe",
            "interac",
            "partial_refund",
            "october_refund",
            "exempt",
            "late_november",
        )
    ]
    # The totals cover the whole range on every page.
    assert totals(first, "all") == totals(second, "all")


def test_a_hand_edited_page_cursor_shows_the_first_page_not_an_error(client, app, books):
    sign_in(app, client, "accountant")
    first = shown_numbers(client.get("/en/accounting/", query_string=NOVEMBER).text)
    for cursor in ("99999999999999999999999-1", "-3", "two", "1-99999999999999", "9" * 17 + "-1"):
        for direction in ("after", "before"):
            response = client.get("/en/accounting/", query_string={**NOVEMBER, direction: cursor})
            assert response.status_code == 200, (direction, cursor)
            if cursor != "9" * 17 + "-1":
                assert shown_numbers(response.text) == first, (direction, cursor)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-11-30", "end": "2026-11-01"}, "The end date is before the start date."),
        ({"start": "2026-11-31", "end": "2026-11-30"}, "Enter a date as YYYY-MM-DD"),
        ({"start": "yesterday", "end": "2026-11-30"}, "Enter a date as YYYY-MM-DD"),
        ({"start": "", "end": "2026-11-30"}, "Enter a date as YYYY-MM-DD"),
        ({"start": "0001-01-01", "end": "2026-11-30"}, "Choose a date between"),
        ({"start": "2026-11-01", "end": "9999-12-31"}, "Choose a date between"),
        ({**NOVEMBER, "method": "bitcoin"}, "Unknown payment method."),
        ({**NOVEMBER, "kind": "chargeback"}, "Unknown status."),
        ({**NOVEMBER, "layout": "sage"}, "Unknown export layout."),
        ({**NOVEMBER, "variant": "xlsx"}, "Unknown file format."),
    ],
)
@pytest.mark.parametrize("path", ["/en/accounting/", "/en/accounting/export.csv"])
def test_bad_filters_get_a_message_never_a_500(client, app, books, path, query, message):
    sign_in(app, client, "accountant")
    response = client.get(path, query_string=query)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert message in response.text
    assert shown_numbers(response.text) == []


def test_messages_about_bad_filters_are_in_french_on_french_pages(client, app, books):
    sign_in(app, client, "accountant")
    response = client.get(
        "/fr/accounting/", query_string={"start": "2026-11-30", "end": "2026-11-01", "method": "x"}
    )
    assert response.status_code == 400
    assert "La date de fin précède la date de début." in response.text
    assert "Mode de paiement inconnu." in response.text


def test_the_ledger_changes_nothing(client, books, app):
    from consult.payments.models import LedgerEntry

    sign_in(app, client, "accountant")
    with app.app_context():
        before = db.session.query(LedgerEntry).count()
    client.get("/en/accounting/", query_string=NOVEMBER)
    client.get("/en/accounting/export.csv", query_string=NOVEMBER)
    with app.app_context():
        assert db.session.query(LedgerEntry).count() == before
