"""The demo checkout in Chromium: bannered, keyboard-usable buttons under the site's CSP,
Decline keeps the hold, Let it expire frees the slot."""

import sqlalchemy as sa

from consult.booking import service as booking_service
from consult.booking.models import EXPIRED, HELD, Booking, Offer
from consult.booking.seed import seed
from consult.business import current as current_business
from consult.extensions import db, utcnow

INTAKE = {
    "name": "Léa Bouchard",
    "email": "lea@example.org",
    "organisation": "Café Bouchard",
    "organisation_size": "2-10",
    "goal": "Savoir si une agence peut tenir notre Instagram.",
    "email_lang": "fr",
    "consent": "y",
    # The first free slot is inside the no-refund window: she accepts it explicitly.
    "accept_no_refund": "y",
}


def held_checkout(app, client):
    """Reserve the flagship's first free slot; returns (checkout path, booking id)."""
    with app.app_context():
        seed(db.session, utcnow())
        db.session.commit()
        offer = db.session.scalar(sa.select(Offer).where(Offer.flagship))
        slot = booking_service.find_open_slots(db.session, offer, utcnow(), current_business())[0]
        slug = offer.slug
    response = client.post(
        f"/fr/book/{slug}/reserve", query_string={"start": slot.starts_at.isoformat()}, data=INTAKE
    )
    assert response.status_code == 302
    with app.app_context():
        return response.headers["Location"], db.session.scalar(sa.select(Booking.id))


def status_of(app, booking_id):
    with app.app_context():
        return db.session.get(Booking, booking_id).status


def test_decline_keeps_the_hold_and_let_it_expire_frees_the_slot(app, client, page):
    checkout, booking_id = held_checkout(app, client)
    page.goto(checkout)
    banner = page.locator(".banner-demo")
    assert banner.is_visible()
    assert "aucune carte n’est débitée" in banner.inner_text()
    assert "America/Montreal" in page.content()

    page.get_by_role("button", name="Refuser (carte refusée)").click()
    # Her status page tells the truth: declined, still held, try again.
    page.get_by_role("heading", name="Votre carte a été refusée").wait_for()
    assert status_of(app, booking_id) == HELD
    page.get_by_role("button", name="Réessayer le paiement").click()
    page.wait_for_url("**/fr/pay/demo/**")

    # Keyboard only: focus the button and press Enter.
    page.get_by_role("button", name="Laisser expirer").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/fr/book/**")
    assert "la plage horaire est de nouveau libre" in page.content()
    assert status_of(app, booking_id) == EXPIRED
