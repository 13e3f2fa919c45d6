"""Calendar invitations: stable UID, growing SEQUENCE, UTC times, organizer and attendee."""

from datetime import UTC, datetime

from icalendar import Calendar

from consult.booking.invitation import CANCEL, REQUEST, Invitation, attachment, ics_text

INVITATION = Invitation(
    uid="3f1c@consult",
    sequence=0,
    starts_at=datetime(2027, 3, 15, 13, tzinfo=UTC),
    ends_at=datetime(2027, 3, 15, 14, tzinfo=UTC),
    summary="Outsource your social media?",
    description="https://example.org/en/booking/token",
    organizer_name="Camille",
    organizer_email="owner@example.com",
    attendee_name="Ana Prospect",
    attendee_email="ana@example.org",
)
NOW = datetime(2027, 3, 1, tzinfo=UTC)


def event_of(text):
    calendar = Calendar.from_ical(text)
    return calendar, calendar.walk("VEVENT")[0]


def test_an_invitation_is_a_request_in_utc_with_both_people():
    calendar, event = event_of(ics_text(INVITATION, REQUEST, NOW))
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == "3f1c@consult"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == datetime(2027, 3, 15, 13, tzinfo=UTC)
    assert event["DTSTART"].to_ical().endswith(b"Z")
    assert str(event["ORGANIZER"]) == "mailto:owner@example.com"
    assert str(event["ATTENDEE"]) == "mailto:ana@example.org"
    assert event["ATTENDEE"].params["CN"] == "Ana Prospect"


def test_a_cancellation_keeps_the_uid_with_a_higher_sequence():
    from dataclasses import replace

    calendar, event = event_of(ics_text(replace(INVITATION, sequence=1), CANCEL, NOW))
    assert calendar["METHOD"] == "CANCEL"
    assert str(event["UID"]) == "3f1c@consult"
    assert event["SEQUENCE"] == 1
    assert event["STATUS"] == "CANCELLED"


def test_the_attachment_declares_its_method():
    item = attachment(INVITATION, REQUEST, NOW)
    assert item["filename"] == "invitation.ics"
    assert item["content_type"] == "text/calendar; method=REQUEST; charset=utf-8"
    assert item["content"].startswith("BEGIN:VCALENDAR")
