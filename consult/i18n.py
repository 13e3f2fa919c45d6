"""Languages: the locale lives in the URL (/fr/..., /en/...), French by default."""

from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, g, redirect, request, url_for
from flask_babel import force_locale, gettext
from markupsafe import Markup, escape
from werkzeug.routing import BaseConverter, BuildError

from .extensions import babel

#: The site's languages: each has its catalogs, its feeds and its sitemap entries.
LANGUAGES = ("fr", "en")
#: The cookie keeping the language she chose; it wins over her browser's at `/`.
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


class LangConverter(BaseConverter):
    """Matches only the site's languages, so /de/... is a plain 404."""

    def __init__(self, url_map, *items):
        super().__init__(url_map)
        self.regex = "|".join(LANGUAGES)


def select_locale():
    """The URL's language; elsewhere (webhooks, unknown pages) the browser's preference."""
    lang = g.get("lang")
    if lang:
        return lang
    if request:
        best = request.accept_languages.best_match(LANGUAGES)
        if best:
            return best
    return current_app.config["DEFAULT_LOCALE"]


def current_lang():
    return g.get("lang") or select_locale()


def pull_lang(endpoint, values):
    if values and "lang" in values:
        g.lang = values.pop("lang")


def add_lang(endpoint, values):
    if "lang" in values or not endpoint:
        return
    if current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        values["lang"] = current_lang()


def switch_language_url(lang):
    """The same page in another language; pages may override it with `alternates`."""
    alternates = g.get("alternates")
    if alternates and lang in alternates:
        return alternates[lang]
    endpoint = request.endpoint
    if endpoint and current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        values = {**_kept_query_args(endpoint), **(request.view_args or {}), "lang": lang}
        try:
            return url_for(endpoint, **values)
        except (BuildError, ValueError, TypeError):
            pass
    return url_for("content.home", lang=lang)


def _kept_query_args(endpoint):
    """The query string, less what would change the URL's path or how url_for builds it.

    A key naming one of the endpoint's own arguments (?lang=en) would replace a part of the
    path, and url_for reads keys starting with an underscore (?_external=1) as options.
    """
    reserved = {"endpoint"}
    for rule in current_app.url_map.iter_rules(endpoint):
        reserved.update(rule.arguments)
    return {
        key: values
        for key, values in request.args.lists()
        if key not in reserved and not key.startswith("_")
    }


def language_at_root():
    """`/` speaks the language she chose last, else her browser's first, else French: a
    redirect to /en/ when that is English."""
    if request.path != "/" or request.method not in ("GET", "HEAD"):
        return None
    chosen = request.cookies.get(LANG_COOKIE)
    lang = chosen if chosen in LANGUAGES else request.accept_languages.best_match(LANGUAGES)
    if lang and lang != current_app.config["DEFAULT_LOCALE"]:
        response = redirect(url_for("content.home", lang=lang))
        response.vary.update(("Accept-Language", "Cookie"))
        return response
    return None


def remember_language(response):
    """Following a link from a page in the other language (the language switch) is a choice:
    keep it for `/`. `/` itself answers by her language and her choice, so says so."""
    if request.path == "/":
        response.vary.update(("Accept-Language", "Cookie"))
        return response
    lang = g.get("lang")
    if not lang or request.method != "GET" or request.cookies.get(LANG_COOKIE) == lang:
        return response
    came_from = urlsplit(request.referrer or "")
    if came_from.netloc != request.host:
        return response
    first = came_from.path.strip("/").split("/", 1)[0]
    before = first if first in LANGUAGES else current_app.config["DEFAULT_LOCALE"]
    if before != lang:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=LANG_COOKIE_MAX_AGE,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
            httponly=True,
            samesite="Lax",
        )
    return response


def french_first(message, **variables):
    """`message` in French, then in the page's language when it is not French: what the
    Charter of the French language asks of a receipt ("<span lang=fr>Reçu</span> / Receipt").
    Extracted like gettext (`make messages` knows the keyword)."""
    with force_locale("fr"):
        french = gettext(message, **variables)
    if current_lang() == "fr":
        return french
    other = gettext(message, **variables)
    if other == french:
        return french
    return Markup('<span lang="fr">{}</span> / {}').format(french, escape(other))


def init_app(app):
    app.url_map.converters["lang"] = LangConverter
    app.before_request(language_at_root)
    app.after_request(remember_language)
    babel.init_app(app, locale_selector=select_locale, default_timezone="UTC")
    app.url_value_preprocessor(pull_lang)
    app.url_defaults(add_lang)
    app.jinja_env.globals.update(
        switch_language_url=switch_language_url,
        current_lang=current_lang,
        french_first=french_first,
    )


def translation_directories():
    """consult/translations and each package's own translations/, merged by Flask-Babel."""
    root = Path(__file__).parent
    return [str(path) for path in sorted(root.glob("**/translations")) if path.is_dir()]
