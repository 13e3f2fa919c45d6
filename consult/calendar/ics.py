"""Her sessions for the private feed and her CalDAV calendar: the owner's own view of each.

The event itself comes from booking.invitation.session_event(), the one builder for a
booking's UID; here it gets her summary (offer and client) and her description (how to
reach the client, what the session is about).
"""

from datetime import timedelta

from icalendar import vCalAddress, vText

from ..booking.invitation import new_calendar, session_event
from ..booking.models import IN_PERSON, PHONE


def owner_location(booking):
    """Where the session happens, as she needs it: the video link, the number, the address."""
    offer = booking.offer
    if offer.meeting_mode == PHONE:
        # She dials the client's number, unless the client calls hers.
        return offer.meeting_phone or booking.client_phone
    if offer.meeting_mode == IN_PERSON:
        return offer.meeting_address
    return booking.meeting_link


def last_change(booking):
    """When the booking last changed, as far as it records: its DTSTAMP, so the feed's
    bytes (and its ETag) stay the same while nothing changes. A move raises SEQUENCE,
    which is what calendar apps compare."""
    stamps = [
        getattr(booking, name, None)
        for name in ("updated_at", "cancelled_at", "confirmed_at", "created_at")
    ]
    return max(stamp for stamp in stamps if stamp is not None)


def owner_event(booking, lang, stamp=None, organizer=None):
    """One confirmed session as she sees it in her calendar; `organizer` (name, email):
    she runs the session (METHOD:PUBLISH asks for one, RFC 5546 3.2.1). DTSTAMP is
    `stamp` when given, else the booking's last change (never the request's time)."""
    details = [
        booking.reference,
        f"{booking.client_name} <{booking.client_email}>",
        booking.client_phone,
        booking.organisation,
        booking.intake_goal,
    ]
    event = session_event(
        booking.ics_uid,
        booking.ics_sequence,
        booking.starts_at,
        booking.ends_at,
        f"{booking.offer.title(lang)} · {booking.client_name}",
        "\n".join(line for line in details if line),
        stamp or last_change(booking),
        location=owner_location(booking),
        conference=booking.meeting_link,
    )
    if organizer:
        name, email = organizer
        address = vCalAddress(f"mailto:{email}")
        address.params["cn"] = vText(name)
        event.add("organizer", address)
    return event


def sessions_feed(bookings, name, lang, organizer):
    """The whole feed: one VEVENT per session, times in UTC (every app converts them).

    The same sessions give the same bytes: nothing in it depends on the time of the request.
    """
    calendar = new_calendar(name)
    calendar.add("method", "PUBLISH")
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for booking in bookings:
        calendar.add_component(owner_event(booking, lang, organizer=organizer))
    return calendar.to_ical()


def session_calendar(booking, lang):
    """A VCALENDAR holding one session: what a CalDAV server stores per event (no METHOD,
    no ORGANIZER: a stored event, not a scheduling message)."""
    calendar = new_calendar()
    calendar.add_component(owner_event(booking, lang))
    return calendar.to_ical().decode()
