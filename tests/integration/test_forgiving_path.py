"""A path that forgives: the intake opens only for a bookable time, her answers survive a
refusal, and an ended hold or checkout says so and offers to choose again."""

from datetime import timedelta

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


def test_after_a_decline_the_checkout_offers_another_time(client, app, offer):
    reserve(client, offer, free_slots(app, offer)[0])
    with app.app_context():
        token = db.session.scalar(sa.select(Booking.manage_token))
    response = client.post(f"/en/pay/demo/{token}/decline", data={})
    page = client.get(response.location).text
    assert "The card was declined" in page
    assert "Choose another time" in page


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
