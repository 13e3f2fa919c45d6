"""Owner changes to her calendar-app settings, each written to the audit log."""

import sqlalchemy as sa

from ..audit import record
from ..booking.models import ExternalBusy
from .models import CalendarSettings, get_settings, new_feed_token


def regenerate_feed_token(session, user, now):
    """A new secret feed address; calendar apps subscribed to the old one get nothing more."""
    settings = get_settings(session)
    settings.feed_token = new_feed_token()
    settings.updated_at = now
    record(session, user, "calendar.feed_token_regenerate", settings, after={"feed": "new address"})
    return settings


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
    settings = get_settings(session)
    before = _described(settings)
    settings.ics_url = values["ics_url"]
    settings.caldav_url = values["caldav_url"]
    settings.caldav_username = values["caldav_username"]
    if values["caldav_password"]:
        settings.caldav_password = values["caldav_password"]
    if not settings.caldav_url:
        settings.caldav_password = ""
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
