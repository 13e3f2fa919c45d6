"""How a session happens (video, phone, in person): desk, pages, emails, invitation."""

from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from consult.booking import service
from consult.booking.models import IN_PERSON, PHONE, Offer
from consult.business import current as current_business
from consult.extensions import db
from consult.mail.models import OutboxMessage
from consult.payments.service import record_payment
from tests.factories import INTAKE, open_every_day

NOW = datetime(2027, 6, 7, 12, tzinfo=UTC)
SLOT = datetime(2027, 6, 15, 14, tzinfo=UTC)
LATER = datetime(2027, 6, 16, 14, tzinfo=UTC)
ROOM_HOST = "https://meet.example.org"


@pytest.fixture
def app_config():
    return {"MEETING_ROOM_HOST": ROOM_HOST}


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app, open_every_day(db.session)


def hold(offer, starts_at=SLOT, lang="en", business=None):
    return service.reserve(
        db.session,
        offer=offer,
        starts_at=starts_at,
        intake=INTAKE,
        lang=lang,
        time_zone="America/Montreal",
        gateway="demo",
        hold_minutes=30,
        business=business or current_business(),
        now=NOW,
    )


def confirmed(offer, starts_at=SLOT, lang="en"):
    booking = hold(offer, starts_at, lang)
    record_payment(
        db.session,
        booking,
        method="demo",
        total_cents=booking.total_cents,
        occurred_at=NOW,
        time_zone="America/Montreal",
    )
    service.confirm_paid(db.session, booking, NOW, business=current_business())
    db.session.commit()
    return booking


def confirmation_mail():
    return db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.topic.startswith("booking_confirmed"))
    )


def invitation_event(message):
    (item,) = [a for a in message.attachments if a["content_type"].startswith("text/calendar")]
    return Calendar.from_ical(item["content"]).walk("VEVENT")[0]


def test_a_video_offer_without_a_link_gives_each_booking_its_own_room(ctx):
    app, offer = ctx
    first = confirmed(offer)
    second = confirmed(offer, LATER)
    assert first.meeting_url.startswith(ROOM_HOST + "/")
    assert len(first.meeting_url) > len(ROOM_HOST) + 20
    assert first.meeting_url != second.meeting_url


def test_the_room_survives_a_reschedule(ctx):
    app, offer = ctx
    booking = confirmed(offer)
    room = booking.meeting_url
    service.reschedule(db.session, booking, LATER, NOW, business=current_business())
    db.session.commit()
    assert booking.meeting_url == room
    moved = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.topic.startswith("booking_rescheduled"))
    )
    assert room in moved.text_body
    event = invitation_event(moved)
    assert str(event["CONFERENCE"]) == room


def test_the_invitation_carries_the_video_room_as_location_and_conference(ctx):
    app, offer = ctx
    booking = confirmed(offer)
    message = confirmation_mail()
    event = invitation_event(message)
    assert str(event["LOCATION"]) == booking.meeting_url
    conference = event["CONFERENCE"]
    assert str(conference) == booking.meeting_url
    assert conference.params["VALUE"] == "URI"
    assert conference.params["FEATURE"] == "VIDEO,AUDIO"
    assert conference.params["LABEL"]
    assert f"/en/booking/{booking.manage_token}" in str(event["URL"])
    assert "How you will meet" in message.text_body
    assert booking.meeting_url in message.text_body
    assert f'href="{booking.meeting_url}"' in message.html_body


def test_a_fixed_video_link_is_used_instead_of_a_room(ctx):
    app, offer = ctx
    offer.meeting_url = "https://zoom.example.com/j/123"
    db.session.commit()
    booking = confirmed(offer)
    assert booking.meeting_url == ""
    assert str(invitation_event(confirmation_mail())["CONFERENCE"]) == offer.meeting_url


def test_without_a_room_host_she_sends_the_link_herself(ctx):
    app, offer = ctx
    booking = hold(offer, business=replace(current_business(), meeting_room_host=""))
    assert booking.meeting_url == ""
    meeting = service.booking_meeting(booking, current_business())
    assert meeting.link == "" and "sends you the link" in meeting.location


def test_a_french_booking_gets_the_meeting_in_french(ctx):
    app, offer = ctx
    booking = confirmed(offer, lang="fr")
    message = confirmation_mail()
    assert "Comment se tiendra la séance" in message.text_body
    assert booking.meeting_url in message.text_body
    label = invitation_event(message)["CONFERENCE"].params["LABEL"]
    assert label.startswith("Visioconférence avec")


def test_a_phone_session_says_who_calls_whom_and_has_no_conference(ctx):
    app, offer = ctx
    offer.meeting_mode = PHONE
    offer.meeting_phone = "+1 514 555-0123"
    db.session.commit()
    booking = confirmed(offer)
    event = invitation_event(confirmation_mail())
    assert "+1 514 555-0123" in str(event["LOCATION"])
    assert "CONFERENCE" not in event
    assert booking.meeting_url == ""


def test_the_consultant_calls_the_client_at_her_number(ctx):
    app, offer = ctx
    offer.meeting_mode = PHONE
    db.session.commit()
    booking = hold(offer)
    booking.client_phone = "+1 438 555-0199"
    meeting = service.booking_meeting(booking, current_business())
    assert "+1 438 555-0199" in meeting.location
    assert app.config["OWNER_NAME"] in meeting.location


def test_an_in_person_session_gives_the_address(ctx, client):
    app, offer = ctx
    offer.meeting_mode = IN_PERSON
    offer.meeting_address = "1234, rue Saint-Denis, Montréal"
    db.session.commit()
    booking = confirmed(offer)
    assert str(invitation_event(confirmation_mail())["LOCATION"]) == offer.meeting_address
    page = client.get(f"/en/book/status/{booking.manage_token}").get_data(as_text=True)
    assert "1234, rue Saint-Denis" in page
    page = client.get(f"/en/book/{offer.slug}").get_data(as_text=True)
    assert "1234, rue Saint-Denis" in page


def test_the_pages_show_the_room_and_the_confirmation_offers_calendar_links(ctx, client):
    app, offer = ctx
    booking = confirmed(offer)
    token = booking.manage_token
    status = client.get(f"/en/book/status/{token}").get_data(as_text=True)
    assert booking.meeting_url in status
    assert "https://calendar.google.com/calendar/render?" in status
    assert "https://outlook.live.com/calendar/0/deeplink/compose?" in status
    assert f"/en/booking/{token}/session.ics" in status
    manage = client.get(f"/en/booking/{token}").get_data(as_text=True)
    assert booking.meeting_url in manage
    offer_page = client.get(f"/en/book/{offer.slug}").get_data(as_text=True)
    assert "How you will meet" in offer_page
    assert booking.meeting_url not in offer_page


def test_the_google_link_has_the_times_in_utc_and_the_room(ctx):
    app, offer = ctx
    booking = confirmed(offer)
    with app.test_request_context("/en/"):
        from consult.booking.routes import calendar_links

        links = calendar_links(booking)
    query = parse_qs(urlsplit(links["google"]).query)
    assert query["action"] == ["TEMPLATE"]
    assert query["dates"] == ["20270615T140000Z/20270615T150000Z"]
    assert query["location"] == [booking.meeting_url]
    outlook = parse_qs(urlsplit(links["outlook"]).query)
    assert outlook["startdt"] == ["2027-06-15T14:00:00Z"]
    assert outlook["location"] == [booking.meeting_url]


def test_the_ics_download_is_private_and_parses(ctx, client):
    app, offer = ctx
    booking = confirmed(offer)
    response = client.get(f"/en/booking/{booking.manage_token}/session.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert "no-store" in response.headers["Cache-Control"]
    event = Calendar.from_ical(response.data).walk("VEVENT")[0]
    assert str(event["UID"]) == booking.ics_uid
    assert str(event["LOCATION"]) == booking.meeting_url
    assert client.get("/en/booking/not-a-token/session.ics").status_code == 404


def test_a_held_booking_has_no_ics_download(ctx, client):
    app, offer = ctx
    booking = hold(offer)
    db.session.commit()
    assert client.get(f"/en/booking/{booking.manage_token}/session.ics").status_code == 404


def test_the_owner_feed_has_the_location(ctx):
    from consult.calendar.ics import owner_event

    app, offer = ctx
    booking = confirmed(offer)
    event = owner_event(booking, "fr", NOW)
    assert str(event["LOCATION"]) == booking.meeting_url


# ----------------------------------------------------------------------------- the desk

VALID = {
    "slug": "rencontre",
    "title_fr": "Rencontre",
    "title_en": "Meeting",
    "duration_minutes": "60",
    "price_cents": "100",
    "taxable": "y",
    "active": "y",
    "position": "1",
}


def test_the_owner_sets_an_in_person_offer(app, client, auth):
    auth.login()
    data = dict(VALID, meeting_mode="in_person", meeting_address=" 1234, rue Saint-Denis ")
    assert client.post("/en/admin/offers/new", data=data).status_code == 302
    with app.app_context():
        offer = db.session.scalar(sa.select(Offer))
        assert offer.meeting_mode == IN_PERSON
        assert offer.meeting_address == "1234, rue Saint-Denis"


def test_bad_meeting_input_gets_a_message_per_field_in_french(app, client, auth):
    auth.login()
    data = dict(VALID, meeting_mode="in_person", meeting_url="http://x", meeting_phone="call me")
    response = client.post("/fr/admin/offers/new", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "https://" in page
    assert "Entrez l’adresse" in page
    assert "numéro de téléphone" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Offer.id))) == 0


def test_a_move_is_the_sessions_last_change_in_her_feed(ctx):
    from consult.calendar.ics import last_change

    app, offer = ctx
    booking = confirmed(offer)
    before = last_change(booking)
    service.reschedule(db.session, booking, LATER, NOW, business=current_business())
    db.session.commit()
    assert booking.updated_at == NOW
    assert last_change(booking) == max(before, NOW)
