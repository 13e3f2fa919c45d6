"""Reading the ledger: filtered rows (streamed in batches), totals by SQL aggregates, receipts."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import orm as so

from ..booking.models import Booking
from ..payments.models import LedgerEntry, LedgerTax
from . import ledger, rollup
from .models import LedgerDay, LedgerDayTax

#: Rows fetched from the database at a time while streaming an export.
STREAM_BATCH = 1000


def tax_columns(session, configured: list[dict], zone: ZoneInfo) -> list[tuple[str, str]]:
    """[(code, name)]: the TAXES setting's taxes first, then any other code the ledger holds
    (a tax since removed from the settings still has its column)."""
    columns = {entry["code"]: entry.get("name", entry["code"]) for entry in configured}
    rollup.ensure_built(session, zone.key)
    stored = session.execute(
        sa.select(LedgerDayTax.code, sa.func.min(LedgerDayTax.name))
        .where(LedgerDayTax.zone == zone.key)
        .group_by(LedgerDayTax.code)
        .order_by(LedgerDayTax.code)
    )
    for code, name in stored:
        columns.setdefault(code, name)
    return list(columns.items())


def _conditions(wanted: ledger.Filter, zone: ZoneInfo):
    first, after = wanted.period.utc_bounds(zone)
    conditions = [LedgerEntry.occurred_at >= first, LedgerEntry.occurred_at < after]
    if wanted.method:
        conditions.append(LedgerEntry.method == wanted.method)
    if wanted.kind:
        conditions.append(LedgerEntry.kind == wanted.kind)
    return conditions


def _rows_select(wanted: ledger.Filter, zone: ZoneInfo, tax_codes: list[str]):
    corrected = so.aliased(LedgerEntry)
    taxes = [
        sa.select(sa.func.sum(LedgerTax.amount_cents))
        .where(LedgerTax.entry_id == LedgerEntry.id, LedgerTax.code == code)
        .scalar_subquery()
        .label(f"tax_{index}")
        for index, code in enumerate(tax_codes)
    ]
    return (
        sa.select(
            *(getattr(LedgerEntry, name) for name in ledger.ENTRY_FIELDS),
            corrected.number.label("corrects"),
            Booking.reference.label("booking_reference"),
            *taxes,
        )
        .join(Booking, Booking.id == LedgerEntry.booking_id)
        .outerjoin(corrected, corrected.id == LedgerEntry.refund_of_id)
        .where(*_conditions(wanted, zone))
        .order_by(LedgerEntry.occurred_at, LedgerEntry.id)
    )


def _row(record, tax_codes: list[str]) -> ledger.Row:
    values = record._mapping
    return ledger.row_from(
        values,
        corrects=values["corrects"],
        booking_reference=values["booking_reference"],
        taxes={
            code: values[f"tax_{index}"]
            for index, code in enumerate(tax_codes)
            if values[f"tax_{index}"] is not None
        },
    )


def stream_rows(session, wanted, zone, tax_codes, batch=STREAM_BATCH) -> Iterator[ledger.Row]:
    """Every row of the filter, oldest first, fetched `batch` at a time (a server-side cursor
    on PostgreSQL), so memory stays flat however many rows the range holds."""
    statement = _rows_select(wanted, zone, tax_codes).execution_options(yield_per=batch)
    result = session.execute(statement)
    try:
        for record in result:
            yield _row(record, tax_codes)
    finally:
        result.close()


@dataclass(frozen=True)
class Page:
    """One screen of rows, and the cursors of the screens before and after it (None at an end)."""

    rows: list
    previous: str | None
    next: str | None


_CURSOR = re.compile(r"^(\d{1,17})-(\d{1,12})$")


def _cursor(occurred_at, entry_id) -> str:
    """Where a row stands in the ledger's order: its instant in microseconds, then its id."""
    return f"{int(occurred_at.timestamp() * 1_000_000)}-{entry_id}"


def parse_cursor(text):
    """(instant, id) from a cursor, or None for anything else (a hand-edited address)."""
    match = _CURSOR.match(text or "")
    if match is None:
        return None
    micros, entry_id = int(match[1]), int(match[2])
    try:
        return datetime.fromtimestamp(micros / 1_000_000, UTC), entry_id
    except (OverflowError, OSError, ValueError):
        return None


def page_of_rows(session, wanted, zone, tax_codes, *, per_page, after=None, before=None) -> Page:
    """The rows after the cursor `after` (or before `before`), by keyset: a page costs the
    same at the end of 100,000 rows as at the start (no OFFSET to walk)."""
    statement = _rows_select(wanted, zone, tax_codes).add_columns(LedgerEntry.id.label("key_id"))
    key = before or after
    if key is not None:
        moment, entry_id = key
        if before is not None:
            beyond = sa.or_(
                LedgerEntry.occurred_at < moment,
                sa.and_(LedgerEntry.occurred_at == moment, LedgerEntry.id < entry_id),
            )
            bound = LedgerEntry.occurred_at <= moment
        else:
            beyond = sa.or_(
                LedgerEntry.occurred_at > moment,
                sa.and_(LedgerEntry.occurred_at == moment, LedgerEntry.id > entry_id),
            )
            bound = LedgerEntry.occurred_at >= moment
        # The plain bound lets the index on occurred_at start at the cursor.
        statement = statement.where(bound, beyond)
    if before is not None:
        statement = statement.order_by(None).order_by(
            LedgerEntry.occurred_at.desc(), LedgerEntry.id.desc()
        )
    records = session.execute(statement.limit(per_page + 1)).all()
    more = len(records) > per_page
    records = records[:per_page]
    if before is not None:
        records.reverse()
    if not records:
        return Page([], None, None)
    first = _cursor(records[0].occurred_at, records[0].key_id)
    last = _cursor(records[-1].occurred_at, records[-1].key_id)
    rows = [_row(record, tax_codes) for record in records]
    if before is not None:
        return Page(rows, first if more else None, last)
    return Page(rows, first if after is not None else None, last if more else None)


def totals_by_kind(session, wanted: ledger.Filter, zone: ZoneInfo) -> dict[str, ledger.Totals]:
    """The filter's totals per kind, from the day sums (consult.accounting.rollup): their
    cost follows the days in the period, not the entries."""
    rollup.ensure_built(session, zone.key)

    def days(model):
        conditions = [
            model.zone == zone.key,
            model.day >= wanted.period.start,
            model.day <= wanted.period.end,
        ]
        if wanted.method:
            conditions.append(model.method == wanted.method)
        if wanted.kind:
            conditions.append(model.kind == wanted.kind)
        return conditions

    sums = session.execute(
        sa.select(
            LedgerDay.kind,
            sa.func.coalesce(sa.func.sum(LedgerDay.entries), 0),
            sa.func.coalesce(sa.func.sum(LedgerDay.subtotal_cents), 0),
            sa.func.coalesce(sa.func.sum(LedgerDay.taxable_cents), 0),
            sa.func.coalesce(sa.func.sum(LedgerDay.total_cents), 0),
            # NULL when no row's processor reported a fee: shown blank, not as 0.00.
            sa.func.sum(LedgerDay.fee_cents),
            sa.func.coalesce(sa.func.sum(LedgerDay.net_cents), 0),
        )
        .where(*days(LedgerDay))
        .group_by(LedgerDay.kind)
    )
    by_kind = {kind: ledger.Totals() for kind in ledger.KINDS}
    for kind, count, subtotal, taxable, total, fee, net in sums:
        by_kind[kind] = ledger.Totals(
            count=int(count),
            subtotal_cents=int(subtotal),
            taxable_cents=int(taxable),
            total_cents=int(total),
            fee_cents=None if fee is None else int(fee),
            net_cents=int(net),
        )
    taxes = session.execute(
        sa.select(LedgerDayTax.kind, LedgerDayTax.code, sa.func.sum(LedgerDayTax.amount_cents))
        .where(*days(LedgerDayTax))
        .group_by(LedgerDayTax.kind, LedgerDayTax.code)
    )
    for kind, code, cents in taxes:
        by_kind[kind].taxes[code] = int(cents)
    return by_kind


def entry_by_number(session, number: str) -> LedgerEntry | None:
    """A receipt or credit note with what its page shows: taxes, booking, related rows."""
    return session.scalar(
        sa.select(LedgerEntry)
        .where(LedgerEntry.number == number)
        .options(
            so.selectinload(LedgerEntry.taxes),
            so.joinedload(LedgerEntry.booking),
            so.joinedload(LedgerEntry.refund_of),
            so.selectinload(LedgerEntry.refunds),
        )
    )


def row_of(entry: LedgerEntry) -> ledger.Row:
    """A loaded entry as a ledger row (the receipt page's figures)."""
    return ledger.row_from(
        {name: getattr(entry, name) for name in ledger.ENTRY_FIELDS},
        corrects=entry.refund_of.number if entry.refund_of else "",
        booking_reference=entry.booking.reference,
        taxes={tax.code: tax.amount_cents for tax in entry.taxes},
    )
