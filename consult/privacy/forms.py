"""The privacy forms: a person's request, the owner's answer, settings and incidents."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from ..hostile import SafeForm
from .models import DONE, REFUSED

#: The message of a retention period out of range (WTForms' own is not translated).
DAYS = _l("A number of days between 1 and 36500.")


def kind_choices():
    return [
        SelectChoice("access", _l("See what you hold about me")),
        SelectChoice("correct", _l("Correct what you hold about me")),
        SelectChoice("move", _l("Give me my data in a file I can take elsewhere")),
        SelectChoice("delete", _l("Erase what you hold about me")),
    ]


class RequestForm(SafeForm):
    kind = RadioField(
        _l("What do you ask?"),
        choices=kind_choices(),
        validators=[InputRequired(_l("Please choose what you ask."))],
    )
    email = EmailField(
        _l("Your email address"),
        validators=[
            DataRequired(_l("Please give your email address.")),
            Email(_l("This email address does not look valid.")),
            Length(max=254),
        ],
    )
    details = TextAreaField(
        _l("Details (optional)"),
        validators=[Optional(), Length(max=4000)],
    )


class ConfirmForm(SafeForm):
    """The button that spends the emailed link (a mail scanner following it spends nothing)."""


class AnswerForm(SafeForm):
    status = RadioField(
        _l("Decision"),
        choices=[SelectChoice(DONE, _l("Done")), SelectChoice(REFUSED, _l("Refused"))],
        default=DONE,
        validators=[InputRequired()],
    )
    answer = TextAreaField(
        _l("Your answer"),
        validators=[DataRequired(_l("Please write your answer.")), Length(max=8000)],
    )


class EraseForm(SafeForm):
    confirm = BooleanField(
        _l("I understand: names, emails and messages are replaced for good; amounts stay."),
        validators=[DataRequired(_l("Tick the box to confirm the erasure."))],
    )


class SettingsForm(SafeForm):
    officer_name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Please give a name.")), Length(max=120)],
    )
    officer_title = StringField(_l("Title"), validators=[Optional(), Length(max=120)])
    officer_email = EmailField(
        _l("Contact email"),
        validators=[
            DataRequired(_l("Please give your email address.")),
            Email(_l("This email address does not look valid.")),
            Length(max=254),
        ],
    )
    policy_fr = TextAreaField(_l("Policy in French"), validators=[Optional(), Length(max=40000)])
    policy_en = TextAreaField(_l("Policy in English"), validators=[Optional(), Length(max=40000)])
    inquiry_retention_days = IntegerField(
        _l("Keep speaking inquiries (days)"),
        validators=[InputRequired(DAYS), NumberRange(min=1, max=36500, message=DAYS)],
    )
    intake_retention_days = IntegerField(
        _l("Keep intake answers after the session (days)"),
        validators=[InputRequired(DAYS), NumberRange(min=1, max=36500, message=DAYS)],
    )
    outbox_retention_days = IntegerField(
        _l("Keep the text of sent emails (days)"),
        validators=[InputRequired(DAYS), NumberRange(min=1, max=36500, message=DAYS)],
    )


class IncidentForm(SafeForm):
    title = StringField(
        _l("What happened, in a few words"),
        validators=[DataRequired(_l("Please give a title.")), Length(max=200)],
    )
    description = TextAreaField(
        _l("Description"),
        validators=[DataRequired(_l("Please describe what happened.")), Length(max=20000)],
    )
    occurred_at = DateTimeLocalField(
        _l("When it happened (if known)"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    discovered_at = DateTimeLocalField(
        _l("When it was discovered"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Please give the date it was discovered."))],
    )
    data_concerned = TextAreaField(
        _l("Information concerned"), validators=[Optional(), Length(max=20000)]
    )
    people_count = IntegerField(
        _l("Number of people concerned (if known)"),
        validators=[Optional(), NumberRange(min=0, max=10_000_000)],
    )
    risk_assessment = TextAreaField(
        _l("Risk assessment"), validators=[Optional(), Length(max=20000)]
    )
    serious_risk = BooleanField(_l("Risk of serious injury"))
    commission_notified_at = DateTimeLocalField(
        _l("Commission notified on"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    people_notified_at = DateTimeLocalField(
        _l("People notified on"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    notices = TextAreaField(_l("Notices sent"), validators=[Optional(), Length(max=20000)])
    measures = TextAreaField(_l("Measures taken"), validators=[Optional(), Length(max=20000)])
