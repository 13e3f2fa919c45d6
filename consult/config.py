"""Settings: defaults here, then instance/config.py, then CONSULT_* environment variables."""

import json
import os

#: The secret key a fresh local install runs with; production refuses it.
DEV_SECRET_KEY = "dev-only-not-secret"

DEFAULTS = {
    "ENV_NAME": "development",
    "SECRET_KEY": DEV_SECRET_KEY,
    # Empty means the SQLite file instance/consult.sqlite3.
    "DATABASE_URL": "",
    "SITE_URL": "http://127.0.0.1:5000",
    "SITE_NAME": "Consult",
    "OWNER_NAME": "Camille Lavoie",
    "OWNER_EMAIL": "owner@example.com",
    "BUSINESS_ADDRESS": "Montréal (Québec)",
    "DEFAULT_LOCALE": "fr",
    "TIME_ZONE": "America/Montreal",
    "CURRENCY": "CAD",
    # A Jitsi-style host ("https://meet.jit.si") on which each video session gets its own
    # room; empty means offers without a fixed link have no generated room.
    "MEETING_ROOM_HOST": "",
    # Tax profile: each tax is computed on the pre-tax amount and rounded half up.
    "TAXES": [
        {"code": "GST", "name": "TPS/GST", "rate": "0.05", "registration": "123456789 RT0001"},
        {"code": "QST", "name": "TVQ/QST", "rate": "0.09975", "registration": "1234567890 TQ0001"},
    ],
    # Payments: "demo", "stripe" or "manual".
    "PAYMENT_GATEWAY": "demo",
    "STRIPE_SECRET_KEY": "",
    "STRIPE_WEBHOOK_SECRET": "",
    "STRIPE_API_BASE": "",
    "DEMO_WEBHOOK_SECRET": "whsec_demo_local_only",
    # How old a signed webhook may be (seconds) before it is refused as a replay.
    "WEBHOOK_TOLERANCE_SECONDS": 300,
    # The largest webhook body accepted (Stripe's events are a few KB); larger gets a 413.
    "WEBHOOK_MAX_BYTES": 64 * 1024,
    # Against hoarding: live holds one email or one client address may keep at once, and
    # how often one address may submit the reservation form.
    "MAX_LIVE_HOLDS_PER_EMAIL": 2,
    "MAX_LIVE_HOLDS_PER_ADDRESS": 3,
    "RESERVE_RATE_LIMIT": "10 per hour",
    # Each call to Stripe's API: seconds to connect, seconds to wait for an answer, and how
    # many times a timed-out or failed call is tried again (under one idempotency key).
    # The worst case of one call (stripe_call_budget) must stay under half the web worker's
    # timeout: a request makes at most two calls (a new checkout, closing the older one).
    "STRIPE_CONNECT_TIMEOUT_SECONDS": 2.0,
    "STRIPE_READ_TIMEOUT_SECONDS": 5.0,
    "STRIPE_MAX_NETWORK_RETRIES": 1,
    # The web worker's timeout these budgets assume (gunicorn --timeout).
    "WEB_WORKER_TIMEOUT_SECONDS": 30,
    "HOLD_MINUTES": 30,
    "MANUAL_HOLD_HOURS": 72,
    "MANUAL_PAYMENT_INSTRUCTIONS": "",
    # Cancellation policy.
    "FREE_CANCELLATION_HOURS": 48,
    "RESCHEDULE_NOTICE_HOURS": 24,
    "MAX_RESCHEDULES": 1,
    "REMINDER_HOURS": 24,
    # Mail: "file" writes to instance/outbox, "smtp" sends.
    "MAIL_TRANSPORT": "file",
    "MAIL_FROM": "Consult <no-reply@example.com>",
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 587,
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": True,
    # Seconds SMTP may take over each exchange (connect, each command) before a retry.
    "SMTP_TIMEOUT_SECONDS": 10,
    # Rate limits: memory locally, Redis in production (redis://127.0.0.1:6379/0).
    "RATELIMIT_STORAGE_URI": "memory://",
    # How many web processes serve the site (gunicorn --workers). Counters in memory:// are
    # per process, so production refuses them with more than one.
    "WEB_WORKERS": 1,
    "LOGIN_RATE_LIMIT": "5 per minute;20 per hour",
    # Seconds "keep me signed in" lasts (only when she ticks it): 30 days, not a year.
    "REMEMBER_COOKIE_DURATION": 30 * 24 * 3600,
    "UPLOAD_MAX_BYTES": 5 * 1024 * 1024,
    # Calendar sync: seconds to wait for her ICS address or CalDAV server.
    "CALENDAR_TIMEOUT_SECONDS": 10,
    # Whether her calendar addresses may point at loopback, private or link-local hosts.
    # None follows ENV_NAME: allowed in development and tests (Radicale on 127.0.0.1),
    # refused in production, where such an address could reach inside the server's network.
    "CALENDAR_ALLOW_PRIVATE_ADDRESSES": None,
    # A PEM file of certificate authorities her calendar server's certificate may come from
    # (a server on her own network with its own authority); empty: the system's usual ones.
    "CALENDAR_CA_BUNDLE": "",
    # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    "PROXY_HOPS": 0,
    # Largest request body of any kind (an upload plus its form); larger gets a 413 page.
    "MAX_CONTENT_LENGTH": 6 * 1024 * 1024,
    # The page cache (consult/page_cache.py): finished public pages for anonymous visitors,
    # invalidated by version on every edit. false turns it off.
    "PAGE_CACHE": True,
    # Where pages live: empty follows RATELIMIT_STORAGE_URI when that is redis:// (shared by
    # every process and machine), else each process keeps its own; or a redis:// URL.
    "PAGE_CACHE_URL": "",
    # Seconds a stored page is served before it is rendered again without any edit: what the
    # clock alone changes (a scheduled article, a talk now past, a lapsed hold, the notice).
    "PAGE_CACHE_SECONDS": 60,
    "PAGE_CACHE_SLOT_SECONDS": 15,
    # Where the compressed copy of consult/static is made (consult/static_files.py); empty
    # means instance/static-build.
    "STATIC_BUILD_FOLDER": "",
    # Privacy (Law 25): the person in charge of personal information, empty meaning the
    # owner; how long inquiries, intake answers and mail bodies are kept (days) until the
    # owner sets her own on her desk; how many requests one address may file per hour.
    "PRIVACY_OFFICER_NAME": "",
    "PRIVACY_OFFICER_TITLE": "",
    "PRIVACY_OFFICER_EMAIL": "",
    "PRIVACY_INQUIRY_RETENTION_DAYS": 730,
    "PRIVACY_INTAKE_RETENTION_DAYS": 365,
    "PRIVACY_OUTBOX_RETENTION_DAYS": 90,
    "PRIVACY_REQUEST_RATE_LIMIT": "5 per hour",
    # The newsletter: sign-ups one network may send (the form also has a honeypot); hours
    # the confirmation link works; how many emails a second the worker hands to the mail
    # server (providers cap it: 14 a second on Amazon SES's first tier), 0 for no cap;
    # deliveries one worker claims at once.
    "NEWSLETTER_SIGNUP_RATE_LIMIT": "5 per hour;20 per day",
    "NEWSLETTER_CONFIRM_HOURS": 48,
    "NEWSLETTER_RATE_PER_SECOND": 10,
    "NEWSLETTER_BATCH_SIZE": 50,
}

#: How a boolean environment variable says yes.
TRUE_WORDS = {"1", "true", "yes", "on"}
#: Booleans whose default, None, means "decided by another setting".
OPTIONAL_BOOLEANS = {"CALENDAR_ALLOW_PRIVATE_ADDRESSES"}


def private_addresses_allowed(config):
    """Whether calendar addresses may reach loopback and private networks (not in production)."""
    allowed = config.get("CALENDAR_ALLOW_PRIVATE_ADDRESSES")
    if allowed is None:
        return config.get("ENV_NAME") != "production"
    return bool(allowed)


def page_cache_url(config):
    """Where the page cache lives: PAGE_CACHE_URL, else the rate limiter's Redis; "" means
    each process keeps its own pages (fine for one process: `flask run`)."""
    url = config.get("PAGE_CACHE_URL") or ""
    if not url and config.get("RATELIMIT_STORAGE_URI", "").startswith(("redis://", "rediss://")):
        url = config["RATELIMIT_STORAGE_URI"]
    return url if url.startswith(("redis://", "rediss://")) else ""


def from_environment(environ=os.environ):
    """Read CONSULT_<NAME> variables; JSON values (numbers, lists, booleans) are decoded."""
    settings = {}
    for key, raw in environ.items():
        if not key.startswith("CONSULT_"):
            continue
        name = key.removeprefix("CONSULT_")
        default = False if name in OPTIONAL_BOOLEANS else DEFAULTS.get(name)
        settings[name] = _coerce(raw, default)
    return settings


def _coerce(raw, default):
    if isinstance(default, bool):
        return raw.strip().lower() in TRUE_WORDS
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, list | dict):
        return json.loads(raw)
    return raw


class UnsafeProductionSettings(RuntimeError):
    """Raised at start-up when production settings are unsafe; the message says which."""


class NetworkBudgetTooLong(RuntimeError):
    """Raised at start-up when one Stripe call could outlast half the web worker's timeout."""


#: The Stripe SDK's pause before its n-th retry is at most min(0.5 * 2**(n-1), 5) seconds,
#: and never less than 0.5 (stripe._http_client.HTTPClient._sleep_time_seconds).
STRIPE_RETRY_DELAY_FIRST, STRIPE_RETRY_DELAY_MAX = 0.5, 5.0


def stripe_call_budget(config):
    """The longest one Stripe call can take: every attempt times out, plus the pauses."""
    retries = config["STRIPE_MAX_NETWORK_RETRIES"]
    attempt = config["STRIPE_CONNECT_TIMEOUT_SECONDS"] + config["STRIPE_READ_TIMEOUT_SECONDS"]
    pauses = sum(
        max(
            STRIPE_RETRY_DELAY_FIRST,
            min(STRIPE_RETRY_DELAY_FIRST * 2 ** (n - 1), STRIPE_RETRY_DELAY_MAX),
        )
        for n in range(1, retries + 1)
    )
    return (retries + 1) * attempt + pauses


def check_network_budget(config):
    """Refuse to start when a Stripe call that never answers would outlive the request."""
    budget = stripe_call_budget(config)
    limit = config["WEB_WORKER_TIMEOUT_SECONDS"] / 2
    if budget >= limit:
        raise NetworkBudgetTooLong(
            f"One Stripe call may take {budget:g} s (CONSULT_STRIPE_MAX_NETWORK_RETRIES + 1 "
            "attempts of CONSULT_STRIPE_CONNECT_TIMEOUT_SECONDS + "
            "CONSULT_STRIPE_READ_TIMEOUT_SECONDS, plus the SDK's pauses); it must stay under "
            f"half of CONSULT_WEB_WORKER_TIMEOUT_SECONDS ({limit:g} s)."
        )


def check_production(config):
    """Fail closed: refuse to start production on development secrets or the demo gateway."""
    if config["ENV_NAME"] != "production":
        return
    problems = []
    if config["SECRET_KEY"] in ("", DEV_SECRET_KEY) or len(config["SECRET_KEY"]) < 32:
        problems.append("CONSULT_SECRET_KEY must be set to a random value of 32+ characters")
    if config["PAYMENT_GATEWAY"] == "demo":
        problems.append("CONSULT_PAYMENT_GATEWAY is 'demo'; use 'stripe' or 'manual'")
    if config["PAYMENT_GATEWAY"] == "stripe":
        if not config["STRIPE_SECRET_KEY"]:
            problems.append("CONSULT_STRIPE_SECRET_KEY is missing")
        if not config["STRIPE_WEBHOOK_SECRET"]:
            problems.append("CONSULT_STRIPE_WEBHOOK_SECRET is missing")
    if config["STRIPE_WEBHOOK_SECRET"] == DEFAULTS["DEMO_WEBHOOK_SECRET"]:
        # Anyone can read it in this code: with it, anyone could sign a payment event.
        problems.append(
            "CONSULT_STRIPE_WEBHOOK_SECRET is the public demo secret; use the endpoint's own"
        )
    if config["STRIPE_API_BASE"]:
        problems.append("CONSULT_STRIPE_API_BASE is for contract tests only; leave it empty")
    if config["RATELIMIT_STORAGE_URI"].startswith("memory://") and config["WEB_WORKERS"] > 1:
        # Each process would count on its own: 4 workers let 4 times the limit through.
        problems.append(
            f"CONSULT_RATELIMIT_STORAGE_URI is memory:// with CONSULT_WEB_WORKERS="
            f"{config['WEB_WORKERS']}; rate limits would not hold: use redis://"
        )
    if config.get("PAGE_CACHE") and not page_cache_url(config) and config["WEB_WORKERS"] > 1:
        # An edit seen by one process would stay unseen by the others' copies.
        problems.append(
            f"the page cache is kept in each process with CONSULT_WEB_WORKERS="
            f"{config['WEB_WORKERS']}: set CONSULT_PAGE_CACHE_URL=redis://... "
            "(or CONSULT_PAGE_CACHE=false)"
        )
    if not config["SITE_URL"].startswith("https://"):
        problems.append("CONSULT_SITE_URL must be an https:// address")
    if problems:
        raise UnsafeProductionSettings(
            "Refusing to start in production: " + "; ".join(problems) + "."
        )
