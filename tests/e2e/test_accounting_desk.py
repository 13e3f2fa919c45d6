"""In the browser: the accountant filters a month and downloads both CSV files, whose totals
match the page's."""

import csv
import io
import re

from consult.extensions import db
from tests.factories import make_sample_books


def page_totals(page):
    """{field: cents} of the page's grand total row."""
    row = page.locator('.ledger-totals tr[data-kind="all"]')
    totals = {
        cell.get_attribute("data-field"): int(cell.get_attribute("data-cents"))
        for cell in row.locator("td[data-cents]").all()
    }
    totals["count"] = int(row.locator('td[data-field="count"]').inner_text())
    return totals


def downloaded(page, variant):
    page.get_by_label("Format du fichier", exact=True).select_option(variant)
    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger le CSV").click()
    download = info.value
    with open(download.path(), "rb") as handle:
        return download.suggested_filename, handle.read()


def column_sums(data, delimiter, decimal, taxes=("GST", "QST")):
    text = data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))

    def cents(value):
        return round(float(value.replace(decimal, ".")) * 100) if value else 0

    columns = {"subtotal": "Avant taxes", "total": "Total", "fee": "Frais", "net": "Net"}
    sums = {field: sum(cents(row[name]) for row in rows) for field, name in columns.items()}
    for code, name in zip(("GST", "QST"), taxes, strict=True):
        sums[f"tax-{code}"] = sum(cents(row[name]) for row in rows)
    sums["count"] = len(rows)
    return sums


def test_the_accountant_filters_a_month_and_downloads_both_csv_variants(app, page, make_user):
    with app.app_context():
        make_sample_books(db.session)
        db.session.remove()
    accountant = make_user(role="accountant")

    page.goto("/fr/login")
    page.get_by_label("Courriel").fill(accountant.email)
    page.get_by_label("Mot de passe").fill(accountant.password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/fr/accounting/"))

    page.locator("#start").fill("2026-11-01")
    page.locator("#end").fill("2026-11-30")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(re.compile(r"start=2026-11-01"))
    assert page.get_by_text("America/Montreal").first.is_visible()
    totals = page_totals(page)
    assert totals["count"] == page.locator(".ledger-rows tbody tr").count() == 6
    assert totals["total"] == 3 * 17246 + 8000 - 5000 - 17246

    name, standard = downloaded(page, "standard")
    assert name == "ledger-2026-11-01-2026-11-30.csv"
    assert not standard.startswith(b"\xef\xbb\xbf")
    # A French page's file names its taxes in French.
    assert column_sums(standard, ",", ".", taxes=("TPS", "TVQ")) == totals

    name, french = downloaded(page, "excel-fr")
    assert name == "ledger-2026-11-01-2026-11-30-excel-fr.csv"
    assert french.startswith(b"\xef\xbb\xbf")
    # The French file says TPS and TVQ.
    assert column_sums(french, ";", ",", taxes=("TPS", "TVQ")) == totals

    # Each row opens its receipt or credit note.
    page.locator(".ledger-rows a", has_text="CN-").first.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Note de crédit CN-")
