"""The reader's pages: sign up, confirm, preferences, unsubscribe (RFC 8058 one-click too)."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import business
from ..auth.access import public
from ..extensions import csrf, db, limiter, utcnow
from ..i18n import current_lang
from ..security import client_address_key
from . import links, service, texts
from .forms import PREFIX, ConfirmForm, PreferencesForm, SignupForm
from .models import ACTIVE, PENDING

bp = Blueprint("newsletter", __name__, url_prefix="/<lang:lang>")

#: What a browser's Sec-Fetch-Site says of a form sent from one of our own pages (or typed).
OWN_SITE = ("same-origin", "none")
#: The body of RFC 8058's one-click POST, sent by her mail provider.
ONE_CLICK = "One-Click"


@bp.record_once
def add_globals(state):
    state.app.jinja_env.globals.update(
        newsletter_form=signup_form,
        newsletter_consent=shown_consent,
        newsletter_notice_lines=texts.notice_lines,
    )


def signup_form(source):
    """An empty sign-up form for a page: her emails in the page's language by default."""
    return SignupForm(formdata=None, prefix=PREFIX, data={"lang": current_lang(), "source": source})


def shown_consent():
    site = business.current()
    return texts.consent_text(site.owner_name, site.site_name)


def _signup_limit():
    return current_app.config["NEWSLETTER_SIGNUP_RATE_LIMIT"]


def _origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def sent_from_another_site():
    """OWASP's standard-header check, for a form that carries no CSRF token: a browser says
    where a POST comes from (Sec-Fetch-Site, Origin); a request that says nothing (an old
    browser, a script) is let through to the honeypot and the rate limit."""
    fetched_from = request.headers.get("Sec-Fetch-Site")
    if fetched_from is not None and fetched_from not in OWN_SITE:
        return True
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    ours = {_origin(request.host_url), _origin(business.current().site_url)}
    return origin.strip().lower().rstrip("/") not in ours


def _private(body, status=200):
    """A page behind her own link: never stored, nor leaked by Referer (seo keeps it unindexed)."""
    response = current_app.make_response((body, status))
    response.cache_control.no_store = True
    response.cache_control.private = True
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _unknown_link():
    return _private(render_template("newsletter/unknown_link.html"), 404)


@bp.route("/newsletter", methods=["GET", "POST"])
@public
@limiter.limit(_signup_limit, methods=["POST"])
@csrf.exempt
def signup():
    """Subscribe: an email, the language of her emails; a link to confirm is emailed."""
    if request.method == "GET":
        return render_template("newsletter/signup.html", signup_form=signup_form("page"))
    if sent_from_another_site():
        return render_template("newsletter/refused.html"), 403
    form = SignupForm(prefix=PREFIX)
    if not form.validate():
        return render_template("newsletter/signup.html", signup_form=form), 400
    if not form.website.data:  # a bot filled the hidden field: thank it and keep nothing
        site = business.current()
        service.sign_up(
            db.session,
            email=form.email.data,
            lang=form.lang.data,
            source=form.source.data,
            shown=texts.shown_text(site.owner_name, site.site_name),
            page_lang=current_lang(),
            address_hash=client_address_key(),
            now=utcnow(),
        )
    # The same answer whatever the address's state: the form never tells who is known.
    return redirect(url_for("newsletter.thanks"), 303)


@bp.route("/newsletter/thanks")
@public
def thanks():
    """Check your inbox: the link that confirms the subscription is on its way."""
    return render_template("newsletter/thanks.html")


@bp.route("/newsletter/confirm/<token>", methods=["GET", "POST"])
@public
def confirm(token):
    """The emailed link: one button confirms (a mail scanner following the link spends
    nothing)."""
    now = utcnow()
    pending = service.usable_subscriber(db.session, token, now)
    if pending is None:
        return _private(render_template("newsletter/link_expired.html"), 410)
    form = ConfirmForm()
    if request.method == "GET" or not form.validate_on_submit():
        page = render_template("newsletter/confirm.html", form=form, subscriber=pending)
        return _private(page, 200 if request.method == "GET" else 400)
    site = business.current()
    try:
        subscriber = service.confirm(
            db.session,
            token,
            now,
            page_lang=current_lang(),
            shown=texts.shown_text(site.owner_name, site.site_name),
            address_hash=client_address_key(),
        )
    except service.InvalidLink:
        return _private(render_template("newsletter/link_expired.html"), 410)
    return _private(
        render_template(
            "newsletter/confirmed.html",
            subscriber=subscriber,
            language=texts.language_names()[subscriber.lang],
            reader_token=links.reader_token(subscriber.id),
        )
    )


@bp.route("/newsletter/<token>", methods=["GET", "POST"])
@public
def preferences(token):
    """Her preferences, from the link in every email, without signing in: the language of
    her emails, or leaving."""
    subscriber = service.find_by_token(db.session, token)
    if subscriber is None:
        return _unknown_link()
    subscribed = subscriber.status in (PENDING, ACTIVE)
    form = PreferencesForm(data={"lang": subscriber.lang} if request.method == "GET" else None)
    if request.method == "POST" and subscribed:
        if not form.validate_on_submit():
            page = render_template(
                "newsletter/preferences.html", form=form, subscriber=subscriber, subscribed=True
            )
            return _private(page, 400)
        if form.leave.data:
            service.unsubscribe(db.session, subscriber, utcnow(), how="preferences")
            return _private(render_template("newsletter/unsubscribed.html"))
        service.change_language(db.session, subscriber, form.lang.data, utcnow())
        flash(_("Your choice is saved."), "success")
        return redirect(url_for("newsletter.preferences", token=token), 303)
    page = render_template(
        "newsletter/preferences.html", form=form, subscriber=subscriber, subscribed=subscribed
    )
    return _private(page)


@bp.route("/newsletter/<token>/unsubscribe", methods=["GET", "POST"])
@public
@csrf.exempt
def unsubscribe(token):
    """Leave: a page with one button for a person; the same address takes RFC 8058's
    one-click POST from her mail provider (no cookie, no CSRF token: the signed link is
    the authority)."""
    subscriber = service.find_by_token(db.session, token)
    if subscriber is None:
        return _unknown_link()
    if request.method == "POST":
        one_click = request.form.get("List-Unsubscribe") == ONE_CLICK
        how = "one-click" if one_click else "link"
        service.unsubscribe(db.session, subscriber, utcnow(), how=how)
        return _private(render_template("newsletter/unsubscribed.html"))
    subscribed = subscriber.status in (PENDING, ACTIVE)
    return _private(
        render_template("newsletter/unsubscribe.html", subscriber=subscriber, subscribed=subscribed)
    )
