"""How the desk shows times and money: in her zone and the page's language."""

from datetime import datetime
from decimal import Decimal

from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_currency
from flask import current_app, g
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from ..extensions import db
from .service import owner_zone

STATUS_LABELS = {
    "held": _l("Awaiting payment"),
    "confirmed": _l("Confirmed"),
    "expired": _l("Hold expired"),
    "cancelled": _l("Cancelled"),
    "completed": _l("Completed"),
    "no_show": _l("No-show"),
}
STATUS_BADGES = {
    "held": "badge-warn",
    "confirmed": "badge-ok",
    "expired": "",
    "cancelled": "badge-danger",
    "completed": "badge-ok",
    "no_show": "badge-danger",
}


def desk_zone():
    """Her zone, looked up once per request."""
    if "desk_zone" not in g:
        g.desk_zone = owner_zone(db.session, current_app.config)
    return g.desk_zone


def when(moment, style="medium"):
    """A UTC instant as a date (in `style`) and a short time, in her zone, without seconds."""
    locale = get_locale()
    local = moment.astimezone(desk_zone())
    pattern = get_datetime_format(style, locale=locale).replace("'", "")
    return pattern.format(
        format_time(local.time(), "short", locale=locale),
        format_date(local.date(), style, locale=locale),
    )


def clock(value, style="short"):
    """A wall-clock time (datetime.time) or an instant's time in her zone."""
    if isinstance(value, datetime):
        value = value.astimezone(desk_zone()).time()
    return format_time(value, style, locale=get_locale())


def day_label(day, style="full"):
    return format_date(day, style, locale=get_locale())


def money(cents, currency="CAD"):
    return format_currency(Decimal(cents) / 100, currency, locale=get_locale())


def helpers():
    """Template globals for the desk's pages."""
    return {
        "desk_zone": desk_zone(),
        "when": when,
        "clock": clock,
        "day_label": day_label,
        "money": money,
        "status_labels": STATUS_LABELS,
        "status_badges": STATUS_BADGES,
    }
