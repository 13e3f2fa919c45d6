"""The private ICS feed (no language prefix) and the owner's calendar-apps page."""

import secrets
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import navigation
from ..auth.access import owner_only, public
from ..booking.models import Booking
from ..extensions import db, utcnow
from . import ics, service, sync
from .forms import SourcesForm
from .models import CalendarSettings, get_settings
from .sync import SESSION_STATUSES, sync_calendars

bp = Blueprint("calendar", __name__)

ADMIN = "/<lang:lang>/admin/calendar-apps"
#: How far back the feed goes; older sessions are in her calendar app already.
FEED_PAST_DAYS = 365
#: What the page says for each way a sync can fail; the technical detail follows it.
SYNC_ERRORS = {
    sync.UNREACHABLE: _l("Your calendar could not be reached."),
    sync.NOT_A_CALENDAR: _l("The address did not return a calendar."),
    sync.TOO_LARGE: _l("The calendar file is too large (over 10 MB)."),
    sync.BAD_ADDRESS: _l("This address cannot be read: use an https or webcal address."),
    sync.NO_CALENDAR: _l("No calendar was found in this CalDAV account."),
    sync.WRITE_FAILED: _l(
        "Busy times were read, but your sessions could not be written to this calendar."
    ),
}


@bp.record_once
def add_menu(state):
    navigation.add_staff(state.app, "calendar.settings", _l("Calendar apps"), 60)


@bp.route("/calendar/<token>.ics")
@public
def feed(token):
    """Her confirmed sessions as a calendar to subscribe to; the token is the only key."""
    settings = db.session.scalar(sa.select(CalendarSettings).where(CalendarSettings.id == 1))
    if settings is None or not secrets.compare_digest(token.encode(), settings.feed_token.encode()):
        abort(404)
    now = utcnow()
    bookings = db.session.scalars(
        sa.select(Booking)
        .where(
            Booking.status.in_(SESSION_STATUSES),
            Booking.ends_at >= now - timedelta(days=FEED_PAST_DAYS),
        )
        .order_by(Booking.starts_at)
    ).all()
    config = current_app.config
    body = ics.sessions_feed(bookings, config["SITE_NAME"], config["DEFAULT_LOCALE"], now)
    response = make_response(body)
    response.mimetype = "text/calendar"
    response.headers["Content-Disposition"] = 'inline; filename="sessions.ics"'
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def feed_url(settings):
    path = url_for("calendar.feed", token=settings.feed_token)
    return current_app.config["SITE_URL"].rstrip("/") + path


@bp.route(ADMIN, methods=["GET", "POST"])
@owner_only
def settings():
    """Her feed address, and where her busy times come from, with the last sync's outcome."""
    calendar_settings = get_settings(db.session)
    form = SourcesForm(obj=calendar_settings)
    if form.validate_on_submit():
        service.update_sources(
            db.session,
            current_user,
            utcnow(),
            {name: (form[name].data or "").strip() for name in form.data if name != "csrf_token"},
        )
        db.session.commit()
        flash(_("Calendar settings saved. Use “Sync now” to read them at once."), "success")
        return redirect(url_for("calendar.settings"))
    db.session.commit()  # the row, created on the first visit
    form.caldav_password.data = ""
    url = feed_url(calendar_settings)
    zone_name = current_app.config["TIME_ZONE"]
    return render_template(
        "calendar/settings.html",
        form=form,
        feed_url=url,
        webcal_url="webcal://" + url.split("://", 1)[1],
        statuses=[calendar_settings.status(source) for source in ("ics", "caldav")],
        password_saved=bool(calendar_settings.caldav_password),
        sync_errors=SYNC_ERRORS,
        zone=ZoneInfo(zone_name),
        zone_name=zone_name,
    ), 200 if not form.errors else 400


@bp.route(ADMIN + "/token", methods=["POST"])
@owner_only
def regenerate_token():
    """A new feed address; the old one stops working at once."""
    service.regenerate_feed_token(db.session, current_user, utcnow())
    db.session.commit()
    flash(_("New feed address created. Subscribe to it again in your calendar apps."), "success")
    return redirect(url_for("calendar.settings"))


@bp.route(ADMIN + "/sync", methods=["POST"])
@owner_only
def sync_now():
    """Run the calendar sync now, as the cron job does."""
    results = sync_calendars(db.session, utcnow(), current_app.config)
    if not results:
        flash(_("No calendar is set up yet."), "info")
    elif all(result.ok for result in results):
        flash(_("Calendar synced."), "success")
    else:
        flash(_("The sync did not fully work; see the error below."), "error")
    return redirect(url_for("calendar.settings"))
