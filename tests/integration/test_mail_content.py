"""What each email says and how it is built: headers, both parts, the footer, the invitation.

Each message goes through the outbox as the worker sends it (files in instance/outbox) and
is read back as a recipient's mail program would.
"""

import email
import os
from datetime import timedelta
from email import policy

import pytest
import sqlalchemy as sa
from flask import current_app

from consult.business import current as current_business
from consult.content.service import record_inquiry
from consult.extensions import db
from consult.mail.models import OutboxMessage
from consult.mail.outbox import deliver_queued, paragraphs
from consult.payments.service import refund
from tests.factories import open_every_day
from tests.integration.test_booking_service import NOW, SLOT, cancel, confirmed, hold, reschedule

#: SLOT (14:00 UTC) as the Europe/Paris prospect reads it.
EN_WHEN = "Tuesday, June 15 at 4:00\u202fp.m."
FR_WHEN = "mardi 15 juin à 16 h 00"


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app, open_every_day(db.session)


def sent(app):
    """Deliver what is queued; every message built, by the topic of its outbox row."""
    deliver_queued(now=NOW + timedelta(days=30))
    folder = os.path.join(app.instance_path, "outbox")
    built = {}
    for message in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)):
        path = os.path.join(folder, f"{message.id:06d}.eml")
        with open(path, "rb") as handle:
            built[message.topic.split(":")[0]] = email.message_from_binary_file(
                handle, policy=policy.default
            )
    return built


def parts(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def assert_well_built(message, to, lang):
    config = current_app.config
    assert message["To"] == to
    assert message["From"] == config["MAIL_FROM"]
    assert message["Reply-To"].addresses[0].addr_spec == config["OWNER_EMAIL"]
    assert message["Date"].datetime is not None
    assert message["Message-ID"].endswith("@localhost>")
    text, html = parts(message)
    # The footer CASL asks for: who sends it, where, and how to reach her.
    for part in (text, html):
        assert config["OWNER_NAME"] in part
        assert config["BUSINESS_ADDRESS"] in part
        assert config["OWNER_EMAIL"] in part
    assert ("Envoyé par" if lang == "fr" else "Sent by") in text
    assert f'<html lang="{lang}"' in html
    assert 'name="color-scheme" content="light dark"' in html
    assert "<style" not in html and 'style="' in html
    assert "<h1" in html and "<p" in html and "<img" not in html
    assert " color:" not in html  # no text colour that vanishes on a dark background
    return text, html


def calendar_method(message):
    (item,) = [
        part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"
    ]
    assert message.get_content_type() == "multipart/mixed"
    assert message.get_body(("plain",)) is not None
    return item.get_param("method")


def test_the_confirmation_names_the_session_and_its_local_time(ctx):
    app, offer = ctx
    booking = confirmed(app, offer)
    mail = sent(app)
    message = mail["booking_confirmed"]
    text, html = assert_well_built(message, "ana@example.org", "en")
    assert message["Subject"] == f"Confirmed: {offer.title('en')} — {EN_WHEN}"
    assert "Your session is confirmed" in text and booking.reference in html
    assert calendar_method(message) == "REQUEST"
    assert [part.get_content_type() for part in message.iter_parts()][0] == (
        "multipart/alternative"
    )
    assert f'href="http://localhost/en/booking/{booking.manage_token}"' in html
    assert ">To cancel or move it, within the policy, use your private link</a>" in html


def test_the_confirmation_carries_what_she_agreed_to_in_both_parts(ctx):
    app, offer = ctx
    booking = confirmed(app, offer)
    text, html = parts(sent(app)["booking_confirmed"])
    # The text once, the HTML as its own table with each tax (not the text turned HTML).
    assert text.count("What you agreed to") == 1
    assert "<h2" in html and "What you agreed to</h2>" in html
    assert '<table role="presentation"' in html
    for line in booking.tax_lines:
        assert f">{line['name']}</th>" in html
    assert "Free cancellation until" in text and "Free cancellation until" in html


def test_the_owner_notice_is_in_her_language_and_zone(ctx):
    app, offer = ctx
    confirmed(app, offer)
    message = sent(app)["booking_owner_confirmed"]
    text, _ = assert_well_built(message, app.config["OWNER_EMAIL"], "fr")
    assert (
        message["Subject"]
        == "Nouvelle rencontre réservée\u00a0: Ana Prospect — mardi 15 juin à 10 h 00"
    )


def test_a_french_confirmation_is_french_in_both_parts(ctx):
    app, offer = ctx
    booking = hold(app, offer, lang="fr", time_zone="Europe/Paris")
    from consult.booking import service
    from consult.payments.service import record_payment

    record_payment(
        db.session,
        booking,
        method="demo",
        total_cents=booking.total_cents,
        occurred_at=NOW,
        time_zone="America/Montreal",
    )
    service.confirm_paid(db.session, booking, NOW, business=current_business())
    db.session.commit()
    message = sent(app)["booking_confirmed"]
    text, html = assert_well_built(message, "ana@example.org", "fr")
    assert message["Subject"] == f"Confirmé\u00a0: {offer.title('fr')} — {FR_WHEN}"
    assert "Votre rencontre est confirmée" in text and "Votre rencontre est confirmée" in html


def test_cancellation_and_refund_emails(ctx):
    app, offer = ctx
    booking = confirmed(app, offer)
    cancel(booking, SLOT - timedelta(hours=49))
    db.session.commit()
    mail = sent(app)
    cancelled = mail["booking_cancelled"]
    assert_well_built(cancelled, "ana@example.org", "en")
    assert cancelled["Subject"] == f"Cancelled: {offer.title('en')} — {EN_WHEN}"
    assert calendar_method(cancelled) == "CANCEL"
    refund = mail["payments_refund"]
    text, html = assert_well_built(refund, "ana@example.org", "en")
    assert not list(refund.iter_attachments())
    assert refund["Subject"].startswith("Refund of $")
    (note,) = [entry for entry in booking.ledger_entries if entry.total_cents < 0]
    assert note.number in text
    for tax in note.taxes:
        assert tax.name in text and tax.name in html
    link = f"http://localhost/en/booking/{booking.manage_token}/receipts/{note.number}"
    assert f'href="{link}"' in html and link in text
    assert ">Your credit note</a>" in html


def test_the_reschedule_and_the_reminder(ctx):
    app, offer = ctx
    booking = confirmed(app, offer)
    reschedule(booking, SLOT + timedelta(days=1), NOW)
    db.session.commit()
    from consult.booking import service

    service.send_due_reminders(
        db.session, SLOT + timedelta(hours=1), app.config, current_business()
    )
    mail = sent(app)
    moved = mail["booking_rescheduled"]
    assert_well_built(moved, "ana@example.org", "en")
    assert moved["Subject"] == f"Moved: {offer.title('en')} — Wednesday, June 16 at 4:00\u202fp.m."
    assert calendar_method(moved) == "REQUEST"
    reminder = mail["booking_reminder"]
    assert_well_built(reminder, "ana@example.org", "en")
    assert reminder["Subject"].startswith(f"Reminder: {offer.title('en')} — Wednesday, June 16")


def test_a_speaking_inquiry_is_acknowledged_in_its_language(ctx):
    app, _ = ctx
    fields = {
        "name": "Léa Martin",
        "email": "lea@example.org",
        "organisation": "Festival du Web",
        "event_date": (NOW + timedelta(days=60)).date(),
        "city": "Sherbrooke",
        "online": False,
        "audience_size": 250,
        "budget_range": "2500-5000",
        "message": "Une conférence, s’il vous plaît.",
    }
    record_inquiry(
        db.session, fields, lang="fr", business=current_business(), budget_label="2 500 $", now=NOW
    )
    mail = sent(app)
    ack = mail["content.inquiry_ack"]
    text, html = assert_well_built(ack, "lea@example.org", "fr")
    assert ack["Subject"] == "Votre demande de conférence est bien reçue"
    assert "Festival du Web" in text and "Merci pour votre demande" in html
    notice = mail["content.inquiry"]
    assert_well_built(notice, app.config["OWNER_EMAIL"], "fr")


def test_paragraphs_keep_lines_escape_text_and_name_links():
    html = paragraphs("Hello <b>,\n\nSee it:\nhttps://example.org/x?a=1&b=2\n\nA\nB")
    assert html[0] == "Hello &lt;b&gt;,"
    assert html[1] == '<a href="https://example.org/x?a=1&amp;b=2">See it</a>'
    assert html[2] == "A<br>\nB"


def test_a_partial_refund_by_the_owner_tells_the_client_once(ctx):
    app, offer = ctx
    booking = confirmed(app, offer)
    (payment,) = booking.ledger_entries
    note = refund(db.session, payment, 5000, reason="Goodwill", now=NOW, config=current_app.config)
    db.session.commit()
    mail = sent(app)
    message = mail["payments_refund"]
    text, html = assert_well_built(message, "ana@example.org", "en")
    assert message["Subject"] == f"Refund of $50.00: {offer.title('en')}"
    assert "Total refunded: $50.00" in text and note.number in html
    assert len(note.taxes) == 2
    for tax in note.taxes:
        assert f"{tax.name} (" in text
    queued = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.topic.startswith("payments_refund"))
    ).all()
    assert len(queued) == 1
