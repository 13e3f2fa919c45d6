"""Queue messages with what caused them, then deliver: files locally, SMTP in production."""

import os
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound

from ..extensions import db, utcnow
from .models import QUEUED, SENT, OutboxMessage


def queue(to, subject, text_body, html_body=None, attachments=(), topic=""):
    """Add a message to the session; it is sent only if the caller's transaction commits."""
    message = OutboxMessage(
        to=to,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        attachments=list(attachments),
        topic=topic,
    )
    db.session.add(message)
    return message


def queue_templated(to, template, lang, subject, attachments=(), topic="", **context):
    """Render templates/mail/<template>.txt (and .html when present) in the reader's language.

    `subject` is a callable so that it, too, is translated in `lang`.
    """
    with force_locale(lang):
        text = render_template(f"mail/{template}.txt", lang=lang, **context)
        try:
            html = render_template(f"mail/{template}.html", lang=lang, **context)
        except TemplateNotFound:
            html = None
        title = subject() if callable(subject) else subject
    return queue(to, title, text, html, attachments, topic)


def build_email(message, sender):
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain="consult.local")
    email.set_content(message.text_body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    for item in message.attachments:
        maintype, _, subtype = item["content_type"].partition("/")
        subtype, *params = subtype.split(";")
        extra = {}
        for param in params:
            key, _, value = param.strip().partition("=")
            extra[key] = value
        email.add_attachment(
            item["content"].encode(),
            maintype=maintype,
            subtype=subtype,
            filename=item["filename"],
            params=extra,
        )
    return email


class FileTransport:
    """Writes each message as a .eml file in instance/outbox (the local default)."""

    def __init__(self, folder):
        self.folder = folder

    def send(self, message_id, email):
        os.makedirs(self.folder, exist_ok=True)
        path = os.path.join(self.folder, f"{message_id:06d}.eml")
        with open(path, "wb") as handle:
            handle.write(bytes(email))


class SMTPTransport:
    def __init__(self, config):
        self.config = config

    def send(self, message_id, email):
        config = self.config
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=20) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USERNAME"]:
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
            smtp.send_message(email)


def transport_for(config):
    if config["MAIL_TRANSPORT"] == "smtp":
        return SMTPTransport(config)
    return FileTransport(os.path.join(current_app.instance_path, "outbox"))


def deliver_queued(limit=100):
    """Send queued messages; a failure stays queued with its error for the next run.

    Safe to run twice at once: on PostgreSQL each message is locked while it is sent.
    Returns (sent, failed).
    """
    config = current_app.config
    transport = transport_for(config)
    query = (
        sa.select(OutboxMessage)
        .where(OutboxMessage.status == QUEUED)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    sent = failed = 0
    for message in db.session.scalars(query).all():
        message.attempts += 1
        try:
            transport.send(message.id, build_email(message, config["MAIL_FROM"]))
        except (OSError, smtplib.SMTPException) as error:
            message.last_error = f"{type(error).__name__}: {error}"
            failed += 1
            current_app.logger.warning("mail %s to %s failed: %s", message.id, message.to, error)
        else:
            message.status = SENT
            message.sent_at = utcnow()
            message.last_error = None
            sent += 1
    db.session.commit()
    return sent, failed


def deliver_after_commit():
    """Best effort right after a request's commit; the CLI retries anything left."""
    try:
        deliver_queued()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("delivering queued mail failed; it stays queued")
