"""Her bookings: the list by status, one booking's page, and what she can do to it."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.access import owner_only
from ..booking.models import COMPLETED, NO_SHOW, STATUSES, Booking, IllegalTransition
from ..extensions import db, utcnow
from .blueprint import bp
from .forms import NotesForm, StatusForm
from .queries import bookings_filtered
from .service import TooEarly, mark_attendance, save_notes

PER_PAGE = 50


def remaining_refundable(entry):
    return entry.total_cents + sum(refund.total_cents for refund in entry.refunds)


#: Attendance status -> (form prefix, template name of its form).
ATTENDANCE_FORMS = {COMPLETED: ("completed", "completed_form"), NO_SHOW: ("noshow", "no_show_form")}


@bp.route("/bookings")
@owner_only
def bookings():
    """Every booking, newest session first, filtered by status."""
    status = request.args.get("status", "")
    if status not in STATUSES:
        status = ""
    page = db.paginate(bookings_filtered(status or None), per_page=PER_PAGE, error_out=False)
    return render_template("admin/bookings.html", page=page, status=status, statuses=STATUSES)


def _forms(booking):
    return {
        "notes_form": NotesForm(prefix="notes", obj=booking),
        "completed_form": StatusForm(prefix="completed"),
        "no_show_form": StatusForm(prefix="noshow"),
    }


def _page(booking, status=200, **forms):
    all_forms = _forms(booking)
    all_forms.update(forms)
    entries = sorted(booking.ledger_entries, key=lambda entry: (entry.occurred_at, entry.id))
    return render_template(
        "admin/booking.html",
        booking=booking,
        entries=entries,
        refundable={entry.id: remaining_refundable(entry) for entry in entries},
        now=utcnow(),
        **all_forms,
    ), status


@bp.route("/bookings/<int:booking_id>")
@owner_only
def booking(booking_id):
    """One booking: the prospect, the intake answers, the money, her notes, her actions."""
    return _page(db.get_or_404(Booking, booking_id))


@bp.route("/bookings/<int:booking_id>/notes", methods=["POST"])
@owner_only
def booking_notes(booking_id):
    """Save her private notes on the booking."""
    booking = db.get_or_404(Booking, booking_id)
    form = NotesForm(prefix="notes")
    if not form.validate_on_submit():
        return _page(booking, 400, notes_form=form)
    save_notes(db.session, current_user, booking, form.owner_notes.data or "")
    flash(_("Notes saved."), "success")
    return redirect(url_for("admin.booking", booking_id=booking.id))


@bp.route("/bookings/<int:booking_id>/mark/<status>", methods=["POST"])
@owner_only
def booking_mark(booking_id, status):
    """Mark a session that has taken place as completed, or as a no-show."""
    booking = db.get_or_404(Booking, booking_id)
    if status not in ATTENDANCE_FORMS:
        abort(404)
    prefix, form_name = ATTENDANCE_FORMS[status]
    form = StatusForm(prefix=prefix)
    if not form.validate_on_submit():
        return _page(booking, 400, **{form_name: form})
    try:
        mark_attendance(db.session, current_user, booking, status, utcnow())
    except TooEarly:
        db.session.rollback()
        flash(_("The session has not started yet."), "error")
    except IllegalTransition:
        db.session.rollback()
        flash(_("A booking that is not confirmed cannot be marked that way."), "error")
    else:
        if status == COMPLETED:
            flash(_("Booking %(ref)s marked completed.", ref=booking.reference), "success")
        else:
            flash(_("Booking %(ref)s marked as a no-show.", ref=booking.reference), "success")
    return redirect(url_for("admin.booking", booking_id=booking.id))
