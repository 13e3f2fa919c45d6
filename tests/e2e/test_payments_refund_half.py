"""A prospect pays through the demo gateway; the owner refunds half; receipt and credit note
show each tax, in the browser."""

import re

import sqlalchemy as sa

from consult.booking.models import Booking
from consult.booking.seed import seed
from consult.extensions import db, utcnow


def cents(page, field):
    return int(page.locator(f'[data-field="{field}"]').get_attribute("data-cents"))


def test_the_owner_refunds_half_and_both_documents_carry_the_right_taxes(
    app, browser, live_server, make_user
):
    with app.app_context():
        seed(db.session, utcnow())
        db.session.commit()
    owner = make_user(role="owner", email="consultante@example.org")

    prospect = browser.new_context(base_url=live_server.url, locale="fr-CA")
    page = prospect.new_page()
    page.set_default_timeout(10_000)
    page.goto("/fr/book/strategie-medias-sociaux")
    page.locator(".slot-list a.slot").first.click()
    page.locator("#name").fill("Nadia Côté")
    page.locator("#email").fill("nadia@example.ca")
    page.locator("#organisation").fill("Café Côté")
    page.locator("#organisation_size").select_option("2-10")
    page.locator("#goal").fill("Confier Instagram à une agence, ou pas.")
    page.locator("#consent").check()
    if page.locator("#accept_no_refund").count():  # a time inside the no-refund window
        page.locator("#accept_no_refund").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/fr/pay/demo/**")
    page.locator("form[action$='/pay'] button[type=submit]").click()
    page.wait_for_url("**/fr/book/status/**")
    prospect.close()

    with app.app_context():
        booking = db.session.scalar(sa.select(Booking))
        booking_id, token = booking.id, booking.manage_token
        assert booking.total_cents == 28_744

    desk = browser.new_context(base_url=live_server.url, locale="fr-CA")
    page = desk.new_page()
    page.set_default_timeout(10_000)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/fr/login")
    page.fill("#email", owner.email)
    page.fill("#password", owner.password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/fr/admin/")

    page.goto(f"/fr/admin/bookings/{booking_id}")
    page.fill("#refund-amount", "143,72")
    page.fill("#refund-reason", "La moitié, comme convenu")
    page.check("#refund-confirm")
    page.locator("form[action$='/refund'] button[type=submit]").click()
    page.wait_for_url(f"**/fr/admin/bookings/{booking_id}")
    assert "remboursé" in page.locator(".flashes").inner_text()

    page.get_by_role("link", name="R-000001").click()
    page.wait_for_url("**/fr/accounting/receipts/R-000001")
    assert (cents(page, "subtotal"), cents(page, "tax-GST"), cents(page, "tax-QST")) == (
        25_000,
        1_250,
        2_494,
    )
    assert cents(page, "total") == 28_744
    assert "123456789 RT0001" in page.content() and "1234567890 TQ0001" in page.content()

    page.get_by_role("link", name="CN-000001").click()
    page.wait_for_url("**/fr/accounting/receipts/CN-000001")
    assert (cents(page, "subtotal"), cents(page, "tax-GST"), cents(page, "tax-QST")) == (
        -12_500,
        -625,
        -1_247,
    )
    assert cents(page, "total") == -14_372
    assert re.search(r"R-000001", page.locator(".corrects").inner_text())
    desk.close()

    # The prospect reaches both documents through her private link.
    prospect = browser.new_context(base_url=live_server.url, locale="fr-CA")
    page = prospect.new_page()
    page.goto(f"/fr/booking/{token}")
    page.get_by_role("link", name="Note de crédit CN-000001").click()
    page.wait_for_url(f"**/fr/booking/{token}/receipts/CN-000001")
    assert cents(page, "total") == -14_372
    prospect.close()
