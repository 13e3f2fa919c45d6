"""Changes of hours over booked sessions: a day off, a closed date or shorter weekly hours
over a confirmed session warn her, list the session with its move and cancel actions, and
save only when she says so; the session then shows as outside her hours until she acts."""

from datetime import time, timedelta

import sqlalchemy as sa

from consult.admin.localtime import local_to_utc, zone
from consult.booking.models import CONFIRMED, Booking, DateOverride, TimeOff, WeeklyHours
from consult.extensions import db, utcnow
from tests.factories import local_day, make_booking, make_offer

MONTREAL = zone("America/Montreal")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def nine_to_five_with_a_session(app, days=10, hour=10):
    """Open 9:00-17:00 every day, one confirmed session at `hour`:00 in `days` days."""
    day = local_day(utcnow()) + timedelta(days=days)
    with app.app_context():
        for weekday in range(7):
            db.session.add(WeeklyHours(weekday=weekday, start_time=time(9), end_time=time(17)))
        offer = make_offer(db.session, title_en="Strategy session")
        booking = make_booking(
            db.session,
            offer,
            local_to_utc(day, time(hour), MONTREAL),
            client_name="Élise Roy",
            now=utcnow(),
        )
        db.session.commit()
        return day, booking.id


def week(start="09:00", end="17:00", **changes):
    data = {}
    for name in WEEKDAYS:
        start_at, end_at = changes.get(name, (start, end))
        data[f"hours-{name}-0-start"] = start_at
        data[f"hours-{name}-0-end"] = end_at
    return data


def count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_day_off_over_a_confirmed_session_warns_and_lists_it_with_its_actions(app, client, auth):
    day, booking_id = nine_to_five_with_a_session(app)
    auth.login()
    form = {
        "timeoff-kind": "days",
        "timeoff-first_day": day.isoformat(),
        "timeoff-last_day": day.isoformat(),
        "timeoff-reason": "Congé",
    }
    response = client.post("/en/admin/availability/time-off", data=form)
    assert response.status_code == 409
    page = response.text
    assert "Not saved yet: 1 confirmed session falls outside these hours." in page
    assert "Élise Roy" in page
    assert f'href="/en/admin/bookings/{booking_id}#reschedule"' in page
    assert f'href="/en/admin/bookings/{booking_id}#cancel"' in page
    assert count(app, TimeOff) == 0  # nothing saved yet
    # The booking page has the actions the links lead to.
    booking_page = client.get(f"/en/admin/bookings/{booking_id}").text
    assert 'id="reschedule"' in booking_page and 'id="cancel"' in booking_page

    saved = client.post("/en/admin/availability/time-off", data={**form, "confirm_sessions": "yes"})
    assert saved.status_code == 302
    assert count(app, TimeOff) == 1
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == CONFIRMED  # never moved for her
    listing = client.get("/en/admin/availability").text
    assert "1 booked session is outside your hours" in listing
    assert f'href="/en/admin/bookings/{booking_id}#reschedule"' in listing


def test_shorter_weekly_hours_over_a_session_warn_and_the_same_hours_do_not(app, client, auth):
    day, booking_id = nine_to_five_with_a_session(app, hour=15)
    auth.login()
    weekday = WEEKDAYS[day.weekday()]
    # Mornings only on the session's weekday: 15:00 is no longer open.
    shorter = client.post(
        "/en/admin/availability/hours", data=week(**{weekday: ("09:00", "12:00")})
    )
    assert shorter.status_code == 409
    assert "Élise Roy" in shorter.text
    with app.app_context():
        kept = db.session.scalars(
            sa.select(WeeklyHours).where(WeeklyHours.weekday == day.weekday())
        ).all()
        assert [(h.start_time, h.end_time) for h in kept] == [(time(9), time(17))]
    # The form she sees keeps what she typed, so "save all the same" saves it.
    assert 'value="12:00"' in shorter.text
    # Hours that still hold the session save at once, without a word.
    wider = client.post("/en/admin/availability/hours", data=week(end="18:00"))
    assert wider.status_code == 302


def test_a_closed_date_over_a_session_warns_and_another_date_does_not(app, client, auth):
    day, _booking_id = nine_to_five_with_a_session(app)
    auth.login()
    closed = client.post(
        "/en/admin/availability/overrides",
        data={"override-day": day.isoformat(), "override-closed": "y"},
    )
    assert closed.status_code == 409
    assert count(app, DateOverride) == 0
    narrower = client.post(
        "/en/admin/availability/overrides",
        data={"override-day": day.isoformat(), "override-start": "13:00", "override-end": "16:00"},
    )
    assert narrower.status_code == 409
    elsewhere = client.post(
        "/en/admin/availability/overrides",
        data={"override-day": (day + timedelta(days=1)).isoformat(), "override-closed": "y"},
    )
    assert elsewhere.status_code == 302
    assert count(app, DateOverride) == 1
    # Her flash message names the date in her words, not as an ISO date.
    shown = client.get("/fr/admin/availability").text
    flash = shown.split('class="flashes"')[1].split("</div>")[0]
    assert (day + timedelta(days=1)).isoformat() not in flash
    assert f"Hours for {(day + timedelta(days=1)):%A, %B} " in flash


def test_a_session_already_outside_the_hours_does_not_warn_again(app, client, auth):
    day, _booking_id = nine_to_five_with_a_session(app)
    auth.login()
    form = {
        "timeoff-kind": "days",
        "timeoff-first_day": day.isoformat(),
        "timeoff-last_day": day.isoformat(),
        "confirm_sessions": "yes",
    }
    assert client.post("/en/admin/availability/time-off", data=form).status_code == 302
    # A second change on other days says nothing of the session already outside.
    other = (day + timedelta(days=2)).isoformat()
    again = client.post(
        "/en/admin/availability/time-off",
        data={"timeoff-kind": "days", "timeoff-first_day": other, "timeoff-last_day": other},
    )
    assert again.status_code == 302


def test_a_cancelled_session_is_no_reason_to_warn(app, client, auth):
    day, booking_id = nine_to_five_with_a_session(app)
    with app.app_context():
        db.session.get(Booking, booking_id).status = "cancelled"
        db.session.commit()
    auth.login()
    response = client.post(
        "/en/admin/availability/overrides",
        data={"override-day": day.isoformat(), "override-closed": "y"},
    )
    assert response.status_code == 302
