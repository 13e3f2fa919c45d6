"""Her calendar-apps page fits a laptop and a phone, the calendar chooser included."""

import re

import pytest

from consult.calendar.models import get_settings
from consult.database import write
from consult.extensions import db


@pytest.mark.parametrize("width", (1280, 390))
def test_the_calendar_page_with_a_choice_to_make_fits_the_screen(
    app, page, make_user, screenshot, width
):
    long_url = "https://caldav.example.org/dav/calendars/marie-eve.tremblay@example.org/"
    with app.app_context(), write(db.session) as tx:
        settings = get_settings(tx)
        settings.caldav_url = "https://caldav.example.org/dav/"
        settings.caldav_error_kind = "choose_calendar"
        settings.caldav_last_error = "2 calendars on this account: choose the one to use"
        settings.caldav_choices = [
            {"url": long_url + "work-0f3a9c2b7d1e4f6a8b0c/", "name": "Travail"},
            {"url": long_url + "home-9e8d7c6b5a4f3e2d1c0b/", "name": "Maison"},
        ]
    owner = make_user(role="owner", email="consultante@example.org")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/fr/login")
    page.fill("#email", owner.email)
    page.fill("#password", owner.password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/fr/admin/")

    page.goto("/fr/admin/calendar-apps")
    assert page.get_by_role("heading", name="Quel calendrier utiliser ?").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"calendar-settings-{width}")

    page.get_by_label("Maison").check()
    page.get_by_role("button", name="Utiliser ce calendrier").click()
    page.wait_for_url(re.compile(r"/fr/admin/calendar-apps"))
    assert page.get_by_text("Calendrier choisi.").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
