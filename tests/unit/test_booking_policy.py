"""The cancellation and rescheduling policy, as the settings define it."""

from datetime import UTC, datetime, timedelta

from consult.booking import policy

RULES = policy.Policy(free_cancellation_hours=48, reschedule_notice_hours=24, max_reschedules=1)
STARTS = datetime(2027, 6, 10, 14, tzinfo=UTC)


def cancel_at(hours_before, status="confirmed"):
    return policy.can_cancel(
        RULES, status=status, starts_at=STARTS, now=STARTS - timedelta(hours=hours_before)
    )


def move_at(hours_before, count=0, status="confirmed"):
    return policy.can_reschedule(
        RULES,
        status=status,
        starts_at=STARTS,
        reschedule_count=count,
        now=STARTS - timedelta(hours=hours_before),
    )


def test_cancelling_48_hours_ahead_or_more_refunds_in_full():
    assert cancel_at(72) == policy.Decision(True, refund=True)
    assert cancel_at(48) == policy.Decision(True, refund=True)


def test_cancelling_later_is_allowed_without_a_refund():
    assert cancel_at(47) == policy.Decision(True, refund=False)
    assert cancel_at(0.5) == policy.Decision(True, refund=False)


def test_a_started_or_finished_session_cannot_be_cancelled():
    assert cancel_at(0).broken_rule == policy.STARTED
    assert cancel_at(-2).broken_rule == policy.STARTED
    assert cancel_at(72, status="cancelled").broken_rule == policy.NOT_ACTIVE


def test_moving_is_allowed_once_up_to_24_hours_ahead():
    assert move_at(24).allowed
    assert move_at(23).broken_rule == policy.RESCHEDULE_NOTICE
    assert move_at(72, count=1).broken_rule == policy.MAX_RESCHEDULES


def test_only_a_confirmed_session_moves():
    assert move_at(72, status="held").broken_rule == policy.NOT_ACTIVE


def test_the_policy_comes_from_settings():
    config = {"FREE_CANCELLATION_HOURS": 72, "RESCHEDULE_NOTICE_HOURS": 12, "MAX_RESCHEDULES": 3}
    assert policy.policy_from_settings(config) == policy.Policy(72, 12, 3)
