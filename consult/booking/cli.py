"""Time-driven booking jobs for cron: release unpaid holds, send reminders. Both idempotent."""

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import business
from ..extensions import db, utcnow
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
    """Queue a reminder for each session starting within REMINDER_HOURS; never twice.

    The worker (or send-mail) delivers them. Exits 1 when queueing failed.
    """
    try:
        count = service.send_due_reminders(
            db.session, utcnow(), current_app.config, business.current()
        )
    except Exception as error:
        current_app.logger.exception("queueing reminders failed")
        click.echo(f"Queueing reminders failed: {error}", err=True)
        raise SystemExit(1) from error
    click.echo(f"Queued {count} reminder(s); the worker or send-mail delivers them.")


def register(group):
    group.add_command(release_holds)
    group.add_command(send_reminders)
