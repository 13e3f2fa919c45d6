"""The month of free days in a browser: a tap on a phone shows the day's times in place, and
the keyboard alone moves through the grid to a time."""

import re
from pathlib import Path

from consult.extensions import db
from tests.factories import open_every_day

SCREENSHOTS = Path(__file__).parent / "screenshots"
PHONE = {"width": 390, "height": 844}


def in_viewport(page, selector):
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


def test_on_a_phone_a_tapped_day_shows_its_times_without_scrolling_away(app, browser, live_server):
    with app.app_context():
        slug = open_every_day(db.session).slug
    context = browser.new_context(
        base_url=live_server.url,
        viewport=PHONE,
        locale="fr-CA",
        timezone_id="America/Montreal",
        has_touch=True,
        is_mobile=True,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        # The zone in the address: no detection races the tap.
        page.goto(f"/fr/book/{slug}?tz=America/Montreal")
        days = page.locator("[data-month-grid] a[data-day]")
        first_heading = page.locator("#slots-heading").inner_text()
        target = days.nth(2)
        day = target.get_attribute("data-day")
        name = target.get_attribute("aria-label")
        loads = []
        page.on("load", lambda _: loads.append(1))
        target.tap()
        page.wait_for_function(
            "day => document.querySelector('[aria-current=date]')?.dataset.day === day", arg=day
        )
        assert not loads  # no page reload
        heading = page.locator("#slots-heading")
        assert heading.inner_text() != first_heading
        assert heading.inner_text() in name
        assert page.evaluate("document.activeElement.id") == "slots-heading"
        assert in_viewport(page, "#slots-heading")
        assert f"day={day}" in page.url
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "time-picker-phone-tap-390.png")
    finally:
        context.close()


def test_the_keyboard_alone_moves_through_the_grid_and_picks_a_time(app, browser, live_server):
    with app.app_context():
        slug = open_every_day(db.session).slug
    context = browser.new_context(
        base_url=live_server.url, locale="en-CA", timezone_id="America/Montreal"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"/en/book/{slug}?tz=America/Montreal")
        chosen = page.locator("[data-month-grid] a[aria-current=date]")
        chosen.focus()
        start_day = chosen.get_attribute("data-day")
        page.keyboard.press("ArrowRight")
        focused = page.evaluate("document.activeElement.dataset.day")
        assert focused > start_day
        # Only one day of the grid is in the tab order: the focused one.
        assert page.locator("[data-month-grid] a[tabindex='0']").count() == 1
        page.keyboard.press("Enter")
        page.wait_for_function(
            "day => document.querySelector('[aria-current=date]')?.dataset.day === day",
            arg=focused,
        )
        assert page.evaluate("document.activeElement.id") == "slots-heading"
        page.keyboard.press("Tab")
        assert "slot" in page.evaluate("document.activeElement.className")
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "time-picker-keyboard-1280.png", full_page=True)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/en/book/strategie/reserve\?start=.*"))
        assert f"start={focused}" in page.url
    finally:
        context.close()


def test_typing_a_city_finds_its_zone_and_the_times_follow(app, browser, live_server):
    with app.app_context():
        slug = open_every_day(db.session).slug
    context = browser.new_context(
        base_url=live_server.url, locale="fr-CA", timezone_id="America/Montreal"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"/fr/book/{slug}?tz=America/Montreal")
        page.get_by_label("Trouver votre fuseau horaire").fill("Vancouver")
        page.wait_for_function(
            "() => document.querySelector('#day-times').textContent.includes('America/Vancouver')"
        )
        assert page.locator("select#tz").input_value() == "America/Vancouver"
        assert "tz=America%2FVancouver" in page.url
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "time-picker-zone-search-1280.png", full_page=True)
    finally:
        context.close()
