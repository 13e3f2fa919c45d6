"""The audit log viewer: who changed what and when, newest first, as sentences in her
language, with the before and after of each change."""

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from .. import business, navigation
from ..audit import AuditEntry
from ..auth.access import owner_only
from ..extensions import db
from ..hostile import page_number
from . import audit_text

bp = Blueprint("audit", __name__, url_prefix="/<lang:lang>/admin/audit")

PER_PAGE = 50


@bp.record_once
def add_menu(state):
    navigation.add_staff(state.app, "audit.log", _l("Audit log"), 80, group="records")


def changes(before, after):
    """(field, before, after) for each field whose value differs, in a stable order."""
    before, after = before or {}, after or {}
    fields = list(before) + [key for key in after if key not in before]
    return [
        (key, before.get(key), after.get(key))
        for key in fields
        if before.get(key) != after.get(key)
    ]


@bp.route("/")
@owner_only
def log():
    """Every recorded change, newest first; filter by action."""
    action = request.args.get("action", "").strip()
    query = sa.select(AuditEntry).options(sa.orm.joinedload(AuditEntry.user))
    if action:
        query = query.where(AuditEntry.action == action)
    page = db.paginate(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()),
        page=page_number(),
        per_page=PER_PAGE,
        max_per_page=PER_PAGE,
        error_out=False,
    )
    actions = db.session.scalars(
        sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    ).all()
    settings = business.current()
    zone, currency = settings.zone, settings.currency
    targets = audit_text.load_targets(db.session, page.items)
    entries = [
        (
            entry,
            audit_text.sentence(entry, targets, zone, currency),
            audit_text.details(entry, zone, currency),
        )
        for entry in page.items
    ]
    return render_template(
        "admin/audit.html",
        page=page,
        entries=entries,
        actions=sorted(
            ((name, audit_text.action_label(name)) for name in actions), key=lambda a: a[1]
        ),
        action=action,
        zone=zone,
        zone_name=settings.time_zone,
    )
