"""The private ICS feed (no language prefix) and the owner's calendar-apps page."""

import hashlib

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import business, navigation
from ..auth.access import owner_only, public
from ..config import private_addresses_allowed
from ..extensions import db, utcnow
from . import service, sync
from .forms import ChooseCalendarForm, SourcesForm

bp = Blueprint("calendar", __name__)

ADMIN = "/<lang:lang>/admin/calendar-apps"
#: What the page says for each way a sync can fail; the technical detail follows it.
SYNC_ERRORS = {
    sync.UNREACHABLE: _l("Your calendar could not be reached."),
    sync.NOT_A_CALENDAR: _l("The address did not return a calendar."),
    sync.TOO_LARGE: _l("The calendar file is too large (over 10 MB)."),
    sync.BAD_ADDRESS: _l("This address cannot be read: use an https or webcal address."),
    sync.NO_CALENDAR: _l("No calendar was found in this CalDAV account."),
    sync.PRIVATE_ADDRESS: _l(
        "This address leads inside a private network; use your calendar's public address."
    ),
    sync.WRITE_FAILED: _l(
        "Busy times were read, but your sessions could not be written to this calendar."
    ),
    sync.TLS_FAILED: _l(
        "The calendar server's security certificate is not one this site trusts, so nothing "
        "was read. If the server uses a certificate of its own (a server at home or at "
        "the office), whoever runs this site can add its certificate authority with the "
        "CONSULT_CALENDAR_CA_BUNDLE setting."
    ),
    sync.CHOOSE_CALENDAR: _l(
        "There are several calendars in this CalDAV account: choose the one to use below."
    ),
}


@bp.record_once
def add_menu(state):
    navigation.add_staff(state.app, "calendar.settings", _l("Calendar apps"), 60)


@bp.route("/calendar/<token>.ics")
@public
def feed(token):
    """Her confirmed sessions as a calendar to subscribe to; the token is the only key."""
    body = service.sessions_feed(db.session, business.current(), token, utcnow())
    if body is None:
        abort(404)
    response = make_response(body)
    response.mimetype = "text/calendar"
    response.headers["Content-Disposition"] = 'inline; filename="sessions.ics"'
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex"
    # The same sessions give the same bytes, so a calendar app asking again gets a 304.
    response.set_etag(hashlib.sha256(body).hexdigest())
    return response.make_conditional(request)


@bp.route(ADMIN, methods=["GET", "POST"])
@owner_only
def settings():
    """Her feed address, and where her busy times come from, with the last sync's outcome."""
    calendar_settings = service.page_settings(db.session)
    form = SourcesForm(obj=calendar_settings)
    if form.validate_on_submit():
        service.update_sources(
            db.session,
            current_user,
            utcnow(),
            {name: (form[name].data or "").strip() for name in form.data if name != "csrf_token"},
        )
        flash(_("Calendar settings saved. Use “Sync now” to read them at once."), "success")
        return redirect(url_for("calendar.settings"))
    form.caldav_password.data = ""
    owner = business.current()
    url = service.feed_url(owner, calendar_settings)
    return render_template(
        "calendar/settings.html",
        form=form,
        choose_form=choose_form(calendar_settings),
        feed_url=url,
        webcal_url="webcal://" + url.split("://", 1)[1],
        statuses=[calendar_settings.status(source) for source in ("ics", "caldav")],
        password_saved=bool(calendar_settings.caldav_password),
        sync_errors=SYNC_ERRORS,
        zone=owner.zone,
        zone_name=owner.time_zone,
    ), 200 if not form.errors else 400


def choose_form(calendar_settings, formdata=None):
    """The calendars the last sync found, to choose from; None when there is no choice."""
    if not calendar_settings.caldav_choices:
        return None
    form = ChooseCalendarForm(formdata=formdata)
    form.calendar.choices = [
        (choice["url"], choice["name"] or choice["url"])
        for choice in calendar_settings.caldav_choices
    ]
    return form


@bp.route(ADMIN + "/calendar", methods=["POST"])
@owner_only
def choose_calendar():
    """Use the calendar she picked from her account's list."""
    form = choose_form(service.page_settings(db.session), request.form)
    if (
        form is None
        or not form.validate()
        or not service.choose_calendar(db.session, current_user, utcnow(), form.calendar.data)
    ):
        flash(_("That calendar is no longer in the list: sync again to see the list."), "error")
        return redirect(url_for("calendar.settings"))
    flash(_("Calendar chosen. Use “Sync now” to read it at once."), "success")
    return redirect(url_for("calendar.settings"))


@bp.route(ADMIN + "/token", methods=["POST"])
@owner_only
def regenerate_token():
    """A new feed address; the old one stops working at once."""
    service.regenerate_feed_token(db.session, current_user, utcnow())
    flash(_("New feed address created. Subscribe to it again in your calendar apps."), "success")
    return redirect(url_for("calendar.settings"))


@bp.route(ADMIN + "/sync", methods=["POST"])
@owner_only
def sync_now():
    """Run the calendar sync now, as the cron job does."""
    results = sync.sync_calendars(
        db.session,
        business.current(),
        utcnow(),
        current_app.config["CALENDAR_TIMEOUT_SECONDS"],
        private_addresses_allowed(current_app.config),
        current_app.config["CALENDAR_CA_BUNDLE"],
    )
    if not results:
        flash(_("No calendar is set up yet."), "info")
    elif all(result.ok for result in results):
        flash(_("Calendar synced."), "success")
    else:
        flash(_("The sync did not fully work; see the error below."), "error")
    return redirect(url_for("calendar.settings"))
