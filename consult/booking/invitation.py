"""A session as iCalendar: the one VEVENT builder for a booking's UID, and its invitation.

Every copy of a session (the invitation attached to her prospect's email, the owner's
private feed, her CalDAV calendar) is built by `session_event()`, so they stay one event:
same UID, SEQUENCE growing with each change, times in UTC. Pure: plain values in, iCalendar
out.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from icalendar import Calendar, Event, vCalAddress, vText, vUri

PRODID = "-//consult//sessions//EN"

REQUEST = "REQUEST"
CANCEL = "CANCEL"
#: A copy to import (the .ics download), not a message to answer.
PUBLISH = "PUBLISH"


def session_event(
    uid,
    sequence,
    starts_at,
    ends_at,
    summary,
    description,
    now,
    *,
    cancelled=False,
    url="",
    location="",
    conference="",
    conference_label="",
):
    """One session's VEVENT; `url`, when given, links to the page that manages it.

    `location` is where the session happens in words (an address, who calls whom, or the
    video link); `conference`, a video link, becomes RFC 7986's CONFERENCE property.
    """
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", starts_at.astimezone(UTC))
    event.add("dtend", ends_at.astimezone(UTC))
    event.add("summary", summary)
    event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if url:
        event.add("url", url)
    if location:
        event.add("location", location)
    if conference:
        parameters = {"VALUE": "URI", "FEATURE": "VIDEO,AUDIO"}
        if conference_label:
            parameters["LABEL"] = conference_label
        event.add("conference", vUri(conference), parameters=parameters)
    return event


def new_calendar(name=None):
    """An empty VCALENDAR of this site's, named for a calendar app's list when `name`."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


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
    location: str = ""
    conference: str = ""
    conference_label: str = ""


def ics_text(invitation, method, now):
    """The .ics file: METHOD:REQUEST for a new or moved session, METHOD:CANCEL to cancel."""
    calendar = new_calendar()
    calendar.add("method", method)

    event = session_event(
        invitation.uid,
        invitation.sequence,
        invitation.starts_at,
        invitation.ends_at,
        invitation.summary,
        invitation.description,
        now,
        cancelled=method == CANCEL,
        url=invitation.url,
        location=invitation.location,
        conference=invitation.conference,
        conference_label=invitation.conference_label,
    )
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


def _utc_stamp(moment):
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_url(invitation):
    """Google Calendar's "add this event" link: a plain link, no script."""
    query = {
        "action": "TEMPLATE",
        "text": invitation.summary,
        "dates": f"{_utc_stamp(invitation.starts_at)}/{_utc_stamp(invitation.ends_at)}",
        "details": invitation.description,
        "location": invitation.location,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_calendar_url(invitation):
    """Outlook.com's compose-an-event link, times in UTC (ISO 8601)."""
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": invitation.summary,
        "startdt": invitation.starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "enddt": invitation.ends_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "body": invitation.description,
        "location": invitation.location,
    }
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(query)
