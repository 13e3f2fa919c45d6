"""`flask --app app consult send-newsletter` (one run, for cron and tests) and
`... newsletter-bounces FILE...` (the mail server's bounces and complaints; `-` is stdin)."""

import sys

import click
from flask.cli import with_appcontext

from ..extensions import db, utcnow
from . import bounces, sending, subscribers


@click.command("send-newsletter")
@click.option("--limit", type=int, default=None, help="Most deliveries to try.")
@with_appcontext
def send_newsletter(limit):
    """Queue the issues due and send their deliveries, as the worker does."""
    run = sending.send_due(limit=limit)
    click.echo(
        f"Sent {run.sent}; {run.failed} failed ({run.bounced} bounced), {run.skipped} skipped, "
        f"{run.deferred} wait for a retry; {run.queued_issues} issue(s) queued."
    )
    if run.deferred:
        raise SystemExit(1)


@click.command("newsletter-bounces")
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@with_appcontext
def newsletter_bounces(files):
    """Mark bounced the readers that delivery reports (RFC 3464) or complaints (RFC 5965)
    name; one message per file, `-` reads one from stdin."""
    reports = []
    for name in files:
        if name == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(name, "rb") as handle:
                raw = handle.read()
        reports += bounces.parse(raw)
    marked = subscribers.mark_reported(db.session, reports, utcnow())
    click.echo(
        f"{marked.bounced} bounce(s) and {marked.complaints} complaint(s) recorded; "
        f"{len(marked.unknown)} report(s) about nobody on the list."
    )


def register(group):
    group.add_command(send_newsletter)
    group.add_command(newsletter_bounces)
