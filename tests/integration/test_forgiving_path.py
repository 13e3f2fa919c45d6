"""A path that forgives: the intake opens only for a bookable time, her answers survive a
refusal, and an ended hold or checkout says so and offers to choose again."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from consult.booking.models import Booking, Offer
from consult.extensions import db, utcnow
from tests.factories import (
    RESERVATION_FORM,
    free_slots,
    make_booking,
    make_held_booking,
    open_every_day,
    slot_key,
)


@pytest.fixture
def offer(app):
    with app.app_context():
        return open_every_day(db.session).slug


def reserve(client, slug, slot, **changes):
    data = {**RESERVATION_FORM, "start": slot_key(slot), "tz": "America/Montreal", **changes}
    return client.post(f"/en/book/{slug}/reserve", data=data)


def open_intake(client, slug, start):
    return client.get(f"/en/book/{slug}/reserve?start={start}&tz=America/Montreal")


def test_a_past_time_leads_back_to_the_calendar_with_the_nearest_free_time(client, app, offer):
    past = (utcnow() - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    response = open_intake(client, offer, past.strftime("%Y-%m-%dT%H:%MZ"))
    assert response.status_code == 302
    assert f"/en/book/{offer}?" in response.location and "day=" in response.location
    page = client.get(response.location).text
    assert "This time cannot be booked any more. The nearest free time is" in page


def test_an_off_grid_time_does_not_open_the_form(client, app, offer):
    slot = free_slots(app, offer)[0]
    off_grid = (slot.starts_at + timedelta(minutes=7)).strftime("%Y-%m-%dT%H:%MZ")
    assert open_intake(client, offer, off_grid).status_code == 302


def test_a_taken_time_does_not_open_the_form(client, app, offer):
    slot = free_slots(app, offer)[0]
    assert reserve(app.test_client(), offer, slot, email="first@example.org").status_code == 302
    response = open_intake(client, offer, slot_key(slot))
    assert response.status_code == 302
    assert "cannot be booked any more" in client.get(response.location).text


def test_her_own_held_time_still_opens_the_form(client, app, offer):
    slot = free_slots(app, offer)[0]
    assert reserve(client, offer, slot).status_code == 302
    assert open_intake(client, offer, slot_key(slot)).status_code == 200


def test_what_she_typed_survives_a_time_taken_meanwhile(client, app, offer):
    first, second = free_slots(app, offer)[0:6:5]
    form_page = open_intake(client, offer, slot_key(first))
    assert form_page.status_code == 200
    assert reserve(app.test_client(), offer, first, email="fast@example.org").status_code == 302
    typed = {"name": "Zoé Lapointe", "goal": "Garder Instagram à l’interne ?"}
    assert reserve(client, offer, first, **typed).status_code == 409
    page = open_intake(client, offer, slot_key(second)).text
    assert "Zoé Lapointe" in page
    assert "Garder Instagram à l’interne ?" in page


def test_her_answers_are_forgotten_once_the_hold_is_made(client, app, offer):
    first, second, third = free_slots(app, offer)[0:15:5]
    reserve(app.test_client(), offer, first, email="fast@example.org")
    reserve(client, offer, first, name="Zoé Lapointe")
    assert reserve(client, offer, second, name="Zoé Lapointe").status_code == 302
    assert "Zoé Lapointe" not in open_intake(client, offer, slot_key(third)).text


def test_a_checkout_opened_after_its_hold_ended_refuses_clearly(client, app, offer):
    with app.app_context():
        row = db.session.scalar(sa.select(Offer).where(Offer.slug == offer))
        now = utcnow()
        booking = make_held_booking(db.session, now - timedelta(hours=1), offer=row)
        booking.hold_expires_at = now - timedelta(minutes=5)
        db.session.commit()
        token = booking.manage_token
    page = client.get(f"/en/pay/demo/{token}").text
    assert "Your hold on this time ended" in page
    assert "nothing was charged" in page
    assert f"/en/book/{offer}" in page
    assert "Pay $" not in page


def test_after_letting_the_checkout_expire_the_status_page_offers_to_choose_again(
    client, app, offer
):
    reserve(client, offer, free_slots(app, offer)[0])
    with app.app_context():
        token = db.session.scalar(sa.select(Booking.manage_token))
    client.post(f"/en/pay/demo/{token}/expire", data={})
    page = client.get(f"/en/book/status/{token}").text
    assert "The hold has ended" in page
    assert "Choose a time again" in page


def test_after_a_decline_the_status_page_says_so_and_she_may_choose_again(client, app, offer):
    slot = free_slots(app, offer)[0]
    reserve(client, offer, slot)
    with app.app_context():
        token = db.session.scalar(sa.select(Booking.manage_token))
    response = client.post(f"/en/pay/demo/{token}/decline", data={})
    assert response.location == f"/en/book/status/{token}"
    page = client.get(response.location).text
    assert "Your card was declined" in page and "Nothing was charged" in page
    assert "We are confirming your payment" not in page
    assert 'http-equiv="refresh"' not in page  # nothing is on its way: no reload
    assert "Try paying again" in page and "Choose another time" in page
    with app.app_context():
        assert db.session.scalar(sa.select(Booking.payment_declined_at)) is not None
    assert slot.starts_at not in {free.starts_at for free in free_slots(app, offer)}

    # Choosing another time gives her held time back at once, and shows its day.
    response = client.post(f"/en/book/status/{token}/choose-again", data={})
    assert response.status_code == 302 and f"/en/book/{offer}?" in response.location
    assert "Your held time is free again" in client.get(response.location).text
    assert slot.starts_at in {free.starts_at for free in free_slots(app, offer)}
    assert reserve(client, offer, slot, email="again@example.org").status_code == 302


def test_a_new_attempt_to_pay_clears_the_decline(client, app, offer):
    reserve(client, offer, free_slots(app, offer)[0])
    with app.app_context():
        token = db.session.scalar(sa.select(Booking.manage_token))
    client.post(f"/en/pay/demo/{token}/decline", data={})
    response = client.post(f"/en/book/status/{token}/pay", data={})
    assert "/pay/demo/" in response.location
    assert "We are confirming your payment" in client.get(f"/en/book/status/{token}").text


def test_an_ended_hold_whose_time_is_still_free_is_held_again_and_paid(client, app, offer):
    slot = free_slots(app, offer)[0]
    reserve(client, offer, slot)
    with app.app_context():
        booking = db.session.scalar(sa.select(Booking))
        booking.hold_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        token = booking.manage_token
    page = client.get(f"/en/book/status/{token}").text
    assert "The hold has ended" in page and "Hold this time again and pay" in page
    response = client.post(f"/en/book/status/{token}/hold-again", data={})
    assert "/pay/demo/" in response.location
    with app.app_context():
        again = db.session.scalar(sa.select(Booking))
        assert again.status == "held" and again.hold_is_live(utcnow())
    client.post(f"{response.location}/pay", data={})
    with app.app_context():
        assert db.session.scalar(sa.select(Booking.status)) == "confirmed"


def test_an_ended_hold_whose_time_was_taken_offers_only_to_choose_again(client, app, offer):
    slot = free_slots(app, offer)[0]
    reserve(client, offer, slot)
    with app.app_context():
        booking = db.session.scalar(sa.select(Booking))
        booking.hold_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        token = booking.manage_token
    assert reserve(app.test_client(), offer, slot, email="quick@example.org").status_code == 302
    page = client.get(f"/en/book/status/{token}").text
    assert "Someone else has taken this time since" in page
    assert "Hold this time again" not in page
    response = client.post(f"/en/book/status/{token}/hold-again", data={})
    assert response.status_code == 409  # the slot-taken page, with the next free times
    with app.app_context():
        mine = db.session.scalar(sa.select(Booking).where(Booking.manage_token == token))
        assert mine.status == "expired"


def test_moving_to_her_own_time_is_not_offered_as_a_move(client, app, offer):
    with app.app_context():
        row = db.session.scalar(sa.select(Offer).where(Offer.slug == offer))
        starts_at = (utcnow() + timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
        booking = make_booking(db.session, row, starts_at, now=utcnow())
        db.session.commit()
        token, start = booking.manage_token, booking.starts_at
    key = start.strftime("%Y-%m-%dT%H:%MZ")
    page = client.get(f"/en/booking/{token}/reschedule?start={key}").text
    assert "Move it to" not in page
    response = client.post(f"/en/booking/{token}/reschedule", data={"start": key})
    assert response.status_code == 302
    assert "This is already your time" in client.get(response.location).text


def test_the_reschedule_page_opens_on_her_day_and_marks_her_time_as_hers(client, app, offer):
    slot = next(s for s in free_slots(app, offer) if s.starts_at > utcnow() + timedelta(days=3))
    with app.app_context():
        row = db.session.scalar(sa.select(Offer).where(Offer.slug == offer))
        booking = make_booking(db.session, row, slot.starts_at, now=utcnow())
        db.session.commit()
        token = booking.manage_token
    page = client.get(f"/en/booking/{token}/reschedule?tz=America/Montreal").text
    key = slot_key(slot)
    # Her time is on the page, marked, and is not a link to choose it.
    assert "data-current-time" in page and "your current time" in page
    assert f"start={key}" not in page
    local_day = slot.starts_at.astimezone(ZoneInfo("America/Montreal")).date()
    assert f'data-day="{local_day.isoformat()}" aria-label' in page
    assert 'aria-current="date"' in page
