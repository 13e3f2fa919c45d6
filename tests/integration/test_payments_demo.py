"""Booking with the demo gateway, end to end through the site: reserve, then the demo
checkout's Pay, Decline and Let it expire, each sent as a signed event to the webhook code.
Also the manual gateway's instructions page."""

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from consult.booking import service as booking_service
from consult.booking.models import (
    CONFIRMED,
    EXPIRED,
    HELD,
    AvailabilityRules,
    Booking,
    Offer,
    WeeklyHours,
)
from consult.business import current as current_business
from consult.extensions import db, utcnow
from consult.mail.models import OutboxMessage
from consult.payments.models import LedgerEntry, WebhookEvent

INTAKE = {
    "name": "Camille Tremblay",
    "email": "camille@example.org",
    "organisation": "Boulangerie Tremblay",
    "organisation_size": "2-10",
    "goal": "Décider si je confie nos réseaux sociaux à une agence.",
    "email_lang": "fr",
    "consent": "y",
    "accept_no_refund": "y",
}


@pytest.fixture
def first_slot(app):
    """An offer open every day 9:00-17:00 in Montréal; returns (slug, first free start)."""
    with app.app_context():
        db.session.add(
            AvailabilityRules(
                min_notice_hours=0,
                horizon_days=14,
                slot_step_minutes=60,
                buffer_after_minutes=15,
                daily_max_sessions=None,
            )
        )
        db.session.add_all(
            WeeklyHours(weekday=day, start_time=time(9), end_time=time(17)) for day in range(7)
        )
        offer = Offer(
            slug="strategie",
            title_fr="Séance stratégique",
            title_en="Strategy session",
            duration_minutes=60,
            price_cents=25_000,
            flagship=True,
        )
        db.session.add(offer)
        db.session.commit()
        slot = booking_service.find_open_slots(db.session, offer, utcnow(), current_business())[3]
        return offer.slug, slot.starts_at


def is_open(app, slug, starts_at, now=None):
    with app.app_context():
        offer = db.session.scalar(sa.select(Offer).where(Offer.slug == slug))
        found = booking_service.find_open_slots(
            db.session, offer, now or utcnow(), current_business(), since=starts_at, until=starts_at
        )
        return any(slot.starts_at == starts_at for slot in found)


def reserve(client, slug, starts_at, **intake):
    return client.post(
        f"/fr/book/{slug}/reserve",
        query_string={"start": starts_at.isoformat()},
        data={**INTAKE, **intake},
    )


def the_booking(app):
    with app.app_context():
        booking = db.session.scalar(sa.select(Booking).order_by(Booking.id.desc()))
        db.session.expunge(booking)
        return booking


def events(app):
    with app.app_context():
        return db.session.scalars(
            sa.select(WebhookEvent.type).order_by(WebhookEvent.received_at)
        ).all()


def test_reserving_sends_the_prospect_to_the_demo_checkout(app, client, first_slot):
    slug, starts_at = first_slot
    response = reserve(client, slug, starts_at)
    booking = the_booking(app)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/fr/pay/demo/{booking.manage_token}"
    assert booking.status == HELD and booking.gateway == "demo"
    assert booking.gateway_session_id.startswith("cs_demo_")

    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert 'class="banner-demo"' in page.text
    assert "287,44" in page.text and "12,50" in page.text and "24,94" in page.text
    assert "America/Montreal" in page.text
    assert "no-store" in page.headers["Cache-Control"]
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_pay_confirms_the_booking_through_the_signed_webhook(app, client, first_slot):
    slug, starts_at = first_slot
    checkout = reserve(client, slug, starts_at).headers["Location"]
    booking = the_booking(app)
    response = client.post(f"{checkout}/pay")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/fr/book/status/{booking.manage_token}"
    assert events(app) == ["checkout.session.completed"]
    confirmed = the_booking(app)
    assert confirmed.status == CONFIRMED
    with app.app_context():
        payment = db.session.scalar(sa.select(LedgerEntry))
        assert (payment.number, payment.method, payment.total_cents) == ("R-000001", "demo", 28_744)
        assert payment.stripe_checkout_session == booking.gateway_session_id
    # Paying again on a closed checkout changes nothing.
    assert client.post(f"{checkout}/pay").status_code == 302
    assert events(app) == ["checkout.session.completed"]
    assert "This checkout is closed" in client.get(checkout.replace("/fr/", "/en/")).text


def test_decline_releases_nothing_until_the_hold_ends_or_the_prospect_retries(
    app, client, first_slot
):
    slug, starts_at = first_slot
    checkout = reserve(client, slug, starts_at).headers["Location"]
    declined = client.post(f"{checkout}/decline", follow_redirects=True)
    assert "carte a été refusée" in declined.text
    assert events(app) == ["payment_intent.payment_failed"]
    booking = the_booking(app)
    assert booking.status == HELD
    # Nobody else can take the time while the hold lasts ...
    assert not is_open(app, slug, starts_at)
    assert reserve(client, slug, starts_at, email="other@example.org").status_code == 409
    # ... it frees itself once the deadline passes ...
    assert is_open(app, slug, starts_at, now=booking.hold_expires_at + timedelta(seconds=1))
    # ... and the prospect may try again meanwhile.
    client.post(f"{checkout}/pay")
    assert the_booking(app).status in (CONFIRMED,)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 1


def test_let_it_expire_frees_the_slot(app, client, first_slot):
    slug, starts_at = first_slot
    checkout = reserve(client, slug, starts_at).headers["Location"]
    assert not is_open(app, slug, starts_at)
    response = client.post(f"{checkout}/expire")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/fr/book/{slug}?tz=America/Montreal"
    assert events(app) == ["checkout.session.expired"]
    assert the_booking(app).status == EXPIRED
    assert is_open(app, slug, starts_at)
    assert reserve(client, slug, starts_at, email="next@example.org").status_code == 302


def test_an_unknown_or_foreign_token_is_not_found(app, client, first_slot):
    assert client.get("/fr/pay/demo/not-a-token").status_code == 404
    assert client.post("/fr/pay/demo/not-a-token/pay").status_code == 404


class TestManualGateway:
    @pytest.fixture
    def app_config(self):
        return {
            "PAYMENT_GATEWAY": "manual",
            "MANUAL_HOLD_HOURS": 72,
            "OWNER_EMAIL": "consultante@example.org",
        }

    def test_the_prospect_sees_the_amount_the_reference_and_a_longer_deadline(
        self, app, client, first_slot
    ):
        slug, starts_at = first_slot
        response = reserve(client, slug, starts_at)
        booking = the_booking(app)
        assert response.headers["Location"] == f"/fr/pay/manual/{booking.manage_token}"
        assert booking.hold_expires_at - booking.created_at == timedelta(hours=72)
        page = client.get(response.headers["Location"])
        assert page.status_code == 200
        assert booking.reference in page.text
        assert "consultante@example.org" in page.text
        assert "287,44" in page.text
        assert "America/Montreal" in page.text
        assert "banner-demo" not in page.text
        # The demo checkout does not serve manual bookings.
        assert client.get(f"/fr/pay/demo/{booking.manage_token}").status_code == 404

    def test_the_instructions_are_mailed_once_with_amount_reference_and_deadline(
        self, app, client, first_slot
    ):
        slug, starts_at = first_slot
        reserve(client, slug, starts_at)
        booking = the_booking(app)
        client.post(f"/fr/book/status/{booking.manage_token}/pay")
        with app.app_context():
            (message,) = db.session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.to == INTAKE["email"])
            ).all()
        assert message.subject == f"Comment payer votre séance ({booking.reference})"
        assert "287,44" in message.text_body and "24,94" in message.text_body
        assert "consultante@example.org" in message.text_body
        assert "America/Montreal" in message.text_body
        assert f"/fr/pay/manual/{booking.manage_token}" in message.text_body
        assert message.status == "queued"  # the worker sends it, never the request


def test_after_paying_her_private_page_leads_to_her_receipt(app, client, first_slot):
    slug, starts_at = first_slot
    checkout = reserve(client, slug, starts_at).headers["Location"]
    client.post(f"{checkout}/pay")
    booking = the_booking(app)
    page = client.get(f"/en/booking/{booking.manage_token}").text
    link = f"/en/booking/{booking.manage_token}/receipts/R-000001"
    assert f'href="{link}"' in page
    receipt = client.get(link)
    assert receipt.status_code == 200
    assert "12.50" in receipt.text and "24.94" in receipt.text and "287.44" in receipt.text
