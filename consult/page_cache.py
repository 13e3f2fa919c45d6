"""The page cache: finished public pages for anonymous visitors, invalidated by version.

A public GET of a page listed in PAGES, from a visitor with nothing in her session, is
answered from the cache when a copy rendered against the current versions of what that
page shows is there. What is stored is the response as it left the app (body, status,
headers: security headers, ETag, Last-Modified), exactly as a fresh rendering sends it.

Two doors lead to a copy. PageCacheMiddleware, in front of the app, answers a visitor
without any cookie of the site's own sessions straight from the stored bytes (its 304s
included): that is what makes a copy cheap, as WordPress's and Ghost's page caches answer
before the application starts. Everyone else goes through Flask, where serve_stored_page,
the last before_request hook (once access and language are settled), decides with the
session in hand, renders a missed page once, and store_page keeps the finished response.

Invalidation is by version, one per area (content, offers, availability, bookings). Every
committed write through the app's engine bumps the versions of the areas its tables feed,
whoever wrote it (a view, a service, the worker, a test): the versions live in the cache
backend, so every process sees them at once, and a page's key carries the versions of
its areas, so an edit makes the old copies unreachable. A table nobody mapped bumps them
all (fail safe); tables no public page reads bump nothing.

What the clock alone changes (a scheduled article, a hold that lapses, the notice before a
slot) shows within PAGE_CACHE_SECONDS (PAGE_CACHE_SLOT_SECONDS for the slot pages).

Never stored: signed-in visitors, a session holding anything, a response that sets a
cookie or carries a CSRF token, Cache-Control private or no-store, anything but a 200.
A missed key is rendered once: the first request takes a short lock in the backend, the
others serve the copy whose time ran out, or wait briefly for the new one.
"""

import hashlib
import logging
import secrets
import time
from urllib.parse import urlsplit

import sqlalchemy as sa
from cachelib import SimpleCache
from flask import current_app, g, request, request_finished, session
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import is_resource_modified, parse_accept_header, parse_cookie

from .config import page_cache_url
from .extensions import db, page_cache
from .i18n import LANG_COOKIE, LANGUAGES

log = logging.getLogger(__name__)
request_log = logging.getLogger("consult.request")

CONTENT, OFFERS, AVAILABILITY, BOOKINGS = "content", "offers", "availability", "bookings"
AREAS = (CONTENT, OFFERS, AVAILABILITY, BOOKINGS)

#: The cacheable pages and the areas each one shows. A page not listed is never stored:
#: forms (the speaking inquiry), private links, downloads, the search (every query is a
#: new key). Content pages show the flagship offer, so they follow its edits too.
PAGES = {
    "content.home": (CONTENT, OFFERS),
    "content.articles": (CONTENT, OFFERS),
    "content.tag": (CONTENT, OFFERS),
    "content.article": (CONTENT, OFFERS),
    "content.bio": (CONTENT, OFFERS),
    "content.feed": (CONTENT,),
    "content.sitemap": (CONTENT,),
    "content.robots": (),
    "content.inquiry_thanks": (),
    "newsletter.signup": (),
    "newsletter.thanks": (),
    "booking.offers": (OFFERS,),
    "booking.offer": (OFFERS, AVAILABILITY, BOOKINGS),
    "booking.times": (OFFERS, AVAILABILITY, BOOKINGS),
}
#: Pages whose copies follow the clock closely: free slots move with `now`.
SLOT_PAGES = {"booking.offer", "booking.times"}

#: Which areas a write to each table changes.
TABLE_AREAS = {
    "articles": {CONTENT},
    "article_tags": {CONTENT},
    "profiles": {CONTENT},
    "talks": {CONTENT},
    "testimonials": {CONTENT},
    "uploads": {CONTENT},
    "offers": {OFFERS},
    "availability_rules": {AVAILABILITY},
    "weekly_hours": {AVAILABILITY},
    "date_overrides": {AVAILABILITY},
    "time_off": {AVAILABILITY},
    "external_busy": {AVAILABILITY},
    "bookings": {BOOKINGS},
}
#: Tables no public page reads: writing them changes no stored page.
PRIVATE_TABLES = frozenset(
    {
        "users",
        "emailed_links",
        "outbox_messages",
        "speaking_inquiries",
        "inquiry_messages",
        "content_revisions",
        "calendar_settings",
        "ledger_entries",
        "ledger_taxes",
        "ledger_days",
        "ledger_day_taxes",
        "ledger_rollups",
        "counters",
        "webhook_events",
        "payment_anomalies",
        "audit_entries",
        "consent_records",
        "privacy_requests",
        "privacy_incidents",
        "privacy_settings",
        "newsletter_subscribers",
        "newsletter_issues",
        "newsletter_deliveries",
        "alembic_version",
    }
)
#: Statements that write nothing (raw SQL is read by its first word).
READ_VERBS = frozenset(
    {"SELECT", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "SHOW", "SET"}
)
#: Session keys that say nothing about the visitor: a CSRF secret from a form seen before.
#: Her pages are still served from the cache; a page rendered for her is not stored.
HARMLESS_SESSION_KEYS = frozenset({"csrf_token"})
#: Response headers a stored copy never keeps: they belong to one request.
PER_REQUEST_HEADERS = frozenset(
    {"set-cookie", "date", "server", "x-page-cache", "retry-after", "connection"}
)

#: How long a rendering holds the lock on its key, and how long the others wait for it.
LOCK_SECONDS = 10
WAIT_SECONDS = 2.0
WAIT_STEP_SECONDS = 0.01
#: A copy past its time is kept this much longer, to be served while it is rendered again.
STALE_SECONDS = 300
#: Versions outlive any page (a lost version is a new one: every copy misses, none is stale).
VERSION_SECONDS = 24 * 3600
#: Where a backend keeps the copies this process served lately, and how many at most.
RECENT, RECENT_ENTRIES = "_consult_recent_pages", 256
#: Longer query strings and bodies are not worth a place in the cache.
MAX_QUERY_BYTES = 1024
MAX_BODY_BYTES = 2 * 1024 * 1024

#: Connection.info keys: areas written in the open transaction, and committed but not yet
#: announced (the announcement waits until the connection is returned, after the commit).
_PENDING, _COMMITTED = "consult_page_cache_pending", "consult_page_cache_committed"


# Setup -----------------------------------------------------------------------------------


def backend_url(config):
    """Where pages live: PAGE_CACHE_URL, else the rate limiter's Redis, else this process."""
    return page_cache_url(config)


def _cache_config(app):
    url = backend_url(app.config)
    # One namespace per database: two sites (or two test runs) on one Redis never meet.
    database = app.config["SQLALCHEMY_DATABASE_URI"].encode()
    prefix = f"consult:page:{hashlib.sha256(database).hexdigest()[:12]}:"
    if not url:
        return {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 2000, "CACHE_KEY_PREFIX": prefix}
    if "socket_timeout" not in url:
        # A Redis that hangs must cost a request half a second, not the worker's timeout.
        url += ("&" if "?" in url else "?") + "socket_timeout=0.5&socket_connect_timeout=0.5"
    return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url, "CACHE_KEY_PREFIX": prefix}


def init_app(app):
    """Turn the cache on unless PAGE_CACHE is false. Call it after every before_request
    hook is registered: a stored page is served only once access and language are settled."""
    if not app.config["PAGE_CACHE"]:
        return
    page_cache.init_app(app, config=_cache_config(app))
    backend = app.extensions["cache"][page_cache]
    if not isinstance(backend, SimpleCache):  # in-process already: no second copy needed
        setattr(backend, RECENT, {})
    app.extensions["consult.page_cache"] = backend
    with app.app_context():
        for engine in db.engines.values():
            watch_writes(engine, backend)
    app.before_request(serve_stored_page)
    app.teardown_request(_release_lock)
    app.wsgi_app = PageCacheMiddleware(app, app.wsgi_app)
    # Stored from the finished response: after every after_request hook and the session's
    # cookie, so what is stored is exactly what left, and a Set-Cookie is seen.
    request_finished.connect(store_page, app, weak=False)


def backend_of(app):
    """The cache backend of `app`, or None when the page cache is off."""
    return app.extensions.get("consult.page_cache")


# Versions --------------------------------------------------------------------------------


def _version_key(area):
    return f"v:{area}"


def versions(backend, areas):
    """The current version of each area; an area without one gets a fresh one."""
    if not areas:
        return ()
    found = backend.get_many(*(_version_key(area) for area in areas))
    for index, (area, value) in enumerate(zip(areas, found, strict=True)):
        if value is None:
            backend.add(_version_key(area), secrets.token_hex(8), timeout=VERSION_SECONDS)
            found[index] = backend.get(_version_key(area))
    return tuple(found)


def bump(backend, areas):
    """New versions for `areas`: every copy of a page showing one of them is now a miss."""
    if not areas:
        return
    backend.set_many(
        {_version_key(area): secrets.token_hex(8) for area in areas}, timeout=VERSION_SECONDS
    )


def areas_written(statement, context):
    """The areas a statement about to run changes: none for a read."""
    compiled = getattr(context, "compiled", None)
    if compiled is not None:
        if context.isinsert or context.isupdate or context.isdelete:
            table = getattr(compiled.statement, "table", None)
            return areas_of_table(getattr(table, "name", None))
        if getattr(compiled.statement, "is_select", False):
            return set()
    words = statement.split(None, 1)
    if not words or words[0].upper() in READ_VERBS:
        return set()
    return set(AREAS)  # DDL, raw DML, anything unreadable: everything


def areas_of_table(name):
    if name in TABLE_AREAS:
        return TABLE_AREAS[name]
    return set() if name in PRIVATE_TABLES else set(AREAS)


def watch_writes(engine, backend):
    """Bump the versions of what each committed transaction on `engine` wrote.

    Per connection: writes are noted as they run, kept at commit, dropped at rollback,
    and announced when the connection goes back to the pool, which is after the commit:
    a page rendered meanwhile from the old rows is stored under the old versions only.
    """

    def noted(conn, cursor, statement, parameters, context, executemany):
        areas = areas_written(statement, context)
        if areas:
            conn.info.setdefault(_PENDING, set()).update(areas)

    def committed(conn):
        pending = conn.info.pop(_PENDING, None)
        if pending:
            conn.info.setdefault(_COMMITTED, set()).update(pending)

    def rolled_back(conn):
        conn.info.pop(_PENDING, None)

    def returned(dbapi_connection, record):
        record.info.pop(_PENDING, None)
        areas = record.info.pop(_COMMITTED, None)
        if areas:
            try:
                bump(backend, sorted(areas))
            except Exception:  # the write stands; its pages show within their time
                log.exception("page cache: could not bump %s", sorted(areas))

    sa.event.listen(engine, "before_cursor_execute", noted)
    sa.event.listen(engine, "commit", committed)
    sa.event.listen(engine, "rollback", rolled_back)
    sa.event.listen(engine, "checkin", returned)


# Requests --------------------------------------------------------------------------------


def _visitor_is_anonymous():
    if request.authorization is not None:
        return False
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        return False  # she may be signed in by it
    return set(session.keys()) <= HARMLESS_SESSION_KEYS


def page_key(environ):
    """The key of the page a request asks for, from the request as it reached the server.

    Address, query and, where the path names no language (`/`, the sitemap), what chooses
    one: her language cookie and her browser's first language. Host and scheme as sent
    (forwarded ones included), so a forged Host never reads another host's copy.
    """
    path = environ.get("PATH_INFO", "")
    parts = [
        environ.get("wsgi.url_scheme", ""),
        environ.get("HTTP_X_FORWARDED_PROTO", ""),
        environ.get("HTTP_HOST", ""),
        environ.get("HTTP_X_FORWARDED_HOST", ""),
        environ.get("SCRIPT_NAME", ""),
        path,
        environ.get("QUERY_STRING", ""),
    ]
    if path.lstrip("/").split("/", 1)[0] not in LANGUAGES:
        cookie = parse_cookie(environ.get("HTTP_COOKIE", "")).get(LANG_COOKIE, "")
        browser = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
        parts += [cookie if cookie in LANGUAGES else "", browser.best_match(LANGUAGES) or ""]
    return "p:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def lookup(backend, key):
    """(entry, state): state is "fresh", "expired" (its time ran out, nothing was edited),
    "outdated" (something it shows was edited since) or None (nothing stored).

    A copy this process served lately is kept here too: then only the versions (a few
    bytes) travel from Redis, not the page.
    """
    version_keys = [_version_key(area) for area in AREAS]
    recent = getattr(backend, RECENT, None)
    entry = recent.get(key) if recent is not None else None
    if entry is not None:
        current = dict(zip(AREAS, backend.get_many(*version_keys), strict=True))
        if _state(entry, current) == "fresh":
            return entry, "fresh"
    found = backend.get_many(key, *version_keys)
    entry, current = found[0], dict(zip(AREAS, found[1:], strict=True))
    if entry is None:
        return None, None
    state = _state(entry, current)
    if state == "fresh" and recent is not None:
        if len(recent) >= RECENT_ENTRIES:
            recent.clear()  # crude, but bounded, and the next hits refill it
        recent[key] = entry
    return entry, state


def _state(entry, current):
    if any(current[area] != version for area, version in entry["versions"].items()):
        return "outdated"
    return "fresh" if entry["fresh_until"] > time.time() else "expired"


def serve_stored_page():
    """before_request: answer from the cache, or note the key for store_page."""
    endpoint = request.endpoint
    if endpoint not in PAGES or request.method not in ("GET", "HEAD"):
        return None
    if len(request.query_string) > MAX_QUERY_BYTES or not _visitor_is_anonymous():
        return None
    backend = backend_of(current_app)
    try:
        key = request.environ.get(KEY) or page_key(request.environ)
        entry, state = lookup(backend, key)
        if state == "fresh":
            return _replay(entry, "hit")
        # Read before rendering: an edit made meanwhile leaves this copy outdated.
        found_versions = dict(zip(PAGES[endpoint], versions(backend, PAGES[endpoint]), strict=True))
        lock = "lock:" + key
        if _acquire(backend, lock):
            g.page_cache = (key, lock, found_versions)
            return None
        if state == "expired":
            return _replay(entry, "stale")  # someone renders the new copy right now
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(WAIT_STEP_SECONDS)
            entry, state = lookup(backend, key)
            if state == "fresh":
                return _replay(entry, "hit")
        g.page_cache = (key, None, found_versions)  # that rendering is slow: render here too
    except Exception:
        log.exception("page cache unavailable; rendering %s", request.path)
    return None


def _acquire(backend, lock):
    client = getattr(backend, "_write_client", None)
    if client is not None:  # Redis: one atomic SET NX EX, never a lock without its end
        return bool(client.set(backend._get_prefix() + lock, b"1", nx=True, ex=LOCK_SECONDS))
    return backend.add(lock, 1, timeout=LOCK_SECONDS)


def _replay(entry, how):
    response = current_app.response_class(
        entry["body"], status=entry["status"], headers=entry["headers"]
    )
    response.headers["X-Page-Cache"] = how
    g.page_cache_served = True
    return response


def storable(response):
    """Whether a finished response may be served to anyone: the rules of the module."""
    if response.status_code != 200 or response.direct_passthrough or response.is_streamed:
        return False
    if "Set-Cookie" in response.headers:
        return False
    if response.cache_control.private or response.cache_control.no_store:
        return False
    if "*" in response.vary:
        return False
    if current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") in g:
        return False  # a CSRF token was made for this page
    if session or session.modified:
        return False
    return len(response.get_data()) <= MAX_BODY_BYTES


def store_page(app, response, **extra):
    """request_finished: keep the finished page for the key serve_stored_page noted."""
    noted = g.pop("page_cache", None)
    if noted is None or g.get("page_cache_served"):
        return
    key, lock, found_versions = noted
    backend = backend_of(app)
    try:
        if request.method == "GET" and storable(response):
            slots = request.endpoint in SLOT_PAGES
            seconds = app.config["PAGE_CACHE_SLOT_SECONDS" if slots else "PAGE_CACHE_SECONDS"]
            headers = [
                (name, value)
                for name, value in response.headers.items()
                if name.lower() not in PER_REQUEST_HEADERS
            ]
            entry = {
                "status": response.status_code,
                "headers": headers,
                "body": response.get_data(),
                "versions": found_versions,
                "fresh_until": time.time() + seconds,
            }
            backend.set(key, entry, timeout=seconds + STALE_SECONDS)
            response.headers.setdefault("X-Page-Cache", "miss")
    except Exception:
        log.exception("page cache: could not store %s", request.path)
    finally:
        if lock is not None:
            _delete_quietly(backend, lock)


def _release_lock(error=None):
    """teardown: a rendering that failed before it finished lets the others go."""
    noted = g.pop("page_cache", None)
    if noted is not None and noted[1] is not None:
        _delete_quietly(backend_of(current_app), noted[1])


def _delete_quietly(backend, key):
    try:
        backend.delete(key)
    except Exception:
        log.exception("page cache: could not release %s", key)


# The front door --------------------------------------------------------------------------

#: Where the middleware leaves the key for the app.
KEY = "consult.page_cache.key"
#: Headers a 304 does not repeat (RFC 9110: it has no content).
NOT_IN_304 = frozenset({"content-length", "content-type", "content-encoding"})


class PageCacheMiddleware:
    """Answers a cookieless (or session-less) visitor's GET from a fresh stored copy
    without entering Flask; anything else, or a miss, goes on to the app.

    Only the requests Flask would answer the same way for everyone reach a copy: no
    Authorization, no session or remember cookie (the app looks inside those), no Referer
    from this site in another language (i18n.remember_language would set her cookie).
    """

    def __init__(self, app, wsgi_app):
        self.app = wsgi_app
        self.backend = backend_of(app)
        self.private_cookies = (
            app.config.get("SESSION_COOKIE_NAME", "session"),
            app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
        )

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD") or environ.get("PATH_INFO", "").startswith("/static/"):
            return self.app(environ, start_response)
        started = time.perf_counter()
        key = environ[KEY] = page_key(environ)
        if not self._anyone(environ):
            return self.app(environ, start_response)
        try:
            entry, state = lookup(self.backend, key)
        except Exception:
            log.exception("page cache unavailable")
            return self.app(environ, start_response)
        if state != "fresh":
            return self.app(environ, start_response)
        headers = entry["headers"]
        status, body = "200 OK", entry["body"]
        if environ.get("HTTP_IF_NONE_MATCH") or environ.get("HTTP_IF_MODIFIED_SINCE"):
            fields = {name.lower(): value for name, value in headers}
            if not is_resource_modified(
                environ, etag=fields.get("etag"), last_modified=fields.get("last-modified")
            ):
                status, body = "304 Not Modified", b""
                headers = [pair for pair in headers if pair[0].lower() not in NOT_IN_304]
        start_response(status, [*headers, ("X-Page-Cache", "hit")])
        request_log.info(
            "%s %s %s %.1fms",
            method,
            environ.get("PATH_INFO"),
            status[:3],
            (time.perf_counter() - started) * 1000,
        )
        return [] if method == "HEAD" else [body]

    def _anyone(self, environ):
        """Whether this request is one Flask would answer alike for everyone."""
        if "HTTP_AUTHORIZATION" in environ:
            return False
        raw = environ.get("HTTP_COOKIE")
        if raw and any(name in parse_cookie(raw) for name in self.private_cookies):
            return False
        referrer = environ.get("HTTP_REFERER")
        if referrer:
            came_from = urlsplit(referrer)
            if came_from.netloc == environ.get("HTTP_HOST"):
                here = environ.get("PATH_INFO", "").lstrip("/").split("/", 1)[0]
                there = came_from.path.lstrip("/").split("/", 1)[0]
                if (here in LANGUAGES or there in LANGUAGES) and here != there:
                    return False
        return True
