"""Articles, the speaker profile, talks, testimonials, speaking inquiries and uploaded images."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import orm as so

from ..extensions import UTCDateTime, db, utcnow
from ..i18n import LANGUAGES as LANGS

DRAFT = "draft"
SCHEDULED = "scheduled"
PUBLISHED = "published"
ARTICLE_STATUSES = (DRAFT, SCHEDULED, PUBLISHED)


class Article(db.Model):
    __tablename__ = "articles"
    __table_args__ = (
        sa.UniqueConstraint("lang", "slug", name="uq_articles_lang_slug"),
        sa.CheckConstraint(sa.column("lang").in_(LANGS), name="lang_known"),
        sa.CheckConstraint(sa.column("status").in_(ARTICLE_STATUSES), name="status_known"),
        sa.CheckConstraint(
            "status = 'draft' OR published_at IS NOT NULL", name="published_has_a_time"
        ),
        sa.CheckConstraint("reading_minutes > 0", name="reading_minutes_positive"),
        sa.Index("ix_articles_listing", "lang", "status", "published_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    lang: so.Mapped[str] = so.mapped_column(sa.String(2))
    #: Unique within its language; part of the public address.
    slug: so.Mapped[str] = so.mapped_column(sa.String(120))
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    summary: so.Mapped[str] = so.mapped_column(sa.String(400), default="")
    body_md: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: body_md rendered and sanitized when saved; pages show it as is.
    body_html: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    reading_minutes: so.Mapped[int] = so.mapped_column(default=1)
    #: Stored file name of an uploaded image (see Upload), or None.
    cover_image: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    cover_alt: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    #: The sharing picture drawn at save time (its title on the site's card) when there is
    #: no cover: a stored upload name, or None.
    social_card: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    #: draft: hidden; scheduled and published: visible once published_at has passed.
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=DRAFT)
    published_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    #: The same article in the other language; both sides point at each other.
    translation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("articles.id", ondelete="SET NULL"), unique=True
    )
    translation: so.Mapped["Article | None"] = so.relationship(
        remote_side=[id], foreign_keys=[translation_id], post_update=True
    )
    tag_rows: so.Mapped[list["ArticleTag"]] = so.relationship(
        cascade="all, delete-orphan", order_by="ArticleTag.tag"
    )

    @property
    def tags(self):
        return [row.tag for row in self.tag_rows]

    def is_visible(self, now):
        return self.status != DRAFT and self.published_at is not None and self.published_at <= now

    def shown_status(self, now):
        """What the owner sees: a scheduled article whose time has come is published."""
        if self.status == SCHEDULED and self.is_visible(now):
            return PUBLISHED
        return self.status

    @classmethod
    def visible(cls, now):
        """SQL condition: the public may see it (no job publishes scheduled articles)."""
        return sa.and_(cls.status.in_((SCHEDULED, PUBLISHED)), cls.published_at <= now)

    def __repr__(self):
        return f"<Article {self.lang}/{self.slug} {self.status}>"


class ArticleTag(db.Model):
    __tablename__ = "article_tags"

    article_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    #: Lower case, no slash: it appears in the tag page's address.
    tag: so.Mapped[str] = so.mapped_column(sa.String(60), primary_key=True, index=True)


#: The PostgreSQL text-search configuration of each language.
SEARCH_CONFIGS = {"fr": "french", "en": "english"}


def search_document(lang):
    """PostgreSQL: the searchable text of an article, as its GIN index stores it.

    Literals, not bound parameters, so that the planner matches the indexed expression
    (checked with EXPLAIN: a bitmap scan on ix_articles_search_<lang>).
    """
    columns = Article.__table__.c
    separator = sa.literal_column("' '")
    return sa.func.to_tsvector(
        sa.text(f"'{SEARCH_CONFIGS[lang]}'::regconfig"),
        columns.title + separator + columns.summary + separator + columns.body_md,
    )


for _lang in LANGS:
    sa.Index(
        f"ix_articles_search_{_lang}",
        search_document(_lang),
        postgresql_using="gin",
    ).ddl_if(dialect="postgresql")

#: Full-text search on SQLite: an FTS5 index kept in sync with `articles` by triggers.
#: PostgreSQL needs none of this (it searches with to_tsvector); other databases use LIKE.
SQLITE_FTS_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5("
    "title, summary, body_md, content='articles', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS articles_fts_insert AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, summary, body_md) "
    "VALUES (new.id, new.title, new.summary, new.body_md); END",
    "CREATE TRIGGER IF NOT EXISTS articles_fts_delete AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, summary, body_md) "
    "VALUES ('delete', old.id, old.title, old.summary, old.body_md); END",
    "CREATE TRIGGER IF NOT EXISTS articles_fts_update AFTER UPDATE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, summary, body_md) "
    "VALUES ('delete', old.id, old.title, old.summary, old.body_md); "
    "INSERT INTO articles_fts(rowid, title, summary, body_md) "
    "VALUES (new.id, new.title, new.summary, new.body_md); END",
)
for _statement in SQLITE_FTS_DDL:
    sa.event.listen(
        Article.__table__, "after_create", sa.DDL(_statement).execute_if(dialect="sqlite")
    )
sa.event.listen(
    Article.__table__,
    "before_drop",
    sa.DDL("DROP TABLE IF EXISTS articles_fts").execute_if(dialect="sqlite"),
)


class Profile(db.Model):
    """The speaker bio, one row per language."""

    __tablename__ = "profiles"
    __table_args__ = (sa.CheckConstraint(sa.column("lang").in_(LANGS), name="lang_known"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    lang: so.Mapped[str] = so.mapped_column(sa.String(2), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    headline: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    short_bio: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    long_bio_md: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: long_bio_md rendered and sanitized when saved.
    long_bio_html: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: One topic per line.
    topics: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: Stored file name of an uploaded image (see Upload), or None.
    photo: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    #: Her profiles elsewhere (LinkedIn, a podcast...), one address per line: schema.org sameAs.
    same_as: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    @property
    def topic_list(self):
        return [line.strip() for line in self.topics.splitlines() if line.strip()]

    @property
    def same_as_list(self):
        return [line.strip() for line in (self.same_as or "").splitlines() if line.strip()]


ARTICLE = "article"
PROFILE = "profile"
REVISION_KINDS = (ARTICLE, PROFILE)


class ContentRevision(db.Model):
    """A copy of what an article or a bio said at one save, so she can compare and go back.

    `fields` holds every field she edits, exactly as saved (JSON text). An autosave is a
    revision too, marked as such: it never changes the article or the bio itself.
    """

    __tablename__ = "content_revisions"
    __table_args__ = (
        sa.CheckConstraint(sa.column("kind").in_(REVISION_KINDS), name="kind_known"),
        sa.CheckConstraint(
            "(article_id IS NOT NULL) <> (profile_id IS NOT NULL)", name="one_subject"
        ),
        sa.Index("ix_content_revisions_article", "article_id", "created_at"),
        sa.Index("ix_content_revisions_profile", "profile_id", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))
    article_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("articles.id", ondelete="CASCADE")
    )
    profile_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("profiles.id", ondelete="CASCADE")
    )
    #: The edited fields as JSON text, keys sorted.
    fields: so.Mapped[str] = so.mapped_column(sa.Text)
    #: True for a draft the editor saved by itself while she typed.
    autosave: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class Talk(db.Model):
    __tablename__ = "talks"
    __table_args__ = (sa.CheckConstraint(sa.column("lang").in_(LANGS), name="lang_known"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    event: so.Mapped[str] = so.mapped_column(sa.String(200))
    city: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    #: Local date of the talk.
    held_on: so.Mapped[date] = so.mapped_column(sa.Date, index=True)
    video_url: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    #: The language she speaks in.
    lang: so.Mapped[str] = so.mapped_column(sa.String(2), default="fr")


class Testimonial(db.Model):
    __tablename__ = "testimonials"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    quote: so.Mapped[str] = so.mapped_column(sa.Text)
    person: so.Mapped[str] = so.mapped_column(sa.String(120))
    role: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    organisation: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    position: so.Mapped[int] = so.mapped_column(default=0)


NEW = "new"
ANSWERED = "answered"
QUOTED = "quoted"
BOOKED = "booked"
DECLINED = "declined"
INQUIRY_STATUSES = (NEW, ANSWERED, QUOTED, BOOKED, DECLINED)
#: new -> answered -> quoted -> booked or declined; a declined inquiry may be taken up again.
INQUIRY_TRANSITIONS = {
    NEW: (ANSWERED, QUOTED, DECLINED),
    ANSWERED: (QUOTED, BOOKED, DECLINED),
    QUOTED: (ANSWERED, BOOKED, DECLINED),
    BOOKED: (DECLINED,),
    DECLINED: (ANSWERED,),
}
#: Who wrote a message of an inquiry's thread.
FROM_OWNER, FROM_ORGANISER = "owner", "organiser"
MESSAGE_SENDERS = (FROM_OWNER, FROM_ORGANISER)


class IllegalInquiryTransition(ValueError):
    """An inquiry cannot go from its status to the one asked for."""


#: "unknown" first: the form must not suggest a budget the organiser did not choose.
BUDGET_RANGES = ("unknown", "under-1000", "1000-2500", "2500-5000", "over-5000")


class SpeakingInquiry(db.Model):
    """An organiser asking her to speak. Never deleted: its status changes."""

    __tablename__ = "speaking_inquiries"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(INQUIRY_STATUSES), name="status_known"),
        sa.CheckConstraint(sa.column("budget_range").in_(BUDGET_RANGES), name="budget_known"),
        sa.CheckConstraint("audience_size > 0", name="audience_positive"),
        sa.CheckConstraint("online OR city <> ''", name="city_or_online"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    email: so.Mapped[str] = so.mapped_column(sa.String(254))
    organisation: so.Mapped[str] = so.mapped_column(sa.String(200))
    event_date: so.Mapped[date] = so.mapped_column(sa.Date)
    city: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    online: so.Mapped[bool] = so.mapped_column(default=False)
    audience_size: so.Mapped[int]
    budget_range: so.Mapped[str] = so.mapped_column(sa.String(20))
    message: so.Mapped[str] = so.mapped_column(sa.Text)
    #: The language the organiser wrote in.
    lang: so.Mapped[str] = so.mapped_column(sa.String(2), default="fr")
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=NEW, index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    #: Her replies (and what the organiser answered by email), after the inquiry's message.
    messages = so.relationship(
        "InquiryMessage",
        back_populates="inquiry",
        order_by="(InquiryMessage.created_at, InquiryMessage.id)",
    )

    def next_statuses(self):
        return INQUIRY_TRANSITIONS[self.status]

    def transition(self, status, now):
        """Move to `status`; staying where it is changes nothing. IllegalInquiryTransition."""
        if status == self.status:
            return
        if status not in INQUIRY_TRANSITIONS[self.status]:
            raise IllegalInquiryTransition(f"{self.status} -> {status}")
        self.status = status
        self.updated_at = now


class InquiryMessage(db.Model):
    """One message of an inquiry's thread: her reply (sent through the outbox) or the
    organiser's answer she noted. Never deleted."""

    __tablename__ = "inquiry_messages"
    __table_args__ = (
        sa.CheckConstraint(sa.column("sender").in_(MESSAGE_SENDERS), name="sender_known"),
        sa.CheckConstraint("body <> ''", name="body_not_empty"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    inquiry_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("speaking_inquiries.id"), index=True
    )
    inquiry = so.relationship("SpeakingInquiry", back_populates="messages")
    sender: so.Mapped[str] = so.mapped_column(sa.String(10))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    #: Who wrote it on the desk.
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: Her reply's email in the outbox (its delivery shows on the thread).
    outbox_message_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("outbox_messages.id"))
    outbox_message = so.relationship("OutboxMessage")
    #: The status the inquiry moved to with this message, if it moved.
    status_after: so.Mapped[str] = so.mapped_column(sa.String(10), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class Upload(db.Model):
    """An image the owner uploaded, stored as instance/uploads/<filename>."""

    __tablename__ = "uploads"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: Content hash plus extension: the same file is stored once, cacheable forever.
    filename: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    original_name: so.Mapped[str] = so.mapped_column(sa.String(255), default="")
    content_type: so.Mapped[str] = so.mapped_column(sa.String(40))
    size_bytes: so.Mapped[int]
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
