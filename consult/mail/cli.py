"""`flask --app app consult send-mail`: deliver queued mail once (cron, tests)."""

import click
from flask.cli import with_appcontext

from .outbox import deliver_queued


@click.command("send-mail")
@with_appcontext
def send_mail():
    """Deliver queued mail; failures stay queued with their error. Cron-safe."""
    sent, failed = deliver_queued(limit=1000)
    click.echo(f"Sent {sent} message(s); {failed} failed and stay queued.")
    if failed:
        raise SystemExit(1)


def register(group):
    group.add_command(send_mail)
