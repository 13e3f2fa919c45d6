"""The one write boundary every mutating use case goes through, and engine settings.

    with write(session) as tx:
        booking = tx.lock(booking)          # a row lock on PostgreSQL
        tx.lock_key(DAY_LOCK, day)          # an advisory lock on PostgreSQL
        ...
        tx.after_commit(deliver, booking.id)

`write()` opens the transaction (BEGIN IMMEDIATE on SQLite, so writers queue up front
instead of failing when a read upgrades), commits when the block ends, rolls back when it
raises, then runs the after-commit work. A `write()` inside another one joins it: the outer
block commits. Services never look at the dialect; the locks they ask for here do.

Nothing slow runs inside: `write_is_open()` says whether this thread is inside a boundary,
so gateways, mail transports and calendar clients can refuse to be called there.
"""

import contextvars
import logging
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import scoped_session

from .extensions import db

log = logging.getLogger(__name__)

#: Execution option: open the transaction with BEGIN IMMEDIATE on SQLite.
IMMEDIATE = "consult_begin_immediate"

#: The boundary open in this thread or task, if any.
_current = contextvars.ContextVar("consult_write", default=None)


class WriteOutsideBoundary(RuntimeError):
    """A write boundary was asked for while the session holds unsaved changes of its own."""


class NetworkInsideWrite(RuntimeError):
    """A call that leaves the process (Stripe, SMTP, a calendar) was made inside write()."""


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


def _plain(session):
    """The Session behind Flask-SQLAlchemy's scoped proxy, which hides in_transaction()."""
    return session() if isinstance(session, scoped_session) else session


class Write:
    """An open write transaction: its session, the locks it offers, its after-commit work."""

    def __init__(self, session):
        self.session = session
        self._after_commit = []

    @property
    def _postgresql(self):
        return self.session.get_bind().dialect.name == "postgresql"

    def lock(self, instance):
        """Lock the row behind `instance` until the transaction ends, and reload it.

        PostgreSQL takes a row lock (SELECT ... FOR UPDATE); SQLite already holds the
        database's write lock, so only the reload happens. Lock before changing it: the
        reload replaces attributes set on it and not yet flushed.
        """
        if self._postgresql:
            # The key alone, FOR UPDATE: a relationship loaded by an outer join would make
            # PostgreSQL refuse to lock the whole row set of the refresh.
            mapper = sa.inspect(instance).mapper
            key = mapper.primary_key_from_instance(instance)
            match = [column == value for column, value in zip(mapper.primary_key, key, strict=True)]
            self.session.execute(sa.select(*mapper.primary_key).where(*match).with_for_update())
        self.session.refresh(instance)
        return instance

    def lock_rows(self, statement, *, skip_locked=False):
        """`statement` (a select) that row-locks what it returns; SQLite ignores the clause.

        Only the rows of the entity selected are locked (FOR UPDATE OF), so a relationship
        the model loads by an outer join does not make PostgreSQL refuse the lock.
        """
        entity = statement.column_descriptions[0].get("entity")
        return statement.with_for_update(skip_locked=skip_locked, of=entity)

    def lock_key(self, namespace, key):
        """A lock on an idea rather than a row (a local day), held until the transaction ends.

        PostgreSQL: a transaction-level advisory lock on (namespace, key), two integers.
        SQLite: nothing more to do, its writers already take turns.
        """
        if self._postgresql:
            self.session.execute(sa.select(sa.func.pg_advisory_xact_lock(namespace, key)))

    def insert(self, table):
        """The dialect's INSERT, which offers ON CONFLICT on both databases."""
        return (postgresql.insert if self._postgresql else sqlite.insert)(table)

    def after_commit(self, func, *args, **kwargs):
        """Run `func` once the transaction has committed (never if it rolls back)."""
        self._after_commit.append((func, args, kwargs))


@contextmanager
def write(session=None):
    """The write boundary: yields a Write; commits at the end, rolls back on an exception."""
    session = _plain(session or db.session)
    outer = _current.get()
    if outer is not None and outer.session is session:
        yield outer
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise WriteOutsideBoundary("the session has changes made outside a write boundary")
        # Loading the signed-in user already began a (read) transaction: end it.
        session.commit()
    session.connection(execution_options={IMMEDIATE: True})
    tx = Write(session)
    token = _current.set(tx)
    try:
        yield tx
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _current.reset(token)
    for func, args, kwargs in tx._after_commit:
        func(*args, **kwargs)


def release_read(session=None):
    """End the read transaction `session` is in, keeping what it loaded, before a slow call.

    Reading the booking began a transaction; a call to Stripe must not keep it open (on
    PostgreSQL an idle transaction holds its snapshot, on SQLite its read mark). Objects stay
    loaded, so the gateway reads them without going back to the database.
    """
    session = _plain(session or db.session)
    if not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted:
        raise WriteOutsideBoundary("the session has changes made outside a write boundary")
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire_on_commit


def write_is_open():
    """Whether this thread is inside a write boundary (and must not call the network)."""
    return _current.get() is not None


def outside_write(what):
    """Refuse a network call (`what` names it) inside a write boundary."""
    if write_is_open():
        raise NetworkInsideWrite(f"{what} called inside a write transaction")


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
