"""Her wall-clock time: days, weeks and months as UTC spans, across daylight-saving changes."""

from datetime import UTC, date, datetime, time

import pytest

from consult.admin.calendar_grid import OVERRIDE, SESSION, TIME_OFF, Event, lay_out
from consult.admin.localtime import (
    NonexistentLocalTime,
    add_months,
    day_span,
    local_to_utc,
    month_weeks,
    overlapping,
    week_days,
    zone,
)

MONTREAL = zone("America/Montreal")


def test_a_local_time_becomes_utc_with_the_offset_of_its_date():
    assert local_to_utc(date(2027, 1, 15), time(9), MONTREAL) == datetime(
        2027, 1, 15, 14, tzinfo=UTC
    )
    assert local_to_utc(date(2027, 7, 15), time(9), MONTREAL) == datetime(
        2027, 7, 15, 13, tzinfo=UTC
    )


def test_a_time_skipped_on_the_spring_forward_night_does_not_exist():
    with pytest.raises(NonexistentLocalTime):
        local_to_utc(date(2027, 3, 14), time(2, 30), MONTREAL)
    assert local_to_utc(date(2027, 3, 14), time(3), MONTREAL) == datetime(
        2027, 3, 14, 7, tzinfo=UTC
    )


def test_a_time_that_happens_twice_in_the_fall_is_its_first_occurrence():
    assert local_to_utc(date(2027, 11, 7), time(1, 30), MONTREAL) == datetime(
        2027, 11, 7, 5, 30, tzinfo=UTC
    )


def test_local_days_last_23_or_25_hours_on_the_change_nights():
    start, end = day_span(date(2027, 3, 14), MONTREAL)
    assert (end - start).total_seconds() == 23 * 3600
    start, end = day_span(date(2027, 11, 7), MONTREAL)
    assert (end - start).total_seconds() == 25 * 3600


def test_a_week_runs_monday_to_sunday_and_a_month_fills_whole_weeks():
    assert week_days(date(2026, 11, 26))[0] == date(2026, 11, 23)
    assert week_days(date(2026, 11, 26))[-1] == date(2026, 11, 29)
    weeks = month_weeks(date(2026, 11, 26))
    assert weeks[0][0] == date(2026, 10, 26)
    assert weeks[-1][-1] == date(2026, 12, 6)
    assert all(len(week) == 7 for week in weeks)
    assert add_months(date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert add_months(date(2027, 1, 5), -1) == date(2026, 12, 1)


def test_overlapping_intervals_are_found_and_touching_ones_are_not():
    nine, noon, one, two = time(9), time(12), time(13), time(14)
    assert overlapping([(nine, noon), (noon, one)]) == []
    assert overlapping([(nine, one), (noon, two)]) == [1]
    assert overlapping([(noon, two), (nine, one)]) == [0]


def test_an_unknown_zone_name_is_refused():
    with pytest.raises(ValueError):
        zone("Mars/Olympus_Mons")


def test_a_time_off_over_several_days_appears_on_each_cut_at_midnight():
    days = week_days(date(2027, 3, 10))
    off = Event(
        kind=TIME_OFF,
        label="Conference",
        starts_at=local_to_utc(date(2027, 3, 11), time(15), MONTREAL),
        ends_at=local_to_utc(date(2027, 3, 13), time(12), MONTREAL),
    )
    laid = {day.day: day.items for day in lay_out(days, [off], MONTREAL, date(2027, 3, 12))}
    assert [(p.starts, p.ends) for p in laid[date(2027, 3, 11)]] == [(time(15), None)]
    assert laid[date(2027, 3, 12)][0].all_day
    assert [(p.starts, p.ends) for p in laid[date(2027, 3, 13)]] == [(None, time(12))]
    assert laid[date(2027, 3, 14)] == []


def test_a_day_lists_its_notes_first_then_its_events_by_time_and_marks_today():
    day = date(2027, 11, 7)  # the fall-back Sunday
    late = Event(
        kind=SESSION,
        label="late",
        starts_at=local_to_utc(day, time(15), MONTREAL),
        ends_at=local_to_utc(day, time(16), MONTREAL),
        booking_id=2,
    )
    early = Event(
        kind=SESSION,
        label="early",
        starts_at=local_to_utc(day, time(9), MONTREAL),
        ends_at=local_to_utc(day, time(10), MONTREAL),
        booking_id=1,
    )
    closed = Event(kind=OVERRIDE, label="Closed", day=day)
    (laid,) = lay_out([day], [late, early, closed], MONTREAL, today=day)
    assert laid.is_today
    assert [p.event.label for p in laid.items] == ["Closed", "early", "late"]
    assert laid.items[1].starts == time(9)
