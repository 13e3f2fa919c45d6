"""Her sessions as iCalendar events, for the private feed and for her CalDAV calendar."""

from datetime import UTC, timedelta

import icalendar

PRODID = "-//consult//sessions//EN"


def session_event(booking, lang, now):
    """One confirmed session; the UID is the booking's, so every copy stays one event."""
    event = icalendar.Event()
    event.add("uid", booking.ics_uid)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", booking.starts_at.astimezone(UTC))
    event.add("dtend", booking.ends_at.astimezone(UTC))
    event.add("sequence", booking.ics_sequence)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("summary", f"{booking.offer.title(lang)} · {booking.client_name}")
    details = [
        booking.reference,
        f"{booking.client_name} <{booking.client_email}>",
        booking.client_phone,
        booking.organisation,
        booking.intake_goal,
    ]
    event.add("description", "\n".join(line for line in details if line))
    return event


def new_calendar(name=None):
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def sessions_feed(bookings, name, lang, now):
    """The whole feed: one VEVENT per session, times in UTC (every app converts them)."""
    calendar = new_calendar(name)
    calendar.add("method", "PUBLISH")
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for booking in bookings:
        calendar.add_component(session_event(booking, lang, now))
    return calendar.to_ical()


def session_calendar(booking, lang, now):
    """A VCALENDAR holding one session: what a CalDAV server stores per event."""
    calendar = new_calendar()
    calendar.add_component(session_event(booking, lang, now))
    return calendar.to_ical().decode()
