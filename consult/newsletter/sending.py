"""Issues out to readers: queued in one statement, sent by the worker in claimed batches.

1. `queue_issue` inserts one delivery per active reader of the issue's languages
   (INSERT ... SELECT: ten thousand readers are one statement, not ten thousand objects);
2. `send_due` claims a batch under a lease (PostgreSQL skips rows another worker holds; a
   guarded UPDATE takes only free ones, on both databases), then for each delivery a short
   write marks it `sending` (and records the one before), the message goes out through one
   SMTP session for the batch, outside any transaction, at most NEWSLETTER_RATE_PER_SECOND;
3. a lease that ends puts a `claimed` delivery back in the queue (never tried) and marks a
   `sending` one failed: it may have reached the reader, so it is never tried again.
"""

import logging
import smtplib
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr, parseaddr

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import business as business_module
from ..audit import record
from ..content.text import render_markdown
from ..database import release_read, write
from ..extensions import UTCDateTime, db, utcnow
from ..mail.outbox import (
    ADDRESS_LENGTH,
    RETRY_DELAYS,
    HandOverUncertain,
    describe,
    header_safe,
    is_permanent,
    queue,
    site_domain,
    transport_for,
)
from . import compose
from .models import (
    ACTIVE,
    BOTH,
    BOUNCE,
    BOUNCED,
    CLAIMED,
    DELIVERED,
    DRAFT,
    FAILED,
    FROM_ARTICLE,
    IN_FLIGHT,
    QUEUED,
    SCHEDULED,
    SENDING,
    SENT,
    SKIPPED,
    WRITTEN,
    Delivery,
    Issue,
    Subscriber,
)

log = logging.getLogger(__name__)

#: How long a claim, then a hand-over to the mail server, is this worker's own: well past a
#: batch at the slowest rate and past an SMTP exchange that times out.
LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
INTERRUPTED = (
    "interrupted while being handed to the mail server; not sent again so nobody gets it twice"
)
UNANSWERED = (
    "the mail server stopped answering while taking it; not sent again so nobody gets it twice"
)


class IssueError(Exception):
    """Something she asked of an issue that cannot be done; the desk says why."""


class AlreadySent(IssueError):
    """The issue is going out or has gone: it can no longer change."""


class NothingToSend(IssueError):
    """No language has a version (no subject, or no published article)."""


class NotInFuture(IssueError):
    """A schedule must be a time to come."""


# ----------------------------------------------------------------------------- issues


def editable(issue):
    return issue.status in (DRAFT, SCHEDULED)


def _refuse_sent(issue):
    if not editable(issue):
        raise AlreadySent(issue.id)


def save_written(session, issue, texts, now, *, by=None):
    """Save her subject and Markdown in each language (`texts`: {"subject_fr": ..., "body_fr":
    ...}), each body rendered and sanitized as an article's is. Refused once it went out."""
    with write(session) as tx:
        if issue.id is not None:
            tx.lock(issue)
            _refuse_sent(issue)
        else:
            issue.kind = WRITTEN
            issue.status = DRAFT
            issue.created_at = now
            issue.created_by_id = getattr(by, "id", None)
            session.add(issue)
        for lang in compose.LANGS:
            body = texts[f"body_{lang}"] or ""
            setattr(issue, f"subject_{lang}", (texts[f"subject_{lang}"] or "").strip())
            setattr(issue, f"body_md_{lang}", body)
            setattr(issue, f"body_html_{lang}", render_markdown(body))
        issue.updated_at = now
    return issue


def _audited(issue):
    return {
        "status": issue.status,
        "scheduled_at": issue.scheduled_at.isoformat() if issue.scheduled_at else None,
        "subject": issue.subject_fr or issue.subject_en or "",
    }


def schedule(session, issue, when, now, *, by=None):
    """Give a draft (or scheduled) issue its time; `when` is now for "send now": the worker
    queues it on its next turn, a web request never sends."""
    if when < now - timedelta(minutes=1):
        raise NotInFuture(when)
    with write(session) as tx:
        tx.lock(issue)
        _refuse_sent(issue)
        if issue.kind != FROM_ARTICLE and not compose.languages(issue, now):
            raise NothingToSend(issue.id)
        before = _audited(issue)
        issue.status = SCHEDULED
        issue.scheduled_at = max(when, now)
        issue.updated_at = now
        record(session, by, "newsletter.schedule", issue, before, _audited(issue))
    return issue


def unschedule(session, issue, now, *, by=None):
    """Back to draft: it waits until she gives it a time again."""
    with write(session) as tx:
        tx.lock(issue)
        _refuse_sent(issue)
        before = _audited(issue)
        issue.status = DRAFT
        issue.scheduled_at = None
        issue.updated_at = now
        record(session, by, "newsletter.unschedule", issue, before, _audited(issue))
    return issue


def issue_for_article(session, article, now, *, by=None):
    """An issue carrying a published or scheduled article and its translation, scheduled
    for the article's own time: the worker sends it once the public can read it."""
    if article.status == DRAFT or article.published_at is None:
        raise NothingToSend(article.id)
    pair = {article.lang: article}
    if article.translation is not None and article.translation.status != DRAFT:
        pair[article.translation.lang] = article.translation
    with write(session):
        issue = Issue(
            kind=FROM_ARTICLE,
            status=SCHEDULED,
            article_fr=pair.get("fr"),
            article_en=pair.get("en"),
            scheduled_at=max(article.published_at, now),
            created_by_id=getattr(by, "id", None),
            created_at=now,
            updated_at=now,
        )
        session.add(issue)
    return issue


def issues_of_article(session, article):
    """The issues carrying this article, in either language."""
    return session.scalars(
        sa.select(Issue)
        .where(sa.or_(Issue.article_fr_id == article.id, Issue.article_en_id == article.id))
        .order_by(Issue.id)
    ).all()


def queue_issue(session, issue, now):
    """Queue one delivery per active reader of the issue's languages, in one statement.

    Returns the number of readers; raises AlreadySent when another worker (or a click) got
    there first, NothingToSend when no language has a version.
    """
    with write(session) as tx:
        tx.lock(issue)
        _refuse_sent(issue)
        langs = compose.languages(issue, now)
        if not langs:
            raise NothingToSend(issue.id)
        if len(langs) == 2:
            readers = Subscriber.status == ACTIVE
            received = sa.case((Subscriber.lang == BOTH, "fr,en"), else_=Subscriber.lang)
        else:
            (only,) = langs
            readers = sa.and_(Subscriber.status == ACTIVE, Subscriber.lang.in_((only, BOTH)))
            received = sa.literal(only)
        chosen = sa.select(
            sa.literal(issue.id),
            Subscriber.id,
            received,
            sa.literal(QUEUED),
            sa.literal(0),
            sa.literal(now, UTCDateTime()),
        ).where(readers)
        session.execute(
            sa.insert(Delivery).from_select(
                ["issue_id", "subscriber_id", "langs", "status", "attempts", "next_attempt_at"],
                chosen,
            )
        )
        count = session.scalar(
            sa.select(sa.func.count()).select_from(Delivery).where(Delivery.issue_id == issue.id)
        )
        issue.status = SENDING if count else SENT
        issue.recipients = count
        issue.queued_at = now
        issue.finished_at = None if count else now
        issue.updated_at = now
    return count


def queue_due_issues(session, now):
    """Queue the scheduled issues whose time has come; an article's issue waits while its
    article is not public (back to draft, or moved later). Returns the issues queued."""
    due = session.scalars(
        sa.select(Issue)
        .where(Issue.status == SCHEDULED, Issue.scheduled_at <= now)
        .order_by(Issue.scheduled_at, Issue.id)
    ).all()
    queued = []
    for issue in due:
        if not compose.languages(issue, now):
            continue
        try:
            queue_issue(session, issue, now)
        except IssueError:
            continue  # another worker queued it first
        queued.append(issue)
    return queued


def send_test(session, issue, to, now, business):
    """Her test copy, through the outbox (sent within seconds by the worker): the issue as a
    reader of every language it has would get it, the links pointing at the site."""
    langs = compose.drafted_languages(issue)
    if not langs:
        raise NothingToSend(issue.id)
    domain = site_domain(business.site_url)
    sender = formataddr((business.site_name, business.owner_email))
    made = compose.letter(issue, langs, business, sender=sender, domain=domain, now=now)
    home = business.absolute(f"/{made.lang}/")
    with force_locale(made.lang):
        subject = _("[Test] %(subject)s", subject=made.subject)
    text = made.text.replace(compose.UNSUBSCRIBE, home).replace(compose.PREFERENCES, home)
    html = made.html.replace(compose.UNSUBSCRIBE, home).replace(compose.PREFERENCES, home)
    with write(session):
        return queue(to, subject, text, html, topic="newsletter.test")


# ----------------------------------------------------------------------------- claims


@dataclass(frozen=True)
class Claimed:
    """A claimed delivery, copied out of the session: sent with no transaction open."""

    id: int
    issue_id: int
    subscriber_id: int
    email: str
    lang: str
    langs: str
    attempts: int
    token: str


def recover_expired(session, now):
    """Leases that ended: never tried goes back to the queue; cut off mid-send fails."""
    with write(session):
        requeued = session.execute(
            sa.update(Delivery)
            .where(Delivery.status == CLAIMED, Delivery.claim_expires_at <= now)
            .values(status=QUEUED, claim_token=None, claim_expires_at=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        cut = session.execute(
            sa.update(Delivery)
            .where(Delivery.status == IN_FLIGHT, Delivery.claim_expires_at <= now)
            .values(status=FAILED, claim_token=None, claim_expires_at=None, last_error=INTERRUPTED)
            .execution_options(synchronize_session=False)
        ).rowcount
    if cut:
        log.warning("newsletter: %s delivery(ies) cut off mid-send marked failed", cut)
    return requeued, cut


def _due(now):
    return sa.and_(Delivery.status == QUEUED, Delivery.next_attempt_at <= now)


def claim(session, now, limit):
    """Claim up to `limit` due deliveries for this caller alone."""
    token = uuid.uuid4().hex
    with write(session) as tx:
        due = (
            sa.select(Delivery.id)
            .where(_due(now))
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
        )
        ids = session.scalars(tx.lock_rows(due, skip_locked=True)).all()
        if not ids:
            return []
        # The guard repeats the condition: a row another worker claimed meanwhile stays its.
        session.execute(
            sa.update(Delivery)
            .where(Delivery.id.in_(ids), _due(now))
            .values(status=CLAIMED, claim_token=token, claim_expires_at=now + LEASE)
            .execution_options(synchronize_session=False)
        )
        rows = session.execute(
            sa.select(
                Delivery.id,
                Delivery.issue_id,
                Delivery.subscriber_id,
                Subscriber.email,
                Subscriber.lang,
                Delivery.langs,
                Delivery.attempts,
            )
            .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .where(Delivery.claim_token == token)
            .order_by(Delivery.id)
        ).all()
    return [Claimed(*row, token=token) for row in rows]


def _mine(claimed, *statuses):
    return sa.and_(
        Delivery.id == claimed.id,
        Delivery.claim_token == claimed.token,
        Delivery.status.in_(statuses),
    )


def _update(session, claimed, statuses, **values):
    return session.execute(
        sa.update(Delivery)
        .where(_mine(claimed, *statuses))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount


@dataclass
class Outcome:
    """What one delivery came to; recorded in the next short write."""

    claimed: Claimed
    status: str
    error: str | None = None
    #: The server refused the address for good: what it answered.
    bounce: str | None = None
    #: The server is down, or went silent mid-message: the rest waits for the next run.
    ends_run: bool = False


#: The two statements every delivery runs, built once (a batch of thousands runs them
#: thousands of times): mark one `sending` while she still reads, record one sent.
_MINE = sa.and_(
    Delivery.id == sa.bindparam("delivery"),
    Delivery.claim_token == sa.bindparam("token"),
)
_START = (
    sa.update(Delivery)
    .where(
        _MINE,
        Delivery.status == CLAIMED,
        sa.select(Subscriber.id)
        .where(Subscriber.id == sa.bindparam("reader"), Subscriber.status == ACTIVE)
        .exists(),
    )
    .values(
        status=IN_FLIGHT,
        attempts=Delivery.attempts + 1,
        claim_expires_at=sa.bindparam("until", type_=UTCDateTime()),
    )
    .execution_options(synchronize_session=False)
)
_SENT = (
    sa.update(Delivery)
    .where(_MINE, Delivery.status == IN_FLIGHT)
    .values(
        status=DELIVERED,
        sent_at=sa.bindparam("at", type_=UTCDateTime()),
        last_error=None,
        claim_token=None,
        claim_expires_at=None,
    )
    .execution_options(synchronize_session=False)
)


def _apply(session, outcome, now):
    claimed = outcome.claimed
    if outcome.status == DELIVERED:
        changed = session.execute(
            _SENT, {"delivery": claimed.id, "token": claimed.token, "at": now}
        ).rowcount
    else:
        if outcome.status != QUEUED:
            values = {"status": outcome.status, "last_error": outcome.error}
        elif claimed.attempts + 1 >= MAX_ATTEMPTS:
            values = {"status": FAILED, "last_error": f"gave up: {outcome.error}"}
        else:
            delay = RETRY_DELAYS[min(claimed.attempts, len(RETRY_DELAYS) - 1)]
            values = {"status": QUEUED, "next_attempt_at": now + delay, "last_error": outcome.error}
        changed = _update(
            session, claimed, (IN_FLIGHT,), claim_token=None, claim_expires_at=None, **values
        )
    if changed != 1:
        log.warning("newsletter delivery %s: lease lost before its outcome", claimed.id)
    if outcome.bounce is not None:
        session.execute(
            sa.update(Subscriber)
            .where(Subscriber.id == claimed.subscriber_id, Subscriber.status == ACTIVE)
            .values(
                status=BOUNCED,
                bounced_at=now,
                bounce_kind=BOUNCE,
                bounce_detail=outcome.bounce[:2000],
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )


def _record(session, outcome, now):
    if outcome is not None:
        with write(session):
            _apply(session, outcome, now)


def _begin(session, previous, claimed, now):
    """One short write: record the previous delivery, then mark this one `sending` if she
    is still an active reader (else `skipped`). Returns the status it got, or None when
    the claim was lost."""
    with write(session):
        if previous is not None:
            _apply(session, previous, now)
        started = session.execute(
            _START,
            {
                "delivery": claimed.id,
                "token": claimed.token,
                "reader": claimed.subscriber_id,
                "until": now + LEASE,
            },
        ).rowcount
        if started:
            return IN_FLIGHT
        skipped = _update(
            session, claimed, (CLAIMED,), status=SKIPPED, claim_token=None, claim_expires_at=None
        )
    return SKIPPED if skipped else None


def release(session, claims):
    """Give back claims not tried: queued again."""
    if not claims:
        return
    with write(session):
        for claimed in claims:
            _update(
                session, claimed, (CLAIMED,), status=QUEUED, claim_token=None, claim_expires_at=None
            )


def finish_issues(session, now):
    """Mark sent the issues with no delivery left to try."""
    open_ = (
        sa.select(Delivery.id)
        .where(
            Delivery.issue_id == Issue.id,
            Delivery.status.in_((QUEUED, CLAIMED, IN_FLIGHT)),
        )
        .exists()
    )
    with write(session):
        return session.execute(
            sa.update(Issue)
            .where(Issue.status == SENDING, ~open_)
            .values(status=SENT, finished_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount


# ----------------------------------------------------------------------------- pace


class Pace:
    """At most `rate` messages a second (0: no cap), one at a time; a wait ends early when
    `should_stop` says so. `clock` and `sleep` are injectable so a test drives time."""

    def __init__(self, rate, *, clock=time.monotonic, sleep=time.sleep, step=0.1):
        self.interval = 1.0 / rate if rate else 0.0
        self.clock, self.sleep, self.step = clock, sleep, step
        self.next_at = None

    def delay(self):
        if self.next_at is None:
            return 0.0
        return max(0.0, self.next_at - self.clock())

    def wait(self, should_stop=None):
        """Wait for the next message's turn; False when asked to stop meanwhile."""
        while (left := self.delay()) > 0:
            if should_stop and should_stop():
                return False
            self.sleep(min(left, self.step))
        return not (should_stop and should_stop())

    def sent(self):
        start = self.clock() if self.next_at is None else max(self.next_at, self.clock())
        self.next_at = start + self.interval


# ----------------------------------------------------------------------------- sending


@dataclass
class Run:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0
    bounced: int = 0
    queued_issues: int = 0
    #: Cut off mid-send: by a crash (found when its lease ended) or a silent server.
    interrupted: int = 0
    stopped: bool = False

    def count(self, outcome):
        if outcome.status == DELIVERED:
            self.sent += 1
        elif outcome.status == QUEUED:
            self.deferred += 1
        else:
            self.failed += 1
            self.bounced += outcome.bounce is not None
            self.interrupted += outcome.ends_run


class Letters:
    """Each issue rendered once per set of languages for this run."""

    def __init__(self, session, business, *, sender, domain, now):
        self.session, self.business, self.now = session, business, now
        self.sender, self.domain = sender, domain
        self._made = {}

    def get(self, issue_id, langs):
        key = (issue_id, langs)
        if key not in self._made:
            issue = self.session.get(Issue, issue_id)
            made = compose.letter(
                issue,
                langs.split(","),
                self.business,
                sender=self.sender,
                domain=self.domain,
                now=self.now,
            )
            release_read(self.session)  # no read left open across the network
            self._made[key] = made
        return self._made[key]


def _classify(claimed, error):
    detail = describe(error)
    if isinstance(error, HandOverUncertain):
        return Outcome(claimed, FAILED, f"{UNANSWERED} ({detail})", ends_run=True)
    if isinstance(error, smtplib.SMTPRecipientsRefused) and is_permanent(error):
        answers = "; ".join(
            f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
            for code, text in error.recipients.values()
        )
        return Outcome(claimed, FAILED, detail, bounce=answers)
    if is_permanent(error):
        return Outcome(claimed, FAILED, detail)
    return Outcome(claimed, QUEUED, detail, ends_run=True)


def send_due(session=None, *, config=None, now=None, should_stop=None, limit=None, pace=None):
    """Queue the issues due, then send due deliveries until none is left, `limit` is
    reached, a send defers (the server is down: the rest wait for the next run) or
    `should_stop` says so (between two messages). `now` fixes the clock (tests); `pace`
    replaces the NEWSLETTER_RATE_PER_SECOND pacing (a test's own clock). Returns a Run."""
    session = session or db.session
    config = config or current_app.config
    business = business_module.current()
    clock = (lambda: now) if now else utcnow
    domain = site_domain(config["SITE_URL"])
    pace = pace or Pace(config["NEWSLETTER_RATE_PER_SECOND"])
    stop = should_stop or (lambda: False)
    run = Run()
    _, run.interrupted = recover_expired(session, clock())
    run.queued_issues = len(queue_due_issues(session, clock()))
    transport = transport_for(config, current_app.instance_path)
    sender = config["MAIL_FROM"]
    letters = Letters(session, business, sender=sender, domain=domain, now=clock())
    envelope_from = parseaddr(sender)[1]
    handled, pending, ended = 0, None, False
    with transport.batch() as connection:
        while not ended and (limit is None or handled < limit):
            if stop():
                run.stopped = True
                break
            size = config["NEWSLETTER_BATCH_SIZE"]
            batch = claim(session, clock(), size if limit is None else min(size, limit - handled))
            if not batch:
                break
            for position, claimed in enumerate(batch):
                if pace.delay() > 0:
                    _record(session, pending, clock())
                    pending = None
                if not pace.wait(stop):
                    run.stopped = ended = True
                    release(session, batch[position:])
                    break
                state = _begin(session, pending, claimed, clock())
                pending = None
                handled += 1
                if state != IN_FLIGHT:
                    run.skipped += state == SKIPPED
                    continue
                outcome = _deliver(connection, claimed, letters, envelope_from)
                pace.sent()
                run.count(outcome)
                if outcome.ends_run:
                    _record(session, outcome, clock())
                    release(session, batch[position + 1 :])
                    ended = True
                    break
                pending = outcome
    _record(session, pending, clock())
    finish_issues(session, clock())
    return run


def _deliver(connection, claimed, letters, sender):
    """Send one delivery outside any transaction; returns its Outcome."""
    try:
        to = header_safe(claimed.email, ADDRESS_LENGTH)
        made = letters.get(claimed.issue_id, claimed.langs)
        data = made.message(_Reader(claimed.subscriber_id, claimed.lang), to, claimed.id)
    except Exception as error:  # the delivery's own, and final: the others go on
        log.exception("newsletter delivery %s could not be built", claimed.id)
        return Outcome(claimed, FAILED, describe(error))
    try:
        connection.send_bytes(f"newsletter-{claimed.id:06d}", sender, to, data)
    except Exception as error:  # classified: nothing escapes a claim
        return _classify(claimed, error)
    return Outcome(claimed, DELIVERED)


@dataclass(frozen=True)
class _Reader:
    id: int
    lang: str


def figures(session, issue_ids):
    """For each issue: delivered, failed, and readers who left since it went out."""
    if not issue_ids:
        return {}
    counts = {issue_id: {"delivered": 0, "failed": 0, "left": 0} for issue_id in issue_ids}
    rows = session.execute(
        sa.select(Delivery.issue_id, Delivery.status, sa.func.count())
        .where(Delivery.issue_id.in_(issue_ids), Delivery.status.in_((DELIVERED, FAILED)))
        .group_by(Delivery.issue_id, Delivery.status)
    ).all()
    for issue_id, status, number in rows:
        counts[issue_id]["delivered" if status == DELIVERED else "failed"] = number
    left = session.execute(
        sa.select(Delivery.issue_id, sa.func.count())
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .join(Issue, Issue.id == Delivery.issue_id)
        .where(
            Delivery.issue_id.in_(issue_ids),
            Subscriber.unsubscribed_at.is_not(None),
            Subscriber.unsubscribed_at > Issue.queued_at,
        )
        .group_by(Delivery.issue_id)
    ).all()
    for issue_id, number in left:
        counts[issue_id]["left"] = number
    return counts
