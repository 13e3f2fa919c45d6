"""The audit log, a core module every layer writes to: who changed what, when, before and after."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm as so

from .extensions import UTCDateTime, db, utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    user = so.relationship("User")
    #: A dotted verb: "booking.cancel", "payment.refund", "availability.update".
    action: so.Mapped[str] = so.mapped_column(sa.String(60), index=True)
    target_type: so.Mapped[str] = so.mapped_column(sa.String(40))
    target_id: so.Mapped[str] = so.mapped_column(sa.String(40))
    before: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    after: so.Mapped[dict | None] = so.mapped_column(sa.JSON)


def record(session, user, action, target, before=None, after=None):
    """Add an audit entry to `session`, in the same transaction as the change it describes."""
    entry = AuditEntry(
        user_id=getattr(user, "id", None),
        action=action,
        target_type=type(target).__name__.lower(),
        target_id=str(getattr(target, "id", target)),
        before=before,
        after=after,
    )
    session.add(entry)
    return entry
