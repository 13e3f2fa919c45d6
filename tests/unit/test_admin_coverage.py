"""Which booked sessions her hours leave out: the pure check behind the warning she gets
before a day off, a closed date or shorter hours over a confirmed session."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from consult.admin.coverage import hours_by_day, uncovered

MONTREAL = ZoneInfo("America/Montreal")
NINE_TO_FIVE = {weekday: [(time(9), time(17))] for weekday in range(7)}


@dataclass
class Session:
    starts_at: datetime
    ends_at: datetime


def session_at(day, hour, minutes=60):
    start = datetime.combine(day, time(hour), tzinfo=MONTREAL).astimezone(UTC)
    return Session(start, start + timedelta(minutes=minutes))


def test_a_session_inside_the_weeks_hours_is_covered():
    monday = date(2027, 3, 1)
    assert uncovered([session_at(monday, 10)], NINE_TO_FIVE, [], [], MONTREAL) == []


def test_a_session_running_past_closing_time_is_not():
    late = session_at(date(2027, 3, 1), 16, minutes=90)
    assert uncovered([late], NINE_TO_FIVE, [], [], MONTREAL) == [late]


def test_a_dates_other_hours_replace_the_weeks_and_a_closed_date_has_none():
    day = date(2027, 3, 1)
    morning = [
        (
            day,
            False,
            time(9),
            time(12),
        )
    ]
    assert hours_by_day(NINE_TO_FIVE, morning, day) == [(time(9), time(12))]
    assert hours_by_day(NINE_TO_FIVE, [(day, True, None, None)], day) == []
    afternoon = session_at(day, 14)
    assert uncovered([afternoon], NINE_TO_FIVE, morning, [], MONTREAL) == [afternoon]
    assert uncovered([session_at(day, 10)], NINE_TO_FIVE, morning, [], MONTREAL) == []


def test_time_off_that_touches_a_session_leaves_it_out_but_one_that_ends_as_it_starts_does_not():
    session = session_at(date(2027, 3, 1), 10)
    overlapping = (session.starts_at + timedelta(minutes=30), session.ends_at + timedelta(hours=2))
    touching = (session.starts_at - timedelta(hours=2), session.starts_at)
    assert uncovered([session], NINE_TO_FIVE, [], [overlapping], MONTREAL) == [session]
    assert uncovered([session], NINE_TO_FIVE, [], [touching], MONTREAL) == []


def test_hours_are_read_on_her_wall_clock_across_the_spring_change():
    # 14 March 2027 is the spring-forward day in Montréal: 10:00 is still 10:00 for her.
    assert uncovered([session_at(date(2027, 3, 14), 10)], NINE_TO_FIVE, [], [], MONTREAL) == []
    assert uncovered([session_at(date(2027, 3, 13), 10)], NINE_TO_FIVE, [], [], MONTREAL) == []


def test_a_day_without_hours_covers_nothing():
    sunday = date(2027, 3, 7)
    weekdays_only = {weekday: [(time(9), time(17))] for weekday in range(5)}
    session = session_at(sunday, 10)
    assert uncovered([session], weekdays_only, [], [], MONTREAL) == [session]
