"""What slot computation costs: a 90-day horizon with 100, 1,000 and 10,000 bookings in range.

`make bench` (tests/bench/run.py) reports the best time of each; under pytest
(`pytest tests/bench --benchmark-enable`) pytest-benchmark times them. The time should grow
no faster than the bookings: the busy spans are sorted once, then each candidate slot is
checked by bisection.
"""

import random
from datetime import UTC, datetime, time, timedelta

import pytest

from consult.booking.slots import Busy, OpenHours, Rules, open_slots

NOW = datetime(2027, 1, 4, 12, tzinfo=UTC)
RULES = Rules(
    time_zone="America/Montreal",
    min_notice_hours=24,
    horizon_days=90,
    slot_step_minutes=15,
    buffer_before_minutes=0,
    buffer_after_minutes=15,
    daily_max_sessions=None,
)
HOURS = [
    OpenHours(weekday, time(*start), time(*end))
    for weekday in range(5)
    for start, end in (((9,), (12,)), ((13,), (17,)))
]


def bookings(count, seed=4):
    """`count` 30-minute sessions spread over the horizon (they may overlap: cost, not truth)."""
    rng = random.Random(seed)
    spans = []
    for _ in range(count):
        start = NOW + timedelta(minutes=15 * rng.randrange(90 * 24 * 4))
        spans.append(Busy(start, start + timedelta(minutes=45), start))
    return spans


@pytest.mark.parametrize("count", [100, 1_000, 10_000])
def test_open_slots_over_90_days(benchmark, count):
    busy = bookings(count)
    slots = benchmark(open_slots, RULES, HOURS, (), (), busy, 60, NOW)
    assert all(NOW + timedelta(hours=24) <= s.starts_at for s in slots)
    # 10,000 sessions leave no free time in 90 days of office hours: that one only costs.
    assert slots or count == 10_000
