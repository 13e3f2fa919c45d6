"""The outbox: one row per message, written in the transaction that caused it."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm as so

from ..extensions import UTCDateTime, db, utcnow

QUEUED, SENT = "queued", "sent"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_((QUEUED, SENT)), name="status_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    to: so.Mapped[str] = so.mapped_column(sa.String(254))
    subject: so.Mapped[str] = so.mapped_column(sa.String(255))
    text_body: so.Mapped[str] = so.mapped_column(sa.Text)
    html_body: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: [{"filename", "content_type", "content"}] with text content (ICS invitations).
    attachments: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    #: Free label to find a message again ("booking-confirmed:42").
    topic: so.Mapped[str] = so.mapped_column(sa.String(120), default="", index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=QUEUED, index=True)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    last_error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
