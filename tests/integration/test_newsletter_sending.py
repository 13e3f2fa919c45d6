"""Sending an issue: one delivery per active reader, in her language, through a real SMTP
server on loopback; nobody mailed twice across a crash; the rate obeyed; refusals, delivery
reports and complaints mark the reader bounced."""

import email
import email.policy
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa

from consult.content.models import PUBLISHED, SCHEDULED, Article
from consult.database import write
from consult.extensions import db, utcnow
from consult.newsletter import bounces, links, sending
from consult.newsletter.models import (
    ACTIVE,
    BOUNCED,
    CLAIMED,
    DELIVERED,
    FAILED,
    FROM_ARTICLE,
    IN_FLIGHT,
    PENDING,
    QUEUED,
    SENDING,
    SENT,
    SKIPPED,
    UNSUBSCRIBED,
    Delivery,
    Issue,
    Subscriber,
)
from consult.newsletter.models import DRAFT as ISSUE_DRAFT
from consult.newsletter.models import SCHEDULED as ISSUE_SCHEDULED
from consult.worker import JOBS
from tests.newsletter_support import (
    Sink,
    make_issue,
    make_reader,
    smtp_settings,
    start_sink,
)

FLASK = str(Path(sys.executable).with_name("flask"))
SITE = "https://camille.example.com"


@pytest.fixture
def app_config():
    return {"SITE_URL": SITE, "NEWSLETTER_RATE_PER_SECOND": 0}


@pytest.fixture
def sink(app):
    controller, handler = start_sink()
    app.config.update(smtp_settings(controller.port))
    yield handler
    handler.hold.set()
    controller.stop()


def readers(app, *specs):
    """specs: (email, lang, status); returns their ids."""
    with app.app_context(), write(db.session):
        made = [make_reader(db.session, address, lang, status) for address, lang, status in specs]
        return [reader.id for reader in made]


def an_issue(app, **fields):
    with app.app_context(), write(db.session):
        return make_issue(db.session, **fields).id


def queue(app, issue_id, now=None):
    with app.app_context():
        return sending.queue_issue(db.session, db.session.get(Issue, issue_id), now or utcnow())


def send(app, **options):
    with app.app_context():
        return sending.send_due(**options)


def deliveries(app):
    with app.app_context():
        rows = db.session.execute(
            sa.select(Subscriber.email, Delivery.status, Delivery.langs, Delivery.last_error)
            .join(Subscriber)
            .order_by(Subscriber.email)
        ).all()
        return {email_: (status, langs, error) for email_, status, langs, error in rows}


def issue_row(app, issue_id):
    with app.app_context():
        issue = db.session.get(Issue, issue_id)
        db.session.expunge(issue)
        return issue


def reader_row(app, address):
    with app.app_context():
        found = db.session.scalar(sa.select(Subscriber).where(Subscriber.email_key == address))
        db.session.expunge(found)
        return found


def parts(message):
    found = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            found[part.get_content_type()] = part.get_payload(decode=True).decode()
    return found


def by_recipient(sink):
    return {str(message["To"]): message for message in sink.messages}


# ----------------------------------------------------------------------------- the email


def test_each_active_reader_gets_the_issue_in_her_language_with_her_own_links(app, sink):
    ids = readers(
        app,
        ("fr@example.org", "fr", ACTIVE),
        ("en@example.org", "en", ACTIVE),
        ("both@example.org", "both", ACTIVE),
    )
    issue_id = an_issue(app)
    assert queue(app, issue_id) == 3
    run = send(app)
    assert (run.sent, run.failed, run.skipped) == (3, 0, 0)
    assert sink.sessions == 1, "one SMTP session for the batch"
    received = by_recipient(sink)
    assert set(received) == {"fr@example.org", "en@example.org", "both@example.org"}

    french = parts(received["fr@example.org"])
    assert "Bonjour" in french["text/plain"] and "Hello" not in french["text/plain"]
    assert '<html lang="fr">' in french["text/html"]
    english = parts(received["en@example.org"])
    assert "Hello" in english["text/html"] and "Bonjour" not in english["text/html"]
    assert '<html lang="en">' in english["text/html"]
    both = parts(received["both@example.org"])
    assert "Bonjour" in both["text/html"] and "Hello" in both["text/html"]
    assert '<section class="version" lang="en"' in both["text/html"]

    with app.test_request_context():
        addresses = ("fr@example.org", "en@example.org", "both@example.org")
        for reader_id, address in zip(ids, addresses, strict=True):
            reader = db.session.get(Subscriber, reader_id)
            message = received[address]
            leave = links.unsubscribe_url(reader)
            assert leave.startswith(SITE + "/")
            assert message["List-Unsubscribe"] == (
                f"<{leave}>, <mailto:owner@example.com?subject=unsubscribe>"
            )
            assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            assert "camille.example.com" in message["List-Id"]
            assert message["Message-ID"].endswith("@camille.example.com>")
            assert message["Date"]
            body = parts(message)
            assert leave in body["text/plain"] and leave in body["text/html"]
            assert links.preferences_url(reader) in body["text/html"]


def test_the_email_links_back_absolute_without_trackers_and_has_no_pixel(app, sink):
    readers(app, ("fr@example.org", "fr", ACTIVE))
    queue(app, an_issue(app))
    send(app)
    (message,) = sink.messages
    html = parts(message)["text/html"]
    text = parts(message)["text/plain"]
    assert f'href="{SITE}/fr/articles/x?a=1"' in html
    assert "utm_" not in html
    assert f"]({SITE}/fr/articles/x?a=1)" in text
    assert "utm_" not in text
    assert "<img" not in html, "no open-tracking pixel"
    assert "header-anchor" not in html
    assert "Montréal (Québec)" in html and "Camille Lavoie" in text
    assert ">Les nouvelles d'automne</h1>" in html.replace("&#39;", "'")


def test_pending_unsubscribed_and_bounced_readers_get_nothing(app, sink):
    readers(
        app,
        ("active@example.org", "fr", ACTIVE),
        ("pending@example.org", "fr", PENDING),
        ("left@example.org", "fr", UNSUBSCRIBED),
        ("bounced@example.org", "fr", BOUNCED),
        ("english@example.org", "en", ACTIVE),
    )
    issue_id = an_issue(app, subject_en="", body_md_en="", body_html_en="")
    assert queue(app, issue_id) == 1
    send(app)
    assert list(sink.per_recipient()) == ["active@example.org"]
    issue = issue_row(app, issue_id)
    assert (issue.status, issue.recipients) == (SENT, 1)
    assert issue.finished_at is not None


def test_an_issue_is_queued_once(app):
    readers(app, ("fr@example.org", "fr", ACTIVE))
    issue_id = an_issue(app)
    queue(app, issue_id)
    with pytest.raises(sending.AlreadySent):
        queue(app, issue_id)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 1


def test_a_reader_who_leaves_before_her_turn_is_skipped(app, sink):
    readers(app, ("stays@example.org", "fr", ACTIVE), ("leaves@example.org", "fr", ACTIVE))
    queue(app, an_issue(app))
    with app.app_context(), write(db.session):
        db.session.execute(
            sa.update(Subscriber)
            .where(Subscriber.email_key == "leaves@example.org")
            .values(status=UNSUBSCRIBED, unsubscribed_at=utcnow())
        )
    run = send(app)
    assert (run.sent, run.skipped) == (1, 1)
    assert deliveries(app)["leaves@example.org"][0] == SKIPPED
    assert list(sink.per_recipient()) == ["stays@example.org"]


# ----------------------------------------------------------------------------- refusals


def test_a_5xx_refusal_fails_the_delivery_and_bounces_the_reader(app, sink):
    readers(app, (Sink.GONE, "fr", ACTIVE), ("fine@example.org", "fr", ACTIVE))
    issue_id = an_issue(app)
    queue(app, issue_id)
    run = send(app)
    assert (run.sent, run.failed, run.bounced) == (1, 1, 1)
    status, _, error = deliveries(app)[Sink.GONE]
    assert status == FAILED and "550" in error
    gone = reader_row(app, Sink.GONE)
    assert (gone.status, gone.bounce_kind) == (BOUNCED, "bounce")
    assert "550" in gone.bounce_detail and "No such mailbox" in gone.bounce_detail
    assert issue_row(app, issue_id).status == SENT
    # A later issue does not go to her.
    queue(app, an_issue(app))
    send(app)
    assert sink.per_recipient()[Sink.GONE] == 0


def test_a_transient_refusal_requeues_with_a_backoff_and_ends_the_run(app, sink):
    readers(app, (Sink.BUSY, "fr", ACTIVE), ("later@example.org", "fr", ACTIVE))
    issue_id = an_issue(app)
    queue(app, issue_id)
    now = utcnow()
    run = send(app, now=now)
    assert (run.sent, run.deferred) == (0, 1)
    rows = deliveries(app)
    assert rows[Sink.BUSY][0] == QUEUED and "451" in rows[Sink.BUSY][2]
    assert rows["later@example.org"][0] == QUEUED, "the rest waits for the next run"
    assert reader_row(app, Sink.BUSY).status == ACTIVE
    assert issue_row(app, issue_id).status == SENDING
    with app.app_context():
        wait = db.session.scalar(
            sa.select(Delivery.next_attempt_at)
            .join(Subscriber)
            .where(Subscriber.email == Sink.BUSY)
        )
    assert wait >= now + sending.RETRY_DELAYS[0]
    assert send(app, now=now).sent == 1  # the other one; hers is not due yet


# ----------------------------------------------------------------------------- crashes


def test_an_ended_lease_requeues_a_claim_and_fails_a_cut_off_send(app, sink):
    readers(app, ("claimed@example.org", "fr", ACTIVE), ("cut@example.org", "fr", ACTIVE))
    queue(app, an_issue(app))
    before = utcnow() - sending.LEASE - timedelta(minutes=1)
    with app.app_context(), write(db.session):
        for address, status in (("claimed@example.org", CLAIMED), ("cut@example.org", IN_FLIGHT)):
            reader_id = db.session.scalar(
                sa.select(Subscriber.id).where(Subscriber.email_key == address)
            )
            db.session.execute(
                sa.update(Delivery)
                .where(Delivery.subscriber_id == reader_id)
                .values(status=status, claim_token="dead", claim_expires_at=before)
            )
    run = send(app)
    assert (run.sent, run.interrupted) == (1, 1)
    rows = deliveries(app)
    assert rows["claimed@example.org"][0] == DELIVERED
    assert rows["cut@example.org"][0] == FAILED
    assert rows["cut@example.org"][2] == sending.INTERRUPTED
    assert sink.per_recipient() == {"claimed@example.org": 1}
    assert send(app, now=utcnow() + timedelta(days=3)).sent == 0


def test_a_lease_still_running_is_left_to_its_worker(app, sink):
    readers(app, ("busy@elsewhere.org", "fr", ACTIVE))
    queue(app, an_issue(app))
    with app.app_context(), write(db.session):
        db.session.execute(
            sa.update(Delivery).values(
                status=IN_FLIGHT, claim_token="other", claim_expires_at=utcnow() + sending.LEASE
            )
        )
    assert send(app).sent == 0
    assert deliveries(app)["busy@elsewhere.org"][0] == IN_FLIGHT
    assert sink.messages == []


def test_a_server_silent_while_taking_a_message_fails_it_and_never_resends(app, sink):
    readers(app, ("first@example.org", "fr", ACTIVE), ("second@example.org", "fr", ACTIVE))
    queue(app, an_issue(app))
    app.config["SMTP_TIMEOUT_SECONDS"] = 0.5
    sink.hold.clear()  # DATA gets no answer: the server may or may not keep the message
    run = send(app)
    assert (run.sent, run.failed, run.interrupted) == (0, 1, 1)
    rows = deliveries(app)
    (cut,) = [address for address, row in rows.items() if row[0] == FAILED]
    assert rows[cut][2].startswith(sending.UNANSWERED)
    others = [row[0] for address, row in rows.items() if address != cut]
    assert others == [QUEUED], "the rest waits for the next run"
    sink.hold.set()
    app.config["SMTP_TIMEOUT_SECONDS"] = 10
    assert send(app).sent == 1
    assert send(app, now=utcnow() + timedelta(days=3)).sent == 0
    assert sink.per_recipient()[cut] <= 1


def _wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_sender_killed_mid_send_and_restarted_mails_nobody_twice(app, sink):
    addresses = [f"reader{n}@example.org" for n in range(1, 6)]
    readers(app, *((address, "fr", ACTIVE) for address in addresses))
    issue_id = an_issue(app)
    queue(app, issue_id)
    with app.app_context():
        db.engine.dispose()
    settings = {
        key: app.config[key]
        for key in (
            "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "SITE_URL", "MAIL_TRANSPORT", "SMTP_HOST",
            "SMTP_PORT", "SMTP_STARTTLS", "SMTP_TIMEOUT_SECONDS", "TESTING",
        )
    }  # fmt: skip
    settings.update(INSTANCE_PATH=app.instance_path, NEWSLETTER_RATE_PER_SECOND=0)
    target = f"consult:create_app({settings!r})"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONSULT_")}
    sink.hold.clear()  # the first message waits in DATA: the sender is mid-send
    sender = subprocess.Popen(
        [FLASK, "--app", target, "consult", "send-newsletter"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        reached = _wait_for(lambda: sink.waiting.is_set() or sender.poll() is not None)
        sender.send_signal(signal.SIGKILL)
        _, errors = sender.communicate(timeout=10)
        assert reached and sink.waiting.is_set(), errors.decode()
    finally:
        if sender.poll() is None:
            sender.kill()
            sender.communicate()
    rows = deliveries(app)
    assert sorted(status for status, _, _ in rows.values()) == [CLAIMED] * 4 + [IN_FLIGHT]
    cut_off = next(address for address, row in rows.items() if row[0] == IN_FLIGHT)

    # The server answers the dead session at last (it may keep that copy, as a real one
    # can); the sender is restarted once the dead one's lease has ended.
    sink.hold.set()
    run = send(app, now=utcnow() + sending.LEASE + timedelta(seconds=1))
    assert (run.sent, run.interrupted) == (4, 1)
    assert send(app, now=utcnow() + timedelta(days=3)).sent == 0
    counts = sink.per_recipient()
    assert all(counts[address] <= 1 for address in addresses), counts
    assert all(counts[address] == 1 for address in addresses if address != cut_off), counts
    assert deliveries(app)[cut_off][0:3:2] == (FAILED, sending.INTERRUPTED)
    assert issue_row(app, issue_id).status == SENT


# ----------------------------------------------------------------------------- pace, stop


class FakeTime:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_the_rate_setting_is_obeyed(app, monkeypatch):
    readers(app, *((f"r{n}@example.org", "fr", ACTIVE) for n in range(12)))
    queue(app, an_issue(app))
    fake = FakeTime()
    stamps = []
    from consult.mail.outbox import FileTransport

    real_send = FileTransport.send_bytes

    def timed_send(self, *args):
        stamps.append(fake.now)
        real_send(self, *args)

    monkeypatch.setattr(FileTransport, "send_bytes", timed_send)
    app.config["NEWSLETTER_BATCH_SIZE"] = 5
    pace = sending.Pace(4, clock=fake.clock, sleep=fake.sleep)
    run = send(app, pace=pace)
    assert run.sent == 12 and len(stamps) == 12
    for first, fifth in zip(stamps, stamps[4:], strict=False):
        assert fifth - first >= 1.0 - 1e-9, "at most 4 messages in any second"
    assert stamps[-1] - stamps[0] == pytest.approx(11 / 4)


def test_no_cap_means_no_wait():
    fake = FakeTime()
    pace = sending.Pace(0, clock=fake.clock, sleep=fake.sleep)
    for _ in range(100):
        assert pace.wait()
        pace.sent()
    assert fake.sleeps == []


def test_a_stop_between_two_messages_gives_the_rest_back(app, sink):
    readers(app, *((f"r{n}@example.org", "fr", ACTIVE) for n in range(4)))
    queue(app, an_issue(app))
    sent = []
    run = send(app, should_stop=lambda: len(sink.messages) >= 2 or sent.append(1))
    assert run.stopped and run.sent == 2
    statuses = sorted(status for status, _, _ in deliveries(app).values())
    assert statuses == [QUEUED, QUEUED, DELIVERED, DELIVERED]


def test_a_wait_for_the_rate_ends_when_asked_to_stop():
    fake = FakeTime()
    pace = sending.Pace(1, clock=fake.clock, sleep=fake.sleep)
    pace.sent()
    asked = []
    assert not pace.wait(lambda: len(asked) > 2 or asked.append(1))
    assert sum(fake.sleeps) < 1


# ----------------------------------------------------------------------------- schedules


def test_a_scheduled_issue_goes_out_when_due_and_not_before(app, sink):
    readers(app, ("fr@example.org", "fr", ACTIVE))
    issue_id = an_issue(app)
    now = utcnow()
    with app.app_context():
        sending.schedule(db.session, db.session.get(Issue, issue_id), now + timedelta(hours=2), now)
    assert send(app, now=now + timedelta(hours=1)).sent == 0
    assert issue_row(app, issue_id).status == ISSUE_SCHEDULED
    run = send(app, now=now + timedelta(hours=2, seconds=1))
    assert (run.queued_issues, run.sent) == (1, 1)
    assert issue_row(app, issue_id).status == SENT


def test_editing_a_sent_issue_is_refused(app):
    readers(app, ("fr@example.org", "fr", ACTIVE))
    issue_id = an_issue(app)
    queue(app, issue_id)
    with app.app_context(), pytest.raises(sending.AlreadySent):
        sending.schedule(db.session, db.session.get(Issue, issue_id), utcnow(), utcnow())


def _article(session, lang, slug, status, published_at, translation=None):
    article = Article(
        lang=lang, slug=slug, title=f"Titre {lang}", summary="", body_md=f"Corps {lang}",
        body_html=f"<p>Corps {lang}</p>", status=status, published_at=published_at,
        translation=translation,
    )  # fmt: skip
    session.add(article)
    session.flush()
    return article


def test_a_scheduled_articles_issue_goes_when_the_article_does_and_waits_if_drafted(app, sink):
    readers(app, ("fr@example.org", "fr", ACTIVE), ("en@example.org", "en", ACTIVE))
    now = utcnow()
    at = now + timedelta(days=1)
    with app.app_context():
        with write(db.session):
            french = _article(db.session, "fr", "automne", SCHEDULED, at)
            english = _article(db.session, "en", "autumn", SCHEDULED, at, translation=french)
            french.translation = english
        issue = sending.issue_for_article(db.session, french, now)
        issue_id = issue.id
        assert (issue.kind, issue.status, issue.scheduled_at) == (FROM_ARTICLE, ISSUE_SCHEDULED, at)
        assert (issue.article_fr_id, issue.article_en_id) == (french.id, english.id)
    assert send(app, now=now + timedelta(hours=23)).sent == 0
    with app.app_context(), write(db.session):
        db.session.execute(sa.update(Article).values(status="draft"))
    assert send(app, now=at + timedelta(minutes=1)).sent == 0, "back to draft: it waits"
    assert issue_row(app, issue_id).status == ISSUE_SCHEDULED
    with app.app_context(), write(db.session):
        db.session.execute(sa.update(Article).values(status=PUBLISHED))
    run = send(app, now=at + timedelta(minutes=2))
    assert run.sent == 2
    received = by_recipient(sink)
    assert "Corps fr" in parts(received["fr@example.org"])["text/html"]
    assert f"{SITE}/en/articles/autumn" in parts(received["en@example.org"])["text/plain"]


def test_a_draft_article_cannot_become_an_issue(app):
    with app.app_context():
        with write(db.session):
            draft = _article(db.session, "fr", "brouillon", "draft", None)
        with pytest.raises(sending.NothingToSend):
            sending.issue_for_article(db.session, draft, utcnow())


def test_an_issue_with_no_reader_is_sent_at_once(app):
    issue_id = an_issue(app)
    assert queue(app, issue_id) == 0
    issue = issue_row(app, issue_id)
    assert issue.status == SENT and issue.finished_at is not None


def test_unscheduling_puts_it_back_to_draft(app):
    issue_id = an_issue(app)
    now = utcnow()
    with app.app_context():
        issue = db.session.get(Issue, issue_id)
        sending.schedule(db.session, issue, now + timedelta(hours=1), now)
        sending.unschedule(db.session, issue, now)
    assert issue_row(app, issue_id).status == ISSUE_DRAFT


# ----------------------------------------------------------------------------- commands


def test_the_worker_sends_the_newsletter_every_few_seconds():
    (job,) = [job for job in JOBS if job.name == "send-newsletter"]
    assert job.every_seconds <= 10


def test_the_send_newsletter_command_does_one_run(app, runner):
    readers(app, ("fr@example.org", "fr", ACTIVE))
    queue(app, an_issue(app))
    result = runner.invoke(args=["consult", "send-newsletter"])
    assert result.exit_code == 0, result.output
    assert "Sent 1" in result.output
    eml = list(Path(app.instance_path, "outbox").glob("*.eml"))
    assert len(eml) == 1


# ----------------------------------------------------------------------------- reports


def _original(to, leave):
    original = EmailMessage(policy=email.policy.default.clone(max_line_length=998))
    original["From"] = "Consult <no-reply@example.com>"
    original["To"] = to
    original["Subject"] = "Les nouvelles"
    original["List-Unsubscribe"] = f"<{leave}>, <mailto:owner@example.com?subject=unsubscribe>"
    original.set_content("Bonjour")
    return original


def dsn(recipient, status="5.1.1", action="failed", original=None):
    """A delivery status notification as Postfix writes one (RFC 3464)."""
    headers = str(original).split("\n\n", 1)[0] if original is not None else ""
    enclosed = (
        f"--B\nContent-Type: text/rfc822-headers\n\n{headers}\n\n" if original is not None else ""
    )
    text = (
        "From: MAILER-DAEMON@mx.example.net\n"
        "To: no-reply@example.com\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
        "--B\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.net\n\n"
        f"Final-Recipient: rfc822; {recipient}\n"
        f"Action: {action}\n"
        f"Status: {status}\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <user> User unknown\n\n"
        f"{enclosed}--B--\n"
    )
    return text.encode()


def arf(original, rcpt=None):
    report = EmailMessage()
    report["From"] = "abuse@mail.example.net"
    report["To"] = "no-reply@example.com"
    report["Subject"] = "Abuse report"
    report.set_content("This is an email abuse report.")
    report.make_mixed()
    report.replace_header("Content-Type", 'multipart/report; report-type="feedback-report"')
    feedback = email.message.Message()
    feedback["Content-Type"] = "message/feedback-report"
    fields = "Feedback-Type: abuse\nUser-Agent: Example-FBL/1.0\nVersion: 1\n"
    if rcpt:
        fields += f"Original-Rcpt-To: {rcpt}\n"
    feedback.set_payload(fields)
    report.attach(feedback)
    enclosed = email.message.Message()
    enclosed["Content-Type"] = "message/rfc822"
    enclosed.set_payload([original])
    report.attach(enclosed)
    return report.as_bytes()


def test_a_delivery_status_notification_is_a_bounce():
    (report,) = bounces.parse(dsn("Jo@Example.org"))
    assert (report.kind, report.address) == ("bounce", "jo@example.org")
    assert report.detail.startswith("5.1.1") and "User unknown" in report.detail


def test_a_delay_or_a_4xx_status_is_no_bounce():
    assert bounces.parse(dsn("jo@example.org", status="4.2.2", action="delayed")) == []
    assert bounces.parse(dsn("jo@example.org", status="4.4.7")) == []


def test_an_ordinary_message_reports_nothing():
    plain = EmailMessage()
    plain["Subject"] = "Hello"
    plain.set_content("Re: your newsletter")
    assert bounces.parse(plain.as_bytes()) == []


def test_an_abuse_report_is_a_complaint_with_the_readers_token():
    original = _original("jo@example.org", f"{SITE}/fr/newsletter/TOKEN.123/unsubscribe")
    (report,) = bounces.parse(arf(original))
    assert (report.kind, report.address) == ("complaint", "jo@example.org")
    assert "TOKEN.123" in report.tokens
    (with_rcpt,) = bounces.parse(arf(original, rcpt="other@example.org"))
    assert with_rcpt.address == "other@example.org"


def test_the_bounce_command_marks_readers_bounced_and_a_complaint_withdraws_consent(
    app, runner, tmp_path
):
    ids = readers(
        app,
        ("gone@example.org", "fr", ACTIVE),
        ("angry@example.org", "en", ACTIVE),
        ("fine@example.org", "fr", ACTIVE),
    )
    with app.test_request_context():
        angry = db.session.get(Subscriber, ids[1])
        leave = links.unsubscribe_url(angry)
    # The complaint names nobody by address: only her token finds her.
    complaint = arf(_original("undisclosed-recipients:;", leave))
    (tmp_path / "dsn.eml").write_bytes(dsn("gone@example.org", original=_original("x@y.z", "")))
    (tmp_path / "arf.eml").write_bytes(complaint)
    result = runner.invoke(
        args=["consult", "newsletter-bounces", str(tmp_path / "dsn.eml"), str(tmp_path / "arf.eml")]
    )
    assert result.exit_code == 0, result.output
    assert "1 bounce(s) and 1 complaint(s)" in result.output
    gone, angry_row, fine = (reader_row(app, a) for a in (
        "gone@example.org", "angry@example.org", "fine@example.org"))  # fmt: skip
    assert (gone.status, gone.bounce_kind) == (BOUNCED, "bounce")
    assert (angry_row.status, angry_row.bounce_kind) == (BOUNCED, "complaint")
    assert fine.status == ACTIVE
    with app.app_context():
        angry = db.session.get(Subscriber, ids[1])
        assert angry.consent.withdrawn_at is not None
        assert db.session.get(Subscriber, ids[0]).consent.withdrawn_at is None


def test_the_bounce_command_reads_stdin(app, runner):
    readers(app, ("gone@example.org", "fr", ACTIVE))
    result = runner.invoke(
        args=["consult", "newsletter-bounces", "-"], input=dsn("gone@example.org")
    )
    assert result.exit_code == 0, result.output
    assert reader_row(app, "gone@example.org").status == BOUNCED
