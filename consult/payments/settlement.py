"""Payment events turned into confirmed bookings, released holds and ledger rows.

Stripe's webhook and the demo checkout page both come through `process_signed`: the
signature is checked with the SDK, each event id is stored once, and the event, the ledger
and the booking change commit together. Here (not in service.py) payments meet
booking.service, which itself imports payments.service.
"""

import json
import logging
import secrets
import time
from datetime import UTC, datetime

import sqlalchemy as sa
import stripe
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..booking import service as booking_service
from ..booking.models import CONFIRMED, HELD, Booking
from ..database import begin_serialized_write, plain_session
from ..mail.outbox import queue_templated
from . import service
from .gateways import gateway_for
from .models import PAYMENT, LedgerEntry, WebhookEvent

log = logging.getLogger(__name__)

#: What the ledger says when a refund was made in Stripe's dashboard without a reason.
GATEWAY_REFUND_REASON = "Refunded through the payment gateway"
LATE_PAYMENT_REASON = "Paid after the time slot was no longer available"
DUPLICATE_PAYMENT_REASON = "Second payment for a booking already paid"
#: Refund statuses that mean the money is going back.
REFUNDING = ("succeeded", "pending")


class InvalidSignature(ValueError):
    """The request is not a genuine, recent event from the gateway; nothing was touched."""


def webhook_secret(config):
    """The demo gateway signs with its own local secret; Stripe with the endpoint's."""
    if config["PAYMENT_GATEWAY"] == "demo":
        return config["DEMO_WEBHOOK_SECRET"]
    return config["STRIPE_WEBHOOK_SECRET"]


def verify(payload, signature, config):
    """The event in `payload` once its Stripe-Signature checks out, as plain dicts."""
    try:
        stripe.Webhook.construct_event(
            payload,
            signature,
            webhook_secret(config),
            tolerance=config["WEBHOOK_TOLERANCE_SECONDS"],
        )
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise InvalidSignature(str(error)) from error
    if not isinstance(event, dict) or not {"id", "type", "data"} <= event.keys():
        raise InvalidSignature("not an event")
    return event


def process_signed(session, payload, signature, *, config, now):
    """Verify, then handle: the single way in for every gateway event. Returns the outcome."""
    return handle_event(session, verify(payload, signature, config), config=config, now=now)


def handle_event(session, event, *, config, now):
    """Apply a verified event once; a repeat is acknowledged and changes nothing. Commits."""
    session = plain_session(session)
    begin_serialized_write(session)
    if session.get(WebhookEvent, event["id"]) is not None:
        session.rollback()
        return "duplicate"
    session.add(WebhookEvent(id=event["id"], type=event["type"], payload=event, received_at=now))
    try:
        session.flush()
    except IntegrityError:
        # The same event, delivered twice at once: the other delivery applies it.
        session.rollback()
        return "duplicate"
    handler = HANDLERS.get(event["type"])
    outcome = handler(session, event, config=config, now=now) if handler else "ignored"
    session.commit()
    log.info("payment event %s %s: %s", event["id"], event["type"], outcome)
    return outcome


def _occurred_at(stripe_object, fallback):
    created = stripe_object.get("created")
    return datetime.fromtimestamp(created, UTC) if created else fallback


def _booking_of(session, checkout):
    raw = checkout.get("client_reference_id") or (checkout.get("metadata") or {}).get("booking_id")
    try:
        booking_id = int(raw)
    except (TypeError, ValueError):
        return None
    # Row-locked on PostgreSQL, so two events about one booking apply one after the other
    # (SQLite's write transaction already serializes them).
    return session.scalar(
        sa.select(Booking).where(Booking.id == booking_id).with_for_update(of=Booking)
    )


# ----------------------------------------------------------------------------- checkouts


def checkout_paid(session, event, *, config, now):
    """checkout.session.completed and ...async_payment_succeeded: record, then confirm."""
    checkout = event["data"]["object"]
    if checkout.get("payment_status") != "paid":
        return "awaiting payment"
    booking = _booking_of(session, checkout)
    if booking is None:
        return "unknown booking"
    intent = checkout.get("payment_intent")
    recorded = session.scalar(
        sa.select(LedgerEntry).where(
            LedgerEntry.kind == PAYMENT, LedgerEntry.stripe_payment_intent == intent
        )
    )
    if recorded is not None:
        return "already recorded"
    already_paid = [
        entry
        for entry in service.payments_of(session, booking)
        if service.remaining_refundable(entry) > 0
    ]
    gateway = gateway_for(config)
    details = gateway.payment_details(intent, checkout["amount_total"])
    payment = service.record_payment(
        session,
        booking,
        method=gateway.method,
        total_cents=checkout["amount_total"],
        occurred_at=_occurred_at(event, now),
        stripe_checkout_session=checkout.get("id"),
        stripe_payment_intent=intent,
        stripe_charge=details.charge,
        stripe_balance_transaction=details.balance_transaction,
        fee_cents=details.fee_cents,
        net_cents=details.net_cents,
    )
    # Refunds made in the gateway before this event reached us.
    for gateway_refund in details.refunds:
        _record_gateway_refund(session, gateway_refund, now)

    if booking.status == CONFIRMED and already_paid:
        left = service.remaining_refundable(payment)
        if left:
            service.refund(session, payment, left, reason=DUPLICATE_PAYMENT_REASON, now=now)
        return "duplicate payment refunded"
    try:
        booking_service.confirm_paid(session, booking, now)
    except booking_service.SlotNoLongerAvailable:
        _refund_late_payment(session, booking, payment, config=config, now=now)
        return "late payment refunded"
    return "confirmed"


def _refund_late_payment(session, booking, payment, *, config, now):
    """The slot went to someone else: give the money back and tell both people."""
    left = service.remaining_refundable(payment)
    credit_note = None
    if left:
        credit_note = service.refund(session, payment, left, reason=LATE_PAYMENT_REASON, now=now)
    context = {
        "booking": booking,
        "payment": payment,
        "credit_note": credit_note,
        "owner_zone": config["TIME_ZONE"],
    }
    queue_templated(
        booking.client_email,
        "payments_late_payment_refunded",
        booking.lang,
        subject=lambda: _("Your payment was refunded: the time slot was no longer available"),
        topic=f"payments_late_payment_refunded:{booking.id}",
        **context,
    )
    queue_templated(
        config["OWNER_EMAIL"],
        "payments_late_payment_refunded_owner",
        config["DEFAULT_LOCALE"],
        subject=lambda: _(
            "Late payment refunded automatically: booking %(reference)s",
            reference=booking.reference,
        ),
        topic=f"payments_late_payment_refunded_owner:{booking.id}",
        **context,
    )


def checkout_ended(session, event, *, config, now):
    """checkout.session.expired and ...async_payment_failed: the hold is released."""
    checkout = event["data"]["object"]
    booking = _booking_of(session, checkout)
    if booking is None:
        return "unknown booking"
    if booking.status != HELD:
        return "nothing held"
    if booking.gateway_session_id and booking.gateway_session_id != checkout.get("id"):
        # The prospect started another checkout since; that one holds the slot now.
        return "an older checkout"
    booking_service.release_hold(session, booking, now)
    return "hold released"


# ----------------------------------------------------------------------------- refunds


def _record_gateway_refund(session, gateway_refund, now):
    if gateway_refund.get("status") not in REFUNDING:
        return "not refunded"
    if service.find_refund(session, gateway_refund["id"]) is not None:
        return "already recorded"
    payment = session.scalar(
        sa.select(LedgerEntry).where(
            LedgerEntry.kind == PAYMENT,
            sa.or_(
                sa.and_(
                    LedgerEntry.stripe_payment_intent.is_not(None),
                    LedgerEntry.stripe_payment_intent == gateway_refund.get("payment_intent"),
                ),
                sa.and_(
                    LedgerEntry.stripe_charge.is_not(None),
                    LedgerEntry.stripe_charge == gateway_refund.get("charge"),
                ),
            ),
        )
    )
    if payment is None:
        # Recorded with its payment: checkout_paid reads the charge's refunds.
        return "payment not recorded yet"
    amount = min(gateway_refund["amount"], service.remaining_refundable(payment))
    if amount <= 0:
        log.warning("refund %s: nothing left to refund of %s", gateway_refund["id"], payment)
        return "nothing left to refund"
    reason = (gateway_refund.get("metadata") or {}).get("reason") or GATEWAY_REFUND_REASON
    service.refund(
        session,
        payment,
        amount,
        reason=reason,
        now=_occurred_at(gateway_refund, now),
        via_gateway=False,
        gateway_refund_id=gateway_refund["id"],
    )
    return "refund recorded"


def refund_changed(session, event, *, config, now):
    """refund.created / refund.updated: a refund (ours or the dashboard's) in the ledger once."""
    return _record_gateway_refund(session, event["data"]["object"], now)


def charge_refunded(session, event, *, config, now):
    """charge.refunded: every refund of the charge in the ledger once."""
    charge = event["data"]["object"]
    listed = (charge.get("refunds") or {}).get("data")
    if listed is None:
        # Recent API versions leave the refunds out of the charge: ask for them.
        listed = gateway_for(config).refunds_for(charge.get("payment_intent"))
    outcomes = [_record_gateway_refund(session, item, now) for item in listed]
    return ", ".join(outcomes) or "no refunds"


HANDLERS = {
    "checkout.session.completed": checkout_paid,
    "checkout.session.async_payment_succeeded": checkout_paid,
    "checkout.session.async_payment_failed": checkout_ended,
    "checkout.session.expired": checkout_ended,
    "charge.refunded": charge_refunded,
    "refund.created": refund_changed,
    "refund.updated": refund_changed,
}


# ----------------------------------------------------------------------------- owner


def mark_paid_manually(
    session, booking, *, amount_cents, paid_on, reference, method="interac", user, now
):
    """The owner received an Interac transfer or a paid invoice: record it, confirm, commit.

    Raises SlotNoLongerAvailable (nothing recorded) when the hold lapsed and the slot went
    to someone else: she returns the money herself.
    """
    session = plain_session(session)
    begin_serialized_write(session)
    try:
        payment = service.record_manual_payment(
            session,
            booking,
            amount_cents=amount_cents,
            paid_on=paid_on,
            reference=reference,
            method=method,
            user=user,
            now=now,
        )
        booking_service.confirm_paid(session, booking, now)
    except Exception:
        session.rollback()
        raise
    session.commit()
    return payment


# ----------------------------------------------------------------------------- demo


def demo_event(event_type, data_object, now):
    """A Stripe-shaped event, as Stripe would send it, for the demo checkout page."""
    return {
        "id": f"evt_demo_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": stripe.api_version,
        "created": int(now.timestamp()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {"object": data_object},
    }


def demo_checkout_object(booking, now, **fields):
    """The demo checkout session of `booking`, shaped like Stripe's."""
    return {
        "id": booking.gateway_session_id,
        "object": "checkout.session",
        "client_reference_id": str(booking.id),
        "metadata": {"booking_id": str(booking.id), "booking_reference": booking.reference},
        "amount_subtotal": booking.subtotal_cents,
        "amount_total": booking.total_cents,
        "currency": booking.currency.lower(),
        "customer_email": booking.client_email,
        "locale": booking.lang,
        "mode": "payment",
        "created": int(now.timestamp()),
        "expires_at": int(booking.hold_expires_at.timestamp()) if booking.hold_expires_at else None,
        "payment_intent": None,
        "payment_status": "unpaid",
        "status": "open",
        **fields,
    }


def sign(payload, secret, timestamp=None):
    """A Stripe-Signature header for `payload`, by the SDK's own scheme (t=..., v1=HMAC)."""
    return stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=int(timestamp if timestamp is not None else time.time())
    )


def send_demo_event(session, event, *, config, now):
    """Sign a demo event with DEMO_WEBHOOK_SECRET and hand it to the webhook's own code."""
    payload = json.dumps(event)
    signature = sign(payload, config["DEMO_WEBHOOK_SECRET"])
    return process_signed(session, payload.encode(), signature, config=config, now=now)
