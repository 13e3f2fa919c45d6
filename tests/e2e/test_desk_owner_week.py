"""Done when: the owner signs in, changes her hours, sees the preview change, opens a booking
from the week view, reschedules it, and refunds part of its payment, all in the browser."""

import re
from datetime import time, timedelta

import sqlalchemy as sa

from consult.admin.localtime import local_to_utc, local_today, zone
from consult.booking.models import CONFIRMED, Booking, WeeklyHours
from consult.extensions import db, utcnow
from consult.payments.models import LedgerEntry
from consult.payments.service import record_payment
from tests.factories import make_booking, make_offer

MONTREAL = zone("America/Montreal")
WEEKDAY_FIELDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def preview_count(page):
    return int(re.match(r"\d+", page.locator("#preview-summary").inner_text()).group())


def test_the_owner_runs_her_week_from_the_desk(app, page, make_user):
    owner = make_user(role="owner", email="consultante@example.org")
    day = local_today(utcnow(), MONTREAL) + timedelta(days=3)
    with app.app_context():
        for weekday in range(7):
            db.session.add(WeeklyHours(weekday=weekday, start_time=time(9), end_time=time(12)))
        offer = make_offer(db.session, flagship=True, title_fr="Séance phare")
        booking = make_booking(
            db.session, offer, local_to_utc(day, time(10), MONTREAL), client_name="Élise Roy"
        )
        record_payment(
            db.session,
            booking,
            method="demo",
            time_zone="America/Montreal",
            total_cents=booking.total_cents,
            occurred_at=utcnow() - timedelta(hours=1),
            stripe_payment_intent="pi_demo_e2e",
        )
        db.session.commit()
        booking_id, first_start, reference = booking.id, booking.starts_at, booking.reference
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto("/fr/login")
    page.fill("#email", owner.email)
    page.fill("#password", owner.password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/fr/admin/")

    # Her hours: an afternoon on the session's weekday opens more slots in the preview.
    page.goto("/fr/admin/availability")
    before = preview_count(page)
    weekday = WEEKDAY_FIELDS[day.weekday()]
    page.fill(f"#hours-{weekday}-1-start", "13:00")
    page.fill(f"#hours-{weekday}-1-end", "17:00")
    page.locator("form[action$='/availability/hours'] button[type=submit]").click()
    page.wait_for_url("**/fr/admin/availability")
    assert "Heures de la semaine enregistrées." in page.locator(".flashes").inner_text()
    assert preview_count(page) > before

    # The week view links the session; its page opens.
    page.goto(f"/fr/admin/calendar/week?day={day.isoformat()}")
    assert page.locator('th[aria-current="date"]').count() <= 1
    page.get_by_role("link", name=re.compile("Élise Roy")).click()
    page.wait_for_url(f"**/fr/admin/bookings/{booking_id}")
    assert reference in page.get_by_role("heading", level=1).inner_text()

    # Move it to the first other free time.
    select = page.locator("#reschedule-starts_at")
    others = [
        value
        for value in select.locator("option").evaluate_all("options => options.map(o => o.value)")
        if value != first_start.isoformat()
    ]
    select.select_option(others[0])
    page.check("#reschedule-confirm")
    page.locator("form[action$='/reschedule'] button[type=submit]").click()
    page.wait_for_url(f"**/fr/admin/bookings/{booking_id}")
    assert "déplacée" in page.locator(".flashes").inner_text()

    # Give back 50 $ of the payment.
    page.fill("#refund-amount", "50")
    page.fill("#refund-reason", "Geste commercial")
    page.check("#refund-confirm")
    page.locator("form[action$='/refund'] button[type=submit]").click()
    page.wait_for_url(f"**/fr/admin/bookings/{booking_id}")
    assert "remboursé" in page.locator(".flashes").inner_text()

    with app.app_context():
        moved = db.session.get(Booking, booking_id)
        assert moved.status == CONFIRMED
        assert moved.starts_at.isoformat() == others[0] != first_start.isoformat()
        totals = db.session.scalars(
            sa.select(LedgerEntry.total_cents).where(LedgerEntry.booking_id == booking_id)
        ).all()
        assert sorted(totals) == [-5000, booking.total_cents]
