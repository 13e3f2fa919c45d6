"""The owner's changes to offers, availability and bookings, each written with its audit entry."""

from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa

from ..audit import record
from ..booking import service as booking_service
from ..booking.models import (
    COMPLETED,
    NO_SHOW,
    AvailabilityRules,
    DateOverride,
    Offer,
    TimeOff,
    WeeklyHours,
)
from ..database import write
from ..payments import refunds, settlement
from ..payments import service as payments_service
from .localtime import overlapping

RULE_FIELDS = (
    "min_notice_hours",
    "horizon_days",
    "slot_step_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "daily_max_sessions",
)
OFFER_FIELDS = (
    "slug",
    "slug_en",
    "title_fr",
    "title_en",
    "description_fr",
    "description_en",
    "duration_minutes",
    "price_cents",
    "taxable",
    "active",
    "flagship",
    "position",
    "meeting_mode",
    "meeting_url",
    "meeting_phone",
    "meeting_address",
)
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class OverrideClash(ValueError):
    """A date override that contradicts another one on the same day."""


class SlugTaken(ValueError):
    """Another offer already uses this address name."""


class TooEarly(ValueError):
    """A session cannot be marked completed or a no-show before it starts."""


def load_rules(session):
    """The rules row, or unsaved defaults (slots.Rules') when she has none yet."""
    rules = session.get(AvailabilityRules, 1)
    if rules is None:
        rules = AvailabilityRules(id=1, **booking_service.rule_defaults())
    return rules


def _hhmm(value):
    return value.strftime("%H:%M") if value else None


def rules_snapshot(rules):
    return {name: getattr(rules, name) for name in RULE_FIELDS}


def save_rules(session, user, rules, values, now):
    """Update the booking rules (creating the row the first time)."""
    with write(session):
        before = rules_snapshot(rules) if sa.inspect(rules).persistent else None
        if before is None:
            # Inserted with its defaults first: the ORM would turn a None cap back into the default.
            session.add(rules)
            session.flush()
        for name in RULE_FIELDS:
            setattr(rules, name, values[name])
        rules.updated_at = now
        record(session, user, "availability.rules", rules, before, rules_snapshot(rules))


def weekly_snapshot(session):
    rows = session.scalars(
        sa.select(WeeklyHours).order_by(WeeklyHours.weekday, WeeklyHours.start_time)
    )
    snapshot = {name: [] for name in WEEKDAY_NAMES}
    for row in rows:
        snapshot[WEEKDAY_NAMES[row.weekday]].append(
            f"{_hhmm(row.start_time)}-{_hhmm(row.end_time)}"
        )
    return snapshot


def replace_weekly_hours(session, user, intervals_by_weekday):
    """Replace the weekly hours with `{weekday: [(start, end), ...]}`; refuses overlaps."""
    with write(session):
        for weekday, intervals in intervals_by_weekday.items():
            if overlapping(intervals):
                raise OverrideClash(f"overlapping intervals on weekday {weekday}")
        before = weekly_snapshot(session)
        session.execute(sa.delete(WeeklyHours))
        for weekday, intervals in sorted(intervals_by_weekday.items()):
            for start, end in intervals:
                session.add(WeeklyHours(weekday=weekday, start_time=start, end_time=end))
        session.flush()
        after = weekly_snapshot(session)
        rules = load_rules(session)
        if before != after:
            record(session, user, "availability.weekly_hours", rules, before, after)
        return before != after


def override_snapshot(override):
    return {
        "day": override.day.isoformat(),
        "closed": override.closed,
        "start": _hhmm(override.start_time),
        "end": _hhmm(override.end_time),
        "note": override.note,
    }


def add_override(session, user, day, closed, start, end, note):
    """Other hours (or none) on one local date; raises OverrideClash if it contradicts another."""
    with write(session):
        same_day = session.scalars(sa.select(DateOverride).where(DateOverride.day == day)).all()
        if closed and same_day:
            raise OverrideClash("the day already has other hours")
        if any(other.closed for other in same_day):
            raise OverrideClash("the day is already closed")
        if not closed:
            intervals = [(start, end), *((o.start_time, o.end_time) for o in same_day)]
            if overlapping(intervals):
                raise OverrideClash("overlaps other hours that day")
        override = DateOverride(
            day=day,
            closed=closed,
            start_time=None if closed else start,
            end_time=None if closed else end,
            note=note or "",
        )
        session.add(override)
        session.flush()
        record(
            session, user, "availability.override_add", override, None, override_snapshot(override)
        )
        return override


def remove_override(session, user, override):
    with write(session):
        record(
            session,
            user,
            "availability.override_remove",
            override,
            override_snapshot(override),
            None,
        )
        session.delete(override)


def time_off_snapshot(time_off):
    return {
        "starts_at": time_off.starts_at.isoformat(),
        "ends_at": time_off.ends_at.isoformat(),
        "reason": time_off.reason,
    }


def add_time_off(session, user, starts_at, ends_at, reason):
    """Block [starts_at, ends_at) (aware datetimes, stored in UTC)."""
    with write(session):
        time_off = TimeOff(starts_at=starts_at, ends_at=ends_at, reason=reason or "")
        session.add(time_off)
        session.flush()
        record(
            session, user, "availability.time_off_add", time_off, None, time_off_snapshot(time_off)
        )
        return time_off


def remove_time_off(session, user, time_off):
    with write(session):
        record(
            session,
            user,
            "availability.time_off_remove",
            time_off,
            time_off_snapshot(time_off),
            None,
        )
        session.delete(time_off)


def offer_snapshot(offer):
    return {name: getattr(offer, name) for name in OFFER_FIELDS}


def save_offer(session, user, offer, values):
    """Create (offer=None) or update an offer. A new flagship takes the title from the old one."""
    with write(session):
        # Either name finds the offer in either language: none may be another offer's.
        for name in ("slug", "slug_en"):
            same_slug = sa.select(Offer.id).where(
                sa.or_(Offer.slug == values[name], Offer.slug_en == values[name])
            )
            if offer is not None:
                same_slug = same_slug.where(Offer.id != offer.id)
            if session.scalar(same_slug) is not None:
                raise SlugTaken(name)
        before = offer_snapshot(offer) if offer is not None else None
        if offer is None:
            offer = Offer()
            session.add(offer)
        for name in OFFER_FIELDS:
            setattr(offer, name, values[name])
        session.flush()
        if offer.flagship:
            for other in session.scalars(
                sa.select(Offer).where(Offer.flagship.is_(True), Offer.id != offer.id)
            ):
                other.flagship = False
                record(
                    session, user, "offer.update", other, {"flagship": True}, {"flagship": False}
                )
        record(
            session,
            user,
            "offer.create" if before is None else "offer.update",
            offer,
            before,
            offer_snapshot(offer),
        )
        return offer


def save_notes(session, user, booking, notes):
    with write(session):
        before = {"owner_notes": booking.owner_notes}
        booking.owner_notes = notes
        record(session, user, "booking.notes", booking, before, {"owner_notes": notes})


def mark_attendance(session, user, booking, status, now):
    """Mark a session that has started as completed or a no-show (IllegalTransition otherwise)."""
    with write(session):
        if status not in (COMPLETED, NO_SHOW):
            raise ValueError(f"not an attendance status: {status}")
        if now < booking.starts_at:
            raise TooEarly(booking.reference)
        before = {"status": booking.status}
        booking.transition(status)
        record(session, user, f"booking.{status}", booking, before, {"status": status})


# Actions that go through the booking and payments services, which take their own locks,
# write the audit entry in the same transaction as the change, and commit.


def cancel_booking(session, user, booking, now, *, refund, reason, business, config):
    """Cancel on her word; `refund` gives back all that remains paid (after the commit)."""
    return booking_service.cancel(
        session,
        booking,
        now,
        business=business,
        config=config,
        by=user,
        refund=refund,
        reason=reason,
    )


def reschedule_booking(session, user, booking, new_starts_at, now, *, business):
    """Move the session to another free slot on the prospect's behalf. Commits."""
    return booking_service.reschedule(
        session, booking, new_starts_at, now, business=business, by=user
    )


def refund_part(session, user, payment, amount_cents, *, reason, now, config):
    """Give back part of a payment (never more than remains); audited by payments.

    The gateway is asked first, outside any transaction; the credit note, its audit entry
    and its number then commit together.
    """
    return payments_service.refund(
        session, payment, amount_cents, reason=reason, user=user, now=now, config=config
    )


def settle_owed_refunds(session, booking, *, config, now):
    """Try again the refunds still owed on the booking's payments; (settled, failed)."""
    ids = [payment.id for payment in payments_service.payments_of(session, booking)]
    return refunds.settle_owed(session, config=config, now=now, payment_ids=ids)


def record_manual_payment(session, user, booking, now, *, business, **payment):
    """Money received outside a gateway: record it and confirm the booking. Commits.

    `payment` holds amount_cents, paid_on, reference and method; payments audits it.
    """
    return settlement.mark_paid_manually(
        session, booking, user=user, business=business, now=now, **payment
    )


def reschedule_choices(session, booking, now, business):
    """The free slots she may move a confirmed booking to: her rules, without the notice."""
    availability = booking_service.load_availability(session, business)
    availability = replace(availability, rules=replace(availability.rules, min_notice_hours=0))
    return booking_service.find_open_slots(
        session, booking.offer, now, business, exclude_id=booking.id, availability=availability
    )


def preview_slots(session, offer, now, business, days=14):
    """The offer's free slots over the next `days` days, as the rules stand."""
    return booking_service.find_open_slots(
        session, offer, now, business, until=now + timedelta(days=days)
    )
