"""Static files served by WhiteNoise: pre-compressed, a year in caches when fingerprinted.

security.static_url() adds `?v=<first 12 hex of the file's SHA-256>` to each static URL.
A request carrying the file's current fingerprint gets `Cache-Control: public,
max-age=31536000, immutable`; without it (or with an old one) the file is revalidated
after a minute. Both come from a copy of consult/static next to its gzip (and Brotli, when
the brotli package is installed) variants, made once per content of the folder, so
WhiteNoise answers `Accept-Encoding: gzip` with the smaller file and nginx need not
compress them again.
"""

import hashlib
import os
import shutil
import tempfile
import uuid

from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

ONE_YEAR = 365 * 24 * 3600
#: What a fingerprinted URL may be kept for, as security.set_cache_headers says it.
IMMUTABLE = f"public, max-age={ONE_YEAR}, immutable"
#: Without its fingerprint, a file is asked for again after this many seconds.
PLAIN_MAX_AGE = 60


def fingerprint(data):
    """The version static_url() puts in the address (the same digest, the same length)."""
    return hashlib.sha256(data).hexdigest()[:12]


def _files(folder):
    for directory, _dirs, names in os.walk(folder):
        for name in sorted(names):
            path = os.path.join(directory, name)
            yield os.path.relpath(path, folder).replace(os.sep, "/"), path


def build(source, parent):
    """A compressed copy of `source` under `parent`, named by its content; made once.

    Several processes may start together (gunicorn's workers): each builds in a folder of
    its own and renames it into place; the loser throws its copy away.
    """
    versions, tree = {}, hashlib.sha256()
    for name, path in _files(source):
        with open(path, "rb") as handle:
            data = handle.read()
        versions[name] = fingerprint(data)
        tree.update(f"{name}\0{versions[name]}\0".encode())
    target = os.path.join(parent, tree.hexdigest()[:16])
    if not os.path.isdir(target):
        os.makedirs(parent, exist_ok=True)
        scratch = os.path.join(parent, f".build-{uuid.uuid4().hex}")
        shutil.copytree(source, scratch)
        compressor = Compressor(quiet=True)
        for name, path in list(_files(scratch)):
            if compressor.should_compress(name):
                compressor.compress(path)
        try:
            os.rename(scratch, target)
        except OSError:  # another process put its copy there first
            shutil.rmtree(scratch, ignore_errors=True)
    return target, versions


class FingerprintedStatic:
    """In front of the app: /static/<file>?v=<its fingerprint> for a year, else a minute."""

    def __init__(self, wsgi_app, root, versions, prefix="static/"):
        self.versions = versions
        self.prefix = "/" + prefix
        self.plain = WhiteNoise(
            wsgi_app, root, prefix, max_age=PLAIN_MAX_AGE, add_headers_function=_nosniff
        )
        self.forever = WhiteNoise(
            wsgi_app,
            root,
            prefix,
            immutable_file_test=lambda path, url: True,
            add_headers_function=_immutable,
        )

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(self.prefix):
            name = path[len(self.prefix) :]
            asked = _query_value(environ.get("QUERY_STRING", ""), "v")
            if asked and asked == self.versions.get(name):
                return self.forever(environ, start_response)
        return self.plain(environ, start_response)


def _query_value(query, wanted):
    for pair in query.split("&"):
        key, _sep, value = pair.partition("=")
        if key == wanted:
            return value
    return None


def _nosniff(headers, path, url):
    headers["X-Content-Type-Options"] = "nosniff"


def _immutable(headers, path, url):
    _nosniff(headers, path, url)
    headers["Cache-Control"] = IMMUTABLE


def build_folder(app):
    """STATIC_BUILD_FOLDER, else instance/static-build; tests share one under the temp dir,
    so the thousand apps a test run makes compress the files once."""
    if app.config.get("STATIC_BUILD_FOLDER"):
        return app.config["STATIC_BUILD_FOLDER"]
    if app.testing:
        user = getattr(os, "getuid", lambda: 0)()
        return os.path.join(tempfile.gettempdir(), f"consult-static-{user}")
    return os.path.join(app.instance_path, "static-build")


def init_app(app):
    """Serve app.static_folder through WhiteNoise, outermost (before the page cache)."""
    if app.debug:
        return  # `flask run --debug`: Flask serves the files as they are edited
    root, versions = build(app.static_folder, build_folder(app))
    app.wsgi_app = FingerprintedStatic(app.wsgi_app, root, versions)
    app.extensions["consult.static_root"] = root
