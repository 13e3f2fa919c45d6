"""Busy intervals from iCalendar data: recurrences expanded, all-day events as local days.

Pure: imports nothing from Flask or SQLAlchemy; the time zone and window are arguments.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import recurring_ical_events


@dataclass(frozen=True, order=True)
class BusyEvent:
    """An event in her own calendar that takes her time (not slots.Busy, which the slot
    search avoids: this becomes an ExternalBusy row, then one of those)."""

    starts_at: datetime
    ends_at: datetime
    uid: str = ""


def busy_times(calendars, window_start, window_end, zone, ignore_uids=frozenset()):
    """Every busy occurrence overlapping [window_start, window_end), sorted, in UTC.

    `calendars` are icalendar.Calendar objects. Events marked free (TRANSP:TRANSPARENT) or
    cancelled take no time; all-day events and floating times are read in `zone`; events
    whose UID is in `ignore_uids` (her own sessions, written there by this site) are left out.
    """
    found = set()
    for calendar in calendars:
        for event in recurring_ical_events.of(calendar).between(window_start, window_end):
            if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
                continue
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            uid = str(event.get("UID", ""))
            if uid in ignore_uids:
                continue
            span = _span(event, zone)
            if span and span[0] < window_end and span[1] > window_start:
                found.add(BusyEvent(span[0], span[1], uid[:255]))
    return sorted(found)


def _span(event, zone):
    start = event.decoded("DTSTART")
    if "DTEND" in event:
        end = event.decoded("DTEND")
    elif "DURATION" in event:
        end = start + event.decoded("DURATION")
    elif isinstance(start, datetime):
        return None  # RFC 5545: an event with a start time and nothing else takes no time
    else:
        end = start + timedelta(days=1)
    start, end = _utc(start, zone), _utc(end, zone)
    return (start, end) if start < end else None


def _utc(value, zone):
    if not isinstance(value, datetime):  # a date: the whole local day, from local midnight
        value = datetime.combine(value, time(0), zone) if isinstance(value, date) else value
    if value.tzinfo is None:  # floating time: her wall clock
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)
