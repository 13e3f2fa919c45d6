"""Busy intervals from iCalendar data: a pure function, tested without an app."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from consult.calendar.busy import BusyEvent, busy_times

MONTREAL = ZoneInfo("America/Montreal")
WINDOW = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


def calendar(*lines):
    text = "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *lines, "END:VCALENDAR", ""]
    )
    return icalendar.Calendar.from_ical(text)


def vevent(uid, *lines):
    return ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z", *lines, "END:VEVENT"]


def busy(cal, ignore=frozenset()):
    return busy_times([cal], *WINDOW, MONTREAL, ignore)


def test_an_all_day_event_on_the_spring_forward_day_is_23_hours_of_her_day():
    cal = calendar(*vevent("dst", "DTSTART;VALUE=DATE:20260308", "DTEND;VALUE=DATE:20260309"))
    (item,) = busy(cal)
    assert item.starts_at == datetime(2026, 3, 8, 5, tzinfo=UTC)  # midnight EST
    assert item.ends_at == datetime(2026, 3, 9, 4, tzinfo=UTC)  # midnight EDT
    assert item.ends_at - item.starts_at == timedelta(hours=23)


def test_an_all_day_event_without_an_end_is_one_day():
    cal = calendar(*vevent("day", "DTSTART;VALUE=DATE:20260310"))
    (item,) = busy(cal)
    assert item.starts_at.astimezone(MONTREAL).date() == date(2026, 3, 10)
    assert item.ends_at.astimezone(MONTREAL).date() == date(2026, 3, 11)


def test_a_floating_time_is_read_on_her_wall_clock():
    cal = calendar(*vevent("float", "DTSTART:20260310T090000", "DTEND:20260310T100000"))
    (item,) = busy(cal)
    assert item.starts_at == datetime(2026, 3, 10, 9, tzinfo=MONTREAL)


def test_a_weekly_event_is_expanded_and_its_exceptions_honoured():
    cal = calendar(
        *vevent(
            "weekly",
            "DTSTART;TZID=America/Montreal:20260302T100000",
            "DTEND;TZID=America/Montreal:20260302T110000",
            "RRULE:FREQ=WEEKLY;COUNT=4",
            "EXDATE;TZID=America/Montreal:20260316T100000",
        )
    )
    starts = [item.starts_at.astimezone(MONTREAL) for item in busy(cal)]
    assert [moment.day for moment in starts] == [2, 9, 23]
    assert {moment.hour for moment in starts} == {10}  # across the DST change


def test_free_cancelled_and_own_events_take_no_time():
    cal = calendar(
        *vevent("free", "DTSTART:20260310T140000Z", "DTEND:20260310T150000Z", "TRANSP:TRANSPARENT"),
        *vevent("off", "DTSTART:20260311T140000Z", "DTEND:20260311T150000Z", "STATUS:CANCELLED"),
        *vevent("mine@consult", "DTSTART:20260312T140000Z", "DTEND:20260312T150000Z"),
        *vevent("busy", "DTSTART:20260313T140000Z", "DURATION:PT45M"),
    )
    assert busy(cal, ignore={"mine@consult"}) == [
        BusyEvent(
            datetime(2026, 3, 13, 14, tzinfo=UTC), datetime(2026, 3, 13, 14, 45, tzinfo=UTC), "busy"
        )
    ]


def test_events_outside_the_window_are_left_out():
    cal = calendar(
        *vevent("before", "DTSTART:20260201T140000Z", "DTEND:20260201T150000Z"),
        *vevent("after", "DTSTART:20260501T140000Z", "DTEND:20260501T150000Z"),
    )
    assert busy(cal) == []
