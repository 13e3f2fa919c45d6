"""Her sessions for the private feed and her CalDAV calendar: the owner's own view of each.

The event itself comes from booking.invitation.session_event(), the one builder for a
booking's UID; here it gets her summary (offer and client) and her description (how to
reach the client, what the session is about).
"""

from datetime import timedelta

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


def owner_event(booking, lang, now):
    """One confirmed session as she sees it in her calendar."""
    details = [
        booking.reference,
        f"{booking.client_name} <{booking.client_email}>",
        booking.client_phone,
        booking.organisation,
        booking.intake_goal,
    ]
    return session_event(
        booking.ics_uid,
        booking.ics_sequence,
        booking.starts_at,
        booking.ends_at,
        f"{booking.offer.title(lang)} · {booking.client_name}",
        "\n".join(line for line in details if line),
        now,
        location=owner_location(booking),
        conference=booking.meeting_link,
    )


def sessions_feed(bookings, name, lang, now):
    """The whole feed: one VEVENT per session, times in UTC (every app converts them)."""
    calendar = new_calendar(name)
    calendar.add("method", "PUBLISH")
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for booking in bookings:
        calendar.add_component(owner_event(booking, lang, now))
    return calendar.to_ical()


def session_calendar(booking, lang, now):
    """A VCALENDAR holding one session: what a CalDAV server stores per event."""
    calendar = new_calendar()
    calendar.add_component(owner_event(booking, lang, now))
    return calendar.to_ical().decode()
