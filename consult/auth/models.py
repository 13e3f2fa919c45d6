"""Users of the private side: the owner and her accountant."""

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


def new_session_token():
    return secrets.token_urlsafe(16)


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


def load_user(user_id):
    """Flask-Login's loader: the id and the current session token must both match."""
    ident, _, token = user_id.partition(":")
    if not ident.isdigit() or not token:
        return None
    user = db.session.get(User, int(ident))
    if user is None or not secrets.compare_digest(user.session_token, token):
        return None
    return user
