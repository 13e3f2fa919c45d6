"""The accountant's arithmetic: ledger rows, periods, totals, CSV layouts and the tax report.

Pure: plain values in, plain values out. The caller reads the database, the clock and the
settings, and passes the consultant's time zone in.
"""

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PAYMENT, REFUND = "payment", "refund"
KINDS = (PAYMENT, REFUND)

#: The dates a filter accepts: wide enough for any real book, narrow enough to stay valid
#: in every time zone once turned into UTC instants.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2999, 12, 31)


class BadPeriod(ValueError):
    """A period that cannot be: an end before its start, a month 13, a date out of range."""


@dataclass(frozen=True)
class Period:
    """Local calendar days, both ends included, in the consultant's time zone."""

    start: date
    end: date

    def __post_init__(self):
        if self.end < self.start:
            raise BadPeriod("the end is before the start")
        if self.start < FIRST_DAY or self.end > LAST_DAY:
            raise BadPeriod("outside the supported dates")

    def utc_bounds(self, zone: ZoneInfo):
        """[first instant, first instant after) in UTC; local midnight exists in every zone
        this site serves (daylight saving changes there happen at night, not at midnight)."""
        first = datetime.combine(self.start, time(0), tzinfo=zone).astimezone(UTC)
        after = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=zone)
        return first, after.astimezone(UTC)


def month(year: int, number: int) -> Period:
    if not 1 <= number <= 12:
        raise BadPeriod(f"no month {number}")
    start = date(year, number, 1)
    following = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return Period(start, following - timedelta(days=1))


def quarter(year: int, number: int) -> Period:
    if not 1 <= number <= 4:
        raise BadPeriod(f"no quarter {number}")
    first = month(year, 3 * number - 2)
    return Period(first.start, month(year, 3 * number).end)


def period_from_key(year: int, key: str) -> Period:
    """ "01".."12" for a month, "Q1".."Q4" for a quarter (the tax report's choices)."""
    if key.startswith("Q") and key[1:].isdigit():
        return quarter(year, int(key[1:]))
    if key.isdigit():
        return month(year, int(key))
    raise BadPeriod(f"unknown period {key!r}")


def month_of(day: date) -> Period:
    return month(day.year, day.month)


def previous_month(day: date) -> Period:
    return month_of(day.replace(day=1) - timedelta(days=1))


@dataclass(frozen=True)
class Filter:
    """What the accountant asked for: a period, and optionally one method and one kind."""

    period: Period
    method: str = ""
    kind: str = ""


@dataclass(frozen=True)
class Row:
    """One ledger row as the accountant sees it: signed amounts, taxes by code."""

    occurred_at: datetime
    kind: str
    number: str
    #: For a credit note: the receipt it corrects.
    corrects: str
    booking_reference: str
    client_name: str
    client_email: str
    description: str
    subtotal_cents: int
    #: Tax code -> signed cents; a code the row does not carry is absent (exempt).
    taxes: dict[str, int]
    total_cents: int
    currency: str
    method: str
    fee_cents: int | None
    net_cents: int | None
    external_reference: str = ""
    stripe_payment_intent: str = ""
    stripe_charge: str = ""
    stripe_refund: str = ""
    stripe_balance_transaction: str = ""
    stripe_payout: str = ""

    def local_time(self, zone: ZoneInfo) -> datetime:
        return self.occurred_at.astimezone(zone)

    @property
    def reference(self) -> str:
        """What identifies the money's movement outside this site."""
        if self.method == "stripe" or self.stripe_payment_intent:
            return self.stripe_refund or self.stripe_charge or self.stripe_payment_intent or ""
        return self.external_reference


#: The Row fields a ledger entry stores under the same name, whether read from an ORM
#: entry or a select's columns; `row_from()` is the one place they are mapped.
ENTRY_FIELDS = (
    "occurred_at",
    "kind",
    "number",
    "client_name",
    "client_email",
    "description",
    "subtotal_cents",
    "total_cents",
    "currency",
    "method",
    "fee_cents",
    "net_cents",
    "external_reference",
    "stripe_payment_intent",
    "stripe_charge",
    "stripe_refund",
    "stripe_balance_transaction",
    "stripe_payout",
)
#: The outside references among them: stored as NULL when unknown, shown as "".
REFERENCE_FIELDS = ENTRY_FIELDS[ENTRY_FIELDS.index("external_reference") :]


def net_of(total_cents: int, fee_cents: int | None, net_cents: int | None) -> int:
    """What a row leaves in the bank: the net its processor reported, else its total less
    the fee it reported (none: nothing known to deduct). A refund's net is its negative
    amount, since the processor keeps its fee on the payment."""
    if net_cents is not None:
        return net_cents
    return total_cents - (fee_cents or 0)


def row_from(entry, *, corrects, booking_reference, taxes) -> Row:
    """A Row from `entry`'s ENTRY_FIELDS (`entry[name]`), with what the entry does not hold
    itself: the receipt it corrects, its booking's reference, its taxes by code."""
    values = {name: entry[name] for name in ENTRY_FIELDS}
    for name in REFERENCE_FIELDS:
        values[name] = values[name] or ""
    values["net_cents"] = net_of(values["total_cents"], values["fee_cents"], values["net_cents"])
    return Row(**values, corrects=corrects or "", booking_reference=booking_reference, taxes=taxes)


def _plus(first: int | None, second: int | None) -> int | None:
    """A sum where None means "nobody reported any": None only when both are."""
    if first is None and second is None:
        return None
    return (first or 0) + (second or 0)


@dataclass
class Totals:
    """Sums over some rows; `fee_cents` is None when no row's processor reported a fee, and
    `net_cents` counts every row at its net (see `net_of`), so total - fees = net."""

    count: int = 0
    subtotal_cents: int = 0
    #: Subtotal of the rows that carry at least one tax.
    taxable_cents: int = 0
    taxes: dict[str, int] = field(default_factory=dict)
    total_cents: int = 0
    fee_cents: int | None = None
    net_cents: int = 0

    def __add__(self, other: "Totals") -> "Totals":
        codes = dict.fromkeys([*self.taxes, *other.taxes])
        return Totals(
            count=self.count + other.count,
            subtotal_cents=self.subtotal_cents + other.subtotal_cents,
            taxable_cents=self.taxable_cents + other.taxable_cents,
            taxes={code: self.taxes.get(code, 0) + other.taxes.get(code, 0) for code in codes},
            total_cents=self.total_cents + other.total_cents,
            fee_cents=_plus(self.fee_cents, other.fee_cents),
            net_cents=self.net_cents + other.net_cents,
        )

    def tax(self, code: str) -> int:
        return self.taxes.get(code, 0)


# --- Tax report -------------------------------------------------------------------------


@dataclass(frozen=True)
class TaxReportLine:
    """One tax's line on the report (payments.taxes.TaxLine is one tax on one amount)."""

    code: str
    name: str
    collected_cents: int
    #: Taxes given back on refunds in the period: negative (or zero).
    reversed_cents: int

    @property
    def to_remit_cents(self) -> int:
        return self.collected_cents + self.reversed_cents


@dataclass(frozen=True)
class TaxReport:
    period: Period
    sales_cents: int
    refunds_cents: int
    taxable_sales_cents: int
    taxable_refunds_cents: int
    lines: tuple[TaxReportLine, ...]

    @property
    def net_sales_cents(self) -> int:
        return self.sales_cents + self.refunds_cents

    @property
    def net_taxable_sales_cents(self) -> int:
        return self.taxable_sales_cents + self.taxable_refunds_cents

    @property
    def exempt_sales_cents(self) -> int:
        return self.net_sales_cents - self.net_taxable_sales_cents

    @property
    def to_remit_cents(self) -> int:
        return sum(line.to_remit_cents for line in self.lines)


def tax_report(period: Period, by_kind: dict[str, Totals], taxes: list[tuple[str, str]]):
    """The period's figures for the GST and QST returns, from the totals per kind.

    `taxes` is [(code, name)] in the order to show. Input tax credits are the
    accountant's business and are not part of these figures.
    """
    payments, refunds = by_kind.get(PAYMENT, Totals()), by_kind.get(REFUND, Totals())
    return TaxReport(
        period=period,
        sales_cents=payments.subtotal_cents,
        refunds_cents=refunds.subtotal_cents,
        taxable_sales_cents=payments.taxable_cents,
        taxable_refunds_cents=refunds.taxable_cents,
        lines=tuple(
            TaxReportLine(code, name, payments.tax(code), refunds.tax(code)) for code, name in taxes
        ),
    )


# --- CSV --------------------------------------------------------------------------------


class Cents(int):
    """An amount in cents; the CSV variant writes it in dollars with its own decimal mark."""


@dataclass(frozen=True)
class Variant:
    name: str
    delimiter: str
    decimal: str
    #: A UTF-8 byte-order mark, so Excel reads the file as UTF-8 and not as Windows-1252.
    bom: bool


STANDARD = Variant("standard", ",", ".", bom=False)
EXCEL_FR = Variant("excel-fr", ";", ",", bom=True)
VARIANTS = {variant.name: variant for variant in (STANDARD, EXCEL_FR)}

#: Characters that make a spreadsheet treat a cell as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(text: str) -> str:
    """`text` as a spreadsheet shows it, never runs it: a leading quote before a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def dollars(cents: int, decimal: str = ".") -> str:
    """-1234 -> "-12.34": no thousands separator, no currency sign, exact."""
    sign = "-" if cents < 0 else ""
    units, hundredths = divmod(abs(cents), 100)
    return f"{sign}{units}{decimal}{hundredths:02d}"


def cell(value, variant: Variant) -> str:
    if value is None:
        return ""
    if isinstance(value, Cents):
        return dollars(value, variant.decimal)
    return formula_safe(str(value))


#: The full ledger layout: (key, English label). Tax columns go after "subtotal".
LEDGER_COLUMNS = (
    ("date", "Date"),
    ("time", "Time"),
    ("time_zone", "Time zone"),
    ("kind", "Type"),
    ("number", "Number"),
    ("corrects", "Corrects receipt"),
    ("booking", "Booking"),
    ("client", "Client"),
    ("email", "Email"),
    ("description", "Description"),
    ("subtotal", "Pre-tax"),
    ("total", "Total"),
    ("currency", "Currency"),
    ("method", "Method"),
    ("fee", "Fee"),
    ("net", "Net"),
    ("reference", "Reference"),
    ("stripe_payment_intent", "Stripe payment intent"),
    ("stripe_charge", "Stripe charge"),
    ("stripe_refund", "Stripe refund"),
    ("stripe_balance_transaction", "Stripe balance transaction"),
    ("stripe_payout", "Stripe payout"),
)


def ledger_header(tax_codes: list[str], labels: dict[str, str] | None = None) -> list[str]:
    labels = labels or {}
    header = []
    for key, english in LEDGER_COLUMNS:
        header.append(labels.get(key, english))
        if key == "subtotal":
            header.extend(tax_codes)
    return header


def ledger_table(
    rows: Iterable[Row], tax_codes, zone: ZoneInfo, labels=None, kinds=None
) -> Iterator[list]:
    """Every column of every row; taxes a row does not carry are left empty.

    `labels` names the columns (the keys of LEDGER_COLUMNS, and each tax code), `kinds`
    the types ("payment", "refund"): the French variant writes them in French.
    """
    tax_labels = {code: (labels or {}).get(code, code) for code in tax_codes}
    yield ledger_header([tax_labels[code] for code in tax_codes], labels)
    kinds = kinds or {}
    zone_name = str(zone)
    for row in rows:
        local = row.local_time(zone)
        yield [
            local.strftime("%Y-%m-%d"),
            local.strftime("%H:%M"),
            zone_name,
            kinds.get(row.kind, row.kind),
            row.number,
            row.corrects,
            row.booking_reference,
            row.client_name,
            row.client_email,
            row.description,
            Cents(row.subtotal_cents),
            *(Cents(row.taxes[code]) if code in row.taxes else None for code in tax_codes),
            Cents(row.total_cents),
            row.currency,
            row.method,
            None if row.fee_cents is None else Cents(row.fee_cents),
            None if row.net_cents is None else Cents(row.net_cents),
            row.external_reference,
            row.stripe_payment_intent,
            row.stripe_charge,
            row.stripe_refund,
            row.stripe_balance_transaction,
            row.stripe_payout,
        ]


def _bank_description(row: Row) -> str:
    return f"{row.number} {row.client_name} - {row.description}"


#: QuickBooks Online asks for the date format at upload and recommends day first; a French
#: (or Canadian) spreadsheet reads 07/11/2026 as 7 November too, where MM/DD read as July.
QUICKBOOKS_DATE = "%d/%m/%Y"
#: Xero reads ISO dates whatever the organisation's region.
XERO_DATE = "%Y-%m-%d"


def quickbooks_table(rows: Iterable[Row], zone: ZoneInfo) -> Iterator[list]:
    """QuickBooks Online bank import, three columns: Date (DD/MM/YYYY), Description, Amount.

    One line per row at its total (refunds negative), then one negative line per gateway
    fee, so the lines add up to what the gateway pays out.
    """
    yield ["Date", "Description", "Amount"]
    for row in rows:
        day = row.local_time(zone).strftime(QUICKBOOKS_DATE)
        yield [day, _bank_description(row), Cents(row.total_cents)]
        if row.fee_cents:
            yield [day, f"{row.number} {row.method.capitalize()} fee", Cents(-row.fee_cents)]


def xero_table(rows: Iterable[Row], zone: ZoneInfo) -> Iterator[list]:
    """Xero bank statement import: Date (YYYY-MM-DD), Amount, Payee, Description, Reference.

    Same lines as the QuickBooks layout: totals, then gateway fees as negative lines.
    """
    yield ["Date", "Amount", "Payee", "Description", "Reference"]
    for row in rows:
        day = row.local_time(zone).strftime(XERO_DATE)
        yield [day, Cents(row.total_cents), row.client_name, row.description, row.number]
        if row.fee_cents:
            payee = row.method.capitalize()
            yield [day, Cents(-row.fee_cents), payee, f"{payee} fee", row.number]


LAYOUTS = ("ledger", "quickbooks", "xero")
#: Layouts whose importers read only a decimal point (and a comma between columns).
DECIMAL_POINT_ONLY = ("quickbooks", "xero")


@dataclass(frozen=True)
class FileLimit:
    """What one file may hold for an importer: lines after the header, bytes in all."""

    max_lines: int | None = None
    max_bytes: int | None = None


#: QuickBooks Online takes files of at most 350 KB; Xero at most 1,000 lines (the header
#: counted, to be safe). A larger export is split into numbered files in one zip.
IMPORT_LIMITS = {
    "quickbooks": FileLimit(max_bytes=350 * 1000),
    "xero": FileLimit(max_lines=999),
}


def csv_chunks(table: Iterable[list], variant: Variant, lines_per_chunk=500) -> Iterator[str]:
    """RFC 4180 text (CRLF line ends, quotes where needed), a chunk per `lines_per_chunk`
    lines, so a download of any size holds only one chunk in memory at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=variant.delimiter, lineterminator="\r\n")
    if variant.bom:
        yield "\ufeff"
    for count, record in enumerate(table, start=1):
        writer.writerow([cell(value, variant) for value in record])
        if count % lines_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    rest = buffer.getvalue()
    if rest:
        yield rest


def csv_line(record: list, variant: Variant) -> str:
    """One record as an RFC 4180 line (CRLF), with the variant's separator and decimals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=variant.delimiter, lineterminator="\r\n")
    writer.writerow([cell(value, variant) for value in record])
    return buffer.getvalue()


def csv_files(table: Iterable[list], variant: Variant, limit: FileLimit) -> Iterator[bytes]:
    """The table as whole CSV files (UTF-8 bytes, each with the header), each within
    `limit`; one file at a time is held in memory. An empty table still gives one file."""
    lines = iter(table)
    header = csv_line(next(lines), variant).encode()
    start = ("\ufeff" if variant.bom else "").encode() + header
    part, size, count = [start], len(start), 0
    for record in lines:
        line = csv_line(record, variant).encode()
        full = (limit.max_lines is not None and count >= limit.max_lines) or (
            limit.max_bytes is not None and count and size + len(line) > limit.max_bytes
        )
        if full:
            yield b"".join(part)
            part, size, count = [start], len(start), 0
        part.append(line)
        size += len(line)
        count += 1
    yield b"".join(part)


class _Sink(io.RawIOBase):
    """A write-only stream whose bytes are taken out as they come (a zip being streamed)."""

    def __init__(self):
        self._chunks: list[bytes] = []

    def writable(self):
        return True

    def write(self, data):
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def zip_stream(files: Iterable[tuple[str, bytes]]) -> Iterator[bytes]:
    """A zip of (name, content) files, streamed: each file is compressed and given out
    before the next is read, so memory holds one file."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(name, content)
            yield sink.take()
    yield sink.take()


def registrations(stored: Iterable[tuple[str, str, str]], configured: list[dict]):
    """[(name, registration)] for a receipt's letterhead: the taxes stored with the row (with
    the number it was issued under, else today's), then any other configured tax."""
    numbers = {entry["code"]: entry.get("registration", "") for entry in configured}
    shown = {}
    for code, name, registration in stored:
        shown[code] = (name, registration or numbers.get(code, ""))
    for entry in configured:
        shown.setdefault(entry["code"], (entry.get("name", entry["code"]), numbers[entry["code"]]))
    return [(name, registration) for name, registration in shown.values() if registration]
