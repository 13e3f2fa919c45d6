"""Imports every model so that metadata (create_all, Alembic) sees all tables."""

from .accounting.models import LedgerDay, LedgerDayTax, LedgerRollup
from .audit import AuditEntry
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
from .content.models import (
    Article,
    ArticleTag,
    Profile,
    SpeakingInquiry,
    Talk,
    Testimonial,
    Upload,
)
from .mail.models import OutboxMessage
from .newsletter.models import Delivery, Issue, Subscriber
from .payments.models import Counter, LedgerEntry, LedgerTax, WebhookEvent

__all__ = [
    "Article",
    "ArticleTag",
    "AuditEntry",
    "AvailabilityRules",
    "Booking",
    "CalendarSettings",
    "Counter",
    "DateOverride",
    "Delivery",
    "ExternalBusy",
    "Issue",
    "LedgerDay",
    "LedgerDayTax",
    "LedgerEntry",
    "LedgerRollup",
    "LedgerTax",
    "Offer",
    "OutboxMessage",
    "Profile",
    "SpeakingInquiry",
    "Subscriber",
    "Talk",
    "Testimonial",
    "TimeOff",
    "Upload",
    "User",
    "WeeklyHours",
    "WebhookEvent",
]
