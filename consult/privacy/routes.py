"""The privacy pages: the public policy and request form, and the owner's desk pages (the
request register, a request with its export and erasure, settings, incidents)."""

import csv
import io
import json
import zipfile
from datetime import UTC

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import business, navigation
from ..accounting.ledger import formula_safe
from ..auth.access import owner_only, public
from ..extensions import db, limiter, utcnow
from ..hostile import page_number
from ..i18n import current_lang
from . import service, texts
from .forms import AnswerForm, ConfirmForm, EraseForm, IncidentForm, RequestForm, SettingsForm
from .models import (
    DELETE,
    OPEN,
    REQUEST_STATUSES,
    ConsentRecord,
    PrivacyIncident,
    PrivacyRequest,
)

bp = Blueprint("privacy", __name__, url_prefix="/<lang:lang>")
PER_PAGE = 50


@bp.record_once
def add_menu(state):
    navigation.add_staff(state.app, "privacy.requests", _l("Privacy"), 56, group="records")
    state.app.jinja_env.globals.update(privacy_notice_lines=texts.notice_lines)


def _settings():
    return service.load_settings(db.session, current_app.config, business.current())


def _request_limit():
    return current_app.config["PRIVACY_REQUEST_RATE_LIMIT"]


def status_labels():
    return {
        "pending": _("Awaiting confirmation"),
        "open": _("To answer"),
        "done": _("Done"),
        "refused": _("Refused"),
    }


# ----------------------------------------------------------------------------- public


@bp.route("/privacy")
@public
def policy():
    """The privacy policy: who is in charge, the governance policy, the cookies, the form."""
    settings = _settings()
    return render_template(
        "privacy/policy.html",
        settings=settings,
        blocks=texts.blocks(settings.policy(current_lang())),
        cookies=texts.cookies(),
    )


@bp.route("/privacy/request", methods=["GET", "POST"])
@public
@limiter.limit(_request_limit, methods=["POST"])
def request_form():
    """Ask to see, correct, move or erase what the site holds on an email."""
    form = RequestForm()
    if not form.validate_on_submit():
        return render_template("privacy/request.html", form=form), 400 if form.errors else 200
    lang = current_lang()
    site = business.current()
    service.file_request(
        db.session,
        kind=form.kind.data,
        email=form.email.data,
        details=(form.details.data or "").strip(),
        lang=lang,
        now=utcnow(),
        link_for=lambda token: site.url("privacy.confirm", lang=lang, token=token),
    )
    # The same answer whatever the site holds on that email, or whether a link went out.
    return redirect(url_for("privacy.request_sent"))


@bp.route("/privacy/request/sent")
@public
def request_sent():
    """The request is filed: the email holds the link that confirms it."""
    return render_template("privacy/request_sent.html")


@bp.route("/privacy/confirm/<token>", methods=["GET", "POST"])
@public
def confirm(token):
    """The emailed link: a button confirms the request (following the link spends nothing)."""
    now = utcnow()
    if len(token) > 100:
        abort(404)
    form = ConfirmForm()
    pending = service.usable_request(db.session, token, now)
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("privacy/confirm.html", form=form, pending=pending), (
            200 if pending is not None else 410
        )
    site = business.current()
    try:
        confirmed = service.confirm_request(
            db.session,
            token,
            now,
            business=site,
            desk_link_for=lambda item: site.url(
                "privacy.request_page", lang=site.locale, request_id=item.id
            ),
        )
    except service.InvalidLink:
        return render_template("privacy/confirm.html", form=form, pending=None), 410
    return render_template("privacy/confirmed.html", confirmed=confirmed)


# ----------------------------------------------------------------------------- the desk


@bp.route("/admin/privacy/")
@owner_only
def requests():
    """The request register: each request, its 30-day due date in her zone, its status."""
    status = request.args.get("status", "")
    if status and status not in REQUEST_STATUSES:
        abort(404)
    query = sa.select(PrivacyRequest).order_by(PrivacyRequest.due_at, PrivacyRequest.id)
    if status:
        query = query.where(PrivacyRequest.status == status)
    page = db.paginate(
        query, page=page_number(), per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "privacy/desk/requests.html",
        page=page,
        status=status,
        statuses=REQUEST_STATUSES,
        status_labels=status_labels(),
        kind_labels=service.request_kind_labels(),
        now=utcnow(),
    )


def _request_page(item, code=200, **forms):
    forms.setdefault("answer_form", AnswerForm(prefix="answer"))
    forms.setdefault("erase_form", EraseForm(prefix="erase"))
    held = service.held_on(db.session, item.email) if item.erased_at is None else None
    return render_template(
        "privacy/desk/request.html",
        item=item,
        held=held,
        summary=service.summary_of(held) if held else {},
        consents=service.consents_of(db.session, item.email),
        status_labels=status_labels(),
        kind_labels=service.request_kind_labels(),
        can_answer=item.status == OPEN,
        suggests_erasure=item.kind == DELETE,
        can_erase=service.can_erase(db.session, item),
        upcoming=service.upcoming_bookings(db.session, item.email, utcnow()),
        withdraw_form=ConfirmForm(prefix="withdraw"),
        now=utcnow(),
        **forms,
    ), code


@bp.route("/admin/privacy/requests/<int:request_id>")
@owner_only
def request_page(request_id):
    """One request: what is held on the email, its consents, the export, erasure, answer."""
    return _request_page(db.get_or_404(PrivacyRequest, request_id))


@bp.route("/admin/privacy/requests/<int:request_id>/answer", methods=["POST"])
@owner_only
def answer(request_id):
    """Answer the request; the answer is emailed to the person."""
    item = db.get_or_404(PrivacyRequest, request_id)
    form = AnswerForm(prefix="answer")
    if not form.validate_on_submit():
        return _request_page(item, 400, answer_form=form)
    try:
        service.answer_request(
            db.session,
            current_user,
            item,
            status=form.status.data,
            answer=form.answer.data.strip(),
            now=utcnow(),
        )
    except service.IllegalAnswer:
        flash(
            _("This request cannot be answered: it is not confirmed, or already answered."), "error"
        )
        return redirect(url_for("privacy.request_page", request_id=item.id))
    flash(_("Your answer is on its way."), "success")
    return redirect(url_for("privacy.request_page", request_id=item.id))


@bp.route(
    "/admin/privacy/requests/<int:request_id>/consents/<int:consent_id>/withdraw", methods=["POST"]
)
@owner_only
def withdraw(request_id, consent_id):
    """The person withdrew a consent: it is marked so, with the date; the record stays."""
    item = db.get_or_404(PrivacyRequest, request_id)
    consent = db.get_or_404(ConsentRecord, consent_id)
    if consent.email.strip().lower() != item.email.strip().lower():
        abort(404)
    if not ConfirmForm(prefix="withdraw").validate_on_submit():
        abort(400)
    service.withdraw_consent(db.session, current_user, consent, utcnow())
    flash(_("The consent is marked withdrawn."), "success")
    return redirect(url_for("privacy.request_page", request_id=item.id))


@bp.route("/admin/privacy/requests/<int:request_id>/export")
@owner_only
def export(request_id):
    """Everything held on the request's email, as JSON and CSV files in one zip."""
    item = db.get_or_404(PrivacyRequest, request_id)
    if item.erased_at is not None:
        abort(404)
    data = service.held_on(db.session, item.email)
    archive = export_zip(data)
    return send_file(
        io.BytesIO(archive),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"privacy-request-{item.id}.zip",
        max_age=0,
    )


def _cell(value):
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    return formula_safe(str(value))


def export_zip(data):
    """data.json with every kind, and one CSV file per kind (UTF-8, a header row)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        for kind, rows in data.items():
            columns = list(dict.fromkeys(key for row in rows for key in row)) or ["none"]
            text = io.StringIO(newline="")
            writer = csv.writer(text)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_cell(row.get(column)) for column in columns])
            archive.writestr(f"{kind}.csv", text.getvalue())
    return buffer.getvalue()


@bp.route("/admin/privacy/requests/<int:request_id>/erase", methods=["POST"])
@owner_only
def erase(request_id):
    """Anonymise what is held on the request's email; amounts and numbers stay."""
    item = db.get_or_404(PrivacyRequest, request_id)
    form = EraseForm(prefix="erase")
    if not service.can_erase(db.session, item):
        flash(_("Answer the request first; erase once the answer has been sent."), "error")
        return redirect(url_for("privacy.request_page", request_id=item.id))
    if not form.validate_on_submit():
        return _request_page(item, 400, erase_form=form)
    service.erase(db.session, current_user, item.email, utcnow(), request=item)
    flash(_("What the site held on this email is anonymised."), "success")
    return redirect(url_for("privacy.request_page", request_id=item.id))


@bp.route("/admin/privacy/settings", methods=["GET", "POST"])
@owner_only
def settings():
    """The person in charge, the policy in each language, how long data is kept."""
    current = _settings()
    form = SettingsForm(
        data={
            "officer_name": current.officer_name,
            "officer_title": current.officer_title,
            "officer_email": current.officer_email,
            "policy_fr": current.source_fr,
            "policy_en": current.source_en,
            "inquiry_retention_days": current.inquiry_retention_days,
            "intake_retention_days": current.intake_retention_days,
            "outbox_retention_days": current.outbox_retention_days,
        }
        if request.method == "GET"
        else None
    )
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("privacy/desk/settings.html", form=form), 400
        service.save_settings(
            db.session,
            current_user,
            utcnow(),
            officer_name=form.officer_name.data.strip(),
            officer_title=(form.officer_title.data or "").strip(),
            officer_email=form.officer_email.data.strip(),
            policy_fr=(form.policy_fr.data or "").strip(),
            policy_en=(form.policy_en.data or "").strip(),
            inquiry_retention_days=form.inquiry_retention_days.data,
            intake_retention_days=form.intake_retention_days.data,
            outbox_retention_days=form.outbox_retention_days.data,
        )
        flash(_("Privacy settings saved."), "success")
        return redirect(url_for("privacy.settings"))
    return render_template("privacy/desk/settings.html", form=form)


@bp.route("/admin/privacy/incidents/")
@owner_only
def incidents():
    """The register of confidentiality incidents, newest first."""
    rows = db.session.scalars(
        sa.select(PrivacyIncident).order_by(
            PrivacyIncident.discovered_at.desc(), PrivacyIncident.id.desc()
        )
    ).all()
    return render_template("privacy/desk/incidents.html", incidents=rows)


def _utc(local, zone):
    return local.replace(tzinfo=zone).astimezone(UTC) if local is not None else None


@bp.route("/admin/privacy/incidents/new", methods=["GET", "POST"])
@owner_only
def new_incident():
    """Enter an incident in the register."""
    form = IncidentForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("privacy/desk/incident_form.html", form=form), 400
        zone = business.current().zone
        incident = service.create_incident(
            db.session,
            current_user,
            utcnow(),
            title=form.title.data.strip(),
            description=form.description.data.strip(),
            occurred_at=_utc(form.occurred_at.data, zone),
            discovered_at=_utc(form.discovered_at.data, zone),
            data_concerned=(form.data_concerned.data or "").strip(),
            people_count=form.people_count.data,
            risk_assessment=(form.risk_assessment.data or "").strip(),
            serious_risk=bool(form.serious_risk.data),
            commission_notified_at=_utc(form.commission_notified_at.data, zone),
            people_notified_at=_utc(form.people_notified_at.data, zone),
            notices=(form.notices.data or "").strip(),
            measures=(form.measures.data or "").strip(),
        )
        flash(_("The incident is in the register."), "success")
        return redirect(url_for("privacy.incident", incident_id=incident.id))
    return render_template("privacy/desk/incident_form.html", form=form)


@bp.route("/admin/privacy/incidents/<int:incident_id>")
@owner_only
def incident(incident_id):
    """One incident of the register."""
    return render_template(
        "privacy/desk/incident.html", incident=db.get_or_404(PrivacyIncident, incident_id)
    )
