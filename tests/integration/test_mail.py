"""The outbox: messages commit with what caused them; a worker claims, sends and records them.

Delivery runs against a real SMTP server on loopback (aiosmtpd), a server that refuses some
recipients, and one that accepts connections and never answers.
"""

import email
import email.header
import socket
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from consult.database import NetworkInsideWrite, write
from consult.extensions import db, utcnow
from consult.mail.models import FAILED, QUEUED, SENDING, SENT, OutboxMessage
from consult.mail.outbox import (
    CLAIM_LEASE,
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    FileTransport,
    build_email,
    claim,
    deliver_one,
    deliver_queued,
    queue,
)

LATER = timedelta(days=2)  # past every backoff delay


class Inbox(Message):
    """An aiosmtpd handler that keeps every message it receives and refuses some recipients."""

    #: Recipients refused for good (550) and for now (451).
    GONE, BUSY = "gone@example.org", "busy@example.org"

    def __init__(self):
        super().__init__()
        self.messages = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.GONE:
            return "550 5.1.1 No such mailbox"
        if address == self.BUSY:
            return "451 4.3.0 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def handle_message(self, message):
        with self.lock:
            self.messages.append(message)

    def subjects(self):
        return sorted(str(m["Subject"]) for m in self.messages)


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


@pytest.fixture
def silent_server():
    """A server that accepts TCP connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for connection in held:
        connection.close()
    listener.close()


def smtp_config(app, port, timeout=10):
    app.config.update(
        MAIL_TRANSPORT="smtp",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=port,
        SMTP_STARTTLS=False,
        SMTP_TIMEOUT_SECONDS=timeout,
    )


def queued(app, *messages):
    """Queue (to, subject) pairs in one committed transaction; returns their ids."""
    with app.app_context():
        with write(db.session):
            rows = [queue(to, subject, f"Body of {subject}") for to, subject in messages]
        return [row.id for row in rows]


def deliver(app, **options):
    with app.app_context():
        return deliver_queued(**options)


def rows(app):
    with app.app_context():
        found = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return found


def statuses(app):
    return [row.status for row in rows(app)]


def test_a_rolled_back_change_sends_no_mail(app):
    with app.app_context():
        queue("a@example.org", "Hello", "Body")
        db.session.rollback()
        assert deliver_queued().sent == 0
    assert statuses(app) == []


def test_queued_mail_goes_out_through_a_real_smtp_server(app, smtp_server):
    controller, inbox = smtp_server
    smtp_config(app, controller.port)
    app.config["SITE_URL"] = "https://camille.example.com"
    with app.app_context(), write(db.session):
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
    outcome = deliver(app)
    assert (outcome.sent, outcome.failed, outcome.deferred) == (1, 0, 0)
    assert statuses(app) == [SENT]
    (received,) = inbox.messages
    assert received["To"] == "prospect@example.org"
    subject = email.header.make_header(email.header.decode_header(received["Subject"]))
    assert str(subject) == "Votre séance est confirmée"
    assert received["Message-ID"].endswith("@camille.example.com>")
    assert email.utils.parsedate_to_datetime(received["Date"]).tzinfo is not None
    parts = {part.get_content_type(): part for part in received.walk()}
    assert "Bonjour" in parts["text/plain"].get_payload(decode=True).decode()
    assert parts["text/calendar"].get_filename() == "invitation.ics"
    assert parts["text/calendar"].get_param("method") == "REQUEST"


def test_a_line_break_a_visitor_typed_never_reaches_a_header(app):
    with app.app_context(), write(db.session):
        queue(
            "  jeanne@example.org\r\nBcc: everyone@example.org ",
            "Demande de Jeanne\r\nBcc: everyone@example.org\x00\u2028" + "x" * 400,
            "Body",
        )
    (row,) = rows(app)
    assert row.to == "jeanne@example.org Bcc: everyone@example.org"
    assert row.subject.startswith("Demande de Jeanne Bcc: everyone@example.org x")
    assert len(row.subject) == 255
    assert not any(ord(char) < 32 for char in row.to + row.subject)


def test_the_local_default_writes_eml_files_to_the_outbox_folder(app):
    (message_id,) = queued(app, ("a@example.org", "Bonjour"))
    assert deliver(app).sent == 1
    path = f"{app.instance_path}/outbox/{message_id:06d}.eml"
    with open(path, "rb") as handle:
        parsed = email.message_from_binary_file(handle)
    assert parsed["Subject"] == "Bonjour"
    assert parsed["Message-ID"].endswith("@localhost>")


def test_every_attempt_builds_the_same_message_id(app):
    queued(app, ("a@example.org", "Bonjour"))
    (row,) = rows(app)
    first = build_email(row, "site@example.org", "example.com")
    again = build_email(row, "site@example.org", "example.com")
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Date"] == again["Date"]


def test_an_unbuildable_message_fails_alone_and_the_rest_go_out_exactly_once(app, smtp_server):
    controller, inbox = smtp_server
    smtp_config(app, controller.port)
    queued(app, ("a@example.org", "First"))
    with app.app_context(), write(db.session):
        # A row written before queue() cleaned headers: its subject cannot become a header.
        db.session.add(
            OutboxMessage(
                to="b@example.org",
                subject="Hello\r\nBcc: everyone@example.org",
                text_body="Body",
                next_attempt_at=utcnow(),
            )
        )
    queued(app, ("not an address", "Third"), ("d@example.org", "Fourth"))

    first = deliver(app)
    again = deliver(app, now=utcnow() + LATER)
    assert (first.sent, first.failed, first.deferred) == (2, 2, 0)
    assert (again.sent, again.failed, again.deferred) == (0, 0, 0)
    assert inbox.subjects() == ["First", "Fourth"]
    header, address = [row for row in rows(app) if row.status == FAILED]
    assert "linefeed" in header.last_error and header.failed_at is not None
    assert "invalid recipient address" in address.last_error
    assert statuses(app) == [SENT, FAILED, FAILED, SENT]


def test_a_recipient_refused_for_good_fails_and_one_refused_for_now_waits(app, smtp_server):
    controller, inbox = smtp_server
    smtp_config(app, controller.port)
    queued(app, (Inbox.GONE, "Gone"), (Inbox.BUSY, "Busy"), ("c@example.org", "Fine"))

    deliver(app)
    deliver(app)  # the run ended at the deferred message; the next one sends the rest
    gone, busy, fine = rows(app)
    assert gone.status == FAILED and "550" in gone.last_error
    assert busy.status == QUEUED and "451" in busy.last_error
    assert busy.next_attempt_at > utcnow() + RETRY_DELAYS[0] - timedelta(seconds=5)
    assert fine.status == SENT
    assert inbox.subjects() == ["Fine"]


def test_a_failed_delivery_waits_with_its_error_then_goes_out_exactly_once(
    app, runner, smtp_server
):
    controller, inbox = smtp_server
    smtp_config(app, free_port())  # nobody listens there
    queued(app, ("a@example.org", "Hello"))
    result = runner.invoke(args=["consult", "send-mail"])
    assert result.exit_code == 1
    assert "1 failed and wait for a retry" in result.output
    (message,) = rows(app)
    assert message.status == QUEUED
    assert message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at > utcnow() + timedelta(seconds=20)

    smtp_config(app, controller.port)
    assert runner.invoke(args=["consult", "send-mail"]).output.startswith("Sent 0")
    assert deliver(app, now=utcnow() + RETRY_DELAYS[0]).sent == 1
    assert runner.invoke(args=["consult", "send-mail"]).exit_code == 0
    assert len(inbox.messages) == 1
    assert statuses(app) == [SENT]


def test_a_server_that_never_answers_is_given_up_on_within_the_timeout(
    app, smtp_server, silent_server
):
    controller, inbox = smtp_server
    smtp_config(app, silent_server, timeout=0.5)
    queued(app, *[(f"p{n}@example.org", f"Message {n}") for n in range(4)])

    started = time.monotonic()
    outcome = deliver(app)
    assert time.monotonic() - started < 3
    assert (outcome.sent, outcome.deferred) == (0, 1)
    tried, *waiting = rows(app)
    assert tried.status == QUEUED and "timed out" in tried.last_error
    assert tried.next_attempt_at > utcnow()
    # The others were not held up behind it: each waits for the next run, unclaimed.
    assert {(row.status, row.attempts, row.claim_token) for row in waiting} == {(QUEUED, 0, None)}

    smtp_config(app, controller.port)
    for _ in range(3):
        deliver(app, now=utcnow() + LATER)
    assert statuses(app) == [SENT] * 4
    assert inbox.subjects() == [f"Message {n}" for n in range(4)]


def test_transient_failures_back_off_then_fail_at_the_cap(app):
    class Down:
        def send(self, message_id, email):
            raise ConnectionRefusedError("down")

    queued(app, ("a@example.org", "Hello"))
    now = utcnow()
    waits = []
    with app.app_context():
        for _ in range(MAX_ATTEMPTS):
            (claimed,) = claim(db.session, now)
            deliver_one(
                db.session,
                claimed,
                transport=Down(),
                sender="s@example.org",
                domain="example.org",
                now=now,
            )
            row = db.session.get(OutboxMessage, claimed.id)
            db.session.refresh(row)
            if row.status == QUEUED:
                waits.append(row.next_attempt_at - now)
                assert claim(db.session, now + waits[-1] - timedelta(seconds=1)) == []
                now = row.next_attempt_at
    assert waits == list(RETRY_DELAYS)
    assert row.status == FAILED
    assert row.last_error.startswith(f"gave up after {MAX_ATTEMPTS} attempts")


def test_a_crashed_workers_claim_is_taken_again_once_its_lease_ends(app, smtp_server):
    controller, inbox = smtp_server
    smtp_config(app, controller.port)
    queued(app, ("a@example.org", "Hello"))
    now = utcnow()
    with app.app_context():
        (crashed,) = claim(db.session, now)  # ... and the worker died before sending
        assert claim(db.session, now + CLAIM_LEASE - timedelta(seconds=1)) == []
        (retaken,) = claim(db.session, now + CLAIM_LEASE)
        assert retaken.token != crashed.token and retaken.attempts == 2
        (row,) = db.session.scalars(sa.select(OutboxMessage)).all()
        assert row.status == SENDING
    assert deliver(app, now=now + CLAIM_LEASE).sent == 0  # still claimed by the second one

    with app.app_context():
        transport = FileTransport(f"{app.instance_path}/outbox")
        options = {"transport": transport, "sender": "s@example.org", "domain": "example.org"}
        assert deliver_one(db.session, retaken, now=now, **options) == SENT
        # The first worker wakes up: its outcome is not recorded over the second one's.
        deliver_one(db.session, crashed, now=now, **options)
    (row,) = rows(app)
    assert (row.status, row.attempts, row.claim_token) == (SENT, 2, None)


@pytest.mark.parametrize("workers", [2])
def test_two_workers_at_once_never_send_one_message_twice(app, smtp_server, workers):
    controller, inbox = smtp_server
    smtp_config(app, controller.port)
    count = 30
    queued(app, *[(f"p{n}@example.org", f"Message {n:02d}") for n in range(count)])
    start = threading.Barrier(workers)
    errors = []

    def work():
        start.wait()
        try:
            with app.app_context():
                while deliver_queued(limit=3).sent:
                    pass
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert statuses(app) == [SENT] * count
    assert inbox.subjects() == [f"Message {n:02d}" for n in range(count)]


def test_no_transport_sends_inside_a_write_transaction(app):
    queued(app, ("a@example.org", "Hello"))
    (row,) = rows(app)
    email_message = build_email(row, "s@example.org", "example.org")
    with app.app_context(), write(db.session), pytest.raises(NetworkInsideWrite):
        FileTransport(f"{app.instance_path}/outbox").send(row.id, email_message)


def test_send_mail_exits_1_when_a_message_failed_for_good(app, runner):
    queued(app, ("not an address", "Hello"), ("b@example.org", "Fine"))
    result = runner.invoke(args=["consult", "send-mail"])
    assert result.exit_code == 1
    assert "Sent 1 message(s); 0 failed and wait for a retry, 1 failed for good." in result.output


def test_the_owner_sees_a_failed_message_with_its_error_and_retries_it(app, client, auth):
    queued(app, ("not an address", "Votre reçu"), ("b@example.org", "Fine"))
    deliver(app)
    auth.login("owner")
    page = client.get("/fr/admin/mail")
    assert page.status_code == 200
    assert "Votre reçu" in page.text and "invalid recipient address" in page.text
    assert "Fine" not in page.text

    failed = next(row for row in rows(app) if row.status == FAILED)
    response = client.post(f"/fr/admin/mail/{failed.id}/retry")
    assert response.status_code == 302
    row = next(row for row in rows(app) if row.id == failed.id)
    assert (row.status, row.attempts, row.failed_at) == (QUEUED, 0, None)
    sent = next(row for row in rows(app) if row.status == SENT)
    assert client.post(f"/fr/admin/mail/{sent.id}/retry").status_code == 302
    assert next(row for row in rows(app) if row.id == sent.id).status == SENT


def test_only_the_owner_reaches_the_mail_desk(app, client, auth):
    (message_id,) = queued(app, ("a@example.org", "Hello"))
    assert client.get("/fr/admin/mail").status_code in (302, 401, 403)
    assert client.post(f"/fr/admin/mail/{message_id}/retry").status_code in (302, 401, 403)
    auth.login("accountant")
    assert client.get("/fr/admin/mail").status_code == 403
    assert client.post(f"/fr/admin/mail/{message_id}/retry").status_code == 403
