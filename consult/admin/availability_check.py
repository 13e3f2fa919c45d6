"""Before her hours change: the confirmed sessions the change would leave outside them.

Adding time off, closing a date or shrinking her hours never moves a booked session: she is
warned, sees the sessions, and moves or cancels each from its page (or keeps it).
"""

import sqlalchemy as sa

from ..booking.models import CONFIRMED, Booking, DateOverride, TimeOff, WeeklyHours
from .coverage import uncovered


def _weekly(session):
    weekly = {}
    for row in session.scalars(sa.select(WeeklyHours)):
        weekly.setdefault(row.weekday, []).append((row.start_time, row.end_time))
    return weekly


def _overrides(session):
    return [
        (row.day, row.closed, row.start_time, row.end_time)
        for row in session.scalars(sa.select(DateOverride))
    ]


def _time_off(session, now):
    return [
        (row.starts_at, row.ends_at)
        for row in session.scalars(sa.select(TimeOff).where(TimeOff.ends_at > now))
    ]


def upcoming_sessions(session, now):
    return session.scalars(
        sa.select(Booking)
        .where(Booking.status == CONFIRMED, Booking.ends_at > now)
        .order_by(Booking.starts_at)
    ).all()


def outside_hours(session, now, zone):
    """Confirmed sessions to come that her hours and time off, as they stand, do not cover."""
    sessions = upcoming_sessions(session, now)
    if not sessions:
        return []
    return uncovered(sessions, _weekly(session), _overrides(session), _time_off(session, now), zone)


def newly_outside(session, now, zone, *, weekly=None, override=None, time_off=None):
    """The sessions a change would leave outside her hours that are inside them today.

    `weekly` replaces the week's hours ({weekday: [(start, end)]}); `override` adds a date's
    hours (day, closed, start, end); `time_off` adds a span (start, end).
    """
    sessions = upcoming_sessions(session, now)
    if not sessions:
        return []
    current_weekly, overrides = _weekly(session), _overrides(session)
    spans = _time_off(session, now)
    before = {b.id for b in uncovered(sessions, current_weekly, overrides, spans, zone)}
    after = uncovered(
        sessions,
        current_weekly if weekly is None else weekly,
        overrides + ([override] if override else []),
        spans + ([time_off] if time_off else []),
        zone,
    )
    return [booking for booking in after if booking.id not in before]
