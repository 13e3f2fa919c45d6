"""The accountant's pages fit a laptop (1280 px) and a phone (390 px): nothing wider than
the screen, every amount of the ledger readable, rows no taller than they need."""

import re

import pytest

from consult.extensions import db
from tests.factories import make_booking, make_payment, make_refund, make_sample_books, montreal

WIDTHS = (1280, 390)
NOVEMBER = "start=2026-11-01&end=2026-11-30"


@pytest.fixture
def accountant_page(app, page, make_user):
    with app.app_context():
        make_sample_books(db.session)
        # A long name, a long email and a long description: the worst case of a real month.
        booking = make_booking(
            db.session,
            client_name="Marie-Ève Tremblay-Gagnon-Lavoie",
            client_email="marie-eve.tremblay-gagnon-lavoie@boulangerie-du-plateau.example.org",
        )
        payment = make_payment(db.session, booking, montreal(2026, 11, 14, 13, 45))
        credit_note = make_refund(
            db.session, payment, montreal(2026, 11, 16, 9, 5), total_cents=2500
        )
        db.session.commit()
        numbers = {"payment": payment.number, "refund": credit_note.number}
        db.session.remove()
    accountant = make_user(role="accountant")
    page.goto("/fr/login")
    page.fill("#email", accountant.email)
    page.fill("#password", accountant.password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/fr/accounting/"))
    return page, numbers


def page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def clipped_amounts(page):
    """The ledger's amount cells whose text does not fit their cell."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.ledger-rows td.num, .ledger-totals td.num')]
            .filter(cell => cell.scrollWidth > cell.clientWidth + 1)
            .map(cell => cell.textContent.trim())"""
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_desk_pages_are_never_wider_than_the_screen(accountant_page, screenshot, width):
    page, numbers = accountant_page
    page.set_viewport_size({"width": width, "height": 900})
    pages = {
        "ledger": f"/fr/accounting/?{NOVEMBER}",
        "tax-report": "/fr/accounting/taxes?year=2026&period=11",
        "receipt": f"/fr/accounting/receipts/{numbers['payment']}",
        "credit-note": f"/fr/accounting/receipts/{numbers['refund']}",
    }
    for name, address in pages.items():
        page.goto(address)
        assert page_width(page) <= width, name
        screenshot(page, f"accounting-{name}-{width}")


def test_at_1280_every_ledger_amount_reads_whole_and_rows_stay_short(accountant_page):
    page, numbers = accountant_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/fr/accounting/?{NOVEMBER}")
    assert clipped_amounts(page) == []
    heights = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.ledger-rows tbody tr')]
            .map(row => [row.dataset.number, row.getBoundingClientRect().height]))"""
    )
    # A usual row takes four short lines (it took 125 px); the long name and email of the
    # worst case may take more, never the whole screen.
    usual = [h for number, h in heights.items() if number not in numbers.values()]
    assert usual and max(usual) < 100, heights
    assert max(heights.values()) < 160, heights
    # The table scrolls inside its own box; the number column stays in view.
    box = page.locator(".ledger-scroll")
    box.evaluate("element => element.scrollLeft = element.scrollWidth")
    first = page.locator(".ledger-rows tbody th").first.bounding_box()
    container = box.bounding_box()
    assert abs(first["x"] - container["x"]) < 2
    # The processor references fold into one line until opened.
    details = page.locator(".ledger-rows details").first
    assert details.get_attribute("open") is None
    details.locator("summary").click()
    assert details.locator("code").first.is_visible()


def test_at_390_each_row_is_a_card_of_labels_and_values(accountant_page, screenshot):
    page, numbers = accountant_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/fr/accounting/?{NOVEMBER}")
    assert page_width(page) <= 390
    row = page.locator(f'.ledger-rows tr[data-number="{numbers["refund"]}"]')
    net = row.locator('td[data-field="net"]')
    box = net.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    label = net.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label == '"Net"'
    assert "-25,00" in net.inner_text()
    screenshot(page, "accounting-ledger-rows-390", full_page=False)


def test_on_a_phone_the_totals_stack_as_cards_of_labelled_figures(accountant_page, screenshot):
    page, _numbers = accountant_page
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"/fr/accounting/?{NOVEMBER}")
    totals = page.locator(".ledger-totals")
    # Nothing to scroll sideways: the table is no wider than its box.
    assert totals.evaluate("table => table.scrollWidth <= table.parentElement.clientWidth")
    labels = page.evaluate(
        """() => [...document.querySelectorAll('tr[data-kind="all"] td')]
            .map(cell => getComputedStyle(cell, '::before').content)"""
    )
    assert '"Total"' in labels and '"TPS/GST"' in labels and '"Net"' in labels
    assert clipped_amounts(page) == []
    screenshot(page, "accounting-totals-390")
