"""Public pages: home, articles, tags, search, speaker bio, inquiries, feeds, sitemap, images."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_file,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import orm as so

from .. import business, navigation
from ..auth.access import public
from ..extensions import db, limiter, utcnow
from ..hostile import page_number
from ..security import ONE_YEAR
from . import feeds, service
from .forms import SpeakingInquiryForm, budget_labels
from .models import LANGS, Article, Testimonial

bp = Blueprint("content", __name__)

ARTICLES_PER_PAGE = 10
#: A year is not too long: upload names contain their content's hash.
UPLOAD_MAX_AGE = ONE_YEAR


@bp.record_once
def setup(state):
    app = state.app
    navigation.add_public(app, "content.articles", _l("Articles"), 20)
    navigation.add_public(app, "content.bio", _l("Speaker"), 30)
    navigation.add_public(app, "content.inquiry", _l("Invite her to speak"), 40)
    app.jinja_env.globals.update(
        feed_links=feed_links,
        site_url=site_url,
        upload_url=upload_url,
        booking_url=booking_url,
    )


# Helpers shared with the templates -------------------------------------------------------


def booking_url(offer, lang):
    """Where an offer is booked."""
    return url_for("booking.offer", slug=offer.slug, lang=lang)


def site_url(path):
    """An absolute address on the public site (canonical links, feeds, sitemap)."""
    return business.current().absolute(path)


def upload_url(filename):
    return url_for("content.upload", filename=filename) if filename else None


def feed_links():
    """(lang, href, title) of each language's Atom feed, for <link rel="alternate">."""
    titles = {"fr": "Articles (français)", "en": "Articles (English)"}
    return [(lang, url_for("content.feed", lang=lang), titles[lang]) for lang in LANGS]


def consultant_zone():
    return business.current().zone


def other_lang(lang):
    return "en" if lang == "fr" else "fr"


# Pages -----------------------------------------------------------------------------------


@bp.route("/", defaults={"lang": "fr"})
@bp.route("/<lang:lang>/")
@public
def home():
    """The home page: who she is, the flagship session, latest articles, upcoming talks."""
    lang = g.lang
    now = utcnow()
    return render_template(
        "content/home.html",
        profile=service.profile_for(db.session, lang),
        offer=service.flagship_offer(db.session),
        articles=service.latest_articles(db.session, lang, now),
        talks=service.upcoming_talks(db.session, service.local_today(now, consultant_zone())),
    )


@bp.route("/<lang:lang>/articles/")
@public
def articles():
    """Published articles in this language, newest first."""
    pagination = db.paginate(
        service.visible_articles(g.lang, utcnow()),
        page=page_number(),
        per_page=ARTICLES_PER_PAGE,
        max_per_page=ARTICLES_PER_PAGE,
    )
    return render_template("content/articles.html", pagination=pagination)


@bp.route("/<lang:lang>/articles/tag/<tag>")
@public
def tag(tag):
    """Published articles with one tag."""
    pagination = db.paginate(
        service.articles_tagged(g.lang, tag, utcnow()),
        page=page_number(),
        per_page=ARTICLES_PER_PAGE,
        max_per_page=ARTICLES_PER_PAGE,
    )
    if not pagination.total:
        abort(404)
    # Tags are words of one language: the other language gets its article list.
    g.alternates = {other_lang(g.lang): url_for("content.articles", lang=other_lang(g.lang))}
    return render_template("content/articles.html", pagination=pagination, tag=tag)


@bp.route("/<lang:lang>/search")
@public
def search():
    """Search the titles and texts of published articles."""
    query = request.args.get("q", "").strip()[:200]
    pagination = None
    if query:
        pagination = db.paginate(
            service.search_articles(db.session, g.lang, query, utcnow()),
            page=page_number(),
            per_page=ARTICLES_PER_PAGE,
            max_per_page=ARTICLES_PER_PAGE,
        )
    return render_template("content/search.html", query=query, pagination=pagination)


@bp.route("/<lang:lang>/articles/<slug>")
@public
def article(slug):
    """One published article; drafts and future ones are not found."""
    now = utcnow()
    found = service.find_visible_article(db.session, g.lang, slug, now)
    if found is None:
        abort(404)
    translation = service.visible_translation(found, now)
    alternates = {found.lang: url_for("content.article", lang=found.lang, slug=found.slug)}
    if translation is not None:
        alternates[translation.lang] = url_for(
            "content.article", lang=translation.lang, slug=translation.slug
        )
    else:
        alternates[other_lang(found.lang)] = url_for(
            "content.articles", lang=other_lang(found.lang)
        )
    g.alternates = alternates
    response = current_app.make_response(
        render_template(
            "content/article.html",
            article=found,
            translation=translation,
            offer=service.flagship_offer(db.session),
        )
    )
    response.last_modified = found.updated_at
    return response


@bp.route("/<lang:lang>/speaker/")
@public
def bio():
    """The speaker bio: photo, bios, topics, talks, testimonials, media kit."""
    profile = service.profile_for(db.session, g.lang)
    testimonials = db.session.scalars(
        sa.select(Testimonial).order_by(Testimonial.position, Testimonial.id)
    ).all()
    today = service.local_today(utcnow(), consultant_zone())
    talks = service.all_talks(db.session)
    response = current_app.make_response(
        render_template(
            "content/bio.html",
            profile=profile,
            upcoming=[talk for talk in talks if talk.held_on >= today][::-1],
            past=[talk for talk in talks if talk.held_on < today],
            testimonials=testimonials,
        )
    )
    if profile is not None:
        response.last_modified = profile.updated_at
    return response


@bp.route("/<lang:lang>/speaker/media-kit.zip")
@public
def media_kit():
    """Short bio, long bio and photo in one zip, for event organisers."""
    profile = service.profile_for(db.session, g.lang)
    if profile is None:
        abort(404)
    return send_file(
        service.media_kit(profile, service.uploads_folder(current_app.instance_path)),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"media-kit-{g.lang}.zip",
        last_modified=profile.updated_at,
    )


@bp.route("/<lang:lang>/speaker/invite", methods=["GET", "POST"])
@public
@limiter.limit("5 per hour", methods=["POST"])
def inquiry():
    """Ask her to speak at an event."""
    now = utcnow()
    form = SpeakingInquiryForm(today=service.local_today(now, consultant_zone()))
    if form.validate_on_submit():
        if form.website.data:
            # A bot filled the hidden field: thank it and keep nothing.
            return redirect(url_for("content.inquiry_thanks"))
        fields = form.inquiry_fields()
        service.record_inquiry(
            db.session,
            fields,
            lang=g.lang,
            business=business.current(),
            budget_label=budget_labels()[fields["budget_range"]],
            now=now,
        )
        return redirect(url_for("content.inquiry_thanks"))
    status = 400 if form.errors else 200
    return render_template("content/inquiry.html", form=form), status


@bp.route("/<lang:lang>/speaker/invite/thanks")
@public
def inquiry_thanks():
    """The inquiry was received."""
    return render_template("content/inquiry_thanks.html")


# Machine-readable ------------------------------------------------------------------------


@bp.route("/<lang:lang>/feed.xml")
@public
def feed():
    """The Atom feed of this language's published articles."""
    now = utcnow()
    items = db.session.scalars(service.visible_articles(g.lang, now).limit(20)).all()
    updated = max((item.updated_at for item in items), default=now)
    body = feeds.atom_feed(
        feed_url=site_url(url_for("content.feed")),
        site_url=site_url(url_for("content.articles")),
        title=f"{current_app.config['SITE_NAME']} · {_('Articles')}",
        subtitle=_("Social media strategy, brand voice and crisis communication."),
        author=current_app.config["OWNER_NAME"],
        lang=g.lang,
        updated=updated,
        entries=[
            {
                "url": site_url(url_for("content.article", slug=item.slug)),
                "title": item.title,
                "summary": item.summary,
                "html": item.body_html,
                "published": item.published_at,
                "updated": item.updated_at,
            }
            for item in items
        ],
    )
    response = Response(body, mimetype="application/atom+xml")
    response.last_modified = updated
    return response


@bp.route("/sitemap.xml")
@public
def sitemap():
    """Every public page in both languages, each with its alternates."""
    now = utcnow()
    pages = []
    for endpoint in ("content.home", "content.articles", "content.bio", "content.inquiry"):
        alternates = {lang: site_url(url_for(endpoint, lang=lang)) for lang in LANGS}
        pages.extend((alternates[lang], None, alternates) for lang in LANGS)
    published = db.session.scalars(
        sa.select(Article)
        .where(Article.visible(now))
        .options(so.joinedload(Article.translation))
        .order_by(Article.lang, Article.published_at.desc())
    ).all()
    for item in published:
        url = site_url(url_for("content.article", lang=item.lang, slug=item.slug))
        alternates = {item.lang: url}
        translation = service.visible_translation(item, now)
        if translation is not None:
            alternates[translation.lang] = site_url(
                url_for("content.article", lang=translation.lang, slug=translation.slug)
            )
        pages.append((url, item.updated_at, alternates if len(alternates) > 1 else {}))
    return Response(feeds.sitemap(pages), mimetype="application/xml")


@bp.route("/robots.txt")
@public
def robots():
    """Crawlers may read the public site; the private screens are not for them."""
    lines = ["User-agent: *", "Allow: /"]
    lines += [f"Disallow: /{lang}/admin/" for lang in LANGS]
    lines += ["Disallow: /admin", "", f"Sitemap: {site_url('/sitemap.xml')}", ""]
    return Response("\n".join(lines), mimetype="text/plain")


@bp.route("/uploads/<filename>")
@public
def upload(filename):
    """An uploaded image; its name is its content hash, so browsers keep it for a year."""
    if not service.is_stored_name(filename):
        abort(404)
    response = send_from_directory(
        service.uploads_folder(current_app.instance_path), filename, max_age=UPLOAD_MAX_AGE
    )
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
