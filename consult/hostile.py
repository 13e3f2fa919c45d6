"""Hostile input: control characters, page numbers and dates that no person types.

A request carrying them gets a 400 page or a form message, never a 500, and stores nothing.
"""

import re
from datetime import date, datetime

from flask import abort, g, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.fields import DateField, DateTimeLocalField, StringField
from wtforms.validators import StopValidation, ValidationError

from .i18n import LANGUAGES

#: C0 controls and DEL: never in an address, a query parameter or a one-line value.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: What a textarea may not hold either: every C0 control but tab, line feed and carriage return.
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LINE_BREAK = re.compile(r"[\r\n]")
#: Beyond this a page number is no page of ours (and its offset would overflow the database).
LAST_PAGE = 10_000
#: The dates an owner form accepts: wide enough for any real booking, far from datetime's edges.
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2999, 12, 31)


def refuse_control_characters():
    """Before every request: a 400 when the path, a query parameter or a form value holds one.

    The webhook's body is the payment provider's signed bytes, read raw: it is left alone, as
    are the bytes of uploaded files.
    """
    if not g.get("lang"):
        # The 400 page speaks the language of the address even when no route matched it.
        first_segment = request.path.lstrip("/").split("/", 1)[0]
        if first_segment in LANGUAGES:
            g.lang = first_segment
    if CONTROL.search(request.path):
        abort(400)
    for key, value in request.args.items(multi=True):
        if CONTROL.search(key) or CONTROL.search(value):
            abort(400)
    if request.method in ("GET", "HEAD", "OPTIONS") or request.path.startswith("/webhooks/"):
        return
    for key, value in request.form.items(multi=True):
        if CONTROL.search(key) or CONTROL_IN_TEXT.search(value):
            abort(400)


def page_number(name="page"):
    """The page asked for in the query string, clamped to 1..LAST_PAGE."""
    return min(max(request.args.get(name, 1, type=int), 1), LAST_PAGE)


def one_line(form, field):
    """A one-line field refuses line breaks (they end up in headers, subjects and CSV rows)."""
    if isinstance(field.data, str) and LINE_BREAK.search(field.data):
        raise StopValidation(_l("Keep this on one line."))


def supported_date(form, field):
    """Refuse dates so far away that arithmetic on them would overflow."""
    value = field.data
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date) and not FIRST_DATE <= value <= LAST_DATE:
        raise ValidationError(
            _l(
                "Choose a date between %(first)s and %(last)s.",
                first=FIRST_DATE.isoformat(),
                last=LAST_DATE.isoformat(),
            )
        )


class SafeForm(FlaskForm):
    """A form whose one-line fields refuse line breaks and whose dates stay in range."""

    def validate(self, extra_validators=None):
        extra = {name: list(checks) for name, checks in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            if isinstance(field, StringField) and not isinstance(field, TextAreaField):
                extra.setdefault(name, []).insert(0, one_line)
            elif isinstance(field, DateField | DateTimeLocalField):
                extra.setdefault(name, []).append(supported_date)
        return super().validate(extra)


def init_app(app):
    app.before_request(refuse_control_characters)
