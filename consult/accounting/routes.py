"""The accountant's desk: the ledger, its CSV exports, the tax report, receipts and credit notes."""

import secrets

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import business, navigation
from ..auth.access import public, staff
from ..extensions import db, utcnow
from . import ledger, queries
from .forms import LedgerFilterForm, TaxReportForm

bp = Blueprint("accounting", __name__)

#: The desk's pages; the prospect's receipt lives under her booking's private link instead.
DESK = "/<lang:lang>/accounting"
ROWS_PER_PAGE = 100
STAFF_ROLES = ("owner", "accountant")


@bp.record_once
def add_menu(state):
    navigation.add_staff(state.app, "accounting.ledger", _l("Ledger"), 80, roles=STAFF_ROLES)
    navigation.add_staff(
        state.app, "accounting.tax_report", _l("Tax report"), 81, roles=STAFF_ROLES
    )


def consultant_zone():
    return business.current().zone


def local_today():
    return utcnow().astimezone(consultant_zone()).date()


def configured_taxes():
    return queries.tax_columns(db.session, current_app.config["TAXES"], consultant_zone())


def method_label(method):
    labels = {
        "stripe": _("Card (Stripe)"),
        "interac": _("Interac e-Transfer"),
        "other": _("Other"),
        "demo": _("Demo (no real money)"),
    }
    return labels.get(method, method)


@bp.context_processor
def desk_context():
    """Money, dates and times go through consult.formatting; the zone is stated on each page."""
    return {"method_label": method_label, "time_zone": business.current().time_zone}


def filter_form():
    """The filters from the query string; an empty query means this month."""
    this_month = ledger.month_of(local_today())
    return LedgerFilterForm(
        formdata=request.args or None, start=this_month.start, end=this_month.end
    )


def ledger_page(form):
    """The ledger for a validated form, or the form and its messages with a 400."""
    taxes = configured_taxes()
    context = {"form": form, "taxes": taxes, "rows": [], "by_kind": None}
    if not form.validate():
        return render_template("accounting/ledger.html", **context), 400
    zone = consultant_zone()
    wanted = form.wanted()
    page = queries.page_of_rows(
        db.session,
        wanted,
        zone,
        [code for code, _name in taxes],
        per_page=ROWS_PER_PAGE,
        after=queries.parse_cursor(request.args.get("after")),
        before=queries.parse_cursor(request.args.get("before")),
    )
    by_kind = queries.totals_by_kind(db.session, wanted, zone)
    # Only the filters: url_for would read "endpoint" or "_external" as its own options.
    query = {key: value for key, value in request.args.items() if key in form._fields}
    context.update(
        wanted=wanted,
        rows=page.rows,
        by_kind=by_kind,
        overall=by_kind[ledger.PAYMENT] + by_kind[ledger.REFUND],
        previous_url=page.previous and url_for("accounting.ledger", **query, before=page.previous),
        next_url=page.next and url_for("accounting.ledger", **query, after=page.next),
    )
    return render_template("accounting/ledger.html", **context), 200


@bp.route(DESK + "/", endpoint="ledger")
@staff
def show_ledger():
    """Every payment and refund of a period, with its totals."""
    return ledger_page(filter_form())


def ledger_labels(tax_codes=()):
    """The full layout's header (tax codes included), in the current language."""
    return {
        **{code: tax_label(code) for code in tax_codes},
        "date": _("Date"),
        "time": _("Time"),
        "time_zone": _("Time zone"),
        "kind": _("Type"),
        "number": _("Number"),
        "corrects": _("Corrects receipt"),
        "booking": _("Booking"),
        "client": _("Client"),
        "email": _("Email"),
        "description": _("Description"),
        "subtotal": _("Pre-tax"),
        "total": _("Total"),
        "currency": _("Currency"),
        "method": _("Method"),
        "fee": _("Fee"),
        "net": _("Net"),
        "reference": _("Reference"),
        "stripe_payment_intent": _("Stripe payment intent"),
        "stripe_charge": _("Stripe charge"),
        "stripe_refund": _("Stripe refund"),
        "stripe_balance_transaction": _("Stripe balance transaction"),
        "stripe_payout": _("Stripe payout"),
    }


def tax_label(code):
    """A tax code as its column says it: GST and QST are TPS and TVQ in French."""
    known = {"GST": _("GST"), "QST": _("QST"), "HST": _("HST"), "PST": _("PST")}
    return known.get(code, code)


def kind_labels():
    """The Type column's words, in the current language."""
    return {ledger.PAYMENT: _("payment"), ledger.REFUND: _("refund")}


def export_filename(form, extension="csv", number=None):
    parts = ["ledger", form.start.data.isoformat(), form.end.data.isoformat()]
    if form.layout.data != "ledger":
        parts.append(form.layout.data)
    if form.variant.data != "standard":
        parts.append(form.variant.data)
    if number is not None:
        parts.append(f"{number:02d}")
    return "-".join(parts) + "." + extension


def attachment(response, filename):
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route(DESK + "/export.csv")
@staff
def export():
    """The filtered rows as a CSV file, streamed: memory stays flat whatever the range.

    The bank layouts keep to their importer's limits: beyond them, numbered files in a zip.
    """
    form = filter_form()
    if not form.validate():
        return ledger_page(form)
    zone = consultant_zone()
    codes = [code for code, _name in configured_taxes()]
    rows = queries.stream_rows(db.session, form.wanted(), zone, codes)
    variant = ledger.VARIANTS[form.variant.data]
    if form.layout.data == "ledger":
        if variant is ledger.EXCEL_FR:
            # French Excel is for French readers: French headers and types, whatever the page.
            with force_locale("fr"):
                labels, kinds = ledger_labels(codes), kind_labels()
        else:
            labels, kinds = ledger_labels(codes), None
        table = ledger.ledger_table(rows, codes, zone, labels, kinds)
        chunks = ledger.csv_chunks(table, variant)
        response = Response(stream_with_context(chunks), content_type="text/csv; charset=utf-8")
        return attachment(response, export_filename(form))
    if form.layout.data == "quickbooks":
        table = ledger.quickbooks_table(rows, zone)
    else:
        table = ledger.xero_table(rows, zone)
    files = ledger.csv_files(table, variant, ledger.IMPORT_LIMITS[form.layout.data])
    first = next(files)
    second = next(files, None)
    if second is None:
        response = Response(first, content_type="text/csv; charset=utf-8")
        return attachment(response, export_filename(form))

    def numbered():
        for number, content in enumerate([first, second], start=1):
            yield export_filename(form, number=number), content
        for number, content in enumerate(files, start=3):
            yield export_filename(form, number=number), content

    chunks = ledger.zip_stream(numbered())
    response = Response(stream_with_context(chunks), content_type="application/zip")
    return attachment(response, export_filename(form, "zip"))


@bp.route(DESK + "/taxes")
@staff
def tax_report():
    """GST and QST to remit for a month or a quarter (the previous month by default)."""
    last_month = ledger.previous_month(local_today())
    form = TaxReportForm(
        formdata=request.args or None,
        year=last_month.start.year,
        period=f"{last_month.start.month:02d}",
    )
    if not form.validate():
        return render_template("accounting/tax_report.html", form=form, report=None), 400
    period = form.chosen_period()
    by_kind = queries.totals_by_kind(db.session, ledger.Filter(period), consultant_zone())
    report = ledger.tax_report(period, by_kind, configured_taxes())
    rows_url = url_for(
        "accounting.ledger", start=period.start.isoformat(), end=period.end.isoformat()
    )
    return render_template(
        "accounting/tax_report.html", form=form, report=report, rows_url=rows_url
    )


def receipt_page(entry, link_to):
    """A receipt (payment) or a credit note (refund); `link_to(number)` links its relatives."""
    configured = current_app.config["TAXES"]
    letterhead = ledger.registrations(
        [(tax.code, tax.name, tax.registration) for tax in entry.taxes], configured
    )
    return render_template(
        "accounting/receipt.html",
        entry=entry,
        row=queries.row_of(entry),
        letterhead=letterhead,
        link_to=link_to,
    )


@bp.route(DESK + "/receipts/<number>")
@staff
def receipt(number):
    """Any receipt or credit note, for the owner and the accountant."""
    entry = queries.entry_by_number(db.session, number)
    if entry is None:
        abort(404)
    return receipt_page(entry, lambda other: url_for("accounting.receipt", number=other))


@bp.route("/<lang:lang>/booking/<token>/receipts/<number>")
@public
def client_receipt(token, number):
    """The prospect's own receipt or credit note, through her booking's private link."""
    entry = queries.entry_by_number(db.session, number)
    if entry is None or not secrets.compare_digest(
        entry.booking.manage_token.encode(), token.encode()
    ):
        abort(404)
    response = make_response(
        receipt_page(
            entry,
            lambda other: url_for("accounting.client_receipt", token=token, number=other),
        )
    )
    # Her link is a secret: never kept in a shared cache, never sent on, never indexed.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
