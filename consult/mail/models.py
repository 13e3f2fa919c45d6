"""The outbox: one row per message, written in the transaction that caused it.

A message is `queued` until a worker claims it (`sending`, with a claim token and a lease),
then `sent`, or back to `queued` with a next attempt after a transient failure, or `failed`
for good (it cannot be built, the server refused it, or it ran out of attempts).
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm as so

from ..extensions import UTCDateTime, db, utcnow

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
STATUSES = (QUEUED, SENDING, SENT, FAILED)


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(STATUSES), name="status_known"),
        sa.Index("ix_outbox_messages_due", "status", "next_attempt_at"),
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
    #: Delivery attempts so far, counted when a worker claims the message.
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    #: A queued message is not claimed before this time (the backoff after a failure).
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    #: The claim of the worker sending it; its outcome is recorded only under this token.
    claim_token: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    #: The claim's lease: past it, a crashed worker's message is claimed again.
    claim_expires_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    last_error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    failed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
