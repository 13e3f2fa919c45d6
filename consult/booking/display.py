"""The month calendar of free days: which month to show, its weeks, and the nearest free days.

Pure: dates in, plain dataclasses out; the routes and templates format them.
"""

import calendar
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Month:
    """A calendar month, with the months before and after it that have free days."""

    first: date
    #: Weeks of seven cells, each a date of this month or None (a blank cell).
    weeks: list
    previous: date | None
    next: date | None


@dataclass(frozen=True)
class Choice:
    """What the picker shows: the month, the chosen day, and whether that day is free."""

    month: Month
    day: date | None
    #: The day asked for in the address has no free time.
    day_is_empty: bool
    #: The free days closest to an empty day, in order.
    nearest: list


def parse_month(raw):
    """ "2026-12" -> date(2026, 12, 1); None when it is not a month."""
    try:
        year, month = (int(part) for part in (raw or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


def parse_day(raw):
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        return None


def choose(free_days, asked_day, asked_month, today, first_weekday=0, nearest_count=3):
    """The month and day to show for `free_days` (sorted dates) and what the address asked.

    An asked day with no free time stays chosen (the page says so); without one, the first
    free day of the asked month, else the first free day of all.
    """
    free = sorted(free_days)
    day = asked_day
    empty = day is not None and day not in free_days
    if day is None:
        in_month = [d for d in free if asked_month and _first(d) == asked_month]
        day = in_month[0] if in_month else (None if asked_month else next(iter(free), None))
    shown = asked_month or (_first(day) if day else _first(free[0] if free else today))
    nearest = nearest_free(free, asked_day, nearest_count) if empty else []
    return Choice(
        month=month_of(shown, free, today, first_weekday),
        day=day,
        day_is_empty=empty,
        nearest=nearest,
    )


def month_of(first, free, today, first_weekday=0):
    """The weeks of `first`'s month; previous/next only where free days are."""
    weeks = calendar.Calendar(first_weekday).monthdatescalendar(first.year, first.month)
    cells = [[d if d.month == first.month else None for d in week] for week in weeks]
    earliest = _first(free[0]) if free else _first(today)
    latest = _first(free[-1]) if free else _first(today)
    before = _shift(first, -1)
    after = _shift(first, 1)
    return Month(
        first=first,
        weeks=cells,
        previous=before if before >= earliest else None,
        next=after if after <= latest else None,
    )


def nearest_free(free, day, count):
    """The `count` free days closest to `day`, in date order."""
    closest = sorted(free, key=lambda d: (abs((d - day).days), d))[:count]
    return sorted(closest)


def weekday_order(first_weekday):
    """Weekday indexes (Monday = 0) in the order the calendar's columns show them."""
    return [(first_weekday + offset) % 7 for offset in range(7)]


def _first(day):
    return day.replace(day=1)


def _shift(first, months):
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
