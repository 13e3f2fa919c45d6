"""Schema changes go through migrations: they build exactly the models' schema, both ways."""

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from consult import create_app
from consult.extensions import db
from tests.conftest import BACKEND, PG_ADMIN_URL, make_test_config


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with no tables at all, separate from the one the other tests share."""
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    name = f"consult_migrate_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def migrated_app(empty_database_url, tmp_path):
    app = create_app(make_test_config(empty_database_url, tmp_path / "instance"))
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


# SQLite cannot reflect the PostgreSQL-only expression indexes; the next test checks them.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression")
def test_migrations_build_the_schema_the_models_describe(migrated_app):
    with migrated_app.app_context(), db.engine.connect() as connection:
        options = migrated_app.extensions["migrate"].configure_args
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": options["include_object"]},
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_the_search_indexes_alembic_cannot_compare_exist(migrated_app):
    with migrated_app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            names = set(
                connection.scalars(
                    sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'articles'")
                )
            )
            assert {"ix_articles_search_fr", "ix_articles_search_en"} <= names
            constraint = connection.scalar(
                sa.text("SELECT contype FROM pg_constraint WHERE conname = 'bookings_no_overlap'")
            )
            assert constraint == "x"
        else:
            names = set(
                connection.scalars(
                    sa.text("SELECT name FROM sqlite_master WHERE name LIKE 'articles_fts%'")
                )
            )
            assert {"articles_fts", "articles_fts_insert", "articles_fts_update"} <= names


def test_the_demo_seeds_into_a_migrated_database_and_it_downgrades_cleanly(migrated_app):
    result = migrated_app.test_cli_runner().invoke(args=["consult", "seed-demo"])
    assert result.exit_code == 0, result.output
    with migrated_app.app_context():
        downgrade(revision="base")
        remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        upgrade()
