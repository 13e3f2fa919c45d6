"""The ledger: receipts and credit notes numbered without gaps, taxes per row, refunds bounded."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from consult.audit import AuditEntry
from consult.booking.models import CONFIRMED
from consult.business import current as current_business
from consult.database import write
from consult.extensions import db, utcnow
from consult.payments import refunds, service, settlement
from consult.payments.models import PAYMENT, REFUND, LedgerEntry
from tests.factories import local_day, make_held_booking


class RolledBack(Exception):
    """Raised inside a write, as a failed request would."""


def pay(booking, total=None, **fields):
    return service.record_payment(
        db.session,
        booking,
        method="demo",
        time_zone="America/Montreal",
        total_cents=total or booking.total_cents,
        occurred_at=utcnow(),
        stripe_payment_intent=fields.pop("intent", f"pi_demo_{booking.id}"),
        **fields,
    )


def taxes_of(entry):
    return {tax.code: tax.amount_cents for tax in entry.taxes}


def test_a_payment_gets_the_next_receipt_number_and_the_bookings_taxes(app):
    with app.app_context():
        now = utcnow()
        first = pay(make_held_booking(db.session, now))
        second = pay(make_held_booking(db.session, now, days_ahead=4))
        db.session.commit()
        assert (first.number, second.number) == ("R-000001", "R-000002")
        assert first.kind == PAYMENT
        assert (first.subtotal_cents, first.tax_cents, first.total_cents) == (25_000, 3744, 28_744)
        assert taxes_of(first) == {"GST": 1250, "QST": 2494}
        gst = first.taxes[0]
        assert (gst.name, gst.rate, gst.registration) == ("TPS/GST", "0.05", "123456789 RT0001")
        assert "Séance stratégique" in first.description
        assert "(America/Montreal)" in first.description


def test_a_rolled_back_payment_gives_its_number_back(app):
    with app.app_context():
        now = utcnow()
        booking = make_held_booking(db.session, now)
        db.session.commit()
        with pytest.raises(RolledBack), write(db.session):
            pay(booking)
            raise RolledBack
        booking = db.session.get(type(booking), booking.id)
        assert pay(booking).number == "R-000001"


def test_refunding_half_gives_back_half_of_each_tax_with_its_own_credit_note(app):
    with app.app_context():
        payment = pay(make_held_booking(db.session, utcnow()))
        refund = service.refund(
            db.session, payment, 14_372, reason="Half, as agreed", now=utcnow(), config=app.config
        )
        db.session.commit()
        assert refund.number == "CN-000001"
        assert refund.kind == REFUND and refund.refund_of_id == payment.id
        assert (refund.subtotal_cents, refund.tax_cents, refund.total_cents) == (
            -12_500,
            -1872,
            -14_372,
        )
        assert taxes_of(refund) == {"GST": -625, "QST": -1247}
        assert refund.reason == "Half, as agreed"
        assert service.remaining_refundable(payment) == 14_372
        # The payment itself is never edited.
        assert payment.total_cents == 28_744 and taxes_of(payment) == {"GST": 1250, "QST": 2494}


def test_partial_refunds_never_give_back_more_tax_than_was_paid(app):
    with app.app_context():
        payment = pay(make_held_booking(db.session, utcnow()))
        refunds = [
            service.refund(
                db.session, payment, amount, reason="part", now=utcnow(), config=app.config
            )
            for amount in (9581, 9581, 9582)
        ]
        db.session.commit()
        assert service.remaining_refundable(payment) == 0
        assert sum(r.total_cents for r in refunds) == -28_744
        assert sum(r.subtotal_cents for r in refunds) == -25_000
        for code, paid in taxes_of(payment).items():
            assert sum(taxes_of(r)[code] for r in refunds) == -paid
        assert [r.number for r in refunds] == ["CN-000001", "CN-000002", "CN-000003"]


def test_a_refund_can_never_exceed_what_remains(app):
    with app.app_context():
        payment = pay(make_held_booking(db.session, utcnow()))
        service.refund(db.session, payment, 20_000, reason="most", now=utcnow(), config=app.config)
        with pytest.raises(service.RefundTooLarge) as refused:
            service.refund(
                db.session, payment, 8745, reason="too much", now=utcnow(), config=app.config
            )
        assert refused.value.remaining_cents == 8744
        with pytest.raises(service.InvalidPayment):
            service.refund(
                db.session, payment, 0, reason="nothing", now=utcnow(), config=app.config
            )
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).where(LedgerEntry.kind == REFUND)) == 1


def test_refunding_a_booking_in_full_owes_then_refunds_what_remains_of_each_payment(app):
    with app.app_context():
        booking = make_held_booking(db.session, utcnow())
        first = pay(booking, total=10_000, intent="pi_one")
        second = pay(booking, total=18_744, intent="pi_two")
        service.refund(db.session, first, 4_000, reason="goodwill", now=utcnow(), config=app.config)
        with write(db.session):
            owed = service.owe_booking_refunds(
                db.session, booking, reason="Cancelled by the consultant"
            )
        assert [(p.id, p.refund_owed_cents) for p in owed] == [
            (first.id, 6_000),
            (second.id, 18_744),
        ]
        assert [service.remaining_refundable(p) for p in owed] == [0, 0]
        assert refunds.settle_owed(db.session, config=app.config, now=utcnow()) == (2, 0)
        credit_notes = db.session.scalars(
            sa.select(LedgerEntry).where(LedgerEntry.kind == REFUND).order_by(LedgerEntry.id)
        ).all()
        assert [(r.refund_of_id, r.total_cents) for r in credit_notes[1:]] == [
            (first.id, -6_000),
            (second.id, -18_744),
        ]
        assert all(p.refund_owed_cents is None for p in owed)
        assert service.owe_booking_refunds(db.session, booking, reason="again") == []
        assert refunds.settle_owed(db.session, config=app.config, now=utcnow()) == (0, 0)


def test_refunding_an_unpaid_booking_owes_nothing(app):
    with app.app_context():
        booking = make_held_booking(db.session, utcnow())
        assert service.owe_booking_refunds(db.session, booking, reason="x") == []


def test_an_instalment_shares_the_taxes_in_proportion(app):
    with app.app_context():
        entry = pay(make_held_booking(db.session, utcnow()), total=14_372)
        assert (entry.subtotal_cents, entry.total_cents) == (12_500, 14_372)
        assert taxes_of(entry) == {"GST": 625, "QST": 1247}


def test_the_owner_records_an_interac_payment_and_it_confirms_the_booking(app, make_user):
    owner = make_user(role="owner")
    with app.app_context():
        now = utcnow()
        booking = make_held_booking(
            db.session, now, gateway="manual", gateway_session_id="manual_1"
        )
        db.session.commit()
        payment = settlement.mark_paid_manually(
            db.session,
            booking,
            amount_cents=28_744,
            paid_on=local_day(now),
            reference="Interac CA1234",
            user=owner,
            business=current_business(),
            now=now,
        )
        assert payment.number == "R-000001"
        assert payment.method == "interac"
        assert payment.external_reference == "Interac CA1234"
        assert payment.created_by_id == owner.id
        assert payment.occurred_at.astimezone(UTC).hour in (16, 17)  # noon in Montréal
        assert db.session.get(type(booking), booking.id).status == CONFIRMED
        audit = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "payment.record_manual")
        )
        assert audit.user_id == owner.id and audit.after["reference"] == "Interac CA1234"


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"amount_cents": 0}, "more than zero"),
        ({"method": "cash"}, "unknown manual payment method"),
        ({"paid_on": date.today() + timedelta(days=5)}, "in the future"),
        ({"paid_on": None}, "date is missing"),
    ],
)
def test_a_manual_payment_that_makes_no_sense_is_refused_and_nothing_changes(app, fields, problem):
    with app.app_context():
        now = utcnow()
        booking = make_held_booking(db.session, now, gateway="manual")
        db.session.commit()
        arguments = {
            "amount_cents": 28_744,
            "paid_on": local_day(now),
            "reference": "ref",
            "user": None,
            "business": current_business(),
            "now": now,
            **fields,
        }
        with pytest.raises(service.InvalidPayment, match=problem):
            settlement.mark_paid_manually(db.session, booking, **arguments)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 0
        assert db.session.get(type(booking), booking.id).status == "held"


def test_a_manual_payment_may_carry_an_exact_time(app):
    with app.app_context():
        now = utcnow()
        booking = make_held_booking(db.session, now, gateway="manual")
        received = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
        entry = service.record_manual_payment(
            db.session,
            booking,
            amount_cents=28_744,
            paid_on=received,
            reference="",
            now=now,
            time_zone="America/Montreal",
        )
        assert entry.occurred_at == received


def test_the_hold_lasts_longer_for_manual_payments(app):
    assert (
        service.hold_minutes(
            {"PAYMENT_GATEWAY": "manual", "MANUAL_HOLD_HOURS": 72, "HOLD_MINUTES": 30}
        )
        == 72 * 60
    )
    assert (
        service.hold_minutes(
            {"PAYMENT_GATEWAY": "stripe", "MANUAL_HOLD_HOURS": 72, "HOLD_MINUTES": 10}
        )
        == 30
    )


def test_the_database_refuses_the_same_gateway_payment_twice(app):
    with app.app_context():
        booking = make_held_booking(db.session, utcnow())
        pay(booking, intent="pi_once")
        db.session.commit()
        with pytest.raises(sa.exc.IntegrityError):
            pay(booking, intent="pi_once")
        db.session.rollback()
        # Refunds carry their payment's intent too: that is allowed.
        payment = db.session.scalar(sa.select(LedgerEntry))
        service.refund(db.session, payment, 100, reason="part", now=utcnow(), config=app.config)
        service.refund(db.session, payment, 100, reason="part", now=utcnow(), config=app.config)
        db.session.commit()


def test_settle_refunds_makes_what_is_owed_once_and_says_so(app, runner):
    with app.app_context():
        booking = make_held_booking(db.session, utcnow())
        payment = pay(booking, intent="pi_owed")
        with write(db.session):
            service.owe_booking_refunds(db.session, booking, reason="Cancelled")
        payment_id = payment.id
    first = runner.invoke(args=["consult", "settle-refunds"])
    assert first.exit_code == 0, first.output
    assert "Settled 1 refund(s); 0 failed" in first.output
    again = runner.invoke(args=["consult", "settle-refunds"])
    assert "Settled 0 refund(s)" in again.output
    with app.app_context():
        credit_notes = db.session.scalars(
            sa.select(LedgerEntry).where(LedgerEntry.refund_of_id == payment_id)
        ).all()
        assert [entry.total_cents for entry in credit_notes] == [-28_744]
