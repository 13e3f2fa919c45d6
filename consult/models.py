"""Imports every model so that metadata (create_all, Alembic) sees all tables."""

from .admin.models import AuditEntry
from .auth.models import User
from .booking.models import (
    AvailabilityRules,
    Booking,
    DateOverride,
    ExternalBusy,
    Offer,
    TimeOff,
    WeeklyHours,
)
from .calendar.models import CalendarSettings
from .mail.models import OutboxMessage
from .payments.models import Counter, LedgerEntry, LedgerTax, WebhookEvent

__all__ = [
    "AuditEntry",
    "AvailabilityRules",
    "Booking",
    "CalendarSettings",
    "Counter",
    "DateOverride",
    "ExternalBusy",
    "LedgerEntry",
    "LedgerTax",
    "Offer",
    "OutboxMessage",
    "TimeOff",
    "User",
    "WeeklyHours",
    "WebhookEvent",
]
