"""A prospect in Paris books the flagship session end to end through the demo gateway."""

import email
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from icalendar import Calendar

from consult import formatting
from consult.booking.models import CONFIRMED, Booking
from consult.booking.seed import seed
from consult.extensions import db, utcnow
from consult.mail.models import OutboxMessage

SCREENSHOTS = Path(__file__).parent / "screenshots"


def test_a_prospect_in_paris_books_and_pays_for_the_flagship_session(
    app, browser, live_server, deliver_mail
):
    with app.app_context():
        seed(db.session, utcnow())
        db.session.commit()
    context = browser.new_context(
        base_url=live_server.url, locale="en-CA", timezone_id="Europe/Paris"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/en/book/")
        page.get_by_role("link", name=re.compile("Outsource your social media")).click()
        # The browser's zone is detected and the times follow it.
        page.wait_for_url("**/en/book/social-media-strategy?tz=Europe%2FParis")
        assert page.locator("select#tz").input_value() == "Europe/Paris"
        assert "The consultant works in America/Montreal." in page.content()
        heading = page.locator("#slots-heading + p").inner_text()
        assert "Europe/Paris, UTC+0" in heading

        first_slot = page.locator(".slot-list a.slot").first
        shown_time = first_slot.locator(".slot-time").inner_text()
        first_slot.click()
        page.get_by_label("Your name").fill("Camille Martin")
        page.get_by_label("Email", exact=True).fill("camille@example.fr")
        page.get_by_label("Organisation", exact=True).fill("Atelier Martin")
        page.get_by_label("Size of the organisation").select_option("2-10")
        page.get_by_label("What do you want to decide").fill(
            "Whether to hire an agency for Instagram and LinkedIn."
        )
        page.get_by_label("Language for emails").select_option("en")
        page.get_by_label("I agree to be contacted").check()
        # Her time is inside the no-refund window: the form says so and asks her to accept.
        page.get_by_label("I understand that this session cannot be refunded").check()
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "booking-no-refund-accepted.png", full_page=True)
        page.get_by_role("button", name="Hold this time and pay").click()

        page.wait_for_url("**/en/pay/demo/**")
        page.get_by_role("button", name="Pay").first.click()
        page.wait_for_url("**/en/book/status/**")
        page.get_by_role("heading", name="Your session is confirmed").wait_for()
        assert "Europe/Paris" in page.content()
        assert shown_time in page.content()
    finally:
        context.close()

    deliver_mail()  # what the worker does within seconds of the payment
    with app.app_context():
        booking = db.session.scalar(sa.select(Booking))
        assert booking.status == CONFIRMED
        assert booking.time_zone == "Europe/Paris"
        local = booking.starts_at.astimezone(ZoneInfo("Europe/Paris"))
        assert formatting.time(local.time(), "en") == shown_time
        message = db.session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.topic == f"booking_confirmed:{booking.id}")
        )
        assert message.to == "camille@example.fr"
        assert "Europe/Paris" in message.text_body
        assert message.status == "sent"
        eml = Path(app.instance_path) / "outbox" / f"{message.id:06d}.eml"
    parsed = email.message_from_bytes(eml.read_bytes())
    (invite,) = [part for part in parsed.walk() if part.get_content_type() == "text/calendar"]
    assert invite.get_param("method") == "REQUEST"
    event = Calendar.from_ical(invite.get_payload(decode=True)).walk("VEVENT")[0]
    assert str(event["UID"]) == booking.ics_uid
    assert event.decoded("DTSTART") == booking.starts_at
    assert str(event["ATTENDEE"]) == "mailto:camille@example.fr"
    assert str(event["ORGANIZER"]) == f"mailto:{app.config['OWNER_EMAIL']}"
