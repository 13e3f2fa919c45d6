"""Response headers, caching rules, fingerprinted static files and safe redirects."""

import hashlib
import hmac
import ipaddress
import os
from functools import cache
from urllib.parse import urljoin, urlsplit

from flask import current_app, request, url_for
from flask_limiter.util import get_remote_address

from .auth.access import PUBLIC, declared_access

ONE_YEAR = 365 * 24 * 3600


def client_network():
    """The client's address, an IPv6 one by its /64 (what one connection is handed)."""
    raw = get_remote_address() or ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def client_address_key():
    """A keyed hash of the client's network, kept instead of the address (on her hold, as
    the proof of a newsletter consent)."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, client_network().encode(), hashlib.sha256).hexdigest()


def is_safe_next(target):
    """Only paths on this site: no scheme, no host, no `//evil` or `\\evil` tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    parts = urlsplit(urljoin(request.host_url, target))
    return parts.scheme in ("http", "https") and parts.netloc == urlsplit(request.host_url).netloc


def content_security_policy():
    checkout = current_app.config.get("CSP_FORM_ACTION_EXTRA", "")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            f"form-action 'self' {checkout}".strip(),
            "frame-ancestors 'none'",
        ]
    )


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config["ENV_NAME"] == "production":
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=63072000; includeSubDomains"
        )
    return response


def set_cache_headers(response):
    """Fingerprinted static files for a year; public pages revalidated by ETag; private never."""
    endpoint = request.endpoint or ""
    if endpoint == "static" or endpoint.endswith(".static"):
        if request.args.get("v"):
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
        return response
    allowed = declared_access(endpoint) if request.endpoint else None
    if allowed and PUBLIC in allowed and request.method in ("GET", "HEAD"):
        if response.status_code == 200 and not response.direct_passthrough:
            if "Cache-Control" not in response.headers:
                response.cache_control.no_cache = True  # cache, but ask each time (ETag)
            response.vary.add("Cookie")
            response.add_etag()
            response.make_conditional(request)
        return response
    response.cache_control.no_store = True
    response.cache_control.private = True
    return response


@cache
def _static_fingerprint(static_folder, filename):
    path = os.path.join(static_folder, filename)
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()[:12]
    except OSError:
        return None


def static_url(filename):
    """url_for('static') with a content hash, so the file can be cached for a year."""
    version = _static_fingerprint(current_app.static_folder, filename)
    if version is None:
        return url_for("static", filename=filename)
    return url_for("static", filename=filename, v=version)


def init_app(app):
    app.after_request(set_cache_headers)
    app.after_request(set_security_headers)
    app.jinja_env.globals["static_url"] = static_url
    if app.config["ENV_NAME"] == "production":
        app.config.update(
            SESSION_COOKIE_SECURE=True,
            REMEMBER_COOKIE_SECURE=True,
            PREFERRED_URL_SCHEME="https",
        )
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
