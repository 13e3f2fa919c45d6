"""`flask --app app consult backup PATH`: a consistent copy of the SQLite database, taken
while the site serves.

SQLite's online backup API copies the database page by page under one read transaction:
in WAL mode writers carry on meanwhile, and the copy is the database as it was at one
instant (never half a booking, or a payment without its receipt number). On PostgreSQL the
command says to use pg_dump, which does the same there, and exits 2: it does not run it
itself, so the database's credentials stay with the tools made for them.
"""

import os
import sqlite3

import click
from flask.cli import with_appcontext

from .extensions import db

#: What the PostgreSQL way is, printed instead of a copy.
PG_DUMP_ADVICE = (
    "This site runs on PostgreSQL: back it up with pg_dump, which takes a consistent "
    "snapshot while the site serves:\n"
    '  pg_dump --format=custom --file=consult-$(date +%F).dump "$CONSULT_DATABASE_URL"\n'
    "and restore into an empty database with:\n"
    '  pg_restore --no-owner --dbname="$CONSULT_DATABASE_URL" consult-YYYY-MM-DD.dump'
)


class BackupRefused(click.ClickException):
    exit_code = 2


def sqlite_backup(source_path, target_path):
    """Copy the SQLite database at `source_path` to `target_path` (written whole, then moved
    into place); returns the copy's size in bytes. The copy is one self-contained file."""
    partial = target_path + ".part"
    if os.path.exists(partial):
        os.remove(partial)
    source = sqlite3.connect(source_path, timeout=30)
    try:
        target = sqlite3.connect(partial)
        try:
            # pages=-1: every page in one step, so one read snapshot covers the whole copy.
            source.backup(target, pages=-1)
            target.execute("PRAGMA journal_mode=DELETE")
            (verdict,) = target.execute("PRAGMA integrity_check").fetchone()
        finally:
            target.close()
    finally:
        source.close()
    if verdict != "ok":
        os.remove(partial)
        raise click.ClickException(f"the copy failed its integrity check: {verdict}")
    os.replace(partial, target_path)
    return os.path.getsize(target_path)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--overwrite", is_flag=True, help="Replace PATH if it exists.")
@with_appcontext
def backup(path, overwrite):
    """Write a consistent copy of the SQLite database to PATH, while the site serves.

    Restore by stopping the site and worker, putting the copy in place of the database
    file (instance/consult.sqlite3), and starting them again. On PostgreSQL this says to
    use pg_dump and exits 2.
    """
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        click.echo(PG_DUMP_ADVICE, err=True)
        raise SystemExit(2)
    source = os.path.abspath(url.database or "")
    target = os.path.abspath(path)
    if not url.database or url.database == ":memory:":
        raise BackupRefused("the database is in memory: there is no file to copy")
    if target == source:
        raise BackupRefused("PATH is the database itself; choose another file")
    if os.path.exists(target) and not overwrite:
        raise BackupRefused(f"{path} exists; pass --overwrite to replace it")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    size = sqlite_backup(source, target)
    click.echo(f"Backed up {source} to {target} ({size / 1024:.0f} KB, integrity ok).")


def register(group):
    group.add_command(backup)
