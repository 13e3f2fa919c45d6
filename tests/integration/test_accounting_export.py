"""CSV exports: every column and sign, the French Excel variant, QuickBooks and Xero, streaming."""

import csv
import io
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa

from consult.accounting import rollup
from consult.extensions import db
from consult.payments.models import LedgerEntry, LedgerTax
from tests.factories import (
    make_booking,
    make_payment,
    make_sample_books,
    montreal,
    sign_in,
)

NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}
FULL_HEADER = [
    "Date",
    "Time",
    "Time zone",
    "Type",
    "Number",
    "Corrects receipt",
    "Booking",
    "Client",
    "Email",
    "Description",
    "Pre-tax",
    "GST",
    "QST",
    "Total",
    "Currency",
    "Method",
    "Fee",
    "Net",
    "Reference",
    "Stripe payment intent",
    "Stripe charge",
    "Stripe refund",
    "Stripe balance transaction",
    "Stripe payout",
]


@pytest.fixture
def books(app):
    with app.app_context():
        return make_sample_books(db.session)


def download(client, lang="en", **query):
    response = client.get(f"/{lang}/accounting/export.csv", query_string={**NOVEMBER, **query})
    assert response.status_code == 200, response.text
    return response


def records(response, delimiter=","):
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]], rows[0]


def cents(text, decimal="."):
    return round(float(text.replace(decimal, ".")) * 100) if text else None


def test_the_full_export_has_a_header_and_one_row_per_ledger_row(client, app, books):
    sign_in(app, client, "accountant")
    response = download(client)
    assert response.mimetype == "text/csv"
    assert response.mimetype_params["charset"] == "utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="ledger-2026-11-01-2026-11-30.csv"'
    assert b"\r\n" in response.data and not response.data.startswith(b"\xef\xbb\xbf")
    rows, header = records(response)
    assert header == FULL_HEADER
    assert [row["Number"] for row in rows] == [
        books[name]
        for name in (
            "stripe",
            "interac",
            "partial_refund",
            "october_refund",
            "exempt",
            "late_november",
        )
    ]


def test_each_row_type_carries_its_own_columns_and_signs(client, app, books):
    sign_in(app, client, "accountant")
    rows = {row["Number"]: row for row in records(download(client))[0]}

    stripe = rows[books["stripe"]]
    assert (stripe["Date"], stripe["Time"], stripe["Time zone"]) == (
        "2026-11-03",
        "10:15",
        "America/Montreal",
    )
    assert (stripe["Type"], stripe["Method"], stripe["Corrects receipt"]) == (
        "payment",
        "stripe",
        "",
    )
    assert [stripe[c] for c in ("Pre-tax", "GST", "QST", "Total")] == [
        "150.00",
        "7.50",
        "14.96",
        "172.46",
    ]
    assert cents(stripe["Fee"]) > 0 and cents(stripe["Net"]) == 17246 - cents(stripe["Fee"])
    assert stripe["Stripe payment intent"].startswith("pi_")
    assert stripe["Stripe charge"].startswith("ch_")
    assert stripe["Stripe balance transaction"].startswith("txn_")
    assert stripe["Stripe payout"].startswith("po_")
    assert stripe["Stripe refund"] == ""

    refund = rows[books["partial_refund"]]
    assert (refund["Type"], refund["Corrects receipt"]) == ("refund", books["stripe"])
    assert refund["Booking"] == stripe["Booking"]
    assert [refund[c] for c in ("Pre-tax", "GST", "QST", "Total", "Net")] == [
        "-43.49",
        "-2.17",
        "-4.34",
        "-50.00",
        "-50.00",
    ]
    assert refund["Stripe refund"].startswith("re_")
    assert refund["Fee"] == ""

    interac = rows[books["interac"]]
    assert (interac["Method"], interac["Reference"]) == ("interac", "CA7781")
    # No fee reported: the fee stays blank, the whole total reaches the bank.
    assert interac["Fee"] == "" and interac["Stripe charge"] == ""
    assert interac["Total"] == interac["Net"] == "172.46"

    exempt = rows[books["exempt"]]
    assert (exempt["GST"], exempt["QST"], exempt["Total"]) == ("", "", "80.00")

    october_refund = rows[books["october_refund"]]
    assert october_refund["Corrects receipt"] == books["october"]
    assert october_refund["Total"] == "-172.46"

    # The row at 22:30 in Montréal on November 30 (03:30 UTC December 1) is November's.
    assert rows[books["late_november"]]["Date"] == "2026-11-30"
    for row in rows.values():
        parts = sum(cents(row[c]) or 0 for c in ("Pre-tax", "GST", "QST"))
        assert parts == cents(row["Total"]), row["Number"]
        assert (cents(row["Total"]) > 0) == (row["Type"] == "payment")


FRENCH_HEADER = [
    "Date",
    "Heure",
    "Fuseau horaire",
    "Type",
    "Numéro",
    "Corrige le reçu",
    "Réservation",
    "Client",
    "Courriel",
    "Description",
    "Avant taxes",
    "TPS",
    "TVQ",
    "Total",
    "Devise",
    "Mode de paiement",
    "Frais",
    "Net",
    "Référence",
    "Intention de paiement Stripe",
    "Paiement Stripe",
    "Remboursement Stripe",
    "Opération de solde Stripe",
    "Virement Stripe",
]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_french_excel_variant_is_french_with_the_same_numbers(client, app, books, lang):
    sign_in(app, client, "accountant")
    standard, header = records(download(client))
    response = download(client, lang=lang, variant="excel-fr")
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert response.headers["Content-Disposition"].endswith('-excel-fr.csv"')
    first_line = response.data.decode("utf-8-sig").split("\r\n")[0]
    assert first_line == ";".join(FRENCH_HEADER)
    french, _french_header = records(response, delimiter=";")
    english_of = dict(zip(FRENCH_HEADER, FULL_HEADER, strict=True))
    types = {"paiement": "payment", "remboursement": "refund"}
    amounts = ("Pre-tax", "GST", "QST", "Total", "Fee", "Net")
    for plain, excel in zip(standard, french, strict=True):
        for french_column, column in english_of.items():
            if column in amounts:
                assert excel[french_column] == plain[column].replace(".", ","), column
                assert "." not in excel[french_column]
            elif column == "Type":
                assert types[excel[french_column]] == plain[column]
            else:
                assert excel[french_column] == plain[column], column
    assert {row["Type"] for row in french} == {"paiement", "remboursement"}


def test_the_header_follows_the_pages_language(client, app, books):
    sign_in(app, client, "accountant")
    rows, header = records(download(client, lang="fr"))
    assert header[:4] == ["Date", "Heure", "Fuseau horaire", "Type"]
    assert "Avant taxes" in header and "TPS" in header and "TVQ" in header
    # The standard file keeps the type codes an import maps.
    assert {row["Type"] for row in rows} == {"payment", "refund"}


@pytest.mark.parametrize("layout", ["quickbooks", "xero"])
@pytest.mark.parametrize(
    ("lang", "message"),
    [("en", "read only amounts with a decimal point"), ("fr", "virgule décimale")],
)
def test_bank_layouts_refuse_the_french_excel_variant(client, app, books, layout, lang, message):
    sign_in(app, client, "accountant")
    response = client.get(
        f"/{lang}/accounting/export.csv",
        query_string={**NOVEMBER, "layout": layout, "variant": "excel-fr"},
    )
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert message in response.text


def test_the_quickbooks_layout_is_date_description_amount(client, app, books):
    sign_in(app, client, "accountant")
    response = download(client, layout="quickbooks")
    assert response.headers["Content-Disposition"].endswith('-quickbooks.csv"')
    rows, header = records(response)
    assert header == ["Date", "Description", "Amount"]
    full = {row["Number"]: row for row in records(download(client))[0]}
    stripe = full[books["stripe"]]
    assert rows[0] == {
        "Date": "03/11/2026",
        "Description": f"{books['stripe']} Camille Tremblay - {stripe['Description']}",
        "Amount": "172.46",
    }
    assert rows[1] == {
        "Date": "03/11/2026",
        "Description": f"{books['stripe']} Stripe fee",
        "Amount": "-" + stripe["Fee"],
    }
    # Totals, less the processor's fees: what reaches the bank.
    expected = sum(cents(r["Total"]) - (cents(r["Fee"]) or 0) for r in full.values())
    assert sum(cents(row["Amount"]) for row in rows) == expected


def test_the_xero_layout_is_date_amount_payee_description_reference(client, app, books):
    sign_in(app, client, "accountant")
    rows, header = records(download(client, layout="xero", kind="refund"))
    assert header == ["Date", "Amount", "Payee", "Description", "Reference"]
    assert [(row["Date"], row["Amount"], row["Reference"]) for row in rows] == [
        ("2026-11-10", "-50.00", books["partial_refund"]),
        ("2026-11-12", "-172.46", books["october_refund"]),
    ]
    assert rows[0]["Payee"] == "Camille Tremblay"


def test_a_client_name_that_looks_like_a_formula_is_exported_inert(client, app):
    with app.app_context():
        booking = make_booking(db.session, client_name='=HYPERLINK("http://evil.example","x")')
        make_payment(db.session, booking, montreal(2026, 11, 4), subtotal_cents=15_000)
        db.session.commit()
    sign_in(app, client, "accountant")
    rows, _header = records(download(client))
    assert rows[0]["Client"] == "'" + '=HYPERLINK("http://evil.example","x")'


def test_the_export_streams_in_chunks_as_rows_are_read(client, app):
    """A long range is written while it is read: several chunks, no Content-Length."""
    with app.app_context():
        booking = make_booking(db.session)
        first = make_payment(db.session, booking, montreal(2026, 11, 2), subtotal_cents=15_000)
        insert_copies(first, 1_200)
        db.session.commit()
    sign_in(app, client, "accountant")
    response = client.get("/en/accounting/export.csv", query_string=NOVEMBER, buffered=False)
    assert response.status_code == 200
    assert response.is_streamed
    assert "Content-Length" not in response.headers
    chunks = list(response.response)
    response.close()
    assert len(chunks) >= 3  # 500 lines a chunk
    body = b"".join(chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in chunks)
    assert body.count(b"\r\n") == 1 + 1_201


def insert_copies(entry, count):
    """`count` more payments like `entry`, a minute apart, inserted in bulk."""
    numbers = [f"{entry.number}-{n}" for n in range(count)]
    base = {
        column.key: getattr(entry, column.key)
        for column in sa.inspect(LedgerEntry).columns
        if column.key
        not in ("id", "number", "occurred_at", "stripe_refund", "stripe_payment_intent")
    }
    db.session.execute(
        sa.insert(LedgerEntry),
        [
            {**base, "number": number, "occurred_at": entry.occurred_at + timedelta(minutes=n)}
            for n, number in enumerate(numbers, start=1)
        ],
    )
    ids = db.session.scalars(sa.select(LedgerEntry.id).where(LedgerEntry.number.in_(numbers)))
    db.session.execute(
        sa.insert(LedgerTax),
        [
            {
                "entry_id": entry_id,
                "code": tax.code,
                "name": tax.name,
                "rate": tax.rate,
                "registration": tax.registration,
                "amount_cents": tax.amount_cents,
            }
            for entry_id in ids
            for tax in entry.taxes
        ],
    )
    # Written without the ORM: the ledger's day sums are built again when next read.
    rollup.forget(db.session)


def test_a_consultant_without_sales_taxes_gets_no_tax_columns(client, app):
    app.config["TAXES"] = []
    with app.app_context():
        make_payment(
            db.session,
            make_booking(db.session),
            montreal(2026, 11, 4),
            subtotal_cents=15_000,
            taxable=False,
            method="other",
        )
        db.session.commit()
    sign_in(app, client, "accountant")
    rows, header = records(download(client))
    assert "GST" not in header and "QST" not in header
    assert header[header.index("Pre-tax") + 1] == "Total"
    assert rows[0]["Total"] == rows[0]["Pre-tax"] == "150.00"
    report = client.get("/en/accounting/taxes", query_string={"year": "2026", "period": "11"})
    assert report.status_code == 200
    assert "data-tax=" in report.text and 'data-tax="GST"' not in report.text


def test_a_tax_dropped_from_the_settings_keeps_its_column_for_past_rows(client, app, books):
    app.config["TAXES"] = [{"code": "GST", "name": "TPS/GST", "rate": "0.05"}]
    sign_in(app, client, "accountant")
    rows, header = records(download(client))
    assert header[header.index("Pre-tax") + 1 : header.index("Total")] == ["GST", "QST"]
    assert {row["QST"] for row in rows if row["Type"] == "payment"} >= {"14.96"}


# --- Import limits: numbered files in one zip ------------------------------------------------

LONG_DESCRIPTION = "Strategy session: should you outsource your social media? " * 4


#: Card payments in the busy month, each with a fee line: 1,800 bank lines, over 350 KB in
#: the QuickBooks layout (long names and descriptions).
BUSY_PAYMENTS = 900


@pytest.fixture
def busy_november(app):
    """The receipt numbers of BUSY_PAYMENTS card payments in November, oldest first."""
    with app.app_context():
        booking = make_booking(db.session, client_name="Camille " + "Tremblay-Gagnon " * 7)
        for n in range(BUSY_PAYMENTS):
            make_payment(
                db.session,
                booking,
                montreal(2026, 11, 2) + timedelta(minutes=20 * n),
                description=LONG_DESCRIPTION[:250],
            )
        db.session.commit()
        return list(
            db.session.scalars(
                sa.select(LedgerEntry.number).order_by(LedgerEntry.occurred_at, LedgerEntry.id)
            )
        )


def unzipped(response):
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    return archive, archive.namelist()


def read_csv(content):
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


def test_a_xero_export_over_a_thousand_lines_is_split_in_a_zip(client, app, busy_november):
    sign_in(app, client, "accountant")
    response = download(client, layout="xero")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="ledger-2026-11-01-2026-11-30-xero.zip"'
    )
    archive, names = unzipped(response)
    assert names == [
        "ledger-2026-11-01-2026-11-30-xero-01.csv",
        "ledger-2026-11-01-2026-11-30-xero-02.csv",
    ]
    files = [read_csv(archive.read(name)) for name in names]
    assert all(len(lines) <= 1000 for lines in files)
    assert all(
        lines[0] == ["Date", "Amount", "Payee", "Description", "Reference"] for lines in files
    )
    lines = [line for lines in files for line in lines[1:]]
    assert len(lines) == 2 * BUSY_PAYMENTS
    assert [line[4] for line in lines if line[2] != "Stripe"] == busy_november


def test_a_quickbooks_export_over_350_kb_is_split_in_a_zip(client, app, busy_november):
    sign_in(app, client, "accountant")
    response = download(client, layout="quickbooks")
    archive, names = unzipped(response)
    assert len(names) >= 2
    assert names[0].endswith("-quickbooks-01.csv")
    assert all(archive.getinfo(name).file_size <= 350 * 1000 for name in names)
    files = [read_csv(archive.read(name)) for name in names]
    assert all(lines[0] == ["Date", "Description", "Amount"] for lines in files)
    lines = [line for lines in files for line in lines[1:]]
    assert len(lines) == 2 * BUSY_PAYMENTS
    full = records(download(client))[0]
    expected = sum(cents(r["Total"]) - (cents(r["Fee"]) or 0) for r in full)
    assert sum(cents(line[2]) for line in lines) == expected


def test_a_small_bank_export_stays_one_csv_file(client, app, books):
    sign_in(app, client, "accountant")
    response = download(client, layout="xero")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].endswith('-xero.csv"')
