"""LIVE tests against Stripe's test mode: they run only when STRIPE_TEST_SECRET_KEY is set.

They prove what the contract tests cannot: that Stripe itself accepts the Checkout Session
and the refund our gateway asks for, and that fees are read from a real balance transaction.
"""

import os
from datetime import timedelta

import pytest
import stripe

from consult.business import current as current_business
from consult.extensions import db, utcnow
from consult.payments import service
from consult.payments.gateways import StripeGateway
from tests.factories import make_held_booking

SECRET_KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")

pytestmark = pytest.mark.skipif(
    not SECRET_KEY.startswith("sk_test_"),
    reason="STRIPE_TEST_SECRET_KEY is not set (a Stripe test-mode secret key, sk_test_...)",
)


@pytest.fixture
def app_config():
    return {
        "PAYMENT_GATEWAY": "stripe",
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": "whsec_live_test_unused",
    }


@pytest.fixture
def stand_in_routes(app):
    for endpoint, rule in (
        ("booking.status", "/<lang:lang>/book/status/<token>"),
        ("booking.offer", "/<lang:lang>/book/<slug>"),
    ):
        if endpoint not in app.view_functions:
            app.add_url_rule(rule, endpoint, lambda **kw: "")


def test_live_stripe_accepts_our_checkout_session(app, stand_in_routes):
    client = stripe.StripeClient(SECRET_KEY)
    with app.test_request_context("/", base_url="https://consult.example"):
        now = utcnow()
        booking = make_held_booking(db.session, now, hold_expires_at=now + timedelta(minutes=40))
        db.session.commit()
        url = service.start_checkout(
            db.session, booking, business=current_business(), config=app.config, now=now
        )
        session_id = booking.gateway_session_id
    assert url.startswith("https://checkout.stripe.com/")
    created = client.v1.checkout.sessions.retrieve(session_id)
    assert created.client_reference_id == str(booking.id)
    assert created.amount_total == 28_744
    assert created.currency == "cad"
    assert created.locale == "fr"
    items = client.v1.checkout.sessions.line_items.list(session_id)
    assert sorted(item.amount_total for item in items.data) == [1250, 2494, 25_000]
    client.v1.checkout.sessions.expire(session_id)


def test_live_a_payment_reports_its_fee_and_can_be_refunded_in_part(app):
    client = stripe.StripeClient(SECRET_KEY)
    intent = client.v1.payment_intents.create(
        params={
            "amount": 28_744,
            "currency": "cad",
            "payment_method": "pm_card_visa",
            "payment_method_types": ["card"],
            "confirm": True,
        }
    )
    with app.app_context():
        details = StripeGateway(app.config).payment_details(intent.id, 28_744)
        assert details.fee_cents and details.fee_cents > 0
        assert details.net_cents == 28_744 - details.fee_cents
        booking = make_held_booking(db.session, utcnow(), gateway="stripe")
        payment = service.record_payment(
            db.session,
            booking,
            method="stripe",
            time_zone="America/Montreal",
            total_cents=28_744,
            occurred_at=utcnow(),
            stripe_payment_intent=intent.id,
            stripe_charge=details.charge,
        )
        refund = service.refund(
            db.session, payment, 14_372, reason="live test", now=utcnow(), config=app.config
        )
        db.session.commit()
        assert refund.stripe_refund.startswith("re_")
        assert client.v1.refunds.retrieve(refund.stripe_refund).amount == 14_372
