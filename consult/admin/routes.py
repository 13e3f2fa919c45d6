"""The owner's dashboard."""

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

from .. import navigation
from ..auth.access import owner_only

bp = Blueprint("admin", __name__, url_prefix="/<lang:lang>/admin")


@bp.record_once
def add_menu(state):
    navigation.add_staff(state.app, "admin.dashboard", _l("Dashboard"), 10)
    state.app.add_url_rule("/admin", "admin_root", admin_root)


@bp.route("/")
@owner_only
def dashboard():
    """What needs her attention today."""
    return render_template("admin/dashboard.html")


@owner_only
def admin_root():
    """/admin without a language: the admin in French, her language."""
    return redirect(url_for("admin.dashboard", lang="fr"))
