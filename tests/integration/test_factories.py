"""The test builders make rows the database itself accepts, constraints included."""

import pytest
import sqlalchemy as sa

from consult.extensions import db
from consult.payments.models import LedgerEntry
from tests.factories import (
    count,
    make_booking,
    make_held_booking,
    make_payment,
    make_refund,
    montreal,
)


def test_the_builders_make_rows_the_database_accepts(app):
    with app.app_context():
        booking = make_booking(db.session)
        make_payment(db.session, booking)
        make_held_booking(db.session)
        db.session.commit()
        assert count(db.session, LedgerEntry) == 1
        assert booking.ledger_entries[0].total_cents == booking.total_cents == 28744


def test_built_rows_satisfy_the_ledgers_own_constraints(app):
    with app.app_context():
        booking = make_booking(db.session)
        payment = make_payment(db.session, booking, montreal(2026, 11, 3), subtotal_cents=15000)
        refund = make_refund(db.session, payment, montreal(2026, 11, 10), total_cents=8624)
        db.session.commit()
        assert payment.total_cents == 17246  # 150.00 + 7.50 GST + 14.96 QST
        assert refund.total_cents == -8624
        assert refund.subtotal_cents + sum(t.amount_cents for t in refund.taxes) == -8624


def test_the_database_refuses_a_refund_with_a_positive_amount(app):
    with app.app_context():
        payment = make_payment(db.session, make_booking(db.session), montreal(2026, 11, 3))
        with pytest.raises(sa.exc.IntegrityError):
            make_refund(db.session, payment, montreal(2026, 11, 4), total_cents=-100)
        db.session.rollback()
