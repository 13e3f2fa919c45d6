"""The day sums the ledger's totals read: always what the entries add up to, on both databases.

Each test checks the totals against its own sum of the entries, in Python, so a day sum
that misses an entry, counts one twice or puts it on the wrong local day fails here.
"""

import threading
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from consult.accounting import ledger, queries, rollup
from consult.accounting.models import LedgerDay, LedgerRollup
from consult.extensions import db
from consult.payments.models import LedgerEntry, LedgerTax
from tests.factories import make_booking, make_payment, make_refund, montreal

MONTREAL = ZoneInfo("America/Montreal")
NOVEMBER = ledger.Filter(ledger.Period(date(2026, 11, 1), date(2026, 11, 30)))


def expected(session, wanted, zone):
    """{kind: (count, subtotal, total, fee or None, net, {code: cents})} summed in Python."""
    out = {}
    for entry in session.scalars(sa.select(LedgerEntry)):
        day = entry.occurred_at.astimezone(zone).date()
        if not wanted.period.start <= day <= wanted.period.end:
            continue
        if wanted.method and entry.method != wanted.method:
            continue
        count, subtotal, total, fee, net, taxes = out.get(entry.kind, (0, 0, 0, None, 0, {}))
        if entry.fee_cents is not None:
            fee = (fee or 0) + entry.fee_cents
        net += (
            entry.net_cents
            if entry.net_cents is not None
            else entry.total_cents - (entry.fee_cents or 0)
        )
        for tax in entry.taxes:
            taxes[tax.code] = taxes.get(tax.code, 0) + tax.amount_cents
        out[entry.kind] = (
            count + 1,
            subtotal + entry.subtotal_cents,
            total + entry.total_cents,
            fee,
            net,
            taxes,
        )
    return out


def shown(session, wanted, zone):
    totals = queries.totals_by_kind(session, wanted, zone)
    return {
        kind: (t.count, t.subtotal_cents, t.total_cents, t.fee_cents, t.net_cents, t.taxes)
        for kind, t in totals.items()
        if t.count
    }


def some_books(session):
    first = make_payment(session, make_booking(session), montreal(2026, 11, 3, 10), fee_cents=95)
    make_payment(session, make_booking(session), montreal(2026, 11, 3, 23, 30), method="interac")
    make_refund(session, first, montreal(2026, 11, 20, 9), total_cents=5_000)
    make_payment(session, make_booking(session), montreal(2026, 11, 30, 23, 45))
    make_payment(session, make_booking(session), montreal(2026, 12, 1, 0, 15))
    session.commit()


def test_the_totals_are_the_entries_summed_before_and_after_the_sums_exist(app):
    with app.app_context():
        some_books(db.session)
        assert shown(db.session, NOVEMBER, MONTREAL) == expected(db.session, NOVEMBER, MONTREAL)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerDay)) > 0
        # Written once the sums exist: added in the entry's own transaction.
        later = make_payment(
            db.session, make_booking(db.session), montreal(2026, 11, 3, 11), fee_cents=120
        )
        make_refund(db.session, later, montreal(2026, 11, 4, 8))
        db.session.commit()
        assert shown(db.session, NOVEMBER, MONTREAL) == expected(db.session, NOVEMBER, MONTREAL)
        interac = ledger.Filter(NOVEMBER.period, method="interac")
        assert shown(db.session, interac, MONTREAL) == expected(db.session, interac, MONTREAL)


def test_an_entry_late_at_night_counts_on_her_local_day(app):
    with app.app_context():
        some_books(db.session)
        # 23:45 on the 30th in Montréal is December in UTC: it stays in her November.
        assert shown(db.session, NOVEMBER, MONTREAL)["payment"][0] == 3


def test_a_new_time_zone_sums_the_days_again(app):
    with app.app_context():
        some_books(db.session)
        shown(db.session, NOVEMBER, MONTREAL)
        app.config["TIME_ZONE"] = "UTC"
        utc = ZoneInfo("UTC")
        assert shown(db.session, NOVEMBER, utc) == expected(db.session, NOVEMBER, utc)
        # 23:45 Montréal on the 30th is December the 1st in UTC.
        assert shown(db.session, NOVEMBER, utc)["payment"][0] == 2
        assert db.session.scalars(sa.select(LedgerRollup.zone)).all() == ["UTC"]


def test_entries_written_without_the_orm_count_once_forgotten(app):
    with app.app_context():
        some_books(db.session)
        shown(db.session, NOVEMBER, MONTREAL)
        template = db.session.scalar(sa.select(LedgerEntry).order_by(LedgerEntry.id).limit(1))
        copied = {
            column.key: getattr(template, column.key)
            for column in sa.inspect(LedgerEntry).columns
            if column.key not in ("id", "number", "stripe_payment_intent")
        }
        db.session.execute(sa.insert(LedgerEntry), [{**copied, "number": "R-bulk-1"}])
        bulk_id = db.session.scalar(
            sa.select(LedgerEntry.id).where(LedgerEntry.number == "R-bulk-1")
        )
        db.session.execute(
            sa.insert(LedgerTax),
            [
                {"entry_id": bulk_id, "code": t.code, "name": t.name, "rate": t.rate,
                 "amount_cents": t.amount_cents}
                for t in template.taxes
            ],
        )  # fmt: skip
        db.session.commit()
        rollup.forget(db.session)
        assert shown(db.session, NOVEMBER, MONTREAL) == expected(db.session, NOVEMBER, MONTREAL)


def test_payments_written_at_once_all_count(app, database_url):
    """Concurrent payments on one day add to the same day row without losing one."""
    with app.app_context():
        some_books(db.session)
        shown(db.session, NOVEMBER, MONTREAL)
        bookings = [make_booking(db.session) for _ in range(6)]
        db.session.commit()
        ids = [booking.id for booking in bookings]
    errors = []

    def pay(booking_id):
        try:
            with app.app_context():
                from consult.booking.models import Booking

                booking = db.session.get(Booking, booking_id)
                make_payment(db.session, booking, montreal(2026, 11, 10, 14))
                db.session.commit()
        except Exception as error:  # reported below; a thread's exception is otherwise lost
            errors.append(error)

    threads = [threading.Thread(target=pay, args=(booking_id,)) for booking_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        if database_url.startswith("sqlite"):
            # SQLite's writers take turns; one may be refused as busy, never half-counted.
            assert all("locked" in str(error) for error in errors), errors
        else:
            assert errors == []
        assert shown(db.session, NOVEMBER, MONTREAL) == expected(db.session, NOVEMBER, MONTREAL)
