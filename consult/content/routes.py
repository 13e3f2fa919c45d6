"""Public pages."""

from flask import Blueprint, render_template

from ..auth.access import public

bp = Blueprint("content", __name__)


@bp.route("/", defaults={"lang": "fr"})
@bp.route("/<lang:lang>/")
@public
def home():
    """The home page: who she is and how to book."""
    return render_template("content/home.html")
