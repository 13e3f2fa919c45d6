"""Access, portability and erasure: one click exports everything held on an email as JSON and
CSV; erasure leaves no personal field anywhere while totals, numbers and tax reports stay."""

import csv
import io
import json
import zipfile
from datetime import date, timedelta

import sqlalchemy as sa

from consult.accounting import ledger
from consult.accounting.queries import tax_columns, totals_by_kind
from consult.audit import AuditEntry
from consult.content.models import InquiryMessage, SpeakingInquiry
from consult.extensions import db
from consult.mail.models import OutboxMessage
from consult.mail.outbox import queue, queue_templated
from consult.newsletter.models import Subscriber
from consult.payments.models import LedgerEntry, LedgerTax, WebhookEvent
from consult.privacy.models import INQUIRY_CONTACT, OPEN, PrivacyRequest
from consult.privacy.service import record_consent
from tests.factories import (
    CLOCK,
    QUEBEC_TAXES,
    make_booking,
    make_offer,
    make_payment,
    make_refund,
    sign_in,
)

EMAIL = "Mireille.Gagnon@example.org"
NAME = "Mireille Gagnon"
OTHER_EMAIL = "luc.roy@example.org"
OTHER_NAME = "Luc Roy"
KINDS = (
    "bookings",
    "intake_answers",
    "payments",
    "receipts",
    "inquiries",
    "consents",
    "messages",
    "privacy_requests",
    "newsletter",
)


def person_with_everything(session, email=EMAIL, name=NAME, now=CLOCK):
    """A client with two bookings (one paid then partly refunded), a speaking inquiry with
    its thread, consents, mail sent to her and about her, a webhook and audit entries."""
    offer = make_offer(session)
    first = make_booking(
        session,
        offer,
        client_name=name,
        client_email=email,
        client_phone="+1 514 555 0199",
        organisation="Boulangerie Gagnon",
        intake_goal="Savoir si je confie Instagram à une agence.",
        owner_notes=f"{name} préfère le matin.",
    )
    second = make_booking(session, offer, client_name=name, client_email=email.lower())
    payment = make_payment(session, first, now - timedelta(hours=3))
    make_refund(session, payment, now - timedelta(hours=1), total_cents=5000)
    make_payment(session, second, now - timedelta(hours=2), method="interac")
    inquiry = SpeakingInquiry(
        name=name,
        email=email,
        organisation="Festival des idées",
        event_date=date(2030, 5, 1),
        city="Québec",
        audience_size=120,
        budget_range="unknown",
        message=f"Bonjour, ici {name}, joignable au 514 555 0199.",
        lang="fr",
        created_at=now,
        updated_at=now,
    )
    session.add(inquiry)
    session.flush()
    session.add(InquiryMessage(inquiry_id=inquiry.id, sender="owner", body=f"Merci {name} !"))
    record_consent(
        session,
        kind=INQUIRY_CONTACT,
        email=email,
        text="J’accepte d’être contactée au sujet de ma demande.",
        lang="fr",
        form="content.inquiry",
        reference=f"inquiry:{inquiry.id}",
        address_hash="a" * 64,
        now=now,
    )
    queue(email, "Votre rencontre", f"Bonjour {name}, à bientôt.", f"<p>Bonjour {name}</p>")
    queue_templated(
        "owner@example.com",
        "privacy_owner_notice",
        "fr",
        "Une demande",
        request=PrivacyRequest(email=email, kind="access"),
        kind_label="accès",
        due="1er février",
        link="http://localhost/x",
    )
    session.add(
        WebhookEvent(
            id=f"evt_{first.id}",
            type="checkout.session.completed",
            payload={"data": {"customer_details": {"email": email, "name": name}}},
        )
    )
    session.add(
        AuditEntry(
            action="booking.cancel",
            target_type="booking",
            target_id=str(first.id),
            after={"client": name, "email": email},
        )
    )
    session.add(Subscriber(email=email, email_key=email.lower(), status="active", lang="fr"))
    request = PrivacyRequest(
        kind="delete",
        email=email,
        details=f"Je suis {name}.",
        lang="fr",
        status=OPEN,
        received_at=now,
        verified_at=now,
        due_at=now + timedelta(days=30),
    )
    session.add(request)
    session.flush()
    return request


def someone_else(session):
    booking = make_booking(
        session,
        client_name=OTHER_NAME,
        client_email=OTHER_EMAIL,
        intake_goal="Garder.",
        organisation="Roy Conseil",
    )
    make_payment(session, booking)
    return booking


def every_text_value(session):
    """(table, column, value) of every text and JSON value in the database, staff aside."""
    for table in db.metadata.sorted_tables:
        if table.name == "users":
            continue
        columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.JSON)]
        for column in columns:
            for value in session.scalars(sa.select(column)):
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                yield table.name, column.name, text


def where_found(session, *needles):
    lowered = [needle.lower() for needle in needles]
    return sorted(
        {
            (table, column)
            for table, column, text in every_text_value(session)
            if any(needle in text.lower() for needle in lowered)
        }
    )


def books(session):
    """What the accountant relies on: every row's number and amounts, and January's report."""
    rows = session.execute(
        sa.select(
            LedgerEntry.number,
            LedgerEntry.kind,
            LedgerEntry.subtotal_cents,
            LedgerEntry.tax_cents,
            LedgerEntry.total_cents,
            LedgerEntry.occurred_at,
        ).order_by(LedgerEntry.number)
    ).all()
    taxes = session.execute(
        sa.select(LedgerTax.entry_id, LedgerTax.code, LedgerTax.amount_cents).order_by(LedgerTax.id)
    ).all()
    period = ledger.month(2030, 1)
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/Montreal")
    by_kind = totals_by_kind(session, ledger.Filter(period), zone)
    report = ledger.tax_report(period, by_kind, tax_columns(session, QUEBEC_TAXES, zone))
    return rows, taxes, by_kind, report


def test_the_export_holds_every_kind_of_data_on_the_email_as_json_and_csv(client, app):
    with app.app_context():
        request_id = person_with_everything(db.session).id
        someone_else(db.session)
        db.session.commit()
    sign_in(app, client, "owner")
    page = client.get(f"/fr/admin/privacy/requests/{request_id}")
    assert page.status_code == 200
    response = client.get(f"/fr/admin/privacy/requests/{request_id}/export")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("data.json"))
    assert set(data) == set(KINDS)
    for kind in KINDS:
        assert data[kind], f"nothing exported for {kind}"
        rows = list(csv.DictReader(io.StringIO(archive.read(f"{kind}.csv").decode("utf-8"))))
        assert len(rows) == len(data[kind]), kind
    assert len(data["bookings"]) == 2  # both spellings of her address
    assert data["intake_answers"][0]["goal"] == "Savoir si je confie Instagram à une agence."
    assert data["intake_answers"][0]["phone"] == "+1 514 555 0199"
    assert {row["kind"] for row in data["payments"]} == {"payment", "refund"}
    assert {row["document"] for row in data["receipts"]} == {"receipt", "credit_note"}
    assert data["inquiries"][0]["thread"][0]["body"] == f"Merci {NAME} !"
    assert data["consents"][0]["text"].startswith("J’accepte")
    assert data["messages"][0]["subject"] == "Votre rencontre"
    assert data["privacy_requests"][0]["kind"] == "delete"
    assert data["newsletter"][0]["status"] == "active"
    exported = json.dumps(data, ensure_ascii=False)
    assert OTHER_EMAIL not in exported and OTHER_NAME not in exported


def test_erasure_leaves_no_personal_field_and_the_books_unchanged(client, app, deliver_mail):
    with app.app_context():
        request_id = person_with_everything(db.session).id
        other = someone_else(db.session)
        db.session.commit()
        other_id = other.id
        assert where_found(db.session, EMAIL, NAME)  # the search finds what is there
        before = books(db.session)
    sign_in(app, client, "owner")
    # Erasure replaces the address the answer goes to: she answers first, and it is sent.
    early = client.post(
        f"/fr/admin/privacy/requests/{request_id}/erase", data={"erase-confirm": "y"}
    )
    assert early.status_code == 302
    with app.app_context():
        assert where_found(db.session, EMAIL)
    client.post(
        f"/fr/admin/privacy/requests/{request_id}/answer",
        data={"answer-status": "done", "answer-answer": "Ce que nous détenons sera anonymisé."},
    )
    assert "Répondez d’abord" in client.get(f"/fr/admin/privacy/requests/{request_id}").text
    deliver_mail()
    refused = client.post(f"/fr/admin/privacy/requests/{request_id}/erase", data={})
    assert refused.status_code == 400
    assert "Cochez la case pour confirmer l’effacement." in refused.text
    response = client.post(
        f"/fr/admin/privacy/requests/{request_id}/erase", data={"erase-confirm": "y"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert where_found(db.session, EMAIL, NAME, "514 555 0199", "Boulangerie Gagnon") == []
        assert books(db.session) == before
        # Someone else's data is untouched.
        from consult.booking.models import Booking

        kept = db.session.get(Booking, other_id)
        assert (kept.client_name, kept.client_email, kept.intake_goal) == (
            OTHER_NAME,
            OTHER_EMAIL,
            "Garder.",
        )
        entries = db.session.scalars(sa.select(LedgerEntry)).all()
        assert {e.client_name for e in entries} == {"[anonymised]", OTHER_NAME}
        request = db.session.get(PrivacyRequest, request_id)
        assert request.erased_at is not None and request.status == "done"
        audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "privacy.erase"))
        assert audit.after["bookings"] == 2 and audit.after["ledger_entries"] == 3
        # Nothing deleted: the mail rows stay, anonymised (hers, the owner's, the answer).
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 3
    page = client.get(f"/fr/admin/privacy/requests/{request_id}").text
    assert "Tout télécharger" not in page
    assert client.get(f"/fr/admin/privacy/requests/{request_id}/export").status_code == 404
