"""Her desk's newsletter pages: issues (write, preview, test, schedule, send, figures) and
subscribers (list, search, import, export)."""

from flask import Blueprint

bp = Blueprint("newsletter_desk", __name__, url_prefix="/<lang:lang>/admin/newsletter")
