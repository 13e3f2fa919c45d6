"""Slot computation, rule by rule: pure values in, aware UTC slots out."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from consult.booking.slots import (
    Busy,
    OpenHours,
    Override,
    Rules,
    by_local_day,
    next_after,
    open_slots,
)

MONTREAL = ZoneInfo("America/Montreal")


def local(year, month, day, hour, minute=0, zone=MONTREAL):
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def rules(**overrides):
    values = {
        "time_zone": "America/Montreal",
        "min_notice_hours": 0,
        "horizon_days": 30,
        "slot_step_minutes": 60,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 0,
        "daily_max_sessions": None,
    }
    values.update(overrides)
    return Rules(**values)


def every_day(*intervals):
    return [
        OpenHours(weekday, time(*start), time(*end))
        for weekday in range(7)
        for start, end in intervals
    ]


WORKDAY = every_day(((9,), (12,)), ((13,), (17,)))
# Monday 2027-06-07, 6:00 in Montréal.
MONDAY_MORNING = local(2027, 6, 7, 6)


def slots_on(day, found, zone=MONTREAL):
    return [
        slot.starts_at.astimezone(zone).strftime("%H:%M")
        for slot in found
        if slot.starts_at.astimezone(zone).date() == day
    ]


def compute(
    rules_=None,
    hours=WORKDAY,
    overrides=(),
    time_off=(),
    busy=(),
    minutes=60,
    now=MONDAY_MORNING,
    **window,
):
    return open_slots(rules_ or rules(), hours, overrides, time_off, busy, minutes, now, **window)


def test_slots_follow_the_weekly_hours_in_local_time():
    found = compute()
    assert slots_on(date(2027, 6, 7), found) == [
        "09:00",
        "10:00",
        "11:00",
        "13:00",
        "14:00",
        "15:00",
        "16:00",
    ]
    assert all(slot.starts_at.tzinfo == UTC for slot in found)
    assert all(slot.ends_at - slot.starts_at == timedelta(hours=1) for slot in found)


def test_a_session_must_fit_before_the_interval_closes():
    found = compute(minutes=120)
    assert slots_on(date(2027, 6, 7), found) == ["09:00", "10:00", "13:00", "14:00", "15:00"]


def test_minimum_notice_hides_slots_too_soon():
    found = compute(rules(min_notice_hours=4))  # now 6:00 -> nothing before 10:00
    assert slots_on(date(2027, 6, 7), found)[0] == "10:00"


def test_the_horizon_ends_the_offer():
    found = compute(rules(horizon_days=2))
    assert found[-1].starts_at <= MONDAY_MORNING + timedelta(days=2)
    assert slots_on(date(2027, 6, 9), found) == []
    assert slots_on(date(2027, 6, 8), found)


def test_buffers_keep_space_around_existing_sessions():
    # A session 10:00-11:00 with its 15-minute buffer after: busy until 11:15.
    booked = Busy(local(2027, 6, 7, 10), local(2027, 6, 7, 11, 15), local(2027, 6, 7, 10))
    found = compute(rules(slot_step_minutes=15, buffer_after_minutes=15), busy=[booked], minutes=30)
    starts = slots_on(date(2027, 6, 7), found)
    # 9:15-9:45 (+15 after) ends its busy time at 10:00 exactly: fine; 9:30 would overlap.
    assert "09:15" in starts and "09:30" not in starts
    assert "11:00" not in starts and "11:15" in starts


def test_a_buffer_before_also_counts():
    booked = Busy(local(2027, 6, 7, 10), local(2027, 6, 7, 11), local(2027, 6, 7, 10))
    found = compute(
        rules(slot_step_minutes=15, buffer_before_minutes=30), busy=[booked], minutes=30
    )
    starts = slots_on(date(2027, 6, 7), found)
    assert "11:00" not in starts and "11:15" not in starts and "11:30" in starts


def test_the_daily_cap_closes_a_full_day():
    sessions = [
        Busy(local(2027, 6, 7, hour), local(2027, 6, 7, hour + 1), local(2027, 6, 7, hour))
        for hour in (9, 10)
    ]
    found = compute(rules(daily_max_sessions=2), busy=sessions)
    assert slots_on(date(2027, 6, 7), found) == []
    assert slots_on(date(2027, 6, 8), found)


def test_the_daily_cap_counts_the_consultants_local_day_not_utcs():
    # 20:00 on Monday in Montréal is already Tuesday in UTC: it is Monday's session.
    evening = Busy(local(2027, 6, 7, 20), local(2027, 6, 7, 21), local(2027, 6, 7, 20))
    assert evening.start.astimezone(UTC).date() == date(2027, 6, 8)
    found = compute(rules(daily_max_sessions=1), busy=[evening])
    assert slots_on(date(2027, 6, 7), found) == []
    assert len(slots_on(date(2027, 6, 8), found)) == 7


def test_a_closed_override_closes_the_day():
    found = compute(overrides=[Override(date(2027, 6, 8), closed=True)])
    assert slots_on(date(2027, 6, 8), found) == []
    assert slots_on(date(2027, 6, 9), found)


def test_an_override_with_other_hours_replaces_the_weekly_ones():
    found = compute(overrides=[Override(date(2027, 6, 8), False, time(18), time(20))])
    assert slots_on(date(2027, 6, 8), found) == ["18:00", "19:00"]


def test_time_off_blocks_what_it_covers():
    off = Busy(local(2027, 6, 7, 12), local(2027, 6, 9, 0))
    found = compute(time_off=[off])
    assert slots_on(date(2027, 6, 7), found) == ["09:00", "10:00", "11:00"]
    assert slots_on(date(2027, 6, 8), found) == []
    assert slots_on(date(2027, 6, 9), found)


def test_external_busy_times_block_slots():
    meeting = Busy(local(2027, 6, 7, 14, 30), local(2027, 6, 7, 15))
    found = compute(busy=[meeting])
    assert slots_on(date(2027, 6, 7), found) == [
        "09:00",
        "10:00",
        "11:00",
        "13:00",
        "15:00",
        "16:00",
    ]


def test_nine_to_five_stays_local_on_the_spring_forward_night():
    saturday = local(2027, 3, 13, 6)
    found = compute(now=saturday, rules_=rules(horizon_days=3))
    before, after = date(2027, 3, 13), date(2027, 3, 14)
    expected = ["09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00"]
    assert slots_on(before, found) == expected
    assert slots_on(after, found) == expected
    first_utc_hour = {}
    for slot in found:
        first_utc_hour.setdefault(slot.starts_at.astimezone(MONTREAL).date(), slot.starts_at.hour)
    assert first_utc_hour[before] == 14  # 9:00 EST = 14:00 UTC
    assert first_utc_hour[after] == 13  # 9:00 EDT = 13:00 UTC


def test_nine_to_five_stays_local_on_the_fall_back_night():
    saturday = local(2027, 11, 6, 6)
    found = compute(now=saturday, rules_=rules(horizon_days=3))
    expected = ["09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00"]
    assert slots_on(date(2027, 11, 6), found) == expected
    assert slots_on(date(2027, 11, 7), found) == expected
    first = [
        slot for slot in found if slot.starts_at.astimezone(MONTREAL).date() == date(2027, 11, 7)
    ]
    assert first[0].starts_at == datetime(2027, 11, 7, 14, tzinfo=UTC)  # 9:00 EST


def test_a_local_time_that_does_not_exist_is_skipped():
    night = every_day(((0,), (5,)))
    found = compute(
        rules(slot_step_minutes=30, horizon_days=2),
        hours=night,
        minutes=30,
        now=local(2027, 3, 13, 12),
    )
    starts = slots_on(date(2027, 3, 14), found)
    assert "02:00" not in starts and "02:30" not in starts
    assert starts == ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30", "04:00", "04:30"]


def test_a_local_time_that_happens_twice_is_offered_at_both_of_its_instants():
    night = every_day(((0,), (4,)))
    found = compute(
        rules(slot_step_minutes=30, horizon_days=2),
        hours=night,
        minutes=30,
        now=local(2027, 11, 6, 12),
    )
    starts = slots_on(date(2027, 11, 7), found)
    assert starts.count("01:00") == 2 and starts.count("01:30") == 2
    assert len({slot.starts_at for slot in found}) == len(found)
    one_thirty = [
        s.starts_at
        for s in found
        if s.starts_at.astimezone(MONTREAL).strftime("%d %H:%M") == "07 01:30"
    ]
    # The first 1:30 is EDT (UTC-4), the second EST (UTC-5), an hour later.
    assert one_thirty == [
        datetime(2027, 11, 7, 5, 30, tzinfo=UTC),
        datetime(2027, 11, 7, 6, 30, tzinfo=UTC),
    ]


def test_both_passes_of_the_repeated_hour_on_the_2026_fall_back_night_come_in_order():
    found = compute(
        rules(slot_step_minutes=30, horizon_days=2),
        hours=every_day(((0,), (3,))),
        minutes=30,
        now=local(2026, 10, 31, 12),
    )
    night = [
        (
            s.starts_at.astimezone(MONTREAL).strftime("%H:%M"),
            s.starts_at.astimezone(MONTREAL).utcoffset(),
        )
        for s in found
        if s.starts_at.astimezone(MONTREAL).date() == date(2026, 11, 1)
    ]
    edt, est = timedelta(hours=-4), timedelta(hours=-5)
    assert night == [
        ("00:00", edt),
        ("00:30", edt),
        ("01:00", edt),
        ("01:30", edt),
        ("01:00", est),
        ("01:30", est),
        ("02:00", est),
        ("02:30", est),
    ]


def test_a_session_ending_in_the_repeated_hour_still_must_fit_before_closing():
    # Open until 2:00 (EST): a one-hour session at the second 1:30 would end at 2:30.
    found = compute(
        rules(slot_step_minutes=30, horizon_days=2),
        hours=every_day(((0,), (2,))),
        minutes=60,
        now=local(2026, 10, 31, 12),
    )
    last = max(s.starts_at for s in found if s.starts_at < datetime(2026, 11, 2, tzinfo=UTC))
    assert last == datetime(2026, 11, 1, 6, 0, tzinfo=UTC)  # the second 1:00, EST


def test_a_prospect_whose_date_differs_sees_the_slot_on_her_own_day():
    found = compute()
    tokyo = by_local_day(found, "Asia/Tokyo")
    # Monday 16:00 in Montréal (EDT) is Tuesday 5:00 in Tokyo.
    monday_four_pm = local(2027, 6, 7, 16).astimezone(UTC)
    tuesday_in_tokyo = [s.starts_at for s in tokyo[date(2027, 6, 8)]]
    assert monday_four_pm in tuesday_in_tokyo
    assert monday_four_pm not in [s.starts_at for s in tokyo.get(date(2027, 6, 7), [])]
    assert list(tokyo) == sorted(tokyo)


def test_since_and_until_narrow_the_search_to_one_slot():
    target = local(2027, 6, 8, 14).astimezone(UTC)
    found = compute(since=target, until=target)
    assert [slot.starts_at for slot in found] == [target]


def test_next_after_proposes_the_following_slots():
    found = compute()
    target = local(2027, 6, 7, 10).astimezone(UTC)
    assert [s.starts_at for s in next_after(found, target, 2)] == [
        local(2027, 6, 7, 11).astimezone(UTC),
        local(2027, 6, 7, 13).astimezone(UTC),
    ]
