"""Builders for the desk's tests: offers, bookings and ledger rows with overridable defaults."""

import uuid
from datetime import timedelta

import sqlalchemy as sa

from consult.booking.models import CONFIRMED, Booking, Offer
from consult.config import DEFAULTS
from consult.extensions import db, utcnow
from consult.payments import taxes
from consult.payments.models import LedgerEntry

#: The desk's pages read the clock; bookings are placed around the real time of the test.
NOW = utcnow()


def make_offer(session, **fields):
    values = {
        "slug": f"strategy-{uuid.uuid4().hex[:6]}",
        "title_fr": "Séance stratégique",
        "title_en": "Strategy session",
        "duration_minutes": 60,
        "price_cents": 25000,
        "taxable": True,
        "active": True,
        "position": 1,
    }
    values.update(fields)
    offer = Offer(**values)
    session.add(offer)
    session.flush()
    return offer


def make_booking(session, offer=None, starts_at=None, **fields):
    offer = offer or make_offer(session)
    starts_at = starts_at or NOW + timedelta(days=3)
    ends_at = starts_at + timedelta(minutes=offer.duration_minutes)
    price = taxes.compute(offer.price_cents, taxes.profile_from_settings(DEFAULTS["TAXES"]))
    values = {
        "offer": offer,
        "status": CONFIRMED,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "busy_starts_at": starts_at,
        "busy_ends_at": ends_at + timedelta(minutes=15),
        "client_name": "Mireille Gagnon",
        "client_email": "mireille@example.org",
        "organisation": "Boulangerie Gagnon",
        "intake_goal": "Savoir si je confie Instagram à une agence.",
        "ics_uid": f"{uuid.uuid4()}@consult",
        "subtotal_cents": price.subtotal_cents,
        "tax_lines": [line.as_dict() for line in price.lines],
        "total_cents": price.total_cents,
        "created_at": NOW - timedelta(days=1),
    }
    values.update(fields)
    booking = Booking(**values)
    session.add(booking)
    session.flush()
    return booking


def make_payment(session, booking, total_cents=28744, occurred_at=None, **fields):
    count = session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry))
    tax = round(total_cents * 3744 / 28744)
    values = {
        "kind": "payment",
        "number": f"R-{count + 1:05d}",
        "booking": booking,
        "occurred_at": occurred_at or NOW - timedelta(hours=2),
        "method": "demo",
        "subtotal_cents": total_cents - tax,
        "tax_cents": tax,
        "total_cents": total_cents,
        "description": booking.offer.title_fr,
        "client_name": booking.client_name,
        "client_email": booking.client_email,
    }
    values.update(fields)
    entry = LedgerEntry(**values)
    session.add(entry)
    session.flush()
    return entry


def test_the_builders_make_rows_the_database_accepts(app):
    with app.app_context():
        booking = make_booking(db.session)
        make_payment(db.session, booking)
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 1
        assert booking.ledger_entries[0].total_cents == booking.total_cents
