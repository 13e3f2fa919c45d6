"""The ledger's sums by local day, so that a period's totals read a few hundred rows however
many entries it holds. Kept in the transaction that writes each entry (consult.accounting.
rollup); a zone's sums are rebuilt from the entries when first read in that zone."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import orm as so

from ..extensions import UTCDateTime, db, utcnow


class LedgerDay(db.Model):
    """One local day's entries of one kind and method, summed."""

    __tablename__ = "ledger_days"

    #: The zone the day is local to (TIME_ZONE when it was summed).
    zone: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    day: so.Mapped[date] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(10), primary_key=True)
    method: so.Mapped[str] = so.mapped_column(sa.String(10), primary_key=True)
    entries: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    subtotal_cents: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    #: The subtotals of the entries that carry a tax.
    taxable_cents: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    total_cents: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    #: NULL while no entry of the day reported a fee (shown blank, not 0.00).
    fee_cents: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    #: Each entry's reported net, else its total less any fee.
    net_cents: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)


class LedgerDayTax(db.Model):
    """One tax's amounts on one local day's entries of one kind and method."""

    __tablename__ = "ledger_day_taxes"

    zone: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    day: so.Mapped[date] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(10), primary_key=True)
    method: so.Mapped[str] = so.mapped_column(sa.String(10), primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(10), primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(40))
    amount_cents: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)


class LedgerRollup(db.Model):
    """A zone whose day sums hold every entry: written once they are built."""

    __tablename__ = "ledger_rollups"

    zone: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    built_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
