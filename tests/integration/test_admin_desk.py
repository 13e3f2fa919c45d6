"""Her dashboard and calendar: today, the week, holds, the month's takings, week and month views."""

import re
from datetime import date, time, timedelta

from consult.admin.localtime import local_to_utc, local_today, monday_of, zone
from consult.booking.models import CANCELLED, EXPIRED, HELD, DateOverride, TimeOff
from consult.extensions import db, utcnow
from tests.factories import make_booking, make_offer, make_payment, make_refund

MONTREAL = zone("America/Montreal")


def at(day, hour, minute=0):
    return local_to_utc(day, time(hour, minute), MONTREAL)


def test_the_dashboard_shows_today_the_week_the_holds_and_the_month(app, client, auth):
    auth.login()
    now = utcnow()
    today = local_today(now, MONTREAL)
    sunday = monday_of(today) + timedelta(days=6)
    with app.app_context():
        offer = make_offer(db.session)
        today_session = make_booking(
            db.session, offer, at(today, 12), client_name="Aujourd'hui Tremblay"
        )
        make_booking(db.session, offer, at(sunday, 20), client_name="Dimanche Roy")
        make_booking(
            db.session,
            offer,
            at(today + timedelta(days=8), 9),
            status=HELD,
            hold_expires_at=now + timedelta(minutes=20),
            client_name="Retenue Lavoie",
        )
        make_booking(
            db.session,
            offer,
            at(today + timedelta(days=9), 9),
            status=EXPIRED,
            hold_expires_at=now - timedelta(minutes=5),
            client_name="Expiree Cote",
        )
        make_booking(
            db.session, offer, at(today, 16), status=CANCELLED, client_name="Annulee Morin"
        )
        payment = make_payment(db.session, today_session, now, method="demo")
        refund = make_refund(db.session, payment, now, total_cents=5000, number="CN-00001")
        assert refund.total_cents == -5000
        db.session.commit()
    page = client.get("/en/admin/").text
    today_card = page.split('id="today-heading"')[1].split("</section>")[0]
    week_card = page.split('id="week-heading"')[1].split("</section>")[0]
    holds_card = page.split('id="holds-heading"')[1].split("</section>")[0]
    assert "Aujourd&#39;hui Tremblay" in today_card and "Dimanche" not in today_card
    assert "Dimanche Roy" in week_card
    assert "Retenue Lavoie" in holds_card and "Expiree" not in holds_card
    assert "Annulee" not in page
    assert "$237.44" in page  # 287.44 paid, 50.00 refunded
    assert "America/Montreal" in page


def test_the_week_view_is_a_table_with_today_marked_and_each_event_a_link(app, client, auth):
    auth.login()
    today = local_today(utcnow(), MONTREAL)
    with app.app_context():
        booking = make_booking(db.session, starts_at=at(today, 11), client_name="Lise Fortin")
        db.session.add(TimeOff(starts_at=at(today, 14), ends_at=at(today, 16), reason="Physio"))
        db.session.add(DateOverride(day=today, closed=False, start_time=time(8), end_time=time(11)))
        db.session.commit()
        booking_id = booking.id
    page = client.get("/en/admin/calendar/week").text
    assert "<table" in page and '<th scope="col"' in page
    assert page.count('aria-current="date"') == 1
    assert re.search(r'<th scope="col"[^>]*aria-current="date"', page)
    link = re.search(
        rf'<a href="/en/admin/bookings/{booking_id}">(.*?)</a>', page, flags=re.S
    ).group(1)
    text = " ".join(re.sub(r"<[^>]+>", " ", link).split())
    assert "11:00" in text and "12:00" in text
    assert "Strategy session" in text and "Lise Fortin" in text and "Confirmed" in text
    assert "Time off: Physio" in page
    assert "Other hours: 8:00" in page
    assert 'rel="prev"' in page and 'rel="next"' in page


def test_the_week_view_moves_by_week_and_shows_holds(app, client, auth):
    auth.login()
    with app.app_context():
        day = date(2027, 3, 16)
        make_booking(
            db.session,
            starts_at=at(day, 10),
            status=HELD,
            hold_expires_at=utcnow() + timedelta(minutes=10),
            client_name="Hold Bouchard",
        )
        db.session.commit()
    page = client.get("/en/admin/calendar/week?day=2027-03-17").text
    assert "Week of March 15, 2027" in page
    assert "Hold Bouchard" in page and "Awaiting payment" in page
    assert 'aria-current="date"' not in page
    assert "/en/admin/calendar/week?day=2027-03-08" in page
    assert "/en/admin/calendar/week?day=2027-03-22" in page


def test_the_month_view_has_every_day_and_links_each_booking(app, client, auth):
    auth.login()
    with app.app_context():
        booking = make_booking(db.session, starts_at=at(date(2027, 2, 10), 13))
        db.session.commit()
        booking_id = booking.id
    page = client.get("/fr/admin/calendar/month?day=2027-02-20").text
    assert "février 2027" in page.lower()
    assert f'href="/fr/admin/bookings/{booking_id}"' in page
    assert page.count("<tr>") == 1 + 4  # header + February 2027's four weeks
    assert "/fr/admin/calendar/month?day=2027-01-01" in page
    assert "/fr/admin/calendar/month?day=2027-03-01" in page


def test_a_garbled_date_shows_the_current_week_rather_than_an_error(client, auth):
    auth.login()
    response = client.get("/en/admin/calendar/week?day=not-a-date")
    assert response.status_code == 200
    assert 'aria-current="date"' in response.text
