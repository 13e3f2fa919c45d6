"""The prospect's paths in a real browser, each kept as a screenshot: going back and paying
anyway, a declined card then another time, a reader in Tokyo across the date line, both
passes of the fall-back hour, and the keyboard alone from the calendar to the payment.
axe-core checks each booking page on the way."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from consult import business
from consult.booking import service
from consult.booking.models import CONFIRMED, AvailabilityRules, Booking, WeeklyHours
from consult.extensions import db, utcnow
from tests.factories import make_booking, make_offer, open_every_day

MONTREAL = ZoneInfo("America/Montreal")


def tab(browser, live_server, *, locale="en-CA", zone="America/Montreal", **options):
    context = browser.new_context(
        base_url=live_server.url, locale=locale, timezone_id=zone, **options
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def fill_intake(page, name="Ana Prospect", email="ana@example.org"):
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Organisation", exact=True).fill("Boulangerie Ana")
    page.get_by_label("Size of the organisation").select_option("2-10")
    page.get_by_label("What do you want to decide").fill("Whether an agency should run it.")
    page.get_by_label("I agree to be contacted").check()
    no_refund = page.get_by_label("I understand that this session cannot be refunded")
    if no_refund.count():
        no_refund.check()


def hold_and_pay(page):
    """Submit the intake form, then pay on the demo checkout: her session is confirmed."""
    page.get_by_role("button", name="Hold this time and pay").click()
    page.wait_for_url("**/en/pay/demo/**")
    page.get_by_role("button", name="Pay").first.click()
    page.get_by_role("heading", name="Your session is confirmed").wait_for()


def bookings(app):
    with app.app_context():
        return db.session.scalars(sa.select(Booking).order_by(Booking.id)).all()


def test_going_back_from_checkout_and_submitting_again_pays_for_her_own_time(
    app, browser, live_server, screenshot, accessible
):
    with app.app_context():
        slug = open_every_day(db.session).slug
    context, page = tab(browser, live_server)
    try:
        page.goto(f"/en/book/{slug}?tz=America/Montreal")
        accessible(page)
        page.locator(".slot-list a.slot").first.click()
        accessible(page)
        fill_intake(page)
        page.get_by_role("button", name="Hold this time and pay").click()
        page.wait_for_url("**/en/pay/demo/**")
        accessible(page)

        page.go_back()
        page.wait_for_url(re.compile(r".*/reserve\?start=.*"))
        page.get_by_label("Your name").fill("Ana Prospect-Roy")
        no_refund = page.get_by_label("I understand that this session cannot be refunded")
        if no_refund.count():
            no_refund.check()
        page.get_by_role("button", name="Hold this time and pay").click()
        # Her own hold: straight back to payment, never "someone else took it".
        page.wait_for_url("**/en/pay/demo/**")
        assert "just been taken" not in page.content()
        screenshot(page, "booking-back-and-resubmit-1280")
        page.get_by_role("button", name="Pay").first.click()
        page.get_by_role("heading", name="Your session is confirmed").wait_for()
    finally:
        context.close()
    (booking,) = bookings(app)
    assert booking.status == CONFIRMED
    assert booking.client_name == "Ana Prospect-Roy"  # her details, updated


def test_a_declined_card_says_so_and_she_chooses_another_time(
    app, browser, live_server, screenshot, accessible
):
    with app.app_context():
        slug = open_every_day(db.session).slug
    context, page = tab(browser, live_server, locale="fr-CA")
    try:
        page.goto(f"/fr/book/{slug}?tz=America/Montreal")
        page.locator(".slot-list a.slot").first.click()
        page.get_by_label("Votre nom").fill("Ana Prospect")
        page.get_by_label("Courriel", exact=True).fill("ana@example.org")
        page.get_by_label("Organisation", exact=True).fill("Boulangerie Ana")
        page.get_by_label("Taille de l’organisation").select_option("2-10")
        page.get_by_label("Que voulez-vous décider").fill("S’il faut confier Instagram.")
        page.get_by_label("J’accepte d’être contacté·e").check()
        no_refund = page.get_by_label("Je comprends que cette rencontre ne peut pas")
        if no_refund.count():
            no_refund.check()
        page.get_by_role("button", name="Réserver cette heure et payer").click()
        page.wait_for_url("**/fr/pay/demo/**")
        page.get_by_role("button", name=re.compile("Refuser")).click()

        page.wait_for_url("**/fr/book/status/**")
        page.get_by_role("heading", name="Votre carte a été refusée").wait_for()
        assert "Rien n’a été débité" in page.content()
        accessible(page)
        screenshot(page, "booking-declined-fr-1280")
        first_time = bookings(app)[0].starts_at

        page.get_by_role("button", name="Choisir une autre plage horaire").click()
        page.wait_for_url(re.compile(r".*/fr/book/strategie\?.*day=.*"))
        assert "de nouveau libre" in page.content()
        # Her released time is offered again; she takes the next one instead, and finds
        # her answers already in the form.
        page.locator(".slot-list a.slot").nth(1).click()
        assert page.get_by_label("Votre nom").input_value() == "Ana Prospect"
        page.get_by_label("J’accepte d’être contacté·e").check()
        no_refund = page.get_by_label("Je comprends que cette rencontre ne peut pas")
        if no_refund.count():
            no_refund.check()
        page.get_by_role("button", name="Réserver cette heure et payer").click()
        page.wait_for_url("**/fr/pay/demo/**")
        page.get_by_role("button", name="Payer").first.click()
        page.get_by_role("heading", name="Votre rencontre est confirmée").wait_for()
    finally:
        context.close()
    first, second = bookings(app)
    assert first.status == "expired" and second.status == CONFIRMED
    assert second.starts_at != first_time


def test_a_reader_in_tokyo_books_a_time_that_is_the_next_day_for_her(
    app, browser, live_server, screenshot, accessible
):
    with app.app_context():
        slug = open_every_day(db.session).slug
    context, page = tab(browser, live_server, zone="Asia/Tokyo")
    try:
        page.goto(f"/en/book/{slug}")
        # Her zone is detected in place, without a redirect.
        page.wait_for_function("() => document.querySelector('select#tz').value === 'Asia/Tokyo'")
        page.wait_for_function(
            "() => document.querySelector('#day-times').textContent.includes('Asia/Tokyo')"
        )
        # Midnight in Tokyo is 10:00 the day before in Montréal (9:00 to 17:00 there): the
        # second free day starts at midnight.
        second_day = page.locator("[data-month-grid] a[data-day]").nth(1)
        wanted = second_day.get_attribute("data-day")
        second_day.click()
        page.wait_for_function(
            "day => document.querySelector('[aria-current=date]')?.dataset.day === day",
            arg=wanted,
        )
        midnight = page.locator(".slot-list a.slot", has_text=re.compile(r"12:00\sa\.m\."))
        tokyo_day = page.locator("#slots-heading").inner_text()
        accessible(page)
        screenshot(page, "booking-tokyo-1280")
        midnight.first.click()
        fill_intake(page)
        hold_and_pay(page)
        assert tokyo_day in page.content()  # her date, not Montréal's
    finally:
        context.close()
    (booking,) = bookings(app)
    assert booking.time_zone == "Asia/Tokyo"
    in_tokyo = booking.starts_at.astimezone(ZoneInfo("Asia/Tokyo"))
    in_montreal = booking.starts_at.astimezone(MONTREAL)
    assert in_tokyo.time() == time(0)
    assert in_montreal.date() == in_tokyo.date() - timedelta(days=1)


def next_fall_back(after):
    """The first Sunday of November after `after`: Montréal's clocks go back at 2:00."""
    year = after.year if after < date(after.year, 11, 1) else after.year + 1
    first = date(year, 11, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7)


def test_both_passes_of_the_fall_back_hour_can_be_booked(
    app, browser, live_server, screenshot, accessible
):
    night = next_fall_back(utcnow().astimezone(MONTREAL).date())
    with app.app_context():
        db.session.add(
            AvailabilityRules(
                min_notice_hours=0,
                horizon_days=(night - utcnow().date()).days + 7,
                slot_step_minutes=60,
                buffer_before_minutes=0,
                buffer_after_minutes=0,
                daily_max_sessions=None,
            )
        )
        # Open on Sunday nights from midnight to 3:00, which that night is four hours long.
        db.session.add(WeeklyHours(weekday=6, start_time=time(0), end_time=time(3)))
        slug = make_offer(db.session, slug="nuit", title_fr="Nuit", title_en="Night").slug
        db.session.commit()
    context, page = tab(browser, live_server)
    try:
        for pass_number in (0, 1):
            page.goto(f"/en/book/{slug}?tz=America/Montreal&day={night.isoformat()}")
            page.get_by_text("The clocks change on this day").wait_for()
            one_am = page.locator(".slot-list a.slot", has_text=re.compile(r"1:00"))
            assert one_am.count() == 2 - pass_number  # the one she took is gone
            labels = one_am.locator(".slot-offset").all_inner_texts()
            assert ("UTC-04:00" in labels) == (pass_number == 0) and "UTC-05:00" in labels
            if pass_number == 0:
                accessible(page)
                screenshot(page, "booking-fall-back-night-1280")
            one_am.first.click()
            fill_intake(page, email=f"night{pass_number}@example.org")
            hold_and_pay(page)
    finally:
        context.close()
    first, second = bookings(app)
    assert {first.status, second.status} == {CONFIRMED}
    starts = sorted(booking.starts_at for booking in (first, second))
    assert starts[1] - starts[0] == timedelta(hours=1)
    assert [s.astimezone(MONTREAL).strftime("%H:%M %z") for s in starts] == [
        "01:00 -0400",
        "01:00 -0500",
    ]
    assert datetime.combine(night, time(1)).date() == starts[0].astimezone(MONTREAL).date()


def test_the_keyboard_alone_books_and_pays(app, browser, live_server, screenshot, accessible):
    with app.app_context():
        slug = open_every_day(db.session).slug
    context, page = tab(browser, live_server)
    try:
        page.goto(f"/en/book/{slug}?tz=America/Montreal")
        page.locator("[data-month-grid] a[aria-current=date]").focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.activeElement.id === 'slots-heading'")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/reserve\?start=.*"))

        # The form, field by field with Tab: focus lands on each labelled field in turn.
        page.get_by_label("Your name").focus()
        page.keyboard.type("Ana Keyboard")
        page.keyboard.press("Tab")
        page.keyboard.type("keys@example.org")
        for field, value in (
            ("Organisation", "Boulangerie Ana"),
            ("What do you want to decide", "Whether an agency should run it."),
        ):
            page.get_by_label(field, exact=field == "Organisation").focus()
            page.keyboard.type(value)
        page.get_by_label("Size of the organisation").focus()
        page.keyboard.press("ArrowDown")
        page.get_by_label("I agree to be contacted").focus()
        page.keyboard.press("Space")
        no_refund = page.get_by_label("I understand that this session cannot be refunded")
        if no_refund.count():
            no_refund.focus()
            page.keyboard.press("Space")
        # A visible focus ring on the button she is about to press.
        page.get_by_role("button", name="Hold this time and pay").focus()
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("none", "")
        screenshot(page, "booking-keyboard-intake-1280")
        page.keyboard.press("Enter")
        page.wait_for_url("**/en/pay/demo/**")
        page.get_by_role("button", name="Pay").first.focus()
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="Your session is confirmed").wait_for()
        accessible(page)
    finally:
        context.close()
    (booking,) = bookings(app)
    assert booking.status == CONFIRMED and booking.client_name == "Ana Keyboard"


def test_her_private_page_and_the_move_page_mark_her_time(
    app, browser, live_server, screenshot, accessible
):
    with app.app_context():
        offer = open_every_day(db.session)
        free = service.find_open_slots(db.session, offer, utcnow(), business.current())
        later = next(slot for slot in free if slot.starts_at > utcnow() + timedelta(days=3))
        booking = make_booking(db.session, offer, later.starts_at, now=utcnow())
        db.session.commit()
        token, starts_at = booking.manage_token, booking.starts_at
    context, page = tab(browser, live_server, viewport={"width": 390, "height": 844})
    try:
        page.goto(f"/en/booking/{token}")
        accessible(page)
        page.get_by_role("link", name="Move the session").click()
        page.wait_for_url(re.compile(r".*/reschedule.*"))
        mine = page.locator("[data-current-time]")
        assert "your current time" in mine.inner_text()
        assert mine.evaluate("node => node.closest('a')") is None  # shown, not offered
        local = starts_at.astimezone(MONTREAL).date().isoformat()
        assert (
            page.locator("[data-month-grid] [aria-current=date]").get_attribute("data-day") == local
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        accessible(page)
        screenshot(page, "booking-reschedule-current-390")
    finally:
        context.close()
