"""Booking operations: reserve a slot as a hold, confirm it on payment, release, cancel, move.

Each function takes the session and `now`. reserve, cancel, reschedule, release_expired_holds
and send_due_reminders own their transaction and commit; confirm_paid and release_hold run
inside the caller's (a payment event's) transaction and only flush, so the event, the ledger
and the booking commit together.
"""

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..audit import record
from ..database import begin_serialized_write, plain_session
from ..mail.outbox import queue_templated
from ..payments import service as payments
from ..payments.taxes import compute, profile_from_settings
from . import invitation, policy, slots
from .models import (
    BLOCKING,
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    HELD,
    AvailabilityRules,
    Booking,
    DateOverride,
    ExternalBusy,
    TimeOff,
    WeeklyHours,
)

#: How many other slots a "just taken" answer proposes.
NEXT_SLOTS = 5
#: The database constraint that refuses two overlapping busy intervals (PostgreSQL).
OVERLAP_CONSTRAINT = "bookings_no_overlap"
#: First key of the PostgreSQL advisory locks taken per local day (the second is the date).
DAY_LOCK_CLASS = 4_151


class SlotTaken(Exception):
    """Someone else holds or booked this time; `next_slots` are the next free ones."""

    def __init__(self, starts_at, next_slots):
        super().__init__(f"the slot at {starts_at:%Y-%m-%d %H:%M} UTC is taken")
        self.starts_at = starts_at
        self.next_slots = next_slots


class OutsidePolicy(Exception):
    """The request breaks a rule; `rule` names it (policy.STARTED, NOT_OFFERED, ...)."""

    def __init__(self, rule, message=None):
        super().__init__(message or f"refused by the {rule} rule")
        self.rule = rule


class SlotNoLongerAvailable(Exception):
    """A payment arrived for a booking whose slot is no longer its own (retaken or cancelled)."""


#: OutsidePolicy rules raised here besides those of policy.py.
NOT_OFFERED = "not_offered"
OFFER_INACTIVE = "offer_inactive"


# ----------------------------------------------------------------------------- availability


@dataclass(frozen=True)
class Availability:
    rules: slots.Rules
    weekly_hours: list
    overrides: list


def load_availability(session, config):
    """The owner's rules and hours as plain values (defaults when she has set none)."""
    row = session.scalar(sa.select(AvailabilityRules).order_by(AvailabilityRules.id).limit(1))
    if row is None:
        rules = slots.Rules(time_zone=config["TIME_ZONE"])
    else:
        rules = slots.Rules(
            time_zone=row.time_zone,
            min_notice_hours=row.min_notice_hours,
            horizon_days=row.horizon_days,
            slot_step_minutes=row.slot_step_minutes,
            buffer_before_minutes=row.buffer_before_minutes,
            buffer_after_minutes=row.buffer_after_minutes,
            daily_max_sessions=row.daily_max_sessions,
        )
    weekly = [
        slots.OpenHours(hours.weekday, hours.start_time, hours.end_time)
        for hours in session.scalars(sa.select(WeeklyHours))
    ]
    overrides = [
        slots.Override(row.day, row.closed, row.start_time, row.end_time)
        for row in session.scalars(sa.select(DateOverride))
    ]
    return Availability(rules, weekly, overrides)


def owner_zone(session, config):
    """The zone the consultant's hours are written in."""
    zone = session.scalar(sa.select(AvailabilityRules.time_zone).order_by(AvailabilityRules.id))
    return zone or config["TIME_ZONE"]


def _live(now):
    """Bookings that block their slot at `now`: expired holds never do, marked or not."""
    return sa.and_(
        Booking.status.in_(BLOCKING),
        sa.or_(Booking.status != HELD, Booking.hold_expires_at > now),
    )


def booked_spans(session, start, end, now, exclude_id=None):
    """Busy spans of live bookings overlapping [start, end), with their session starts."""
    query = sa.select(Booking.busy_starts_at, Booking.busy_ends_at, Booking.starts_at).where(
        _live(now), Booking.busy_starts_at < end, Booking.busy_ends_at > start
    )
    if exclude_id is not None:
        query = query.where(Booking.id != exclude_id)
    return [slots.Busy(row[0], row[1], row[2]) for row in session.execute(query)]


def blocked_spans(session, start, end):
    """Time off and the owner's external busy times overlapping [start, end)."""
    spans = []
    for model in (TimeOff, ExternalBusy):
        query = sa.select(model.starts_at, model.ends_at).where(
            model.starts_at < end, model.ends_at > start
        )
        spans.extend(slots.Busy(row[0], row[1]) for row in session.execute(query))
    return spans


def find_open_slots(
    session, offer, now, config, since=None, until=None, exclude_id=None, availability=None
):
    """The offer's free slots from the database's rules and busy times."""
    availability = availability or load_availability(session, config)
    rules = availability.rules
    start = since or now
    end = (until or now + timedelta(days=rules.horizon_days)) + timedelta(
        minutes=offer.duration_minutes
    )
    # A day of margin on each side: buffers, and whole local days for the daily cap.
    start, end = start - timedelta(days=1), end + timedelta(days=1)
    return slots.open_slots(
        rules,
        availability.weekly_hours,
        availability.overrides,
        blocked_spans(session, start, end),
        booked_spans(session, start, end, now, exclude_id),
        offer.duration_minutes,
        now,
        since=since,
        until=until,
    )


def _check_slot(session, offer, starts_at, now, config, availability, exclude_id=None):
    """Raise unless `starts_at` is an open slot of the offer right now."""
    window = {"since": starts_at, "until": starts_at}
    free = find_open_slots(
        session, offer, now, config, exclude_id=exclude_id, availability=availability, **window
    )
    if any(slot.starts_at == starts_at for slot in free):
        return
    without_bookings = slots.open_slots(
        availability.rules,
        availability.weekly_hours,
        availability.overrides,
        blocked_spans(session, starts_at - timedelta(days=1), starts_at + timedelta(days=1)),
        (),
        offer.duration_minutes,
        now,
        **window,
    )
    if not without_bookings:
        raise OutsidePolicy(NOT_OFFERED, f"{starts_at:%Y-%m-%d %H:%M} UTC is not offered")
    raise SlotTaken(starts_at, next_free_slots(session, offer, starts_at, now, config, exclude_id))


def next_free_slots(session, offer, after, now, config, exclude_id=None):
    return slots.next_after(
        find_open_slots(session, offer, now, config, exclude_id=exclude_id), after, NEXT_SLOTS
    )


def _lock_local_day(session, starts_at, rules):
    """With a daily cap, reservations for one local day take turns on PostgreSQL, so two
    sessions on different slots cannot both take the day's last place (the exclusion
    constraint only sees overlaps). SQLite's serialized write already orders them."""
    if rules.daily_max_sessions is None or _is_sqlite(session):
        return
    day = starts_at.astimezone(ZoneInfo(rules.time_zone)).date()
    session.execute(sa.select(sa.func.pg_advisory_xact_lock(DAY_LOCK_CLASS, day.toordinal())))


def _expire_stale_holds(session, busy_start, busy_end, now, exclude_id=None):
    """Holds past their deadline that overlap [busy_start, busy_end) become expired, so the
    database constraint (which sees only statuses) lets the slot go to someone else."""
    statement = sa.update(Booking).where(
        Booking.status == HELD,
        Booking.hold_expires_at <= now,
        Booking.busy_starts_at < busy_end,
        Booking.busy_ends_at > busy_start,
    )
    if exclude_id is not None:
        statement = statement.where(Booking.id != exclude_id)
    session.execute(statement.values(status=EXPIRED).execution_options(synchronize_session=False))


def _is_overlap_refusal(error):
    diag = getattr(error.orig, "diag", None)
    return getattr(diag, "constraint_name", None) == OVERLAP_CONSTRAINT


def _is_sqlite(session):
    return session.get_bind().dialect.name == "sqlite"


def _lock(session, booking, *, own_transaction):
    """Serialize changes to this booking: the write lock on SQLite, a row lock on PostgreSQL.

    With `own_transaction`, SQLite's lock is taken afresh (what was read is reloaded);
    otherwise the caller's open transaction is kept and is expected to hold the lock.
    """
    if not _is_sqlite(session):
        session.execute(sa.select(Booking.id).where(Booking.id == booking.id).with_for_update())
        session.refresh(booking)
    elif own_transaction or not plain_session(session).in_transaction():
        begin_serialized_write(plain_session(session))


# ----------------------------------------------------------------------------- reserve


#: Intake keys reserve() reads, with the Booking column each fills.
INTAKE_FIELDS = {
    "name": "client_name",
    "email": "client_email",
    "phone": "client_phone",
    "organisation": "organisation",
    "organisation_size": "organisation_size",
    "goal": "intake_goal",
    "consent": "consent_contact",
}


def reserve(
    session, *, offer, starts_at, intake, lang, time_zone, gateway, hold_minutes, config, now
):
    """Hold `starts_at` for the prospect until now + hold_minutes; commit and return it.

    Raises SlotTaken when someone else has it (with the next free slots) and OutsidePolicy
    when it was never an open slot. `intake` maps the INTAKE_FIELDS keys to the answers.
    """
    if _is_sqlite(session):
        begin_serialized_write(plain_session(session))
    if not offer.active:
        raise OutsidePolicy(OFFER_INACTIVE)
    availability = load_availability(session, config)
    rules = availability.rules
    ends_at = starts_at + timedelta(minutes=offer.duration_minutes)
    busy_start = starts_at - timedelta(minutes=rules.buffer_before_minutes)
    busy_end = ends_at + timedelta(minutes=rules.buffer_after_minutes)
    _lock_local_day(session, starts_at, rules)
    _expire_stale_holds(session, busy_start, busy_end, now)
    try:
        _check_slot(session, offer, starts_at, now, config, availability)
    except (SlotTaken, OutsidePolicy):
        session.rollback()
        raise

    breakdown = compute(offer.price_cents, profile_from_settings(config["TAXES"]), offer.taxable)
    booking = Booking(
        offer=offer,
        status=HELD,
        starts_at=starts_at,
        ends_at=ends_at,
        busy_starts_at=busy_start,
        busy_ends_at=busy_end,
        hold_expires_at=now + timedelta(minutes=hold_minutes),
        lang=lang,
        time_zone=time_zone,
        ics_uid=f"{uuid.uuid4()}@consult",
        subtotal_cents=breakdown.subtotal_cents,
        tax_lines=[line.as_dict() for line in breakdown.lines],
        total_cents=breakdown.total_cents,
        currency=offer.currency,
        gateway=gateway,
        created_at=now,
        **{column: intake[key] for key, column in INTAKE_FIELDS.items() if key in intake},
    )
    session.add(booking)
    try:
        session.flush()
    except IntegrityError as error:
        session.rollback()
        if not _is_overlap_refusal(error):
            raise
        raise SlotTaken(
            starts_at, next_free_slots(session, offer, starts_at, now, config)
        ) from None
    session.commit()
    return booking


# ----------------------------------------------------------------------------- payment


def confirm_paid(session, booking, now):
    """A verified payment confirms the booking (held, or expired but still free); idempotent.

    Raises SlotNoLongerAvailable when the slot went to someone else or the booking was
    cancelled: the caller refunds. Queues the prospect's confirmation with its invitation
    and the owner's notice. Flushes; the caller commits.
    """
    _lock(session, booking, own_transaction=False)
    if booking.status not in (HELD, EXPIRED):
        if booking.status == CANCELLED:
            raise SlotNoLongerAvailable(f"booking {booking.reference} was cancelled")
        return booking
    _expire_stale_holds(session, booking.busy_starts_at, booking.busy_ends_at, now, booking.id)
    if booked_spans(session, booking.busy_starts_at, booking.busy_ends_at, now, booking.id):
        raise SlotNoLongerAvailable(f"booking {booking.reference}: its slot was taken")
    if not booking.hold_is_live(now) and _day_is_full(session, booking, now):
        raise SlotNoLongerAvailable(f"booking {booking.reference}: its day is now full")
    try:
        with session.begin_nested():
            booking.transition(CONFIRMED)
            booking.confirmed_at = now
    except IntegrityError as error:
        if not _is_overlap_refusal(error):
            raise
        session.refresh(booking)
        raise SlotNoLongerAvailable(f"booking {booking.reference}: its slot was taken") from None
    _queue_confirmation(session, booking, now)
    return booking


def _day_is_full(session, booking, now):
    """Whether the other live sessions of the booking's local day already reach the cap.

    A live hold counted toward the cap when it was reserved; a lapsed one did not, and other
    sessions may have taken the day's last places since.
    """
    rules = load_availability(session, current_app.config).rules
    if rules.daily_max_sessions is None:
        return False
    _lock_local_day(session, booking.starts_at, rules)
    zone = ZoneInfo(rules.time_zone)
    day = booking.starts_at.astimezone(zone).date()
    day_start = datetime.combine(day, time(), zone)
    day_end = datetime.combine(day + timedelta(days=1), time(), zone)
    same_day = [
        span
        for span in booked_spans(session, day_start, day_end, now, booking.id)
        if day_start <= span.session_start < day_end
    ]
    return len(same_day) >= rules.daily_max_sessions


def release_hold(session, booking, now):
    """The hold ends without payment (checkout expired or declined); no-op unless held."""
    if booking.status == HELD:
        booking.transition(EXPIRED)
        session.flush()
    return booking


def release_expired_holds(session, now):
    """Mark every hold past its deadline as expired; returns how many. Idempotent."""
    result = session.execute(
        sa.update(Booking)
        .where(Booking.status == HELD, Booking.hold_expires_at <= now)
        .values(status=EXPIRED)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount


# ----------------------------------------------------------------------------- changes


@dataclass(frozen=True)
class Cancellation:
    booking: Booking
    #: What goes back to the prospect, in cents (0 when nothing was paid or refunded).
    refunded_cents: int


def cancel(session, booking, now, *, by=None, refund=None, reason=""):
    """Cancel a held or confirmed booking and commit.

    A prospect (`by=None`) follows the policy: refused once the session started, refunded in
    full inside the free-cancellation window, not after. The owner (`by=user`) may cancel
    any held or confirmed booking; she refunds in full unless `refund=False`.
    """
    _lock(session, booking, own_transaction=True)
    rules = policy.policy_from_settings(current_app.config)
    decision = policy.can_cancel(rules, status=booking.status, starts_at=booking.starts_at, now=now)
    if by is None:
        if not decision.allowed:
            raise OutsidePolicy(decision.broken_rule)
        give_refund = decision.refund
    else:
        if booking.status not in (HELD, CONFIRMED):
            raise OutsidePolicy(policy.NOT_ACTIVE)
        give_refund = refund is not False
    was_status = booking.status
    was_confirmed = was_status == CONFIRMED
    booking.transition(CANCELLED)
    booking.cancelled_at = now
    booking.cancel_reason = reason
    refunds = []
    if give_refund:
        refunds = payments.refund_booking_in_full(
            session, booking, reason=reason or "cancelled", user=by, now=now
        )
    refunded_cents = -sum(entry.total_cents for entry in refunds)
    if was_confirmed:
        booking.ics_sequence += 1
        _queue_cancellation(session, booking, now, refunded_cents, by_owner=by is not None)
    if by is not None:
        after = {
            "status": CANCELLED,
            "refund": give_refund,
            "refunded_cents": refunded_cents,
            "reason": reason,
        }
        record(session, by, "booking.cancel", booking, {"status": was_status}, after)
    session.commit()
    return Cancellation(booking, refunded_cents)


def move_decision(booking, rules, now):
    """Whether the prospect may still move `booking` herself under the policy `rules`."""
    return policy.can_reschedule(
        rules,
        status=booking.status,
        starts_at=booking.starts_at,
        reschedule_count=booking.reschedule_count,
        now=now,
    )


def reschedule(session, booking, new_starts_at, now, *, by=None):
    """Move a confirmed booking to another open slot in one statement, and commit.

    There is no moment where both slots or neither are held: the row changes in place. A
    prospect follows the policy (notice, number of moves); the owner may override it, and
    may ignore the minimum notice, but never the other bookings.
    """
    _lock(session, booking, own_transaction=True)
    config = current_app.config
    decision = move_decision(booking, policy.policy_from_settings(config), now)
    if by is None and not decision.allowed:
        raise OutsidePolicy(decision.broken_rule)
    if booking.status != CONFIRMED:
        raise OutsidePolicy(policy.NOT_ACTIVE)
    availability = load_availability(session, config)
    if by is not None:
        availability = replace(availability, rules=replace(availability.rules, min_notice_hours=0))
    rules = availability.rules
    offer = booking.offer
    ends_at = new_starts_at + timedelta(minutes=offer.duration_minutes)
    busy_start = new_starts_at - timedelta(minutes=rules.buffer_before_minutes)
    busy_end = ends_at + timedelta(minutes=rules.buffer_after_minutes)
    _lock_local_day(session, new_starts_at, rules)
    _expire_stale_holds(session, busy_start, busy_end, now)
    _check_slot(session, offer, new_starts_at, now, config, availability, exclude_id=booking.id)
    previous_starts_at = booking.starts_at
    try:
        with session.begin_nested():
            booking.starts_at, booking.ends_at = new_starts_at, ends_at
            booking.busy_starts_at, booking.busy_ends_at = busy_start, busy_end
            booking.ics_sequence += 1
            booking.reminder_sent_at = None
            if by is None:
                booking.reschedule_count += 1
    except IntegrityError as error:
        if not _is_overlap_refusal(error):
            raise
        session.rollback()
        raise SlotTaken(
            new_starts_at, next_free_slots(session, offer, new_starts_at, now, config)
        ) from None
    _queue_reschedule(session, booking, previous_starts_at, now, by_owner=by is not None)
    if by is not None:
        before = {"starts_at": previous_starts_at.isoformat()}
        after = {"starts_at": booking.starts_at.isoformat()}
        record(session, by, "booking.reschedule", booking, before, after)
    session.commit()
    return booking


# ----------------------------------------------------------------------------- reminders


def send_due_reminders(session, now, config):
    """Queue a reminder for each confirmed session starting within REMINDER_HOURS; never twice.

    Each booking is claimed by a guarded UPDATE (reminder_sent_at still empty) committed with
    its message, so two runs at once, or one after a crash, never remind twice.
    """
    horizon = now + timedelta(hours=config["REMINDER_HOURS"])
    due = session.scalars(
        sa.select(Booking.id).where(
            Booking.status == CONFIRMED,
            Booking.reminder_sent_at.is_(None),
            Booking.starts_at > now,
            Booking.starts_at <= horizon,
        )
    ).all()
    sent = 0
    for booking_id in due:
        if _is_sqlite(session):
            begin_serialized_write(plain_session(session))
        claimed = session.execute(
            sa.update(Booking)
            .where(Booking.id == booking_id, Booking.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:
            booking = session.get(Booking, booking_id)
            _queue_prospect(booking, "booking_reminder", lambda: _("Reminder: your session"))
            sent += 1
        session.commit()
    return sent


# ----------------------------------------------------------------------------- mail


def site_url(endpoint, **values):
    """An absolute link on SITE_URL, valid in emails whether or not a request is running."""
    from urllib.parse import urlsplit

    parts = urlsplit(current_app.config["SITE_URL"])
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def manage_url(booking):
    return site_url("booking.manage", lang=booking.lang, token=booking.manage_token)


def _invitation(booking):
    config = current_app.config
    return invitation.Invitation(
        uid=booking.ics_uid,
        sequence=booking.ics_sequence,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        summary=f"{booking.offer.title(booking.lang)} · {config['OWNER_NAME']}",
        description=manage_url(booking),
        organizer_name=config["OWNER_NAME"],
        organizer_email=config["OWNER_EMAIL"],
        attendee_name=booking.client_name,
        attendee_email=booking.client_email,
        url=manage_url(booking),
    )


def _queue_prospect(booking, template, subject, attachments=(), **context):
    queue_templated(
        booking.client_email,
        template,
        booking.lang,
        subject=subject,
        attachments=attachments,
        topic=f"{template}:{booking.id}",
        booking=booking,
        manage_url=manage_url(booking),
        **context,
    )


def _queue_owner(session, booking, event, subject, **context):
    config = current_app.config
    queue_templated(
        config["OWNER_EMAIL"],
        "booking_owner_notice",
        config["DEFAULT_LOCALE"],
        subject=subject,
        topic=f"booking_owner_{event}:{booking.id}",
        booking=booking,
        event=event,
        owner_zone=owner_zone(session, config),
        **context,
    )


def _queue_confirmation(session, booking, now):
    invite = invitation.attachment(_invitation(booking), invitation.REQUEST, now)
    _queue_prospect(booking, "booking_confirmed", lambda: _("Your session is confirmed"), [invite])
    _queue_owner(
        session,
        booking,
        "confirmed",
        lambda: _("New session booked: %(name)s", name=booking.client_name),
    )


def _queue_cancellation(session, booking, now, refunded_cents, by_owner):
    invite = invitation.attachment(_invitation(booking), invitation.CANCEL, now)
    _queue_prospect(
        booking,
        "booking_cancelled",
        lambda: _("Your session is cancelled"),
        [invite],
        refunded_cents=refunded_cents,
        by_owner=by_owner,
    )
    _queue_owner(
        session,
        booking,
        "cancelled",
        lambda: _("Session cancelled: %(name)s", name=booking.client_name),
        refunded_cents=refunded_cents,
        by_owner=by_owner,
    )


def _queue_reschedule(session, booking, previous_starts_at, now, by_owner):
    invite = invitation.attachment(_invitation(booking), invitation.REQUEST, now)
    _queue_prospect(
        booking,
        "booking_rescheduled",
        lambda: _("Your session has moved"),
        [invite],
        previous_starts_at=previous_starts_at,
        by_owner=by_owner,
    )
    _queue_owner(
        session,
        booking,
        "rescheduled",
        lambda: _("Session moved: %(name)s", name=booking.client_name),
        previous_starts_at=previous_starts_at,
        by_owner=by_owner,
    )
