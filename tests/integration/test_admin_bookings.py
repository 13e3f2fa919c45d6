"""The owner's booking page and list: the prospect, the money, her notes and her actions."""

from datetime import timedelta

import sqlalchemy as sa

from consult.audit import AuditEntry
from consult.booking.models import CANCELLED, COMPLETED, HELD, NO_SHOW, Booking
from consult.extensions import db, utcnow
from tests.factories import make_booking, make_offer, make_payment, make_refund


def reload(app, booking_id):
    with app.app_context():
        return db.session.get(Booking, booking_id)


def audit(app):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()


def build(app, **fields):
    with app.app_context():
        booking = make_booking(db.session, **fields)
        db.session.commit()
        return booking.id


def test_the_booking_page_shows_the_prospect_the_intake_and_the_payments(app, client, auth):
    auth.login()
    with app.app_context():
        booking = make_booking(
            db.session, client_phone="514-555-0199", intake_goal="Garder TikTok à l'interne?"
        )
        payment = make_payment(db.session, booking, method="demo", number="R-00042")
        make_refund(db.session, payment, payment.occurred_at, total_cents=4000, number="CN-00007")
        db.session.commit()
        booking_id = booking.id
    page = client.get(f"/en/admin/bookings/{booking_id}").text
    for text in (
        "Mireille Gagnon",
        "mireille@example.org",
        "514-555-0199",
        "Boulangerie Gagnon",
        "Garder TikTok à l&#39;interne?",
        "R-00042",
        "CN-00007",
        "Refund of R-00042",
        "$247.44",  # still refundable: 287.44 - 40.00
        "America/Montreal",
        'href="/en/accounting/receipts/R-00042"',
        'href="/en/accounting/receipts/CN-00007"',
    ):
        assert text in page, text


def test_the_list_filters_by_status(app, client, auth):
    auth.login()
    with app.app_context():
        offer = make_offer(db.session)
        make_booking(db.session, offer, client_name="Confirmée Pelletier")
        make_booking(
            db.session,
            offer,
            starts_at=utcnow() + timedelta(days=5),
            status=CANCELLED,
            client_name="Annulée Girard",
        )
        db.session.commit()
    everything = client.get("/en/admin/bookings").text
    assert "Pelletier" in everything and "Girard" in everything
    cancelled = client.get("/en/admin/bookings?status=cancelled").text
    assert "Girard" in cancelled and "Pelletier" not in cancelled
    assert '<option value="cancelled" selected>' in cancelled
    assert "Pelletier" in client.get("/en/admin/bookings?status=bogus").text


def test_notes_are_saved_and_audited(app, client, auth):
    owner = auth.login()
    booking_id = build(app)
    response = client.post(
        f"/en/admin/bookings/{booking_id}/notes", data={"notes-owner_notes": "Apporter le plan."}
    )
    assert response.status_code == 302
    assert reload(app, booking_id).owner_notes == "Apporter le plan."
    (entry,) = audit(app)
    assert (entry.action, entry.user_id, entry.target_type, entry.target_id) == (
        "booking.notes",
        owner.id,
        "booking",
        str(booking_id),
    )
    assert entry.after == {"owner_notes": "Apporter le plan."}
    assert "Notes saved." in client.get(response.headers["Location"]).text


def test_a_past_session_is_marked_completed_then_corrected_to_a_no_show(app, client, auth):
    auth.login()
    booking_id = build(app, starts_at=utcnow() - timedelta(hours=2))
    page = client.get(f"/en/admin/bookings/{booking_id}").text
    assert "data-confirm=" in page and "Mark completed" in page
    response = client.post(
        f"/en/admin/bookings/{booking_id}/mark/completed", data={"completed-confirm": "y"}
    )
    assert response.status_code == 302
    assert reload(app, booking_id).status == COMPLETED
    assert "marked completed" in client.get(response.headers["Location"]).text
    client.post(f"/en/admin/bookings/{booking_id}/mark/no_show", data={"noshow-confirm": "y"})
    assert reload(app, booking_id).status == NO_SHOW
    entries = audit(app)
    assert [(e.action, e.before, e.after) for e in entries] == [
        ("booking.completed", {"status": "confirmed"}, {"status": "completed"}),
        ("booking.no_show", {"status": "completed"}, {"status": "no_show"}),
    ]


def test_an_action_without_its_confirmation_box_changes_nothing(app, client, auth):
    auth.login()
    booking_id = build(app, starts_at=utcnow() - timedelta(hours=2))
    response = client.post(f"/en/admin/bookings/{booking_id}/mark/completed", data={})
    assert response.status_code == 400
    assert "Tick the box to confirm." in response.text
    assert reload(app, booking_id).status == "confirmed"
    assert audit(app) == []


def test_a_future_session_or_a_hold_cannot_be_marked_attended(app, client, auth):
    auth.login()
    future = build(app)
    hold = build(
        app,
        starts_at=utcnow() - timedelta(hours=1),
        status=HELD,
        hold_expires_at=utcnow() + timedelta(minutes=5),
    )
    page = client.get(f"/en/admin/bookings/{future}").text
    assert "Mark completed" not in page
    response = client.post(
        f"/en/admin/bookings/{future}/mark/completed",
        data={"completed-confirm": "y"},
        follow_redirects=True,
    )
    assert "The session has not started yet." in response.text
    response = client.post(
        f"/en/admin/bookings/{hold}/mark/no_show",
        data={"noshow-confirm": "y"},
        follow_redirects=True,
    )
    assert "cannot be marked that way" in response.text
    assert reload(app, future).status == "confirmed" and reload(app, hold).status == HELD
    assert audit(app) == []
    assert client.post(f"/en/admin/bookings/{future}/mark/cancelled").status_code == 404
