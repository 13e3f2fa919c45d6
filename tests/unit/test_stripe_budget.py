"""One Stripe call's worst case must fit in half the web worker's timeout, or no start."""

import pytest

from consult.config import (
    DEFAULTS,
    NetworkBudgetTooLong,
    check_network_budget,
    from_environment,
    stripe_call_budget,
)


def settings(**changes):
    return {**DEFAULTS, **changes}


def test_the_default_budget_is_every_attempt_timing_out_plus_the_sdks_pause():
    # Two attempts of 2 s to connect + 5 s to read, and the SDK's 0.5 s before the retry.
    assert stripe_call_budget(settings()) == 2 * (2 + 5) + 0.5
    check_network_budget(settings())


def test_each_retry_waits_longer_up_to_the_sdks_ceiling():
    budget = stripe_call_budget(
        settings(
            STRIPE_CONNECT_TIMEOUT_SECONDS=1,
            STRIPE_READ_TIMEOUT_SECONDS=1,
            STRIPE_MAX_NETWORK_RETRIES=6,
        )
    )
    assert budget == 7 * 2 + (0.5 + 1 + 2 + 4 + 5 + 5)


def test_a_budget_past_half_the_worker_timeout_refuses_to_start():
    slow = settings(STRIPE_READ_TIMEOUT_SECONDS=8, STRIPE_CONNECT_TIMEOUT_SECONDS=3)
    with pytest.raises(NetworkBudgetTooLong, match="CONSULT_WEB_WORKER_TIMEOUT_SECONDS"):
        check_network_budget(slow)
    check_network_budget({**slow, "WEB_WORKER_TIMEOUT_SECONDS": 60})


def test_timeouts_may_be_set_in_fractions_of_a_second():
    read = from_environment({"CONSULT_STRIPE_READ_TIMEOUT_SECONDS": "4.5"})
    assert read == {"STRIPE_READ_TIMEOUT_SECONDS": 4.5}
