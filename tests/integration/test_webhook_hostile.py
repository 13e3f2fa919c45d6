"""The webhook under hostile input: a 4xx (or acknowledged and ignored), never a 500, and
nothing stored. Bodies over the size cap, signatures dated in the future, headers that are
not ASCII, and events that are signed but malformed."""

import json
import time

import pytest
import sqlalchemy as sa
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consult.booking.models import HELD, Booking
from consult.extensions import db
from consult.payments.models import LedgerEntry, PaymentAnomaly, WebhookEvent
from consult.payments.settlement import HANDLERS
from tests.payments_support import (
    DEMO_WEBHOOK_SECRET,
    checkout_session,
    event,
    post_event,
    refund_object,
)

SECRET = DEMO_WEBHOOK_SECRET


def post_raw(client, body, signature=None, timestamp=None):
    """POST `body` (text) signed with the endpoint's secret, unless `signature` is given."""
    if signature is None:
        signature = stripe.WebhookSignature.generate_signature_header(
            body, SECRET, timestamp=int(timestamp if timestamp is not None else time.time())
        )
    return client.post(
        "/webhooks/stripe",
        data=body.encode() if isinstance(body, str) else body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


def nothing_stored(app, booking_id):
    with app.app_context():
        stored = [
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (WebhookEvent, LedgerEntry, PaymentAnomaly)
        ]
        return stored == [0, 0, 0] and db.session.get(Booking, booking_id).status == HELD


def paid(booking, **fields):
    return event("checkout.session.completed", checkout_session(booking, **fields))


# ----------------------------------------------------------------------------- the envelope


@pytest.mark.parametrize(
    "signature",
    ["t=1700000000,v1=é", "t=1700000000,v1=Ã©Ã¨", "tÃ=1,v1=abc", "", "garbage"],
)
def test_a_signature_header_that_is_not_ascii_or_not_a_signature_is_a_400(
    app, client, held, signature
):
    body = json.dumps(paid(held))
    response = post_raw(client, body, signature=signature)
    assert response.status_code == 400
    assert response.json == {"error": "invalid signature"}
    assert nothing_stored(app, held.id)


def test_a_body_that_is_not_utf8_is_a_400(app, client, held):
    response = post_raw(client, b"\xff\xfe{}", signature="t=1,v1=abc")
    assert response.status_code == 400
    assert nothing_stored(app, held.id)


def test_a_body_over_the_size_cap_is_refused_with_413_even_signed(app, client, held):
    evt = paid(held, metadata={"booking_id": str(held.id), "padding": "x" * 70_000})
    response = post_raw(client, json.dumps(evt))
    assert response.status_code == 413
    assert response.json == {"error": "payload too large"}
    assert nothing_stored(app, held.id)


@pytest.mark.parametrize("app_config", [{"WEBHOOK_MAX_BYTES": 2_000}])
def test_the_size_cap_is_a_setting(app, client, held):
    evt = paid(held, metadata={"booking_id": str(held.id), "padding": "x" * 2_000})
    assert post_raw(client, json.dumps(evt)).status_code == 413
    assert post_event(client, paid(held), SECRET).status_code == 200


def test_a_signature_dated_further_ahead_than_the_tolerance_is_refused(app, client, held):
    tolerance = app.config["WEBHOOK_TOLERANCE_SECONDS"]
    future = time.time() + tolerance + 120
    response = post_event(client, paid(held), SECRET, timestamp=future)
    assert response.status_code == 400
    assert nothing_stored(app, held.id)


def test_a_signature_a_little_ahead_of_our_clock_is_accepted(app, client, held):
    response = post_event(client, paid(held), SECRET, timestamp=time.time() + 60)
    assert response.status_code == 200
    assert response.json["outcome"] == "confirmed"


def test_a_signature_older_than_the_tolerance_is_still_refused(app, client, held):
    past = time.time() - app.config["WEBHOOK_TOLERANCE_SECONDS"] - 120
    assert post_event(client, paid(held), SECRET, timestamp=past).status_code == 400
    assert nothing_stored(app, held.id)


# ----------------------------------------------------------------------------- signed, malformed


def malformed_events(booking):
    """(label, body text) pairs: each signed with the right secret, none of them readable."""
    good = paid(booking)

    def with_event(**fields):
        return json.dumps({**good, **fields})

    def with_object(**fields):
        return json.dumps(paid(booking, **fields))

    no_amount = paid(booking)
    del no_amount["data"]["object"]["amount_total"]
    no_currency = paid(booking)
    del no_currency["data"]["object"]["currency"]
    nested = "[" * 5_000 + "]" * 5_000
    return [
        ("a JSON array", "[]"),
        ("a JSON string", '"checkout.session.completed"'),
        ("null", "null"),
        ("a number", "42"),
        ("not JSON", "{not json"),
        ("deeply nested", nested),
        ("no data", with_event(data=None)),
        ("data without object", with_event(data={})),
        ("data object a list", with_event(data={"object": [1, 2]})),
        ("id a list", with_event(id=["evt_1", "evt_2"])),
        ("id huge", with_event(id="evt_" + "x" * 10_000)),
        ("id with NUL", with_event(id="evt_\u0000nul")),
        ("id empty", with_event(id="")),
        ("id a number", with_event(id=12)),
        ("type a list", with_event(type=["checkout.session.completed"])),
        ("type huge", with_event(type="checkout." + "x" * 500)),
        ("created huge", with_event(created=10**30)),
        ("created a string", with_event(created="yesterday")),
        ("missing amount", json.dumps(no_amount)),
        ("missing currency", json.dumps(no_currency)),
        ("amount a string", with_object(amount_total="28744")),
        ("amount a boolean", with_object(amount_total=True)),
        ("amount a float", with_object(amount_total=287.44)),
        ("amount negative", with_object(amount_total=-5)),
        ("amount huge", with_object(amount_total=10**20)),
        ("currency a list", with_object(currency=["cad"])),
        ("checkout id a list", with_object(id=["cs_1"])),
        ("checkout id with NUL", with_object(id="cs_\u0000")),
        ("booking reference a list", with_object(client_reference_id=[booking.id])),
        ("booking reference with NUL", with_object(client_reference_id=f"{booking.id}\u0000")),
        ("booking reference huge", with_object(client_reference_id="9" * 5_000)),
        ("payment intent a list", with_object(payment_intent=["pi_1"])),
        ("payment intent a dict", with_object(payment_intent={"id": "pi_1"})),
        ("metadata a string", with_object(metadata="booking 1")),
        ("NUL deep inside", with_object(customer_email="a\u0000@example.org")),
        ("NUL in a key", with_object(**{"odd\u0000key": 1})),
        ("refund without amount", json.dumps(event("refund.created", {"id": "re_1"}))),
        (
            "refund reason with NUL",
            json.dumps(
                event(
                    "refund.created",
                    refund_object("re_2", 100, f"pi_test_{booking.id}", metadata={"reason": "\0"}),
                )
            ),
        ),
        (
            "refund amount a string",
            json.dumps(event("refund.created", refund_object("re_3", "100", "pi_x"))),
        ),
        (
            "charge refunds not a list",
            json.dumps(event("charge.refunded", {"id": "ch_1", "refunds": {"data": "everything"}})),
        ),
        (
            "charge refund ids lists",
            json.dumps(
                event(
                    "charge.refunded",
                    {"id": "ch_1", "refunds": {"data": [refund_object(["re"], 1, "pi_x")]}},
                )
            ),
        ),
    ]


def test_every_malformed_event_is_a_400_and_stores_nothing(app, client, held):
    for label, body in malformed_events(held):
        response = post_raw(client, body)
        assert response.status_code == 400, label
        assert response.is_json and "error" in response.json, label
        assert nothing_stored(app, held.id), label


@pytest.mark.parametrize(
    "reference",
    ["9" * 30, "-1", "0", "2147483648", "not-a-number", "1e3"],
)
def test_a_booking_reference_no_booking_can_have_is_acknowledged_and_ignored(
    app, client, held, reference
):
    response = post_event(client, paid(held, client_reference_id=reference, metadata={}), SECRET)
    assert response.status_code == 200
    assert response.json["outcome"] == "unknown booking"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 0
        assert db.session.get(Booking, held.id).status == HELD


def test_an_unknown_event_type_well_formed_is_acknowledged_and_changes_nothing(app, client, held):
    response = post_event(client, event("customer.created", {"id": "cus_1"}), SECRET)
    assert response.status_code == 200
    assert response.json["outcome"] == "ignored"


# ----------------------------------------------------------------------------- at random

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
#: The fields the handlers read, so random events reach past the first checks.
FIELDS = [
    "id",
    "amount",
    "amount_total",
    "currency",
    "client_reference_id",
    "metadata",
    "payment_intent",
    "payment_status",
    "charge",
    "status",
    "refunds",
    "created",
]
OBJECTS = st.dictionaries(st.sampled_from(FIELDS), JSON | st.text(max_size=12), max_size=8)
EVENTS = st.fixed_dictionaries(
    {
        "id": st.text(max_size=30) | JSON,
        "type": st.sampled_from(sorted(HANDLERS)) | JSON,
        "data": st.fixed_dictionaries({"object": OBJECTS}) | JSON,
    },
    optional={"created": JSON},
)


@settings(
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=EVENTS | JSON)
def test_random_signed_bodies_never_break_the_webhook(app, client, held, body):
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent))
    response = post_raw(client, json.dumps(body))
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        with app.app_context():
            after = db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent))
        assert after == before
