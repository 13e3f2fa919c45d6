"""Her availability on one screen: rules, weekly hours, date overrides, time off, a preview."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import business
from ..auth.access import owner_only
from ..booking.models import DateOverride, Offer, TimeOff, WeeklyHours
from ..extensions import db, utcnow
from ..formatting import format_date, format_date_time
from .availability_check import newly_outside, outside_hours
from .blueprint import bp
from .display import desk_zone
from .forms import (
    WEEKDAYS,
    OverrideForm,
    RulesForm,
    TimeOffForm,
    WeeklyHoursForm,
)
from .localtime import local_today
from .service import (
    RULE_FIELDS,
    OverrideClash,
    add_override,
    add_time_off,
    load_rules,
    preview_slots,
    remove_override,
    remove_time_off,
    replace_weekly_hours,
    save_rules,
)

#: How far ahead the free-slot preview looks.
PREVIEW_DAYS = 14
#: The button that saves a change of hours even though booked sessions fall outside them.
CONFIRM_FIELD, CONFIRM_VALUE = "confirm_sessions", "yes"


def _confirmed():
    return request.form.get(CONFIRM_FIELD) == CONFIRM_VALUE


def _warn(section, affected, **forms):
    """The page again with her change unsaved: the sessions it would leave outside her hours,
    each with its move and cancel actions, and a button to save it all the same."""
    return _page(409, warning={"section": section, "sessions": affected}, **forms)


def _weekly_form():
    rows = db.session.scalars(
        sa.select(WeeklyHours).order_by(WeeklyHours.weekday, WeeklyHours.start_time)
    )
    data = {name: [] for name, _label in WEEKDAYS}
    for row in rows:
        data[WEEKDAYS[row.weekday][0]].append({"start": row.start_time, "end": row.end_time})
    form = WeeklyHoursForm(prefix="hours", data=data)
    for _index, _label, day_rows in form.days():
        if all(row.start.data for row in day_rows):
            day_rows.append_entry()
    return form


def _page(status=200, **forms):
    """The one availability screen; `forms` replaces the blank form of the section that failed."""
    tz = desk_zone()
    now = utcnow()
    rules = load_rules(db.session)
    forms.setdefault("rules_form", RulesForm(prefix="rules", obj=rules))
    forms.setdefault("hours_form", _weekly_form())
    forms.setdefault("override_form", OverrideForm(prefix="override", time_zone=tz))
    forms.setdefault("time_off_form", TimeOffForm(prefix="timeoff", time_zone=tz))
    today = local_today(now, tz)
    overrides = db.session.scalars(
        sa.select(DateOverride)
        .where(DateOverride.day >= today)
        .order_by(DateOverride.day, DateOverride.start_time)
    ).all()
    time_off = db.session.scalars(
        sa.select(TimeOff).where(TimeOff.ends_at > now).order_by(TimeOff.starts_at)
    ).all()
    offers = db.session.scalars(
        sa.select(Offer)
        .where(Offer.active.is_(True))
        .order_by(Offer.flagship.desc(), Offer.position, Offer.id)
    ).all()
    chosen = next(
        (offer for offer in offers if offer.id == request.args.get("offer", type=int)),
        offers[0] if offers else None,
    )
    preview = {}
    if chosen is not None:
        for slot in preview_slots(db.session, chosen, now, business.current(), PREVIEW_DAYS):
            preview.setdefault(slot.starts_at.astimezone(tz).date(), []).append(slot)
    forms.setdefault("warning", None)
    return render_template(
        "admin/availability.html",
        outside=outside_hours(db.session, now, tz),
        confirm_field=CONFIRM_FIELD,
        confirm_value=CONFIRM_VALUE,
        overrides=overrides,
        time_off=time_off,
        offers=offers,
        chosen=chosen,
        preview=preview,
        preview_days=PREVIEW_DAYS,
        **forms,
    ), status


@bp.route("/availability")
@owner_only
def availability():
    """Rules, weekly hours, date overrides and time off, with the coming two weeks' free slots."""
    return _page()


@bp.route("/availability/rules", methods=["POST"])
@owner_only
def availability_rules():
    """Save the booking rules: notice, horizon, step, buffers, daily cap."""
    form = RulesForm(prefix="rules")
    if not form.validate_on_submit():
        return _page(400, rules_form=form)
    rules = load_rules(db.session)
    values = {name: form[name].data for name in RULE_FIELDS}
    save_rules(db.session, current_user, rules, values, utcnow())
    flash(_("Booking rules saved."), "success")
    return redirect(url_for("admin.availability"))


@bp.route("/availability/hours", methods=["POST"])
@owner_only
def availability_hours():
    """Replace the weekly hours with the intervals on the form."""
    form = WeeklyHoursForm(prefix="hours")
    if not form.validate_on_submit():
        return _page(400, hours_form=form)
    if not _confirmed():
        affected = newly_outside(db.session, utcnow(), desk_zone(), weekly=form.intervals())
        if affected:
            return _warn("hours", affected, hours_form=form)
    changed = replace_weekly_hours(db.session, current_user, form.intervals())
    if changed:
        flash(_("Weekly hours saved."), "success")
    else:
        flash(_("The weekly hours did not change."), "info")
    return redirect(url_for("admin.availability"))


@bp.route("/availability/overrides", methods=["POST"])
@owner_only
def availability_override_add():
    """Add a date with other hours, or closed."""
    form = OverrideForm(prefix="override", time_zone=desk_zone())
    if not form.validate_on_submit():
        return _page(400, override_form=form)
    if not _confirmed():
        proposed = (form.day.data, form.closed.data, form.start.data, form.end.data)
        affected = newly_outside(db.session, utcnow(), desk_zone(), override=proposed)
        if affected:
            return _warn("overrides", affected, override_form=form)
    try:
        override = add_override(
            db.session,
            current_user,
            form.day.data,
            form.closed.data,
            form.start.data,
            form.end.data,
            form.note.data,
        )
    except OverrideClash:
        form.day.errors.append(_("This date already has other hours that clash with these."))
        return _page(400, override_form=form)
    flash(_("Hours for %(day)s saved.", day=format_date(override.day, "full")), "success")
    return redirect(url_for("admin.availability"))


@bp.route("/availability/overrides/<int:override_id>/remove", methods=["POST"])
@owner_only
def availability_override_remove(override_id):
    """Remove a date override: the usual weekly hours apply again that day."""
    override = db.get_or_404(DateOverride, override_id)
    day = override.day
    remove_override(db.session, current_user, override)
    flash(_("The usual hours apply again on %(day)s.", day=format_date(day, "full")), "success")
    return redirect(url_for("admin.availability"))


@bp.route("/availability/time-off", methods=["POST"])
@owner_only
def availability_time_off_add():
    """Add time off: whole days or some hours, entered in her zone, stored in UTC."""
    form = TimeOffForm(prefix="timeoff", time_zone=desk_zone())
    if not form.validate_on_submit():
        return _page(400, time_off_form=form)
    starts_at, ends_at = form.utc_span()
    if not _confirmed():
        affected = newly_outside(db.session, utcnow(), desk_zone(), time_off=(starts_at, ends_at))
        if affected:
            return _warn("time-off", affected, time_off_form=form)
    add_time_off(db.session, current_user, starts_at, ends_at, form.reason.data)
    flash(
        _(
            "Time off from %(start)s to %(end)s saved.",
            start=format_date_time(starts_at, style="medium"),
            end=format_date_time(ends_at, style="medium"),
        ),
        "success",
    )
    return redirect(url_for("admin.availability"))


@bp.route("/availability/time-off/<int:time_off_id>/remove", methods=["POST"])
@owner_only
def availability_time_off_remove(time_off_id):
    """Remove a time off: its slots open again."""
    time_off = db.get_or_404(TimeOff, time_off_id)
    remove_time_off(db.session, current_user, time_off)
    flash(_("Time off removed."), "success")
    return redirect(url_for("admin.availability"))
