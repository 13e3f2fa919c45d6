"""The outbox: messages commit with what caused them, then go out by file or real SMTP."""

import email
import email.header
import socket

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from consult.extensions import db
from consult.mail.models import QUEUED, SENT, OutboxMessage
from consult.mail.outbox import deliver_queued, queue


class Inbox(Message):
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def smtp_config(app, port):
    app.config.update(
        MAIL_TRANSPORT="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False
    )


def statuses(app):
    with app.app_context():
        return [m.status for m in db.session.scalars(sa.select(OutboxMessage))]


def test_a_rolled_back_change_sends_no_mail(app):
    with app.app_context():
        queue("a@example.org", "Hello", "Body")
        db.session.rollback()
        assert deliver_queued() == (0, 0)
    assert statuses(app) == []


def test_queued_mail_goes_out_through_a_real_smtp_server(app, smtp_server):
    controller, inbox = smtp_server
    smtp_config(app, controller.port)
    with app.app_context():
        queue(
            "prospect@example.org",
            "Votre séance est confirmée",
            "Bonjour,\nÀ bientôt.",
            html_body="<p>Bonjour</p>",
            attachments=[
                {
                    "filename": "invitation.ics",
                    "content_type": "text/calendar; method=REQUEST",
                    "content": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                }
            ],
        )
        db.session.commit()
        assert deliver_queued() == (1, 0)
    assert statuses(app) == [SENT]
    (received,) = inbox.messages
    assert received["To"] == "prospect@example.org"
    subject = email.header.make_header(email.header.decode_header(received["Subject"]))
    assert str(subject) == "Votre séance est confirmée"
    parts = {part.get_content_type(): part for part in received.walk()}
    assert "Bonjour" in parts["text/plain"].get_payload(decode=True).decode()
    assert parts["text/calendar"].get_filename() == "invitation.ics"
    assert parts["text/calendar"].get_param("method") == "REQUEST"


def test_a_failed_delivery_stays_queued_with_its_error_and_is_retried(app, runner, smtp_server):
    controller, inbox = smtp_server
    smtp_config(app, free_port())  # nobody listens there
    with app.app_context():
        queue("a@example.org", "Hello", "Body")
        db.session.commit()
    result = runner.invoke(args=["consult", "send-mail"])
    assert result.exit_code == 1
    assert "1 failed" in result.output
    with app.app_context():
        message = db.session.scalar(sa.select(OutboxMessage))
        assert message.status == QUEUED
        assert message.attempts == 1
        assert "ConnectionRefusedError" in message.last_error

    smtp_config(app, controller.port)
    assert runner.invoke(args=["consult", "send-mail"]).exit_code == 0
    assert runner.invoke(args=["consult", "send-mail"]).output.startswith("Sent 0")
    assert len(inbox.messages) == 1
    assert statuses(app) == [SENT]


def test_the_local_default_writes_eml_files_to_the_outbox_folder(app, tmp_path):
    with app.app_context():
        message = queue("a@example.org", "Bonjour", "Corps du message")
        db.session.commit()
        deliver_queued()
        path = f"{app.instance_path}/outbox/{message.id:06d}.eml"
    with open(path, "rb") as handle:
        parsed = email.message_from_binary_file(handle)
    assert parsed["Subject"] == "Bonjour"
