"""The accountant's pages."""

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from .. import navigation
from ..auth.access import staff

bp = Blueprint("accounting", __name__, url_prefix="/<lang:lang>/accounting")


@bp.record_once
def add_menu(state):
    navigation.add_staff(state.app, "accounting.ledger", _l("Ledger"), 80, ("owner", "accountant"))


@bp.route("/")
@staff
def ledger():
    """Every payment and refund."""
    return render_template("accounting/ledger.html")
