"""The prospect's pages: offers, slots in her zone, intake, the 409 page, status, her link."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from consult import formatting
from consult.booking import service
from consult.booking.models import CANCELLED, CONFIRMED, HELD, Booking, Offer
from consult.business import current as current_business
from consult.extensions import db, utcnow
from consult.mail.models import OutboxMessage
from tests.factories import INTAKE, RESERVATION_FORM, free_slots, open_every_day, slot_key


@pytest.fixture
def offer(app):
    with app.app_context():
        offer = open_every_day(db.session)
        return offer.slug


def bookings(app):
    with app.app_context():
        return db.session.scalars(sa.select(Booking)).all()


def reserve(client, slug, slot, tz="Europe/Paris", **changes):
    data = {**RESERVATION_FORM, "start": slot_key(slot), "tz": tz, **changes}
    return client.post(f"/en/book/{slug}/reserve", data=data)


def test_the_offers_page_lists_active_offers_with_the_price_before_taxes_and_the_taxes_named(
    client, offer
):
    page = client.get("/en/book/").text
    assert "Strategy" in page
    assert "$250.00 + GST and QST" in page  # an advertised price: before taxes, taxes named
    assert client.get("/fr/book/").status_code == 200


def test_the_offer_page_shows_days_and_slots_in_the_consultants_zone_by_default(client, app, offer):
    first = free_slots(app, offer)[0]
    page = client.get(f"/en/book/{offer}").text
    assert "America/Montreal" in page  # the zone is stated
    local = first.starts_at.astimezone(ZoneInfo("America/Montreal"))
    assert formatting.time(local.time(), "en") in page
    assert f"start={slot_key(first)}" in page.replace("%3A", ":")
    assert 'src="/static/js/booking.js' in page


def test_the_offer_page_speaks_the_prospects_zone_when_asked(client, app, offer):
    first = free_slots(app, offer)[0]
    paris = first.starts_at.astimezone(ZoneInfo("Asia/Tokyo"))
    page = client.get(f"/en/book/{offer}?tz=Asia/Tokyo&day={paris.date().isoformat()}").text
    assert "Asia/Tokyo, UTC+09:00" in page
    assert formatting.time(paris.time(), "en") in page
    assert '<option value="Asia/Tokyo" selected>' in page
    assert "The consultant works in America/Montreal." in page


def test_an_unknown_zone_falls_back_to_the_consultants(client, offer):
    page = client.get(f"/en/book/{offer}?tz=Mars/Olympus").text
    assert '<option value="America/Montreal" selected>' in page


def test_an_unknown_offer_is_not_found(client, offer):
    assert client.get("/en/book/nothing-here").status_code == 404


def test_the_intake_form_states_the_time_in_both_zones(client, app, offer):
    slot = free_slots(app, offer)[0]
    page = client.get(f"/en/book/{offer}/reserve?start={slot_key(slot)}&tz=Europe/Paris").text
    assert "Europe/Paris" in page and "America/Montreal" in page
    assert 'name="goal"' in page and 'name="consent"' in page


def test_bad_input_comes_back_with_a_message_per_field_and_reserves_nothing(client, app, offer):
    slot = free_slots(app, offer)[0]
    response = reserve(
        client,
        offer,
        slot,
        name="",
        email="not-an-email",
        organisation="",
        organisation_size="",
        goal="",
        consent="",
        phone="call me",
    )
    assert response.status_code == 400
    page = response.text
    for message in (
        "Please give your name.",
        "This email address does not look valid.",
        "Please name your organisation.",
        "Please choose a size.",
        "Please tell us what you want to decide.",
        "We need your consent to contact you about the session.",
        "Digits, spaces, + ( ) - only.",
    ):
        assert message in page
    assert bookings(app) == []


def test_submitting_holds_the_slot_and_hands_over_to_the_gateway(client, app, offer):
    slot = free_slots(app, offer)[0]
    response = reserve(client, offer, slot)
    (booking,) = bookings(app)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/pay/demo/{booking.manage_token}")
    assert booking.status == HELD
    assert (booking.starts_at, booking.time_zone, booking.lang) == (
        slot.starts_at,
        "Europe/Paris",
        "en",
    )
    assert booking.client_phone == "+33 6 12 34 56 78"


def test_line_breaks_in_a_name_cannot_reach_email_headers(client, app, offer):
    slot = free_slots(app, offer)[0]
    reserve(client, offer, slot, name="Ana\r\nBcc: everyone@example.org")
    (booking,) = bookings(app)
    assert booking.client_name == "Ana Bcc: everyone@example.org"


def test_a_slot_just_taken_answers_409_with_the_next_free_ones(client, app, offer):
    first = free_slots(app, offer)[0]
    reserve(client, offer, first)
    second = free_slots(app, offer)[0]
    response = reserve(client, offer, first, email="bea@example.org")
    assert response.status_code == 409
    assert "This time was just taken" in response.text
    assert f"start={slot_key(second)}" in response.text.replace("%3A", ":")
    assert len(bookings(app)) == 1


def test_a_missing_or_garbled_start_sends_back_to_the_slots(client, offer):
    response = client.get(f"/en/book/{offer}/reserve?start=yesterday")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/en/book/{offer}")


def booked(app, slug, status=HELD, days_ahead=5):
    """A booking through the service, then moved to `status` as a payment would."""
    with app.app_context():
        offer = db.session.scalar(sa.select(Offer).where(Offer.slug == slug))
        now = utcnow()
        slot = [
            s
            for s in service.find_open_slots(db.session, offer, now, current_business())
            if s.starts_at > now + timedelta(days=days_ahead)
        ][0]
        booking = service.reserve(
            db.session,
            offer=offer,
            starts_at=slot.starts_at,
            intake=INTAKE,
            lang="en",
            time_zone="Europe/Paris",
            gateway="demo",
            hold_minutes=30,
            business=current_business(),
            now=now,
        )
        if status == CONFIRMED:
            service.confirm_paid(db.session, booking, now, business=current_business())
            db.session.commit()
        return booking.manage_token, booking.id


def test_the_status_page_waits_for_the_payment_then_confirms(client, app, offer):
    token, booking_id = booked(app, offer)
    waiting = client.get(f"/en/book/status/{token}")
    assert "We are confirming your payment" in waiting.text
    assert '<meta http-equiv="refresh"' in waiting.text
    assert "no-store" in waiting.headers["Cache-Control"]
    with app.app_context():
        service.confirm_paid(
            db.session, db.session.get(Booking, booking_id), utcnow(), business=current_business()
        )
        db.session.commit()
    done = client.get(f"/en/book/status/{token}").text
    assert "Your session is confirmed" in done
    assert "Europe/Paris" in done
    assert "refresh" not in done


def test_an_unknown_or_tampered_link_is_a_plain_404(client, app, offer):
    token, _ = booked(app, offer, CONFIRMED)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for path in (f"/en/booking/{tampered}", "/en/booking/nothing", f"/en/book/status/{tampered}"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Ana" not in response.text and "Strategy" not in response.text
    assert client.post(f"/en/booking/{tampered}/cancel").status_code == 404
    assert client.get(f"/en/booking/{tampered}/reschedule").status_code == 404


def test_the_manage_page_shows_the_booking_and_its_policy_privately(client, app, offer):
    token, _ = booked(app, offer, CONFIRMED)
    response = client.get(f"/en/booking/{token}")
    assert response.status_code == 200
    assert "Ana Prospect" in response.text and "Europe/Paris" in response.text
    assert "Cancel and get a refund" in response.text
    assert "Move the session" in response.text
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_cancelling_from_the_private_link(client, app, offer):
    token, booking_id = booked(app, offer, CONFIRMED)
    response = client.post(f"/en/booking/{token}/cancel", follow_redirects=True)
    assert "Your session is cancelled." in response.text
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == CANCELLED
        topics = db.session.scalars(sa.select(OutboxMessage.topic)).all()
    assert f"booking_cancelled:{booking_id}" in topics


def test_a_session_inside_the_notice_cannot_be_cancelled_for_a_refund(client, app, offer):
    token, booking_id = booked(app, offer, CONFIRMED, days_ahead=1)
    page = client.get(f"/en/booking/{token}").text
    assert "Cancel without a refund" in page
    assert "Free cancellation ended on" in page
    assert "Free cancellation with a full refund" not in page


def test_rescheduling_from_the_private_link(client, app, offer):
    token, booking_id = booked(app, offer, CONFIRMED)
    chooser = client.get(f"/en/booking/{token}/reschedule?tz=Europe/Paris")
    assert chooser.status_code == 200
    starts = re.findall(r"start=([0-9-]+T[0-9%A:]+Z)", chooser.text)
    new_start = starts[-1].replace("%3A", ":")
    confirm = client.get(f"/en/booking/{token}/reschedule?start={new_start}&tz=Europe/Paris")
    assert "Move it to" in confirm.text
    moved = client.post(
        f"/en/booking/{token}/reschedule",
        data={"start": new_start, "tz": "Europe/Paris"},
        follow_redirects=True,
    )
    assert "Your session has moved." in moved.text
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        assert booking.starts_at.strftime("%Y-%m-%dT%H:%MZ") == new_start
        assert booking.reschedule_count == 1
    again = client.get(f"/en/booking/{token}/reschedule", follow_redirects=True)
    assert "already been moved as many times as allowed" in again.text


def count_queries(app, client, path):
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def test_the_slot_page_runs_a_fixed_number_of_queries_whatever_the_bookings(client, app, offer):
    path = f"/en/book/{offer}?tz=Europe/Paris"
    empty = count_queries(app, client, path)
    for days_ahead in range(1, 8):
        booked(app, offer, CONFIRMED, days_ahead=days_ahead)
    assert count_queries(app, client, path) == empty <= 10


def test_a_hold_awaiting_a_transfer_does_not_keep_reloading(client, app, offer):
    token, booking_id = booked(app, offer)
    with app.app_context():
        db.session.get(Booking, booking_id).gateway = "manual"
        db.session.commit()
    page = client.get(f"/en/book/status/{token}").text
    assert "Your time is held until your payment arrives" in page
    assert "refresh" not in page
    assert f"/en/pay/manual/{token}" in page


def test_a_zone_alias_from_the_browser_is_honoured_and_listed(client, offer):
    page = client.get(f"/en/book/{offer}?tz=Etc/UTC").text
    assert '<option value="Etc/UTC" selected>' in page
    assert "Etc/UTC, UTC+00:00" in page


def test_an_unpaid_hold_offers_the_payment_page_not_a_refund(client, app, offer):
    token, _ = booked(app, offer)
    page = client.get(f"/en/booking/{token}").text
    assert "waiting for your payment" in page
    assert f"/en/book/status/{token}/pay" in page
    assert "refund" not in page


def test_her_own_hold_asked_again_from_her_browser_goes_back_to_payment_updated(client, app, offer):
    slot = free_slots(app, offer)[0]
    first = reserve(client, offer, slot)
    assert first.status_code == 302
    again = reserve(client, offer, slot, phone="+1 514 555 0142")
    assert again.status_code == 302  # to payment, never "taken"
    (booking,) = bookings(app)
    assert booking.status == HELD and booking.client_phone == "+1 514 555 0142"


def test_her_email_alone_from_another_browser_changes_nothing_and_mails_her_the_link(
    client, app, offer
):
    slot = free_slots(app, offer)[0]
    assert reserve(client, offer, slot).status_code == 302
    (held,) = bookings(app)
    stranger = app.test_client()
    for _attempt in range(2):
        page = stranger.post(
            f"/en/book/{offer}/reserve",
            data={**RESERVATION_FORM, "start": slot_key(slot), "tz": "UTC", "goal": "Changed"},
        )
        assert page.status_code == 409
        assert "already held for your email" in page.text
        assert held.manage_token not in page.text
        assert "Location" not in page.headers
    (booking,) = bookings(app)
    assert booking.intake_goal == held.intake_goal and booking.time_zone == held.time_zone
    with app.app_context():
        links = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.topic == f"booking_hold_link:{held.id}")
        ).all()
    assert len(links) == 1  # once per hold, however often she is impersonated
    assert links[0].to == held.client_email
    assert f"/en/book/status/{held.manage_token}" in links[0].text_body
