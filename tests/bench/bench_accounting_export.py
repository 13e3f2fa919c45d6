"""A streamed export's memory does not grow with its rows: tracemalloc's peak while
downloading 100,000 rows is about the peak for 10,000 (printed; `make bench` runs it)."""

import tracemalloc
from datetime import timedelta

import pytest
import sqlalchemy as sa

from consult.accounting import rollup
from consult.extensions import db
from consult.payments.models import LedgerEntry, LedgerTax
from tests.factories import (
    make_booking,
    make_payment,
    montreal,
    sign_in,
)

NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}
BATCH = 5_000


def add_rows(app, first_index, count):
    """`count` taxed Stripe payments in November, inserted in bulk batches."""
    with app.app_context():
        template = db.session.scalar(sa.select(LedgerEntry).order_by(LedgerEntry.id).limit(1))
        copied = {
            column.key: getattr(template, column.key)
            for column in sa.inspect(LedgerEntry).columns
            if column.key
            not in ("id", "number", "occurred_at", "stripe_refund", "stripe_payment_intent")
        }
        taxes = [(tax.code, tax.name, tax.rate, tax.amount_cents) for tax in template.taxes]
        start = template.occurred_at
        for offset in range(first_index, first_index + count, BATCH):
            numbers = [
                f"B-{n:07d}" for n in range(offset, min(offset + BATCH, first_index + count))
            ]
            db.session.execute(
                sa.insert(LedgerEntry),
                [
                    {
                        **copied,
                        "number": number,
                        "occurred_at": start + timedelta(seconds=20 * (offset + i)),
                    }
                    for i, number in enumerate(numbers)
                ],
            )
            ids = db.session.scalars(
                sa.select(LedgerEntry.id).where(LedgerEntry.number.in_(numbers))
            ).all()
            db.session.execute(
                sa.insert(LedgerTax),
                [
                    {
                        "entry_id": entry_id,
                        "code": code,
                        "name": name,
                        "rate": rate,
                        "amount_cents": cents,
                    }
                    for entry_id in ids
                    for code, name, rate, cents in taxes
                ],
            )
            db.session.commit()
        # Written without the ORM: the day sums are built again when next read.
        rollup.forget(db.session)


def remove_rows(app):
    """Empty the ledger quickly on SQLite, which checks each deleted row against the
    unindexed `refund_of_id` (the fixture's row-by-row teardown would take minutes here).
    PostgreSQL's teardown truncates, which is fast already."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return
        raw = db.engine.raw_connection()  # autocommit, no BEGIN: the PRAGMA takes effect
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.execute("DELETE FROM ledger_taxes")
            cursor.execute("DELETE FROM ledger_entries")
            cursor.execute("DELETE FROM ledger_rollups")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            raw.close()


def peak_while_downloading(client):
    """(peak traced bytes, bytes downloaded, lines) for one full export of November."""
    tracemalloc.start()
    response = client.get("/en/accounting/export.csv", query_string=NOVEMBER, buffered=False)
    size = lines = 0
    for chunk in response.response:
        size += len(chunk)
        lines += chunk.count("\r\n" if isinstance(chunk, str) else b"\r\n")
    response.close()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, size, lines


def test_export_memory_stays_flat_from_10k_to_100k_rows(app, client, benchmark, capsys):
    if benchmark.disabled:
        pytest.skip("a benchmark: `make bench` runs it")
    with app.app_context():
        make_payment(
            db.session,
            make_booking(db.session),
            montreal(2026, 11, 1, 0, 30),
            subtotal_cents=15_000,
        )
        db.session.commit()
    sign_in(app, client)

    try:
        add_rows(app, 1, 9_999)
        peak_10k, size_10k, lines_10k = peak_while_downloading(client)
        add_rows(app, 10_000, 90_000)
        peak_100k, size_100k, lines_100k = benchmark.pedantic(
            peak_while_downloading, args=(client,), rounds=1, iterations=1
        )
    finally:
        remove_rows(app)

    assert lines_10k == 1 + 10_000 and lines_100k == 1 + 100_000
    benchmark.extra_info.update(peak_10k=peak_10k, peak_100k=peak_100k)
    with capsys.disabled():
        print(
            f"\nexport of 10,000 rows:  {size_10k / 1e6:6.1f} MB written, "
            f"tracemalloc peak {peak_10k / 1e6:5.2f} MB"
            f"\nexport of 100,000 rows: {size_100k / 1e6:6.1f} MB written, "
            f"tracemalloc peak {peak_100k / 1e6:5.2f} MB"
            f"\npeak ratio 100k/10k: {peak_100k / peak_10k:.2f} (rows ratio 10)"
        )
