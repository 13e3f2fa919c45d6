"""Her desk's newsletter pages: issues (write, preview, test, schedule, send, figures) and
subscribers (list, search, import, export)."""

from datetime import datetime

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import orm as so

from .. import business, navigation
from ..admin.localtime import NonexistentLocalTime, local_to_utc
from ..auth.access import owner_only
from ..content.forms import ActionForm
from ..extensions import db, utcnow
from ..hostile import page_number
from . import compose, sending, subscribers
from .desk_forms import ImportForm, IssueForm, ScheduleForm
from .models import (
    ACTIVE,
    BOUNCED,
    DRAFT,
    FROM_ARTICLE,
    PENDING,
    SCHEDULED,
    SENDING,
    SENT,
    SUBSCRIBER_STATUSES,
    UNSUBSCRIBED,
    Issue,
)

bp = Blueprint("newsletter_desk", __name__, url_prefix="/<lang:lang>/admin/newsletter")
ISSUES_PER_PAGE = 50


@bp.record_once
def add_menu(state):
    navigation.add_staff(state.app, "newsletter_desk.issues", _l("Newsletter"), 26, group="site")


def issue_status_labels():
    return {
        DRAFT: _("Draft"),
        SCHEDULED: _("Scheduled"),
        SENDING: _("Sending"),
        SENT: _("Sent"),
    }


def reader_status_labels():
    return {
        PENDING: _("Awaiting confirmation"),
        ACTIVE: _("Subscribed"),
        UNSUBSCRIBED: _("Unsubscribed"),
        BOUNCED: _("Bounced"),
    }


def lang_labels():
    return {"fr": _("French"), "en": _("English"), "both": _("Both languages")}


def refusal_labels():
    return {
        subscribers.BAD_EMAIL: _("not a valid email address"),
        subscribers.BAD_LANG: _("unknown language (use fr, en or both)"),
        subscribers.DUPLICATE: _("already earlier in the file"),
        subscribers.CONTROL: _("contains control characters"),
        subscribers.EXISTS: _("already on the list"),
        subscribers.LEFT: _("unsubscribed or bounced: not brought back"),
        subscribers.TOO_MANY: _(
            "this line and the ones after it were not read: at most %(count)s lines at once",
            count=subscribers.IMPORT_MAX_ROWS,
        ),
    }


def issue_title(issue):
    """What the desk calls an issue: its subjects, or its articles' titles."""
    if issue.kind == FROM_ARTICLE:
        titles = [a.title for a in (issue.article_fr, issue.article_en) if a is not None]
    else:
        titles = [s for s in (issue.subject_fr, issue.subject_en) if s]
    return " / ".join(titles) or _("Issue without a subject")


def _issue_or_404(issue_id):
    return db.get_or_404(Issue, issue_id)


def _context():
    return {
        "issue_status_labels": issue_status_labels(),
        "issue_title": issue_title,
        "action": ActionForm(),
    }


# ----------------------------------------------------------------------------- issues


@bp.route("/")
@owner_only
def issues():
    """Every issue, newest first, with what became of each."""
    page = page_number()
    rows = db.session.scalars(
        sa.select(Issue)
        .options(so.selectinload(Issue.article_fr), so.selectinload(Issue.article_en))
        .order_by(Issue.created_at.desc(), Issue.id.desc())
        .offset((page - 1) * ISSUES_PER_PAGE)
        .limit(ISSUES_PER_PAGE + 1)
    ).all()
    shown = rows[:ISSUES_PER_PAGE]
    return render_template(
        "newsletter/admin/issues.html",
        issues=shown,
        figures=sending.figures(db.session, [issue.id for issue in shown]),
        page=page,
        has_next=len(rows) > ISSUES_PER_PAGE,
        counts=subscribers.counts(db.session),
        **_context(),
    )


@bp.route("/issues/new", methods=["GET", "POST"])
@owner_only
def new_issue():
    """Write an issue in French, English or both."""
    return _edit(Issue(kind="written"))


@bp.route("/issues/<int:issue_id>", methods=["GET", "POST"])
@owner_only
def edit_issue(issue_id):
    """Change an issue not yet sent; preview, test, schedule or send it."""
    return _edit(_issue_or_404(issue_id))


def _edit(issue):
    locked = issue.id is not None and not sending.editable(issue)
    if issue.kind == FROM_ARTICLE or locked:
        form = None
    elif request.method == "POST":
        form = IssueForm()
    else:
        form = _form_for(issue)
    if request.method == "POST":
        if form is None:
            flash(_("This issue has gone out: it can no longer be changed."), "error")
            return _issue_page(issue, None), 409
        if form.validate_on_submit():
            try:
                sending.save_written(
                    db.session,
                    issue,
                    {name: form[name].data for name in IssueForm.TEXT_FIELDS},
                    utcnow(),
                    by=current_user,
                )
            except sending.AlreadySent:
                flash(_("This issue has gone out: it can no longer be changed."), "error")
                return _issue_page(issue, None), 409
            flash(_("The issue is saved."), "success")
            return redirect(url_for(".edit_issue", issue_id=issue.id))
        return _issue_page(issue, form), 400
    return _issue_page(issue, form)


def _issue_page(issue, form, schedule_form=None):
    now = utcnow()
    zone = business.current().zone
    if schedule_form is None:
        schedule_form = ScheduleForm()
        if issue.scheduled_at is not None and request.method == "GET":
            schedule_form.send_at.data = issue.scheduled_at.astimezone(zone).replace(tzinfo=None)
    return render_template(
        "newsletter/admin/issue.html",
        issue=issue,
        form=form,
        schedule_form=schedule_form,
        editable=issue.id is None or sending.editable(issue),
        langs=compose.drafted_languages(issue) if issue.id else (),
        live_langs=compose.languages(issue, now) if issue.id else (),
        figures=sending.figures(db.session, [issue.id]).get(issue.id) if issue.id else None,
        zone_name=zone.key,
        now=now,
        **_context(),
    )


@bp.route("/issues/<int:issue_id>/preview")
@owner_only
def preview_issue(issue_id):
    """The issue as readers of each language will read it."""
    issue = _issue_or_404(issue_id)
    site = business.current()
    versions = [compose.version(issue, lang, site) for lang in compose.drafted_languages(issue)]
    return render_template(
        "newsletter/admin/preview.html", issue=issue, versions=versions, **_context()
    )


def _checked_action():
    if not ActionForm().validate_on_submit():
        abort(400)


@bp.route("/issues/<int:issue_id>/test", methods=["POST"])
@owner_only
def test_issue(issue_id):
    """A test copy to her own address, through the outbox."""
    _checked_action()
    issue = _issue_or_404(issue_id)
    try:
        sending.send_test(db.session, issue, current_user.email, utcnow(), business.current())
    except sending.NothingToSend:
        flash(_("Write a subject and a text first."), "error")
    else:
        flash(_("A test copy is on its way to %(email)s.", email=current_user.email), "success")
    return redirect(url_for(".edit_issue", issue_id=issue.id))


def _refused(issue, error):
    messages = {
        sending.AlreadySent: _("This issue has gone out: it can no longer be changed."),
        sending.NothingToSend: _("Write a subject and a text in at least one language first."),
        sending.NotInFuture: _("Pick a time to come."),
    }
    flash(messages[type(error)], "error")
    return redirect(url_for(".edit_issue", issue_id=issue.id))


@bp.route("/issues/<int:issue_id>/schedule", methods=["POST"])
@owner_only
def schedule_issue(issue_id):
    """Send it at a time she picks, in her zone."""
    issue = _issue_or_404(issue_id)
    form = ScheduleForm()
    if not form.validate_on_submit():
        return _issue_page(issue, _form_for(issue), form), 400
    local = form.send_at.data
    try:
        when = local_to_utc(local.date(), local.time(), business.current().zone)
    except NonexistentLocalTime:
        form.send_at.errors.append(_("This time does not exist (the clocks skip it)."))
        return _issue_page(issue, _form_for(issue), form), 400
    try:
        sending.schedule(db.session, issue, when, utcnow(), by=current_user)
    except sending.IssueError as error:
        return _refused(issue, error)
    flash(_("Scheduled."), "success")
    return redirect(url_for(".edit_issue", issue_id=issue.id))


def _form_for(issue):
    """The editor holding what she saved, or None when the issue cannot be edited here."""
    if issue.kind == FROM_ARTICLE or not sending.editable(issue):
        return None
    return IssueForm(
        data={
            "subject_fr": issue.subject_fr,
            "body_fr": issue.body_md_fr,
            "subject_en": issue.subject_en,
            "body_en": issue.body_md_en,
        }
    )


@bp.route("/issues/<int:issue_id>/send", methods=["POST"])
@owner_only
def send_issue(issue_id):
    """Send now: due at once, the worker sends it within seconds (never this request)."""
    _checked_action()
    issue = _issue_or_404(issue_id)
    now = utcnow()
    try:
        sending.schedule(db.session, issue, now, now, by=current_user)
    except sending.IssueError as error:
        return _refused(issue, error)
    flash(_("It goes out within a minute."), "success")
    return redirect(url_for(".edit_issue", issue_id=issue.id))


@bp.route("/issues/<int:issue_id>/unschedule", methods=["POST"])
@owner_only
def unschedule_issue(issue_id):
    """Back to draft: it waits until she gives it a time again."""
    _checked_action()
    issue = _issue_or_404(issue_id)
    try:
        sending.unschedule(db.session, issue, utcnow(), by=current_user)
    except sending.IssueError as error:
        return _refused(issue, error)
    flash(_("Back to draft: it will not go out."), "success")
    return redirect(url_for(".edit_issue", issue_id=issue.id))


# ----------------------------------------------------------------------------- readers


@bp.route("/subscribers")
@owner_only
def readers():
    """Her readers, newest first: status, language and the proof of each one's consent."""
    query = (request.args.get("q") or "").strip()[:254]
    status = request.args.get("status") or ""
    if status not in SUBSCRIBER_STATUSES:
        status = ""
    page = page_number()
    rows, has_next = subscribers.search(db.session, query, status, page)
    return render_template(
        "newsletter/admin/subscribers.html",
        readers=rows,
        query=query,
        status=status,
        page=page,
        has_next=has_next,
        counts=subscribers.counts(db.session),
        reader_status_labels=reader_status_labels(),
        lang_labels=lang_labels(),
    )


@bp.route("/subscribers.csv")
@owner_only
def export_readers():
    """Every reader as CSV, streamed; cells a spreadsheet would run are made text."""
    response = Response(
        stream_with_context(subscribers.export_lines(db.session)),
        content_type="text/csv; charset=utf-8",
    )
    stamp = datetime.now(business.current().zone).strftime("%Y-%m-%d")
    response.headers["Content-Disposition"] = f'attachment; filename="newsletter-{stamp}.csv"'
    return response


@bp.route("/subscribers/import", methods=["GET", "POST"])
@owner_only
def import_readers():
    """Add addresses she already has consent for, with the words of that consent."""
    form = ImportForm()
    result = None
    if form.validate_on_submit():
        raw = form.file.data.read(5 * 1024 * 1024 + 1)
        try:
            if len(raw) > 5 * 1024 * 1024:
                raise ValueError
            text = raw.decode("utf-8-sig")
        except (UnicodeDecodeError, ValueError):
            form.file.errors.append(_("Save the file as CSV in UTF-8, at most 5 MB."))
        else:
            result = subscribers.import_csv(
                db.session,
                text,
                stated_source=form.source.data,
                default_lang=form.default_lang.data,
                ask_to_confirm=form.ask_to_confirm.data,
                now=utcnow(),
                by=current_user,
            )
    status = 400 if form.errors else 200
    return render_template(
        "newsletter/admin/import.html",
        form=form,
        result=result,
        refusal_labels=refusal_labels(),
    ), status
