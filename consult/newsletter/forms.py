"""The reader's forms: sign up (on cached pages, so without a CSRF token), confirm, and her
preferences."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Email, InputRequired, Length

from ..hostile import SafeForm
from .models import EMAIL_LANGS
from .texts import language_choices

#: Field names carry it, so the form never meets another form's ids on the same page.
PREFIX = "newsletter"


def _language_field():
    return RadioField(
        _l("The language of your emails"),
        choices=[SelectChoice(value, label) for value, label in language_choices()],
        # Her own message, in her language, rather than WTForms' "Not a valid choice".
        validate_choice=False,
        validators=[
            InputRequired(_l("Please choose the language of your emails.")),
            AnyOf(EMAIL_LANGS, message=_l("Please choose the language of your emails.")),
        ],
    )


class SignupForm(SafeForm):
    """On the home page, under every article and on its own page: all of them cached for
    anonymous visitors, and a page carrying a CSRF token is never stored. The view refuses
    a cross-site POST by its Origin and Sec-Fetch-Site headers instead."""

    class Meta:
        csrf = False

    email = EmailField(
        _l("Your email address"),
        validators=[
            DataRequired(_l("Please give your email address.")),
            Email(_l("This email address does not look valid.")),
            Length(max=254, message=_l("This email address is too long.")),
        ],
    )
    lang = _language_field()
    #: Where the form is: "home", "page", "article:<id>".
    source = HiddenField()
    #: Left empty by people; bots fill it in.
    website = StringField(_l("Leave this field empty"))


class ConfirmForm(SafeForm):
    """The button that spends the emailed link (a mail scanner following it spends nothing)."""


class PreferencesForm(SafeForm):
    lang = _language_field()
    save = SubmitField(_l("Save my choice"))
    leave = SubmitField(_l("Unsubscribe"))
