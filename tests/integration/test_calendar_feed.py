"""Her private ICS feed and the owner's calendar-apps page."""

from datetime import timedelta

import icalendar
import pytest
import sqlalchemy as sa

from consult.audit import AuditEntry
from consult.booking.models import ExternalBusy
from consult.calendar.models import find_settings, get_settings
from consult.database import write
from consult.extensions import db, utcnow
from tests.factories import days_ahead, make_booking

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
