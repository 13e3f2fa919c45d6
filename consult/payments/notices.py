"""What the client is told when money goes back to her: the credit note, amount and taxes."""

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import formatting
from ..mail.models import OutboxMessage
from ..mail.outbox import queue_templated


def queue_refund_notice(session, credit_note, business):
    """Tell the client, in the caller's write, what came back: amount, each tax, the note.

    Queued once per credit note (its topic names it), in her booking's language; the link
    opens the credit note through her booking's private link.
    """
    topic = f"payments_refund:{credit_note.id}"
    if session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.topic == topic)):
        return  # the refund was recorded once, by its event or by her: one message
    booking = credit_note.booking
    queue_templated(
        credit_note.client_email,
        "payments_refund",
        booking.lang,
        subject=lambda: _(
            "Refund of %(amount)s: %(session)s",
            amount=formatting.money(-credit_note.total_cents, credit_note.currency, booking.lang),
            session=booking.offer.title(booking.lang),
        ),
        topic=topic,
        booking=booking,
        credit_note=credit_note,
        credit_note_url=business.url(
            "accounting.client_receipt",
            lang=booking.lang,
            token=booking.manage_token,
            number=credit_note.number,
        ),
    )
