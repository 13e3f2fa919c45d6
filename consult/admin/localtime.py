"""Wall-clock time in the owner's zone: days, weeks and months as UTC spans, DST-aware."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class NonexistentLocalTime(ValueError):
    """A wall-clock time skipped by a daylight-saving change (02:30 on a spring-forward night)."""


def zone(name):
    """The ZoneInfo for an IANA name, or ValueError for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error


def local_to_utc(day, wall, tz):
    """The UTC instant of `wall` o'clock on `day` in `tz`.

    A time that happens twice (fall back) is its first occurrence; one that never happens
    (spring forward) raises NonexistentLocalTime.
    """
    local = datetime.combine(day, wall, tzinfo=tz)
    instant = local.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NonexistentLocalTime(f"{day} {wall:%H:%M} does not exist in {tz.key}")
    return instant


def start_of_day(day, tz):
    """The UTC instant of local midnight starting `day` in `tz`."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def day_span(day, tz):
    """[start, end) of a local day, in UTC: 23, 24 or 25 hours long."""
    return start_of_day(day, tz), start_of_day(day + timedelta(days=1), tz)


def monday_of(day):
    return day - timedelta(days=day.weekday())


def week_days(day):
    """The seven dates, Monday to Sunday, of the week holding `day`."""
    monday = monday_of(day)
    return [monday + timedelta(days=offset) for offset in range(7)]


def first_of_month(day):
    return day.replace(day=1)


def add_months(day, months):
    """The first day of the month `months` after (or before) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_weeks(day):
    """The month holding `day` as whole Monday-to-Sunday weeks (spilling into its neighbours)."""
    first = first_of_month(day)
    last = add_months(first, 1) - timedelta(days=1)
    weeks = []
    monday = monday_of(first)
    while monday <= last:
        weeks.append([monday + timedelta(days=offset) for offset in range(7)])
        monday += timedelta(days=7)
    return weeks


def local_today(now, tz):
    return now.astimezone(tz).date()


def overlapping(intervals):
    """Indexes of the (start, end) intervals that overlap one that starts earlier or equal.

    Touching intervals (one ends at 12:00, the next starts at 12:00) do not overlap.
    """
    order = sorted(range(len(intervals)), key=lambda index: intervals[index])
    clashes = []
    latest_end = None
    for index in order:
        start, end = intervals[index]
        if latest_end is not None and start < latest_end:
            clashes.append(index)
        latest_end = end if latest_end is None else max(latest_end, end)
    return sorted(clashes)
