"""Calendar invitations (.ics) for a session: one stable UID, SEQUENCE grows with each change.

Pure: plain values in, the text of an iCalendar file out. Times are written in UTC.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText

REQUEST = "REQUEST"
CANCEL = "CANCEL"


@dataclass(frozen=True)
class Invitation:
    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str
    organizer_name: str
    organizer_email: str
    attendee_name: str
    attendee_email: str
    url: str = ""


def ics_text(invitation, method, now):
    """The .ics file: METHOD:REQUEST for a new or moved session, METHOD:CANCEL to cancel."""
    calendar = Calendar()
    calendar.add("prodid", "-//consult//booking//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)

    event = Event()
    event.add("uid", invitation.uid)
    event.add("sequence", invitation.sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", invitation.starts_at.astimezone(UTC))
    event.add("dtend", invitation.ends_at.astimezone(UTC))
    event.add("summary", invitation.summary)
    event.add("description", invitation.description)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    if invitation.url:
        event.add("url", invitation.url)

    organizer = vCalAddress(f"mailto:{invitation.organizer_email}")
    organizer.params["cn"] = vText(invitation.organizer_name)
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{invitation.attendee_email}")
    attendee.params["cn"] = vText(invitation.attendee_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    attendee.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee)

    calendar.add_component(event)
    return calendar.to_ical().decode()


def attachment(invitation, method, now):
    """The outbox's attachment dict for this invitation."""
    return {
        "filename": "invitation.ics" if method == REQUEST else "cancellation.ics",
        "content_type": f"text/calendar; method={method}; charset=utf-8",
        "content": ics_text(invitation, method, now),
    }
