"""The calendar-apps settings form."""

from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..config import private_addresses_allowed
from . import addresses


def web_address(*schemes):
    def check(form, field):
        value = (field.data or "").strip()
        parts = urlsplit(value)
        if value and (parts.scheme not in schemes or not parts.netloc):
            raise ValidationError(
                _l("Enter an address starting with %(schemes)s.", schemes=" / ".join(schemes))
            )

    return check


def public_address(form, field):
    """Outside development, refuse a host that is or resolves to a private address (the
    sync checks again at each fetch; a host that does not resolve yet is its error)."""
    value = (field.data or "").strip()
    if not value or field.errors:
        return
    try:
        addresses.check_url(value, private_addresses_allowed(current_app.config))
    except addresses.PrivateAddress as error:
        raise ValidationError(
            _l("This address leads inside a private network; use your calendar's public address.")
        ) from error
    except (addresses.UnknownHost, ValueError):  # ValueError: a port that is not a number
        pass


class SourcesForm(FlaskForm):
    ics_url = StringField(
        _l("Private calendar address (iCal)"),
        validators=[
            Optional(),
            Length(max=2000),
            web_address("https", "http", "webcal"),
            public_address,
        ],
        description=_l(
            "In Google Calendar: Settings, your calendar, "
            "“Secret address in iCal format”. Leave empty to stop reading it."
        ),
    )
    caldav_url = StringField(
        _l("CalDAV server address"),
        validators=[
            Optional(),
            Length(max=2000),
            web_address("https", "http"),
            public_address,
        ],
        description=_l("Leave empty to stop using CalDAV."),
    )
    caldav_username = StringField(_l("CalDAV user name"), validators=[Length(max=200)])
    caldav_password = PasswordField(
        _l("CalDAV password"),
        validators=[Length(max=500)],
        description=_l("An app password is best. Leave empty to keep the one saved."),
    )
    caldav_calendar = StringField(
        _l("Calendar"),
        validators=[Length(max=500)],
        description=_l(
            "The calendar's address, path or name. Empty: the server address if it is a "
            "calendar, or the account's only calendar; with several, you are asked to choose."
        ),
    )


class ChooseCalendarForm(FlaskForm):
    """One of the calendars the last sync found on her account (choices set by the view)."""

    calendar = RadioField(
        _l("Calendar to use"),
        validators=[DataRequired(message=_l("Choose a calendar."))],
    )
