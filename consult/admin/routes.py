"""The owner's desk: her dashboard, and the views of the calendar, bookings, hours and offers."""

from datetime import timedelta

from flask import current_app, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

from .. import navigation
from ..auth.access import owner_only
from ..extensions import db, utcnow
from ..payments.service import recent_anomalies
from . import (  # noqa: F401
    availability_views,
    booking_views,
    calendar_views,
    mail_views,
    offer_views,
)
from .blueprint import bp
from .display import desk_zone
from .localtime import add_months, day_span, first_of_month, local_today, monday_of
from .queries import live_holds, net_takings, new_inquiries, sessions_between

__all__ = ["bp"]


@bp.record_once
def add_menu(state):
    navigation.add_staff(state.app, "admin.dashboard", _l("Dashboard"), 10)
    navigation.add_staff(state.app, "admin.calendar_week", _l("Calendar"), 20)
    navigation.add_staff(state.app, "admin.bookings", _l("Bookings"), 30)
    navigation.add_staff(state.app, "admin.availability", _l("Availability"), 40)
    navigation.add_staff(state.app, "admin.offers", _l("Offers"), 50)
    state.app.add_url_rule("/admin", "admin_root", admin_root)


@bp.route("/")
@owner_only
def dashboard():
    """What needs her attention: today's and this week's sessions, holds, the month's takings."""
    now = utcnow()
    tz = desk_zone()
    today = local_today(now, tz)
    today_start, today_end = day_span(today, tz)
    monday = monday_of(today)
    week_start, _ = day_span(monday, tz)
    week_end, _ = day_span(monday + timedelta(days=7), tz)
    month = first_of_month(today)
    month_start, _ = day_span(month, tz)
    month_end, _ = day_span(add_months(month, 1), tz)
    week = sessions_between(db.session, week_start, week_end)
    inquiries, inquiry_count = new_inquiries(db.session)
    return render_template(
        "admin/dashboard.html",
        today=today,
        today_sessions=[b for b in week if today_start <= b.starts_at < today_end],
        week_sessions=week,
        monday=monday,
        holds=live_holds(db.session, now),
        inquiries=inquiries,
        inquiry_count=inquiry_count,
        anomalies=recent_anomalies(db.session),
        month=month,
        takings=net_takings(db.session, month_start, month_end),
        currency=current_app.config["CURRENCY"],
    )


@owner_only
def admin_root():
    """/admin without a language: the admin in French, her language."""
    return redirect(url_for("admin.dashboard", lang="fr"))
