"""What the desk reads: sessions in a span, live holds, the month's takings, calendar events."""

import sqlalchemy as sa

from ..booking.models import BLOCKING, HELD, Booking, DateOverride, TimeOff
from ..content.models import NEW as INQUIRY_NEW
from ..content.models import SpeakingInquiry
from ..payments.models import PAYMENT, REFUND, LedgerEntry

#: Sessions that took or will take place (not holds, not cancelled or expired).
SESSION_STATUSES = tuple(status for status in BLOCKING if status != HELD)


def sessions_between(session, start, end):
    """Confirmed, completed and no-show sessions starting in [start, end), earliest first."""
    return session.scalars(
        sa.select(Booking)
        .where(
            Booking.status.in_(SESSION_STATUSES),
            Booking.starts_at >= start,
            Booking.starts_at < end,
        )
        .order_by(Booking.starts_at)
    ).all()


def live_holds(session, now):
    """Bookings waiting for their payment whose hold has not run out, soonest deadline first."""
    return session.scalars(
        sa.select(Booking)
        .where(Booking.status == HELD, Booking.hold_expires_at > now)
        .order_by(Booking.hold_expires_at)
    ).all()


def new_inquiries(session, limit=5):
    """Speaking inquiries she has not answered yet, newest first, and how many in all."""
    waiting = sa.select(SpeakingInquiry).where(SpeakingInquiry.status == INQUIRY_NEW)
    count = session.scalar(sa.select(sa.func.count()).select_from(waiting.subquery()))
    rows = session.scalars(
        waiting.order_by(SpeakingInquiry.created_at.desc(), SpeakingInquiry.id.desc()).limit(limit)
    ).all()
    return rows, count


def net_takings(session, start, end):
    """Payments less refunds that moved in [start, end), in cents."""
    total = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.total_cents), 0)).where(
            LedgerEntry.occurred_at >= start, LedgerEntry.occurred_at < end
        )
    )
    return int(total)


def calendar_bookings(session, start, end, now):
    """Sessions and live holds that overlap [start, end)."""
    return session.scalars(
        sa.select(Booking)
        .where(
            Booking.starts_at < end,
            Booking.ends_at > start,
            sa.or_(
                Booking.status.in_(SESSION_STATUSES),
                sa.and_(Booking.status == HELD, Booking.hold_expires_at > now),
            ),
        )
        .order_by(Booking.starts_at)
    ).all()


def time_off_between(session, start, end):
    return session.scalars(
        sa.select(TimeOff)
        .where(TimeOff.starts_at < end, TimeOff.ends_at > start)
        .order_by(TimeOff.starts_at)
    ).all()


def overrides_between(session, first_day, last_day):
    return session.scalars(
        sa.select(DateOverride)
        .where(DateOverride.day >= first_day, DateOverride.day <= last_day)
        .order_by(DateOverride.day, DateOverride.start_time)
    ).all()


def bookings_filtered(status=None):
    """The bookings list's query: newest session first, optionally one status."""
    query = sa.select(Booking).order_by(Booking.starts_at.desc())
    if status:
        query = query.where(Booking.status == status)
    return query


def money_by_booking(session, booking_ids):
    """{booking id: (paid, refunded)} in cents, both positive, from the ledger."""
    if not booking_ids:
        return {}
    paid = sa.func.coalesce(
        sa.func.sum(sa.case((LedgerEntry.kind == PAYMENT, LedgerEntry.total_cents), else_=0)), 0
    )
    refunded = sa.func.coalesce(
        sa.func.sum(sa.case((LedgerEntry.kind == REFUND, -LedgerEntry.total_cents), else_=0)), 0
    )
    rows = session.execute(
        sa.select(LedgerEntry.booking_id, paid, refunded)
        .where(LedgerEntry.booking_id.in_(booking_ids))
        .group_by(LedgerEntry.booking_id)
    )
    return {booking_id: (int(p), int(r)) for booking_id, p, r in rows}
