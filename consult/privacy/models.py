"""What Law 25 asks the business to keep: consents given, a person's requests, incidents, and
the owner's privacy settings (one row)."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import orm as so

from ..extensions import UTCDateTime, db, utcnow

#: Consents a form can record: the booking's terms and policy, contact about a quote, and
#: (a later issue) commercial messages, which CASL wants proven with the address's hash.
BOOKING_TERMS, INQUIRY_CONTACT, COMMERCIAL = "booking_terms", "inquiry_contact", "commercial"
CONSENT_KINDS = (BOOKING_TERMS, INQUIRY_CONTACT, COMMERCIAL)

ACCESS, CORRECT, MOVE, DELETE = "access", "correct", "move", "delete"
REQUEST_KINDS = (ACCESS, CORRECT, MOVE, DELETE)
#: pending: the email link is not yet used; open: verified, the 30 days run; then answered
#: (done) or refused.
PENDING, OPEN, DONE, REFUSED = "pending", "open", "done", "refused"
REQUEST_STATUSES = (PENDING, OPEN, DONE, REFUSED)
#: Law 25 s. 32: an answer within 30 days of receiving the request.
ANSWER_WITHIN = timedelta(days=30)


class ConsentRecord(db.Model):
    """One consent as it was given: when, the exact text shown, its language and form."""

    __tablename__ = "consent_records"
    __table_args__ = (sa.CheckConstraint(sa.column("kind").in_(CONSENT_KINDS), name="kind_known"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    email: so.Mapped[str] = so.mapped_column(sa.String(254), index=True)
    given_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    #: The words the person saw beside the box she ticked, in her language.
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    lang: so.Mapped[str] = so.mapped_column(sa.String(2))
    #: Which form: "booking.reserve", "content.inquiry", ...
    form: so.Mapped[str] = so.mapped_column(sa.String(60))
    #: What it was given for: a booking's reference, "inquiry:12".
    reference: so.Mapped[str] = so.mapped_column(sa.String(60), default="")
    #: CASL's proof of the address it came from: a keyed hash, never the address.
    address_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    withdrawn_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class PrivacyRequest(db.Model):
    """A person asks to see, correct, move or delete what the site holds on her email."""

    __tablename__ = "privacy_requests"
    __table_args__ = (
        sa.CheckConstraint(sa.column("kind").in_(REQUEST_KINDS), name="kind_known"),
        sa.CheckConstraint(sa.column("status").in_(REQUEST_STATUSES), name="status_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))
    email: so.Mapped[str] = so.mapped_column(sa.String(254), index=True)
    #: What she wants corrected, or anything she adds.
    details: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    lang: so.Mapped[str] = so.mapped_column(sa.String(2), default="fr")
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=PENDING, index=True)
    #: SHA-256 of the single-use token in the emailed link; a copy of the database opens nothing.
    token_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    token_expires_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    received_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    verified_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    #: received_at + 30 days: past it, silence counts as a refusal.
    due_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    answer: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    answered_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    answered_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: Set when what the site held on this email was anonymised (the email here too).
    erased_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class PrivacyIncident(db.Model):
    """A confidentiality incident, as the regulation wants it registered (Law 25 s. 3.8)."""

    __tablename__ = "privacy_incidents"
    __table_args__ = (
        sa.CheckConstraint("people_count IS NULL OR people_count >= 0", name="count_not_negative"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: What happened, and how it came to light.
    description: so.Mapped[str] = so.mapped_column(sa.Text)
    occurred_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    discovered_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    data_concerned: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: How many people it concerns; None when not yet known.
    people_count: so.Mapped[int | None]
    risk_assessment: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: Whether it risks serious injury: then the Commission and the people must be told.
    serious_risk: so.Mapped[bool] = so.mapped_column(default=False)
    commission_notified_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    people_notified_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    notices: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    measures: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class PrivacySettings(db.Model):
    """The owner's privacy settings; one row (id 1). Empty text means the default."""

    __tablename__ = "privacy_settings"
    __table_args__ = (
        sa.CheckConstraint(
            "inquiry_retention_days > 0 AND intake_retention_days > 0"
            " AND outbox_retention_days > 0",
            name="retention_positive",
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    officer_name: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    officer_title: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    officer_email: so.Mapped[str] = so.mapped_column(sa.String(254), default="")
    policy_fr: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    policy_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: Days after its last change that a speaking inquiry is anonymised.
    inquiry_retention_days: so.Mapped[int] = so.mapped_column(default=730)
    #: Days after the session that a booking's intake answers are anonymised.
    intake_retention_days: so.Mapped[int] = so.mapped_column(default=365)
    #: Days after it was written that an outbox message's body is anonymised.
    outbox_retention_days: so.Mapped[int] = so.mapped_column(default=90)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
