"""The owner's desk: her dashboard, and the views of the calendar, bookings, hours and offers."""

from datetime import timedelta

from babel.dates import format_date as babel_date
from babel.numbers import format_compact_currency
from flask import current_app, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import business, navigation
from ..auth.access import owner_only
from ..extensions import db, utcnow
from ..formatting import current_locale, format_money, format_percent
from ..payments.service import recent_anomalies
from . import (  # noqa: F401
    availability_views,
    booking_views,
    calendar_views,
    figures,
    inquiries,
    mail_views,
    offer_views,
)
from .blueprint import bp
from .charts import bar_rows, column_chart
from .display import desk_zone
from .localtime import add_months, day_span, first_of_month, local_today, monday_of
from .queries import live_holds, net_takings, new_inquiries, sessions_between

__all__ = ["bp"]


@bp.record_once
def add_menu(state):
    navigation.add_staff(state.app, "admin.dashboard", _l("Dashboard"), 10)
    add = navigation.add_staff
    add(state.app, "admin.calendar_week", _l("Calendar"), 20, group="sessions")
    add(state.app, "admin.bookings", _l("Bookings"), 30, group="sessions")
    add(state.app, "admin.availability", _l("Availability"), 40, group="sessions")
    add(state.app, "admin.offers", _l("Offers"), 50, group="sessions")
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
    waiting, inquiry_count = new_inquiries(db.session)
    return render_template(
        "admin/dashboard.html",
        today=today,
        today_sessions=[b for b in week if today_start <= b.starts_at < today_end],
        week_sessions=week,
        monday=monday,
        holds=live_holds(db.session, now),
        inquiries=waiting,
        inquiry_count=inquiry_count,
        anomalies=recent_anomalies(db.session),
        month=month,
        takings=net_takings(db.session, month_start, month_end),
        currency=current_app.config["CURRENCY"],
        figures=business_figures(now),
    )


def business_figures(now):
    """The dashboard's four pictures over the last twelve months, each with its figures."""
    settings = business.current()
    zone, currency, lang = settings.zone, settings.currency, current_locale()[:2]
    period = figures.last_months(now, zone)
    revenue = figures.revenue_by_month(db.session, period, zone, currency)
    chart = column_chart(
        [
            (babel_date(row.month, "LLL", locale=current_locale()), row.subtotal_cents)
            for row in revenue
        ]
    )
    ticks = [
        (tick, format_compact_currency(tick.value / 100, currency, locale=current_locale()))
        for tick in chart.ticks
    ]
    offers = figures.sessions_by_offer(db.session, period, lang)
    rates = figures.attendance(db.session, period, now)
    sources = figures.bookings_by_source(db.session, period)
    return {
        "period": period,
        "revenue": revenue,
        "revenue_total": sum(row.subtotal_cents for row in revenue),
        "revenue_chart": chart,
        "revenue_ticks": ticks,
        "revenue_labels": [format_money(row.subtotal_cents, currency) for row in revenue],
        "offers": offers,
        "offer_rows": bar_rows([(row.title, row.sessions) for row in offers]),
        "rates": rates,
        "rate_rows": bar_rows(
            [
                (_("No-shows"), round(rates.no_show_rate * 100, 1)),
                (_("Cancellations"), round(rates.cancellation_rate * 100, 1)),
            ],
            scale_max=100,
        ),
        "rate_labels": [
            format_percent(round(rates.no_show_rate, 3)),
            format_percent(round(rates.cancellation_rate, 3)),
        ],
        "sources": sources,
        "source_rows": bar_rows([(source_label(row), row.bookings) for row in sources]),
    }


def source_label(source):
    """How a page a booking came from reads: an article's title, a page's name, or its path."""
    if source.title:
        return source.title
    if not source.path:
        return _("Direct or unknown")
    pages = {
        "": _("Home page"),
        "speaker": _("Speaker page"),
        "articles": _("Articles"),
        "book": _("Offers"),
    }
    parts = source.path.strip("/").split("/")
    if parts and parts[0] in ("fr", "en"):
        rest = "/".join(parts[1:])
        if rest.rstrip("/") in pages:
            return pages[rest.rstrip("/")]
    return source.path


@owner_only
def admin_root():
    """/admin without a language: the admin in French, her language."""
    return redirect(url_for("admin.dashboard", lang="fr"))
