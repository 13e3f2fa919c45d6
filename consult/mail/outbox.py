"""Queue messages with what caused them; a worker claims, builds and sends them.

Delivery, never in a web request:
1. claim a few due messages in a short write (PostgreSQL skips rows another worker holds;
   a guarded UPDATE takes only messages whose claim is free, on both databases);
2. build and send each one outside any transaction (files locally, SMTP in production);
3. record the outcome in another short write, guarded by the claim's token.

A message that cannot be built, or that the server refuses for good, is `failed` alone; a
transient failure comes back after the next delay of RETRY_DELAYS, then fails at the cap.
A worker that dies holding a claim loses it when its lease ends.
"""

import logging
import os
import re
import smtplib
import uuid
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from urllib.parse import urlsplit

import css_inline
import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from markupsafe import Markup, escape

from ..audit import record
from ..database import outside_write, write
from ..extensions import db, utcnow
from .models import FAILED, QUEUED, SENDING, SENT, OutboxMessage

log = logging.getLogger(__name__)

#: Waits after the 1st, 2nd, ... transient failure; the attempt after the last one is final.
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1, minutes=30),
    timedelta(hours=4),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
#: How long a claim is a worker's own. An SMTP session makes a handful of exchanges, each
#: within SMTP_TIMEOUT_SECONDS: the lease must outlast the slowest one that still succeeds.
CLAIM_LEASE = timedelta(minutes=5)
#: Messages claimed at once: small, so a slow server never sits on many claims.
CLAIM_BATCH = 5

SUBJECT_LENGTH = 255
ADDRESS_LENGTH = 254
#: Control characters (C0, DEL, C1) and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: Runs of ordinary spaces (what the control characters became, too).
_SPACES = re.compile(" {2,}")


def header_safe(value, limit):
    """One line of at most `limit` characters: no control character, single spaces.

    No-break spaces stay: French writes one before ":" and in "4:00 p.m." and "250 $".
    """
    return _SPACES.sub(" ", _CONTROL.sub(" ", str(value))).strip(" ")[:limit].rstrip(" ")


def queue(to, subject, text_body, html_body=None, attachments=(), topic=""):
    """Add a message to the session; it is sent only if the caller's transaction commits.

    The recipient and subject are stored header-safe: a line break a visitor typed into a
    name never reaches a header.
    """
    message = OutboxMessage(
        to=header_safe(to, ADDRESS_LENGTH),
        subject=header_safe(subject, SUBJECT_LENGTH),
        text_body=text_body,
        html_body=html_body,
        attachments=list(attachments),
        topic=topic,
        status=QUEUED,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    return message


#: Partials that follow a message's own text, in both parts, when their name is in its
#: context: how to meet (`meeting`), the terms she agreed to (`terms`).
SHARED_BLOCKS = ("meeting", "terms")


def queue_templated(to, template, lang, subject, attachments=(), topic="", **context):
    """Render a message in the reader's language: a text part and an HTML part.

    The text is templates/mail/<template>.txt, then the shared blocks whose name is in the
    context (SHARED_BLOCKS: mail/_meeting.txt when `meeting` is given, mail/_terms.txt
    when `terms` is), then the footer
    CASL asks for even of transactional mail: who sends it, her postal address, a contact.
    The HTML is <template>.html when there is one, else the text's paragraphs in the mail
    layout; its styles are inlined.
    `subject` is a callable so that it, too, is translated in `lang`.
    """
    with force_locale(lang):
        title = subject() if callable(subject) else subject
        context = {"lang": lang, "subject": title, **context}
        body, sign_off = _signed(render_template(f"mail/{template}.txt", **context).strip())
        blocks = [name for name in SHARED_BLOCKS if context.get(name)]
        parts = [body, *(_render_optional(f"mail/_{name}.txt", context) for name in blocks)]
        parts += [sign_off, render_template("mail/_footer.txt", **context)]
        text = "\n\n".join(part.strip() for part in parts if part and part.strip()) + "\n"
        html = _render_optional(f"mail/{template}.html", context)
        if html is None:
            html = render_template(
                "mail/_layout.html",
                paragraphs=paragraphs(body),
                blocks=blocks,
                sign_off=sign_off,
                **context,
            )
    return queue(to, title, text, inline_styles(html), attachments, topic)


def _signed(body):
    """(body, sign-off): a message signed with her name keeps the shared blocks above it."""
    head, _, last = body.rpartition("\n\n")
    if head and last.strip() == current_app.config["OWNER_NAME"]:
        return head.rstrip(), last.strip()
    return body, ""


def _render_optional(name, context):
    try:
        return render_template(name, **context)
    except TemplateNotFound:
        return None


_URL = re.compile(r"^https?://\S+$")


def paragraphs(text):
    """A plain-text body as HTML paragraphs, its lines kept; a link gets real text.

    A paragraph that ends with an address on its own line, after a line ending in ":",
    becomes that line as the link's text ("Your private link:" then the address).
    """
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        if len(lines) >= 2 and _URL.match(lines[-1]) and lines[-2].endswith(":"):
            label = lines[-2].rstrip(":").rstrip("\u00a0 ")
            link = Markup('<a href="{0}">{1}</a>').format(lines[-1], label)
            lines = [*(escape(line) for line in lines[:-2]), link]
        else:
            lines = [_linked(line) for line in lines]
        out.append(Markup("<br>\n").join(lines))
    return out


def _linked(line):
    if _URL.match(line):
        return Markup('<a href="{0}">{0}</a>').format(line)
    return escape(line)


#: One inliner for every message: mail clients drop <style> and linked style sheets.
_INLINER = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def inline_styles(html):
    """The HTML with its <style> rules moved into style attributes, and the <style> gone."""
    return _INLINER.inline(html)


# ----------------------------------------------------------------------------- building


class UnbuildableMessage(ValueError):
    """The row cannot become an email (a bad address, say); trying again will not help."""


@dataclass(frozen=True)
class Claimed:
    """A claimed message, copied out of the session so it is sent with no transaction open."""

    id: int
    to: str
    subject: str
    text_body: str
    html_body: str | None
    attachments: list
    created_at: datetime
    attempts: int
    token: str

    @classmethod
    def of(cls, message):
        return cls(
            id=message.id,
            to=message.to,
            subject=message.subject,
            text_body=message.text_body,
            html_body=message.html_body,
            attachments=list(message.attachments or ()),
            created_at=message.created_at,
            attempts=message.attempts,
            token=message.claim_token,
        )


def site_domain(site_url):
    """The host of SITE_URL, the right-hand side of our Message-IDs."""
    return urlsplit(site_url).hostname or "localhost"


def build_email(message, sender, domain, reply_to=None):
    """The email for an outbox row; raises (UnbuildableMessage, ValueError, ...) if it cannot.

    Date and Message-ID come from the row, so every attempt builds the same message and a
    recipient's mail system can spot a copy sent again after a crash.
    """
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    addresses = email["To"].addresses
    if (
        not addresses
        or email["To"].defects
        or not all(address.username and address.domain for address in addresses)
    ):
        raise UnbuildableMessage(f"invalid recipient address {message.to!r}")
    if reply_to:
        email["Reply-To"] = reply_to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    stamp = int(message.created_at.timestamp() * 1_000_000)
    email["Message-ID"] = f"<consult.{message.id}.{stamp}@{domain}>"
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


# ----------------------------------------------------------------------------- transports


class FileTransport:
    """Writes each message as a .eml file in instance/outbox (the local default)."""

    def __init__(self, folder):
        self.folder = folder

    def batch(self):
        """Itself: files need no connection kept open."""
        return nullcontext(self)

    def send_bytes(self, message_id, sender, recipient, data):
        """A message already encoded, as the .eml file it is."""
        self._write(message_id, data)

    def send(self, message_id, email):
        self._write(message_id, bytes(email))

    def _write(self, message_id, data):
        outside_write("mail delivery")
        os.makedirs(self.folder, exist_ok=True)
        name = f"{message_id:06d}" if isinstance(message_id, int) else message_id
        path = os.path.join(self.folder, f"{name}.eml")
        partial = f"{path}.partial"
        with open(partial, "wb") as handle:
            handle.write(data)
        os.replace(partial, path)


class SMTPTransport:
    """Sends through her mail server; each exchange waits at most SMTP_TIMEOUT_SECONDS."""

    def __init__(self, config):
        self.config = config

    def send(self, message_id, email):
        with self.batch() as connection:
            connection.send(message_id, email)

    @contextmanager
    def batch(self):
        """One SMTP session for many messages (a newsletter's batch), closed at the end."""
        connection = SMTPConnection(self.config)
        try:
            yield connection
        finally:
            connection.close()


class HandOverUncertain(OSError):
    """The message was being transmitted (DATA) when the server stopped answering: it may
    have been accepted. A caller that must never send twice does not try it again."""


class _SMTP(smtplib.SMTP):
    """smtplib's client, noting when a message's DATA began."""

    data_started = False

    def data(self, msg):
        self.data_started = True
        return super().data(msg)


class SMTPConnection:
    """An SMTP session opened at its first message and kept for the next ones.

    A refused recipient leaves it usable; any other error drops it, and the next message
    opens a new one.
    """

    def __init__(self, config):
        self.config = config
        self._smtp = None

    def _open(self):
        config = self.config
        timeout = config["SMTP_TIMEOUT_SECONDS"]
        smtp = _SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=timeout)
        try:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USERNAME"]:
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message_id, email):
        self._exchange(lambda smtp: smtp.send_message(email))

    def send_bytes(self, message_id, sender, recipient, data):
        """A message already encoded (CRLF lines): a newsletter's, built once per issue.

        Raises HandOverUncertain when the server went silent or away during its DATA.
        """
        options = () if recipient.isascii() else ("SMTPUTF8",)
        self._exchange(lambda smtp: smtp.sendmail(sender, [recipient], data, options))

    def _exchange(self, send):
        outside_write("SMTP")
        if self._smtp is None:
            self._smtp = self._open()
        self._smtp.data_started = False
        try:
            send(self._smtp)
        except smtplib.SMTPRecipientsRefused:
            raise
        except smtplib.SMTPResponseException:
            self._drop()
            raise  # the server answered: it did not take the message
        except OSError as error:
            uncertain = self._smtp is not None and self._smtp.data_started
            self._drop()
            if uncertain:
                raise HandOverUncertain(f"no answer to the message's data: {error}") from error
            raise
        except BaseException:
            self._drop()
            raise

    def _drop(self):
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def close(self):
        """Say goodbye (QUIT) if a session is open; a server already gone is no error."""
        if self._smtp is None:
            return
        with suppress(smtplib.SMTPException, OSError):
            self._smtp.quit()
        self._drop()


def transport_for(config, instance_path):
    if config["MAIL_TRANSPORT"] == "smtp":
        return SMTPTransport(config)
    return FileTransport(os.path.join(instance_path, "outbox"))


def is_permanent(error):
    """Whether the server refused this message for good (a 5xx about it)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return False  # her settings are wrong, not the message: it goes once they are fixed
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


def describe(error):
    return f"{type(error).__name__}: {error}"[:2000]


# ----------------------------------------------------------------------------- claims


def _claimable(now):
    """Queued and due, or claimed by a worker whose lease has ended."""
    return sa.or_(
        sa.and_(OutboxMessage.status == QUEUED, OutboxMessage.next_attempt_at <= now),
        sa.and_(OutboxMessage.status == SENDING, OutboxMessage.claim_expires_at <= now),
    )


def claim(session, now, limit=CLAIM_BATCH):
    """Claim up to `limit` due messages for this caller alone; returns them as Claimed."""
    token = uuid.uuid4().hex
    with write(session) as tx:
        due = (
            sa.select(OutboxMessage.id)
            .where(_claimable(now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        ids = session.scalars(tx.lock_rows(due, skip_locked=True)).all()
        if not ids:
            return []
        # The guard repeats the condition: a row another worker claimed meanwhile stays its.
        session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), _claimable(now))
            .values(
                status=SENDING,
                claim_token=token,
                claim_expires_at=now + CLAIM_LEASE,
                attempts=OutboxMessage.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        claimed = session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.claim_token == token)
            .order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        ).all()
        return [Claimed.of(message) for message in claimed]


def _record(session, claimed, **values):
    """Write an outcome if the claim is still ours; False when another worker took it over."""
    with write(session):
        result = session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == claimed.id, OutboxMessage.claim_token == claimed.token)
            .values(claim_token=None, claim_expires_at=None, **values)
            .execution_options(synchronize_session=False)
        )
    if result.rowcount != 1:
        log.warning("mail %s: claim lost before its outcome was recorded", claimed.id)
        return False
    return True


def _sent(session, claimed, now):
    return _record(session, claimed, status=SENT, sent_at=now, last_error=None)


def _failed(session, claimed, now, error):
    log.error("mail %s to %s failed for good: %s", claimed.id, claimed.to, error)
    return _record(session, claimed, status=FAILED, failed_at=now, last_error=error)


def _retry_later(session, claimed, now, error):
    if claimed.attempts >= MAX_ATTEMPTS:
        return _failed(session, claimed, now, f"gave up after {claimed.attempts} attempts: {error}")
    delay = RETRY_DELAYS[claimed.attempts - 1]
    log.warning("mail %s to %s failed, next try in %s: %s", claimed.id, claimed.to, delay, error)
    return _record(session, claimed, status=QUEUED, next_attempt_at=now + delay, last_error=error)


# ----------------------------------------------------------------------------- delivery


@dataclass
class Delivery:
    sent: int = 0
    #: Failed for good during this run.
    failed: int = 0
    #: Failed for now; each comes back after its delay.
    deferred: int = 0

    @property
    def ok(self):
        return not (self.failed or self.deferred)


def deliver_one(session, claimed, *, transport, sender, domain, now, reply_to=None):
    """Build and send one claimed message, then record what happened; returns its outcome."""
    try:
        email = build_email(claimed, sender, domain, reply_to)
    except Exception as error:  # any build error is the row's own, and final
        _failed(session, claimed, now, describe(error))
        return FAILED
    try:
        transport.send(claimed.id, email)
    except Exception as error:  # classified below: nothing escapes a claim
        if is_permanent(error):
            _failed(session, claimed, now, describe(error))
            return FAILED
        _retry_later(session, claimed, now, describe(error))
        return QUEUED
    _sent(session, claimed, now)
    return SENT


def deliver_queued(
    session=None, *, config=None, instance_path=None, now=None, limit=100, should_stop=None
):
    """Claim and send due messages until none is left, `limit` is reached or a send defers.

    A deferred send (the server is down or slow) ends the run: the rest wait for the next
    one rather than each waiting out its own timeout. `now` fixes the clock (tests); by
    default each claim reads it. Returns a Delivery (sent, failed, deferred).
    """
    session = session or db.session
    config = config or current_app.config
    transport = transport_for(config, instance_path or current_app.instance_path)
    sender, domain = config["MAIL_FROM"], site_domain(config["SITE_URL"])
    # Answers reach the consultant, never the sending address.
    reply_to = formataddr((config["OWNER_NAME"], config["OWNER_EMAIL"]))
    outcome = Delivery()
    handled = 0
    while handled < limit and not (should_stop and should_stop()):
        batch = claim(session, now or utcnow(), min(CLAIM_BATCH, limit - handled))
        if not batch:
            break
        for position, claimed in enumerate(batch):
            if should_stop and should_stop():
                _release(session, batch[position:])
                return outcome
            result = deliver_one(
                session,
                claimed,
                transport=transport,
                sender=sender,
                domain=domain,
                now=now or utcnow(),
                reply_to=reply_to,
            )
            handled += 1
            if result == SENT:
                outcome.sent += 1
            elif result == FAILED:
                outcome.failed += 1
            else:
                outcome.deferred += 1
                _release(session, batch[position + 1 :])
                return outcome
    return outcome


def _release(session, claims):
    """Give back claims not tried: queued again, their attempt not counted."""
    for claimed in claims:
        _record(session, claimed, status=QUEUED, attempts=claimed.attempts - 1)


# ----------------------------------------------------------------------------- her desk


def needing_attention(session, limit=200):
    """Failed messages, and queued ones that already failed once, newest first."""
    return session.scalars(
        sa.select(OutboxMessage)
        .where(
            sa.or_(
                OutboxMessage.status == FAILED,
                sa.and_(OutboxMessage.status == QUEUED, OutboxMessage.last_error.is_not(None)),
            )
        )
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    ).all()


class NotRetriable(Exception):
    """Only a failed or waiting message can be sent again; this one is sent or on its way."""


def retry(session, message_id, now, *, by=None):
    """Queue a failed or waiting message for the next run, with its attempts counted afresh."""
    with write(session) as tx:
        message = session.get(OutboxMessage, message_id)
        if message is None:
            raise LookupError(message_id)
        tx.lock(message)
        if message.status not in (FAILED, QUEUED):
            raise NotRetriable(message_id)
        before = {"status": message.status, "attempts": message.attempts}
        message.status = QUEUED
        message.attempts = 0
        message.next_attempt_at = now
        message.failed_at = None
        record(session, by, "mail.retry", message, before, {"status": QUEUED, "attempts": 0})
    return message
