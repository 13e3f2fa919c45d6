"""`flask --app app consult settle-refunds`: make the refunds owed once (cron, tests)."""

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db, utcnow
from .refunds import settle_owed


@click.command("settle-refunds")
@with_appcontext
def settle_refunds():
    """Ask the gateway for every refund decided but not made yet; exits 1 if one failed."""
    settled, failed = settle_owed(db.session, config=current_app.config, now=utcnow())
    click.echo(f"Settled {settled} refund(s); {failed} failed and stay owed.")
    if failed:
        raise SystemExit(1)


def register(group):
    group.add_command(settle_refunds)
