"""`flask --app app consult privacy-retention`, and the worker's retention job."""

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import business
from ..extensions import db, utcnow
from . import service

log = logging.getLogger(__name__)


def run_retention(now=None):
    """Anonymise what is past the owner's retention periods; the counts, by kind."""
    settings = service.load_settings(db.session, current_app.config, business.current())
    return service.apply_retention(db.session, settings, now or utcnow())


def retention_job(stopping=None):
    """The worker's turn: once in a while, what is past its period is anonymised."""
    counts = run_retention()
    if any(counts.values()):
        log.info("privacy retention: %s", counts)


@click.command("privacy-retention")
@with_appcontext
def privacy_retention():
    """Anonymise inquiries, intake answers and mail bodies past their retention period, and
    delete newsletter sign-ups never confirmed."""
    counts = run_retention()
    click.echo(
        "Anonymised: {inquiries} inquiries, {intake_answers} intake answers, "
        "{messages} message bodies; deleted {sign_ups} newsletter sign-ups never "
        "confirmed.".format(**counts)
    )


def register(group):
    group.add_command(privacy_retention)
