"""Imports every model so that metadata (create_all, Alembic) sees all tables."""

from .admin.models import AuditEntry
from .auth.models import User
from .booking.models import Booking, Offer
from .mail.models import OutboxMessage
from .payments.models import Counter, LedgerEntry, LedgerTax, WebhookEvent

__all__ = [
    "AuditEntry",
    "Booking",
    "Counter",
    "LedgerEntry",
    "LedgerTax",
    "Offer",
    "OutboxMessage",
    "User",
    "WebhookEvent",
]
