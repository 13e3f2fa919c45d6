"""The reader's pages: sign up, confirm, preferences, unsubscribe (RFC 8058 one-click too)."""

from flask import Blueprint

bp = Blueprint("newsletter", __name__, url_prefix="/<lang:lang>")
