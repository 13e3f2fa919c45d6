"""Speaking inquiries on her desk: the list, and one inquiry's page where she answers it.

Her reply goes out through the outbox and stays on the inquiry's thread with the organiser's
message and answers. The old addresses under /admin/content/inquiries lead here.
"""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import business, navigation
from ..auth.access import owner_only
from ..content.forms import budget_labels
from ..content.models import INQUIRY_STATUSES, IllegalInquiryTransition, SpeakingInquiry
from ..extensions import db, utcnow
from ..hostile import page_number
from . import inquiry_service
from .blueprint import bp
from .inquiry_forms import (
    STATUS_BADGES,
    InquiryNoteForm,
    InquiryReplyForm,
    InquiryStatusForm,
    status_labels,
)

PER_PAGE = 50


@bp.record_once
def add_menu(state):
    navigation.add_staff(state.app, "admin.inquiries", _l("Speaking inquiries"), 24, group="site")
    # The addresses the inquiries had under the content screens (and their emails) still work.
    state.app.add_url_rule(
        "/<lang:lang>/admin/content/inquiries", "content_admin.inquiries", old_inquiries
    )
    state.app.add_url_rule(
        "/<lang:lang>/admin/content/inquiries/<int:inquiry_id>",
        "content_admin.inquiry",
        old_inquiry,
        methods=["GET"],
    )


@owner_only
def old_inquiries():
    """The inquiries' former address: the list, now on the desk."""
    return redirect(url_for("admin.inquiries"), 301)


@owner_only
def old_inquiry(inquiry_id):
    """An inquiry's former address (in the emails she already has): its page on the desk."""
    return redirect(url_for("admin.inquiry", inquiry_id=inquiry_id), 301)


def _labels():
    return {"status_labels": status_labels(), "status_badges": STATUS_BADGES}


@bp.route("/inquiries/")
@owner_only
def inquiries():
    """Speaking inquiries, newest first; filter by status."""
    status = request.args.get("status", "")
    if status and status not in INQUIRY_STATUSES:
        abort(404)
    query = sa.select(SpeakingInquiry).order_by(
        SpeakingInquiry.created_at.desc(), SpeakingInquiry.id.desc()
    )
    if status:
        query = query.where(SpeakingInquiry.status == status)
    page = db.paginate(
        query, page=page_number(), per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "admin/inquiries/list.html",
        page=page,
        status=status,
        statuses=INQUIRY_STATUSES,
        **_labels(),
    )


def _inquiry_page(item, status=200, **forms):
    forms.setdefault("reply_form", InquiryReplyForm(prefix="reply", inquiry=item))
    forms.setdefault("note_form", InquiryNoteForm(prefix="note"))
    forms.setdefault("status_form", InquiryStatusForm(prefix="status", inquiry=item))
    return render_template(
        "admin/inquiries/inquiry.html",
        inquiry=item,
        budget_label=budget_labels()[item.budget_range],
        **_labels(),
        **forms,
    ), status


@bp.route("/inquiries/<int:inquiry_id>")
@owner_only
def inquiry(inquiry_id):
    """One inquiry: its details, its thread, and her reply."""
    return _inquiry_page(db.get_or_404(SpeakingInquiry, inquiry_id))


@bp.route("/inquiries/<int:inquiry_id>/reply", methods=["POST"])
@owner_only
def inquiry_reply(inquiry_id):
    """Send her reply through the outbox, keep it on the thread, move the status."""
    item = db.get_or_404(SpeakingInquiry, inquiry_id)
    form = InquiryReplyForm(prefix="reply", inquiry=item)
    if not form.validate_on_submit():
        return _inquiry_page(item, 400, reply_form=form)
    try:
        inquiry_service.reply(
            db.session,
            current_user,
            item,
            form.body.data.strip(),
            form.status.data,
            utcnow(),
            business=business.current(),
        )
    except IllegalInquiryTransition:
        form.status.errors.append(_("The inquiry cannot take this status now."))
        return _inquiry_page(item, 409, reply_form=form)
    flash(
        _(
            "Your reply to %(name)s is on its way; the inquiry is “%(status)s”.",
            name=item.name,
            status=status_labels()[item.status],
        ),
        "success",
    )
    return redirect(url_for("admin.inquiry", inquiry_id=item.id))


@bp.route("/inquiries/<int:inquiry_id>/answer", methods=["POST"])
@owner_only
def inquiry_note(inquiry_id):
    """Keep on the thread what the organiser answered by email."""
    item = db.get_or_404(SpeakingInquiry, inquiry_id)
    form = InquiryNoteForm(prefix="note")
    if not form.validate_on_submit():
        return _inquiry_page(item, 400, note_form=form)
    inquiry_service.note_answer(db.session, current_user, item, form.body.data.strip(), utcnow())
    flash(_("Their answer is kept on the thread."), "success")
    return redirect(url_for("admin.inquiry", inquiry_id=item.id))


@bp.route("/inquiries/<int:inquiry_id>/status", methods=["POST"])
@owner_only
def inquiry_status(inquiry_id):
    """Change the status without writing to anyone."""
    item = db.get_or_404(SpeakingInquiry, inquiry_id)
    form = InquiryStatusForm(prefix="status", inquiry=item)
    if not form.validate_on_submit():
        return _inquiry_page(item, 400, status_form=form)
    try:
        inquiry_service.set_status(db.session, current_user, item, form.status.data, utcnow())
    except IllegalInquiryTransition:
        form.status.errors.append(_("The inquiry cannot take this status now."))
        return _inquiry_page(item, 409, status_form=form)
    flash(
        _("The inquiry is marked “%(status)s”.", status=status_labels()[item.status]),
        "success",
    )
    return redirect(url_for("admin.inquiry", inquiry_id=item.id))
