"""Forms of the public content pages and the owner's content screens."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..hostile import SafeForm
from .models import BUDGET_RANGES, DRAFT, PUBLISHED, SCHEDULED

LANG_CHOICES = [SelectChoice("fr", "Français"), SelectChoice("en", "English")]
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def budget_labels():
    return {
        "under-1000": _l("Under $1,000"),
        "1000-2500": _l("$1,000 to $2,500"),
        "2500-5000": _l("$2,500 to $5,000"),
        "over-5000": _l("Over $5,000"),
        "unknown": _l("Not decided yet"),
    }


def budget_choices():
    labels = budget_labels()
    return [SelectChoice(value, labels[value]) for value in BUDGET_RANGES]


class SpeakingInquiryForm(SafeForm):
    name = StringField(
        _l("Your name"),
        validators=[DataRequired(_l("Please tell us your name.")), Length(max=120)],
    )
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Please give an email address.")),
            Email(_l("This email address does not look right.")),
            Length(max=254),
        ],
    )
    organisation = StringField(
        _l("Organisation"),
        validators=[DataRequired(_l("Please name the organisation.")), Length(max=200)],
    )
    event_date = DateField(
        _l("Event date"),
        validators=[InputRequired(_l("Please give the date of the event."))],
    )
    city = StringField(_l("City"), validators=[Length(max=120)])
    online = BooleanField(_l("The event is online"))
    audience_size = IntegerField(
        _l("Expected audience"),
        validators=[
            InputRequired(_l("Please give an approximate number of people.")),
            NumberRange(min=1, max=100000, message=_l("Enter a number between 1 and 100,000.")),
        ],
    )
    budget_range = SelectField(
        _l("Budget"),
        choices=budget_choices,
        validators=[DataRequired(_l("Please choose a budget range."))],
    )
    message = TextAreaField(
        _l("Tell us about the event"),
        validators=[
            DataRequired(_l("Please say a few words about the event.")),
            Length(max=5000, message=_l("Please keep it under 5,000 characters.")),
        ],
    )
    #: Left empty by people; bots fill it in.
    website = StringField(_l("Leave this field empty"))

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_event_date(self, field):
        if field.data and self.today and field.data < self.today:
            raise ValidationError(_l("The event date is in the past."))

    def validate_city(self, field):
        if not self.online.data and not (field.data or "").strip():
            raise ValidationError(_l("Give the city, or tick “online”."))

    def inquiry_fields(self):
        return {
            "name": self.name.data.strip(),
            "email": self.email.data.strip().lower(),
            "organisation": self.organisation.data.strip(),
            "event_date": self.event_date.data,
            "city": (self.city.data or "").strip(),
            "online": bool(self.online.data),
            "audience_size": self.audience_size.data,
            "budget_range": self.budget_range.data,
            "message": self.message.data.strip(),
        }


class ArticleForm(SafeForm):
    lang = SelectField(_l("Language"), choices=LANG_CHOICES)
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("An article needs a title.")), Length(max=200)]
    )
    slug = StringField(
        _l("Address (slug)"),
        validators=[
            Optional(),
            Length(max=120),
            Regexp(SLUG_PATTERN, message=_l("Use lower-case letters, digits and hyphens only.")),
        ],
    )
    summary = TextAreaField(
        _l("Summary"),
        validators=[
            DataRequired(_l("Write a one- or two-sentence summary.")),
            Length(max=400, message=_l("Keep the summary under 400 characters.")),
        ],
    )
    body = TextAreaField(
        _l("Text (Markdown)"), validators=[DataRequired(_l("The article has no text."))]
    )
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=400)])
    cover_image = SelectField(_l("Cover image"), choices=[])
    cover_alt = StringField(_l("Cover image description"), validators=[Length(max=200)])
    status = RadioField(
        _l("Status"),
        choices=[
            SelectChoice(DRAFT, _l("Draft (hidden)")),
            SelectChoice(SCHEDULED, _l("Scheduled")),
            SelectChoice(PUBLISHED, _l("Published now")),
        ],
        default=DRAFT,
    )
    publish_at = DateTimeLocalField(
        _l("Publication time"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    translation_id = SelectField(_l("Translation"), choices=[], coerce=str)

    def validate_cover_alt(self, field):
        if self.cover_image.data and not field.data.strip():
            raise ValidationError(_l("Describe the cover image for people who cannot see it."))


class ProfileForm(SafeForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Please give a name.")), Length(max=120)]
    )
    headline = StringField(_l("Headline"), validators=[Length(max=200)])
    short_bio = TextAreaField(
        _l("Short bio"),
        validators=[
            DataRequired(_l("Write a short bio.")),
            Length(max=800, message=_l("Keep the short bio under 800 characters.")),
        ],
    )
    long_bio = TextAreaField(
        _l("Long bio (Markdown)"), validators=[DataRequired(_l("Write a long bio."))]
    )
    topics = TextAreaField(_l("Topics, one per line"), validators=[Length(max=2000)])
    photo = SelectField(_l("Photo"), choices=[])
    same_as = TextAreaField(
        _l("Her profiles elsewhere, one address per line"),
        description=_l("LinkedIn, a podcast, a publisher: search engines link them to her."),
        validators=[Length(max=2000)],
    )

    def validate_same_as(self, field):
        for line in (field.data or "").splitlines():
            if line.strip() and not line.strip().lower().startswith(("https://", "http://")):
                raise ValidationError(_l("Enter full web addresses, starting with https://."))


class TalkForm(SafeForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("A talk needs a title.")), Length(max=200)]
    )
    event = StringField(
        _l("Event"), validators=[DataRequired(_l("Name the event.")), Length(max=200)]
    )
    city = StringField(_l("City"), validators=[Length(max=120)])
    held_on = DateField(_l("Date"), validators=[InputRequired(_l("Give the date of the talk."))])
    video_url = URLField(
        _l("Video link"),
        validators=[
            Optional(),
            URL(message=_l("Enter a full web address, starting with https://.")),
            Length(max=500),
        ],
    )
    lang = SelectField(_l("Language of the talk"), choices=LANG_CHOICES)

    def validate_video_url(self, field):
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError(_l("Enter a full web address, starting with https://."))


class TestimonialForm(SafeForm):
    quote = TextAreaField(
        _l("Quote"),
        validators=[DataRequired(_l("The quote is empty.")), Length(max=1000)],
    )
    person = StringField(
        _l("Person"), validators=[DataRequired(_l("Who said it?")), Length(max=120)]
    )
    role = StringField(_l("Role"), validators=[Length(max=120)])
    organisation = StringField(_l("Organisation"), validators=[Length(max=200)])
    position = IntegerField(
        _l("Order"),
        default=0,
        validators=[
            InputRequired(_l("Give a number.")),
            NumberRange(min=0, max=999, message=_l("Between 0 and 999.")),
        ],
    )


class UploadForm(SafeForm):
    image = FileField(_l("Image"), validators=[FileRequired(_l("Choose an image file."))])


class ActionForm(SafeForm):
    """A button that changes something: only its CSRF token."""
