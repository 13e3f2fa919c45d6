"""She answers a speaking inquiry from its page: the reply goes out through the outbox, the
thread stays on the inquiry, and the status moves new -> answered -> quoted -> booked."""

import email
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from consult import create_app
from consult.audit import AuditEntry
from consult.content.models import InquiryMessage, SpeakingInquiry
from consult.extensions import db, utcnow
from consult.mail.models import QUEUED, SENT, OutboxMessage
from tests.conftest import make_test_config
from tests.integration.test_mail import smtp_config, smtp_server  # noqa: F401
from tests.integration.test_migrations import empty_database_url  # noqa: F401

MESSAGE = "Bonjour,\nNous organisons un congrès.\n\nPourriez-vous ouvrir la journée ?"


def add_inquiry(app, **overrides):
    values = {
        "name": "Nadia Roy",
        "email": "nadia@example.org",
        "organisation": "Congrès des communicateurs",
        "event_date": date.today() + timedelta(days=90),
        "city": "Québec",
        "audience_size": 300,
        "budget_range": "2500-5000",
        "message": MESSAGE,
        "lang": "fr",
    }
    values.update(overrides)
    with app.app_context():
        inquiry = SpeakingInquiry(**values)
        db.session.add(inquiry)
        db.session.commit()
        return inquiry.id


def load(app, inquiry_id):
    with app.app_context():
        inquiry = db.session.get(SpeakingInquiry, inquiry_id)
        messages = [(m.sender, m.body, m.status_after) for m in inquiry.messages]
        outbox = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return inquiry.status, messages, [(o.to, o.topic, o.status) for o in outbox]


def reply(client, inquiry_id, body, status="answered"):
    return client.post(
        f"/fr/admin/inquiries/{inquiry_id}/reply",
        data={"reply-body": body, "reply-status": status},
    )


def test_the_inquiry_page_keeps_line_breaks_and_shows_the_budget_in_words(app, client, auth):
    inquiry_id = add_inquiry(app)
    auth.login()
    page = client.get(f"/fr/admin/inquiries/{inquiry_id}").text
    assert '<div class="message">Bonjour,\nNous organisons un congrès.\n\n' in page
    assert "css/admin.css" in page  # the sheet whose .message keeps the line breaks
    assert "2500-5000" not in page.split('<main id="main"')[1].split("<form")[0]
    assert "2 500 $ à 5 000 $" in page or "2 500 $ à 5 000 $" in page


def test_a_reply_is_queued_with_its_cause_kept_on_the_thread_and_answers_the_inquiry(
    app, client, auth
):
    inquiry_id = add_inquiry(app)
    auth.login()
    response = reply(client, inquiry_id, "Avec plaisir.\nMon tarif est de 3 000 $.")
    assert response.status_code == 302
    status, messages, outbox = load(app, inquiry_id)
    assert status == "answered"
    assert messages == [("owner", "Avec plaisir.\nMon tarif est de 3 000 $.", "answered")]
    ((to, topic, state),) = outbox
    assert to == "nadia@example.org"
    assert topic.startswith(f"admin.inquiry_reply:{inquiry_id}:")
    assert state == QUEUED  # the web request sends nothing; the worker does
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "inquiry.reply"))
        assert entry.before == {"status": "new"} and entry.after["status"] == "answered"
    page = client.get(f"/fr/admin/inquiries/{inquiry_id}").text
    assert "Avec plaisir.\nMon tarif est de 3 000 $." in page
    assert "En attente d’envoi à nadia@example.org." in page


def test_the_reply_reaches_the_organiser_through_the_smtp_server(
    app,
    client,
    auth,
    deliver_mail,
    smtp_server,  # noqa: F811
):
    controller, inbox = smtp_server
    smtp_config(app, controller.port)
    inquiry_id = add_inquiry(app, lang="en", name="Sam Lee", email="sam@example.org")
    auth.login()
    reply(client, inquiry_id, "Happy to.\nMy fee is $3,000.", status="quoted")
    assert deliver_mail().sent == 1
    (received,) = inbox.messages
    assert received["To"] == "sam@example.org"
    assert "answer" in received["Subject"]
    assert "owner" in received["Reply-To"] or "@" in received["Reply-To"]
    parsed = email.message_from_bytes(received.as_bytes())
    text = next(
        part.get_payload(decode=True).decode()
        for part in parsed.walk()
        if part.get_content_type() == "text/plain"
    )
    assert "Hello Sam Lee," in text
    assert "Happy to.\nMy fee is $3,000." in text
    assert "> Bonjour," in text  # her reply quotes the inquiry
    status, _messages, outbox = load(app, inquiry_id)
    assert status == "quoted" and outbox[0][2] == SENT
    page = client.get(f"/en/admin/inquiries/{inquiry_id}").text
    assert "Sent to sam@example.org on" in page


def test_the_status_moves_forward_and_refuses_a_jump(app, client, auth):
    inquiry_id = add_inquiry(app)
    auth.login()
    # A new inquiry cannot be booked before she has answered it.
    jump = client.post(f"/fr/admin/inquiries/{inquiry_id}/status", data={"status-status": "booked"})
    assert jump.status_code == 400
    assert load(app, inquiry_id)[0] == "new"
    reply(client, inquiry_id, "Voici ma proposition.", status="quoted")
    assert load(app, inquiry_id)[0] == "quoted"
    booked = client.post(
        f"/fr/admin/inquiries/{inquiry_id}/status", data={"status-status": "booked"}
    )
    assert booked.status_code == 302
    assert load(app, inquiry_id)[0] == "booked"
    back = client.post(f"/fr/admin/inquiries/{inquiry_id}/status", data={"status-status": "new"})
    assert back.status_code == 400
    status, messages, outbox = load(app, inquiry_id)
    assert status == "booked" and len(messages) == 1 and len(outbox) == 1
    listing = client.get("/fr/admin/inquiries/?status=booked").text
    assert "Nadia Roy" in listing and "Réservée" in listing


def test_the_organisers_answer_is_kept_on_the_thread_without_sending_anything(app, client, auth):
    inquiry_id = add_inquiry(app)
    auth.login()
    reply(client, inquiry_id, "Avec plaisir.")
    response = client.post(
        f"/fr/admin/inquiries/{inquiry_id}/answer",
        data={"note-body": "Merci !\nNous acceptons."},
    )
    assert response.status_code == 302
    status, messages, outbox = load(app, inquiry_id)
    assert [m[0] for m in messages] == ["owner", "organiser"]
    assert len(outbox) == 1
    assert status == "answered"


def test_a_reply_without_words_or_with_an_unknown_status_is_a_form_message(app, client, auth):
    inquiry_id = add_inquiry(app)
    auth.login()
    empty = reply(client, inquiry_id, "   ")
    assert empty.status_code == 400 and "Écrivez votre réponse." in empty.text
    odd = reply(client, inquiry_id, "Bonjour", status="deleted")
    assert odd.status_code == 400
    huge = reply(client, inquiry_id, "x" * 10_001)
    assert huge.status_code == 400
    assert client.post("/fr/admin/inquiries/999999/reply", data={}).status_code == 404
    assert client.get("/fr/admin/inquiries/?status=nonsense").status_code == 404
    assert load(app, inquiry_id)[1:] == ([], [])


def test_only_the_owner_reaches_the_inquiries(app, client, auth):
    inquiry_id = add_inquiry(app)
    assert client.get("/fr/admin/inquiries/").status_code == 302
    auth.login(role="accountant")
    assert client.get("/fr/admin/inquiries/").status_code == 403
    assert client.get(f"/fr/admin/inquiries/{inquiry_id}").status_code == 403
    assert reply(client, inquiry_id, "Bonjour").status_code == 403
    assert load(app, inquiry_id)[1:] == ([], [])


def test_the_old_addresses_lead_to_the_desk(app, client, auth):
    inquiry_id = add_inquiry(app)
    auth.login()
    old_list = client.get("/fr/admin/content/inquiries")
    assert old_list.status_code == 301
    assert old_list.headers["Location"].endswith("/fr/admin/inquiries/")
    old_page = client.get(f"/en/admin/content/inquiries/{inquiry_id}")
    assert old_page.headers["Location"].endswith(f"/en/admin/inquiries/{inquiry_id}")


def test_the_dashboard_links_new_inquiries_to_their_page_on_the_desk(app, client, auth):
    inquiry_id = add_inquiry(app, organisation="")
    auth.login()
    page = client.get("/fr/admin/").text
    assert f'href="/fr/admin/inquiries/{inquiry_id}">Nadia Roy</a>' in page


def test_an_upgraded_database_keeps_its_inquiries_and_takes_the_new_statuses(
    empty_database_url,  # noqa: F811
    tmp_path,
):
    app = create_app(make_test_config(empty_database_url, tmp_path / "instance"))
    with app.app_context():
        upgrade(revision="g7c8d9e0a1b2")
        now = utcnow()
        db.session.execute(
            sa.text(
                "INSERT INTO speaking_inquiries (name, email, organisation, event_date, city, "
                "online, audience_size, budget_range, message, lang, status, created_at, "
                "updated_at) VALUES ('Léa', 'lea@example.org', '', :day, 'Laval', false, 40, "
                "'unknown', 'Bonjour', 'fr', 'answered', :now, :now)"
            ),
            {"day": date(2030, 1, 1), "now": now},
        )
        db.session.commit()
        upgrade(revision="h8d9e0a1b2c3")
        (kept,) = db.session.execute(sa.text("SELECT name, status FROM speaking_inquiries")).all()
        assert tuple(kept) == ("Léa", "answered")
        db.session.execute(sa.text("UPDATE speaking_inquiries SET status = 'quoted'"))
        db.session.commit()
        inquiry_id = db.session.scalar(sa.text("SELECT id FROM speaking_inquiries"))
        db.session.execute(
            sa.text(
                "INSERT INTO inquiry_messages (inquiry_id, sender, body, status_after, created_at)"
                " VALUES (:id, 'owner', 'Voici', 'quoted', :now)"
            ),
            {"id": inquiry_id, "now": now},
        )
        db.session.commit()
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(sa.text("UPDATE speaking_inquiries SET status = 'lost'"))
            db.session.commit()
        db.session.rollback()
        db.engine.dispose()


def test_a_thread_message_cannot_be_empty(app):
    inquiry_id = add_inquiry(app)
    with app.app_context():
        db.session.add(InquiryMessage(inquiry_id=inquiry_id, sender="owner", body=""))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
