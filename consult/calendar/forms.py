"""The calendar-apps settings form."""

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import Length, Optional, ValidationError


def web_address(*schemes):
    def check(form, field):
        value = (field.data or "").strip()
        parts = urlsplit(value)
        if value and (parts.scheme not in schemes or not parts.netloc):
            raise ValidationError(
                _l("Enter an address starting with %(schemes)s.", schemes=" / ".join(schemes))
            )

    return check


class SourcesForm(FlaskForm):
    ics_url = StringField(
        _l("Private calendar address (iCal)"),
        validators=[Optional(), Length(max=2000), web_address("https", "http", "webcal")],
        description=_l(
            "In Google Calendar: Settings, your calendar, "
            "“Secret address in iCal format”. Leave empty to stop reading it."
        ),
    )
    caldav_url = StringField(
        _l("CalDAV server address"),
        validators=[Optional(), Length(max=2000), web_address("https", "http")],
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
        description=_l("The calendar's path or its name; empty for the first calendar."),
    )
