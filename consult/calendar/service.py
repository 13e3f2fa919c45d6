"""Her calendar apps: the private feed, the owner's changes to its settings (each written to
the audit log, each in one write), and the page's settings row."""

import secrets
from datetime import timedelta

import sqlalchemy as sa

from ..audit import record
from ..booking.models import COMPLETED, CONFIRMED, Booking, ExternalBusy
from ..database import write
from . import ics
from .models import CalendarSettings, find_settings, get_settings, new_feed_token

#: Booking statuses her calendar shows as sessions (a no-show is not one she held).
CALENDAR_STATUSES = (CONFIRMED, COMPLETED)
#: How far back the feed goes; older sessions are in her calendar app already.
FEED_PAST_DAYS = 365


def feed_url(business, settings):
    """The private feed's address, absolute on SITE_URL."""
    return business.url("calendar.feed", token=settings.feed_token)


def sessions_feed(session, business, token, now):
    """The feed's iCalendar body for `token`, or None when the token is not hers."""
    settings = find_settings(session)
    if settings is None or not secrets.compare_digest(token.encode(), settings.feed_token.encode()):
        return None
    bookings = session.scalars(
        sa.select(Booking)
        .where(
            Booking.status.in_(CALENDAR_STATUSES),
            Booking.ends_at >= now - timedelta(days=FEED_PAST_DAYS),
        )
        .order_by(Booking.starts_at)
    ).all()
    organizer = (business.owner_name, business.owner_email)
    return ics.sessions_feed(bookings, business.site_name, business.locale, organizer)


def page_settings(session):
    """The settings her page shows, created (with a feed token) on her first visit."""
    settings = find_settings(session)
    if settings is None:
        with write(session) as tx:
            settings = get_settings(tx)
    return settings


def regenerate_feed_token(session, user, now):
    """A new secret feed address; calendar apps subscribed to the old one get nothing more."""
    with write(session) as tx:
        settings = get_settings(tx)
        settings.feed_token = new_feed_token()
        settings.updated_at = now
        record(
            session, user, "calendar.feed_token_regenerate", settings, after={"feed": "new address"}
        )
    return settings


def choose_calendar(session, user, now, url):
    """Use the calendar she chose among those the last sync found; False when `url` is
    not one of them (the list changed, or the form was forged)."""
    with write(session) as tx:
        settings = get_settings(tx)
        if url not in [choice["url"] for choice in settings.caldav_choices or []]:
            return False
        before = _described(settings)
        settings.caldav_calendar = url
        settings.caldav_choices = None
        settings.updated_at = now
        record(session, user, "calendar.caldav_choose", settings, before, _described(settings))
    return True


def _described(settings):
    """The settings as the audit log may show them: never the password itself."""
    return {
        "ics_url": "set" if settings.ics_url else "",
        "caldav_url": settings.caldav_url,
        "caldav_username": settings.caldav_username,
        "caldav_password": "set" if settings.caldav_password else "",
        "caldav_calendar": settings.caldav_calendar,
    }


def update_sources(session, user, now, values):
    """Save where busy times come from; a source switched off drops its busy times."""
    with write(session) as tx:
        settings = get_settings(tx)
        before = _described(settings)
        settings.ics_url = values["ics_url"]
        settings.caldav_url = values["caldav_url"]
        settings.caldav_username = values["caldav_username"]
        if values["caldav_password"]:
            settings.caldav_password = values["caldav_password"]
        if not settings.caldav_url:
            settings.caldav_password = ""
        if (settings.caldav_url, values["caldav_calendar"]) != (
            before["caldav_url"],
            before["caldav_calendar"],
        ):
            # Another server or a calendar named: the list found before no longer applies.
            settings.caldav_choices = None
        settings.caldav_calendar = values["caldav_calendar"]
        settings.updated_at = now
        for source in ("ics", "caldav"):
            if not settings.source_url(source):
                _forget_source(session, settings, source)
        record(session, user, "calendar.sources_update", settings, before, _described(settings))
    return settings


def _forget_source(session, settings: CalendarSettings, source):
    session.execute(sa.delete(ExternalBusy).where(ExternalBusy.source == source))
    setattr(settings, f"{source}_busy_count", 0)
    setattr(settings, f"{source}_error_kind", "")
    setattr(settings, f"{source}_last_error", "")
    setattr(settings, f"{source}_last_attempt_at", None)
    setattr(settings, f"{source}_last_success_at", None)
