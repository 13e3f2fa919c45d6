"""The cancellation and rescheduling policy: what a prospect may still do, and at what cost.

Pure: times are aware datetimes, the policy comes from settings. The owner is not bound by
it (the service lets her override); a prospect is.
"""

from dataclasses import dataclass
from datetime import timedelta

#: Rules a request can break; views turn each into a sentence in the reader's language.
STARTED = "started"
NOT_ACTIVE = "not_active"
RESCHEDULE_NOTICE = "reschedule_notice"
MAX_RESCHEDULES = "max_reschedules"


@dataclass(frozen=True)
class Policy:
    #: Cancelling at least this long before the start refunds in full; later, nothing.
    free_cancellation_hours: int = 48
    #: Rescheduling is possible until this long before the start.
    reschedule_notice_hours: int = 24
    max_reschedules: int = 1


@dataclass(frozen=True)
class Decision:
    allowed: bool
    #: The rule that refuses it (one of the constants above), None when allowed.
    broken_rule: str | None = None
    #: For a cancellation: whether the payment comes back in full.
    refund: bool = False


def policy_from_settings(config):
    return Policy(
        free_cancellation_hours=int(config["FREE_CANCELLATION_HOURS"]),
        reschedule_notice_hours=int(config["RESCHEDULE_NOTICE_HOURS"]),
        max_reschedules=int(config["MAX_RESCHEDULES"]),
    )


def free_cancellation_until(policy, starts_at):
    return starts_at - timedelta(hours=policy.free_cancellation_hours)


def reschedule_until(policy, starts_at):
    return starts_at - timedelta(hours=policy.reschedule_notice_hours)


def can_cancel(policy, *, status, starts_at, now):
    """A held or confirmed session that has not started may be cancelled; refunded in full
    only inside the free-cancellation window."""
    if status not in ("held", "confirmed"):
        return Decision(False, NOT_ACTIVE)
    if now >= starts_at:
        return Decision(False, STARTED)
    return Decision(True, refund=now <= free_cancellation_until(policy, starts_at))


def can_reschedule(policy, *, status, starts_at, reschedule_count, now):
    """A confirmed session moves at most `max_reschedules` times, up to the notice."""
    if status != "confirmed":
        return Decision(False, NOT_ACTIVE)
    if now >= starts_at:
        return Decision(False, STARTED)
    if reschedule_count >= policy.max_reschedules:
        return Decision(False, MAX_RESCHEDULES)
    if now > reschedule_until(policy, starts_at):
        return Decision(False, RESCHEDULE_NOTICE)
    return Decision(True)


@dataclass(frozen=True)
class Terms:
    """What a prospect agrees to for one start: the rules and their deadlines."""

    policy: Policy
    starts_at: object
    free_cancellation_until: object
    reschedule_until: object
    #: False when the start is already inside the no-refund window: paying now means
    #: a later cancellation is not refunded.
    refundable: bool


def terms(policy, starts_at, now):
    """The terms of booking `starts_at` at `now`."""
    free_until = free_cancellation_until(policy, starts_at)
    return Terms(
        policy=policy,
        starts_at=starts_at,
        free_cancellation_until=free_until,
        reschedule_until=reschedule_until(policy, starts_at),
        refundable=now <= free_until,
    )
