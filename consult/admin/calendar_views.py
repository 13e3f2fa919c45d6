"""Her calendar by week and by month, in her zone: sessions, holds, time off and overrides."""

from datetime import date, timedelta

from flask import render_template, request
from flask_babel import gettext as _

from ..auth.access import owner_only
from ..booking.models import HELD
from ..extensions import db, utcnow
from ..formatting import format_time
from ..i18n import current_lang
from .blueprint import bp
from .calendar_grid import HOLD, OVERRIDE, SESSION, TIME_OFF, Event, lay_out
from .display import desk_zone
from .localtime import add_months, day_span, first_of_month, local_today, month_weeks, week_days
from .queries import calendar_bookings, overrides_between, time_off_between


def _anchor_day(today):
    """The `day` query argument (YYYY-MM-DD), or today when it is missing or unreadable."""
    try:
        return date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return today


def _events(first_day, last_day, now, tz):
    start, _end = day_span(first_day, tz)
    end, _end = day_span(last_day + timedelta(days=1), tz)
    lang = current_lang()
    events = [
        Event(
            kind=HOLD if booking.status == HELD else SESSION,
            label=f"{booking.offer.title(lang)} · {booking.client_name}",
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            booking_id=booking.id,
            status=booking.status,
        )
        for booking in calendar_bookings(db.session, start, end, now)
    ]
    events += [
        Event(
            kind=TIME_OFF,
            label=_("Time off: %(reason)s", reason=off.reason) if off.reason else _("Time off"),
            starts_at=off.starts_at,
            ends_at=off.ends_at,
        )
        for off in time_off_between(db.session, start, end)
    ]
    for override in overrides_between(db.session, first_day, last_day):
        if override.closed:
            label = _("Closed")
        else:
            label = _(
                "Other hours: %(start)s to %(end)s",
                start=format_time(override.start_time),
                end=format_time(override.end_time),
            )
        if override.note:
            label = f"{label} ({override.note})"
        events.append(Event(kind=OVERRIDE, label=label, day=override.day))
    return events


@bp.route("/calendar/week")
@owner_only
def calendar_week():
    """One week, Monday to Sunday, each day's sessions, holds, time off and other hours."""
    now = utcnow()
    tz = desk_zone()
    today = local_today(now, tz)
    days = week_days(_anchor_day(today))
    laid = lay_out(days, _events(days[0], days[-1], now, tz), tz, today)
    return render_template(
        "admin/calendar_week.html",
        days=laid,
        monday=days[0],
        previous_day=days[0] - timedelta(days=7),
        next_day=days[0] + timedelta(days=7),
        today=today,
    )


@bp.route("/calendar/month")
@owner_only
def calendar_month():
    """One month as weeks, each day with its sessions, holds, time off and other hours."""
    now = utcnow()
    tz = desk_zone()
    today = local_today(now, tz)
    first = first_of_month(_anchor_day(today))
    weeks = month_weeks(first)
    days = [day for week in weeks for day in week]
    laid = lay_out(
        days,
        _events(days[0], days[-1], now, tz),
        tz,
        today,
        in_range=lambda day: day.month == first.month,
    )
    return render_template(
        "admin/calendar_month.html",
        weeks=[laid[index : index + 7] for index in range(0, len(laid), 7)],
        first=first,
        previous_day=add_months(first, -1),
        next_day=add_months(first, 1),
        today=today,
    )
