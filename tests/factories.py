"""The test builders, one family (CTFd's tests/helpers.py): each takes the session first,
adds its row with defaults any keyword overrides, flushes, and returns the row.

Time comes from the `now` argument, `CLOCK` by default: a fixed instant, so no builder reads
the real clock and no test changes meaning when the suite runs across midnight. A test
whose pages read the real clock (the desk's "today") passes its own `now`, read once.
"""

import itertools
import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from consult.booking.models import (
    CONFIRMED,
    HELD,
    AvailabilityRules,
    Booking,
    Offer,
    WeeklyHours,
)
from consult.payments import taxes
from consult.payments.models import LedgerEntry
from consult.payments.service import ledger_tax_rows

#: "Now" for every builder unless a test passes its own: Monday 7 January 2030, 10:00 in
#: Montréal (15:00 UTC).
CLOCK = datetime(2030, 1, 7, 15, tzinfo=UTC)
MONTREAL = ZoneInfo("America/Montreal")
#: The TAXES setting of a Québec consultant, as the settings spell it.
QUEBEC_TAXES = [
    {"code": "GST", "name": "TPS/GST", "rate": "0.05", "registration": "123456789 RT0001"},
    {"code": "QST", "name": "TVQ/QST", "rate": "0.09975", "registration": "1234567890 TQ0001"},
]
QUEBEC = taxes.profile_from_settings(QUEBEC_TAXES)
#: What a prospect types into the intake form, as booking.service.reserve() takes it.
INTAKE = {
    "name": "Ana Prospect",
    "email": "ana@example.org",
    "phone": "",
    "organisation": "Boulangerie Ana",
    "organisation_size": "2-10",
    "goal": "Whether an agency should run our Instagram.",
    "consent": True,
}

#: What a prospect posts to reserve a slot (the page adds "start" and "tz").
RESERVATION_FORM = {
    "name": "Ana Prospect",
    "email": "ana@example.org",
    "phone": "+33 6 12 34 56 78",
    "organisation": "Boulangerie Ana",
    "organisation_size": "2-10",
    "goal": "Whether an agency should run our Instagram.",
    "email_lang": "en",
    "consent": "y",
    # The test slots are mostly inside the no-refund window, where she must accept it.
    "accept_no_refund": "y",
}

_serial = itertools.count(1)


def montreal(year, month, day, hour=12, minute=0):
    """An instant given as Montréal wall-clock time (the consultant's zone), in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=MONTREAL).astimezone(UTC)


def local_day(now, zone=MONTREAL):
    """`now`'s date on her wall clock: the pages' "today", which the machine's date.today()
    is not for five hours of every night (UTC is ahead of Montréal)."""
    return now.astimezone(zone).date()


def days_ahead(now, days, hour):
    """`days` after `now`, at `hour`:00 UTC."""
    day = (now + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


# ----------------------------------------------------------------------------- booking


def make_offer(session, **overrides):
    values = {
        "slug": f"strategy-{uuid.uuid4().hex[:6]}",
        "title_fr": "Séance stratégique",
        "title_en": "Strategy session",
        "duration_minutes": 60,
        "price_cents": 25_000,
        "taxable": True,
        "active": True,
        "position": 1,
    }
    values.update(overrides)
    offer = Offer(**values)
    session.add(offer)
    session.flush()
    return offer


def make_booking(session, offer=None, starts_at=None, *, now=CLOCK, **overrides):
    """A confirmed session, priced with Québec's taxes. Without `starts_at` it gets a day of
    its own at 12:00 UTC, three days or more after `now` (live bookings may never overlap;
    held ones default to 15:00)."""
    offer = offer or make_offer(session)
    if starts_at is None:
        starts_at = days_ahead(now, 2 + next(_serial), 12)
    ends_at = starts_at + timedelta(minutes=offer.duration_minutes)
    price = taxes.compute(offer.price_cents, QUEBEC, offer.taxable)
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
        "created_at": now - timedelta(days=1),
    }
    values.update(overrides)
    booking = Booking(**values)
    session.add(booking)
    session.flush()
    return booking


def make_held_booking(
    session, now=CLOCK, *, offer=None, starts_at=None, days_ahead=3, hour=15, **overrides
):
    """A booking awaiting its demo payment, held from `now` for 30 minutes; the flagship
    price ($250 + GST + QST = $287.44). It starts `days_ahead` days later at `hour`:00 UTC
    unless `starts_at` says otherwise."""
    day = (now + timedelta(days=days_ahead)).replace(minute=0, second=0, microsecond=0)
    starts_at = starts_at or day.replace(hour=hour)
    values = {
        "status": HELD,
        "hold_expires_at": now + timedelta(minutes=30),
        "client_name": "Camille Tremblay",
        "client_email": f"camille-{uuid.uuid4().hex[:6]}@example.org",
        "organisation": "",
        "intake_goal": "",
        "lang": "fr",
        "time_zone": "America/Montreal",
        "gateway": "demo",
        "gateway_session_id": f"cs_demo_{uuid.uuid4().hex[:12]}",
        "created_at": now,
    }
    values.update(overrides)
    return make_booking(session, offer, starts_at, now=now, **values)


def open_every_day(session, **rules):
    """Every day 9:00-17:00 in Montréal, hourly slots, a 15-minute buffer after sessions;
    returns the flagship offer. Commits: the pages under test read it in their own session."""
    values = {
        "min_notice_hours": 0,
        "horizon_days": 30,
        "slot_step_minutes": 60,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 15,
        "daily_max_sessions": None,
    }
    values.update(rules)
    session.add(AvailabilityRules(**values))
    session.add_all(
        WeeklyHours(weekday=day, start_time=time(9), end_time=time(17)) for day in range(7)
    )
    offer = make_offer(
        session,
        slug="strategie",
        title_fr="Stratégie",
        title_en="Strategy",
        flagship=True,
    )
    session.commit()
    return offer


def free_slots(app, slug):
    """The open slots of the offer `slug` now, as the booking pages compute them."""
    from consult.booking import service
    from consult.business import current as current_business
    from consult.extensions import db, utcnow

    with app.app_context():
        offer = db.session.scalar(sa.select(Offer).where(Offer.slug == slug))
        return service.find_open_slots(db.session, offer, utcnow(), current_business())


def slot_key(slot):
    """A slot's start as the pages spell it in their links ("2027-06-15T14:00Z")."""
    return slot.starts_at.strftime("%Y-%m-%dT%H:%MZ")


# ----------------------------------------------------------------------------- ledger


def make_payment(
    session,
    booking,
    occurred_at=None,
    *,
    subtotal_cents=None,
    total_cents=None,
    method="stripe",
    taxable=True,
    fee_cents=None,
    number=None,
    now=CLOCK,
    **overrides,
):
    """A payment of the booking's price (or of `subtotal_cents` before taxes, or of
    `total_cents` with its taxes shared out), with its tax rows. Stripe payments get ids and
    a fee of 2.9 % + 30 ¢."""
    n = next(_serial)
    if total_cents is not None and subtotal_cents is None:
        price = taxes.compute(booking.subtotal_cents, QUEBEC, taxable)
        breakdown = taxes.split_total(total_cents, price.lines, price.subtotal_cents)
    else:
        subtotal = booking.subtotal_cents if subtotal_cents is None else subtotal_cents
        breakdown = taxes.compute(subtotal, QUEBEC, taxable=taxable)
    if method == "stripe" and fee_cents is None:
        fee_cents = round(breakdown.total_cents * 0.029) + 30
    values = {
        "kind": "payment",
        "number": number or f"R-{n:06d}",
        "booking": booking,
        "occurred_at": occurred_at or now - timedelta(hours=2),
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
        values.update(
            stripe_payment_intent=f"pi_{n}",
            stripe_charge=f"ch_{n}",
            stripe_balance_transaction=f"txn_{n}",
            stripe_payout=f"po_{n}",
        )
    values.update(overrides)
    entry = LedgerEntry(**values)
    session.add(entry)
    session.flush()
    return entry


def make_refund(session, payment, occurred_at, total_cents=None, number=None, **overrides):
    """A credit note giving back `total_cents` (all of it by default), as negative amounts."""
    n = next(_serial)
    amount = payment.total_cents if total_cents is None else total_cents
    paid = taxes.lines_from_dicts(
        {
            "code": tax.code,
            "name": tax.name,
            "rate": tax.rate,
            "registration": tax.registration,
            "cents": tax.amount_cents,
        }
        for tax in payment.taxes
    )
    breakdown = taxes.split_total(-amount, paid, payment.subtotal_cents)
    values = {
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
        values.update(
            stripe_payment_intent=payment.stripe_payment_intent,
            stripe_charge=payment.stripe_charge,
            stripe_refund=f"re_{n}",
            stripe_balance_transaction=f"txn_re_{n}",
        )
    values.update(overrides)
    entry = LedgerEntry(**values)
    session.add(entry)
    session.flush()
    return entry


def make_sample_books(session):
    """A November 2026 with every kind of row, and neighbours just outside it; commits.

    Returns the numbers by name; all times are Montréal wall-clock times.
    """
    offer = make_offer(session, price_cents=15_000)

    def booking(name, email="camille@example.org"):
        return make_booking(session, offer, client_name=name, client_email=email)

    stripe_booking = booking("Camille Tremblay")
    interac_booking = booking("Jérôme Gagnon", "jerome@example.org")
    other_booking = booking("Awa Diallo", "awa@example.org")
    october_booking = booking("Luc Roy", "luc@example.org")
    rows = {}
    rows["october"] = make_payment(
        session, october_booking, montreal(2026, 10, 31, 23, 30), fee_cents=530
    )
    rows["stripe"] = make_payment(session, stripe_booking, montreal(2026, 11, 3, 10, 15))
    rows["interac"] = make_payment(
        session,
        interac_booking,
        montreal(2026, 11, 5),
        method="interac",
        external_reference="CA7781",
    )
    rows["exempt"] = make_payment(
        session,
        other_booking,
        montreal(2026, 11, 20),
        subtotal_cents=8000,
        method="other",
        taxable=False,
    )
    rows["partial_refund"] = make_refund(
        session, rows["stripe"], montreal(2026, 11, 10), total_cents=5000
    )
    rows["october_refund"] = make_refund(session, rows["october"], montreal(2026, 11, 12))
    # 22:30 on November 30 in Montréal is already December 1 in UTC: still November here.
    rows["late_november"] = make_payment(
        session, booking("Nadia Côté"), montreal(2026, 11, 30, 22, 30)
    )
    rows["december"] = make_payment(
        session, booking("Paul Martin"), montreal(2026, 12, 1, 0, 30), method="demo"
    )
    session.commit()
    return {name: entry.number for name, entry in rows.items()}


# ----------------------------------------------------------------------------- people


def make_staff(session, role="accountant", **overrides):
    """A signed-in-able user without a usable password (Argon2 is slow on purpose)."""
    from consult.auth.models import User

    values = {"email": f"{role}-{next(_serial)}@example.org", "role": role, "password_hash": "!"}
    values.update(overrides)
    user = User(**values)
    session.add(user)
    session.flush()
    return user


def sign_in(app, client, role="accountant"):
    """Open a session for a new user of `role` without the password round trip; signing in
    through the form is tested by the auth and browser tests."""
    from consult.extensions import db

    with app.app_context():
        user = make_staff(db.session, role)
        db.session.commit()
        user_id = user.get_id()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True


def count(session, model):
    return session.scalar(sa.select(sa.func.count()).select_from(model))
