"""Reading the ledger: filtered rows (streamed in batches), totals by SQL aggregates, receipts."""

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import orm as so

from ..booking.models import Booking
from ..payments.models import LedgerEntry, LedgerTax
from . import ledger

#: Rows fetched from the database at a time while streaming an export.
STREAM_BATCH = 1000


def tax_columns(session, configured: list[dict]) -> list[tuple[str, str]]:
    """[(code, name)]: the TAXES setting's taxes first, then any other code the ledger holds
    (a tax since removed from the settings still has its column)."""
    columns = {entry["code"]: entry.get("name", entry["code"]) for entry in configured}
    stored = session.execute(
        sa.select(LedgerTax.code, sa.func.min(LedgerTax.name))
        .group_by(LedgerTax.code)
        .order_by(LedgerTax.code)
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


def page_of_rows(session, wanted, zone, tax_codes, page: int, per_page: int):
    """One page of rows for the screen, and whether another page follows."""
    statement = _rows_select(wanted, zone, tax_codes).limit(per_page + 1)
    statement = statement.offset((page - 1) * per_page)
    rows = [_row(record, tax_codes) for record in session.execute(statement)]
    return rows[:per_page], len(rows) > per_page


def totals_by_kind(session, wanted: ledger.Filter, zone: ZoneInfo) -> dict[str, ledger.Totals]:
    """The filter's totals per kind, summed by the database."""
    conditions = _conditions(wanted, zone)
    has_taxes = sa.exists().where(LedgerTax.entry_id == LedgerEntry.id)
    sums = session.execute(
        sa.select(
            LedgerEntry.kind,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(LedgerEntry.subtotal_cents), 0),
            sa.func.coalesce(
                sa.func.sum(sa.case((has_taxes, LedgerEntry.subtotal_cents), else_=0)), 0
            ),
            sa.func.coalesce(sa.func.sum(LedgerEntry.total_cents), 0),
            # NULL when no row's processor reported a fee: shown blank, not as 0.00.
            sa.func.sum(LedgerEntry.fee_cents),
            # Each row at ledger.net_of(): the reported net, else total less any fee.
            sa.func.coalesce(
                sa.func.sum(
                    sa.func.coalesce(
                        LedgerEntry.net_cents,
                        LedgerEntry.total_cents - sa.func.coalesce(LedgerEntry.fee_cents, 0),
                    )
                ),
                0,
            ),
        )
        .where(*conditions)
        .group_by(LedgerEntry.kind)
    )
    by_kind = {kind: ledger.Totals() for kind in ledger.KINDS}
    for kind, count, subtotal, taxable, total, fee, net in sums:
        by_kind[kind] = ledger.Totals(
            count=count,
            subtotal_cents=int(subtotal),
            taxable_cents=int(taxable),
            total_cents=int(total),
            fee_cents=None if fee is None else int(fee),
            net_cents=int(net),
        )
    taxes = session.execute(
        sa.select(LedgerEntry.kind, LedgerTax.code, sa.func.sum(LedgerTax.amount_cents))
        .join(LedgerEntry, LedgerEntry.id == LedgerTax.entry_id)
        .where(*conditions)
        .group_by(LedgerEntry.kind, LedgerTax.code)
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
