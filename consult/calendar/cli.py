"""`flask --app app consult sync-calendar`: her calendar's busy times in, sessions out."""

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import business
from ..config import private_addresses_allowed
from ..extensions import db, utcnow
from .sync import sync_calendars


def run_sync():
    """One sync with the running app's settings: the command's work, and the worker's job."""
    return sync_calendars(
        db.session,
        business.current(),
        utcnow(),
        current_app.config["CALENDAR_TIMEOUT_SECONDS"],
        private_addresses_allowed(current_app.config),
        current_app.config["CALENDAR_CA_BUNDLE"],
    )


@click.command("sync-calendar")
@with_appcontext
def sync_calendar():
    """Read busy times from her calendar and write her sessions to CalDAV. Cron-safe.

    An unreachable calendar keeps its last known busy times; the command then exits 1.
    """
    results = run_sync()
    if not results:
        click.echo("No calendar is set up: nothing to sync.")
        return
    for result in results:
        if result.ok:
            click.echo(
                f"{result.source}: {result.busy} busy time(s); "
                f"{result.written} session(s) written, {result.removed} removed."
            )
        else:
            click.echo(f"{result.source}: FAILED, {result.error}", err=True)
    if not all(result.ok for result in results):
        raise SystemExit(1)


def register(group):
    group.add_command(sync_calendar)
