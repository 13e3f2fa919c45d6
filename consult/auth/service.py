"""Account changes that matter for security; each one is written to the audit log."""

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from ..audit import record
from ..database import write
from ..mail.outbox import queue_templated
from . import two_factor
from .models import (
    LINK_PASSWORD_RESET,
    LINK_SIGN_IN,
    EmailedLink,
    User,
    token_digest,
)

#: How long an emailed link works.
LINK_LIFETIME = timedelta(minutes=15)
#: Links of one purpose sent to one account within LINK_LIFETIME; more requests send
#: nothing. The cap spans the lifetime, so the newest link she got always still works:
#: someone asking again and again for her email can fill her inbox a little, never block her.
LINKS_PER_LIFETIME = 3


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


def sign_out(session, user):
    """End this session and every other one of the account (and its remember cookies)."""
    with write(session):
        user.end_sessions()


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
        user.end_sessions()
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
        user.end_sessions()
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


class InvalidLink(ValueError):
    """An emailed link that is unknown, expired or already used."""


#: The mail template and subject of each kind of link.
_LINK_MAILS = {
    LINK_SIGN_IN: "auth_sign_in_link",
    LINK_PASSWORD_RESET: "auth_password_reset",
}


def _link_subject(purpose):
    if purpose == LINK_SIGN_IN:
        return _("Your sign-in link")
    return _("Choose a new password")


def send_link(session, email, purpose, lang, now, link_for):
    """Email a single-use `purpose` link to the account of `email`, if there is one.

    Says nothing back: the caller answers the same whether the account exists or not.
    `link_for(token)` builds the absolute address the email carries.
    """
    with write(session):
        user = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
        if user is None:
            return
        recent = session.scalar(
            sa.select(sa.func.count(EmailedLink.id)).where(
                EmailedLink.user_id == user.id,
                EmailedLink.purpose == purpose,
                EmailedLink.created_at > now - LINK_LIFETIME,
            )
        )
        if recent >= LINKS_PER_LIFETIME:
            return
        token = secrets.token_urlsafe(32)
        session.add(
            EmailedLink(
                user_id=user.id,
                purpose=purpose,
                token_hash=token_digest(token),
                created_at=now,
                expires_at=now + LINK_LIFETIME,
            )
        )
        queue_templated(
            user.email,
            _LINK_MAILS[purpose],
            lang,
            lambda: _link_subject(purpose),
            topic=f"auth.{purpose}",
            user=user,
            link=link_for(token),
            minutes=int(LINK_LIFETIME.total_seconds() // 60),
        )


def usable_link(session, token, purpose, now):
    """The link behind `token` if it still works (nothing is spent), or None."""
    link = session.scalar(
        sa.select(EmailedLink).where(
            EmailedLink.token_hash == token_digest(token), EmailedLink.purpose == purpose
        )
    )
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    return link


def _spend_link(tx, token, purpose, now):
    """Lock and spend the link behind `token`; its user, or raise InvalidLink."""
    link = usable_link(tx.session, token, purpose, now)
    if link is None:
        raise InvalidLink()
    link = tx.lock(link)
    if link.used_at is not None:
        raise InvalidLink()  # spent by a concurrent request while we waited for the lock
    link.used_at = now
    return link.user


def sign_in_with_link(session, token, now):
    """Spend a sign-in link; returns its user (who still owes her second factor)."""
    with write(session) as tx:
        user = _spend_link(tx, token, LINK_SIGN_IN, now)
        record(session, user, "auth.sign_in_link_use", user)
        return user


def reset_password(session, token, new_password, now):
    """Spend a reset link and set the new password; every session of the account ends."""
    with write(session) as tx:
        user = _spend_link(tx, token, LINK_PASSWORD_RESET, now)
        user.set_password(new_password)
        # Every other link still out there, to sign in or to reset, stops working.
        session.execute(
            sa.update(EmailedLink)
            .where(EmailedLink.user_id == user.id, EmailedLink.used_at.is_(None))
            .values(used_at=now)
        )
        record(session, user, "auth.password_reset", user, after={"sessions": "signed out"})
        return user
