"""The consult CLI: seeding, accounts, mail delivery."""

import sqlalchemy as sa

from consult.auth.models import User
from consult.extensions import db


def count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_seed_demo_twice_creates_nothing_twice(app, runner):
    from consult.extensions import Base

    first = runner.invoke(args=["consult", "seed-demo"])
    assert first.exit_code == 0, first.output
    assert "owner@example.com" in first.output
    counts = {table.name: None for table in Base.metadata.sorted_tables}
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            counts[table.name] = db.session.scalar(sa.select(sa.func.count()).select_from(table))
    assert counts["users"] == 2
    second = runner.invoke(args=["consult", "seed-demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            again = db.session.scalar(sa.select(sa.func.count()).select_from(table))
            assert again == counts[table.name], table.name


def test_seed_demo_never_writes_over_a_real_site(app, runner, make_user):
    make_user(email="marie@cabinet.ca")
    result = runner.invoke(args=["consult", "seed-demo"])
    assert result.exit_code == 0
    assert "real accounts" in result.output
    assert count(app, User) == 1


def test_create_user_reads_the_password_from_an_env_var(app, runner, monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", "a long enough password")
    result = runner.invoke(
        args=[
            "consult",
            "create-user",
            "--email",
            "Compta@Cabinet.ca",
            "--role",
            "accountant",
            "--password-env",
            "NEW_PASSWORD",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user.email == "compta@cabinet.ca"
        assert user.role == "accountant"
        assert user.check_password("a long enough password")


def test_create_user_prompts_without_echo(app, runner):
    result = runner.invoke(
        args=["consult", "create-user", "--email", "o@cabinet.ca", "--role", "owner"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "a long enough password" not in result.output
    assert count(app, User) == 1


def test_create_user_rejects_bad_arguments_clearly(app, runner, monkeypatch):
    bad_role = runner.invoke(
        args=["consult", "create-user", "--email", "o@cabinet.ca", "--role", "admin"]
    )
    assert bad_role.exit_code == 2
    assert "'admin' is not one of 'owner', 'accountant'" in bad_role.output
    bad_email = runner.invoke(
        args=["consult", "create-user", "--email", "not-an-email", "--role", "owner"]
    )
    assert bad_email.exit_code == 2
    assert "--email" in bad_email.output
    monkeypatch.setenv("SHORT", "short")
    short = runner.invoke(
        args=[
            "consult",
            "create-user",
            "--email",
            "o@cabinet.ca",
            "--role",
            "owner",
            "--password-env",
            "SHORT",
        ]
    )
    assert short.exit_code == 2
    assert "at least 10 characters" in short.output
    missing = runner.invoke(
        args=[
            "consult",
            "create-user",
            "--email",
            "o@cabinet.ca",
            "--role",
            "owner",
            "--password-env",
            "UNSET_VARIABLE",
        ]
    )
    assert missing.exit_code == 2
    assert "UNSET_VARIABLE" in missing.output
    assert count(app, User) == 0


def test_create_user_refuses_a_duplicate(app, runner, make_user, monkeypatch):
    make_user(email="o@cabinet.ca")
    monkeypatch.setenv("PW", "a long enough password")
    result = runner.invoke(
        args=[
            "consult",
            "create-user",
            "--email",
            "o@cabinet.ca",
            "--role",
            "owner",
            "--password-env",
            "PW",
        ]
    )
    assert result.exit_code == 2
    assert "already exists" in result.output


def test_every_command_has_help(runner):
    for command in ("seed-demo", "create-user", "send-mail"):
        result = runner.invoke(args=["consult", command, "--help"])
        assert result.exit_code == 0
        assert "Usage:" in result.output
