"""Content operations: saving and publishing articles, searching, inquiries, uploads, media kit.

Functions take the session and `now`; the views commit.
"""

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm as so
from sqlalchemy.dialects.postgresql import REGCONFIG

from ..booking.models import Offer
from ..database import write
from ..mail.outbox import queue_templated
from .images import EXTENSIONS, DimensionsTooLarge, ImageRefused, clean_image
from .models import (
    DRAFT,
    PUBLISHED,
    SCHEDULED,
    SEARCH_CONFIGS,
    Article,
    ArticleTag,
    Profile,
    SpeakingInquiry,
    Talk,
    Upload,
    search_document,
)
from .text import parse_tags, plain_text, reading_minutes, render_markdown, search_terms


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


def save_article(session, article, data, now):
    """Create or update `article` from `data`; raise a ContentError and change nothing."""
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
    if article.id is None:
        session.add(article)
        session.flush()
    link_translation(session, article, partner)
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


# Inquiries -------------------------------------------------------------------------------


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
            admin_url=business.url(
                "content_admin.inquiry", inquiry_id=inquiry.id, lang=business.locale
            ),
        )
        queue_templated(
            inquiry.email,
            "content_inquiry_ack",
            lang,
            subject=lambda: _("Your speaking inquiry is received"),
            topic=f"content.inquiry_ack:{inquiry.id}",
            inquiry=inquiry,
        )
    return inquiry


def set_inquiry_status(inquiry, status, now):
    inquiry.status = status
    inquiry.updated_at = now


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
    path = os.path.join(folder, filename)
    if not os.path.exists(path):
        os.makedirs(folder, exist_ok=True)
        with open(path + ".part", "wb") as handle:
            handle.write(data)
        os.replace(path + ".part", path)
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


def is_stored_name(filename):
    """True for names store_upload makes: a hex hash and a known extension, nothing else."""
    stem, _, extension = (filename or "").partition(".")
    return (
        len(stem) == 24 and all(c in "0123456789abcdef" for c in stem) and extension in EXTENSIONS
    )


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
