"""The prospect's forms: intake, cancellation, rescheduling."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from ..hostile import SafeForm
from ..privacy.texts import BOOKING_CONSENT_LABEL

JUST_ME = "1"
ORGANISATION_SIZES = [
    SelectChoice("", _l("Choose…")),
    SelectChoice(JUST_ME, _l("Just me")),
    SelectChoice("2-10", _l("2 to 10 people")),
    SelectChoice("11-50", _l("11 to 50 people")),
    SelectChoice("51-200", _l("51 to 200 people")),
    SelectChoice("201+", _l("More than 200 people")),
]


def organisation_size_label(code):
    """The words for an organisation size ("Just me"), or the code itself when unknown."""
    return next((str(choice.label) for choice in ORGANISATION_SIZES if choice.value == code), code)


#: The answers kept in her session when a submitted form cannot go through.
DRAFT_FIELDS = ("name", "email", "phone", "organisation", "organisation_size", "goal")
EMAIL_LANGUAGES = [SelectChoice("fr", "Français"), SelectChoice("en", "English")]


def single_line(value):
    """Collapse whitespace, line breaks included: names end up in email headers."""
    return " ".join(value.split()) if isinstance(value, str) else value


#: The longest page address kept as where a booking came from.
SITE_PATH_MAX = 300


def site_path(raw):
    """A path on this site from `raw`, else "": where a booking came from.

    Only the path is kept (never another site, a query or a fragment), so the owner's
    dashboard can count bookings by page with no tracker and no cookie.
    """
    path = (raw or "").strip().split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return ""
    if len(path) > SITE_PATH_MAX or not path.isprintable():
        return ""
    return path


class IntakeForm(SafeForm):
    name = StringField(
        _l("Your name"),
        filters=[single_line],
        validators=[DataRequired(_l("Please give your name.")), Length(max=120)],
    )
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Please give your email address.")),
            Email(_l("This email address does not look valid.")),
            Length(max=254),
        ],
    )
    phone = TelField(
        _l("Phone (optional)"),
        validators=[
            Optional(),
            Length(max=40),
            Regexp(r"^\+?[0-9 ().-]{7,40}$", message=_l("Digits, spaces, + ( ) - only.")),
        ],
    )
    organisation = StringField(
        _l("Organisation"),
        filters=[single_line],
        description=_l("Leave empty if you work on your own."),
        validators=[Length(max=200)],
    )
    organisation_size = SelectField(
        _l("Size of the organisation"),
        choices=ORGANISATION_SIZES,
        validators=[DataRequired(_l("Please choose a size."))],
    )
    goal = TextAreaField(
        _l("What do you want to decide about outsourcing your social media?"),
        validators=[
            DataRequired(_l("Please tell us what you want to decide.")),
            Length(max=3000),
        ],
    )
    email_lang = SelectField(_l("Language for emails"), choices=EMAIL_LANGUAGES)
    consent = BooleanField(
        BOOKING_CONSENT_LABEL,
        validators=[DataRequired(_l("We need your consent to contact you about the session."))],
    )
    #: Asked only inside the no-refund window (the view requires it there).
    accept_no_refund = BooleanField(
        _l("I understand that this session cannot be refunded if I cancel it.")
    )
    start = HiddenField()
    tz = HiddenField()
    #: The site's page she came from (routes.came_from() made it safe).
    came_from = HiddenField()

    def validate_organisation(self, field):
        # Someone working alone has no organisation to name; everyone else does.
        if not field.data and self.organisation_size.data != JUST_ME:
            raise ValidationError(_l("Please name your organisation."))

    def intake(self):
        """The answers, keyed as booking.service.reserve() expects."""
        return {
            "name": self.name.data.strip(),
            "email": self.email.data.strip(),
            "phone": (self.phone.data or "").strip(),
            "organisation": self.organisation.data.strip(),
            "organisation_size": self.organisation_size.data,
            "goal": self.goal.data.strip(),
            "consent": self.consent.data,
            "came_from": site_path(self.came_from.data),
        }

    def draft(self):
        """What she typed, to give back if the form is refused further on."""
        return {name: self[name].data for name in DRAFT_FIELDS if self[name].data}


class ActionForm(SafeForm):
    """Only the CSRF token: the button is the answer."""


class RescheduleForm(SafeForm):
    start = HiddenField(validators=[DataRequired()])
    tz = HiddenField()
