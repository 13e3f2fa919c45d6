"""`flask --app app consult send-mail`: deliver the due mail once (cron, tests)."""

import click
from flask.cli import with_appcontext

from .outbox import deliver_queued


@click.command("send-mail")
@click.option("--limit", default=1000, show_default=True, help="Most messages to try.")
@with_appcontext
def send_mail(limit):
    """Deliver due mail, claimed like the worker does; exits 1 when a message failed."""
    outcome = deliver_queued(limit=limit)
    click.echo(
        f"Sent {outcome.sent} message(s); {outcome.deferred} failed and wait for a retry, "
        f"{outcome.failed} failed for good."
    )
    if not outcome.ok:
        raise SystemExit(1)


def register(group):
    group.add_command(send_mail)
