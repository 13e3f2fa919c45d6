"""Receipt numbers come from one gap-free sequence, even under concurrent payments.

Each thread records a payment in its own session and transaction; some roll back, as a
failed request would. The numbers that remain are unique and leave no hole.
"""

import threading
import time

import pytest
import sqlalchemy as sa

from consult.booking.models import Booking
from consult.database import write
from consult.extensions import db, utcnow
from consult.payments import service
from consult.payments.models import Counter, LedgerEntry
from tests.factories import make_held_booking, make_offer


class RolledBack(Exception):
    """Raised inside the write, as a failed request would: the write rolls back."""


def race(app, payers, rolls_back):
    with app.app_context():
        offer = make_offer(db.session)
        now = utcnow()
        # Every other hour: the buffer after a session reaches into the next hour.
        ids = [
            make_held_booking(
                db.session, now, offer=offer, hour=(2 * i) % 24, days_ahead=2 + i // 12
            ).id
            for i in range(payers)
        ]
        db.session.commit()

    start = threading.Barrier(payers)
    errors = []

    def pay(index, booking_id):
        try:
            with app.app_context():
                session = db.session()
                start.wait(timeout=10)
                try:
                    with write(session):
                        booking = session.get(Booking, booking_id)
                        service.record_payment(
                            session,
                            booking,
                            method="demo",
                            total_cents=booking.total_cents,
                            occurred_at=utcnow(),
                            stripe_payment_intent=f"pi_race_{index}",
                            time_zone="America/Montreal",
                        )
                        time.sleep(0.01)  # hold the number a moment: others must wait
                        if rolls_back(index):
                            raise RolledBack
                except RolledBack:
                    pass
        except Exception as error:  # reported below: a thread cannot fail the test itself
            errors.append(error)

    threads = [
        threading.Thread(target=pay, args=(i, booking_id)) for i, booking_id in enumerate(ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with app.app_context():
        numbers = db.session.scalars(sa.select(LedgerEntry.number)).all()
        counter = db.session.get(Counter, "receipt")
        return sorted(numbers), counter.value


@pytest.mark.postgres_only
def test_receipt_numbers_stay_gap_free_and_unique_under_concurrent_payments_on_postgresql(app):
    numbers, last = race(app, payers=16, rolls_back=lambda index: index % 4 == 0)
    assert len(numbers) == 12
    assert numbers == [f"R-{n:06d}" for n in range(1, 13)]
    assert last == 12


def test_receipt_numbers_stay_gap_free_when_payments_race_on_any_database(app):
    numbers, last = race(app, payers=6, rolls_back=lambda index: index % 3 == 1)
    assert numbers == [f"R-{n:06d}" for n in range(1, 5)]
    assert last == 4
