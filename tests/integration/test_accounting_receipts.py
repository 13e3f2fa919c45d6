"""Receipts and credit notes: what Revenu Québec asks for, and who may open them."""

import re

import pytest

from consult.extensions import db
from consult.payments.models import LedgerEntry
from tests.factories import (
    make_booking,
    make_payment,
    make_refund,
    montreal,
    sign_in,
)


@pytest.fixture
def app_config():
    return {
        "OWNER_NAME": "Marie-Ève Lavoie, conseil",
        "BUSINESS_ADDRESS": "1234, rue Saint-Denis, Montréal (Québec) H2X 3K8",
    }


@pytest.fixture
def sale(app):
    """A paid booking, half refunded; returns (manage token, receipt, credit note)."""
    with app.app_context():
        booking = make_booking(db.session, client_name="Camille Tremblay")
        payment = make_payment(
            db.session, booking, montreal(2026, 11, 3, 10, 15), subtotal_cents=15_000
        )
        refund = make_refund(db.session, payment, montreal(2026, 11, 10, 16, 45), total_cents=8623)
        db.session.commit()
        return booking.manage_token, payment.number, refund.number


def cell(html, field):
    return int(re.search(rf'data-field="{field}" data-cents="(-?\d+)"', html).group(1))


def test_a_receipt_shows_everything_a_tax_receipt_needs(client, app, sale):
    _token, receipt, _credit_note = sale
    sign_in(app, client, "accountant")
    response = client.get(f"/en/accounting/receipts/{receipt}")
    assert response.status_code == 200
    html = response.text
    assert f"Receipt {receipt}" in html
    assert "Marie-Ève Lavoie, conseil" in html
    assert "1234, rue Saint-Denis, Montréal (Québec) H2X 3K8" in html
    assert "TPS/GST registration no. 123456789 RT0001" in html
    assert "TVQ/QST registration no. 1234567890 TQ0001" in html
    assert "Camille Tremblay" in html
    assert "November 3, 2026 at 10:15\u202fa.m. (America/Montreal)" in html
    assert "Strategy session: should you outsource your social media?" in html
    assert (cell(html, "subtotal"), cell(html, "tax-GST"), cell(html, "tax-QST")) == (
        15000,
        750,
        1496,
    )
    assert cell(html, "total") == 17246
    assert "TPS/GST (5%)" in html and "TVQ/QST (9.975%)" in html
    assert "$172.46" in html
    assert "Card (Stripe)" in html
    assert re.search(r"<code>ch_\d+</code>", html)  # the charge is the reference
    assert "print" in html  # the print stylesheet and button
    assert 'media="print"' in html


def test_a_credit_note_is_negative_and_names_the_receipt_it_corrects(client, app, sale):
    _token, receipt, credit_note = sale
    sign_in(app, client, "owner")
    html = client.get(f"/en/accounting/receipts/{credit_note}").text
    assert f"Credit note {credit_note}" in html
    assert f'Corrects receipt <a href="/en/accounting/receipts/{receipt}">{receipt}</a>' in html
    assert cell(html, "total") == -8623
    assert cell(html, "subtotal") < 0 and cell(html, "tax-GST") < 0 and cell(html, "tax-QST") < 0
    assert cell(html, "subtotal") + cell(html, "tax-GST") + cell(html, "tax-QST") == -8623
    assert "-$86.23" in html
    assert re.search(r"<code>re_\d+</code>", html)
    # And the receipt lists its credit note.
    assert (
        f'href="/en/accounting/receipts/{credit_note}"'
        in client.get(f"/en/accounting/receipts/{receipt}").text
    )


def test_receipts_read_in_french_with_quebec_formats(client, app, sale):
    _token, receipt, _credit_note = sale
    sign_in(app, client, "accountant")
    html = client.get(f"/fr/accounting/receipts/{receipt}").text
    assert f"Reçu {receipt}" in html
    assert "172,46\xa0$" in html
    assert "9,975\xa0%" in html
    assert "3 novembre 2026" in html


def test_an_interac_receipt_gives_its_transfer_reference(client, app):
    with app.app_context():
        entry = make_payment(
            db.session,
            make_booking(db.session),
            montreal(2026, 11, 5),
            subtotal_cents=15_000,
            method="interac",
            external_reference="CA7781",
        )
        db.session.commit()
        number = entry.number
    sign_in(app, client, "accountant")
    html = client.get(f"/en/accounting/receipts/{number}").text
    assert "Interac e-Transfer" in html
    assert "<code>CA7781</code>" in html


def test_the_prospect_opens_her_receipt_and_credit_note_through_her_private_link(client, sale):
    token, receipt, credit_note = sale
    response = client.get(f"/fr/booking/{token}/receipts/{receipt}")
    assert response.status_code == 200
    assert f"Reçu {receipt}" in response.text
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert f'href="/fr/booking/{token}/receipts/{credit_note}"' in response.text
    assert "/accounting/" not in response.text  # no staff links, no staff menu
    credit = client.get(f"/en/booking/{token}/receipts/{credit_note}")
    assert credit.status_code == 200
    assert f"Credit note {credit_note}" in credit.text


def test_a_wrong_token_or_someone_elses_receipt_is_not_found(client, app, sale):
    token, receipt, _credit_note = sale
    with app.app_context():
        other = make_payment(
            db.session,
            make_booking(db.session, client_name="Someone Else"),
            montreal(2026, 11, 6),
            subtotal_cents=15_000,
        )
        db.session.commit()
        other_token, other_number = other.booking.manage_token, other.number
    assert client.get(f"/fr/booking/{token}/receipts/{other_number}").status_code == 404
    assert client.get(f"/fr/booking/{other_token}/receipts/{receipt}").status_code == 404
    assert client.get(f"/fr/booking/{token[:-1]}x/receipts/{receipt}").status_code == 404
    assert client.get(f"/fr/booking/{token}/receipts/R-999999").status_code == 404
    assert client.get(f"/fr/booking/é{token}/receipts/{receipt}").status_code == 404


def test_an_unknown_number_is_not_found_for_staff(client, app, sale):
    sign_in(app, client, "accountant")
    assert client.get("/en/accounting/receipts/R-999999").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in_for_staff_receipts(client, sale):
    _token, receipt, _credit_note = sale
    response = client.get(f"/en/accounting/receipts/{receipt}")
    assert response.status_code == 302
    assert (
        "/fr/login" in response.headers["Location"] or "/en/login" in response.headers["Location"]
    )


def test_a_receipt_keeps_the_registration_number_it_was_issued_under(client, app, sale):
    _token, receipt, _credit_note = sale
    app.config["TAXES"] = [
        {"code": "GST", "name": "TPS/GST", "rate": "0.05", "registration": "999999999 RT0001"},
        {"code": "QST", "name": "TVQ/QST", "rate": "0.09975", "registration": "9999999999 TQ0001"},
    ]
    sign_in(app, client, "accountant")
    html = client.get(f"/en/accounting/receipts/{receipt}").text
    assert "123456789 RT0001" in html and "999999999 RT0001" not in html


def test_viewing_receipts_changes_nothing(client, app, sale):
    token, receipt, credit_note = sale
    sign_in(app, client, "accountant")
    for path in (
        f"/en/accounting/receipts/{receipt}",
        f"/en/accounting/receipts/{credit_note}",
        f"/en/booking/{token}/receipts/{receipt}",
    ):
        assert client.get(path).status_code == 200
    with app.app_context():
        assert db.session.query(LedgerEntry).count() == 2


def test_a_credit_note_describes_the_session_as_moved_and_prints_the_reason(client, app):
    """Paid for 10 December at 10:00, moved to 17 December at 14:30, then refunded."""
    from datetime import timedelta

    from consult.payments.service import record_payment, record_refund

    with app.app_context():
        booking = make_booking(db.session, starts_at=montreal(2026, 12, 10, 10, 0))
        payment = record_payment(
            db.session,
            booking,
            method="interac",
            total_cents=booking.total_cents,
            occurred_at=montreal(2026, 11, 20, 9, 0),
            external_reference="CA1234",
            time_zone="America/Montreal",
        )
        db.session.commit()
        moved_to = montreal(2026, 12, 17, 14, 30)
        booking.starts_at, booking.ends_at = moved_to, moved_to + timedelta(hours=1)
        booking.busy_starts_at, booking.busy_ends_at = booking.starts_at, booking.ends_at
        db.session.commit()
        credit_note = record_refund(
            db.session,
            payment,
            5000,
            reason="The client could not make the new time",
            now=montreal(2026, 12, 1, 11, 0),
        )
        db.session.commit()
        receipt_number, credit_note_number = payment.number, credit_note.number
    sign_in(app, client, "accountant")
    html = client.get(f"/en/accounting/receipts/{credit_note_number}").text
    session = re.search(r'data-field="session">(.*?)</dd>', html, re.S).group(1)
    assert "2026-12-17 14:30" in session and "2026-12-10" not in session
    reason = re.search(r'data-field="reason">(.*?)</dd>', html, re.S).group(1)
    assert reason == "The client could not make the new time"
    # The receipt keeps the session as it was paid for.
    receipt = client.get(f"/en/accounting/receipts/{receipt_number}").text
    assert "2026-12-10 10:00" in receipt
    # And the ledger's export says the same as the credit note.
    export = client.get(
        "/en/accounting/export.csv", query_string={"start": "2026-12-01", "end": "2026-12-01"}
    ).text
    assert "2026-12-17 14:30" in export


def test_an_english_receipt_is_bilingual_with_french_first(client, sale):
    # Charter of the French language: the French text first, then the page's language.
    token, receipt, credit_note = sale
    english = client.get(f"/en/booking/{token}/receipts/{receipt}").text
    assert f'<span lang="fr">Reçu {receipt}</span> / Receipt {receipt}' in english
    assert '<span lang="fr">Total payé</span> / Total paid' in english
    credit = client.get(f"/en/booking/{token}/receipts/{credit_note}").text
    assert f'<span lang="fr">Note de crédit {credit_note}</span> / Credit note' in credit
    french = client.get(f"/fr/booking/{token}/receipts/{receipt}").text
    assert " / Receipt" not in french and "Total paid" not in french
