"""The webhook: signed by the SDK's scheme, each event once, any order, every event type.

Payloads are signed with stripe.WebhookSignature (the SDK's own helper) and posted to
/webhooks/stripe; the demo gateway's secret is the endpoint secret of a default install.
"""

import email
import email.policy
import json
import os
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
import sqlalchemy as sa
import stripe

from consult.booking.models import CONFIRMED, EXPIRED, HELD, Booking
from consult.extensions import db, utcnow
from consult.mail.models import OutboxMessage
from consult.payments import service
from consult.payments.models import PAYMENT, REFUND, LedgerEntry, WebhookEvent
from tests.factories import make_held_booking
from tests.payments_support import (
    DEMO_WEBHOOK_SECRET,
    checkout_session,
    event,
    post_event,
    refund_object,
    signed,
)

SECRET = DEMO_WEBHOOK_SECRET


def state(app, booking_id):
    """(booking status, [(kind, number, total)], webhook events stored)."""
    with app.app_context():
        status = db.session.get(Booking, booking_id).status
        rows = db.session.execute(
            sa.select(LedgerEntry.kind, LedgerEntry.number, LedgerEntry.total_cents).order_by(
                LedgerEntry.id
            )
        ).all()
        events = db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent))
        return status, [tuple(row) for row in rows], events


def mails_to(app, address):
    with app.app_context():
        return db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.to == address).order_by(OutboxMessage.id)
        ).all()


def paid(booking, **fields):
    return event("checkout.session.completed", checkout_session(booking, **fields))


# ----------------------------------------------------------------------------- signatures


def test_a_signed_paid_checkout_confirms_the_booking_and_records_the_payment(app, client, held):
    response = post_event(client, paid(held), SECRET)
    assert response.status_code == 200
    assert response.json["outcome"] == "confirmed"
    assert state(app, held.id) == (CONFIRMED, [(PAYMENT, "R-000001", 28_744)], 1)
    with app.app_context():
        payment = db.session.scalar(sa.select(LedgerEntry))
        assert payment.stripe_payment_intent == f"pi_test_{held.id}"
        assert payment.stripe_checkout_session == held.gateway_session_id
        # The demo gateway's fee, read as Stripe's balance transaction would give it.
        assert (payment.fee_cents, payment.net_cents) == (864, 27_880)
        assert {tax.code: tax.amount_cents for tax in payment.taxes} == {"GST": 1250, "QST": 2494}
    # booking.confirm_paid queued the prospect's confirmation in the same transaction.
    assert len(mails_to(app, held.client_email)) == 1


def test_a_tampered_payload_is_refused_and_changes_nothing(app, client, held):
    body, header = signed(paid(held), SECRET)
    tampered = body.replace('"amount_total": 28744', '"amount_total": 1')
    assert tampered != body
    response = client.post("/webhooks/stripe", data=tampered, headers={"Stripe-Signature": header})
    assert response.status_code == 400
    assert state(app, held.id) == (HELD, [], 0)


def test_a_stale_signature_is_refused_as_a_replay(app, client, held):
    response = post_event(client, paid(held), SECRET, timestamp=time.time() - 301)
    assert response.status_code == 400
    assert state(app, held.id) == (HELD, [], 0)


def test_a_missing_signature_is_refused(app, client, held):
    response = client.post("/webhooks/stripe", data=json.dumps(paid(held)))
    assert response.status_code == 400
    assert response.json == {"error": "invalid signature"}
    assert state(app, held.id) == (HELD, [], 0)


def test_a_signature_made_with_another_secret_is_refused(app, client, held):
    response = post_event(client, paid(held), "whsec_someone_else")
    assert response.status_code == 400
    assert state(app, held.id) == (HELD, [], 0)


def test_a_signed_body_that_is_not_an_event_is_refused(app, client):
    body = json.dumps({"hello": "world"})
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
    response = client.post("/webhooks/stripe", data=body, headers={"Stripe-Signature": header})
    assert response.status_code == 400


# ----------------------------------------------------------------------------- once, any order


def test_a_repeated_delivery_is_acknowledged_and_applied_once(app, client, held):
    delivery = paid(held)
    first = post_event(client, delivery, SECRET)
    again = post_event(client, delivery, SECRET)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json["outcome"] == "duplicate"
    assert state(app, held.id) == (CONFIRMED, [(PAYMENT, "R-000001", 28_744)], 1)
    assert len(mails_to(app, held.client_email)) == 1


def test_the_same_payment_told_by_two_events_is_recorded_once(app, client, held):
    post_event(client, paid(held), SECRET)
    response = post_event(
        client,
        event("checkout.session.async_payment_succeeded", checkout_session(held)),
        SECRET,
    )
    assert response.json["outcome"] == "already recorded"
    assert state(app, held.id) == (CONFIRMED, [(PAYMENT, "R-000001", 28_744)], 2)


def test_a_completed_checkout_still_unpaid_waits_for_the_async_payment(app, client, held):
    response = post_event(client, paid(held, payment_status="unpaid"), SECRET)
    assert response.json["outcome"] == "awaiting payment"
    assert state(app, held.id) == (HELD, [], 1)
    post_event(
        client, event("checkout.session.async_payment_succeeded", checkout_session(held)), SECRET
    )
    assert state(app, held.id) == (CONFIRMED, [(PAYMENT, "R-000001", 28_744)], 2)


@pytest.mark.parametrize(
    "order",
    [
        ("completed_unpaid", "async_succeeded", "expired_late"),
        ("async_succeeded", "completed_unpaid", "expired_late"),
        ("expired_late", "async_succeeded", "completed_unpaid"),
        ("async_succeeded", "expired_late", "completed_unpaid"),
    ],
)
def test_events_in_any_order_end_in_the_same_state(app, client, held, order):
    events = {
        "completed_unpaid": paid(held, payment_status="unpaid"),
        "async_succeeded": event(
            "checkout.session.async_payment_succeeded", checkout_session(held)
        ),
        # Stripe never expires a paid checkout; a delayed copy must still change nothing.
        "expired_late": event("checkout.session.expired", checkout_session(held, status="expired")),
    }
    for name in order:
        assert post_event(client, events[name], SECRET).status_code == 200
    status, rows, stored = state(app, held.id)
    assert (status, rows, stored) == (CONFIRMED, [(PAYMENT, "R-000001", 28_744)], 3)


# ----------------------------------------------------------------------------- holds


def test_an_expired_checkout_releases_the_hold(app, client, held):
    response = post_event(
        client,
        event(
            "checkout.session.expired",
            checkout_session(held, status="expired", payment_status="unpaid"),
        ),
        SECRET,
    )
    assert response.json["outcome"] == "hold released"
    assert state(app, held.id) == (EXPIRED, [], 1)


def test_a_failed_async_payment_releases_the_hold(app, client, held):
    post_event(
        client,
        event(
            "checkout.session.async_payment_failed", checkout_session(held, payment_status="unpaid")
        ),
        SECRET,
    )
    assert state(app, held.id)[0] == EXPIRED


def test_an_older_checkout_expiring_releases_nothing(app, client, held):
    old = checkout_session(held, id="cs_demo_replaced", status="expired", payment_status="unpaid")
    response = post_event(client, event("checkout.session.expired", old), SECRET)
    assert response.json["outcome"] == "an older checkout"
    assert state(app, held.id)[0] == HELD


def test_an_event_for_a_booking_we_do_not_know_is_acknowledged(app, client, held):
    stranger = checkout_session(held, client_reference_id="999999", metadata={})
    response = post_event(client, event("checkout.session.completed", stranger), SECRET)
    assert response.status_code == 200
    assert response.json["outcome"] == "unknown booking"
    assert state(app, held.id) == (HELD, [], 1)


def test_an_event_type_we_do_not_handle_is_stored_and_ignored(app, client, held):
    response = post_event(client, event("customer.created", {"id": "cus_1"}), SECRET)
    assert response.json["outcome"] == "ignored"
    assert state(app, held.id) == (HELD, [], 1)


def test_a_late_payment_for_a_retaken_slot_is_refunded_and_both_people_are_told(app, client):
    with app.app_context():
        now = utcnow()
        late = make_held_booking(
            db.session, now, status=EXPIRED, hold_expires_at=now - timedelta(minutes=5)
        )
        make_held_booking(
            db.session,
            now,
            offer=late.offer,
            starts_at=late.starts_at,
            ends_at=late.ends_at,
            busy_starts_at=late.busy_starts_at,
            busy_ends_at=late.busy_ends_at,
        )
        db.session.commit()
        late_id, email, reference = late.id, late.client_email, late.reference
        late_snapshot = checkout_session(late)
    response = post_event(client, event("checkout.session.completed", late_snapshot), SECRET)
    assert response.json["outcome"] == "late payment refunded"
    status, rows, _ = state(app, late_id)
    assert status == EXPIRED
    assert rows == [(PAYMENT, "R-000001", 28_744), (REFUND, "CN-000001", -28_744)]
    to_prospect, credit_note = mails_to(app, email)  # then the credit note, once it is made
    assert credit_note.topic.startswith("payments_refund")
    assert "remboursé" in to_prospect.subject
    # Queued with the payment, before the gateway made the refund: it says it is under way.
    assert "en cours de remboursement" in to_prospect.text_body
    assert "287,44" in to_prospect.text_body
    assert "America/Montreal" in to_prospect.text_body
    (to_owner,) = mails_to(app, app.config["OWNER_EMAIL"])
    assert reference in to_owner.subject
    assert "R-000001" in to_owner.text_body and "287,44" in to_owner.text_body


def test_a_second_payment_for_a_booking_already_paid_is_refunded(app, client, held):
    post_event(client, paid(held), SECRET)
    # Its own checkout paid twice (another checkout's payment is an anomaly: see
    # test_payment_anomalies.py); the ledger reads the same either way.
    second = paid(held, payment_intent="pi_test_second")
    response = post_event(client, second, SECRET)
    assert response.json["outcome"] == "duplicate payment refunded"
    assert state(app, held.id)[1] == [
        (PAYMENT, "R-000001", 28_744),
        (PAYMENT, "R-000002", 28_744),
        (REFUND, "CN-000001", -28_744),
    ]


# ----------------------------------------------------------------------------- refunds


def test_a_refund_made_in_the_stripe_dashboard_appears_in_the_ledger_once(app, client, held):
    post_event(client, paid(held), SECRET)
    intent = f"pi_test_{held.id}"
    dashboard = refund_object("re_dashboard_1", 14_372, intent)
    post_event(client, event("refund.created", dashboard), SECRET)
    charge = {
        "id": f"ch_for_{intent}",
        "object": "charge",
        "payment_intent": intent,
        "amount_refunded": 14_372,
        "refunds": {"object": "list", "data": [dashboard]},
    }
    post_event(client, event("charge.refunded", charge), SECRET)
    post_event(client, event("refund.updated", dashboard), SECRET)
    _, rows, stored = state(app, held.id)
    assert rows == [(PAYMENT, "R-000001", 28_744), (REFUND, "CN-000001", -14_372)]
    assert stored == 4
    with app.app_context():
        refund = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.kind == REFUND))
        assert refund.stripe_refund == "re_dashboard_1"
        assert {tax.code: tax.amount_cents for tax in refund.taxes} == {"GST": -625, "QST": -1247}


def test_a_refund_made_in_the_stripe_dashboard_is_told_to_the_client_once(
    app, client, held, deliver_mail
):
    post_event(client, paid(held), SECRET)
    intent = f"pi_test_{held.id}"
    dashboard = refund_object("re_dashboard_1", 14_372, intent)
    post_event(client, event("refund.created", dashboard), SECRET)
    post_event(client, event("refund.updated", dashboard), SECRET)
    with app.app_context():
        notices = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.topic.like("payments_refund:%"))
        ).all()
        assert len(notices) == 1
        assert notices[0].to == held.client_email
    assert deliver_mail().sent >= 1
    path = os.path.join(app.instance_path, "outbox", f"{notices[0].id:06d}.eml")
    with open(path, "rb") as handle:
        message = email.message_from_binary_file(handle, policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    assert "143,72" in text or "143.72" in text  # the amount, in her language
    assert "CN-000001" in text  # and the credit note


def test_charge_refunded_records_each_refund_of_the_charge(app, client, held):
    post_event(client, paid(held), SECRET)
    intent = f"pi_test_{held.id}"
    charge = {
        "id": f"ch_for_{intent}",
        "object": "charge",
        "payment_intent": intent,
        "refunds": {
            "object": "list",
            "data": [
                refund_object("re_a", 5_000, intent),
                refund_object("re_b", 2_000, intent),
                refund_object("re_failed", 1_000, intent, status="failed"),
            ],
        },
    }
    post_event(client, event("charge.refunded", charge), SECRET)
    assert state(app, held.id)[1][1:] == [
        (REFUND, "CN-000001", -5_000),
        (REFUND, "CN-000002", -2_000),
    ]


def test_a_refund_we_made_is_not_recorded_again_when_its_event_arrives(app, client, held):
    post_event(client, paid(held), SECRET)
    with app.app_context():
        payment = db.session.scalar(sa.select(LedgerEntry))
        ours = service.refund(
            db.session, payment, 10_000, reason="goodwill", now=utcnow(), config=app.config
        )
        db.session.commit()
        refund_id = ours.stripe_refund
    assert refund_id.startswith("re_demo_")
    echo = refund_object(refund_id, 10_000, f"pi_test_{held.id}")
    response = post_event(client, event("refund.created", echo), SECRET)
    assert response.json["outcome"] == "already recorded"
    assert state(app, held.id)[1] == [(PAYMENT, "R-000001", 28_744), (REFUND, "CN-000001", -10_000)]


def test_a_refund_event_for_a_payment_not_yet_recorded_is_acknowledged(app, client, held):
    early = refund_object("re_early", 1_000, f"pi_test_{held.id}")
    response = post_event(client, event("refund.created", early), SECRET)
    assert response.status_code == 200
    assert response.json["outcome"] == "payment not recorded yet"
    assert state(app, held.id) == (HELD, [], 1)


def test_a_dashboard_refund_larger_than_what_remains_records_only_what_remains(app, client, held):
    post_event(client, paid(held), SECRET)
    intent = f"pi_test_{held.id}"
    post_event(client, event("refund.created", refund_object("re_1", 20_000, intent)), SECRET)
    post_event(client, event("refund.created", refund_object("re_2", 20_000, intent)), SECRET)
    rows = state(app, held.id)[1]
    assert rows[1:] == [(REFUND, "CN-000001", -20_000), (REFUND, "CN-000002", -8_744)]


class TestWithCsrfOn:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_the_webhook_needs_no_csrf_token(self, app, client, held):
        assert post_event(client, paid(held), SECRET).status_code == 200


class TestInStripeMode:
    @pytest.fixture
    def app_config(self):
        return {
            "PAYMENT_GATEWAY": "stripe",
            "STRIPE_SECRET_KEY": "sk_test_unused",
            "STRIPE_WEBHOOK_SECRET": "whsec_endpoint",
        }

    def test_only_the_endpoint_secret_is_accepted(self, app, client, held):
        refused = post_event(client, event("customer.created", {"id": "c"}), SECRET)
        accepted = post_event(client, event("customer.created", {"id": "c"}), "whsec_endpoint")
        assert (refused.status_code, accepted.status_code) == (400, 200)

    def test_the_demo_checkout_is_closed(self, app, client, held):
        # Even for a booking left over from demo days: only the demo gateway serves it.
        assert client.get(f"/fr/pay/demo/{held.manage_token}").status_code == 404
        assert client.post(f"/fr/pay/demo/{held.manage_token}/pay").status_code == 404
        assert state(app, held.id) == (HELD, [], 0)

    def test_forms_may_send_the_browser_to_stripe_checkout(self, client):
        policy = client.get("/fr/").headers["Content-Security-Policy"]
        assert "form-action 'self' https://checkout.stripe.com" in policy


def test_the_demo_gateway_keeps_forms_on_the_site(client):
    assert "form-action 'self';" in client.get("/fr/").headers["Content-Security-Policy"]


def test_deliveries_arriving_at_once_apply_each_payment_once(app, live_server, held):
    """Stripe retries and sends sibling events in parallel: several workers, one outcome."""
    completed = paid(held)
    succeeded = event("checkout.session.async_payment_succeeded", checkout_session(held))
    deliveries = [completed, completed, succeeded, succeeded, completed, succeeded]
    start = threading.Barrier(len(deliveries))
    statuses = []

    def deliver(evt):
        body, header = signed(evt, SECRET)
        request = urllib.request.Request(
            f"{live_server.url}/webhooks/stripe",
            data=body.encode(),
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        )
        start.wait(timeout=10)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as refused:
            statuses.append(refused.code)

    threads = [threading.Thread(target=deliver, args=(evt,)) for evt in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * len(deliveries)
    assert state(app, held.id) == (CONFIRMED, [(PAYMENT, "R-000001", 28_744)], 2)
    assert len(mails_to(app, held.client_email)) == 1
