"""The accountant's filters: read from the query string (GET), so nothing here changes data."""

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, SelectField
from wtforms.validators import AnyOf, ValidationError

from ..formatting import format_month_name
from ..payments.models import METHODS
from . import ledger

BAD_DATE = _l("Enter a date as YYYY-MM-DD, for example 2026-11-30.")


def _within_supported_dates(form, field):
    if field.data and not ledger.FIRST_DAY <= field.data <= ledger.LAST_DAY:
        raise ValidationError(
            _l(
                "Choose a date between %(first)s and %(last)s.",
                first=ledger.FIRST_DAY.isoformat(),
                last=ledger.LAST_DAY.isoformat(),
            )
        )


class QueryForm(FlaskForm):
    """A GET form: no CSRF token, since it only reads."""

    class Meta:
        csrf = False


class LedgerFilterForm(QueryForm):
    """A date left out of the query keeps its default (this month); one sent must be valid."""

    start = DateField(
        _l("From"),
        validators=[_within_supported_dates],
        invalid_value_message=BAD_DATE,
    )
    end = DateField(
        _l("To (included)"),
        validators=[_within_supported_dates],
        invalid_value_message=BAD_DATE,
    )
    method = SelectField(
        _l("Method"),
        choices=[
            SelectChoice("", _l("All methods")),
            SelectChoice("stripe", _l("Stripe")),
            SelectChoice("interac", _l("Interac")),
            SelectChoice("other", _l("Other")),
            SelectChoice("demo", _l("Demo")),
        ],
        default="",
        validate_choice=False,
        validators=[AnyOf(("", *METHODS), message=_l("Unknown payment method."))],
    )
    kind = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("Payments and refunds")),
            SelectChoice("payment", _l("Payments")),
            SelectChoice("refund", _l("Refunds")),
        ],
        default="",
        validate_choice=False,
        validators=[AnyOf(("", *ledger.KINDS), message=_l("Unknown status."))],
    )
    layout = SelectField(
        _l("Export layout"),
        choices=[
            SelectChoice("ledger", _l("Full ledger (every column)")),
            SelectChoice("quickbooks", _l("QuickBooks Online bank import")),
            SelectChoice("xero", _l("Xero bank statement")),
        ],
        default="ledger",
        validate_choice=False,
        validators=[AnyOf(ledger.LAYOUTS, message=_l("Unknown export layout."))],
    )
    variant = SelectField(
        _l("File format"),
        choices=[
            SelectChoice("standard", _l("CSV (comma, decimal point)")),
            SelectChoice("excel-fr", _l("Excel in French (semicolon, decimal comma)")),
        ],
        default="standard",
        validate_choice=False,
        validators=[AnyOf(tuple(ledger.VARIANTS), message=_l("Unknown file format."))],
    )

    def validate_variant(self, field):
        if self.layout.data in ledger.DECIMAL_POINT_ONLY and field.data == ledger.EXCEL_FR.name:
            raise ValidationError(
                _l(
                    "QuickBooks Online and Xero read only amounts with a decimal point: "
                    "choose “CSV (comma, decimal point)” for these layouts."
                )
            )

    def validate_end(self, field):
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The end date is before the start date."))

    def wanted(self) -> ledger.Filter:
        """The validated filter."""
        return ledger.Filter(
            ledger.Period(self.start.data, self.end.data), self.method.data, self.kind.data
        )


def period_choices():
    # Month names come from Babel, in the page's language.
    months = [LazyString(format_month_name, number) for number in range(1, 13)]
    return [
        SelectChoice(f"{number:02d}", name, optgroup=_l("Months"))
        for number, name in enumerate(months, start=1)
    ] + [
        SelectChoice(f"Q{number}", _l("Quarter %(number)s", number=number), optgroup=_l("Quarters"))
        for number in range(1, 5)
    ]


def _year_in_range(form, field):
    if field.process_errors:
        return  # not a number: its own message says so
    if field.data is None or not ledger.FIRST_DAY.year <= field.data <= ledger.LAST_DAY.year:
        raise ValidationError(
            _l(
                "Enter a year between %(first)s and %(last)s.",
                first=ledger.FIRST_DAY.year,
                last=ledger.LAST_DAY.year,
            )
        )


class TaxReportForm(QueryForm):
    """A year left out of the query keeps its default (last month's); one sent must be valid."""

    year = IntegerField(
        _l("Year"),
        validators=[_year_in_range],
        invalid_value_message=_l("Enter a year as four digits, for example 2026."),
    )
    period = SelectField(
        _l("Month or quarter"),
        choices=period_choices,
        validate_choice=False,
        validators=[
            AnyOf([choice.value for choice in period_choices()], message=_l("Unknown period."))
        ],
    )

    def chosen_period(self) -> ledger.Period:
        return ledger.period_from_key(self.year.data, self.period.data)
