"""Builders for ledger rows in the accountant's tests: an offer, a booking, payments, refunds.

Other code writes these rows in production (payments); the desk only reads them, so its
tests build them directly, with the database's own constraints checking they are sound.
"""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from consult.booking.models import Booking, Offer
from consult.extensions import db
from consult.payments import taxes
from consult.payments.models import LedgerEntry
from consult.payments.service import ledger_tax_rows

QUEBEC = taxes.profile_from_settings(
    [
        {"code": "GST", "name": "TPS/GST", "rate": "0.05", "registration": "123456789 RT0001"},
        {"code": "QST", "name": "TVQ/QST", "rate": "0.09975", "registration": "1234567890 TQ0001"},
    ]
)
_serial = itertools.count(1)


def make_offer(**overrides):
    n = next(_serial)
    fields = {
        "slug": f"strategy-{n}",
        "title_fr": "Séance stratégique",
        "title_en": "Strategy session",
        "duration_minutes": 60,
        "price_cents": 15000,
    }
    fields.update(overrides)
    offer = Offer(**fields)
    db.session.add(offer)
    db.session.flush()
    return offer


def make_booking(offer=None, **overrides):
    """A confirmed booking on a day of its own (bookings may never overlap)."""
    n = next(_serial)
    offer = offer or make_offer()
    starts = datetime(2030, 1, 1, 14, tzinfo=UTC) + timedelta(days=n)
    fields = {
        "offer": offer,
        "status": "confirmed",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=1),
        "busy_starts_at": starts,
        "busy_ends_at": starts + timedelta(hours=1, minutes=15),
        "client_name": "Camille Tremblay",
        "client_email": "camille@example.org",
        "ics_uid": f"booking-{n}@consult.test",
        "subtotal_cents": offer.price_cents,
    }
    fields.update(overrides)
    booking = Booking(**fields)
    db.session.add(booking)
    db.session.flush()
    return booking


def add_payment(
    booking,
    occurred_at,
    subtotal_cents=15000,
    method="stripe",
    taxable=True,
    fee_cents=None,
    number=None,
    **overrides,
):
    """A payment with its taxes; Stripe payments get ids and a fee of 2.9 % + 30 ¢."""
    n = next(_serial)
    breakdown = taxes.compute(subtotal_cents, QUEBEC, taxable=taxable)
    if method == "stripe" and fee_cents is None:
        fee_cents = round(breakdown.total_cents * 0.029) + 30
    fields = {
        "kind": "payment",
        "number": number or f"R-{n:06d}",
        "booking": booking,
        "occurred_at": occurred_at,
        "method": method,
        "subtotal_cents": breakdown.subtotal_cents,
        "tax_cents": breakdown.tax_cents,
        "total_cents": breakdown.total_cents,
        "fee_cents": fee_cents,
        "net_cents": None if fee_cents is None else breakdown.total_cents - fee_cents,
        "description": "Strategy session: should you outsource your social media?",
        "client_name": booking.client_name,
        "client_email": booking.client_email,
        "taxes": ledger_tax_rows(breakdown),
    }
    if method == "stripe":
        fields.update(
            stripe_payment_intent=f"pi_{n}",
            stripe_charge=f"ch_{n}",
            stripe_balance_transaction=f"txn_{n}",
            stripe_payout=f"po_{n}",
        )
    fields.update(overrides)
    entry = LedgerEntry(**fields)
    db.session.add(entry)
    db.session.flush()
    return entry


def add_refund(payment, occurred_at, total_cents=None, number=None, **overrides):
    """A credit note giving back `total_cents` (all of it by default), as negative amounts."""
    n = next(_serial)
    amount = payment.total_cents if total_cents is None else total_cents
    original = taxes.Breakdown(
        payment.subtotal_cents,
        tuple(
            taxes.TaxLine(tax.code, tax.name, tax.rate, tax.registration, tax.amount_cents)
            for tax in payment.taxes
        ),
    )
    breakdown = taxes.split_total(-amount, original.lines, original.subtotal_cents)
    fields = {
        "kind": "refund",
        "number": number or f"CN-{n:06d}",
        "booking": payment.booking,
        "refund_of": payment,
        "occurred_at": occurred_at,
        "method": payment.method,
        "subtotal_cents": breakdown.subtotal_cents,
        "tax_cents": breakdown.tax_cents,
        "total_cents": breakdown.total_cents,
        "fee_cents": None,
        "net_cents": breakdown.total_cents if payment.method == "stripe" else None,
        "description": payment.description,
        "client_name": payment.client_name,
        "client_email": payment.client_email,
        "taxes": ledger_tax_rows(breakdown),
    }
    if payment.method == "stripe":
        fields.update(
            stripe_payment_intent=payment.stripe_payment_intent,
            stripe_charge=payment.stripe_charge,
            stripe_refund=f"re_{n}",
            stripe_balance_transaction=f"txn_re_{n}",
        )
    fields.update(overrides)
    entry = LedgerEntry(**fields)
    db.session.add(entry)
    db.session.flush()
    return entry


def montreal(year, month, day, hour=12, minute=0):
    """An instant given as Montréal wall-clock time (the consultant's zone)."""
    from zoneinfo import ZoneInfo

    local = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("America/Montreal"))
    return local.astimezone(UTC)


def build_sample_books():
    """A November 2026 with every kind of row, and neighbours just outside it.

    Returns the numbers by name; all times are Montréal wall-clock times.
    """
    stripe_booking = make_booking(client_name="Camille Tremblay")
    interac_booking = make_booking(client_name="Jérôme Gagnon", client_email="jerome@example.org")
    other_booking = make_booking(client_name="Awa Diallo", client_email="awa@example.org")
    october_booking = make_booking(client_name="Luc Roy", client_email="luc@example.org")
    rows = {}
    rows["october"] = add_payment(october_booking, montreal(2026, 10, 31, 23, 30), fee_cents=530)
    rows["stripe"] = add_payment(stripe_booking, montreal(2026, 11, 3, 10, 15))
    rows["interac"] = add_payment(
        interac_booking, montreal(2026, 11, 5), method="interac", external_reference="CA7781"
    )
    rows["exempt"] = add_payment(
        other_booking, montreal(2026, 11, 20), subtotal_cents=8000, method="other", taxable=False
    )
    rows["partial_refund"] = add_refund(rows["stripe"], montreal(2026, 11, 10), total_cents=5000)
    rows["october_refund"] = add_refund(rows["october"], montreal(2026, 11, 12))
    # 22:30 on November 30 in Montréal is already December 1 in UTC: still November here.
    rows["late_november"] = add_payment(
        make_booking(client_name="Nadia Côté"), montreal(2026, 11, 30, 22, 30)
    )
    rows["december"] = add_payment(
        make_booking(client_name="Paul Martin"), montreal(2026, 12, 1, 0, 30), method="demo"
    )
    db.session.commit()
    return {name: entry.number for name, entry in rows.items()}


def sign_in(app, client, role="accountant"):
    """Open a session for a new user of `role` without the password round trip (Argon2 is
    slow on purpose); signing in through the form is tested by the auth and browser tests."""
    from consult.auth.models import User

    with app.app_context():
        user = User(email=f"{role}-{next(_serial)}@example.org", role=role, password_hash="!")
        db.session.add(user)
        db.session.commit()
        user_id = user.get_id()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True


def test_built_rows_satisfy_the_ledgers_own_constraints(app):
    with app.app_context():
        booking = make_booking()
        payment = add_payment(booking, montreal(2026, 11, 3))
        refund = add_refund(payment, montreal(2026, 11, 10), total_cents=8624)
        db.session.commit()
        assert payment.total_cents == 17246  # 150.00 + 7.50 GST + 14.96 QST
        assert refund.total_cents == -8624
        assert refund.subtotal_cents + sum(t.amount_cents for t in refund.taxes) == -8624


def test_the_database_refuses_a_refund_with_a_positive_amount(app):
    with app.app_context():
        payment = add_payment(make_booking(), montreal(2026, 11, 3))
        with pytest.raises(sa.exc.IntegrityError):
            add_refund(payment, montreal(2026, 11, 4), total_cents=-100)
        db.session.rollback()
