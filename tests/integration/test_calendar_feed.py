"""Her private ICS feed and the owner's calendar-apps page."""

import time
from datetime import timedelta

import icalendar
import pytest
import sqlalchemy as sa

from consult.audit import AuditEntry
from consult.booking.models import Booking, ExternalBusy
from consult.calendar.models import find_settings, get_settings
from consult.database import write
from consult.extensions import db, utcnow
from tests.factories import days_ahead, make_booking, make_offer

ADMIN = "/fr/admin/calendar-apps"


def feed_token(app):
    with app.app_context(), write(db.session) as tx:
        return get_settings(tx).feed_token


def test_the_feed_lists_her_confirmed_and_completed_sessions_only(app, client):
    now = utcnow()
    with app.app_context():

        def add(status, days, **fields):
            at = days_ahead(now, days, 15)
            return make_booking(db.session, starts_at=at, status=status, **fields)

        kept = {add("confirmed", 3, client_name="Léa Roy").ics_uid, add("completed", -2).ics_uid}
        add("held", 4)
        add("cancelled", 5)
        add("expired", 6)
        db.session.commit()

    response = client.get(f"/calendar/{feed_token(app)}.ics")

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "private" in response.headers["Cache-Control"]
    calendar = icalendar.Calendar.from_ical(response.data)
    events = calendar.walk("VEVENT")
    assert {str(event["UID"]) for event in events} == kept
    summaries = " ".join(str(event["SUMMARY"]) for event in events)
    assert "Séance stratégique · Léa Roy" in summaries


def test_a_wrong_feed_token_is_not_found(app, client):
    token = feed_token(app)
    assert client.get(f"/calendar/{token[:-1]}x.ics").status_code == 404
    assert client.get("/calendar/guess.ics").status_code == 404


def test_without_settings_no_feed_exists(client):
    assert client.get("/calendar/anything.ics").status_code == 404


def test_a_regenerated_token_cuts_off_the_old_address(app, client, auth):
    old = feed_token(app)
    user = auth.login()

    response = client.post(f"{ADMIN}/token")

    assert response.status_code == 302
    new = feed_token(app)
    assert new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry))
        assert (entry.action, entry.user_id) == ("calendar.feed_token_regenerate", user.id)
        assert old not in str(entry.after) and new not in str(entry.after)


def test_the_page_shows_the_feed_address_and_sync_status(app, client, auth):
    auth.login()
    page = client.get("/en/admin/calendar-apps").text
    token = feed_token(app)
    assert f"http://localhost/calendar/{token}.ics" in page
    assert f"webcal://localhost/calendar/{token}.ics" in page
    assert "Not set" in page
    assert "America/Montreal" in page


def test_saving_sync_settings_keeps_the_saved_password_and_audits_without_it(app, client, auth):
    auth.login()
    form = {
        "ics_url": "webcal://calendar.example.org/private-abc/basic.ics",
        "caldav_url": "https://dav.example.org/",
        "caldav_username": "camille",
        "caldav_password": "app-password-1",
        "caldav_calendar": "Travail",
    }
    assert client.post(ADMIN, data=form).status_code == 302
    assert client.post(ADMIN, data=form | {"caldav_password": ""}).status_code == 302
    with app.app_context():
        settings = find_settings(db.session)
        assert settings.caldav_password == "app-password-1"
        assert settings.ics_url == form["ics_url"]
        entries = db.session.scalars(sa.select(AuditEntry)).all()
        assert [entry.action for entry in entries] == ["calendar.sources_update"] * 2
        assert "app-password-1" not in str([(e.before, e.after) for e in entries])
        assert "private-abc" not in str([(e.before, e.after) for e in entries])
    page = client.get("/en/admin/calendar-apps").text
    assert "app-password-1" not in page


def test_switching_a_source_off_drops_its_busy_times(app, client, auth):
    auth.login()
    start = days_ahead(utcnow(), 2, 14)
    with app.app_context(), write(db.session) as tx:
        get_settings(tx).ics_url = "https://calendar.example.org/basic.ics"
        db.session.add(
            ExternalBusy(source="ics", uid="x", starts_at=start, ends_at=start + timedelta(1))
        )
    assert client.post(ADMIN, data={"ics_url": ""}).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExternalBusy)) == 0


@pytest.mark.parametrize(
    "address", ["file:///etc/passwd", "ftp://example.org/cal.ics", "not an address"]
)
def test_only_web_addresses_are_accepted(client, auth, address):
    auth.login()
    response = client.post("/en/admin/calendar-apps", data={"ics_url": address})
    assert response.status_code == 400
    assert "Enter an address starting with https / http / webcal." in response.text


def test_sync_now_without_any_calendar_says_so(client, auth):
    auth.login()
    response = client.post(f"{ADMIN}/sync", follow_redirects=True)
    assert "Aucun calendrier" in response.text


OWNER_ROUTES = [
    ("get", ADMIN),
    ("post", ADMIN),
    ("post", f"{ADMIN}/token"),
    ("post", f"{ADMIN}/sync"),
]


@pytest.mark.parametrize(("method", "path"), OWNER_ROUTES)
def test_the_accountant_is_refused_the_calendar_pages(client, auth, method, path):
    auth.login(role="accountant")
    assert getattr(client, method)(path).status_code == 403


@pytest.mark.parametrize(("method", "path"), OWNER_ROUTES)
def test_anonymous_visitors_are_sent_to_sign_in(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert "/fr/login?next=" in response.headers["Location"]


# ---------------------------------------------------------------- a feed calendar apps accept


def libical_errors(body):
    """libical's own iTIP check of a calendar (what Evolution and khal rely on): None when
    libical is not installed, else the X-LIC-ERROR lines it added (empty: accepted)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("ical")
    if name is None:
        return None
    lib = ctypes.CDLL(name)
    lib.icalparser_parse_string.restype = ctypes.c_void_p
    lib.icalparser_parse_string.argtypes = [ctypes.c_char_p]
    lib.icalrestriction_check.argtypes = [ctypes.c_void_p]
    lib.icalcomponent_as_ical_string.restype = ctypes.c_char_p
    lib.icalcomponent_as_ical_string.argtypes = [ctypes.c_void_p]
    lib.icalcomponent_free.argtypes = [ctypes.c_void_p]
    component = lib.icalparser_parse_string(body)
    assert component, "libical could not parse the feed"
    try:
        lib.icalrestriction_check(component)
        text = lib.icalcomponent_as_ical_string(component).decode()
    finally:
        lib.icalcomponent_free(component)
    return [line for line in text.splitlines() if "X-LIC-ERROR" in line]


def add_sessions(app):
    now = utcnow()
    with app.app_context():
        video = make_offer(db.session, meeting_mode="video", meeting_url="https://meet.example/r1")
        office = make_offer(
            db.session, meeting_mode="in_person", meeting_address="1234, rue Saint-Denis"
        )
        phone = make_offer(db.session, meeting_mode="phone", meeting_phone="+1 514 555 0101")
        uids = {
            "video": make_booking(db.session, video, days_ahead(now, 3, 15)).ics_uid,
            "office": make_booking(db.session, office, days_ahead(now, 4, 15)).ics_uid,
            "phone": make_booking(db.session, phone, days_ahead(now, 5, 15)).ics_uid,
        }
        db.session.commit()
        return uids


def test_the_feed_passes_libicals_itip_check_with_her_as_organizer(app, client):
    add_sessions(app)
    body = client.get(f"/calendar/{feed_token(app)}.ics").data
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["METHOD"]) == "PUBLISH"
    for event in calendar.walk("VEVENT"):
        assert str(event["ORGANIZER"]) == f"mailto:{app.config['OWNER_EMAIL']}"
        assert str(event["ORGANIZER"].params["CN"]) == app.config["OWNER_NAME"]
    errors = libical_errors(body)
    if errors is None:
        pytest.skip("libical is not installed (apt install libical3)")
    assert errors == []


def test_each_event_says_where_the_session_happens(app, client):
    uids = add_sessions(app)
    body = client.get(f"/calendar/{feed_token(app)}.ics").data
    events = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}
    assert str(events[uids["video"]]["LOCATION"]) == "https://meet.example/r1"
    assert str(events[uids["video"]]["CONFERENCE"]) == "https://meet.example/r1"
    assert str(events[uids["office"]]["LOCATION"]) == "1234, rue Saint-Denis"
    assert str(events[uids["phone"]]["LOCATION"]) == "+1 514 555 0101"


def test_the_feeds_etag_holds_while_nothing_changes_and_answers_304(app, client):
    add_sessions(app)
    address = f"/calendar/{feed_token(app)}.ics"
    first = client.get(address)
    etag = first.headers["ETag"]
    assert etag
    time.sleep(1.1)  # DTSTAMP used to be the request's time, to the second
    again = client.get(address)
    assert again.headers["ETag"] == etag and again.data == first.data
    unchanged = client.get(address, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.data == b""

    # A moved session changes the feed: the same ETag no longer matches.
    with app.app_context():
        booking = db.session.scalars(sa.select(Booking).order_by(Booking.starts_at)).first()
        booking.starts_at += timedelta(hours=1)
        booking.ends_at += timedelta(hours=1)
        booking.busy_starts_at += timedelta(hours=1)
        booking.busy_ends_at += timedelta(hours=1)
        booking.ics_sequence += 1
        db.session.commit()
    moved = client.get(address, headers={"If-None-Match": etag})
    assert moved.status_code == 200
    assert moved.headers["ETag"] != etag


def test_saving_the_same_sources_keeps_the_calendars_to_choose_from(app, client, auth):
    choices = [{"url": "https://dav.example.org/a/", "name": "A"}]
    with app.app_context(), write(db.session) as tx:
        settings = get_settings(tx)
        settings.caldav_url, settings.caldav_choices = "https://dav.example.org/", choices
    auth.login()
    form = {"ics_url": "", "caldav_url": "https://dav.example.org/", "caldav_username": "c"}
    assert client.post(ADMIN, data=form | {"caldav_calendar": ""}).status_code == 302
    with app.app_context():
        assert find_settings(db.session).caldav_choices == choices
    assert client.post(ADMIN, data=form | {"caldav_calendar": "A"}).status_code == 302
    with app.app_context():
        assert find_settings(db.session).caldav_choices is None
