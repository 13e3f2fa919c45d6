"""Refunds owed, made: the gateway is asked after the commit that decided them.

A cancellation, a late payment or a second payment decides a refund inside its write and
marks it on the payment row (refund_owed_cents). `settle_owed` then asks the gateway, with
no transaction open, under the refund's idempotency key, and records the credit note in a
short write. When the gateway refuses or does not answer, the refund stays owed with the
error: the owner sees it on the booking page, and the worker tries again every minute.
"""

import logging

import sqlalchemy as sa

from ..auth.models import User
from ..business import current as current_business
from ..database import release_read, write
from .gateways import GatewayError, gateway_for_method
from .models import PAYMENT, LedgerEntry
from .notices import queue_refund_notice
from .service import _refunded_so_far, record_refund, refund_key

log = logging.getLogger(__name__)

#: A refund owed without a reason of its own (never expected: owe_refund always has one).
OWED_REASON = "Refund owed"


def owed_payments(session, payment_ids=None):
    """Ids of the payments with a refund owed (among `payment_ids` when given), oldest first."""
    query = sa.select(LedgerEntry.id).where(
        LedgerEntry.kind == PAYMENT, LedgerEntry.refund_owed_cents.is_not(None)
    )
    if payment_ids is not None:
        query = query.where(LedgerEntry.id.in_(list(payment_ids)))
    return session.scalars(query.order_by(LedgerEntry.id)).all()


def settle_owed(session, *, config, now, payment_ids=None, stop_at_failure=False):
    """Make every refund owed (or those of `payment_ids`); returns (settled, failed).

    Safe to run twice at once: both ask the gateway under one idempotency key (one refund),
    and the write that records it finds the other's credit note, or nothing owed any more.
    `stop_at_failure` (a web request) leaves the rest to the worker once the gateway fails,
    so the request never waits for more than one call that times out.
    """
    settled = failed = 0
    for payment_id in owed_payments(session, payment_ids):
        outcome = _settle_one(session, payment_id, config=config, now=now)
        settled += outcome == "settled"
        failed += outcome == "failed"
        if failed and stop_at_failure:
            break
    return settled, failed


def _settle_one(session, payment_id, *, config, now):
    payment = session.get(LedgerEntry, payment_id)
    session.refresh(payment)
    amount = payment.refund_owed_cents
    if not amount:
        return "nothing owed"
    reason = payment.refund_owed_reason or OWED_REASON
    user = session.get(User, payment.refund_owed_by_id) if payment.refund_owed_by_id else None
    refunded, _ = _refunded_so_far(session, payment)
    gateway = gateway_for_method(payment.method, config)
    release_read(session)
    try:
        result = gateway.refund(
            payment,
            amount,
            reason=reason,
            idempotency_key=refund_key(payment, refunded, amount),
        )
    except GatewayError as error:
        log.warning("refund owed on %s not made: %s", payment.number, error)
        with write(session) as tx:
            tx.lock(payment)
            if payment.refund_owed_cents:
                payment.refund_error = str(error)[:500] or type(error).__name__
        return "failed"
    with write(session) as tx:
        tx.lock(payment)
        if payment.refund_owed_cents != amount:
            # Another run settled it meanwhile (and recorded the same gateway refund).
            return "nothing owed"
        credit_note = record_refund(
            session,
            payment,
            amount,
            reason=reason,
            user=user,
            now=now,
            gateway_refund_id=result["id"] if result else None,
            settling_owed=True,
        )
        queue_refund_notice(session, credit_note, current_business())
        # After recording: the row lock reloads the payment, which would undo these.
        payment.refund_owed_cents = None
        payment.refund_owed_reason = None
        payment.refund_owed_by_id = None
        payment.refund_error = None
    return "settled"
