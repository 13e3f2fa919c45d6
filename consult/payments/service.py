"""Taking and giving back money: checkouts, the ledger's payments and refunds, their numbers.

The ledger functions (record_payment, record_refund, owe_refund, record_manual_payment) run
inside the caller's write boundary: the payment, the booking change and the emails commit
together, and a rollback gives the receipt number back to the sequence. The use cases that
call a gateway (start_checkout, refund) call it outside any transaction, then record what it
did in a short write; refunds decided inside a transaction are owed, and refunds.settle_owed
makes them after the commit.
This module never imports booking.service (which imports it); settlement.py joins the two.
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import orm as so

from ..audit import record as audit
from ..booking.models import HELD
from ..business import current as current_business
from ..database import release_read, write
from ..mail.outbox import queue_templated
from . import taxes
from .gateways import GatewayError, gateway_for, gateway_for_method
from .models import PAYMENT, REFUND, Counter, LedgerEntry, LedgerTax, PaymentAnomaly
from .notices import queue_refund_notice

__all__ = [
    "GatewayError",
    "HoldLapsed",
    "InvalidPayment",
    "PaymentUnavailable",
    "RefundTooLarge",
    "hold_minutes",
    "owe_booking_refunds",
    "owe_refund",
    "record_manual_payment",
    "record_payment",
    "record_refund",
    "refund",
    "remaining_refundable",
    "start_checkout",
]

#: (counter name, number prefix) of each gap-free sequence.
RECEIPTS = ("receipt", "R-")
CREDIT_NOTES = ("credit_note", "CN-")
#: Methods the owner may record by hand.
MANUAL_METHODS = ("interac", "other")
#: Stripe's shortest Checkout expiry: no hold paid through a gateway is shorter.
MIN_HOLD_MINUTES = 30


class RefundTooLarge(ValueError):
    """A refund asked for more than what remains of the payment."""

    def __init__(self, asked_cents, remaining_cents):
        super().__init__(f"refund of {asked_cents} cents asked, {remaining_cents} remain")
        self.asked_cents = asked_cents
        self.remaining_cents = remaining_cents


class InvalidPayment(ValueError):
    """A payment or refund that cannot be recorded (amount not positive, date in the future...)."""


class PaymentUnavailable(RuntimeError):
    """The gateway could not start a checkout; the hold stays and the prospect may retry."""


class HoldLapsed(RuntimeError):
    """The hold ended (or was cancelled) while the checkout was being made: nothing to pay."""


# ----------------------------------------------------------------------------- checkout


def hold_minutes(config):
    """How long a new booking's hold lasts with the configured gateway."""
    if config["PAYMENT_GATEWAY"] == "manual":
        return config["MANUAL_HOLD_HOURS"] * 60
    return max(config["HOLD_MINUTES"], MIN_HOLD_MINUTES)


def checkout_terms(booking):
    """The terms she accepted, in her language, for the gateway's own checkout page."""
    with force_locale(booking.lang):
        text = render_template("payments/_checkout_terms.txt", booking=booking, lang=booking.lang)
    return " ".join(text.split())


def start_checkout(session, booking, *, business, config, now):
    """Start paying for a held booking; returns where to send the browser.

    The gateway is called outside any transaction, under an idempotency key per booking and
    previous checkout (a retry after a timeout gets the same Checkout Session back). Then a
    short write checks that the hold is still hers and records the checkout; the older
    checkout is closed after the commit, and its expiry releases nothing.
    Raises PaymentUnavailable when the gateway cannot be reached (the hold stays), and
    HoldLapsed when the hold ended meanwhile.
    """
    gateway = gateway_for(config)
    previous = booking.gateway_session_id
    offer = booking.offer
    release_read(session)
    try:
        checkout = gateway.start_checkout(
            booking,
            success_url=business.url(
                "booking.status", lang=booking.lang, token=booking.manage_token
            ),
            # Back to the times in her own zone (the page would otherwise guess it again).
            cancel_url=business.url(
                "booking.offer",
                lang=booking.lang,
                slug=offer.slug_in(booking.lang),
                tz=booking.time_zone,
            ),
            now=now,
            idempotency_key=f"consult-checkout-{booking.id}-{previous or 'first'}",
            business=business,
            terms=checkout_terms(booking),
        )
    except GatewayError as error:
        raise PaymentUnavailable(str(error)) from error
    with write(session) as tx:
        tx.lock(booking)
        lapsed = booking.status != HELD or not booking.hold_is_live(now)
        if not lapsed:
            replaced = booking.gateway_session_id
            if replaced and replaced != checkout.session_id and booking.gateway == gateway.name:
                tx.after_commit(gateway.abandon, replaced)
            if gateway.name == "manual" and replaced is None:
                _queue_manual_instructions(booking, config)
            booking.gateway = gateway.name
            booking.gateway_session_id = checkout.session_id
            booking.payment_declined_at = None  # a new attempt
    if lapsed:
        gateway.abandon(checkout.session_id)
        raise HoldLapsed(booking.reference)
    return checkout.url


def _queue_manual_instructions(booking, config):
    """The prospect keeps the amount, the reference and the deadline in her mailbox."""
    queue_templated(
        booking.client_email,
        "payments_manual_instructions",
        booking.lang,
        subject=lambda: _(
            "How to pay for your session (%(reference)s)", reference=booking.reference
        ),
        topic=f"payments_manual_instructions:{booking.id}",
        booking=booking,
        breakdown=booking_breakdown(booking),
        instructions=config["MANUAL_PAYMENT_INSTRUCTIONS"],
    )


# ----------------------------------------------------------------------------- numbering


def next_number(session, sequence):
    """The next number of a gap-free sequence, e.g. "R-000042".

    One atomic upsert with RETURNING: on PostgreSQL it row-locks the counter until the
    caller's transaction ends, so concurrent payments queue for their number and a rollback
    hands it back; SQLite serializes writers on its own.
    """
    name, prefix = sequence
    with write(session) as tx:
        statement = (
            tx.insert(Counter)
            .values(name=name, value=1)
            .on_conflict_do_update(index_elements=[Counter.name], set_={"value": Counter.value + 1})
            .returning(Counter.value)
        )
        value = session.execute(statement).scalar_one()
    return f"{prefix}{value:06d}"


# ----------------------------------------------------------------------------- payments


def booking_breakdown(booking):
    """The booking's price as computed when it was reserved."""
    return taxes.Breakdown(booking.subtotal_cents, taxes.lines_from_dicts(booking.tax_lines))


def entry_breakdown(entry):
    """A ledger row's subtotal and taxes as a Breakdown (signed like the row)."""
    return taxes.Breakdown(
        entry.subtotal_cents,
        tuple(
            taxes.TaxLine(tax.code, tax.name, Decimal(tax.rate), tax.registration, tax.amount_cents)
            for tax in entry.taxes
        ),
    )


def describe(booking, time_zone):
    """The service as a receipt names it: the offer and when it takes place."""
    local = booking.starts_at.astimezone(ZoneInfo(time_zone))
    return f"{booking.offer.title(booking.lang)}, {local:%Y-%m-%d %H:%M} ({time_zone})"[:255]


def ledger_tax_rows(breakdown):
    """The LedgerTax rows of a tax breakdown, signed like it."""
    return [
        LedgerTax(
            code=line.code,
            name=line.name,
            rate=str(line.rate),
            registration=line.registration,
            amount_cents=line.cents,
        )
        for line in breakdown.lines
    ]


def record_payment(
    session,
    booking,
    *,
    method,
    total_cents,
    occurred_at,
    user=None,
    stripe_checkout_session=None,
    stripe_payment_intent=None,
    stripe_charge=None,
    stripe_balance_transaction=None,
    fee_cents=None,
    net_cents=None,
    external_reference="",
    time_zone,
):
    """Add a payment to the ledger with the next receipt number, in the caller's write.

    Its taxes are the booking's; an amount other than the booking's total (an instalment)
    shares them out in the same proportions. `time_zone` (the owner's) is the
    one its description names the session's time in.
    """
    if total_cents <= 0:
        raise InvalidPayment("a payment must be more than zero")
    breakdown = booking_breakdown(booking)
    if total_cents != breakdown.total_cents:
        breakdown = taxes.split_total(total_cents, breakdown.lines, breakdown.subtotal_cents)
    with write(session):
        entry = LedgerEntry(
            kind=PAYMENT,
            number=next_number(session, RECEIPTS),
            booking=booking,
            occurred_at=occurred_at,
            method=method,
            currency=booking.currency,
            subtotal_cents=breakdown.subtotal_cents,
            tax_cents=breakdown.tax_cents,
            total_cents=total_cents,
            fee_cents=fee_cents,
            net_cents=net_cents,
            description=describe(booking, time_zone),
            client_name=booking.client_name,
            client_email=booking.client_email,
            stripe_checkout_session=stripe_checkout_session,
            stripe_payment_intent=stripe_payment_intent,
            stripe_charge=stripe_charge,
            stripe_balance_transaction=stripe_balance_transaction,
            external_reference=external_reference[:255],
            created_by_id=getattr(user, "id", None),
            taxes=ledger_tax_rows(breakdown),
        )
        session.add(entry)
        session.flush()
        return entry


def record_manual_payment(
    session,
    booking,
    *,
    amount_cents,
    paid_on,
    reference,
    method="interac",
    user=None,
    now,
    time_zone,
):
    """The owner records money received outside a gateway (Interac e-Transfer, invoice).

    `paid_on` is the local date she received it (noon in the consultant's zone is stored)
    or an aware datetime. Only records the payment: settlement.mark_paid_manually also
    confirms the booking. Runs in the caller's write.
    """
    if method not in MANUAL_METHODS:
        raise InvalidPayment(f"unknown manual payment method {method!r}")
    if amount_cents is None or amount_cents <= 0:
        raise InvalidPayment("the amount must be more than zero")
    if isinstance(paid_on, datetime):
        occurred_at = paid_on
    elif isinstance(paid_on, date):
        zone = ZoneInfo(time_zone)
        occurred_at = datetime.combine(paid_on, time(12), zone).astimezone(UTC)
    else:
        raise InvalidPayment("the payment date is missing")
    if occurred_at > now + timedelta(days=1):
        raise InvalidPayment("the payment date is in the future")
    with write(session):
        entry = record_payment(
            session,
            booking,
            method=method,
            total_cents=amount_cents,
            occurred_at=occurred_at,
            user=user,
            external_reference=reference.strip(),
            time_zone=time_zone,
        )
        audit(
            session,
            user,
            "payment.record_manual",
            entry,
            after={"number": entry.number, "amount_cents": amount_cents, "reference": reference},
        )
        return entry


# ----------------------------------------------------------------------------- refunds


def _refunded_so_far(session, payment):
    """(total, {tax code: cents}) already given back from `payment`, as positive cents."""
    total = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.total_cents), 0)).where(
            LedgerEntry.refund_of_id == payment.id
        )
    )
    by_code = dict(
        session.execute(
            sa.select(LedgerTax.code, sa.func.sum(LedgerTax.amount_cents))
            .join(LedgerEntry, LedgerTax.entry_id == LedgerEntry.id)
            .where(LedgerEntry.refund_of_id == payment.id)
            .group_by(LedgerTax.code)
        ).all()
    )
    return -total, {code: -cents for code, cents in by_code.items()}


def remaining_refundable(entry):
    """What can still be given back from a payment, in cents (refunds owed count as given)."""
    refunded, _ = _refunded_so_far(so.object_session(entry), entry)
    return entry.total_cents - refunded - (entry.refund_owed_cents or 0)


def find_refund(session, gateway_refund_id):
    if not gateway_refund_id:
        return None
    return session.scalar(
        sa.select(LedgerEntry).where(LedgerEntry.stripe_refund == gateway_refund_id)
    )


def refund_key(payment_entry, refunded_cents, amount_cents):
    """The idempotency key of a refund: the same refund asked twice is made once."""
    return (
        f"consult-{payment_entry.stripe_payment_intent or payment_entry.number}"
        f"-{refunded_cents}-{amount_cents}"
    )


def _check_refund(payment_entry, amount_cents):
    if payment_entry.kind != PAYMENT:
        raise InvalidPayment(f"{payment_entry.number} is not a payment")
    if amount_cents <= 0:
        raise InvalidPayment("a refund must be more than zero")


def refund(session, payment_entry, amount_cents, *, reason, user=None, now, config):
    """The owner gives back `amount_cents` of a payment now; returns its credit note.

    Reads what remains, asks the gateway outside any transaction (under the idempotency key
    refund_key builds, so a retry is one refund), then records the credit note with the
    gateway's refund id in a short write. A refund.created event may record it first: the
    ledger keeps it once. Raises RefundTooLarge past what remains, GatewayError when the
    gateway refused or did not answer (nothing recorded, nothing owed).
    """
    _check_refund(payment_entry, amount_cents)
    refunded, _ = _refunded_so_far(session, payment_entry)
    remaining_cents = payment_entry.total_cents - refunded - (payment_entry.refund_owed_cents or 0)
    if amount_cents > remaining_cents:
        raise RefundTooLarge(amount_cents, remaining_cents)
    gateway = gateway_for_method(payment_entry.method, config)
    release_read(session)
    result = gateway.refund(
        payment_entry,
        amount_cents,
        reason=reason,
        idempotency_key=refund_key(payment_entry, refunded, amount_cents),
    )
    with write(session):
        credit_note = record_refund(
            session,
            payment_entry,
            amount_cents,
            reason=reason,
            user=user,
            now=now,
            gateway_refund_id=result["id"] if result else None,
        )
        # The client is told in the same write: amount, each tax, a link to the note.
        queue_refund_notice(session, credit_note, current_business())
        return credit_note


def record_refund(
    session,
    payment_entry,
    amount_cents,
    *,
    reason,
    user=None,
    now,
    gateway_refund_id=None,
    settling_owed=False,
):
    """Record money given back as a new negative row with a credit-note number.

    The gateway has already made it (or the owner did, for a manual payment); a refund
    already in the ledger under `gateway_refund_id` is returned as it is. Runs in the
    caller's write, the payment row locked. Raises RefundTooLarge past what remains
    (`settling_owed`: the refund owed on the row is the one being recorded).
    """
    _check_refund(payment_entry, amount_cents)
    with write(session) as tx:
        tx.lock(payment_entry)
        existing = find_refund(session, gateway_refund_id)
        if existing is not None:
            return existing
        refunded, refunded_taxes = _refunded_so_far(session, payment_entry)
        remaining_cents = payment_entry.total_cents - refunded
        if not settling_owed:
            remaining_cents -= payment_entry.refund_owed_cents or 0
        if amount_cents > remaining_cents:
            raise RefundTooLarge(amount_cents, remaining_cents)
        return _credit_note(
            session,
            payment_entry,
            amount_cents,
            refunded,
            refunded_taxes,
            reason=reason,
            user=user,
            now=now,
            gateway_refund_id=gateway_refund_id,
        )


def _credit_note(
    session,
    payment_entry,
    amount_cents,
    refunded,
    refunded_taxes,
    *,
    reason,
    user,
    now,
    gateway_refund_id,
):
    original = entry_breakdown(payment_entry)
    remaining = taxes.Breakdown(
        original.subtotal_cents - (refunded - sum(refunded_taxes.values())),
        tuple(
            taxes.TaxLine(
                line.code,
                line.name,
                line.rate,
                line.registration,
                line.cents - refunded_taxes.get(line.code, 0),
            )
            for line in original.lines
        ),
    )
    given_back = taxes.refund_split(amount_cents, original, remaining)
    negative = taxes.Breakdown(
        -given_back.subtotal_cents,
        tuple(
            taxes.TaxLine(line.code, line.name, line.rate, line.registration, -line.cents)
            for line in given_back.lines
        ),
    )
    entry = LedgerEntry(
        kind=REFUND,
        number=next_number(session, CREDIT_NOTES),
        refund_of=payment_entry,
        booking_id=payment_entry.booking_id,
        occurred_at=now,
        method=payment_entry.method,
        currency=payment_entry.currency,
        subtotal_cents=negative.subtotal_cents,
        tax_cents=negative.tax_cents,
        total_cents=-amount_cents,
        # The session as it stands when the money goes back (a moved time, not the first).
        description=describe(payment_entry.booking, current_business().time_zone),
        client_name=payment_entry.client_name,
        client_email=payment_entry.client_email,
        stripe_checkout_session=payment_entry.stripe_checkout_session,
        stripe_payment_intent=payment_entry.stripe_payment_intent,
        stripe_charge=payment_entry.stripe_charge,
        stripe_refund=gateway_refund_id,
        reason=reason[:255],
        created_by_id=getattr(user, "id", None),
        taxes=ledger_tax_rows(negative),
    )
    session.add(entry)
    session.flush()
    audit(
        session,
        user,
        "payment.refund",
        entry,
        after={
            "number": entry.number,
            "of": payment_entry.number,
            "amount_cents": amount_cents,
            "reason": reason,
        },
    )
    return entry


def owe_refund(session, payment_entry, amount_cents, *, reason, user=None):
    """Decide, in the caller's write, that `amount_cents` of a payment goes back.

    Nothing leaves the process here: refunds.settle_owed asks the gateway after the commit
    and records the credit note; until then the payment row says what is owed, and why.
    """
    _check_refund(payment_entry, amount_cents)
    with write(session) as tx:
        tx.lock(payment_entry)
        left = remaining_refundable(payment_entry)
        if amount_cents > left:
            raise RefundTooLarge(amount_cents, left)
        payment_entry.refund_owed_cents = (payment_entry.refund_owed_cents or 0) + amount_cents
        payment_entry.refund_owed_reason = reason[:255]
        payment_entry.refund_owed_by_id = getattr(user, "id", None)
        payment_entry.refund_error = None
    return payment_entry


def owe_booking_refunds(session, booking, *, reason, user=None):
    """Owe back what remains of every payment of the booking; the payments owed, or []."""
    owed = []
    with write(session):
        for payment in payments_of(session, booking):
            left = remaining_refundable(payment)
            if left > 0:
                owed.append(owe_refund(session, payment, left, reason=reason, user=user))
    return owed


def payments_of(session, booking):
    """The booking's payments, oldest first."""
    return session.scalars(
        sa.select(LedgerEntry)
        .where(LedgerEntry.booking_id == booking.id, LedgerEntry.kind == PAYMENT)
        .order_by(LedgerEntry.id)
    ).all()


def recent_anomalies(session, limit=10):
    """The latest payments that did not match their booking's offer, newest first."""
    return session.scalars(
        sa.select(PaymentAnomaly).order_by(PaymentAnomaly.id.desc()).limit(limit)
    ).all()
