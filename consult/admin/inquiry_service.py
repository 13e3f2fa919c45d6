"""Her answers to speaking inquiries: each reply is kept on the inquiry's thread and queued
in the outbox with its cause, in the same transaction as the status it moves the inquiry to.

Nothing is sent here: the worker delivers the outbox after the commit.
"""

from flask_babel import gettext as _

from ..audit import record
from ..content.models import FROM_ORGANISER, FROM_OWNER, InquiryMessage
from ..database import write
from ..mail.outbox import queue_templated


def _message(session, user, inquiry, sender, body, status_after, now):
    message = InquiryMessage(
        inquiry=inquiry,
        sender=sender,
        body=body,
        user_id=getattr(user, "id", None),
        status_after=status_after,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def reply(session, user, inquiry, body, status, now, *, business):
    """Send her reply to the organiser and move the inquiry to `status`.

    Raises IllegalInquiryTransition (nothing is written) when the inquiry cannot go there.
    """
    with write(session):
        before = inquiry.status
        inquiry.transition(status, now)
        inquiry.updated_at = now
        moved = inquiry.status if inquiry.status != before else ""
        message = _message(session, user, inquiry, FROM_OWNER, body, moved, now)
        message.outbox_message = queue_templated(
            inquiry.email,
            "admin_inquiry_reply",
            inquiry.lang,
            subject=lambda: _(
                "Your speaking inquiry: %(owner)s's answer", owner=business.owner_name
            ),
            topic=f"admin.inquiry_reply:{inquiry.id}:{message.id}",
            inquiry=inquiry,
            reply=message,
            owner=business.owner_name,
        )
        session.flush()
        record(
            session,
            user,
            "inquiry.reply",
            inquiry,
            {"status": before},
            {"status": inquiry.status, "message": message.id},
        )
    return message


def note_answer(session, user, inquiry, body, now):
    """Keep on the thread what the organiser answered by email (nothing is sent)."""
    with write(session):
        message = _message(session, user, inquiry, FROM_ORGANISER, body, "", now)
        inquiry.updated_at = now
        record(session, user, "inquiry.note", inquiry, None, {"message": message.id})
    return message


def set_status(session, user, inquiry, status, now):
    """Move the inquiry without writing to anyone (booked by phone, declined in person)."""
    with write(session):
        before = inquiry.status
        inquiry.transition(status, now)
        if inquiry.status != before:
            record(session, user, "inquiry.status", inquiry, {"status": before}, {"status": status})
    return inquiry.status != before
