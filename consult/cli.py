"""`flask --app app consult ...`: the command group; seeding and accounts live here.

Each package adds its own commands through its `register(group)` (booking's holds and
reminders, calendar sync, mail delivery, the worker), so nothing here imports them back.
"""

import os

import click
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from .auth.access import ROLES
from .auth.models import User
from .auth.seed import DEMO_ACCOUNTANT, DEMO_OWNER, has_real_data
from .database import write
from .extensions import db

#: Each domain contributes a seeding function `seed(session, now)`, run in this order.
DEMO_SEEDERS = [
    "consult.auth.seed:seed",
    "consult.content.seed:seed",
    "consult.booking.seed:seed",
    "consult.payments.seed:seed",
]


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Create demo content and accounts; safe to run again, never over real data."""
    if has_real_data(db.session):
        click.echo("This database holds real accounts; demo content was not added.")
        return
    from importlib import import_module

    from .extensions import utcnow

    now = utcnow()
    with write(db.session) as tx:
        for dotted in DEMO_SEEDERS:
            module_name, _, func_name = dotted.partition(":")
            getattr(import_module(module_name), func_name)(tx.session, now)
    click.echo(f"Demo site ready at {current_app.config['SITE_URL']}")
    click.echo(f"  owner:      {DEMO_OWNER[0]} / {DEMO_OWNER[1]}")
    click.echo(f"  accountant: {DEMO_ACCOUNTANT[0]} / {DEMO_ACCOUNTANT[1]}")


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True, help="The address the person signs in with.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="owner or accountant.")
@click.option("--name", default="", help="Display name.")
@click.option(
    "--password-env",
    metavar="VAR",
    help="Read the password from this environment variable instead of asking.",
)
def create_user(email, role, name, password_env):
    """Create a user; asks for the password without echo unless --password-env is given."""
    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise click.BadParameter(str(error), param_hint="--email") from None
    if db.session.scalar(sa.select(User).where(User.email == email)):
        raise click.BadParameter(f"a user with {email} already exists", param_hint="--email")
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            raise click.BadParameter(
                f"environment variable {password_env} is empty or unset",
                param_hint="--password-env",
            )
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise click.BadParameter("the password needs at least 10 characters")
    user = User(email=email, role=role, name=name)
    user.set_password(password)
    with write(db.session) as tx:
        tx.session.add(user)
    click.echo(f"Created {role} {email}.")


def init_app(app):
    """Add `flask consult ...`: these commands, then each package's."""
    from . import backup, worker
    from .booking import cli as booking_cli
    from .calendar import cli as calendar_cli
    from .mail import cli as mail_cli
    from .newsletter import cli as newsletter_cli
    from .payments import cli as payments_cli
    from .privacy import cli as privacy_cli

    group = AppGroup("consult", help="Site administration commands.")
    group.add_command(seed_demo)
    group.add_command(create_user)
    for package in (
        backup,
        booking_cli,
        calendar_cli,
        mail_cli,
        newsletter_cli,
        payments_cli,
        privacy_cli,
        worker,
    ):
        package.register(group)
    app.cli.add_command(group)
