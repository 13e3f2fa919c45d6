"""Booking operations: reserve a slot as a hold, confirm it on payment, release, cancel, move.

Each use case takes the session, the owner's Business settings and `now`, and runs in one
write boundary (database.write): reserve, cancel, reschedule, release_expired_holds and each
reminder claim commit on their own; confirm_paid and release_hold join the caller's write
(a payment event's), so the event, the ledger and the booking commit together. Nothing here
calls the network: a refund a cancellation gives is owed, and made after the commit.
"""

import secrets
import uuid
import zlib
from dataclasses import dataclass, fields, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..audit import record
from ..database import write
from ..mail.models import OutboxMessage
from ..mail.outbox import queue_templated
from ..mail.subjects import local_when
from ..payments import refunds
from ..payments import service as payments
from ..payments.taxes import compute
from ..privacy.service import record_booking_consent
from . import invitation, policy, slots
from .models import (
    BLOCKING,
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    HELD,
    IN_PERSON,
    PHONE,
    VIDEO,
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
#: First key of the advisory locks taken per email and per address while their live holds
#: are counted (the second is a checksum of the email or address key).
HOLD_COUNT_LOCK_CLASS = 4_152


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


class HeldForYou(Exception):
    """The slot is held for this email from another browser; the link to pay was mailed."""

    def __init__(self, booking):
        super().__init__(f"booking {booking.reference} already holds this slot")
        self.booking = booking


class TooManyHolds(Exception):
    """This email or this address already keeps as many unpaid holds as allowed; `by` says
    which ("email" or "address"). Nothing was held."""

    def __init__(self, by, limit):
        super().__init__(f"{limit} live holds per {by} already")
        self.by = by
        self.limit = limit


@dataclass(frozen=True)
class HoldLimits:
    """How many live holds one email and one client address may keep at once (None: any)."""

    per_email: int | None = None
    per_address: int | None = None


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


#: The rules the owner sets on her desk: every slots.Rules field but the zone, which is the
#: business's own. Their defaults are slots.Rules' defaults, the one place they are written.
RULE_NAMES = tuple(field.name for field in fields(slots.Rules) if field.name != "time_zone")


def rule_defaults():
    """The booking rules a new install starts with, by name."""
    defaults = slots.Rules()
    return {name: getattr(defaults, name) for name in RULE_NAMES}


def load_availability(session, business):
    """The owner's rules and hours as plain values (defaults when she has set none).

    Her hours are written in the business's zone, the one source of her time zone.
    """
    row = session.scalar(sa.select(AvailabilityRules).order_by(AvailabilityRules.id).limit(1))
    values = {} if row is None else {name: getattr(row, name) for name in RULE_NAMES}
    rules = slots.Rules(time_zone=business.time_zone, **values)
    weekly = [
        slots.OpenHours(hours.weekday, hours.start_time, hours.end_time)
        for hours in session.scalars(sa.select(WeeklyHours))
    ]
    overrides = [
        slots.Override(row.day, row.closed, row.start_time, row.end_time)
        for row in session.scalars(sa.select(DateOverride))
    ]
    return Availability(rules, weekly, overrides)


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
    session, offer, now, business, since=None, until=None, exclude_id=None, availability=None
):
    """The offer's free slots from the database's rules and busy times."""
    availability = availability or load_availability(session, business)
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


def _check_slot(session, offer, starts_at, now, business, availability, exclude_id=None):
    """Raise unless `starts_at` is an open slot of the offer right now."""
    window = {"since": starts_at, "until": starts_at}
    free = find_open_slots(
        session, offer, now, business, exclude_id=exclude_id, availability=availability, **window
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
    raise SlotTaken(
        starts_at, next_free_slots(session, offer, starts_at, now, business, exclude_id)
    )


def next_free_slots(session, offer, after, now, business, exclude_id=None):
    return slots.next_after(
        find_open_slots(session, offer, now, business, exclude_id=exclude_id), after, NEXT_SLOTS
    )


def _lock_local_day(tx, starts_at, rules):
    """With a daily cap, reservations for one local day take turns, so two sessions on
    different slots cannot both take the day's last place (the exclusion constraint only
    sees overlaps)."""
    if rules.daily_max_sessions is None:
        return
    day = starts_at.astimezone(ZoneInfo(rules.time_zone)).date()
    tx.lock_key(DAY_LOCK_CLASS, day.toordinal())


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


class _Overlap(Exception):
    """The database refused an overlapping busy interval; the write has rolled back."""


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
    "came_from": "came_from",
}


def reserve(session, *, held_tokens=(), address_key=None, hold_limits=None, **asked):
    """Hold a slot for the prospect until now + hold_minutes; commit and return the booking.

    `asked` holds offer, starts_at, intake (the INTAKE_FIELDS keys and their answers), lang,
    time_zone (hers), gateway, hold_minutes, business and now. Her own live hold of that
    slot (same offer, start and email), asked again from the browser that made it (its
    manage token is among `held_tokens`), is hers: her answers are updated and it is
    returned, so she goes back to payment. Asked from elsewhere, nothing changes: the link
    to pay is mailed to that address (once per hold) and HeldForYou is raised, so an email
    address alone never reveals or alters a booking. Raises SlotTaken when someone else has
    it (with the next free slots) and OutsidePolicy when it was never an open slot.

    `address_key` (an opaque key of the client's address, kept on the booking) and
    `hold_limits` bound how many live holds one email and one address keep: a new hold
    past either raises TooManyHolds. Her own hold, asked again, is always hers.
    """
    try:
        with write(session) as tx:
            booking = _reserve(
                tx,
                held_tokens=held_tokens,
                address_key=address_key,
                hold_limits=hold_limits or HoldLimits(),
                **asked,
            )
    except _Overlap:
        offer, starts_at, now = asked["offer"], asked["starts_at"], asked["now"]
        raise SlotTaken(
            starts_at, next_free_slots(session, offer, starts_at, now, asked["business"])
        ) from None
    if isinstance(booking, _HeldElsewhere):
        raise HeldForYou(booking.booking)
    return booking


def _reserve(
    tx,
    *,
    offer,
    starts_at,
    intake,
    lang,
    time_zone,
    gateway,
    hold_minutes,
    business,
    now,
    held_tokens,
    address_key,
    hold_limits,
):
    session = tx.session
    if not offer.active:
        raise OutsidePolicy(OFFER_INACTIVE)
    answers = {column: intake[key] for key, column in INTAKE_FIELDS.items() if key in intake}
    availability = load_availability(session, business)
    rules = availability.rules
    _lock_local_day(tx, starts_at, rules)
    own = _her_live_hold(tx, offer, starts_at, intake.get("email"), now)
    if own is not None and own.manage_token not in held_tokens:
        _queue_hold_link(tx.session, own, business)
        return _HeldElsewhere(own)
    if own is not None:
        for column, value in answers.items():
            setattr(own, column, value)
        own.lang, own.time_zone = lang, time_zone
        return own
    _check_hold_limits(tx, intake.get("email"), address_key, hold_limits, now)
    ends_at = starts_at + timedelta(minutes=offer.duration_minutes)
    busy_start = starts_at - timedelta(minutes=rules.buffer_before_minutes)
    busy_end = ends_at + timedelta(minutes=rules.buffer_after_minutes)
    _expire_stale_holds(session, busy_start, busy_end, now)
    _check_slot(session, offer, starts_at, now, business, availability)

    breakdown = compute(offer.price_cents, business.taxes, offer.taxable)
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
        client_address_hash=address_key,
        **answers,
    )
    give_meeting_room(booking, business)
    session.add(booking)
    try:
        session.flush()
    except IntegrityError as error:
        if not _is_overlap_refusal(error):
            raise
        raise _Overlap from None
    record_booking_consent(session, booking, now)
    return booking


def hold_again(session, booking, now, *, hold_minutes, business, address_key=None, limits=None):
    """Her hold ended unpaid and the time is still free: hold it for her again, with her
    answers and private link, until now + hold_minutes. Commits.

    Raises SlotTaken (with the next free times) when someone else has it since,
    OutsidePolicy when the time can no longer be booked at all, and TooManyHolds past the
    limits a new hold has.
    """
    try:
        with write(session) as tx:
            tx.lock(booking)
            if booking.hold_is_live(now):
                return booking
            if booking.status not in (HELD, EXPIRED):
                raise OutsidePolicy(policy.NOT_ACTIVE)
            if not booking.offer.active:
                raise OutsidePolicy(OFFER_INACTIVE)
            availability = load_availability(session, business)
            _lock_local_day(tx, booking.starts_at, availability.rules)
            _check_hold_limits(tx, booking.client_email, address_key, limits or HoldLimits(), now)
            _expire_stale_holds(
                session, booking.busy_starts_at, booking.busy_ends_at, now, exclude_id=booking.id
            )
            _check_slot(
                session,
                booking.offer,
                booking.starts_at,
                now,
                business,
                availability,
                exclude_id=booking.id,
            )
            if booking.status == EXPIRED:
                booking.transition(HELD)
            booking.hold_expires_at = now + timedelta(minutes=hold_minutes)
            booking.payment_declined_at = None
            try:
                session.flush()
            except IntegrityError as error:
                if not _is_overlap_refusal(error):
                    raise
                raise _Overlap from None
    except _Overlap:
        raise SlotTaken(
            booking.starts_at,
            next_free_slots(session, booking.offer, booking.starts_at, now, business),
        ) from None
    return booking


def give_up_hold(session, booking, now):
    """She chose to look for another time: her live hold ends now, and the time is free."""
    with write(session) as tx:
        tx.lock(booking)
        if booking.hold_is_live(now):
            booking.transition(EXPIRED)
            booking.hold_expires_at = now
    return booking


#: The audit action that records her acceptance of the no-refund terms before paying.
NO_REFUND_ACCEPTED = "booking.no_refund_accepted"


def record_no_refund_accepted(session, booking, free_cancellation_until, now):
    """Keep, with the booking, the moment she accepted that it cannot be refunded."""
    with write(session) as tx:
        record(
            tx.session,
            None,
            NO_REFUND_ACCEPTED,
            booking,
            after={
                "accepted_at": now.isoformat(),
                "free_cancellation_until": free_cancellation_until.isoformat(),
            },
        )


def _check_hold_limits(tx, email, address_key, limits, now):
    """Raise TooManyHolds when this email or address already keeps its share of live holds.

    Each count is taken under a lock on its email or address (PostgreSQL; SQLite's writers
    already take turns), so two submissions at once cannot both take the last place. The
    email's lock is always taken before the address's: two requests never wait on each other.
    """
    checks = []
    if limits.per_email is not None and email:
        email = email.strip().lower()
        checks.append(("email", limits.per_email, email, sa.func.lower(Booking.client_email)))
    if limits.per_address is not None and address_key:
        checks.append(("address", limits.per_address, address_key, Booking.client_address_hash))
    for by, limit, key, column in checks:
        tx.lock_key(HOLD_COUNT_LOCK_CLASS, zlib.crc32(f"{by}:{key}".encode()) - 2**31)
        live = tx.session.scalar(
            sa.select(sa.func.count())
            .select_from(Booking)
            .where(Booking.status == HELD, Booking.hold_expires_at > now, column == key)
        )
        if live >= limit:
            raise TooManyHolds(by, limit)


@dataclass(frozen=True)
class _HeldElsewhere:
    """_reserve's answer when the slot is held for this email by another browser."""

    booking: Booking


def _queue_hold_link(session, booking, business):
    """Mail the prospect the link to pay for her hold, once per hold."""
    topic = f"booking_hold_link:{booking.id}"
    if session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.topic == topic)):
        return
    _queue_prospect(
        booking,
        "booking_hold_link",
        lambda: _("Held for you: %(session)s — %(when)s", **_subject_of(booking)),
        business,
        status_url=business.url("booking.status", lang=booking.lang, token=booking.manage_token),
    )


def _her_live_hold(tx, offer, starts_at, email, now):
    """Her own hold of this slot, still live, when she submits the form for it again."""
    if not email:
        return None
    return tx.session.scalar(
        tx.lock_rows(
            sa.select(Booking)
            .where(
                Booking.offer_id == offer.id,
                Booking.starts_at == starts_at,
                Booking.status == HELD,
                Booking.hold_expires_at > now,
                sa.func.lower(Booking.client_email) == email.strip().lower(),
            )
            .order_by(Booking.id.desc())
            .limit(1)
        )
    )


# ----------------------------------------------------------------------------- payment


def confirm_paid(session, booking, now, *, business):
    """A verified payment confirms the booking (held, or expired but still free); idempotent.

    Raises SlotNoLongerAvailable when the slot went to someone else or the booking was
    cancelled: the caller refunds. Queues the prospect's confirmation with its invitation
    and the owner's notice. Joins the caller's write (commits when called on its own).
    """
    with write(session) as tx:
        return _confirm_paid(tx, booking, now, business)


def _confirm_paid(tx, booking, now, business):
    session = tx.session
    tx.lock(booking)
    if booking.status not in (HELD, EXPIRED):
        if booking.status == CANCELLED:
            raise SlotNoLongerAvailable(f"booking {booking.reference} was cancelled")
        return booking
    _expire_stale_holds(session, booking.busy_starts_at, booking.busy_ends_at, now, booking.id)
    if booked_spans(session, booking.busy_starts_at, booking.busy_ends_at, now, booking.id):
        raise SlotNoLongerAvailable(f"booking {booking.reference}: its slot was taken")
    if not booking.hold_is_live(now) and _day_is_full(tx, booking, now, business):
        raise SlotNoLongerAvailable(f"booking {booking.reference}: its day is now full")
    try:
        with session.begin_nested():
            booking.transition(CONFIRMED)
            booking.confirmed_at = now
            give_meeting_room(booking, business)
    except IntegrityError as error:
        if not _is_overlap_refusal(error):
            raise
        session.refresh(booking)
        raise SlotNoLongerAvailable(f"booking {booking.reference}: its slot was taken") from None
    _queue_confirmation(booking, now, business)
    return booking


def _day_is_full(tx, booking, now, business):
    """Whether the other live sessions of the booking's local day already reach the cap.

    A live hold counted toward the cap when it was reserved; a lapsed one did not, and other
    sessions may have taken the day's last places since.
    """
    session = tx.session
    rules = load_availability(session, business).rules
    if rules.daily_max_sessions is None:
        return False
    _lock_local_day(tx, booking.starts_at, rules)
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
    with write(session):
        if booking.status == HELD:
            booking.transition(EXPIRED)
            session.flush()
    return booking


def release_expired_holds(session, now):
    """Mark every hold past its deadline as expired; returns how many. Idempotent."""
    with write(session):
        result = session.execute(
            sa.update(Booking)
            .where(Booking.status == HELD, Booking.hold_expires_at <= now)
            .values(status=EXPIRED)
            .execution_options(synchronize_session=False)
        )
    return result.rowcount


# ----------------------------------------------------------------------------- changes


@dataclass(frozen=True)
class Cancellation:
    booking: Booking
    #: What goes back to the prospect, in cents (0 when nothing was paid or refunded).
    refunded_cents: int
    #: Of that, what the gateway has not made yet (it did not answer): owed, retried later.
    refund_pending_cents: int = 0


def cancel(session, booking, now, *, business, config, by=None, refund=None, reason=""):
    """Cancel a held or confirmed booking and commit; the refund is made after the commit.

    A prospect (`by=None`) follows the policy: refused once the session started, refunded in
    full inside the free-cancellation window, not after. The owner (`by=user`) may cancel
    any held or confirmed booking; she refunds in full unless `refund=False`. The refund is
    owed on the payments in the write, then asked of the gateway (`config` says which)
    once it has committed; if the gateway fails, it stays owed and the worker retries.
    """
    with write(session) as tx:
        owed = _cancel(tx, booking, now, business, config, by=by, refund=refund, reason=reason)
    refunded_cents = sum(amount for _payment, amount in owed)
    pending = sum(payment.refund_owed_cents or 0 for payment, _amount in owed)
    return Cancellation(booking, refunded_cents, pending)


def _cancel(tx, booking, now, business, config, *, by, refund, reason):
    session = tx.session
    tx.lock(booking)
    decision = policy.can_cancel(
        business.policy, status=booking.status, starts_at=booking.starts_at, now=now
    )
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
    owed = []
    if give_refund:
        payments_owed = payments.owe_booking_refunds(
            session, booking, reason=reason or "cancelled", user=by
        )
        owed = [(payment, payment.refund_owed_cents) for payment in payments_owed]
        if payments_owed:
            tx.after_commit(
                refunds.settle_owed,
                session,
                config=config,
                now=now,
                payment_ids=[payment.id for payment in payments_owed],
                stop_at_failure=True,
            )
    refunded_cents = sum(amount for _payment, amount in owed)
    if was_confirmed:
        booking.ics_sequence += 1
        _queue_cancellation(booking, now, refunded_cents, business, by_owner=by is not None)
    if by is not None:
        after = {
            "status": CANCELLED,
            "refund": give_refund,
            "refunded_cents": refunded_cents,
            "reason": reason,
        }
        record(session, by, "booking.cancel", booking, {"status": was_status}, after)
    return owed


def move_decision(booking, rules, now):
    """Whether the prospect may still move `booking` herself under the policy `rules`."""
    return policy.can_reschedule(
        rules,
        status=booking.status,
        starts_at=booking.starts_at,
        reschedule_count=booking.reschedule_count,
        now=now,
    )


def reschedule(session, booking, new_starts_at, now, *, business, by=None):
    """Move a confirmed booking to another open slot in one statement, and commit.

    There is no moment where both slots or neither are held: the row changes in place. A
    prospect follows the policy (notice, number of moves); the owner may override it, and
    may ignore the minimum notice, but never the other bookings.
    """
    try:
        with write(session) as tx:
            return _reschedule(tx, booking, new_starts_at, now, business, by=by)
    except _Overlap:
        raise SlotTaken(
            new_starts_at,
            next_free_slots(session, booking.offer, new_starts_at, now, business, booking.id),
        ) from None


def _reschedule(tx, booking, new_starts_at, now, business, *, by):
    session = tx.session
    tx.lock(booking)
    decision = move_decision(booking, business.policy, now)
    if by is None and not decision.allowed:
        raise OutsidePolicy(decision.broken_rule)
    if booking.status != CONFIRMED:
        raise OutsidePolicy(policy.NOT_ACTIVE)
    availability = load_availability(session, business)
    if by is not None:
        availability = replace(availability, rules=replace(availability.rules, min_notice_hours=0))
    rules = availability.rules
    offer = booking.offer
    ends_at = new_starts_at + timedelta(minutes=offer.duration_minutes)
    busy_start = new_starts_at - timedelta(minutes=rules.buffer_before_minutes)
    busy_end = ends_at + timedelta(minutes=rules.buffer_after_minutes)
    _lock_local_day(tx, new_starts_at, rules)
    _expire_stale_holds(session, busy_start, busy_end, now)
    _check_slot(session, offer, new_starts_at, now, business, availability, exclude_id=booking.id)
    previous_starts_at = booking.starts_at
    try:
        with session.begin_nested():
            booking.starts_at, booking.ends_at = new_starts_at, ends_at
            booking.busy_starts_at, booking.busy_ends_at = busy_start, busy_end
            booking.ics_sequence += 1
            booking.updated_at = now
            booking.reminder_sent_at = None
            if by is None:
                booking.reschedule_count += 1
    except IntegrityError as error:
        if not _is_overlap_refusal(error):
            raise
        raise _Overlap from None
    _queue_reschedule(booking, previous_starts_at, now, business, by_owner=by is not None)
    if by is not None:
        before = {"starts_at": previous_starts_at.isoformat()}
        after = {"starts_at": booking.starts_at.isoformat()}
        record(session, by, "booking.reschedule", booking, before, after)
    return booking


# ----------------------------------------------------------------------------- reminders


def send_due_reminders(session, now, config, business):
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
        with write(session):
            claimed = session.execute(
                sa.update(Booking)
                .where(Booking.id == booking_id, Booking.reminder_sent_at.is_(None))
                .values(reminder_sent_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount == 1:
                booking = session.get(Booking, booking_id)
                _queue_prospect(
                    booking,
                    "booking_reminder",
                    lambda b=booking: _("Reminder: %(session)s — %(when)s", **_subject_of(b)),
                    business,
                )
                sent += 1
    return sent


# ----------------------------------------------------------------------------- mail


def manage_url(booking, business):
    return business.url("booking.manage", lang=booking.lang, token=booking.manage_token)


# ----------------------------------------------------------------------------- meeting


@dataclass(frozen=True)
class Meeting:
    """How one session happens, in the words its pages, emails and invitation use."""

    #: video, phone or in_person.
    mode: str
    #: Where, in words: the video link, who calls whom at which number, or the address.
    location: str
    #: The video link ("" before a room exists, and for phone or in person).
    link: str = ""
    #: The number to dial from the page (tel:), when the client calls.
    dial: str = ""


def new_meeting_room(host):
    """A room of its own on a Jitsi-style host: an unguessable name nobody else gets."""
    return f"{host.rstrip('/')}/{secrets.token_urlsafe(18)}"


def give_meeting_room(booking, business):
    """A video booking without the offer's fixed link gets its own room, once: a move keeps it."""
    offer = booking.offer
    if (
        offer.meeting_mode == VIDEO
        and not offer.meeting_url
        and not booking.meeting_url
        and business.meeting_room_host
    ):
        booking.meeting_url = new_meeting_room(business.meeting_room_host)


def meeting_of(offer, owner_name, booking=None):
    """The Meeting of a booking, or of an offer before anyone books (no link shown yet)."""
    if offer.meeting_mode == PHONE:
        if offer.meeting_phone:
            text = _(
                "Phone: you call %(owner)s at %(number)s",
                owner=owner_name,
                number=offer.meeting_phone,
            )
            return Meeting(PHONE, text, dial=offer.meeting_phone)
        if booking is not None and booking.client_phone:
            text = _(
                "Phone: %(owner)s calls you at %(number)s",
                owner=owner_name,
                number=booking.client_phone,
            )
        else:
            text = _("Phone: %(owner)s calls you at the number you give", owner=owner_name)
        return Meeting(PHONE, text)
    if offer.meeting_mode == IN_PERSON:
        return Meeting(IN_PERSON, offer.meeting_address or _("In person"))
    if booking is None:
        return Meeting(VIDEO, _("Video call: the link comes with your confirmation"))
    if booking.meeting_link:
        return Meeting(VIDEO, booking.meeting_link, booking.meeting_link)
    # No fixed link and no room host: she sends the link herself.
    return Meeting(VIDEO, _("Video call: %(owner)s sends you the link", owner=owner_name))


def booking_meeting(booking, business):
    """The Meeting of a booking, worded in her language."""
    with force_locale(booking.lang):
        return meeting_of(booking.offer, business.owner_name, booking)


def _invitation(booking, business):
    meeting = booking_meeting(booking, business)
    url = manage_url(booking, business)
    with force_locale(booking.lang):
        label = _("Video call with %(owner)s", owner=business.owner_name)
    return invitation.Invitation(
        uid=booking.ics_uid,
        sequence=booking.ics_sequence,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        summary=f"{booking.offer.title(booking.lang)} · {business.owner_name}",
        description="\n".join(part for part in (meeting.location, url) if part),
        organizer_name=business.owner_name,
        organizer_email=business.owner_email,
        attendee_name=booking.client_name,
        attendee_email=booking.client_email,
        url=url,
        location=meeting.location,
        conference=meeting.link,
        conference_label=label if meeting.link else "",
    )


def booking_invitation(booking, business):
    """Her session as an Invitation: for the .ics download and the add-to-calendar links."""
    return _invitation(booking, business)


def _subject_of(booking):
    """The session and its local time in her zone and language, for a subject."""
    return {
        "session": booking.offer.title(booking.lang),
        "when": local_when(booking.starts_at, booking.time_zone, booking.lang),
    }


def _owner_subject_of(booking, business):
    """The client and the session's time in the owner's zone and language."""
    return {
        "name": booking.client_name,
        "when": local_when(booking.starts_at, business.time_zone, business.locale),
    }


def _queue_prospect(booking, template, subject, business, attachments=(), meeting=True, **context):
    # `meeting` adds mail/_meeting.txt (and .html): how the session happens.
    queue_templated(
        booking.client_email,
        template,
        booking.lang,
        subject=subject,
        attachments=attachments,
        topic=f"{template}:{booking.id}",
        booking=booking,
        manage_url=manage_url(booking, business),
        meeting=meeting,
        **context,
    )


def _queue_owner(booking, event, subject, business, **context):
    queue_templated(
        business.owner_email,
        "booking_owner_notice",
        business.locale,
        subject=subject,
        topic=f"booking_owner_{event}:{booking.id}",
        booking=booking,
        event=event,
        owner_zone=business.time_zone,
        **context,
    )


def _queue_confirmation(booking, now, business):
    invite = invitation.attachment(_invitation(booking, business), invitation.REQUEST, now)
    _queue_prospect(
        booking,
        "booking_confirmed",
        lambda: _("Confirmed: %(session)s — %(when)s", **_subject_of(booking)),
        business,
        [invite],
        # A copy of what she agreed to, in both parts (mail/_terms.txt and .html).
        terms=True,
    )
    _queue_owner(
        booking,
        "confirmed",
        lambda: _(
            "New session booked: %(name)s — %(when)s", **_owner_subject_of(booking, business)
        ),
        business,
    )


def _queue_cancellation(booking, now, refunded_cents, business, by_owner):
    invite = invitation.attachment(_invitation(booking, business), invitation.CANCEL, now)
    _queue_prospect(
        booking,
        "booking_cancelled",
        lambda: _("Cancelled: %(session)s — %(when)s", **_subject_of(booking)),
        business,
        [invite],
        meeting=False,
        refunded_cents=refunded_cents,
        by_owner=by_owner,
    )
    _queue_owner(
        booking,
        "cancelled",
        lambda: _("Session cancelled: %(name)s — %(when)s", **_owner_subject_of(booking, business)),
        business,
        refunded_cents=refunded_cents,
        by_owner=by_owner,
    )


def _queue_reschedule(booking, previous_starts_at, now, business, by_owner):
    invite = invitation.attachment(_invitation(booking, business), invitation.REQUEST, now)
    _queue_prospect(
        booking,
        "booking_rescheduled",
        lambda: _("Moved: %(session)s — %(when)s", **_subject_of(booking)),
        business,
        [invite],
        previous_starts_at=previous_starts_at,
        by_owner=by_owner,
    )
    _queue_owner(
        booking,
        "rescheduled",
        lambda: _("Session moved: %(name)s — %(when)s", **_owner_subject_of(booking, business)),
        business,
        previous_starts_at=previous_starts_at,
        by_owner=by_owner,
    )
