"""Which session start times are free: the owner's rules and busy times in, UTC slots out.

Pure: no Flask, no database. Opening hours are local wall-clock times in the owner's zone,
so 9:00-17:00 stays 9:00-17:00 across daylight-saving changes; a local time that does not
exist (spring forward) is skipped and one that happens twice (fall back) is offered at both
of its instants, which the page tells apart by their offsets.
"""

from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Rules:
    time_zone: str = "America/Montreal"
    min_notice_hours: int = 24
    horizon_days: int = 60
    slot_step_minutes: int = 30
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 15
    #: At most this many sessions on one local day; None for no cap.
    daily_max_sessions: int | None = 4


@dataclass(frozen=True)
class OpenHours:
    """An open interval on a weekday (0 = Monday), in local wall-clock time."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class Override:
    """A local date with other hours: closed, or one of its open intervals."""

    day: date
    closed: bool
    start: time | None = None
    end: time | None = None


@dataclass(frozen=True)
class Busy:
    """A span nothing may overlap (aware datetimes). A booked session also gives its start,
    which counts toward the daily cap of the local day it starts on."""

    start: datetime
    end: datetime
    session_start: datetime | None = None


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime


def open_slots(
    rules, weekly_hours, overrides, time_off, busy, offer_minutes, now, since=None, until=None
):
    """Every free start for a session of `offer_minutes`, in order, as aware UTC datetimes.

    A slot starts at least `min_notice_hours` after `now` and at most `horizon_days` after
    it; the session widened by the buffers overlaps no busy span nor time off; its local day
    has fewer than `daily_max_sessions` sessions. `since`/`until` narrow the search to starts
    in [since, until] (checking one slot is then cheap).
    """
    zone = ZoneInfo(rules.time_zone)
    now = now.astimezone(UTC)
    earliest = now + timedelta(hours=rules.min_notice_hours)
    latest = now + timedelta(days=rules.horizon_days)
    if since is not None:
        earliest = max(earliest, since.astimezone(UTC))
    if until is not None:
        latest = min(latest, until.astimezone(UTC))
    if earliest > latest:
        return []

    duration = timedelta(minutes=offer_minutes)
    before = timedelta(minutes=rules.buffer_before_minutes)
    after = timedelta(minutes=rules.buffer_after_minutes)
    step = timedelta(minutes=rules.slot_step_minutes)
    blocked = _Overlaps([(span.start, span.end) for span in (*busy, *time_off)])
    sessions_per_day = Counter(
        span.session_start.astimezone(zone).date() for span in busy if span.session_start
    )
    hours_by_weekday = defaultdict(list)
    for hours in weekly_hours:
        hours_by_weekday[hours.weekday].append((hours.start, hours.end))
    hours_by_day = _override_hours(overrides)

    slots = []
    day = earliest.astimezone(zone).date()
    last_day = latest.astimezone(zone).date()
    while day <= last_day:
        cap = rules.daily_max_sessions
        if cap is None or sessions_per_day[day] < cap:
            intervals = hours_by_day.get(day, hours_by_weekday[day.weekday()])
            starts = set()
            for start, end in sorted(intervals):
                closes = _to_utc(day, end, zone)
                instants = (
                    instant
                    for wall in _wall_times(day, start, end, step)
                    for instant in _instants(wall, zone)
                )
                for starts_at in instants:
                    if starts_at in starts:
                        continue
                    ends_at = starts_at + duration
                    if not earliest <= starts_at <= latest or ends_at > closes:
                        continue
                    if blocked.overlaps(starts_at - before, ends_at + after):
                        continue
                    starts.add(starts_at)
                    slots.append(Slot(starts_at, ends_at))
        day += timedelta(days=1)
    slots.sort(key=lambda slot: slot.starts_at)
    return slots


def by_local_day(slots, time_zone):
    """{local date: [slots]} in the reader's zone, days and slots in order."""
    zone = ZoneInfo(time_zone)
    days = defaultdict(list)
    for slot in slots:
        days[slot.starts_at.astimezone(zone).date()].append(slot)
    return dict(days)


def next_after(slots, moment, count):
    """Up to `count` slots starting after `moment`; the earliest ones when none do."""
    later = [slot for slot in slots if slot.starts_at > moment]
    return (later or slots)[:count]


def _override_hours(overrides):
    """{date: [(start, end)]}; a closed row closes the whole day."""
    hours = defaultdict(list)
    closed = set()
    for override in overrides:
        if override.closed:
            closed.add(override.day)
        else:
            hours[override.day].append((override.start, override.end))
    for day in closed:
        hours[day] = []
    return dict(hours)


def _wall_times(day, start, end, step):
    """Naive local wall-clock times from start, every step, before end."""
    wall = datetime.combine(day, start)
    stop = datetime.combine(day, end)
    while wall < stop:
        yield wall
        wall += step


def _instants(wall, zone):
    """The UTC instants of a local wall time: none if a spring-forward change skips it, two
    if a fall-back change repeats it (fold 0 then fold 1), else one."""
    found = []
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == wall and instant not in found:
            found.append(instant)
    return found


def _to_utc(day, wall_time, zone):
    return datetime.combine(day, wall_time, tzinfo=zone).astimezone(UTC)


class _Overlaps:
    """Answers "does [start, end) overlap any span?" in O(log n) after one sort."""

    def __init__(self, spans):
        spans = sorted(spans)
        self.starts = [start for start, _ in spans]
        self.max_end = list(accumulate((end for _, end in spans), max))

    def overlaps(self, start, end):
        # Spans starting before `end`; the furthest any of them reaches decides.
        count = bisect_left(self.starts, end)
        return count > 0 and self.max_end[count - 1] > start
