"""The owner's forms: offers, availability, and the actions on a booking."""

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf.i18n import translations as wtforms_translations
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from ..booking.models import IN_PERSON, PHONE, VIDEO
from ..formatting import format_weekday_name
from ..hostile import SafeForm
from .localtime import NonexistentLocalTime, local_to_utc, overlapping, start_of_day


def _weekday_label(index):
    """The weekday's name in the page's language, from Babel, as a label ("Lundi", "Monday")."""

    def label():
        name = format_weekday_name(index)
        return name[:1].upper() + name[1:]

    return LazyString(label)


#: (form field name, label) of each weekday, Monday first; the names are internal keys.
WEEKDAYS = tuple(
    (name, _weekday_label(index))
    for index, name in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
)
#: Empty rows offered per weekday; more intervals than that stay editable (one blank row more).
INTERVAL_ROWS = 3

_DOLLARS = re.compile(r"^\d{1,7}([.,]\d{1,2})?$")


def format_dollars(cents):
    return f"{cents // 100}.{cents % 100:02d}" if cents is not None else ""


class DollarsField(StringField):
    """An amount typed in dollars ("150", "150.00" or "150,00"); `data` is integer cents."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_dollars(self.data)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        text = valuelist[0].strip().replace("\u00a0", "").replace(" ", "").removeprefix("$")
        text = text.removesuffix("$")
        if not _DOLLARS.match(text):
            raise ValueError(_l("Enter an amount in dollars, like 150 or 150.00."))
        try:
            self.data = int(Decimal(text.replace(",", ".")) * 100)
        except InvalidOperation as error:
            raise ValueError(_l("Enter an amount in dollars, like 150 or 150.00.")) from error


class AmountRequired:
    """An amount must be there: 0 counts (a free session), blank or only spaces does not."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if field.data is None and not field.errors:
            raise StopValidation(self.message)


class ConfirmedForm(SafeForm):
    """An action on a booking: it needs the box ticked, so it asks even without JavaScript."""

    confirm = BooleanField(
        _l("Yes, I confirm"), validators=[DataRequired(message=_l("Tick the box to confirm."))]
    )


# Offers


class OfferForm(SafeForm):
    slug = StringField(
        _l("Address name (French)"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("Lowercase letters, digits and hyphens; used in the offer's address."),
    )
    slug_en = StringField(
        _l("Address name (English)"),
        validators=[Optional(), Length(max=80)],
        description=_l("The same, for the English pages. Leave empty to use the French one."),
    )
    title_fr = StringField(_l("Title (French)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[DataRequired(), Length(max=200)])
    description_fr = TextAreaField(_l("Description (French)"), validators=[Length(max=5000)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Length(max=5000)])
    duration_minutes = IntegerField(
        _l("Duration (minutes)"),
        validators=[
            InputRequired(message=_l("Enter a whole number of minutes.")),
            NumberRange(min=5, max=600),
        ],
    )
    price_cents = DollarsField(
        _l("Price before taxes (CAD)"),
        validators=[AmountRequired(message=_l("Enter a price, 0 for a free session."))],
    )
    taxable = BooleanField(_l("GST and QST apply"))
    active = BooleanField(_l("Offered on the site"))
    flagship = BooleanField(_l("Flagship offer (where articles lead)"))
    position = IntegerField(
        _l("Order in the list"), default=0, validators=[Optional(), NumberRange(min=0, max=999)]
    )
    meeting_mode = RadioField(
        _l("How you meet"),
        choices=[
            SelectChoice(VIDEO, _l("Video call")),
            SelectChoice(PHONE, _l("Phone")),
            SelectChoice(IN_PERSON, _l("In person")),
        ],
        default=VIDEO,
    )
    meeting_url = StringField(
        _l("Video call link"),
        validators=[Length(max=500)],
        description=_l(
            "The same link for every session. Leave empty to give each booking its own room "
            "(when a room host is set)."
        ),
    )
    meeting_phone = StringField(
        _l("Number the client calls"),
        validators=[Length(max=40)],
        description=_l("Leave empty if you call the client at the number she gives."),
    )
    meeting_address = StringField(
        _l("Address"), validators=[Length(max=300)], description=_l("For sessions in person.")
    )

    def validate_slug(self, field):
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", field.data or ""):
            raise ValidationError(_l("Use lowercase letters, digits and single hyphens only."))

    validate_slug_en = validate_slug

    def validate_meeting_url(self, field):
        field.data = (field.data or "").strip()
        if field.data and not re.fullmatch(r"https://[^\s/]+\S*", field.data):
            raise ValidationError(_l("Enter a full link starting with https://."))

    def validate_meeting_phone(self, field):
        field.data = (field.data or "").strip()
        if field.data and not re.fullmatch(r"\+?[0-9][0-9 ().-]{6,30}", field.data):
            raise ValidationError(_l("Enter a phone number, like +1 514 555-0123."))

    def validate_meeting_address(self, field):
        field.data = (field.data or "").strip()
        if self.meeting_mode.data == IN_PERSON and not field.data:
            raise ValidationError(_l("Enter the address where you meet."))


# Availability


class RulesForm(SafeForm):
    min_notice_hours = IntegerField(
        _l("Minimum notice (hours)"),
        validators=[InputRequired(), NumberRange(min=0, max=24 * 60)],
    )
    horizon_days = IntegerField(
        _l("Booking horizon (days)"), validators=[InputRequired(), NumberRange(min=1, max=730)]
    )
    slot_step_minutes = IntegerField(
        _l("Slot step (minutes)"), validators=[InputRequired(), NumberRange(min=5, max=240)]
    )
    buffer_before_minutes = IntegerField(
        _l("Buffer before a session (minutes)"),
        validators=[InputRequired(), NumberRange(min=0, max=240)],
    )
    buffer_after_minutes = IntegerField(
        _l("Buffer after a session (minutes)"),
        validators=[InputRequired(), NumberRange(min=0, max=240)],
    )
    daily_max_sessions = IntegerField(
        _l("Most sessions in one day"),
        validators=[Optional(), NumberRange(min=1, max=24)],
        description=_l("Leave empty for no limit."),
    )


class IntervalForm(Form):
    """One open interval of a weekday; both times or neither."""

    class Meta:
        def get_translations(self, form):
            # A plain Form, unlike FlaskForm, would give wtforms' messages in English only.
            return wtforms_translations

    start = TimeField(_l("From"), validators=[Optional()])
    end = TimeField(_l("To"), validators=[Optional()])

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        start, end = self.start.data, self.end.data
        if (start is None) != (end is None):
            (self.end if end is None else self.start).errors.append(
                _l("Give both times, or neither.")
            )
            return False
        if start is not None and end <= start:
            self.end.errors.append(_l("The end must come after the start."))
            return False
        return True


def _interval_list(label):
    return FieldList(FormField(IntervalForm), label=label, min_entries=INTERVAL_ROWS)


class WeeklyHoursForm(SafeForm):
    monday = _interval_list(WEEKDAYS[0][1])
    tuesday = _interval_list(WEEKDAYS[1][1])
    wednesday = _interval_list(WEEKDAYS[2][1])
    thursday = _interval_list(WEEKDAYS[3][1])
    friday = _interval_list(WEEKDAYS[4][1])
    saturday = _interval_list(WEEKDAYS[5][1])
    sunday = _interval_list(WEEKDAYS[6][1])

    def days(self):
        return [(index, label, self[name]) for index, (name, label) in enumerate(WEEKDAYS)]

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for _index, _label, rows in self.days():
            filled = [row for row in rows if row.start.data and row.end.data and not row.errors]
            intervals = [(row.start.data, row.end.data) for row in filled]
            for clash in overlapping(intervals):
                filled[clash].start.errors.append(_l("This interval overlaps another one."))
                valid = False
        return valid

    def intervals(self):
        """{weekday: [(start, end), ...]} from the filled rows."""
        return {
            index: sorted((row.start.data, row.end.data) for row in rows if row.start.data)
            for index, _label, rows in self.days()
        }


class OverrideForm(SafeForm):
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter a date."))])
    closed = BooleanField(_l("Closed all day"))
    start = TimeField(_l("From"), validators=[Optional()])
    end = TimeField(_l("To"), validators=[Optional()])
    note = StringField(_l("Note for yourself"), validators=[Optional(), Length(max=200)])

    def __init__(self, *args, time_zone, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = time_zone

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.start.errors or self.end.errors:
            return False
        start, end = self.start.data, self.end.data
        if self.closed.data:
            if start or end:
                self.start.errors.append(_l("Leave the hours empty for a closed day."))
                return False
            return valid
        if start is None:
            self.start.errors.append(_l("Enter the opening time, or tick closed."))
        if end is None:
            self.end.errors.append(_l("Enter the closing time, or tick closed."))
        elif start is not None and end <= start:
            self.end.errors.append(_l("The end must come after the start."))
        if self.day.data is not None and not self.day.errors:
            for field in (self.start, self.end):
                if field.data is not None and not field.errors:
                    _must_exist(self.day.data, field.data, self.tz, field)
        return valid and not self.start.errors and not self.end.errors


class TimeOffForm(SafeForm):
    kind = RadioField(
        _l("Time off"),
        choices=[SelectChoice("days", _l("Whole days")), SelectChoice("hours", _l("Some hours"))],
        default="days",
    )
    first_day = DateField(_l("First day"), validators=[Optional()])
    last_day = DateField(_l("Last day"), validators=[Optional()])
    starts_at = DateTimeLocalField(_l("From"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Until"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    reason = StringField(_l("Reason, for yourself"), validators=[Optional(), Length(max=200)])

    def __init__(self, *args, time_zone, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = time_zone

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.kind.data == "days":
            first, last = self.first_day, self.last_day
            message = _l("The last day cannot come before the first.")
            missing = (_l("Enter the first day."), _l("Enter the last day."))
        else:
            first, last = self.starts_at, self.ends_at
            message = _l("The end must come after the start.")
            missing = (_l("Enter when the time off starts."), _l("Enter when the time off ends."))
        for field, text in zip((first, last), missing, strict=True):
            if field.data is None and not field.errors:
                field.errors.append(text)
        if first.data is not None and last.data is not None:
            if self.kind.data == "days" and last.data < first.data:
                last.errors.append(message)
            if self.kind.data == "hours":
                if last.data <= first.data:
                    last.errors.append(message)
                for field in (first, last):
                    if not field.errors:
                        _must_exist(field.data.date(), field.data.time(), self.tz, field)
        return valid and not first.errors and not last.errors

    def utc_span(self):
        """[start, end) of the time off in UTC; whole days run midnight to midnight locally."""
        if self.kind.data == "days":
            return (
                start_of_day(self.first_day.data, self.tz),
                start_of_day(self.last_day.data + timedelta(days=1), self.tz),
            )
        return (
            local_to_utc(self.starts_at.data.date(), self.starts_at.data.time(), self.tz),
            local_to_utc(self.ends_at.data.date(), self.ends_at.data.time(), self.tz),
        )


def _must_exist(day, wall, tz, field):
    try:
        local_to_utc(day, wall, tz)
    except NonexistentLocalTime:
        field.errors.append(
            _l("This time does not exist that day: the clocks skip it for daylight saving time.")
        )


# Bookings


class NotesForm(SafeForm):
    owner_notes = TextAreaField(_l("Your notes"), validators=[Length(max=10000)])


class CancelForm(ConfirmedForm):
    refund = RadioField(
        _l("Money"),
        choices=[
            SelectChoice("none", _l("Keep the payment")),
            SelectChoice("full", _l("Refund everything still paid")),
        ],
        default="none",
    )
    reason = StringField(_l("Reason (for the record)"), validators=[Length(max=500)])


class RefundForm(ConfirmedForm):
    payment = SelectField(_l("Payment"), coerce=int)
    amount = DollarsField(
        _l("Amount to refund (CAD, taxes included)"),
        validators=[AmountRequired(message=_l("Enter the amount to refund."))],
    )
    reason = StringField(
        _l("Reason"), validators=[DataRequired(message=_l("Say why.")), Length(max=200)]
    )

    def validate_amount(self, field):
        if field.data is not None and field.data <= 0:
            raise ValidationError(_l("The amount must be more than zero."))


class RescheduleForm(ConfirmedForm):
    starts_at = SelectField(
        _l("New time"), validators=[DataRequired(message=_l("Pick a new time."))]
    )


class ManualPaymentForm(ConfirmedForm):
    amount = DollarsField(
        _l("Amount received (CAD, taxes included)"),
        validators=[AmountRequired(message=_l("Enter the amount received."))],
    )
    paid_on = DateField(
        _l("Received on"), validators=[InputRequired(message=_l("Enter the date."))]
    )
    method = SelectField(
        _l("How"),
        choices=[
            SelectChoice("interac", _l("Interac e-Transfer")),
            SelectChoice("other", _l("Other (cheque, invoice paid)")),
        ],
    )
    reference = StringField(
        _l("Interac or invoice reference"), validators=[Optional(), Length(max=255)]
    )

    def validate_amount(self, field):
        if field.data is not None and field.data <= 0:
            raise ValidationError(_l("The amount must be more than zero."))


class StatusForm(ConfirmedForm):
    """Mark a session completed or a no-show."""
