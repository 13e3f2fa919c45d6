"""CONTRACT tests of the Stripe gateway: what the official SDK sends to Stripe's API.

The SDK talks over real HTTP to a local server (tests.payments_support.StripeStub) that
records each request and answers Stripe-shaped JSON, as STRIPE_API_BASE points it there.
These prove the requests we make match Stripe's documented parameters; they do not prove
Stripe accepts them (the live test against test mode does, when a key is given).
"""

import json
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from consult.business import current as current_business
from consult.extensions import db, utcnow
from consult.payments import service
from consult.payments.models import PAYMENT, REFUND, LedgerEntry
from tests.factories import make_held_booking
from tests.payments_support import (
    StripeStub,
    checkout_session,
    event,
    payment_intent_answer,
    post_event,
    refund_object,
)

ENDPOINT_SECRET = "whsec_contract"


@pytest.fixture
def stripe_stub():
    with StripeStub() as stub:
        yield stub


@pytest.fixture
def app_config(stripe_stub):
    return {
        "PAYMENT_GATEWAY": "stripe",
        "STRIPE_SECRET_KEY": "sk_test_contract",
        "STRIPE_WEBHOOK_SECRET": ENDPOINT_SECRET,
        "STRIPE_API_BASE": stripe_stub.url,
        "STRIPE_MAX_NETWORK_RETRIES": 0,
    }


@pytest.fixture
def stand_in_routes(app):
    """booking.status and booking.offer, should the booking blueprint not be registered."""
    for endpoint, rule in (
        ("booking.status", "/<lang:lang>/book/status/<token>"),
        ("booking.offer", "/<lang:lang>/book/<slug>"),
    ):
        if endpoint not in app.view_functions:
            app.add_url_rule(rule, endpoint, lambda **kw: "")


def checkout(app, booking, now=None):
    """Start the booking's checkout as the reservation view does."""
    return service.start_checkout(
        db.session, booking, business=current_business(), config=app.config, now=now or utcnow()
    )


def created_checkout(stripe_stub, session_id="cs_test_a1"):
    stripe_stub.answers[("POST", "/v1/checkout/sessions")] = {
        "id": session_id,
        "object": "checkout.session",
        "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        "status": "open",
    }


def test_contract_checkout_session_carries_booking_taxes_expiry_locale_and_urls(
    app, stripe_stub, stand_in_routes
):
    created_checkout(stripe_stub)
    with app.test_request_context(
        "/", base_url="https://consult.example", headers={"Accept-Language": "en"}
    ):
        now = utcnow().replace(microsecond=0)
        booking = make_held_booking(
            db.session, now, lang="en", hold_expires_at=now + timedelta(minutes=45)
        )
        db.session.commit()
        url = checkout(app, booking, now)
        assert url == "https://checkout.stripe.com/c/pay/cs_test_a1"
        assert booking.gateway == "stripe"
        assert booking.gateway_session_id == "cs_test_a1"
        token, slug, booking_id = booking.manage_token, booking.offer.slug, booking.id

    (sent,) = stripe_stub.calls("POST", "/v1/checkout/sessions")
    params = sent["params"]
    assert sent["headers"]["authorization"] == "Bearer sk_test_contract"
    assert params["mode"] == "payment"
    assert params["client_reference_id"] == str(booking_id)
    assert params["metadata[booking_id]"] == str(booking_id)
    assert params["payment_intent_data[metadata][booking_id]"] == str(booking_id)
    assert params["customer_email"] == booking.client_email
    assert params["locale"] == "en"
    # The hold's end, rounded up to five minutes: a retry seconds later sends the same request.
    deadline = int((now + timedelta(minutes=45)).timestamp())
    assert deadline <= int(params["expires_at"]) < deadline + 300
    assert int(params["expires_at"]) % 300 == 0
    # On SITE_URL (http://localhost here), never the host the request came in on.
    assert params["success_url"] == f"http://localhost/en/book/status/{token}"
    assert params["cancel_url"] == (f"http://localhost/en/book/{slug}?tz=America/Montreal")
    assert sent["headers"]["idempotency-key"].startswith(f"consult-checkout-{booking_id}-")
    lines = [
        (
            params[f"line_items[{i}][price_data][product_data][name]"],
            params[f"line_items[{i}][price_data][unit_amount]"],
            params[f"line_items[{i}][price_data][currency]"],
            params[f"line_items[{i}][quantity]"],
        )
        for i in range(3)
    ]
    assert lines == [
        ("Strategy session", "25000", "cad", "1"),
        ("TPS/GST 5%", "1250", "cad", "1"),
        ("TVQ/QST 9.975%", "2494", "cad", "1"),
    ]
    assert "line_items[3][quantity]" not in params
    # Her terms, in her language, above Stripe's Pay button (custom_text.submit.message).
    message = params["custom_text[submit][message]"]
    assert message.startswith("Cancel up to 48 hours before the session")
    assert "Free cancellation until" in message and "\n" not in message
    assert len(message) <= 1200


def test_contract_a_short_hold_still_gets_stripes_thirty_minute_minimum(
    app, stripe_stub, stand_in_routes
):
    created_checkout(stripe_stub)
    with app.test_request_context("/"):
        now = utcnow()
        booking = make_held_booking(db.session, now, hold_expires_at=now + timedelta(minutes=5))
        db.session.commit()
        checkout(app, booking, now)
    (sent,) = stripe_stub.calls("POST", "/v1/checkout/sessions")
    assert int(sent["params"]["expires_at"]) >= int((now + timedelta(minutes=30)).timestamp())
    assert sent["params"]["locale"] == "fr"


@pytest.mark.parametrize(
    "expire_answer",
    [
        {"id": "cs_old", "object": "checkout.session", "status": "expired"},
        (400, {"error": {"type": "invalid_request_error", "message": "already complete"}}),
    ],
)
def test_contract_a_new_checkout_closes_the_bookings_older_one(
    app, stripe_stub, stand_in_routes, expire_answer
):
    created_checkout(stripe_stub, session_id="cs_new")
    stripe_stub.answers[("POST", "/v1/checkout/sessions/cs_old/expire")] = expire_answer
    with app.test_request_context("/"):
        booking = make_held_booking(
            db.session, utcnow(), gateway="stripe", gateway_session_id="cs_old"
        )
        db.session.commit()
        assert checkout(app, booking).endswith("/cs_new")
        assert booking.gateway_session_id == "cs_new"
    assert len(stripe_stub.calls("POST", "/v1/checkout/sessions/cs_old/expire")) == 1


def test_contract_stripe_refusing_the_checkout_keeps_the_hold_and_says_so(
    app, stripe_stub, stand_in_routes
):
    stripe_stub.answers[("POST", "/v1/checkout/sessions")] = (
        400,
        {"error": {"type": "invalid_request_error", "message": "expires_at is too soon"}},
    )
    with app.test_request_context("/"):
        booking = make_held_booking(db.session, utcnow(), gateway_session_id=None)
        db.session.commit()
        with pytest.raises(service.PaymentUnavailable, match="expires_at is too soon"):
            checkout(app, booking)
        assert booking.status == "held" and booking.gateway_session_id is None


def test_contract_a_paid_checkout_reads_fee_and_net_from_the_balance_transaction(
    app, client, stripe_stub
):
    with app.app_context():
        booking = make_held_booking(
            db.session, utcnow(), gateway="stripe", gateway_session_id="cs_1"
        )
        db.session.commit()
        completed = event(
            "checkout.session.completed", checkout_session(booking, payment_intent="pi_1")
        )
    stripe_stub.answers[("GET", "/v1/payment_intents/pi_1")] = payment_intent_answer(
        "pi_1", fee=864
    )
    assert post_event(client, completed, ENDPOINT_SECRET).json["outcome"] == "confirmed"
    (sent,) = stripe_stub.calls("GET", "/v1/payment_intents/pi_1")
    assert sent["params"]["expand[0]"] == "latest_charge.balance_transaction"
    assert sent["params"]["expand[1]"] == "latest_charge.refunds"
    with app.app_context():
        payment = db.session.scalar(sa.select(LedgerEntry))
        assert payment.method == "stripe"
        assert (payment.fee_cents, payment.net_cents) == (864, 27_880)
        assert payment.stripe_charge == "ch_for_pi_1"
        assert payment.stripe_balance_transaction == "txn_for_pi_1"


def test_contract_a_dashboard_refund_made_before_the_payment_event_is_recorded_with_it(
    app, client, stripe_stub
):
    with app.app_context():
        booking = make_held_booking(
            db.session, utcnow(), gateway="stripe", gateway_session_id="cs_1"
        )
        db.session.commit()
        completed = event(
            "checkout.session.completed", checkout_session(booking, payment_intent="pi_1")
        )
    early = refund_object("re_early", 5_000, "pi_1")
    stripe_stub.answers[("GET", "/v1/payment_intents/pi_1")] = payment_intent_answer(
        "pi_1", refunds=[early]
    )
    # The refund's event overtakes the payment's: acknowledged, then caught up with.
    assert post_event(client, event("refund.created", early), ENDPOINT_SECRET).status_code == 200
    post_event(client, completed, ENDPOINT_SECRET)
    post_event(client, event("refund.updated", early), ENDPOINT_SECRET)
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                LedgerEntry.kind, LedgerEntry.total_cents, LedgerEntry.stripe_refund
            ).order_by(LedgerEntry.id)
        ).all()
        assert [tuple(r) for r in rows] == [(PAYMENT, 28_744, None), (REFUND, -5_000, "re_early")]


def paid_stripe_payment(app):
    with app.app_context():
        booking = make_held_booking(db.session, utcnow(), gateway="stripe")
        payment = service.record_payment(
            db.session,
            booking,
            method="stripe",
            time_zone="America/Montreal",
            total_cents=booking.total_cents,
            occurred_at=utcnow(),
            stripe_payment_intent="pi_paid",
            stripe_charge="ch_paid",
        )
        db.session.commit()
        return payment.id


def test_contract_a_refund_goes_through_stripes_api_with_an_idempotency_key(app, stripe_stub):
    payment_id = paid_stripe_payment(app)
    stripe_stub.answers[("POST", "/v1/refunds")] = lambda request: refund_object(
        "re_api_1", int(request["params"]["amount"]), request["params"]["payment_intent"]
    )
    with app.app_context():
        payment = db.session.get(LedgerEntry, payment_id)
        refund = service.refund(
            db.session, payment, 14_372, reason="Half, as agreed", now=utcnow(), config=app.config
        )
        db.session.commit()
        assert refund.stripe_refund == "re_api_1"
        assert refund.total_cents == -14_372
    (sent,) = stripe_stub.calls("POST", "/v1/refunds")
    assert sent["params"]["payment_intent"] == "pi_paid"
    assert sent["params"]["amount"] == "14372"
    assert sent["params"]["reason"] == "requested_by_customer"
    assert sent["params"]["metadata[reason]"] == "Half, as agreed"
    assert sent["params"]["metadata[receipt]"] == "R-000001"
    assert sent["headers"]["idempotency-key"] == "consult-pi_paid-0-14372"


def test_contract_stripe_refusing_a_refund_records_nothing(app, stripe_stub):
    payment_id = paid_stripe_payment(app)
    stripe_stub.answers[("POST", "/v1/refunds")] = (
        400,
        {
            "error": {
                "type": "invalid_request_error",
                "code": "charge_already_refunded",
                "message": "Charge ch_paid has already been refunded.",
            }
        },
    )
    with app.app_context():
        payment = db.session.get(LedgerEntry, payment_id)
        with pytest.raises(service.GatewayError, match="already been refunded"):
            service.refund(db.session, payment, 1_000, reason="x", now=utcnow(), config=app.config)
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).where(LedgerEntry.kind == REFUND)) == 0


def test_contract_charge_refunded_without_its_refunds_lists_them_from_the_api(
    app, client, stripe_stub
):
    paid_stripe_payment(app)
    stripe_stub.answers[("GET", "/v1/refunds")] = {
        "object": "list",
        "url": "/v1/refunds",
        "has_more": False,
        "data": [refund_object("re_listed", 2_000, "pi_paid", charge="ch_paid")],
    }
    charge = {
        "id": "ch_paid",
        "object": "charge",
        "payment_intent": "pi_paid",
        "amount_refunded": 2_000,
    }
    response = post_event(client, event("charge.refunded", charge), ENDPOINT_SECRET)
    assert response.json["outcome"] == "refund recorded"
    (sent,) = stripe_stub.calls("GET", "/v1/refunds")
    assert sent["params"] == {"payment_intent": "pi_paid", "limit": "100"}
    with app.app_context():
        refund = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.kind == REFUND))
        assert (refund.stripe_refund, refund.total_cents) == ("re_listed", -2_000)


def test_contract_events_are_verified_with_the_endpoint_secret_of_stripe(app, client):
    response = post_event(client, event("customer.created", {"id": "c"}), ENDPOINT_SECRET)
    assert response.status_code == 200
    forged = post_event(client, event("customer.created", {"id": "c"}), "whsec_demo_local_only")
    assert forged.status_code == 400


def test_contract_payment_events_from_the_payload_are_plain_json(app):
    # What the webhook stores must be serialisable as Stripe sent it.
    payload = event("checkout.session.completed", {"id": "cs", "created": 1})
    assert json.loads(json.dumps(payload)) == payload
    assert datetime.fromtimestamp(payload["created"])
