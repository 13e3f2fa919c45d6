"""Nothing slow inside a lock: no gateway or SMTP call while a write transaction is open.

Every method of every gateway (and SMTP's connect) is wrapped to note, at the moment it is
called, whether a write boundary is open and whether the request's session is inside a
transaction at all. Each use case that calls out runs through the web client, as a person or
Stripe would; every call it made must have been made with neither.
"""

import smtplib
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from consult.booking.models import CANCELLED, CONFIRMED, EXPIRED, HELD, Booking
from consult.database import NetworkInsideWrite, outside_write, write, write_is_open
from consult.extensions import db, utcnow
from consult.payments.gateways import DemoGateway, ManualGateway, StripeGateway
from consult.payments.models import PAYMENT, REFUND, LedgerEntry
from consult.payments.service import record_payment
from tests.factories import (
    RESERVATION_FORM,
    free_slots,
    make_booking,
    make_held_booking,
    open_every_day,
    slot_key,
)
from tests.payments_support import checkout_session, event, post_event

SECRET = "whsec_demo_local_only"
GATEWAY_METHODS = ("start_checkout", "abandon", "refund", "payment_details", "refunds_for")


@dataclass(frozen=True)
class Call:
    what: str
    inside_write: bool
    in_transaction: bool


@pytest.fixture
def calls_out(monkeypatch):
    """Every gateway and SMTP call made during the test, with the state at call time."""
    seen = []

    def spy(owner, name, label):
        original = getattr(owner, name)

        def recording(self, *args, **kwargs):
            session = db.session()
            seen.append(Call(label, write_is_open(), session.in_transaction()))
            return original(self, *args, **kwargs)

        monkeypatch.setattr(owner, name, recording)

    for gateway in (StripeGateway, DemoGateway, ManualGateway):
        for name in GATEWAY_METHODS:
            spy(gateway, name, f"{gateway.__name__}.{name}")
    spy(smtplib.SMTP, "connect", "SMTP.connect")
    return seen


def assert_all_outside(calls, *expected):
    """The calls named in `expected` happened, and none inside a write or a transaction."""
    names = [call.what for call in calls]
    for what in expected:
        assert what in names, f"{what} was not called: {names}"
    assert [call for call in calls if call.inside_write or call.in_transaction] == []


def paid_booking(app, *, method="demo", intent="pi_demo_boundary"):
    """A confirmed session far ahead (inside the free-cancellation window), paid in full."""
    with app.app_context():
        booking = make_booking(db.session, now=utcnow(), gateway="demo")
        db.session.commit()
        with write(db.session):
            payment = record_payment(
                db.session,
                booking,
                method=method,
                time_zone="America/Montreal",
                total_cents=booking.total_cents,
                occurred_at=utcnow(),
                stripe_payment_intent=intent,
            )
        return booking.id, booking.manage_token, payment.id


def ledger(app, booking_id):
    with app.app_context():
        return [
            (entry.kind, entry.total_cents, entry.refund_owed_cents)
            for entry in db.session.scalars(
                sa.select(LedgerEntry)
                .where(LedgerEntry.booking_id == booking_id)
                .order_by(LedgerEntry.id)
            )
        ]


def test_a_network_call_inside_a_write_is_refused(app):
    with app.app_context():
        outside_write("Stripe")  # no boundary open: allowed
        with write(db.session), pytest.raises(NetworkInsideWrite, match="Stripe"):
            outside_write("Stripe")
        assert not write_is_open()


def test_a_gateway_refuses_to_be_called_inside_a_write(app):
    with app.app_context():
        booking_id, _token, payment_id = paid_booking(app)
        payment = db.session.get(LedgerEntry, payment_id)
        with write(db.session), pytest.raises(NetworkInsideWrite):
            DemoGateway(app.config).refund(payment, 100, reason="x", idempotency_key="k")
        assert ledger(app, booking_id) == [(PAYMENT, 28_744, None)]


def test_reserving_and_paying_call_the_gateway_outside_any_transaction(app, client, calls_out):
    with app.app_context():
        open_every_day(db.session)
    slot = free_slots(app, "strategie")[0]
    start = slot_key(slot)
    response = client.post(
        f"/en/book/strategie/reserve?start={start}",
        data={**RESERVATION_FORM, "start": start, "tz": "America/Montreal"},
    )
    assert response.status_code == 302
    assert "/pay/demo/" in response.headers["Location"]
    assert_all_outside(calls_out, "DemoGateway.start_checkout")
    with app.app_context():
        (booking,) = db.session.scalars(sa.select(Booking)).all()
        assert booking.status == HELD and booking.gateway_session_id.startswith("cs_demo_")
        token, session_id = booking.manage_token, booking.gateway_session_id
    # Paying again while the hold lasts: a new checkout, the older one closed after commit.
    again = client.post(f"/en/book/status/{token}/pay")
    assert again.status_code == 302
    assert_all_outside(calls_out, "DemoGateway.start_checkout", "DemoGateway.abandon")
    with app.app_context():
        assert db.session.scalar(sa.select(Booking.gateway_session_id)) != session_id


def test_the_prospects_cancellation_refunds_after_the_commit(app, client, calls_out):
    booking_id, token, _payment = paid_booking(app)
    response = client.post(f"/en/booking/{token}/cancel", follow_redirects=True)
    assert "will be refunded to your card" in response.text
    assert_all_outside(calls_out, "DemoGateway.refund")
    assert ledger(app, booking_id) == [(PAYMENT, 28_744, None), (REFUND, -28_744, None)]


def test_the_owners_cancellation_refunds_after_the_commit(app, client, auth, calls_out):
    booking_id, _token, _payment = paid_booking(app)
    auth.login()
    response = client.post(
        f"/en/admin/bookings/{booking_id}/cancel",
        data={"cancel-refund": "full", "cancel-reason": "Sick", "cancel-confirm": "y"},
    )
    assert response.status_code == 302
    assert_all_outside(calls_out, "DemoGateway.refund")
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == CANCELLED
    assert ledger(app, booking_id)[-1] == (REFUND, -28_744, None)


def test_the_owners_partial_refund_calls_the_gateway_before_recording(app, client, auth, calls_out):
    booking_id, _token, payment_id = paid_booking(app)
    auth.login()
    response = client.post(
        f"/en/admin/bookings/{booking_id}/refund",
        data={
            "refund-payment": str(payment_id),
            "refund-amount": "50",
            "refund-reason": "Started late",
            "refund-confirm": "y",
        },
    )
    assert response.status_code == 302
    assert_all_outside(calls_out, "DemoGateway.refund")
    assert ledger(app, booking_id) == [(PAYMENT, 28_744, None), (REFUND, -5_000, None)]


def test_a_paid_webhook_asks_the_gateway_before_its_write(app, client, calls_out):
    with app.app_context():
        booking = make_held_booking(
            db.session,
            utcnow(),
            gateway="demo",
            gateway_session_id="cs_demo_boundary",
        )
        db.session.commit()
        snapshot = checkout_session(booking, payment_intent="pi_demo_paid")
        booking_id = booking.id
    response = post_event(client, event("checkout.session.completed", snapshot), SECRET)
    assert response.json["outcome"] == "confirmed"
    assert_all_outside(calls_out, "DemoGateway.payment_details")
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == CONFIRMED


def test_a_late_payment_is_refunded_after_the_webhooks_commit(app, client, calls_out):
    now = utcnow()
    with app.app_context():
        late = make_booking(
            db.session,
            now=now,
            status=EXPIRED,
            hold_expires_at=now - timedelta(minutes=5),
            gateway="demo",
            gateway_session_id="cs_demo_late",
        )
        make_booking(db.session, offer=late.offer, starts_at=late.starts_at, now=now)
        db.session.commit()
        snapshot = checkout_session(late, payment_intent="pi_demo_late")
        late_id = late.id
    response = post_event(client, event("checkout.session.completed", snapshot), SECRET)
    assert response.json["outcome"] == "late payment refunded"
    assert_all_outside(calls_out, "DemoGateway.payment_details", "DemoGateway.refund")
    assert ledger(app, late_id) == [(PAYMENT, 28_744, None), (REFUND, -28_744, None)]


def test_a_charge_refunded_webhook_lists_the_refunds_before_its_write(app, client, calls_out):
    paid_booking(app, intent="pi_demo_listed")
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_demo_listed"}
    response = post_event(client, event("charge.refunded", charge), SECRET)
    assert response.status_code == 200
    assert_all_outside(calls_out, "DemoGateway.refunds_for")


def test_marking_paid_by_hand_calls_nothing_and_commits_once(app, client, auth, calls_out):
    with app.app_context():
        booking = make_booking(
            db.session,
            now=utcnow(),
            status=HELD,
            hold_expires_at=utcnow() + timedelta(days=2),
            gateway="manual",
            gateway_session_id="manual_boundary",
        )
        db.session.commit()
        booking_id = booking.id
    auth.login()
    response = client.post(
        f"/en/admin/bookings/{booking_id}/paid",
        data={
            "paid-amount": "287.44",
            "paid-paid_on": date.today().isoformat(),
            "paid-method": "interac",
            "paid-reference": "CA1234XYZ",
            "paid-confirm": "y",
        },
    )
    assert response.status_code == 302
    assert_all_outside(calls_out)
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == CONFIRMED
