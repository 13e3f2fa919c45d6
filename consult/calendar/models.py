"""Her calendar-app settings: the feed's secret and the calendar to read busy times from."""

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm as so

from ..extensions import UTCDateTime, db, utcnow

#: The two kinds of calendar busy times come from, as in ExternalBusy.source.
SOURCES = ("ics", "caldav")


def new_feed_token():
    return secrets.token_urlsafe(32)


class CalendarSettings(db.Model):
    """One row (id 1); created the first time it is needed."""

    __tablename__ = "calendar_settings"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: The secret in the private feed's address; regenerating it cuts off old subscriptions.
    feed_token: so.Mapped[str] = so.mapped_column(sa.String(64), default=new_feed_token)
    #: A private iCalendar address (Google Calendar's "secret address in iCal format").
    ics_url: so.Mapped[str] = so.mapped_column(sa.String(2000), default="")
    caldav_url: so.Mapped[str] = so.mapped_column(sa.String(2000), default="")
    caldav_username: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    #: An app password for the CalDAV account; stored as given, never shown back.
    caldav_password: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    #: The calendar's path or address on the server, or its display name; empty: the
    #: server address itself when it is a calendar, else the account's only calendar.
    caldav_calendar: so.Mapped[str] = so.mapped_column(sa.String(500), default="")

    ics_last_attempt_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    ics_last_success_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    #: Why the last attempt failed (see calendar.sync), with the detail in ics_last_error.
    ics_error_kind: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    ics_last_error: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    ics_busy_count: so.Mapped[int] = so.mapped_column(default=0)
    caldav_last_attempt_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    caldav_last_success_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    #: Why the last attempt failed (see calendar.sync), with the detail in caldav_last_error.
    caldav_error_kind: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    caldav_last_error: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    caldav_busy_count: so.Mapped[int] = so.mapped_column(default=0)
    #: The account's calendars, [{"url", "name"}], when the last sync found several and
    #: none was named: the page asks her to choose; cleared by a sync that works.
    caldav_choices: so.Mapped[list | None] = so.mapped_column(sa.JSON)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    def source_url(self, source):
        return self.ics_url if source == "ics" else self.caldav_url

    def status(self, source):
        """What the admin page shows of a source's last sync."""
        return {
            "source": source,
            "url": self.source_url(source),
            "last_attempt_at": getattr(self, f"{source}_last_attempt_at"),
            "last_success_at": getattr(self, f"{source}_last_success_at"),
            "error_kind": getattr(self, f"{source}_error_kind"),
            "last_error": getattr(self, f"{source}_last_error"),
            "busy_count": getattr(self, f"{source}_busy_count"),
        }


def find_settings(session):
    """The settings row, or None until the owner first opens her calendar page."""
    return session.scalar(sa.select(CalendarSettings).where(CalendarSettings.id == 1))


def get_settings(tx):
    """The settings row, locked until the write `tx` ends; created when missing.

    Two writers that both find no row insert it once between them (ON CONFLICT DO NOTHING),
    then take turns on the row: overlapping syncs and saves apply one after the other.
    """
    tx.session.execute(
        tx.insert(CalendarSettings.__table__)
        .values(id=1, feed_token=new_feed_token())
        .on_conflict_do_nothing(index_elements=["id"])
    )
    return tx.session.scalar(
        tx.lock_rows(sa.select(CalendarSettings).where(CalendarSettings.id == 1)).execution_options(
            populate_existing=True
        )
    )
