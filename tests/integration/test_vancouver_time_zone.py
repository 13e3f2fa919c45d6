"""Her zone has one source: with TIME_ZONE set to America/Vancouver, everything follows it."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from consult import business, formatting
from consult.booking import service, slots
from consult.calendar.sync import sync_window
from consult.content.models import Article
from consult.extensions import db, utcnow
from consult.mail.models import OutboxMessage
from tests.factories import make_held_booking, make_payment, open_every_day, sign_in

VANCOUVER = ZoneInfo("America/Vancouver")
#: 06:30 UTC on December 1st is 22:30 on November 30th in Vancouver (PST, UTC-8).
LATE_EVENING = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)
NNBSP = "\u202f"


@pytest.fixture
def app_config():
    return {"TIME_ZONE": "America/Vancouver"}


def test_a_weekly_hour_at_nine_opens_at_nine_in_vancouver(app):
    with app.test_request_context():
        open_every_day(db.session)
        availability = service.load_availability(db.session, business.current())
        now = datetime(2027, 1, 11, 12, tzinfo=UTC)
        found = slots.open_slots(
            availability.rules, availability.weekly_hours, availability.overrides, [], [], 60, now
        )
    first = found[0].starts_at
    assert availability.rules.time_zone == "America/Vancouver"
    assert first.astimezone(VANCOUVER).time() == time(9)
    assert first.astimezone(UTC).hour == 17  # 9:00 PST


def test_the_booking_page_states_and_shows_her_vancouver_hours(app, client):
    with app.app_context():
        open_every_day(db.session)
    tomorrow = (utcnow() + timedelta(days=1)).astimezone(VANCOUVER).date()
    page = client.get(f"/en/book/strategie?day={tomorrow.isoformat()}").text
    assert "America/Vancouver" in page
    assert f"9:00{NNBSP}a.m." in page


def test_a_payment_at_0630_utc_belongs_to_the_previous_local_day(app, client):
    with app.app_context():
        booking = make_held_booking(db.session)
        payment = make_payment(db.session, booking, LATE_EVENING)
        db.session.commit()
        number = payment.number
    sign_in(app, client)
    evening = client.get("/en/accounting/?start=2026-11-30&end=2026-11-30").text
    assert number in evening
    assert f"2026-11-30, 10:30{NNBSP}p.m." in evening
    assert "America/Vancouver" in evening
    assert number not in client.get("/en/accounting/?start=2026-12-01&end=2026-12-01").text


def test_the_tax_report_periods_are_vancouver_months(app, client):
    with app.app_context():
        booking = make_held_booking(db.session)
        make_payment(db.session, booking, LATE_EVENING, total_cents=28744)
        db.session.commit()
    sign_in(app, client)
    november = client.get("/en/accounting/taxes?year=2026&period=11").text
    december = client.get("/en/accounting/taxes?year=2026&period=12").text
    assert "$250.00" in november
    assert "$250.00" not in december
    assert "America/Vancouver" in november


def test_a_receipt_prints_its_time_in_vancouver(app, client):
    with app.app_context():
        booking = make_held_booking(db.session)
        number = make_payment(db.session, booking, LATE_EVENING).number
        db.session.commit()
    sign_in(app, client)
    receipt = client.get(f"/en/accounting/receipts/{number}").text
    assert f"November 30, 2026 at 10:30{NNBSP}p.m. (America/Vancouver)" in receipt
    french = client.get(f"/fr/accounting/receipts/{number}").text
    assert "30 novembre 2026 à 22 h 30 (America/Vancouver)" in french


def test_an_articles_scheduled_time_is_read_in_vancouver(app, client, auth):
    auth.login()
    local = (utcnow() + timedelta(days=2)).astimezone(VANCOUVER).replace(second=0, microsecond=0)
    response = client.post(
        "/en/admin/content/articles/new",
        data={
            "lang": "fr",
            "title": "Une voix à soi",
            "slug": "",
            "summary": "Comment garder sa voix.",
            "body": "## Pourquoi\n\nParce que.",
            "tags": "Voix",
            "cover_image": "",
            "cover_alt": "",
            "status": "scheduled",
            "publish_at": local.strftime("%Y-%m-%dT%H:%M"),
            "translation_id": "",
        },
    )
    assert response.status_code == 302, response.text
    with app.app_context():
        article = db.session.scalar(sa.select(Article))
        assert article.published_at == local.astimezone(UTC)


def test_the_calendar_sync_window_starts_at_her_local_midnight(app):
    now = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)
    with app.test_request_context():
        zone = business.current().zone
        window = sync_window(db.session, now, zone)
    assert window.start == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # midnight PST


def test_her_notice_of_a_paid_booking_gives_vancouver_times(app):
    with app.test_request_context():
        offer = open_every_day(db.session)
        now = datetime(2027, 1, 9, 12, tzinfo=UTC)
        booking = make_held_booking(
            db.session, now, offer=offer, days_ahead=3, hour=17, lang="en", time_zone="Europe/Paris"
        )
        db.session.commit()
        starts_at = booking.starts_at
        assert starts_at == datetime(2027, 1, 12, 17, tzinfo=UTC)  # 9:00 in Vancouver
        service.confirm_paid(db.session, booking, now, business=business.current())
        client_email = booking.client_email
        bodies = {m.to: m.text_body for m in db.session.scalars(sa.select(OutboxMessage))}
    owner = bodies[app.config["OWNER_EMAIL"]]
    assert formatting.when(starts_at, "America/Vancouver", app.config["DEFAULT_LOCALE"]) in owner
    prospect = bodies[client_email]
    assert "Europe/Paris, UTC+01:00" in prospect  # she reads her own zone


def test_the_desk_states_the_setting_as_her_zone(app, client, auth):
    auth.login()
    page = client.get("/en/admin/availability").text
    assert "America/Vancouver" in page
    assert "CONSULT_TIME_ZONE" in page
    assert 'name="rules-time_zone"' not in page
