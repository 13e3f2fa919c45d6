"""The newsletter: readers who subscribed, the issues she sends, and one delivery per reader
and issue (claimed, then recorded, so that no restart mails anyone twice)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm as so

from ..extensions import UTCDateTime, db, utcnow
from ..privacy.models import ConsentRecord

#: pending: signed up, the confirmation link not yet followed (never mailed an issue);
#: active: confirmed (or imported with consent); unsubscribed: left, her consent withdrawn;
#: bounced: her mail server refused an issue for good, or she reported one as spam.
PENDING, ACTIVE, UNSUBSCRIBED, BOUNCED = "pending", "active", "unsubscribed", "bounced"
SUBSCRIBER_STATUSES = (PENDING, ACTIVE, UNSUBSCRIBED, BOUNCED)
#: The language of her emails: one of the site's, or each version that exists.
BOTH = "both"
EMAIL_LANGS = ("fr", "en", BOTH)
#: Why an address is bounced: a refusal for good, or a complaint (reported as spam).
BOUNCE, COMPLAINT = "bounce", "complaint"

#: An issue is a draft until she sends it or gives it a time; `sending` once its deliveries
#: are queued (one per active reader at that moment); `sent` when none is left to try.
DRAFT, SCHEDULED, SENDING, SENT = "draft", "scheduled", "sending", "sent"
ISSUE_STATUSES = (DRAFT, SCHEDULED, SENDING, SENT)
#: An issue carries published articles, or text she wrote for it.
FROM_ARTICLE, WRITTEN = "article", "written"
ISSUE_KINDS = (FROM_ARTICLE, WRITTEN)

#: queued: waits its turn; claimed: in a worker's batch (lease running), not yet tried;
#: sending: handed to the mail server now; then sent, failed (refused, or cut off mid-send:
#: never tried again, so nobody gets it twice) or skipped (she left before her turn).
QUEUED, CLAIMED, IN_FLIGHT, DELIVERED, FAILED, SKIPPED = (
    "queued",
    "claimed",
    "sending",
    "sent",
    "failed",
    "skipped",
)
DELIVERY_STATUSES = (QUEUED, CLAIMED, IN_FLIGHT, DELIVERED, FAILED, SKIPPED)


class Subscriber(db.Model):
    __tablename__ = "newsletter_subscribers"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(SUBSCRIBER_STATUSES), name="status_known"),
        sa.CheckConstraint(sa.column("lang").in_(EMAIL_LANGS), name="lang_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: As she typed it (header-safe); `email_key` is its lower-case form, unique.
    email: so.Mapped[str] = so.mapped_column(sa.String(254))
    email_key: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    lang: so.Mapped[str] = so.mapped_column(sa.String(4), default="fr")
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default=PENDING, index=True)
    #: Where she came from: "home", "article:12", "page", "import: <what she wrote>".
    source: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    #: SHA-256 of the single-use confirmation token; None once spent.
    confirm_token_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    confirm_expires_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    #: The last confirmation (or "already subscribed") email, to send at most a few a day.
    last_notice_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    notices_today: so.Mapped[int] = so.mapped_column(default=0)
    #: What the sign-up form showed beside its button (the consent and the notice), in
    #: `consent_lang`, and a keyed hash of her network: the proof recorded once she confirms.
    consent_text: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    consent_lang: so.Mapped[str] = so.mapped_column(sa.String(2), default="fr")
    address_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    #: The record of her consent (CASL's proof), kept when she leaves.
    consent_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("consent_records.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    unsubscribed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    bounced_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    #: BOUNCE or COMPLAINT, with what the mail server said.
    bounce_kind: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    bounce_detail: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    consent: so.Mapped[ConsentRecord | None] = so.relationship(lazy="joined")

    def wants(self, lang):
        """Whether she reads issues in `lang`."""
        return self.lang in (lang, BOTH)


class Issue(db.Model):
    __tablename__ = "newsletter_issues"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(ISSUE_STATUSES), name="status_known"),
        sa.CheckConstraint(sa.column("kind").in_(ISSUE_KINDS), name="kind_known"),
        sa.CheckConstraint(
            "status != 'scheduled' OR scheduled_at IS NOT NULL", name="scheduled_has_a_time"
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=DRAFT, index=True)
    #: FROM_ARTICLE: the article in each language (either may be missing).
    article_fr_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("articles.id", ondelete="SET NULL")
    )
    article_en_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("articles.id", ondelete="SET NULL")
    )
    #: WRITTEN: her subject and Markdown in each language, and the sanitized HTML of each.
    #: An empty subject means there is no version in that language.
    subject_fr: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    subject_en: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    body_md_fr: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    body_md_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    body_html_fr: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    body_html_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: When a scheduled issue goes out (the worker queues it once this has passed).
    scheduled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, index=True)
    queued_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    #: Readers queued when it went out; the other figures are counted from the deliveries.
    recipients: so.Mapped[int] = so.mapped_column(default=0)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    article_fr = so.relationship("Article", foreign_keys=[article_fr_id])
    article_en = so.relationship("Article", foreign_keys=[article_en_id])


class Delivery(db.Model):
    """One issue to one reader: claimed by one worker, recorded once."""

    __tablename__ = "newsletter_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("issue_id", "subscriber_id", name="uq_newsletter_deliveries_once"),
        sa.CheckConstraint(sa.column("status").in_(DELIVERY_STATUSES), name="status_known"),
        sa.Index("ix_newsletter_deliveries_due", "status", "next_attempt_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    issue_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("newsletter_issues.id", ondelete="CASCADE"), index=True
    )
    subscriber_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("newsletter_subscribers.id", ondelete="CASCADE"), index=True
    )
    #: The languages she receives it in, as queued ("fr", "en" or "fr,en").
    langs: so.Mapped[str] = so.mapped_column(sa.String(8))
    status: so.Mapped[str] = so.mapped_column(sa.String(8), default=QUEUED)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    claim_token: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    claim_expires_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    last_error: so.Mapped[str | None] = so.mapped_column(sa.Text)
