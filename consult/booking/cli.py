"""Time-driven booking jobs for cron: release unpaid holds, send reminders. Both idempotent."""

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db, utcnow
from ..mail.outbox import deliver_queued
from . import service


@click.command("release-holds")
@with_appcontext
def release_holds():
    """Mark unpaid holds past their deadline as expired. Safe to run any time, and twice."""
    count = service.release_expired_holds(db.session, utcnow())
    click.echo(f"Released {count} expired hold(s).")


@click.command("send-reminders")
@with_appcontext
def send_reminders():
    """Email each client whose session starts within REMINDER_HOURS; never twice."""
    count = service.send_due_reminders(db.session, utcnow(), current_app.config)
    sent, failed = deliver_queued()
    click.echo(f"Queued {count} reminder(s); sent {sent} message(s), {failed} failed.")


def register(group):
    group.add_command(release_holds)
    group.add_command(send_reminders)
