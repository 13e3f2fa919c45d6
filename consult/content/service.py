"""Content operations: saving and publishing articles, searching, inquiries, uploads, media kit.

Functions take the session and `now`; the views commit.
"""

import difflib
import hashlib
import io
import json
import os
import re
import zipfile
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import lru_cache

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import orm as so
from sqlalchemy.dialects.postgresql import REGCONFIG

from ..booking.models import Offer
from ..database import write
from ..mail.outbox import queue_templated
from ..privacy.service import record_inquiry_consent
from .images import (
    EXTENSIONS,
    VARIANT_WIDTHS,
    DimensionsTooLarge,
    ImageRefused,
    clean_image,
    dimensions,
    social_card,
    variants,
)
from .models import (
    ARTICLE,
    DRAFT,
    PROFILE,
    PUBLISHED,
    SCHEDULED,
    SEARCH_CONFIGS,
    Article,
    ArticleTag,
    ContentRevision,
    Profile,
    SpeakingInquiry,
    Talk,
    Upload,
    search_document,
)
from .text import (
    parse_tags,
    plain_text,
    reading_minutes,
    render_markdown,
    search_terms,
    slugify,
)


def uploads_folder(instance_path):
    """Where uploaded images live: instance/uploads."""
    return os.path.join(instance_path, "uploads")


class ContentError(ValueError):
    """A change the owner asked for that cannot be made; `field` names the form field."""

    field = None


class SlugTaken(ContentError):
    field = "slug"


class ScheduleNotInFuture(ContentError):
    field = "publish_at"


class TranslationMismatch(ContentError):
    field = "translation_id"


class NotAnImage(ContentError):
    field = "image"


class UploadTooLarge(ContentError):
    field = "image"


class ImageTooLarge(ContentError):
    """Wider, taller or with more pixels than the site accepts (a decompression bomb too)."""

    field = "image"


def flagship_offer(session):
    return session.scalar(
        sa.select(Offer)
        .where(Offer.flagship.is_(True), Offer.active.is_(True))
        .order_by(Offer.position, Offer.id)
        .limit(1)
    )


def bookable_offers(session):
    """Active offers in the order the booking page lists them (for the sitemap)."""
    return session.scalars(
        sa.select(Offer).where(Offer.active.is_(True)).order_by(Offer.position, Offer.id)
    ).all()


# Reading ---------------------------------------------------------------------------------


def visible_articles(lang, now):
    """Published articles of one language, newest first, their tags loaded with them."""
    return (
        sa.select(Article)
        .where(Article.lang == lang, Article.visible(now))
        .options(so.selectinload(Article.tag_rows))
        .order_by(Article.published_at.desc(), Article.id.desc())
    )


def latest_articles(session, lang, now, limit=3):
    return session.scalars(visible_articles(lang, now).limit(limit)).all()


def articles_tagged(lang, tag, now):
    tagged = sa.select(ArticleTag.article_id).where(ArticleTag.tag == tag)
    return visible_articles(lang, now).where(Article.id.in_(tagged))


def tag_slug(tag):
    """A tag's address name: "médias sociaux" -> "medias-sociaux"."""
    return slugify(tag) or "tag"


def find_tag(session, lang, asked, now):
    """The tag of this language's published articles whose address name is `asked` (or
    whose old address, the tag itself, is), or None."""
    tags = session.scalars(
        sa.select(ArticleTag.tag)
        .join(Article, Article.id == ArticleTag.article_id)
        .where(Article.lang == lang, Article.visible(now))
        .distinct()
    ).all()
    wanted = tag_slug(asked)
    return next((tag for tag in sorted(tags) if tag_slug(tag) == wanted), None)


def find_visible_article(session, lang, slug, now):
    """The published article at /<lang>/articles/<slug> with its translation, or None."""
    return session.scalar(
        sa.select(Article)
        .where(Article.lang == lang, Article.slug == slug, Article.visible(now))
        .options(so.joinedload(Article.translation), so.selectinload(Article.tag_rows))
    )


def visible_translation(article, now):
    other = article.translation
    return other if other is not None and other.is_visible(now) else None


def search_articles(session, lang, query, now):
    """Published articles matching the words of `query`: FTS5, PostgreSQL full text, or LIKE."""
    terms = search_terms(query)
    if not terms:
        return sa.select(Article).where(sa.false())
    base = visible_articles(lang, now)
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite" and _has_sqlite_fts(session):
        match = " ".join('"' + term.replace('"', "") + '"*' for term in terms)
        fts = sa.table("articles_fts", sa.column("rowid"))
        matching = sa.select(fts.c.rowid).where(
            sa.literal_column("articles_fts").op("MATCH")(match)
        )
        return base.where(Article.id.in_(matching))
    if dialect == "postgresql":
        config = sa.cast(SEARCH_CONFIGS[lang], REGCONFIG)
        tsquery = sa.func.plainto_tsquery(config, " ".join(terms))
        return base.where(search_document(lang).op("@@")(tsquery))
    for term in terms:
        pattern = f"%{term}%"
        base = base.where(sa.or_(Article.title.ilike(pattern), Article.body_md.ilike(pattern)))
    return base


def _has_sqlite_fts(session):
    found = session.execute(
        sa.text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'articles_fts'")
    ).first()
    return found is not None


# Writing articles ------------------------------------------------------------------------


@dataclass
class ArticleData:
    """What the owner's form says an article is."""

    lang: str
    title: str
    slug: str
    summary: str
    body_md: str
    tags: str
    cover_image: str | None
    cover_alt: str
    status: str
    publish_at: datetime | None
    translation_id: int | None


def save_article(session, article, data, now, cards=None):
    """Create or update `article` from `data`; raise a ContentError and change nothing.

    Every save keeps a revision. `cards` (a CardMaker) draws the article's sharing picture
    when it has no cover.
    """
    slug_owner = session.scalar(
        sa.select(Article.id).where(Article.lang == data.lang, Article.slug == data.slug)
    )
    if slug_owner is not None and slug_owner != article.id:
        raise SlugTaken(data.slug)
    if data.status == SCHEDULED and (data.publish_at is None or data.publish_at <= now):
        raise ScheduleNotInFuture(data.publish_at)
    partner = None
    if data.translation_id:
        partner = session.get(Article, data.translation_id)
        if partner is None or partner.lang == data.lang or partner.id == article.id:
            raise TranslationMismatch(data.translation_id)

    article.lang = data.lang
    article.title = data.title
    article.slug = data.slug
    article.summary = data.summary
    article.body_md = data.body_md
    article.body_html = render_markdown(data.body_md)
    article.reading_minutes = reading_minutes(data.body_md)
    article.cover_image = data.cover_image or None
    article.cover_alt = data.cover_alt
    article.updated_at = now
    _set_tags(article, parse_tags(data.tags))
    _set_status(article, data.status, data.publish_at, now)
    if cards is not None:
        article.social_card = None if article.cover_image else cards.card_for(article.title)
    if article.id is None:
        session.add(article)
        session.flush()
    link_translation(session, article, partner)
    keep_revision(session, article, now)
    return article


def _set_tags(article, tags):
    existing = {row.tag: row for row in article.tag_rows}
    article.tag_rows = [existing.get(tag) or ArticleTag(tag=tag) for tag in tags]


def _set_status(article, status, publish_at, now):
    if status == DRAFT:
        article.status = DRAFT
    elif status == SCHEDULED:
        article.status = SCHEDULED
        article.published_at = publish_at
    else:
        publish(article, now)


def publish(article, now):
    """Visible from now on, keeping the first publication time if it already had one."""
    article.status = PUBLISHED
    if article.published_at is None or article.published_at > now:
        article.published_at = now
    article.updated_at = now


def unpublish(article, now):
    """Back to draft: gone from every public page until published again."""
    article.status = DRAFT
    article.updated_at = now


def link_translation(session, article, partner):
    """Make `article` and `partner` each other's translation (or unlink when partner is None)."""
    current = article.translation
    if current is partner:
        return
    for former in (current, partner.translation if partner else None):
        if former is not None and former.translation_id is not None:
            former.translation = None
    session.flush()
    article.translation = partner
    if partner is not None:
        session.flush()
        partner.translation = article
    session.flush()


def article_snapshot(article):
    """What the audit log records about an article."""
    return {
        "lang": article.lang,
        "slug": article.slug,
        "title": article.title,
        "status": article.status,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "translation_id": article.translation_id,
    }


# Revisions -------------------------------------------------------------------------------

#: What a revision keeps of each kind: every field she edits, nothing derived.
ARTICLE_FIELDS = ("title", "slug", "summary", "body_md", "tags", "cover_image", "cover_alt")
PROFILE_FIELDS = ("name", "headline", "short_bio", "long_bio_md", "topics", "photo", "same_as")


class RevisionMismatch(ContentError):
    """The revision belongs to another article or bio."""


def revision_fields(item):
    """The edited fields of an article or a profile, as a revision stores them."""
    if isinstance(item, Article):
        values = {name: getattr(item, name) for name in ARTICLE_FIELDS if name != "tags"}
        # Sorted as the database lists them, so an unchanged list never shows as a change.
        values["tags"] = ", ".join(sorted(item.tags))
        return values
    return {name: getattr(item, name) for name in PROFILE_FIELDS}


def _subject_column(subject):
    if subject["kind"] == ARTICLE:
        return ContentRevision.article_id
    return ContentRevision.profile_id


def _subject(item):
    if isinstance(item, Article):
        return {"kind": ARTICLE, "article_id": item.id}
    return {"kind": PROFILE, "profile_id": item.id}


def keep_revision(session, item, now, autosave=False, fields=None):
    """Store what `item` says now (or `fields`, for an autosave) as a revision.

    A save identical to the last saved revision adds none. An item keeps one autosave: the
    newest draft replaces the older one, and a real save clears it.
    """
    fields = revision_fields(item) if fields is None else fields
    encoded = json.dumps(fields, sort_keys=True, ensure_ascii=False)
    subject = _subject(item)
    column = _subject_column(subject)
    previous_autosave = session.scalar(
        sa.select(ContentRevision).where(column == item.id, ContentRevision.autosave.is_(True))
    )
    if previous_autosave is not None:
        session.delete(previous_autosave)
    if not autosave:
        last = latest_revision(session, item)
        if last is not None and last.fields == encoded:
            session.flush()
            return last
    revision = ContentRevision(fields=encoded, autosave=autosave, created_at=now, **subject)
    session.add(revision)
    session.flush()
    return revision


def revisions_of(session, item):
    """Saved revisions of an article or profile, newest first (autosaves left out)."""
    subject = _subject(item)
    column = _subject_column(subject)
    return session.scalars(
        sa.select(ContentRevision)
        .where(column == item.id, ContentRevision.autosave.is_(False))
        .order_by(ContentRevision.created_at.desc(), ContentRevision.id.desc())
    ).all()


def latest_revision(session, item):
    found = revisions_of(session, item)
    return found[0] if found else None


def pending_autosave(session, item):
    """The draft the editor saved by itself after her last save, or None."""
    subject = _subject(item)
    column = _subject_column(subject)
    return session.scalar(
        sa.select(ContentRevision).where(column == item.id, ContentRevision.autosave.is_(True))
    )


def revision_values(revision):
    return json.loads(revision.fields)


def owned_revision(session, item, revision_id):
    """The revision `revision_id` of `item`; RevisionMismatch when it is another's."""
    revision = session.get(ContentRevision, revision_id)
    subject = _subject(item)
    if revision is None or revision.kind != subject["kind"]:
        raise RevisionMismatch(revision_id)
    owner = revision.article_id if subject["kind"] == ARTICLE else revision.profile_id
    if owner != item.id:
        raise RevisionMismatch(revision_id)
    return revision


def revision_diff(older, newer):
    """[(field, [(sign, line)])] of the fields that differ: "-" removed, "+" added, " " kept."""
    before, after = revision_values(older), revision_values(newer)
    changes = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name) or "", after.get(name) or ""
        if old == new:
            continue
        lines = [
            (line[0], line[2:])
            for line in difflib.ndiff(str(old).splitlines(), str(new).splitlines())
            if line[:1] in ("-", "+", " ")
        ]
        changes.append((name, lines))
    return changes


def restore_article_revision(session, article, revision, now, cards=None):
    """Make the article say exactly what `revision` says (its status and dates stay)."""
    values = revision_values(revision)
    data = ArticleData(
        lang=article.lang,
        title=values["title"],
        slug=values["slug"],
        summary=values["summary"],
        body_md=values["body_md"],
        tags=values["tags"],
        cover_image=values["cover_image"],
        cover_alt=values["cover_alt"],
        status=article.shown_status(now),
        publish_at=article.published_at,
        translation_id=article.translation_id,
    )
    if data.status == SCHEDULED and (data.publish_at is None or data.publish_at <= now):
        data.status = PUBLISHED
    return save_article(session, article, data, now, cards=cards)


def save_profile(session, profile, values, now):
    """Set the bio's fields from `values` (PROFILE_FIELDS) and keep a revision."""
    for name in PROFILE_FIELDS:
        setattr(profile, name, values[name])
    profile.long_bio_html = render_markdown(profile.long_bio_md)
    profile.updated_at = now
    session.add(profile)
    session.flush()
    keep_revision(session, profile, now)
    return profile


def restore_profile_revision(session, profile, revision, now):
    values = dict.fromkeys(PROFILE_FIELDS, "") | {"photo": None}
    values.update(revision_values(revision))
    return save_profile(session, profile, values, now)


def autosave_article(session, article, data, now):
    """Keep a draft of the form as she types: a revision marked autosave, never the article.

    Whatever the article's status, nothing visible changes until she saves.
    """
    fields = asdict(data)
    fields = {name: fields[name] for name in ARTICLE_FIELDS}
    return keep_revision(session, article, now, autosave=True, fields=fields)


def autosave_profile(session, profile, values, now):
    fields = {name: values.get(name) for name in PROFILE_FIELDS}
    return keep_revision(session, profile, now, autosave=True, fields=fields)


# Sharing cards and image variants --------------------------------------------------------


def card_font(static_folder):
    """The font sharing cards are drawn with: shipped with the app, French glyphs included."""
    return os.path.join(static_folder, "fonts", "DejaVuSans-Bold.ttf")


@dataclass(frozen=True)
class CardMaker:
    """Draws an article's sharing card into the uploads folder, named by its content hash."""

    folder: str
    site_name: str
    font_path: str

    def card_for(self, title):
        data = social_card(title, self.site_name, self.font_path)
        filename = f"{hashlib.sha256(data).hexdigest()[:24]}.png"
        _write_once(os.path.join(self.folder, filename), data)
        return filename


def _write_once(path, data):
    if os.path.exists(path):
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".part", "wb") as handle:
        handle.write(data)
    os.replace(path + ".part", path)


def variant_name(filename, width):
    stem, _, extension = filename.partition(".")
    return f"{stem}-{width}.{extension}"


@dataclass(frozen=True)
class Picture:
    """What an <img> needs to hold its place while it loads: size and the narrower copies."""

    width: int
    height: int
    #: [(width, filename)] from the narrowest up, the original last.
    sources: tuple


@lru_cache(maxsize=1024)
def picture(folder, filename):
    """The Picture of a stored image (names are content hashes: the answer never changes),
    or None when the file is missing."""
    path = os.path.join(folder, filename)
    try:
        width, height = dimensions(path)
    except (OSError, ValueError):
        return None
    sources = [
        (size, variant_name(filename, size))
        for size in VARIANT_WIDTHS
        if size < width and os.path.exists(os.path.join(folder, variant_name(filename, size)))
    ]
    return Picture(width, height, (*sources, (width, filename)))


# Inquiries -------------------------------------------------------------------------------


def inquiry_consent_text():
    """What the inquiry form says about sending it, in the current language."""
    return _("By sending this form, you agree to be contacted by email about your event.")


def record_inquiry(session, fields, *, lang, business, budget_label, now):
    """Store a speaking inquiry; queue the owner's notice and the sender's acknowledgement."""
    with write(session):
        inquiry = SpeakingInquiry(lang=lang, created_at=now, updated_at=now, **fields)
        session.add(inquiry)
        session.flush()
        queue_templated(
            business.owner_email,
            "content_inquiry",
            business.locale,
            subject=lambda: _("Speaking inquiry from %(name)s", name=inquiry.name),
            topic="content.inquiry",
            inquiry=inquiry,
            budget=budget_label,
            admin_url=business.url("admin.inquiry", inquiry_id=inquiry.id, lang=business.locale),
        )
        # Sending the form is her consent to be contacted about it: kept with its words.
        with force_locale(lang):
            consent = inquiry_consent_text()
        record_inquiry_consent(session, inquiry, now, text=consent)
        queue_templated(
            inquiry.email,
            "content_inquiry_ack",
            lang,
            subject=lambda: _("Your speaking inquiry is received"),
            topic=f"content.inquiry_ack:{inquiry.id}",
            inquiry=inquiry,
        )
    return inquiry


# Uploads and the media kit ---------------------------------------------------------------


def store_upload(session, folder, stream, original_name, max_bytes, now):
    """Save an image under `folder`, named by its content hash; raise NotAnImage, UploadTooLarge
    or ImageTooLarge.

    What is stored is the image decoded and saved again (upright, without EXIF or other
    metadata), never the bytes as sent.
    """
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadTooLarge(max_bytes)
    try:
        kind, data = clean_image(data)
    except DimensionsTooLarge as error:
        raise ImageTooLarge(original_name) from error
    except ImageRefused as error:
        raise NotAnImage(original_name) from error
    content_type, extension = kind
    filename = f"{hashlib.sha256(data).hexdigest()[:24]}.{extension}"
    _write_once(os.path.join(folder, filename), data)
    # Narrower copies for srcset, each re-encoded from the clean image: no metadata either.
    for width, smaller in variants(data, kind):
        _write_once(os.path.join(folder, variant_name(filename, width)), smaller)
    existing = session.scalar(sa.select(Upload).where(Upload.filename == filename))
    if existing is not None:
        return existing
    upload = Upload(
        filename=filename,
        original_name=(original_name or "")[:255],
        content_type=content_type,
        size_bytes=len(data),
        created_at=now,
    )
    session.add(upload)
    session.flush()
    return upload


STORED_NAME = re.compile(r"[0-9a-f]{24}(?:-(?P<width>[0-9]{3,4}))?\.(?P<ext>[a-z]{3,4})")


def is_stored_name(filename):
    """True for names store_upload makes: a hex hash, maybe a variant's width, a known
    extension, nothing else."""
    match = STORED_NAME.fullmatch(filename or "")
    if match is None or match["ext"] not in EXTENSIONS:
        return False
    return match["width"] is None or int(match["width"]) in VARIANT_WIDTHS


def media_kit(profile, folder):
    """A zip for event organisers: short bio, long bio and photo. Returns a BytesIO."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "short-bio.txt", f"{profile.name}\n{profile.headline}\n\n{profile.short_bio}\n"
        )
        archive.writestr("long-bio.md", f"# {profile.name}\n\n{profile.long_bio_md}\n")
        archive.writestr("long-bio.txt", f"{profile.name}\n\n{plain_text(profile.long_bio_md)}\n")
        if profile.photo and is_stored_name(profile.photo):
            path = os.path.join(folder, profile.photo)
            if os.path.exists(path):
                extension = profile.photo.rsplit(".", 1)[1]
                archive.write(path, f"photo.{extension}")
    buffer.seek(0)
    return buffer


def upcoming_talks(session, today, limit=5):
    return session.scalars(
        sa.select(Talk).where(Talk.held_on >= today).order_by(Talk.held_on).limit(limit)
    ).all()


def all_talks(session):
    return session.scalars(sa.select(Talk).order_by(Talk.held_on.desc())).all()


def profile_for(session, lang):
    return session.scalar(sa.select(Profile).where(Profile.lang == lang))


def local_today(now, zone):
    """Today's date where the consultant lives."""
    return now.astimezone(zone).date()
