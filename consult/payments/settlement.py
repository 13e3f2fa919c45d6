"""Payment events turned into confirmed bookings, released holds and ledger rows.

Stripe's webhook and the demo checkout page both come through `process_signed`: the
signature is checked with the SDK; what the event needs from the gateway (a payment's fees,
a charge's refunds) is fetched before any transaction; then, in one write, the event id is
stored once and the event, the ledger and the booking change commit together. Refunds it
decides (a late or a second payment) are owed and made after the commit. Here (not in
service.py) payments meet booking.service, which itself imports payments.service.
"""

import json
import logging
import re
import secrets
import time
from datetime import UTC, datetime

import sqlalchemy as sa
import stripe
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..booking import service as booking_service
from ..booking.models import CONFIRMED, HELD, Booking
from ..database import release_read, write
from ..mail.outbox import queue_templated
from . import refunds, service
from .gateways import PaymentDetails, gateway_for
from .models import PAYMENT, LedgerEntry, PaymentAnomaly, WebhookEvent
from .notices import queue_refund_notice

log = logging.getLogger(__name__)

#: What the ledger says when a refund was made in Stripe's dashboard without a reason.
GATEWAY_REFUND_REASON = "Refunded through the payment gateway"
LATE_PAYMENT_REASON = "Paid after the time slot was no longer available"
DUPLICATE_PAYMENT_REASON = "Second payment for a booking already paid"
ANOMALY_REASON = "Payment did not match what the booking was offered"
#: Refund statuses that mean the money is going back.
REFUNDING = ("succeeded", "pending")


class InvalidSignature(ValueError):
    """The request is not a genuine, recent event from the gateway; nothing was touched."""


class MalformedEvent(ValueError):
    """Signed, but not an event this code can read safely; nothing was touched."""


#: A gateway id (evt_..., cs_..., pi_...): printable ASCII, no spaces, and short.
GATEWAY_ID = re.compile(r"[\x21-\x7e]{1,255}")
#: An ISO currency code as Stripe writes it (lower case), or as we do.
CURRENCY_CODE = re.compile(r"[A-Za-z]{3}")
#: Amounts and timestamps an event may carry: within the database's integers.
LARGEST_AMOUNT = 2**31 - 1
LATEST_TIMESTAMP = 10**10
#: The longest event type stored (WebhookEvent.type).
LONGEST_TYPE = 80


def webhook_secret(config):
    """The demo gateway signs with its own local secret; Stripe with the endpoint's."""
    if config["PAYMENT_GATEWAY"] == "demo":
        return config["DEMO_WEBHOOK_SECRET"]
    return config["STRIPE_WEBHOOK_SECRET"]


def verify(payload, signature, config):
    """The event in `payload` once its Stripe-Signature checks out, as plain dicts.

    Raises InvalidSignature (not signed by the secret, too old, or dated in the future: the
    SDK only checks the past) and MalformedEvent (signed, but not an event check_event
    accepts).
    """
    if not signature or not signature.isascii():
        raise InvalidSignature("no Stripe-Signature header in ASCII")
    tolerance = config["WEBHOOK_TOLERANCE_SECONDS"]
    try:
        text = payload.decode("utf-8") if isinstance(payload, bytes | bytearray) else payload
        stripe.WebhookSignature.verify_header(text, signature, webhook_secret(config), tolerance)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise InvalidSignature(str(error)) from error
    if _signed_at(signature) > time.time() + tolerance:
        raise InvalidSignature("timestamp in the future")
    try:
        event = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise MalformedEvent("not JSON") from error
    check_event(event)
    return event


def _signed_at(signature):
    """The t= of a Stripe-Signature header the SDK has already accepted."""
    for item in signature.split(","):
        key, _, value = item.partition("=")
        if key.strip() == "t":
            return int(value)
    return 0


def _is_id(value):
    return isinstance(value, str) and GATEWAY_ID.fullmatch(value) is not None


def _is_optional_id(value):
    return value is None or _is_id(value)


def _is_count(value, largest=LARGEST_AMOUNT):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= largest


def _has_nul(value):
    """Whether a NUL hides in any string (or key) of `value`, walked without recursion."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _refund_shape_problem(refund):
    if not isinstance(refund, dict) or not _is_id(refund.get("id")):
        return "a refund without an id"
    if not _is_count(refund.get("amount")):
        return "a refund without an amount"
    if not all(_is_optional_id(refund.get(key)) for key in ("payment_intent", "charge", "status")):
        return "a refund with unreadable ids"
    if not isinstance(refund.get("metadata") or {}, dict):
        return "a refund with unreadable metadata"
    reason = (refund.get("metadata") or {}).get("reason")
    if reason is not None and not isinstance(reason, str):
        return "a refund with an unreadable reason"
    if refund.get("created") is not None and not _is_count(refund["created"], LATEST_TIMESTAMP):
        return "a refund with an unreadable date"
    return None


def _shape_problem(event):
    """What makes `event` unreadable for its handler, or None when it is readable."""
    if not isinstance(event, dict):
        return "not an object"
    if not _is_id(event.get("id")):
        return "no readable id"
    kind = event.get("type")
    if not isinstance(kind, str) or not 0 < len(kind) <= LONGEST_TYPE:
        return "no readable type"
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        return "data without an object"
    if event.get("created") is not None and not _is_count(event["created"], LATEST_TIMESTAMP):
        return "no readable date"
    if _has_nul(event):
        return "a NUL character"
    item = data["object"]
    if kind.startswith("checkout.session."):
        metadata = item.get("metadata") or {}
        if not _is_id(item.get("id")) or not isinstance(metadata, dict):
            return "a checkout without an id"
        ids = (item.get("client_reference_id"), metadata.get("booking_id"))
        ids += (item.get("payment_intent"), item.get("payment_status"))
        if not all(_is_optional_id(value) for value in ids):
            return "a checkout with unreadable ids"
        if kind in PAID_EVENTS and item.get("payment_status") == "paid":
            if not _is_count(item.get("amount_total")):
                return "a paid checkout without an amount"
            if not isinstance(item.get("currency"), str) or not CURRENCY_CODE.fullmatch(
                item["currency"]
            ):
                return "a paid checkout without a currency"
    elif kind.startswith("payment_intent."):
        metadata = item.get("metadata") or {}
        if not _is_id(item.get("id")) or not isinstance(metadata, dict):
            return "a payment intent without an id"
        if not _is_optional_id(metadata.get("booking_id")):
            return "a payment intent with unreadable ids"
    elif kind.startswith("refund."):
        return _refund_shape_problem(item)
    elif kind == "charge.refunded":
        if not _is_optional_id(item.get("payment_intent")):
            return "a charge with unreadable ids"
        refunds_list = item.get("refunds")
        if refunds_list is not None:
            listed = refunds_list.get("data") if isinstance(refunds_list, dict) else ()
            if listed is not None and not isinstance(listed, list):
                return "a charge with unreadable refunds"
            for refund in listed or ():
                problem = _refund_shape_problem(refund)
                if problem:
                    return problem
    return None


def check_event(event):
    """Raise MalformedEvent unless `event` has every field its handler reads, well formed.

    Ids are short printable ASCII, amounts and dates integers the database holds, and no
    string anywhere holds a NUL (PostgreSQL refuses them): what passes is safe to store.
    """
    problem = _shape_problem(event)
    if problem:
        raise MalformedEvent(problem)


def process_signed(session, payload, signature, *, config, business, now):
    """Verify, then handle: the single way in for every gateway event. Returns the outcome.

    Raises InvalidSignature or MalformedEvent (nothing touched) and GatewayError when the
    gateway could not tell what the event needs (nothing touched either: the gateway sends
    the event again).
    """
    event = verify(payload, signature, config)
    return handle_event(session, event, config=config, business=business, now=now)


#: Event types whose handler needs the payment's details from the gateway.
PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")


def fetch_facts(event, config):
    """What the handler needs from the gateway, asked before the write (None otherwise)."""
    data = event["data"]["object"]
    if event["type"] in PAID_EVENTS:
        if data.get("payment_status") != "paid" or not data.get("payment_intent"):
            return None
        return gateway_for(config).payment_details(data["payment_intent"], data["amount_total"])
    if event["type"] == "charge.refunded":
        listed = (data.get("refunds") or {}).get("data")
        if listed is None:
            # Recent API versions leave the refunds out of the charge: ask for them.
            listed = gateway_for(config).refunds_for(data.get("payment_intent"))
        return listed
    return None


def handle_event(session, event, *, config, business, now):
    """Apply a verified event once; a repeat is acknowledged and changes nothing. Commits.

    The gateway is asked first, with no transaction open; the write then applies the event
    with what it said, and refunds it owes are made after the commit.
    """
    if session.get(WebhookEvent, event["id"]) is not None:
        return "duplicate"
    release_read(session)
    facts = fetch_facts(event, config)
    with write(session) as tx:
        if session.get(WebhookEvent, event["id"]) is not None:
            return "duplicate"
        try:
            with session.begin_nested():
                session.add(
                    WebhookEvent(id=event["id"], type=event["type"], payload=event, received_at=now)
                )
        except IntegrityError:
            # The same event, delivered twice at once: the other delivery applies it.
            return "duplicate"
        handler = HANDLERS.get(event["type"])
        context = {"config": config, "business": business, "now": now, "facts": facts}
        outcome = handler(tx, event, **context) if handler else "ignored"
    log.info("payment event %s %s: %s", event["id"], event["type"], outcome)
    return outcome


def _settle_after_commit(tx, payment, *, config, now):
    """Make the refund owed on `payment` once the write that owed it has committed."""
    tx.session.flush()
    tx.after_commit(
        refunds.settle_owed,
        tx.session,
        config=config,
        now=now,
        payment_ids=[payment.id],
        stop_at_failure=True,
    )


def _occurred_at(stripe_object, fallback):
    created = stripe_object.get("created")
    return datetime.fromtimestamp(created, UTC) if created else fallback


def _booking_of(tx, checkout):
    raw = checkout.get("client_reference_id") or (checkout.get("metadata") or {}).get("booking_id")
    try:
        booking_id = int(raw)
    except (TypeError, ValueError):
        return None
    if not 0 < booking_id <= LARGEST_AMOUNT:
        # An id no booking can have (PostgreSQL would refuse to compare it with an integer).
        return None
    # Row-locked, so two events about one booking apply one after the other.
    return tx.session.scalar(tx.lock_rows(sa.select(Booking).where(Booking.id == booking_id)))


# ----------------------------------------------------------------------------- checkouts


def checkout_paid(tx, event, *, config, business, now, facts):
    """checkout.session.completed and ...async_payment_succeeded: record, then confirm."""
    session = tx.session
    checkout = event["data"]["object"]
    if checkout.get("payment_status") != "paid":
        return "awaiting payment"
    booking = _booking_of(tx, checkout)
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
    mismatch = offered_mismatch(booking, checkout)
    if mismatch:
        return _record_anomaly(
            tx, event, booking, mismatch, config=config, business=business, now=now, facts=facts
        )
    already_paid = [
        entry
        for entry in service.payments_of(session, booking)
        if service.remaining_refundable(entry) > 0
    ]
    gateway = gateway_for(config)
    details = facts or PaymentDetails()
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
        time_zone=business.time_zone,
    )
    # Refunds made in the gateway before this event reached us.
    for gateway_refund in details.refunds:
        _record_gateway_refund(session, gateway_refund, now, business)

    if booking.status == CONFIRMED and already_paid:
        left = service.remaining_refundable(payment)
        if left:
            service.owe_refund(session, payment, left, reason=DUPLICATE_PAYMENT_REASON)
            _settle_after_commit(tx, payment, config=config, now=now)
        return "duplicate payment refunded"
    try:
        booking_service.confirm_paid(session, booking, now, business=business)
    except booking_service.SlotNoLongerAvailable:
        _refund_late_payment(tx, booking, payment, config=config, business=business, now=now)
        return "late payment refunded"
    return "confirmed"


def offered_mismatch(booking, checkout):
    """What of amount, currency and checkout differs from what `booking` was offered."""
    differs = []
    if checkout.get("amount_total") != booking.total_cents:
        differs.append("amount")
    if str(checkout.get("currency") or "").upper() != booking.currency.upper():
        differs.append("currency")
    if not booking.gateway_session_id or checkout.get("id") != booking.gateway_session_id:
        differs.append("checkout")
    return ",".join(differs)


def _record_anomaly(tx, event, booking, mismatch, *, config, business, now, facts):
    """Money that is not what the booking was offered: in the ledger as received, owed
    back in full, shown to the owner; the booking stays as it was."""
    session = tx.session
    checkout = event["data"]["object"]
    received = checkout["amount_total"]
    currency = checkout["currency"].upper()
    payment = None
    if received > 0:
        details = facts or PaymentDetails()
        payment = service.record_payment(
            session,
            booking,
            method=gateway_for(config).method,
            total_cents=received,
            occurred_at=_occurred_at(event, now),
            stripe_checkout_session=checkout.get("id"),
            stripe_payment_intent=checkout.get("payment_intent"),
            stripe_charge=details.charge,
            stripe_balance_transaction=details.balance_transaction,
            fee_cents=details.fee_cents,
            net_cents=details.net_cents,
            time_zone=business.time_zone,
        )
        # The ledger says what arrived, in the currency it arrived in.
        payment.currency = currency
        for gateway_refund in details.refunds:
            _record_gateway_refund(session, gateway_refund, now, business)
        left = service.remaining_refundable(payment)
        if left:
            service.owe_refund(session, payment, left, reason=ANOMALY_REASON)
            _settle_after_commit(tx, payment, config=config, now=now)
    session.add(
        PaymentAnomaly(
            booking=booking,
            payment=payment,
            event_id=event["id"],
            mismatch=mismatch,
            expected_cents=booking.total_cents,
            received_cents=received,
            expected_currency=booking.currency,
            received_currency=currency,
            expected_checkout=booking.gateway_session_id,
            received_checkout=checkout.get("id"),
            occurred_at=now,
        )
    )
    log.warning(
        "payment event %s for booking %s does not match its offer (%s): refunded, not confirmed",
        event["id"],
        booking.reference,
        mismatch,
    )
    return "anomaly refunded"


def _refund_late_payment(tx, booking, payment, *, config, business, now):
    """The slot went to someone else: owe the money back and tell both people."""
    session = tx.session
    left = service.remaining_refundable(payment)
    if left:
        service.owe_refund(session, payment, left, reason=LATE_PAYMENT_REASON)
        _settle_after_commit(tx, payment, config=config, now=now)
    context = {
        "booking": booking,
        "payment": payment,
        "refund_cents": left,
        "owner_zone": business.time_zone,
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
        business.owner_email,
        "payments_late_payment_refunded_owner",
        business.locale,
        subject=lambda: _(
            "Late payment refunded automatically: booking %(reference)s",
            reference=booking.reference,
        ),
        topic=f"payments_late_payment_refunded_owner:{booking.id}",
        **context,
    )


def checkout_ended(tx, event, *, config, business, now, facts):
    """checkout.session.expired and ...async_payment_failed: the hold is released."""
    checkout = event["data"]["object"]
    booking = _booking_of(tx, checkout)
    if booking is None:
        return "unknown booking"
    if booking.status != HELD:
        return "nothing held"
    if booking.gateway_session_id and booking.gateway_session_id != checkout.get("id"):
        # The prospect started another checkout since; that one holds the slot now.
        return "an older checkout"
    booking_service.release_hold(tx.session, booking, now)
    return "hold released"


def payment_failed(tx, event, *, config, business, now, facts):
    """payment_intent.payment_failed: her card was declined; the hold lasts, and her status
    page says so (she may try again or choose another time)."""
    booking = _booking_of(tx, event["data"]["object"])
    if booking is None:
        return "unknown booking"
    if not booking.hold_is_live(now):
        return "nothing held"
    booking.payment_declined_at = now
    return "decline recorded"


# ----------------------------------------------------------------------------- refunds


def _record_gateway_refund(session, gateway_refund, now, business):
    """A refund the gateway reports (ours, or one made in its dashboard) in the ledger once,
    and the client told of it once: amount, each tax, a link to the credit note."""
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
    reason = reason[:255]
    credit_note = service.record_refund(
        session,
        payment,
        amount,
        reason=reason,
        now=_occurred_at(gateway_refund, now),
        gateway_refund_id=gateway_refund["id"],
    )
    queue_refund_notice(session, credit_note, business)
    return "refund recorded"


def refund_changed(tx, event, *, config, business, now, facts):
    """refund.created / refund.updated: a refund (ours or the dashboard's) in the ledger once."""
    return _record_gateway_refund(tx.session, event["data"]["object"], now, business)


def charge_refunded(tx, event, *, config, business, now, facts):
    """charge.refunded: every refund of the charge (fetched before the write) in the ledger once."""
    outcomes = [_record_gateway_refund(tx.session, item, now, business) for item in facts or ()]
    return ", ".join(outcomes) or "no refunds"


HANDLERS = {
    "checkout.session.completed": checkout_paid,
    "checkout.session.async_payment_succeeded": checkout_paid,
    "checkout.session.async_payment_failed": checkout_ended,
    "checkout.session.expired": checkout_ended,
    "payment_intent.payment_failed": payment_failed,
    "charge.refunded": charge_refunded,
    "refund.created": refund_changed,
    "refund.updated": refund_changed,
}


# ----------------------------------------------------------------------------- owner


def mark_paid_manually(
    session, booking, *, amount_cents, paid_on, reference, method="interac", user, business, now
):
    """The owner received an Interac transfer or a paid invoice: record it, confirm, commit.

    Raises SlotNoLongerAvailable (nothing recorded) when the hold lapsed and the slot went
    to someone else: she returns the money herself.
    """
    with write(session):
        payment = service.record_manual_payment(
            session,
            booking,
            amount_cents=amount_cents,
            paid_on=paid_on,
            reference=reference,
            method=method,
            user=user,
            now=now,
            time_zone=business.time_zone,
        )
        booking_service.confirm_paid(session, booking, now, business=business)
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


def send_demo_event(session, event, *, config, business, now):
    """Sign a demo event with DEMO_WEBHOOK_SECRET and hand it to the webhook's own code."""
    payload = json.dumps(event)
    signature = sign(payload, config["DEMO_WEBHOOK_SECRET"])
    return process_signed(
        session, payload.encode(), signature, config=config, business=business, now=now
    )
