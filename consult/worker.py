"""`flask --app app consult worker`: one long-running process for mail and the timed work.

APScheduler's BlockingScheduler runs the jobs in this process: no broker to install or run
(RQ and Dramatiq need Redis or RabbitMQ even on a laptop), interval jobs with coalescing
and one instance at a time built in, and a library kept up for over a decade. Each job runs
in a fresh app context on a small thread pool, logs its own exceptions and runs again on
its next turn, so one failing job never stops the others. SIGTERM or SIGINT lets the
running jobs finish (mail delivery stops between two messages), then the process exits 0.
The one-shot commands (send-mail, send-newsletter, release-holds, settle-refunds,
send-reminders, sync-calendar) do the same work for cron and tests.
"""

import logging
import signal
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

import click
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app
from flask.cli import with_appcontext

from .extensions import db, utcnow

log = logging.getLogger("consult.worker")


def deliver_mail(stopping):
    """Send what is due; stops between two messages when the worker is asked to stop."""
    from .mail.outbox import deliver_queued

    outcome = deliver_queued(limit=500, should_stop=stopping.is_set)
    if outcome.sent or outcome.failed or outcome.deferred:
        log.info(
            "mail: %s sent, %s to retry, %s failed for good",
            outcome.sent,
            outcome.deferred,
            outcome.failed,
        )


def send_newsletter(stopping):
    """Queue the issues whose time has come and send their deliveries, at the set rate;
    stops between two messages when the worker is asked to stop."""
    from .newsletter.sending import send_due

    run = send_due(should_stop=stopping.is_set)
    if run.sent or run.failed or run.deferred or run.interrupted:
        log.info(
            "newsletter: %s sent, %s failed (%s bounced), %s to retry, %s cut off mid-send",
            run.sent,
            run.failed,
            run.bounced,
            run.deferred,
            run.interrupted,
        )


def release_holds(stopping):
    from .booking.service import release_expired_holds

    count = release_expired_holds(db.session, utcnow())
    if count:
        log.info("holds: released %s expired hold(s)", count)


def send_reminders(stopping):
    from .booking.service import send_due_reminders
    from .business import current

    count = send_due_reminders(db.session, utcnow(), current_app.config, business=current())
    if count:
        log.info("reminders: queued %s", count)


def sync_calendar(stopping):
    from .calendar.cli import run_sync

    for result in run_sync():
        if not result.ok:
            log.warning("calendar %s: sync failed, %s", result.source, result.error)


def settle_refunds(stopping):
    """Make at the gateway the refunds decided but not made yet (the payments package's)."""
    from .payments.refunds import settle_owed

    settled, failed = settle_owed(db.session, config=current_app.config, now=utcnow())
    if settled or failed:
        log.info("refunds: %s settled, %s failed and wait for the next run", settled, failed)


def privacy_retention(stopping):
    from .privacy.cli import retention_job

    retention_job(stopping)


@dataclass(frozen=True)
class Job:
    name: str
    func: object
    every_seconds: int


#: What the worker runs, and how often. Mail goes out within seconds of its commit.
JOBS = (
    Job("deliver-mail", deliver_mail, 2),
    Job("send-newsletter", send_newsletter, 5),
    Job("release-holds", release_holds, 60),
    Job("settle-refunds", settle_refunds, 60),
    Job("send-reminders", send_reminders, 5 * 60),
    Job("sync-calendar", sync_calendar, 15 * 60),
    Job("privacy-retention", privacy_retention, 60 * 60),
)


class Worker:
    """The scheduler, its jobs and its clean stop."""

    def __init__(self, app, jobs=JOBS, threads=4):
        self.app = app
        self.stopping = threading.Event()
        self.scheduler = BlockingScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(threads)},
        )
        start = datetime.now(UTC)
        for job in jobs:
            self.scheduler.add_job(
                self._run,
                IntervalTrigger(seconds=job.every_seconds, timezone=UTC),
                args=(job,),
                id=job.name,
                name=job.name,
                next_run_time=start,
                # One run of a job at a time; missed runs (a long sync) collapse into one.
                max_instances=1,
                coalesce=True,
                misfire_grace_time=60,
            )

    def _run(self, job):
        if self.stopping.is_set():
            return
        with self.app.app_context():
            try:
                job.func(self.stopping)
            except Exception:
                db.session.rollback()
                log.exception("job %s failed; it runs again on its next turn", job.name)

    def stop(self, signum=None, _frame=None):
        """Let the running jobs finish, then return from run()."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        name = signal.Signals(signum).name if signum else "stop"
        log.info("worker: %s received, finishing the running jobs", name)
        self.scheduler.shutdown(wait=True)

    def run(self):
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.stop)
        names = ", ".join(f"{job.name} every {job.trigger.interval}" for job in self.jobs())
        log.info("worker: started (%s)", names)
        self.scheduler.start()
        log.info("worker: stopped")

    def jobs(self):
        return self.scheduler.get_jobs()


def _configure_logging(app):
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    # The scheduler logs every run of a job every 2 seconds otherwise.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@click.command("worker")
@with_appcontext
def worker():
    """Send mail within seconds and run holds, refunds, reminders and calendar sync; stops on
    SIGTERM or Ctrl-C once the running jobs finish."""
    app = current_app._get_current_object()
    _configure_logging(app)
    Worker(app).run()


def register(group):
    group.add_command(worker)
