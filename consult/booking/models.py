"""Offers and bookings. A booking's busy interval (buffers included) is what may never overlap."""

import secrets
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy import orm as so
from sqlalchemy.dialects.postgresql import ExcludeConstraint

from ..extensions import UTCDateTime, db, utcnow
from .slots import Rules

#: The booking rules a new install starts with (slots.Rules' defaults, written once).
DEFAULT_RULES = Rules()


VIDEO = "video"
PHONE = "phone"
IN_PERSON = "in_person"
MEETING_MODES = (VIDEO, PHONE, IN_PERSON)


def _same_as_french_slug(context):
    return context.get_current_parameters()["slug"]


class Offer(db.Model):
    __tablename__ = "offers"
    __table_args__ = (
        sa.CheckConstraint("price_cents >= 0", name="price_not_negative"),
        sa.CheckConstraint("duration_minutes > 0", name="duration_positive"),
        sa.CheckConstraint(
            sa.column("meeting_mode").in_(("video", "phone", "in_person")),
            name="meeting_mode_known",
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: The offer's address name in French pages; `slug_en` is the English one.
    slug: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    slug_en: so.Mapped[str] = so.mapped_column(
        sa.String(80), unique=True, index=True, default=_same_as_french_slug
    )
    title_fr: so.Mapped[str] = so.mapped_column(sa.String(200))
    title_en: so.Mapped[str] = so.mapped_column(sa.String(200))
    description_fr: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    description_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    duration_minutes: so.Mapped[int]
    #: Pre-tax price in cents of `currency`.
    price_cents: so.Mapped[int]
    currency: so.Mapped[str] = so.mapped_column(sa.String(3), default="CAD")
    taxable: so.Mapped[bool] = so.mapped_column(default=True)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    #: The offer every article's call to action leads to.
    flagship: so.Mapped[bool] = so.mapped_column(default=False)
    position: so.Mapped[int] = so.mapped_column(default=0)
    #: How the session happens: video, phone or in_person (MEETING_MODES).
    meeting_mode: so.Mapped[str] = so.mapped_column(sa.String(10), default=VIDEO)
    #: Video: the one link every session of this offer uses; empty for a room per booking.
    meeting_url: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    #: Phone: the number the client calls; empty when the consultant calls the client.
    meeting_phone: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    #: In person: where they meet.
    meeting_address: so.Mapped[str] = so.mapped_column(sa.String(300), default="")

    def title(self, lang):
        return self.title_fr if lang == "fr" else self.title_en

    def slug_in(self, lang):
        """The offer's address name in `lang`'s pages."""
        return self.slug if lang == "fr" else self.slug_en

    def description(self, lang):
        return self.description_fr if lang == "fr" else self.description_en

    def __repr__(self):
        return f"<Offer {self.slug}>"


class IllegalTransition(ValueError):
    """A booking was asked to move to a status it cannot reach from where it is."""


HELD = "held"
CONFIRMED = "confirmed"
EXPIRED = "expired"
CANCELLED = "cancelled"
COMPLETED = "completed"
NO_SHOW = "no_show"
STATUSES = (HELD, CONFIRMED, EXPIRED, CANCELLED, COMPLETED, NO_SHOW)
#: Statuses whose busy interval blocks the calendar.
BLOCKING = (HELD, CONFIRMED, COMPLETED, NO_SHOW)
#: The booking state machine; anything else raises IllegalTransition.
TRANSITIONS = {
    HELD: {CONFIRMED, EXPIRED, CANCELLED},
    # A late payment may revive an expired hold whose slot is still free, and she may
    # hold the same time again while it is.
    EXPIRED: {CONFIRMED, HELD},
    CONFIRMED: {CANCELLED, COMPLETED, NO_SHOW},
    COMPLETED: {NO_SHOW},
    NO_SHOW: {COMPLETED},
    CANCELLED: set(),
}


def new_token():
    return secrets.token_urlsafe(32)


def new_reference():
    # No 0/O/1/I: people read these aloud and type them.
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(8))


class Booking(db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(STATUSES), name="status_known"),
        sa.CheckConstraint("starts_at < ends_at", name="starts_before_end"),
        sa.CheckConstraint(
            "busy_starts_at <= starts_at AND busy_ends_at >= ends_at", name="busy_covers_session"
        ),
        sa.CheckConstraint("total_cents >= 0", name="total_not_negative"),
        # The database itself refuses two overlapping busy intervals (PostgreSQL);
        # SQLite gets the same guarantee from one serialized write transaction.
        ExcludeConstraint(
            (sa.func.tstzrange(sa.column("busy_starts_at"), sa.column("busy_ends_at")), "&&"),
            using="gist",
            where=sa.column("status").in_(BLOCKING),
            name="bookings_no_overlap",
        ).ddl_if(dialect="postgresql"),
        sa.Index("ix_bookings_busy", "busy_starts_at", "busy_ends_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: Short code shown to people ("QK7M2PXA").
    reference: so.Mapped[str] = so.mapped_column(sa.String(12), unique=True, default=new_reference)
    offer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("offers.id"))
    offer: so.Mapped[Offer] = so.relationship(lazy="joined")
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default=HELD, index=True)

    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    #: The session widened by the buffers before and after: what may not overlap.
    busy_starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    busy_ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    #: Until when an unpaid hold keeps its slot; past it, the slot is free again.
    hold_expires_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    client_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    client_email: so.Mapped[str] = so.mapped_column(sa.String(254), index=True)
    client_phone: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    organisation: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    organisation_size: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    #: What the prospect wants to decide about outsourcing their social media.
    intake_goal: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    consent_contact: so.Mapped[bool] = so.mapped_column(default=False)
    #: Language of the emails to the prospect (fr or en).
    lang: so.Mapped[str] = so.mapped_column(sa.String(2), default="fr")
    #: A keyed hash of the address the hold was asked from (never the address itself):
    #: how many live holds one client address keeps is limited.
    client_address_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), index=True)
    #: The prospect's IANA time zone, for her emails and pages.
    time_zone: so.Mapped[str] = so.mapped_column(sa.String(64), default="America/Montreal")

    #: The secret in the prospect's private link; never the id.
    manage_token: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True, default=new_token)
    #: Stable UID of the calendar invitation; SEQUENCE grows with each change.
    ics_uid: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    ics_sequence: so.Mapped[int] = so.mapped_column(default=0)
    reschedule_count: so.Mapped[int] = so.mapped_column(default=0)

    #: Price snapshot at booking time, in cents; tax_lines as computed by payments.taxes.
    subtotal_cents: so.Mapped[int] = so.mapped_column(default=0)
    tax_lines: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    total_cents: so.Mapped[int] = so.mapped_column(default=0)
    currency: so.Mapped[str] = so.mapped_column(sa.String(3), default="CAD")

    #: The gateway that takes the money (stripe, manual, demo) and its checkout id.
    gateway: so.Mapped[str] = so.mapped_column(sa.String(12), default="demo")
    gateway_session_id: so.Mapped[str | None] = so.mapped_column(sa.String(255), index=True)

    owner_notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    cancel_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    cancelled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    #: When it last moved: with its other dates, the DTSTAMP her calendar feed gives it.
    updated_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    reminder_sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    #: The video room made for this booking alone (kept when it moves); empty otherwise.
    meeting_url: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    #: The site's own page she came from (a path such as /fr/articles/x), for the
    #: owner's dashboard: carried in the booking links, no tracker and no cookie.
    came_from: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    #: When the gateway last declined her card while the hold lasted.
    payment_declined_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    @property
    def meeting_link(self):
        """The video link of this session: its own room, else the offer's fixed link."""
        if self.offer.meeting_mode != VIDEO:
            return ""
        return self.meeting_url or self.offer.meeting_url

    def transition(self, status):
        """Move to `status`, or raise IllegalTransition."""
        if status not in TRANSITIONS[self.status]:
            raise IllegalTransition(f"booking {self.reference}: {self.status} -> {status}")
        self.status = status

    def hold_is_live(self, now):
        return (
            self.status == HELD and self.hold_expires_at is not None and now < self.hold_expires_at
        )

    def __repr__(self):
        return f"<Booking {self.reference} {self.status} {self.starts_at:%Y-%m-%d %H:%M}>"


class AvailabilityRules(db.Model):
    """The owner's booking rules; one row (id 1)."""

    __tablename__ = "availability_rules"
    __table_args__ = (
        sa.CheckConstraint("min_notice_hours >= 0", name="notice_not_negative"),
        sa.CheckConstraint("horizon_days > 0", name="horizon_positive"),
        sa.CheckConstraint("slot_step_minutes > 0", name="step_positive"),
        sa.CheckConstraint(
            "buffer_before_minutes >= 0 AND buffer_after_minutes >= 0", name="buffers_not_negative"
        ),
        sa.CheckConstraint(
            "daily_max_sessions IS NULL OR daily_max_sessions > 0", name="daily_max_positive"
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # No zone of its own: the weekly hours and overrides are in the TIME_ZONE setting's.
    min_notice_hours: so.Mapped[int] = so.mapped_column(default=DEFAULT_RULES.min_notice_hours)
    horizon_days: so.Mapped[int] = so.mapped_column(default=DEFAULT_RULES.horizon_days)
    slot_step_minutes: so.Mapped[int] = so.mapped_column(default=DEFAULT_RULES.slot_step_minutes)
    buffer_before_minutes: so.Mapped[int] = so.mapped_column(
        default=DEFAULT_RULES.buffer_before_minutes
    )
    buffer_after_minutes: so.Mapped[int] = so.mapped_column(
        default=DEFAULT_RULES.buffer_after_minutes
    )
    #: At most this many sessions on one local day; None for no cap.
    daily_max_sessions: so.Mapped[int | None] = so.mapped_column(
        default=DEFAULT_RULES.daily_max_sessions
    )
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class WeeklyHours(db.Model):
    """One open interval on a weekday, in local wall-clock time; several per day allowed."""

    __tablename__ = "weekly_hours"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_valid"),
        sa.CheckConstraint("start_time < end_time", name="starts_before_end"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: 0 = Monday ... 6 = Sunday, as datetime.weekday().
    weekday: so.Mapped[int]
    start_time: so.Mapped[time] = so.mapped_column(sa.Time)
    end_time: so.Mapped[time] = so.mapped_column(sa.Time)


class DateOverride(db.Model):
    """A local date with other hours than usual: closed (no times) or its own intervals."""

    __tablename__ = "date_overrides"
    __table_args__ = (
        sa.CheckConstraint(
            "(closed AND start_time IS NULL AND end_time IS NULL)"
            " OR (NOT closed AND start_time < end_time)",
            name="closed_or_interval",
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    day: so.Mapped[date] = so.mapped_column(sa.Date, index=True)
    closed: so.Mapped[bool] = so.mapped_column(default=False)
    start_time: so.Mapped[time | None] = so.mapped_column(sa.Time)
    end_time: so.Mapped[time | None] = so.mapped_column(sa.Time)
    note: so.Mapped[str] = so.mapped_column(sa.String(200), default="")


class TimeOff(db.Model):
    """A span when nothing can be booked (holidays, a conference), stored in UTC."""

    __tablename__ = "time_off"
    __table_args__ = (sa.CheckConstraint("starts_at < ends_at", name="starts_before_end"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    reason: so.Mapped[str] = so.mapped_column(sa.String(200), default="")


class ExternalBusy(db.Model):
    """A busy time read from the owner's own calendar (ICS address or CalDAV); blocks slots.

    Replaced as a whole by each successful calendar sync, per source.
    """

    __tablename__ = "external_busy"
    __table_args__ = (sa.CheckConstraint("starts_at < ends_at", name="starts_before_end"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: "ics" or "caldav".
    source: so.Mapped[str] = so.mapped_column(sa.String(10), index=True)
    uid: so.Mapped[str] = so.mapped_column(sa.String(255), default="")
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
