"""The accountant's arithmetic, without an app: periods, CSV layouts, the tax report."""

import csv
import io
import zipfile
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from consult.accounting import ledger

MONTREAL = ZoneInfo("America/Montreal")


def row(kind="payment", number="R-000001", subtotal=15000, taxes=None, **fields):
    taxes = {"GST": 750, "QST": 1496} if taxes is None else taxes
    values = {
        "occurred_at": datetime(2026, 11, 3, 17, 0, tzinfo=UTC),
        "kind": kind,
        "number": number,
        "corrects": "",
        "booking_reference": "QK7M2PXA",
        "client_name": "Camille Tremblay",
        "client_email": "camille@example.org",
        "description": "Strategy session",
        "subtotal_cents": subtotal,
        "taxes": taxes,
        "total_cents": subtotal + sum(taxes.values()),
        "currency": "CAD",
        "method": "stripe",
        "fee_cents": 530,
        "net_cents": subtotal + sum(taxes.values()) - 530,
    }
    values.update(fields)
    return ledger.Row(**values)


def refund_row(**fields):
    values = {
        "number": "CN-000001",
        "corrects": "R-000001",
        "subtotal": -4349,
        "taxes": {"GST": -217, "QST": -434},
        "fee_cents": None,
        "net_cents": -5000,
    }
    values.update(fields)
    return row(kind="refund", **values)


def parse(text, variant=ledger.STANDARD):
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=variant.delimiter))


def export(table, variant=ledger.STANDARD):
    return "".join(ledger.csv_chunks(table, variant))


# --- Periods ---------------------------------------------------------------------------


def test_a_month_covers_its_local_days_and_ends_at_local_midnight():
    november = ledger.month(2026, 11)
    assert (november.start, november.end) == (date(2026, 11, 1), date(2026, 11, 30))
    first, after = november.utc_bounds(MONTREAL)
    # November 1 is still daylight time (UTC-4); December 1 is standard time (UTC-5).
    assert first == datetime(2026, 11, 1, 4, tzinfo=UTC)
    assert after == datetime(2026, 12, 1, 5, tzinfo=UTC)


def test_quarters_and_february_in_a_leap_year():
    assert ledger.quarter(2026, 4) == ledger.Period(date(2026, 10, 1), date(2026, 12, 31))
    assert ledger.quarter(2028, 1).end == date(2028, 3, 31)
    assert ledger.month(2028, 2).end == date(2028, 2, 29)
    assert ledger.period_from_key(2026, "Q2") == ledger.quarter(2026, 2)
    assert ledger.period_from_key(2026, "07") == ledger.month(2026, 7)


def test_the_previous_month_crosses_the_new_year():
    assert ledger.previous_month(date(2027, 1, 15)) == ledger.month(2026, 12)


@pytest.mark.parametrize(
    "build",
    [
        lambda: ledger.Period(date(2026, 11, 30), date(2026, 11, 1)),
        lambda: ledger.Period(date(1999, 12, 31), date(2000, 1, 1)),
        lambda: ledger.month(2026, 13),
        lambda: ledger.quarter(2026, 5),
        lambda: ledger.period_from_key(2026, "H1"),
    ],
)
def test_impossible_periods_are_refused_in_domain_words(build):
    with pytest.raises(ledger.BadPeriod):
        build()


# --- Amounts and cells -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "standard", "french"),
    [
        (17246, "172.46", "172,46"),
        (-5000, "-50.00", "-50,00"),
        (-7, "-0.07", "-0,07"),
        (0, "0.00", "0,00"),
    ],
)
def test_amounts_are_written_exactly_with_the_variants_decimal_mark(cents, standard, french):
    assert ledger.dollars(cents) == standard
    assert ledger.dollars(cents, ",") == french


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)"])
def test_text_that_a_spreadsheet_would_run_as_a_formula_is_defused(text):
    assert ledger.cell(text, ledger.STANDARD) == "'" + text


def test_a_negative_amount_is_not_mistaken_for_a_formula():
    assert ledger.cell(ledger.Cents(-5000), ledger.STANDARD) == "-50.00"


# --- Layouts ------------------------------------------------------------------------------


def test_the_full_layout_has_a_column_per_tax_and_signed_amounts():
    records = parse(export(ledger.ledger_table([row(), refund_row()], ["GST", "QST"], MONTREAL)))
    header, payment, refund = records
    assert header[:4] == ["Date", "Time", "Time zone", "Type"]
    assert header[10:14] == ["Pre-tax", "GST", "QST", "Total"]
    assert payment[:3] == ["2026-11-03", "12:00", "America/Montreal"]  # 17:00 UTC
    assert payment[10:14] == ["150.00", "7.50", "14.96", "172.46"]
    assert refund[3:6] == ["refund", "CN-000001", "R-000001"]
    assert refund[10:14] == ["-43.49", "-2.17", "-4.34", "-50.00"]
    assert refund[header.index("Fee")] == ""  # unknown, not zero


def test_a_tax_the_row_does_not_carry_is_left_empty_not_zero():
    exempt = row(taxes={})
    records = parse(export(ledger.ledger_table([exempt], ["GST", "QST"], MONTREAL)))
    assert records[1][11:13] == ["", ""]


def test_the_header_can_be_given_in_another_language():
    header = ledger.ledger_header(["GST"], {"date": "Date", "subtotal": "Avant taxes"})
    assert header[10:12] == ["Avant taxes", "GST"]


def test_the_quickbooks_layout_has_three_columns_and_a_line_per_fee():
    records = parse(export(ledger.quickbooks_table([row(), refund_row()], MONTREAL)))
    assert records == [
        ["Date", "Description", "Amount"],
        ["03/11/2026", "R-000001 Camille Tremblay - Strategy session", "172.46"],
        ["03/11/2026", "R-000001 Stripe fee", "-5.30"],
        ["03/11/2026", "CN-000001 Camille Tremblay - Strategy session", "-50.00"],
    ]


def test_quickbooks_dates_are_day_first_so_a_french_spreadsheet_reads_the_right_day():
    seventh = row(occurred_at=datetime(2026, 11, 7, 17, 0, tzinfo=UTC))
    records = parse(export(ledger.quickbooks_table([seventh], MONTREAL)))
    day, month, year = records[1][0].split("/")
    assert date(int(year), int(month), int(day)) == date(2026, 11, 7)


def test_the_xero_layout_names_the_payee_and_the_reference():
    records = parse(export(ledger.xero_table([row(), refund_row()], MONTREAL)))
    assert records == [
        ["Date", "Amount", "Payee", "Description", "Reference"],
        ["2026-11-03", "172.46", "Camille Tremblay", "Strategy session", "R-000001"],
        ["2026-11-03", "-5.30", "Stripe", "Stripe fee", "R-000001"],
        ["2026-11-03", "-50.00", "Camille Tremblay", "Strategy session", "CN-000001"],
    ]


def test_the_french_excel_variant_writes_the_same_numbers_with_semicolons_and_a_bom():
    rows = [row(description='Séance; "stratégie", suivi'), refund_row()]
    standard = export(ledger.ledger_table(rows, ["GST", "QST"], MONTREAL))
    french = export(ledger.ledger_table(rows, ["GST", "QST"], MONTREAL), ledger.EXCEL_FR)
    assert french.startswith("\ufeff") and not standard.startswith("\ufeff")
    assert french.splitlines()[0].count(";") == len(parse(standard)[0]) - 1
    plain_records, french_records = parse(standard), parse(french, ledger.EXCEL_FR)
    header = plain_records[0]
    amounts = {header.index(name) for name in ("Pre-tax", "GST", "QST", "Total", "Fee", "Net")}
    for plain, excel in zip(plain_records[1:], french_records[1:], strict=True):
        for index, (plain_cell, excel_cell) in enumerate(zip(plain, excel, strict=True)):
            expected = plain_cell.replace(".", ",") if index in amounts else plain_cell
            assert excel_cell == expected, header[index]
    assert french_records[1][9] == 'Séance; "stratégie", suivi'
    assert french_records[1][10:14] == ["150,00", "7,50", "14,96", "172,46"]


def test_csv_lines_end_with_crlf_and_fields_are_quoted_only_when_needed():
    text = export(ledger.xero_table([row(client_name='Tremblay, "Cam"')], MONTREAL))
    assert (
        text.split("\r\n")[1] == '2026-11-03,172.46,"Tremblay, ""Cam""",Strategy session,R-000001'
    )
    assert text.endswith("\r\n")


def test_chunks_come_out_while_rows_are_still_being_read():
    def rows_then_failure():
        for n in range(10):
            yield row(number=f"R-{n}")
        raise RuntimeError("the database was still being read")

    chunks = ledger.csv_chunks(ledger.xero_table(rows_then_failure(), MONTREAL), ledger.STANDARD, 4)
    first = next(chunks)
    assert first.count("\r\n") == 4  # header and three rows, before the reader failed
    with pytest.raises(RuntimeError):
        list(chunks)


# --- Totals and tax report ---------------------------------------------------------------


def test_totals_add_up_per_field_and_per_tax():
    payments = ledger.Totals(2, 30000, 30000, {"GST": 1500, "QST": 2992}, 34492, 530, 16716)
    refunds = ledger.Totals(1, -4349, -4349, {"GST": -217, "QST": -434}, -5000, 0, -5000)
    overall = payments + refunds
    assert (overall.count, overall.subtotal_cents, overall.total_cents) == (3, 25651, 29492)
    assert overall.taxes == {"GST": 1283, "QST": 2558}
    assert overall.tax("HST") == 0


def test_the_tax_report_nets_refunds_out_of_collected_taxes():
    # A taxed payment, an exempt one, and a partial refund of the taxed one.
    by_kind = {
        "payment": ledger.Totals(2, 30000, 15000, {"GST": 750, "QST": 1496}, 32246, 0, 0),
        "refund": ledger.Totals(1, -4349, -4349, {"GST": -217, "QST": -434}, -5000, 0, 0),
    }
    report = ledger.tax_report(
        ledger.month(2026, 11), by_kind, [("GST", "TPS/GST"), ("QST", "TVQ/QST")]
    )
    assert report.sales_cents == 30000
    assert report.refunds_cents == -4349
    assert report.net_sales_cents == 25651
    assert report.net_taxable_sales_cents == 15000 - 4349
    assert report.exempt_sales_cents == 15000
    gst, qst = report.lines
    assert (gst.collected_cents, gst.reversed_cents, gst.to_remit_cents) == (750, -217, 533)
    assert (qst.collected_cents, qst.reversed_cents, qst.to_remit_cents) == (1496, -434, 1062)
    assert report.to_remit_cents == 533 + 1062


def test_a_receipt_letterhead_keeps_the_number_the_row_was_issued_under():
    configured = [
        {"code": "GST", "name": "TPS/GST", "rate": "0.05", "registration": "NEW RT0001"},
        {"code": "QST", "name": "TVQ/QST", "rate": "0.09975", "registration": "NEW TQ0001"},
    ]
    stored = [("GST", "TPS/GST", "OLD RT0001"), ("QST", "TVQ/QST", "")]
    assert ledger.registrations(stored, configured) == [
        ("TPS/GST", "OLD RT0001"),
        ("TVQ/QST", "NEW TQ0001"),
    ]
    assert ledger.registrations([], [{"code": "HST", "name": "HST", "rate": "0.13"}]) == []


# --- Net and fees -------------------------------------------------------------------------


def test_a_refund_without_a_reported_net_nets_at_its_negative_amount():
    assert ledger.net_of(-5000, None, None) == -5000


def test_a_payment_without_a_reported_fee_nets_at_its_total_and_its_fee_stays_unknown():
    assert ledger.net_of(17246, None, None) == 17246
    assert ledger.net_of(17246, 530, None) == 17246 - 530
    assert ledger.net_of(17246, 530, 16700) == 16700


def test_totals_keep_an_unreported_fee_blank_and_add_up_across_kinds():
    payments = ledger.Totals(count=1, total_cents=17246, fee_cents=None, net_cents=17246)
    refunds = ledger.Totals(count=1, total_cents=-5000, fee_cents=None, net_cents=-5000)
    assert (payments + refunds).fee_cents is None
    with_fee = ledger.Totals(count=1, total_cents=17246, fee_cents=530, net_cents=16716)
    overall = with_fee + refunds
    assert overall.fee_cents == 530
    assert overall.total_cents - overall.fee_cents == overall.net_cents


def test_a_row_read_from_the_ledger_gets_its_net_when_none_was_reported():
    entry = dict.fromkeys(ledger.ENTRY_FIELDS, "")
    entry.update(
        occurred_at=datetime(2026, 11, 3, 17, 0, tzinfo=UTC),
        kind="refund",
        subtotal_cents=-4349,
        total_cents=-5000,
        fee_cents=None,
        net_cents=None,
    )
    built = ledger.row_from(entry, corrects="R-000001", booking_reference="QK", taxes={})
    assert built.net_cents == -5000 and built.fee_cents is None


# --- Import limits --------------------------------------------------------------------------


def test_the_french_ledger_writes_the_labels_and_types_it_is_given():
    labels = {"kind": "Type", "subtotal": "Avant taxes", "GST": "TPS", "QST": "TVQ"}
    kinds = {"payment": "paiement", "refund": "remboursement"}
    table = ledger.ledger_table([row(), refund_row()], ["GST", "QST"], MONTREAL, labels, kinds)
    records = parse(export(table, ledger.EXCEL_FR), ledger.EXCEL_FR)
    assert records[0][10:13] == ["Avant taxes", "TPS", "TVQ"]
    assert [record[3] for record in records[1:]] == ["paiement", "remboursement"]


def many_rows(count):
    return [row(number=f"R-{n:06d}", fee_cents=None) for n in range(count)]


def test_a_table_within_the_limit_is_one_file():
    files = list(
        ledger.csv_files(
            ledger.xero_table(many_rows(3), MONTREAL), ledger.STANDARD, ledger.FileLimit(5)
        )
    )
    assert len(files) == 1
    assert len(parse(files[0].decode())) == 4


def test_xero_files_hold_at_most_a_thousand_lines_each_with_its_header():
    limit = ledger.IMPORT_LIMITS["xero"]
    table = ledger.xero_table(many_rows(2500), MONTREAL)
    files = [parse(content.decode()) for content in ledger.csv_files(table, ledger.STANDARD, limit)]
    assert len(files) == 3
    assert all(len(records) <= 1000 for records in files)
    assert all(
        records[0] == ["Date", "Amount", "Payee", "Description", "Reference"] for records in files
    )
    numbers = [record[4] for records in files for record in records[1:]]
    assert numbers == [f"R-{n:06d}" for n in range(2500)]


def test_quickbooks_files_stay_under_350_kb():
    limit = ledger.IMPORT_LIMITS["quickbooks"]
    table = ledger.quickbooks_table(many_rows(8000), MONTREAL)
    files = list(ledger.csv_files(table, ledger.STANDARD, limit))
    assert len(files) > 1
    assert all(len(content) <= 350 * 1000 for content in files)
    lines = [record for content in files for record in parse(content.decode())[1:]]
    assert len(lines) == 8000


def test_a_streamed_zip_holds_every_file_by_name():
    parts = [("a-01.csv", b"Date\r\n1\r\n"), ("a-02.csv", b"Date\r\n2\r\n")]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(ledger.zip_stream(parts))))
    assert archive.namelist() == ["a-01.csv", "a-02.csv"]
    assert archive.read("a-02.csv") == b"Date\r\n2\r\n"
