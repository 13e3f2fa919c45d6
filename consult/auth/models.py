"""Users of the private side: the owner and her accountant."""

import contextlib
import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import orm as so

from ..extensions import UTCDateTime, db, utcnow
from .access import ROLES

_hasher = PasswordHasher()
#: A hash of no password, per hasher, checked when the email typed has no account: an
#: unknown email then costs the same Argon2 work as a known one and cannot be told apart.
_dummy_hashes = {}

#: What an emailed link is for.
LINK_SIGN_IN = "sign_in"
LINK_PASSWORD_RESET = "password_reset"
LINK_PURPOSES = (LINK_SIGN_IN, LINK_PASSWORD_RESET)


def new_session_token():
    return secrets.token_urlsafe(16)


def verify_password(user, password):
    """Whether `password` is `user`'s; with no user, the same work against a dummy hash."""
    if user is None:
        hasher = _hasher
        dummy = _dummy_hashes.get(id(hasher))
        if dummy is None:
            dummy = _dummy_hashes[id(hasher)] = hasher.hash(secrets.token_urlsafe(16))
        with contextlib.suppress(VerificationError, InvalidHashError):
            hasher.verify(dummy, password)
        return False
    return user.check_password(password)


def token_digest(token):
    """What is stored of an emailed token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint(sa.column("role").in_(ROLES), name="role_known"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    role: so.Mapped[str] = so.mapped_column(sa.String(20))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    #: Part of the login cookie; changing it signs out every session (password change).
    session_token: so.Mapped[str] = so.mapped_column(sa.String(64), default=new_session_token)
    #: Base32 TOTP secret when two-factor sign-in is on.
    totp_secret: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    #: The last TOTP time step accepted, so one code cannot be used twice.
    totp_last_step: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    #: Argon2 hashes of the unused recovery codes, as a JSON list.
    recovery_codes: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    def set_password(self, password):
        self.password_hash = _hasher.hash(password)
        self.end_sessions()

    def end_sessions(self):
        """Sign out every session and remember cookie of this account, wherever it is."""
        self.session_token = new_session_token()

    def check_password(self, password):
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def get_id(self):
        return f"{self.id}:{self.session_token}"

    @property
    def two_factor_enabled(self):
        return bool(self.totp_secret)

    @property
    def is_owner(self):
        return self.role == "owner"

    def __repr__(self):
        return f"<User {self.email} {self.role}>"


class EmailedLink(db.Model):
    """A single-use link sent by email: to sign in without the password, or to reset it."""

    __tablename__ = "emailed_links"
    __table_args__ = (
        sa.CheckConstraint(sa.column("purpose").in_(LINK_PURPOSES), name="purpose_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    purpose: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: SHA-256 of the token in the link; a copy of the database opens nothing.
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    #: Set when the link is used (or voided by a newer reset): it works once.
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    user: so.Mapped[User] = so.relationship()


def load_user(user_id):
    """Flask-Login's loader: the id and the current session token must both match."""
    ident, _, token = user_id.partition(":")
    if not ident.isdigit() or not token:
        return None
    user = db.session.get(User, int(ident))
    if user is None or not secrets.compare_digest(user.session_token, token):
        return None
    return user
