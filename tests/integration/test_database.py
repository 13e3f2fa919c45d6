"""The write boundary: one transaction per use case, BEGIN IMMEDIATE on SQLite."""

import sqlite3

import pytest
import sqlalchemy as sa

from consult.database import write
from consult.extensions import db
from tests.conftest import BACKEND


def test_a_write_ends_the_read_transaction_and_starts_its_own(app):
    with app.app_context():
        db.session.execute(sa.text("SELECT 1"))
        with write(db.session) as tx:
            assert db.session().in_transaction()
            connection = tx.session.connection()
            assert connection.get_execution_options().get("consult_begin_immediate") is True
        assert not db.session().in_transaction()


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's write lock; PostgreSQL uses row locks")
def test_on_sqlite_no_other_writer_can_start_while_it_runs(app):
    with app.app_context(), write(db.session):
        path = db.engine.url.database
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
