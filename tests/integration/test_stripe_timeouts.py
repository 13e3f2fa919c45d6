"""When Stripe never answers: every page answers within the budget, with no 5xx but the
webhook's 503 (Stripe sends the event again), her hold stays hers, and refunds stay owed.

CONSULT_STRIPE_API_BASE points the real SDK at a local server that accepts connections and
never says a word; the timeouts are shrunk so the whole module takes seconds. The elapsed
times are checked against the configured worst case of the calls each page makes: a bound
on correctness (no request outlives the worker), not a speed benchmark.
"""

import socket
import threading
import time

import pytest
import sqlalchemy as sa

from consult.booking.models import CANCELLED, HELD, Booking
from consult.config import stripe_call_budget
from consult.database import write
from consult.extensions import db, utcnow
from consult.payments import refunds
from consult.payments.models import PAYMENT, REFUND, LedgerEntry, WebhookEvent
from consult.payments.service import record_payment
from tests.factories import (
    RESERVATION_FORM,
    free_slots,
    make_booking,
    make_held_booking,
    open_every_day,
    slot_key,
)
from tests.payments_support import StripeStub, checkout_session, event, post_event

ENDPOINT_SECRET = "whsec_timeouts"
#: Time a request may take beyond its Stripe calls' worst case (the app's own work).
MARGIN_SECONDS = 2.0


class BlackHole:
    """A TCP server that accepts every connection and never answers."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.held = []
        self.open = True
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        self.listener.settimeout(0.1)
        while self.open:
            try:
                connection, _address = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.held.append(connection)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.open = False
        self.thread.join(timeout=5)
        for connection in self.held:
            connection.close()
        self.listener.close()


@pytest.fixture
def black_hole():
    with BlackHole() as server:
        yield server


@pytest.fixture
def app_config(black_hole):
    return {
        "PAYMENT_GATEWAY": "stripe",
        "STRIPE_SECRET_KEY": "sk_test_timeouts",
        "STRIPE_WEBHOOK_SECRET": ENDPOINT_SECRET,
        "STRIPE_API_BASE": black_hole.url,
        "STRIPE_CONNECT_TIMEOUT_SECONDS": 0.2,
        "STRIPE_READ_TIMEOUT_SECONDS": 0.4,
        "STRIPE_MAX_NETWORK_RETRIES": 1,
        "WEB_WORKER_TIMEOUT_SECONDS": 4,
    }


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def within_budget(app, elapsed, calls=1):
    """The request took no longer than `calls` Stripe calls that all time out, and a margin."""
    return elapsed < calls * stripe_call_budget(app.config) + MARGIN_SECONDS


def reserve(client, slot, **answers):
    start = slot_key(slot)
    return client.post(
        f"/en/book/strategie/reserve?start={start}",
        data={**RESERVATION_FORM, "start": start, "tz": "America/Montreal", **answers},
    )


def stripe_paid_booking(app):
    """A confirmed session paid through Stripe, inside the free-cancellation window."""
    with app.app_context():
        booking = make_booking(db.session, now=utcnow(), gateway="stripe")
        db.session.commit()
        with write(db.session):
            payment = record_payment(
                db.session,
                booking,
                method="stripe",
                time_zone="America/Montreal",
                total_cents=booking.total_cents,
                occurred_at=utcnow(),
                stripe_payment_intent="pi_timeouts",
            )
        return booking.id, booking.manage_token, payment.id


def ledger(app, booking_id):
    with app.app_context():
        return [
            (entry.kind, entry.total_cents, entry.refund_owed_cents, bool(entry.refund_error))
            for entry in db.session.scalars(
                sa.select(LedgerEntry)
                .where(LedgerEntry.booking_id == booking_id)
                .order_by(LedgerEntry.id)
            )
        ]


def test_the_budget_fits_inside_the_worker_timeout_of_this_module(app):
    assert stripe_call_budget(app.config) < app.config["WEB_WORKER_TIMEOUT_SECONDS"] / 2


def test_paying_while_stripe_is_silent_keeps_her_hold_and_lets_her_come_back(app, client):
    with app.app_context():
        open_every_day(db.session)
    slot = free_slots(app, "strategie")[0]
    response, elapsed = timed(lambda: reserve(client, slot))
    assert response.status_code == 302
    assert "/book/status/" in response.headers["Location"]
    assert within_budget(app, elapsed)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "The payment service did not answer. Your time is still held" in page.text
    with app.app_context():
        (booking,) = db.session.scalars(sa.select(Booking)).all()
        assert booking.status == HELD and booking.gateway_session_id is None

    # Someone else is still told the slot is taken.
    other = reserve(client, slot, email="bea@example.org")
    assert other.status_code == 409

    # She submits the form again for her own slot: her answers are updated, no "taken".
    again, elapsed = timed(lambda: reserve(client, slot, phone="+1 514 555 0199"))
    assert again.status_code == 302 and "/book/status/" in again.headers["Location"]
    assert within_budget(app, elapsed)
    with app.app_context():
        (booking,) = db.session.scalars(sa.select(Booking)).all()
        assert booking.client_phone == "+1 514 555 0199" and booking.status == HELD

    # Stripe answers again: the same form takes her to its checkout.
    with StripeStub() as stub:
        stub.answers[("POST", "/v1/checkout/sessions")] = {
            "id": "cs_test_back",
            "object": "checkout.session",
            "url": "https://checkout.stripe.com/c/pay/cs_test_back",
        }
        app.config["STRIPE_API_BASE"] = stub.url
        back = reserve(client, slot)
    assert back.status_code == 302
    assert back.headers["Location"] == "https://checkout.stripe.com/c/pay/cs_test_back"
    with app.app_context():
        (booking,) = db.session.scalars(sa.select(Booking)).all()
        assert booking.gateway_session_id == "cs_test_back"


def test_the_pay_button_while_stripe_is_silent_says_to_try_again(app, client):
    with app.app_context():
        booking = make_held_booking(
            db.session,
            utcnow(),
            gateway="stripe",
        )
        db.session.commit()
        token = booking.manage_token
    response, elapsed = timed(lambda: client.post(f"/en/book/status/{token}/pay"))
    assert response.status_code == 302 and within_budget(app, elapsed)
    assert "did not answer" in client.get(response.headers["Location"]).text


def test_cancelling_while_stripe_is_silent_cancels_and_owes_the_refund(app, client, auth):
    booking_id, token, _payment = stripe_paid_booking(app)
    response, elapsed = timed(lambda: client.post(f"/en/booking/{token}/cancel"))
    assert response.status_code == 302 and within_budget(app, elapsed)
    assert "will be refunded to your card" in client.get(response.headers["Location"]).text
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == CANCELLED
    assert ledger(app, booking_id) == [(PAYMENT, 28_744, 28_744, True)]

    # The owner sees it owed on the booking's page.
    auth.login()
    page = client.get(f"/en/admin/bookings/{booking_id}").text
    assert "is owed: the payment service has not made it yet" in page

    # Stripe answers again: the worker's run makes it once, and records its credit note.
    with StripeStub() as stub:
        stub.answers[("POST", "/v1/refunds")] = {
            "id": "re_owed_1",
            "object": "refund",
            "amount": 28_744,
            "status": "succeeded",
        }
        app.config["STRIPE_API_BASE"] = stub.url
        with app.app_context():
            assert refunds.settle_owed(db.session, config=app.config, now=utcnow()) == (1, 0)
            assert refunds.settle_owed(db.session, config=app.config, now=utcnow()) == (0, 0)
        (sent,) = stub.calls("POST", "/v1/refunds")
    assert sent["headers"]["idempotency-key"] == "consult-pi_timeouts-0-28744"
    assert ledger(app, booking_id) == [
        (PAYMENT, 28_744, None, False),
        (REFUND, -28_744, None, False),
    ]


def test_the_owners_cancellation_while_stripe_is_silent_says_the_refund_is_owed(app, client, auth):
    booking_id, _token, _payment = stripe_paid_booking(app)
    auth.login()
    response, elapsed = timed(
        lambda: client.post(
            f"/en/admin/bookings/{booking_id}/cancel",
            data={"cancel-refund": "full", "cancel-reason": "Sick", "cancel-confirm": "y"},
        )
    )
    assert response.status_code == 302 and within_budget(app, elapsed)
    page = client.get(response.headers["Location"]).text
    assert "did not make the refund of" in page
    assert ledger(app, booking_id) == [(PAYMENT, 28_744, 28_744, True)]


def test_the_owners_refund_while_stripe_is_silent_records_nothing(app, client, auth):
    booking_id, _token, payment_id = stripe_paid_booking(app)
    auth.login()
    response, elapsed = timed(
        lambda: client.post(
            f"/en/admin/bookings/{booking_id}/refund",
            data={
                "refund-payment": str(payment_id),
                "refund-amount": "50",
                "refund-reason": "Started late",
                "refund-confirm": "y",
            },
        )
    )
    assert response.status_code == 302 and within_budget(app, elapsed)
    assert "nothing was refunded or recorded" in client.get(response.headers["Location"]).text
    assert ledger(app, booking_id) == [(PAYMENT, 28_744, None, False)]


def test_a_webhook_while_stripe_is_silent_answers_503_and_keeps_nothing(app, client):
    with app.app_context():
        booking = make_held_booking(
            db.session,
            utcnow(),
            gateway="stripe",
            gateway_session_id="cs_test_silent",
        )
        db.session.commit()
        snapshot = checkout_session(booking, payment_intent="pi_silent")
        booking_id = booking.id
    paid = event("checkout.session.completed", snapshot)
    response, elapsed = timed(lambda: post_event(client, paid, ENDPOINT_SECRET))
    assert response.status_code == 503 and within_budget(app, elapsed)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 0
        assert db.session.get(Booking, booking_id).status == HELD
    assert ledger(app, booking_id) == []
