"""Public pages: home, articles, tags, search, speaker bio, inquiries, feeds, sitemap, images."""

import functools
import json
import os

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

from .. import business, navigation, seo
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
        inquiry_consent_text=service.inquiry_consent_text,
        picture=picture,
        tag_url=tag_url,
        article_image=article_image,
    )
    seo.init_app(app)


# Helpers shared with the templates -------------------------------------------------------


def booking_url(offer, lang):
    """Where an offer is booked, saying which page led there (the owner's dashboard counts
    bookings by it: first-party, no tracker, no cookie)."""
    return url_for("booking.offer", slug=offer.slug_in(lang), lang=lang, **{"from": request.path})


def site_url(path):
    """An absolute address on the public site (canonical links, feeds, sitemap)."""
    return business.current().absolute(path)


def upload_url(filename):
    return url_for("content.upload", filename=filename) if filename else None


def picture(filename):
    """The size and narrower copies of an uploaded image (for width, height and srcset)."""
    if not filename or not service.is_stored_name(filename):
        return None
    return service.picture(service.uploads_folder(current_app.instance_path), filename)


def article_image(article):
    """The absolute address of an article's sharing picture: its cover, its card, or the site's."""
    chosen = article.cover_image or article.social_card
    return site_url(upload_url(chosen)) if chosen else seo.default_social_image()


def tag_url(tag, lang=None):
    return url_for("content.tag", lang=lang or g.lang, tag=service.tag_slug(tag))


def feed_links():
    """(lang, absolute href, title) of each language's Atom feed, for <link rel="alternate">."""
    titles = {"fr": "Articles (français)", "en": "Articles (English)"}
    return [(lang, site_url(url_for("content.feed", lang=lang)), titles[lang]) for lang in LANGS]


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
    """Published articles with one tag; the tag's old address (its words) moves here (308)."""
    now = utcnow()
    found = service.find_tag(db.session, g.lang, tag, now)
    if found is None:
        abort(404)
    if tag != service.tag_slug(found):
        kept = request.args.to_dict(flat=False)
        return redirect(url_for("content.tag", tag=service.tag_slug(found), **kept), 308)
    tag = found
    pagination = db.paginate(
        service.articles_tagged(g.lang, tag, now),
        page=page_number(),
        per_page=ARTICLES_PER_PAGE,
        max_per_page=ARTICLES_PER_PAGE,
    )
    if not pagination.total:
        abort(404)
    # Tags are words of one language: the other language gets its article list.
    g.alternates = {other_lang(g.lang): url_for("content.articles", lang=other_lang(g.lang))}
    return render_template(
        "content/articles.html", pagination=pagination, tag=tag, tag_slug=service.tag_slug(tag)
    )


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
                "html": feeds.absolute_links(
                    item.body_html, site_url(url_for("content.article", slug=item.slug))
                ),
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
    for endpoint in (
        "content.home",
        "content.articles",
        "content.bio",
        "content.inquiry",
        "booking.offers",
    ):
        alternates = {lang: site_url(url_for(endpoint, lang=lang)) for lang in LANGS}
        pages.extend((alternates[lang], None, alternates) for lang in LANGS)
    for offer in service.bookable_offers(db.session):
        alternates = {
            lang: site_url(url_for("booking.offer", lang=lang, slug=offer.slug_in(lang)))
            for lang in LANGS
        }
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
    default = current_app.config["DEFAULT_LOCALE"]
    pages = [(url, lastmod, feeds.with_x_default(alts, default)) for url, lastmod, alts in pages]
    return Response(feeds.sitemap(pages), mimetype="application/xml")


#: Paths under each language that crawlers must not enter: the desks, sign-in, private links
#: (manage, status, receipts) and checkout.
PRIVATE_PREFIXES = (
    "admin/",
    "accounting/",
    "account",
    "login",
    "logout",
    "password/",
    "booking/",
    "book/status/",
    "pay/",
)


@bp.route("/robots.txt")
@public
def robots():
    """Crawlers may read the public site; the private screens are not for them.

    The Disallow lines come first: RFC 9309 parsers take the longest match, older ones
    (Python's urllib.robotparser among them) the first, and both then keep crawlers out.
    Each language's prefix is written out, since first-match parsers know no wildcards.
    """
    lines = ["User-agent: *"]
    lines += [f"Disallow: /{lang}/{prefix}" for prefix in PRIVATE_PREFIXES for lang in LANGS]
    lines += ["Disallow: /admin", "Disallow: /calendar/", "Disallow: /webhooks/"]
    lines += ["Allow: /", "", f"Sitemap: {site_url('/sitemap.xml')}", ""]
    return Response("\n".join(lines), mimetype="text/plain")


@bp.route("/favicon.ico")
@public
def favicon():
    """The site's icon where browsers and feed readers look for it first."""
    return _static_icon("favicon.ico", "image/vnd.microsoft.icon")


@bp.route("/apple-touch-icon.png")
@public
def apple_touch_icon():
    """The home-screen icon, where phones look for it without a <link>."""
    return _static_icon("apple-touch-icon.png", "image/png")


def _static_icon(name, mimetype):
    # From memory, not streamed from the file: a few KB, asked for by every first visit.
    response = Response(_icon_bytes(current_app.static_folder, name), mimetype=mimetype)
    response.cache_control.public = True
    response.cache_control.max_age = 24 * 3600
    return response


@functools.cache
def _icon_bytes(static_folder, name):
    with open(os.path.join(static_folder, "icons", name), "rb") as handle:
        return handle.read()


@bp.route("/<lang:lang>/manifest.webmanifest")
@public
def manifest():
    """The web app manifest: the site's name and icons, in the page's language."""
    site = current_app.config["SITE_NAME"]
    icons = [
        {"src": url_for("static", filename="icons/icon-192.png"), "sizes": "192x192"},
        {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512"},
    ]
    body = {
        "name": site,
        "short_name": site,
        "description": _("Social media strategy, brand voice and crisis communication."),
        "lang": g.lang,
        "start_url": url_for("content.home", lang=g.lang),
        "scope": "/",
        "display": "browser",
        "background_color": "#ffffff",
        "theme_color": "#1f3a5f",
        "icons": [{**icon, "type": "image/png"} for icon in icons]
        + [{"src": url_for("static", filename="icons/icon.svg"), "sizes": "any",
            "type": "image/svg+xml"}],
    }  # fmt: skip
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")


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
