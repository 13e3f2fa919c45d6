"""The desk's blueprint, shared by its view modules."""

from flask import Blueprint

from .display import helpers

bp = Blueprint("admin", __name__, url_prefix="/<lang:lang>/admin")
bp.context_processor(helpers)
