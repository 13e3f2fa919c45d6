"""Her bookings: the list by status, one booking's page, and what she can do to it."""

from datetime import datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from .. import business
from ..auth.access import owner_only
from ..booking.models import (
    COMPLETED,
    CONFIRMED,
    EXPIRED,
    HELD,
    NO_SHOW,
    STATUSES,
    Booking,
    IllegalTransition,
)
from ..booking.service import OutsidePolicy, SlotNoLongerAvailable, SlotTaken
from ..extensions import db, utcnow
from ..formatting import format_date, format_date_time, format_money
from ..hostile import page_number
from ..payments.gateways import GatewayError
from ..payments.models import PAYMENT
from ..payments.service import InvalidPayment, RefundTooLarge, remaining_refundable
from .blueprint import bp
from .display import desk_zone
from .forms import (
    CancelForm,
    ManualPaymentForm,
    NotesForm,
    RefundForm,
    RescheduleForm,
    StatusForm,
)
from .localtime import local_today
from .queries import bookings_filtered, money_by_booking
from .service import (
    TooEarly,
    cancel_booking,
    mark_attendance,
    record_manual_payment,
    refund_part,
    reschedule_booking,
    reschedule_choices,
    save_notes,
    settle_owed_refunds,
)

PER_PAGE = 50
#: Attendance status -> (form prefix, template name of its form).
ATTENDANCE_FORMS = {COMPLETED: ("completed", "completed_form"), NO_SHOW: ("noshow", "no_show_form")}
#: The most free slots the reschedule list offers (grouped by day).
RESCHEDULE_CHOICES = 300


@bp.route("/bookings")
@owner_only
def bookings():
    """Every booking, newest session first, filtered by status."""
    status = request.args.get("status", "")
    if status not in STATUSES:
        status = ""
    page = db.paginate(
        bookings_filtered(status or None), page=page_number(), per_page=PER_PAGE, error_out=False
    )
    takings = money_by_booking(db.session, [booking.id for booking in page.items])
    return render_template(
        "admin/bookings.html", page=page, status=status, statuses=STATUSES, takings=takings
    )


def _payments(booking):
    """The booking's payments with what each can still give back, oldest first."""
    entries = [entry for entry in booking.ledger_entries if entry.kind == PAYMENT]
    return [(entry, remaining_refundable(entry)) for entry in sorted(entries, key=lambda e: e.id)]


def _refund_form(booking, formdata=None):
    form = RefundForm(formdata=formdata, prefix="refund")
    form.payment.choices = [
        SelectChoice(
            entry.id,
            _(
                "%(number)s: %(amount)s can still be refunded",
                number=entry.number,
                amount=format_money(left, entry.currency),
            ),
        )
        for entry, left in _payments(booking)
        if left > 0
    ]
    return form


def _reschedule_form(booking, formdata=None):
    form = RescheduleForm(formdata=formdata, prefix="reschedule")
    if booking.status != CONFIRMED:
        form.starts_at.choices = []
        return form
    slots = reschedule_choices(db.session, booking, utcnow(), business.current())
    tz = desk_zone()
    form.starts_at.choices = [
        SelectChoice(
            slot.starts_at.isoformat(),
            format_date_time(slot.starts_at, style="medium"),
            optgroup=format_date(slot.starts_at, "full", tz),
        )
        for slot in slots[:RESCHEDULE_CHOICES]
    ]
    return form


def _paid_form(booking, formdata=None):
    return ManualPaymentForm(
        formdata=formdata,
        prefix="paid",
        data={"amount": booking.total_cents, "paid_on": local_today(utcnow(), desk_zone())},
    )


def _page(booking, status=200, **forms):
    """The booking page; `forms` replaces the blank form of the action that failed."""
    forms.setdefault("notes_form", NotesForm(prefix="notes", obj=booking))
    forms.setdefault("completed_form", StatusForm(prefix="completed"))
    forms.setdefault("no_show_form", StatusForm(prefix="noshow"))
    forms.setdefault("cancel_form", CancelForm(prefix="cancel"))
    forms.setdefault("refund_form", _refund_form(booking, formdata=None))
    forms.setdefault("reschedule_form", _reschedule_form(booking, formdata=None))
    forms.setdefault("paid_form", _paid_form(booking, formdata=None))
    forms.setdefault("owed_form", StatusForm(prefix="owed"))
    entries = sorted(booking.ledger_entries, key=lambda entry: (entry.occurred_at, entry.id))
    return render_template(
        "admin/booking.html",
        booking=booking,
        entries=entries,
        refundable={entry.id: left for entry, left in _payments(booking)},
        anomalies=booking.payment_anomalies,
        now=utcnow(),
        **forms,
    ), status


def _back(booking):
    return redirect(url_for("admin.booking", booking_id=booking.id))


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
    return _back(booking)


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
        flash(_("The session has not started yet."), "error")
    except IllegalTransition:
        flash(_("A booking that is not confirmed cannot be marked that way."), "error")
    else:
        if status == COMPLETED:
            flash(_("Booking %(ref)s marked completed.", ref=booking.reference), "success")
        else:
            flash(_("Booking %(ref)s marked as a no-show.", ref=booking.reference), "success")
    return _back(booking)


@bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@owner_only
def booking_cancel(booking_id):
    """Cancel the booking, refunding all that remains paid or nothing."""
    booking = db.get_or_404(Booking, booking_id)
    form = CancelForm(prefix="cancel")
    if not form.validate_on_submit():
        return _page(booking, 400, cancel_form=form)
    reference = booking.reference
    try:
        result = cancel_booking(
            db.session,
            current_user,
            booking,
            utcnow(),
            refund=form.refund.data == "full",
            reason=form.reason.data or "",
            business=business.current(),
            config=current_app.config,
        )
    except OutsidePolicy:
        flash(_("Only a held or confirmed booking can be cancelled."), "error")
    else:
        if result.refund_pending_cents:
            flash(
                _(
                    "Booking %(ref)s cancelled. The payment service did not make the refund of "
                    "%(amount)s yet: it is owed, and tried again every minute.",
                    ref=reference,
                    amount=format_money(result.refund_pending_cents, booking.currency),
                ),
                "warning",
            )
        elif result.refunded_cents:
            flash(
                _(
                    "Booking %(ref)s cancelled; %(amount)s refunded.",
                    ref=reference,
                    amount=format_money(result.refunded_cents, booking.currency),
                ),
                "success",
            )
        else:
            flash(_("Booking %(ref)s cancelled; nothing refunded.", ref=reference), "success")
    return _back(booking)


@bp.route("/bookings/<int:booking_id>/refund", methods=["POST"])
@owner_only
def booking_refund(booking_id):
    """Refund part of a payment: never more than what remains of it."""
    booking = db.get_or_404(Booking, booking_id)
    form = _refund_form(booking, formdata=request.form)
    if not form.validate_on_submit():
        return _page(booking, 400, refund_form=form)
    payments = {entry.id: (entry, left) for entry, left in _payments(booking)}
    payment, left = payments[form.payment.data]
    if form.amount.data > left:
        form.amount.errors.append(
            _(
                "At most %(amount)s can still be refunded.",
                amount=format_money(left, payment.currency),
            )
        )
        return _page(booking, 400, refund_form=form)
    try:
        entry = refund_part(
            db.session,
            current_user,
            payment,
            form.amount.data,
            reason=form.reason.data,
            now=utcnow(),
            config=current_app.config,
        )
    except RefundTooLarge as error:
        form.amount.errors.append(
            _(
                "At most %(amount)s can still be refunded.",
                amount=format_money(error.remaining_cents, payment.currency),
            )
        )
        return _page(db.get_or_404(Booking, booking_id), 400, refund_form=form)
    except GatewayError:
        flash(
            _(
                "The payment service did not make the refund: nothing was refunded or "
                "recorded. Please try again in a moment."
            ),
            "error",
        )
        return _back(booking)
    flash(
        _(
            "%(amount)s refunded (credit note %(number)s).",
            amount=format_money(-entry.total_cents, entry.currency),
            number=entry.number,
        ),
        "success",
    )
    return _back(booking)


@bp.route("/bookings/<int:booking_id>/reschedule", methods=["POST"])
@owner_only
def booking_reschedule(booking_id):
    """Move the session to another free time on the prospect's behalf."""
    booking = db.get_or_404(Booking, booking_id)
    form = _reschedule_form(booking, formdata=request.form)
    if not form.validate_on_submit():
        return _page(booking, 400, reschedule_form=form)
    new_starts_at = datetime.fromisoformat(form.starts_at.data)
    try:
        reschedule_booking(
            db.session, current_user, booking, new_starts_at, utcnow(), business=business.current()
        )
    except SlotTaken:
        flash(_("That time was just taken: pick another one."), "error")
    except OutsidePolicy:
        flash(_("Only a confirmed booking can be moved, and only to a free time."), "error")
    else:
        flash(
            _(
                "Booking %(ref)s moved to %(when)s; the prospect was told.",
                ref=booking.reference,
                when=format_date_time(booking.starts_at, style="full"),
            ),
            "success",
        )
    return _back(booking)


@bp.route("/bookings/<int:booking_id>/paid", methods=["POST"])
@owner_only
def booking_paid(booking_id):
    """Record an Interac (or other) payment received outside the site; confirms the booking."""
    booking = db.get_or_404(Booking, booking_id)
    form = ManualPaymentForm(prefix="paid")
    if booking.status not in (HELD, EXPIRED):
        flash(_("This booking is not waiting for a payment."), "error")
        return _back(booking)
    if not form.validate_on_submit():
        return _page(booking, 400, paid_form=form)
    try:
        entry = record_manual_payment(
            db.session,
            current_user,
            booking,
            utcnow(),
            amount_cents=form.amount.data,
            paid_on=form.paid_on.data,
            reference=form.reference.data or "",
            method=form.method.data,
            business=business.current(),
        )
    except SlotNoLongerAvailable:
        flash(_("The slot went to someone else: nothing was recorded. Return the money."), "error")
    except InvalidPayment:
        form.paid_on.errors.append(_("The payment date cannot be in the future."))
        return _page(db.get_or_404(Booking, booking_id), 400, paid_form=form)
    else:
        flash(
            _(
                "Payment recorded (receipt %(number)s); booking %(ref)s is confirmed.",
                number=entry.number,
                ref=booking.reference,
            ),
            "success",
        )
    return _back(booking)


@bp.route("/bookings/<int:booking_id>/refunds-owed", methods=["POST"])
@owner_only
def booking_settle_refunds(booking_id):
    """Ask the payment service again for the refunds still owed on this booking."""
    booking = db.get_or_404(Booking, booking_id)
    if not StatusForm(prefix="owed").validate_on_submit():
        abort(400)
    settled, failed = settle_owed_refunds(
        db.session, booking, config=current_app.config, now=utcnow()
    )
    if failed:
        flash(_("The payment service still did not make the refund: it stays owed."), "error")
    elif settled:
        flash(_("The refund owed was made."), "success")
    return _back(booking)
