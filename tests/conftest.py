"""Shared fixtures: a fresh database per test on SQLite or PostgreSQL, the app, its client.

The backend is chosen by CONSULT_TEST_DB (sqlite, the default, or postgresql). On
PostgreSQL the run creates its own database and drops it at the end. When no
PostgreSQL answers, PostgreSQL tests skip with a reason locally and fail in CI.
"""

import os
import threading
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import settings
from werkzeug.serving import make_server

from consult import create_app
from consult.extensions import db, utcnow

# Hypothesis keeps no example database: nothing of a run lands in the tree or in git.
settings.register_profile("consult", database=None, deadline=None)
settings.load_profile("consult")

BACKEND = os.environ.get("CONSULT_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get(
    "CONSULT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_report_header(config):
    return f"consult test database: {BACKEND}"


def pytest_collection_modifyitems(config, items):
    if BACKEND == "postgresql":
        return
    skip = pytest.mark.skip(reason="PostgreSQL only: runs in the CONSULT_TEST_DB=postgresql pass")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def _postgres_unavailable(reason):
    message = f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {reason}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing():
    """Argon2's production cost is slow on purpose; tests hash with its cheapest profile.

    Verification reads the parameters from each hash, so production hashes still verify.
    """
    import argon2

    from consult.auth import models

    production = models._hasher
    models._hasher = argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST)
    yield
    models._hasher = production


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database of this run's own, created for it and dropped after it."""
    if BACKEND == "sqlite":
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
        return
    name = f"consult_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as error:
        admin.dispose()
        _postgres_unavailable(str(error.orig).strip().splitlines()[0])
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def make_test_config(database_url, instance_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance_path),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SITE_URL": "http://localhost",
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    """Create every table once per run; each test then empties them."""
    app = create_app(make_test_config(database_url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return database_url


def _empty_all_tables():
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def app_config():
    """Override to change settings for one test module: return a dict."""
    return {}


@pytest.fixture
def app(_schema, tmp_path, app_config):
    app = create_app(make_test_config(_schema, tmp_path / "instance", **app_config))
    yield app
    with app.app_context():
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def deliver_mail(app):
    """deliver_mail(): send the queued mail now, as the worker does within seconds."""
    from consult.mail.outbox import deliver_queued

    def deliver(**options):
        with app.app_context():
            return deliver_queued(**options)

    return deliver


@pytest.fixture
def make_user(app):
    """Build a user: make_user(role="owner", email=..., password=...)."""
    from consult.auth.models import User

    def build(role="owner", email=None, password="correct horse battery", **fields):
        with app.app_context():
            user = User(email=email or f"{role}-{uuid.uuid4().hex[:6]}@example.org", role=role)
            for key, value in fields.items():
                setattr(user, key, value)
            user.set_password(password)
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            user.password = password
            return user

    return build


class AuthActions:
    def __init__(self, client, make_user):
        self._client = client
        self._make_user = make_user

    def login(self, role="owner", **fields):
        user = self._make_user(role=role, **fields)
        response = self._client.post(
            "/fr/login", data={"email": user.email, "password": user.password}
        )
        assert response.status_code == 302, response.text
        return user

    def logout(self):
        return self._client.post("/fr/logout")


@pytest.fixture
def auth(client, make_user):
    return AuthActions(client, make_user)


@pytest.fixture
def held(app):
    """A held booking of $287.44 (250 + GST 12.50 + QST 24.94), as a detached snapshot."""
    from tests.factories import make_held_booking

    with app.app_context():
        booking = make_held_booking(db.session, utcnow())
        db.session.commit()
        db.session.refresh(booking)
        db.session.expunge(booking)
        return booking


@pytest.fixture
def live_server(app):
    """The app served over real HTTP by a threaded server on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    # Links in emails and to the checkout are built on SITE_URL: make it this server.
    app.config["SITE_URL"] = server.url
    yield server
    server.shutdown()
    thread.join(timeout=5)
