"""Demo accounts for a fresh local install."""

import sqlalchemy as sa

from .models import User

DEMO_DOMAIN = "@example.com"
#: The demo accounts seed-demo creates; printed by `make run`.
DEMO_OWNER = ("owner@example.com", "demo-owner-2026")
DEMO_ACCOUNTANT = ("accountant@example.com", "demo-accountant-2026")


def has_real_data(session):
    """Any account outside the demo domain means a real site: never seed over it."""
    return bool(session.scalar(sa.select(User.id).where(~User.email.endswith(DEMO_DOMAIN))))


def seed(session, now):
    for (email, password), role, name in (
        (DEMO_OWNER, "owner", "Camille Lavoie"),
        (DEMO_ACCOUNTANT, "accountant", "Comptable Demo"),
    ):
        if session.scalar(sa.select(User).where(User.email == email)) is None:
            user = User(email=email, role=role, name=name)
            user.set_password(password)
            session.add(user)
    session.flush()
