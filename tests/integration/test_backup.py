"""`consult backup`: a consistent SQLite copy taken while the site writes, that restores
with every booking, payment, receipt number and message."""

import threading
import time

import pytest
import sqlalchemy as sa

from consult import create_app
from consult.booking.models import Booking, Offer
from consult.database import write
from consult.extensions import db
from consult.mail.models import OutboxMessage
from consult.mail.outbox import queue
from consult.payments.models import LedgerEntry
from tests.conftest import BACKEND, make_test_config
from tests.factories import make_booking, make_offer, make_payment

sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="the SQLite backup")


def snapshot(session):
    """What must survive: bookings, payments with their receipt numbers, messages."""
    return {
        "bookings": set(session.execute(sa.select(Booking.id, Booking.ics_uid, Booking.status))),
        "payments": set(
            session.execute(sa.select(LedgerEntry.id, LedgerEntry.number, LedgerEntry.total_cents))
        ),
        "messages": set(
            session.execute(sa.select(OutboxMessage.id, OutboxMessage.to, OutboxMessage.subject))
        ),
    }


@sqlite_only
def test_a_backup_taken_while_the_site_writes_restores_everything(app, runner, tmp_path):
    with app.app_context():
        with write(db.session):
            offer = make_offer(db.session)
            for n in range(20):
                booking = make_booking(db.session, offer, client_email=f"c{n}@example.org")
                make_payment(db.session, booking, number=f"R-{n + 1:06d}")
                queue(f"c{n}@example.org", f"Confirmation {n}", "See you soon.")
        offer_id = offer.id
        before = snapshot(db.session)
    assert {number for _id, number, _total in before["payments"]} == {
        f"R-{n:06d}" for n in range(1, 21)
    }

    # Another thread keeps booking (a booking and its message in one transaction each).
    stop, written, failures = threading.Event(), [], []

    def keep_writing():
        with app.app_context():
            try:
                while not stop.is_set():
                    with write(db.session):
                        offer = db.session.get(Offer, offer_id)
                        n = len(written)
                        make_booking(db.session, offer, client_email=f"live{n}@example.org")
                        queue(f"live{n}@example.org", f"Live {n}", "Booked during the backup.")
                    written.append(n)
            except Exception as error:  # the test fails on it below
                failures.append(error)
            finally:
                db.session.remove()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    while len(written) < 5 and writer.is_alive():
        time.sleep(0.01)
    copy = tmp_path / "backups" / "consult-copy.sqlite3"
    result = runner.invoke(args=["consult", "backup", str(copy)])
    during = len(written)
    time.sleep(0.2)
    stop.set()
    writer.join(timeout=30)
    assert failures == []
    assert result.exit_code == 0, result.output
    assert "integrity ok" in result.output
    assert sorted(path.name for path in copy.parent.iterdir()) == [copy.name]  # one file
    assert len(written) > during >= 5  # the site kept writing through the backup

    restored = create_app(make_test_config(f"sqlite:///{copy}", tmp_path / "restored"))
    with restored.app_context():
        after = snapshot(db.session)
        live_bookings = {uid for _id, uid, _status in after["bookings"]} - {
            uid for _id, uid, _status in before["bookings"]
        }
        live_messages = after["messages"] - before["messages"]
        db.engine.dispose()
    assert before["bookings"] <= after["bookings"]
    assert before["payments"] <= after["payments"]
    assert before["messages"] <= after["messages"]
    # Consistent: each booking made during the backup came with its message, or neither did.
    assert len(live_bookings) == len(live_messages)


@sqlite_only
def test_a_backup_refuses_to_overwrite_or_to_copy_onto_the_database(app, runner, tmp_path):
    existing = tmp_path / "there.sqlite3"
    existing.write_bytes(b"keep me")
    refused = runner.invoke(args=["consult", "backup", str(existing)])
    assert refused.exit_code == 2 and "--overwrite" in refused.output
    assert existing.read_bytes() == b"keep me"
    with app.app_context():
        database = db.engine.url.database
    onto_itself = runner.invoke(args=["consult", "backup", database])
    assert onto_itself.exit_code == 2 and "database itself" in onto_itself.output
    replaced = runner.invoke(args=["consult", "backup", "--overwrite", str(existing)])
    assert replaced.exit_code == 0
    assert existing.read_bytes().startswith(b"SQLite format 3\0")


@pytest.mark.postgres_only
def test_on_postgresql_the_backup_points_to_pg_dump_and_fails(runner, tmp_path):
    result = runner.invoke(args=["consult", "backup", str(tmp_path / "copy.sqlite3")])
    assert result.exit_code == 2
    assert "pg_dump --format=custom" in result.output and "pg_restore" in result.output
    assert not (tmp_path / "copy.sqlite3").exists()
