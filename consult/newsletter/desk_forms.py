"""Her desk's newsletter forms: an issue she writes, its schedule, the import of readers."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, ValidationError

from ..hostile import SafeForm

LANG_CHOICES = (
    SelectChoice("fr", _l("French")),
    SelectChoice("en", _l("English")),
    SelectChoice("both", _l("Both languages")),
)


class IssueForm(SafeForm):
    """Her subject and text in each language; an empty subject: no version in it."""

    TEXT_FIELDS = ("subject_fr", "body_fr", "subject_en", "body_en")

    # No Optional(): it would stop the check that one language has a subject.
    subject_fr = StringField(_l("Subject in French"), validators=[Length(max=200)])
    body_fr = TextAreaField(_l("Text in French (Markdown)"), validators=[Length(max=100_000)])
    subject_en = StringField(_l("Subject in English"), validators=[Length(max=200)])
    body_en = TextAreaField(_l("Text in English (Markdown)"), validators=[Length(max=100_000)])

    def validate_subject_fr(self, field):
        if not (field.data or "").strip() and not (self.subject_en.data or "").strip():
            raise ValidationError(_l("Give the issue a subject in at least one language."))

    def validate_body_fr(self, field):
        if (self.subject_fr.data or "").strip() and not (field.data or "").strip():
            raise ValidationError(_l("The French version has a subject but no text."))

    def validate_body_en(self, field):
        if (self.subject_en.data or "").strip() and not (field.data or "").strip():
            raise ValidationError(_l("The English version has a subject but no text."))


class ScheduleForm(SafeForm):
    send_at = DateTimeLocalField(
        _l("Send at"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("Pick a date and a time."))],
    )


class ImportForm(SafeForm):
    file = FileField(
        _l("CSV file"), validators=[FileRequired(_l("Choose a CSV file of addresses."))]
    )
    source = TextAreaField(
        _l("Where their consent comes from"),
        validators=[
            DataRequired(_l("Say how and when these people agreed to get your newsletter.")),
            Length(max=500),
        ],
    )
    default_lang = SelectField(_l("Language for rows that do not say"), choices=LANG_CHOICES)
    ask_to_confirm = BooleanField(_l("Ask each to confirm by email before the first issue"))
