"""The ledger's day sums: what the totals read, so a page of the ledger costs the same at
10,000 entries as at 100,000.

Ledger entries are never edited (a refund is a new, negative row), so each entry adds to
its local day once. The addition happens in the transaction that writes the entry, from
the ORM's flush, whoever writes it (a payment, a refund, the seed, a test factory); an
upsert adds to a day's row, so concurrent payments on one day both count.

A zone's sums are built from the entries the first time they are read in that zone (a new
database, a new TIME_ZONE, an insert made without the ORM and announced by `forget`), under
a lock that waits for the payments being written and holds new ones until it is done.
"""

from collections import defaultdict
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy import event
from sqlalchemy import orm as so
from sqlalchemy.dialects import postgresql, sqlite

from .. import business
from ..database import write
from ..payments.models import LedgerEntry, LedgerTax
from .models import LedgerDay, LedgerDayTax, LedgerRollup

#: Rows inserted at a time while a zone's sums are built.
INSERT_BATCH = 1000

DAY_KEY = ("zone", "day", "kind", "method")
DAY_SUMS = ("entries", "subtotal_cents", "taxable_cents", "total_cents", "net_cents")


class _Sums:
    """Day rows and day-tax rows being added up, keyed like their tables."""

    def __init__(self, zone):
        self.zone = zone
        self.tzinfo = ZoneInfo(zone)
        self.days = defaultdict(lambda: dict.fromkeys(DAY_SUMS, 0) | {"fee_cents": None})
        self.taxes = {}

    def add(self, *, occurred_at, kind, method, subtotal, total, fee, net, taxed, taxes=()):
        """One entry; `taxes` is [(code, name, cents)], `taxed` whether it carries any."""
        key = (self.zone, occurred_at.astimezone(self.tzinfo).date(), kind, method)
        day = self.days[key]
        day["entries"] += 1
        day["subtotal_cents"] += subtotal
        day["taxable_cents"] += subtotal if taxed else 0
        day["total_cents"] += total
        if fee is not None:
            day["fee_cents"] = (day["fee_cents"] or 0) + fee
        day["net_cents"] += net if net is not None else total - (fee or 0)
        for code, name, cents in taxes:
            self.add_tax(key, code, name, cents)

    def add_tax(self, key, code, name, cents):
        row = self.taxes.setdefault((*key, code), {"name": name, "amount_cents": 0})
        row["amount_cents"] += cents

    def day_rows(self):
        return [dict(zip(DAY_KEY, key, strict=True)) | sums for key, sums in self.days.items()]

    def tax_rows(self):
        return [
            dict(zip((*DAY_KEY, "code"), key, strict=True)) | sums
            for key, sums in self.taxes.items()
        ]


def _insert(connection, table):
    return (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(table)


def _add_to_days(connection, sums):
    """Upsert the sums: a day row already there is added to, in the database."""
    if sums.days:
        table = LedgerDay.__table__
        statement = _insert(connection, table)
        new = statement.excluded
        both_blank = sa.and_(table.c.fee_cents.is_(None), new.fee_cents.is_(None))
        fee = sa.func.coalesce(table.c.fee_cents, 0) + sa.func.coalesce(new.fee_cents, 0)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=list(DAY_KEY),
                set_={
                    **{name: table.c[name] + new[name] for name in DAY_SUMS},
                    "fee_cents": sa.case((both_blank, None), else_=fee),
                },
            ),
            sums.day_rows(),
        )
    if sums.taxes:
        table = LedgerDayTax.__table__
        statement = _insert(connection, table)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[*DAY_KEY, "code"],
                set_={"amount_cents": table.c.amount_cents + statement.excluded.amount_cents},
            ),
            sums.tax_rows(),
        )


def _is_built(connection, zone):
    return (
        connection.execute(sa.select(LedgerRollup.zone).where(LedgerRollup.zone == zone)).first()
        is not None
    )


def _after_flush(session, _flush_context):
    """Add the entries this flush writes to their days, in the same transaction."""
    entries = [item for item in session.new if isinstance(item, LedgerEntry)]
    stray_taxes = [
        item
        for item in session.new
        if isinstance(item, LedgerTax) and item.entry not in session.new
    ]
    if not (entries or stray_taxes) or not has_app_context():
        return
    connection = session.connection()
    zone = business.current().time_zone
    if stray_taxes:
        # A tax added to an entry written earlier changes which subtotals are taxable: the
        # sums are built again from the entries at the next reading.
        connection.execute(sa.delete(LedgerRollup))
        return
    if not _is_built(connection, zone):
        return  # built from the entries, this one included, when first read
    sums = _Sums(zone)
    for entry in entries:
        sums.add(
            occurred_at=entry.occurred_at,
            kind=entry.kind,
            method=entry.method,
            subtotal=entry.subtotal_cents,
            total=entry.total_cents,
            fee=entry.fee_cents,
            net=entry.net_cents,
            taxed=bool(entry.taxes),
            taxes=[(tax.code, tax.name, tax.amount_cents) for tax in entry.taxes],
        )
    _add_to_days(connection, sums)


def init_app(app):
    if not event.contains(so.Session, "after_flush", _after_flush):
        event.listen(so.Session, "after_flush", _after_flush)


def ensure_built(session, zone):
    """Build the zone's sums from the entries unless they are built already (one lookup)."""
    if _is_built(session.connection(), zone):
        return
    with write(session):
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            # Waits for the payments being written and holds new ones until the sums are
            # built; two readers building at once take turns (the mode conflicts with itself).
            connection.execute(sa.text("LOCK TABLE ledger_entries IN SHARE ROW EXCLUSIVE MODE"))
        if _is_built(connection, zone):
            return
        _build(connection, zone)


def _build(connection, zone):
    # Every zone's rows go: only the zone in force is kept up to date.
    for model in (LedgerDayTax, LedgerDay, LedgerRollup):
        connection.execute(sa.delete(model))
    sums = _Sums(zone)
    carries_taxes = sa.exists().where(LedgerTax.entry_id == LedgerEntry.id)
    entries = connection.execute(
        sa.select(
            LedgerEntry.occurred_at,
            LedgerEntry.kind,
            LedgerEntry.method,
            LedgerEntry.subtotal_cents,
            LedgerEntry.total_cents,
            LedgerEntry.fee_cents,
            LedgerEntry.net_cents,
            carries_taxes,
        ).execution_options(yield_per=INSERT_BATCH)
    )
    for occurred_at, kind, method, subtotal, total, fee, net, has_taxes in entries:
        sums.add(
            occurred_at=occurred_at,
            kind=kind,
            method=method,
            subtotal=subtotal,
            total=total,
            fee=fee,
            net=net,
            taxed=has_taxes,
        )
    taxes = connection.execute(
        sa.select(
            LedgerEntry.occurred_at,
            LedgerEntry.kind,
            LedgerEntry.method,
            LedgerTax.code,
            LedgerTax.name,
            LedgerTax.amount_cents,
        )
        .join(LedgerEntry, LedgerEntry.id == LedgerTax.entry_id)
        .execution_options(yield_per=INSERT_BATCH)
    )
    for occurred_at, kind, method, code, name, cents in taxes:
        key = (zone, occurred_at.astimezone(sums.tzinfo).date(), kind, method)
        sums.add_tax(key, code, name, cents)
    for table, rows in ((LedgerDay, sums.day_rows()), (LedgerDayTax, sums.tax_rows())):
        for start in range(0, len(rows), INSERT_BATCH):
            connection.execute(sa.insert(table), rows[start : start + INSERT_BATCH])
    connection.execute(sa.insert(LedgerRollup), [{"zone": zone}])


def forget(session):
    """After entries were written without the ORM (a bulk load): build again when read."""
    with write(session):
        session.execute(sa.delete(LedgerRollup))
