"""Engine settings per database, and the serialized write transaction used on SQLite."""

import sqlalchemy as sa
from sqlalchemy.orm import scoped_session

from .extensions import db

#: Execution option: open the transaction with BEGIN IMMEDIATE on SQLite.
IMMEDIATE = "consult_begin_immediate"


def _configure_sqlite(engine):
    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection):
        immediate = connection.get_execution_options().get(IMMEDIATE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def plain_session(session):
    """The Session behind Flask-SQLAlchemy's scoped proxy, which hides in_transaction()."""
    return session() if isinstance(session, scoped_session) else session


def begin_serialized_write(session=None):
    """Start the session's transaction so that no other writer can interleave.

    On SQLite this takes the database's write lock up front (BEGIN IMMEDIATE); on
    PostgreSQL it is an ordinary transaction, and constraints do the refusing. Call it
    before the transaction's first statement.
    """
    session = plain_session(session or db.session)
    if session.in_transaction():
        # Loading the signed-in user already began a (read) transaction: end it.
        session.commit()
    return session.connection(execution_options={IMMEDIATE: True})


def is_postgresql():
    return db.engine.dialect.name == "postgresql"


def init_app(app):
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)


def ping():
    """True when the database answers a trivial query."""
    with db.engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    return True


#: Expression indexes Alembic can neither reflect nor compare; the migrations create them.
UNCOMPARABLE_INDEXES = {"ix_articles_search_fr", "ix_articles_search_en"}
#: SQLite's full-text tables (the FTS5 table and its shadow tables), made by the migrations.
UNMODELED_TABLES_PREFIX = "articles_fts"


def migration_include_object(obj, name, type_, reflected, compare_to):
    """Alembic autogenerate filter: leave out what it cannot compare."""
    if type_ == "index" and name in UNCOMPARABLE_INDEXES:
        return False
    return not (type_ == "table" and reflected and name.startswith(UNMODELED_TABLES_PREFIX))
