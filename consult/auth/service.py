"""Account changes that matter for security; each one is written to the audit log."""

from ..audit import record
from ..database import write
from . import two_factor


class WrongPassword(ValueError):
    """The current password given to confirm a change is not the account's password."""


class WrongCode(ValueError):
    """A two-factor or recovery code was wrong, expired or already used."""


def change_password(session, user, current_password, new_password):
    """Set a new password; every other session of this account is signed out by it."""
    with write(session):
        if not user.check_password(current_password):
            raise WrongPassword()
        user.set_password(new_password)
        record(session, user, "auth.password_change", user, after={"other_sessions": "signed out"})


def enable_two_factor(session, user, secret, code, at):
    """Turn TOTP on once `code` proves the app holds `secret`; returns the recovery codes."""
    with write(session):
        step = two_factor.accepted_step(secret, code, None, at)
        if step is None:
            raise WrongCode()
        codes, hashes = two_factor.new_recovery_codes()
        user.totp_secret = secret
        user.totp_last_step = step
        user.recovery_codes = hashes
        record(
            session,
            user,
            "auth.two_factor_enable",
            user,
            before={"two_factor": False},
            after={"two_factor": True, "recovery_codes": len(hashes)},
        )
        return codes


def disable_two_factor(session, user, password):
    with write(session):
        if not user.check_password(password):
            raise WrongPassword()
        left = len(user.recovery_codes or [])
        user.totp_secret = None
        user.totp_last_step = None
        user.recovery_codes = []
        record(
            session,
            user,
            "auth.two_factor_disable",
            user,
            before={"two_factor": True, "recovery_codes": left},
            after={"two_factor": False, "recovery_codes": 0},
        )


def replace_recovery_codes(session, user, password):
    """New recovery codes (the old ones stop working); returns them to show once."""
    with write(session):
        if not user.check_password(password):
            raise WrongPassword()
        left = len(user.recovery_codes or [])
        codes, hashes = two_factor.new_recovery_codes()
        user.recovery_codes = hashes
        record(
            session,
            user,
            "auth.recovery_codes_replace",
            user,
            before={"recovery_codes": left},
            after={"recovery_codes": len(hashes)},
        )
        return codes


def check_second_factor(session, user, code, at):
    """Accept a current TOTP code or spend one recovery code; raise WrongCode otherwise."""
    with write(session):
        step = two_factor.accepted_step(user.totp_secret, code, user.totp_last_step, at)
        if step is not None:
            user.totp_last_step = step
            return
        remaining = two_factor.use_recovery_code(list(user.recovery_codes or []), code)
        if remaining is None:
            raise WrongCode()
        record(
            session,
            user,
            "auth.recovery_code_use",
            user,
            before={"recovery_codes": len(remaining) + 1},
            after={"recovery_codes": len(remaining)},
        )
        user.recovery_codes = remaining


def record_sign_in(session, user, now):
    """The account signed in at `now`."""
    with write(session):
        user.last_login_at = now
