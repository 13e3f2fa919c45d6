"""A growing pause per account after wrong sign-in attempts, never a lockout.

OWASP's advice against lockout as a denial of service: attempts are refused per address
and per account-and-address pair (Flask-Limiter, in routes.py); the account as a whole
only slows down. After FREE_FAILURES wrong attempts within WINDOW_SECONDS, from anywhere,
each new wrong attempt doubles a short pause (1, 2, 4 ... up to MAX_PAUSE_SECONDS) during
which sign-in for that account answers "try again in N seconds". An emailed sign-in link,
which nobody else can block, is always offered beside it.

Counters live in Flask-Limiter's storage (memory locally, Redis in production), so every
web process sees the same pause. Unknown emails pause exactly like known ones.
"""

import math
import time

from ..extensions import limiter

#: Wrong attempts on one account, from any address, before sign-in slows down.
FREE_FAILURES = 5
#: How long wrong attempts are remembered.
WINDOW_SECONDS = 15 * 60
#: The longest pause, however many wrong attempts.
MAX_PAUSE_SECONDS = 60


def _keys(account):
    return f"consult-auth-failures/{account}", f"consult-auth-pause/{account}"


def pause_for(failures):
    """Seconds to wait after `failures` wrong attempts in the window (0: none)."""
    if failures < FREE_FAILURES:
        return 0
    return min(2 ** (failures - FREE_FAILURES), MAX_PAUSE_SECONDS)


def seconds_left(account):
    """How long `account` must still wait before its next attempt is checked (0: none)."""
    storage = limiter.storage
    _, pause_key = _keys(account)
    if not storage.get(pause_key):
        return 0
    return max(1, math.ceil(storage.get_expiry(pause_key) - time.time()))


def failed(account):
    """Count a wrong attempt on `account`; start its pause once past the free ones."""
    storage = limiter.storage
    failures_key, pause_key = _keys(account)
    pause = pause_for(storage.incr(failures_key, WINDOW_SECONDS))
    if pause:
        storage.clear(pause_key)
        storage.incr(pause_key, pause)


def succeeded(account):
    """A right password (or code) clears the count."""
    storage = limiter.storage
    for key in _keys(account):
        storage.clear(key)
