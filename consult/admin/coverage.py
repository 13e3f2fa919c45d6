"""Which booked sessions her hours no longer cover: pure, so a change of hours is checked
before it is saved (weekly hours, a date's other hours, time off), in her zone."""


def hours_by_day(weekly, overrides, day):
    """The open intervals of a local `day`: its date's other hours if it has some, else the
    week's; a closed date has none. `weekly` is {weekday: [(start, end)]}, `overrides` a list
    of (day, closed, start, end)."""
    on_day = [row for row in overrides if row[0] == day]
    if any(closed for _day, closed, _start, _end in on_day):
        return []
    if on_day:
        return [(start, end) for _day, _closed, start, end in on_day]
    return list(weekly.get(day.weekday(), []))


def uncovered(sessions, weekly, overrides, time_off, zone):
    """The sessions (objects with aware starts_at and ends_at) that fall outside the open
    hours of their local day or overlap a time off [(start, end)], in their order.

    A session is covered when one interval of its day holds it whole.
    """
    out = []
    for session in sessions:
        start = session.starts_at.astimezone(zone)
        end = session.ends_at.astimezone(zone)
        day = start.date()
        inside = end.date() == day and any(
            opens <= start.time() and end.time() <= closes
            for opens, closes in hours_by_day(weekly, overrides, day)
        )
        off = any(
            off_start < session.ends_at and session.starts_at < off_end
            for off_start, off_end in time_off
        )
        if off or not inside:
            out.append(session)
    return out
