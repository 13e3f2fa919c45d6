"""Her actions on a booking: cancel (with or without refund), refund part, reschedule, mark paid.

Each asks for confirmation, says what it did, and leaves an audit entry.
"""

import re
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from consult.admin.localtime import local_to_utc, local_today, zone
from consult.audit import AuditEntry
from consult.booking.models import CANCELLED, CONFIRMED, HELD, Booking, WeeklyHours
from consult.extensions import db, utcnow
from consult.mail.models import OutboxMessage
from consult.payments.models import LedgerEntry
from consult.payments.service import record_payment
from tests.factories import make_booking

MONTREAL = zone("America/Montreal")


@pytest.fixture
def paid_booking(app):
    """A confirmed session in three days at 10:00 Montréal, paid in full (287.44 $)."""
    with app.app_context():
        for weekday in range(7):
            db.session.add(WeeklyHours(weekday=weekday, start_time=time(8), end_time=time(18)))
        day = local_today(utcnow(), MONTREAL) + timedelta(days=3)
        booking = make_booking(db.session, starts_at=local_to_utc(day, time(10), MONTREAL))
        record_payment(
            db.session,
            booking,
            method="demo",
            time_zone="America/Montreal",
            total_cents=booking.total_cents,
            occurred_at=utcnow() - timedelta(hours=1),
            stripe_payment_intent="pi_demo_desk",
        )
        db.session.commit()
        return booking.id


def reload(app, booking_id):
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        db.session.expunge(booking)
        return booking


def ledger(app, booking_id):
    with app.app_context():
        return [
            (entry.kind, entry.total_cents)
            for entry in db.session.scalars(
                sa.select(LedgerEntry)
                .where(LedgerEntry.booking_id == booking_id)
                .order_by(LedgerEntry.id)
            )
        ]


def mail_to_prospect(app):
    with app.app_context():
        return db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.to == "mireille@example.org")
        ).all()


def audit(app):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()


def test_cancelling_with_a_refund_gives_back_all_that_remains(app, client, auth, paid_booking):
    owner = auth.login()
    page = client.get(f"/en/admin/bookings/{paid_booking}").text
    assert f'action="/en/admin/bookings/{paid_booking}/cancel"' in page
    assert "data-confirm=" in page
    response = client.post(
        f"/en/admin/bookings/{paid_booking}/cancel",
        data={"cancel-refund": "full", "cancel-reason": "Sick", "cancel-confirm": "y"},
    )
    assert response.status_code == 302
    assert reload(app, paid_booking).status == CANCELLED
    assert ledger(app, paid_booking) == [("payment", 28744), ("refund", -28744)]
    entries = {entry.action: entry for entry in audit(app)}
    assert entries["booking.cancel"].user_id == owner.id
    assert entries["booking.cancel"].before == {"status": "confirmed"}
    assert entries["booking.cancel"].after["refund"] is True
    assert entries["booking.cancel"].after["refunded_cents"] == 28744
    assert "payment.refund" in entries
    page = client.get(response.headers["Location"]).text
    assert "cancelled; $287.44 refunded." in page
    messages = mail_to_prospect(app)  # the cancellation, and the credit note once made
    topics = sorted(message.topic.split(":")[0] for message in messages)
    assert topics == ["booking_cancelled", "payments_refund"]
    # The worker sends them, never the request.
    assert {message.status for message in messages} == {"queued"}


def test_cancelling_without_a_refund_keeps_the_payment(app, client, auth, paid_booking):
    auth.login()
    client.post(
        f"/en/admin/bookings/{paid_booking}/cancel",
        data={"cancel-refund": "none", "cancel-confirm": "y"},
    )
    assert reload(app, paid_booking).status == CANCELLED
    assert ledger(app, paid_booking) == [("payment", 28744)]
    (entry,) = audit(app)
    assert entry.action == "booking.cancel" and entry.after["refund"] is False


def test_cancelling_needs_the_box_ticked(app, client, auth, paid_booking):
    auth.login()
    response = client.post(
        f"/en/admin/bookings/{paid_booking}/cancel", data={"cancel-refund": "full"}
    )
    assert response.status_code == 400
    assert "Tick the box to confirm." in response.text
    assert reload(app, paid_booking).status == CONFIRMED
    assert ledger(app, paid_booking) == [("payment", 28744)]
    assert audit(app) == []


def test_refunding_part_of_a_payment_adds_a_credit_note(app, client, auth, paid_booking):
    owner = auth.login()
    with app.app_context():
        payment_id = db.session.scalar(sa.select(LedgerEntry.id))
    response = client.post(
        f"/en/admin/bookings/{paid_booking}/refund",
        data={
            "refund-payment": str(payment_id),
            "refund-amount": "50",
            "refund-reason": "Started late",
            "refund-confirm": "y",
        },
    )
    assert response.status_code == 302
    assert ledger(app, paid_booking) == [("payment", 28744), ("refund", -5000)]
    assert reload(app, paid_booking).status == CONFIRMED
    (entry,) = audit(app)
    assert entry.action == "payment.refund" and entry.user_id == owner.id
    page = client.get(response.headers["Location"]).text
    assert re.search(r"\$50\.00 refunded \(credit note CN-\d+\)\.", page)
    assert "$237.44" in page


def test_a_refund_can_never_exceed_what_remains(app, client, auth, paid_booking):
    auth.login()
    with app.app_context():
        payment_id = db.session.scalar(sa.select(LedgerEntry.id))
    data = {
        "refund-payment": str(payment_id),
        "refund-reason": "Goodwill",
        "refund-confirm": "y",
    }
    client.post(
        f"/en/admin/bookings/{paid_booking}/refund", data=dict(data, **{"refund-amount": "200"})
    )
    response = client.post(
        f"/en/admin/bookings/{paid_booking}/refund", data=dict(data, **{"refund-amount": "100"})
    )
    assert response.status_code == 400
    assert "At most $87.44 can still be refunded." in response.text
    assert ledger(app, paid_booking) == [("payment", 28744), ("refund", -20000)]
    response = client.post(
        f"/en/admin/bookings/{paid_booking}/refund", data=dict(data, **{"refund-amount": "-5"})
    )
    assert response.status_code == 400


def test_rescheduling_moves_the_session_to_a_free_time(app, client, auth, paid_booking):
    auth.login()
    before = reload(app, paid_booking).starts_at
    page = client.get(f"/en/admin/bookings/{paid_booking}").text
    values = re.findall(r'<option value="([^"]+T[^"]+)"', page)
    assert values, "the reschedule list offers free times"
    target = next(value for value in values if value != before.isoformat())
    response = client.post(
        f"/en/admin/bookings/{paid_booking}/reschedule",
        data={"reschedule-starts_at": target, "reschedule-confirm": "y"},
    )
    assert response.status_code == 302
    moved = reload(app, paid_booking)
    assert moved.starts_at.isoformat() == target and moved.status == CONFIRMED
    (entry,) = audit(app)
    assert entry.action == "booking.reschedule"
    assert entry.before == {"starts_at": before.isoformat()} and entry.after == {
        "starts_at": target
    }
    assert "moved to" in client.get(response.headers["Location"]).text
    (message,) = mail_to_prospect(app)
    assert message.status == "queued"  # the worker sends it, never the request


def test_rescheduling_to_a_time_that_is_not_free_is_refused(app, client, auth, paid_booking):
    auth.login()
    nowhere = local_to_utc(local_today(utcnow(), MONTREAL) + timedelta(days=4), time(3), MONTREAL)
    response = client.post(
        f"/en/admin/bookings/{paid_booking}/reschedule",
        data={"reschedule-starts_at": nowhere.isoformat(), "reschedule-confirm": "y"},
    )
    assert response.status_code == 400
    assert reload(app, paid_booking).starts_at != nowhere
    assert audit(app) == []


def test_an_interac_payment_marked_paid_confirms_the_hold(app, client, auth):
    auth.login()
    with app.app_context():
        booking = make_booking(
            db.session,
            starts_at=utcnow() + timedelta(days=5),
            status=HELD,
            gateway="manual",
            hold_expires_at=utcnow() + timedelta(hours=70),
        )
        db.session.commit()
        booking_id = booking.id
    page = client.get(f"/en/admin/bookings/{booking_id}").text
    assert "Mark paid" in page and 'value="287.44"' in page
    response = client.post(
        f"/en/admin/bookings/{booking_id}/paid",
        data={
            "paid-amount": "287.44",
            "paid-paid_on": local_today(utcnow(), MONTREAL).isoformat(),
            "paid-method": "interac",
            "paid-reference": "CA1234XYZ",
            "paid-confirm": "y",
        },
    )
    assert response.status_code == 302
    assert reload(app, booking_id).status == CONFIRMED
    assert ledger(app, booking_id) == [("payment", 28744)]
    assert "payment.record_manual" in [entry.action for entry in audit(app)]
    assert "is confirmed" in client.get(response.headers["Location"]).text


def test_actions_that_do_not_fit_the_booking_say_so_and_change_nothing(
    app, client, auth, paid_booking
):
    auth.login()
    client.post(
        f"/en/admin/bookings/{paid_booking}/cancel",
        data={"cancel-refund": "none", "cancel-confirm": "y"},
    )
    again = client.post(
        f"/en/admin/bookings/{paid_booking}/cancel",
        data={"cancel-refund": "full", "cancel-confirm": "y"},
        follow_redirects=True,
    )
    assert "Only a held or confirmed booking can be cancelled." in again.text
    paid = client.post(
        f"/en/admin/bookings/{paid_booking}/paid",
        data={"paid-amount": "10", "paid-paid_on": "2026-01-05", "paid-confirm": "y"},
        follow_redirects=True,
    )
    assert "This booking is not waiting for a payment." in paid.text
    moved = client.post(
        f"/en/admin/bookings/{paid_booking}/reschedule",
        data={"reschedule-starts_at": reload(app, paid_booking).starts_at.isoformat()},
    )
    assert moved.status_code == 400
    assert ledger(app, paid_booking) == [("payment", 28744)]
    assert [entry.action for entry in audit(app)] == ["booking.cancel"]
    page = client.get(f"/en/admin/bookings/{paid_booking}").text
    assert "Move the session" not in page and "Cancel the booking" not in page
    assert "Refund part" in page  # what was kept can still be given back


def test_a_payment_date_in_the_future_is_refused(app, client, auth):
    auth.login()
    with app.app_context():
        booking = make_booking(
            db.session,
            status=HELD,
            gateway="manual",
            hold_expires_at=utcnow() + timedelta(hours=70),
        )
        db.session.commit()
        booking_id = booking.id
    response = client.post(
        f"/en/admin/bookings/{booking_id}/paid",
        data={
            "paid-amount": "287.44",
            "paid-paid_on": (local_today(utcnow(), MONTREAL) + timedelta(days=9)).isoformat(),
            "paid-method": "interac",
            "paid-confirm": "y",
        },
    )
    assert response.status_code == 400
    assert "The payment date cannot be in the future." in response.text
    assert reload(app, booking_id).status == HELD
    assert ledger(app, booking_id) == []
