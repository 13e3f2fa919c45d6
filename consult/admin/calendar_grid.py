"""The owner's calendar laid out as days: which events fall on which local date, and when."""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from .localtime import day_span

SESSION, HOLD, TIME_OFF, OVERRIDE = "session", "hold", "time_off", "override"


@dataclass(frozen=True)
class Event:
    """Something on the calendar: a UTC span (sessions, holds, time off) or a local date."""

    kind: str
    label: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    #: For date overrides, which are written as a local date rather than a span.
    day: date | None = None
    #: The booking it opens, for sessions and holds.
    booking_id: int | None = None
    status: str = ""


@dataclass(frozen=True)
class Placed:
    """An event as seen on one local day: its local start and end on that day."""

    event: Event
    #: None when the event began on an earlier day (it runs from midnight).
    starts: time | None
    #: None when the event runs past this day (until midnight).
    ends: time | None

    @property
    def all_day(self):
        return self.starts is None and self.ends is None


@dataclass
class Day:
    day: date
    is_today: bool
    #: False for the neighbouring months' days that fill a month view's first and last week.
    in_range: bool = True
    items: list[Placed] = field(default_factory=list)


def lay_out(days, events, tz, today, in_range=None):
    """Place `events` on the local `days` (in `tz`), each day's items in time order.

    An event that spans several days appears on each, cut at the local midnights.
    """
    laid = [
        Day(day=d, is_today=d == today, in_range=in_range(d) if in_range else True) for d in days
    ]
    for slot in laid:
        start, end = day_span(slot.day, tz)
        for event in events:
            if event.day is not None:
                if event.day == slot.day:
                    slot.items.append(Placed(event, None, None))
                continue
            if event.ends_at <= start or event.starts_at >= end:
                continue
            starts = event.starts_at.astimezone(tz).time() if event.starts_at >= start else None
            ends = event.ends_at.astimezone(tz).time() if event.ends_at < end else None
            slot.items.append(Placed(event, starts, ends))
        slot.items.sort(key=_order)
    return laid


def _order(placed):
    # Whole-day notes first, then by start time; ties by kind so the order is stable.
    return (placed.starts is not None, placed.starts or time(0), placed.event.kind)
