"""A person's requests (Law 25): the public policy, the form, the emailed link, the register
with its due dates in the owner's zone, the answer, and the consents the booking records."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from consult.extensions import db, utcnow
from consult.mail.models import OutboxMessage
from consult.privacy.models import (
    BOOKING_TERMS,
    DONE,
    OPEN,
    PENDING,
    ConsentRecord,
    PrivacyRequest,
)
from consult.privacy.service import file_request
from tests.factories import RESERVATION_FORM, free_slots, open_every_day, sign_in, slot_key

LINK = re.compile(r"https?://\S+/privacy/confirm/[\w-]+")


def outbox(app, topic_prefix=""):
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [m for m in rows if m.topic.startswith(topic_prefix)]


def requests_of(app):
    with app.app_context():
        return db.session.scalars(sa.select(PrivacyRequest).order_by(PrivacyRequest.id)).all()


def file(client, email="ana@example.org", kind="access", lang="fr", **changes):
    data = {"kind": kind, "email": email, "details": "", **changes}
    return client.post(f"/{lang}/privacy/request", data=data)


def confirm_link(app):
    (message,) = outbox(app, "privacy.confirm")
    return LINK.search(message.text_body).group(0)


# ----------------------------------------------------------------------------- the page


def test_the_privacy_page_names_the_person_in_charge_and_lists_the_cookies(client, app):
    app.config.update(PRIVACY_OFFICER_TITLE="Présidente", BUSINESS_ADDRESS="1 rue X, Montréal")
    french = client.get("/fr/privacy")
    assert french.status_code == 200
    page = french.text
    assert "Camille Lavoie" in page and "Présidente" in page and "owner@example.com" in page
    assert "Commission d’accès à l’information" in page
    assert "Stripe" in page and "hors du Québec" in page
    for cookie in ("session", "remember_token", "lang"):
        assert f"<code>{cookie}</code>" in page
    english = client.get("/en/privacy").text
    assert "Person in charge of personal information" in english
    assert "outside Québec" in english


def test_every_page_links_to_the_privacy_page_from_its_footer(client):
    for path, href in (
        ("/fr/", "/fr/privacy"),
        ("/en/", "/en/privacy"),
        ("/fr/book/", "/fr/privacy"),
    ):
        page = client.get(path, follow_redirects=True).text
        footer = page[page.index('<footer class="site-footer">') :]
        assert f'href="{href}"' in footer, path


def test_the_owner_edits_the_policy_and_the_officer_from_her_desk(client, app):
    sign_in(app, client, "owner")
    form = client.get("/fr/admin/privacy/settings")
    assert form.status_code == 200
    response = client.post(
        "/fr/admin/privacy/settings",
        data={
            "officer_name": "Julie Roy",
            "officer_title": "Responsable",
            "officer_email": "julie@example.org",
            "policy_fr": "## Notre engagement\nNous gardons vos réponses {intake_days} jours.",
            "policy_en": "## Our promise\n- one item",
            "inquiry_retention_days": "200",
            "intake_retention_days": "100",
            "outbox_retention_days": "30",
        },
    )
    assert response.status_code == 302
    page = client.get("/fr/privacy").text
    assert "Julie Roy" in page and "julie@example.org" in page
    assert "<h2>Notre engagement</h2>" in page
    assert "Nous gardons vos réponses 100 jours." in page
    assert "<li>one item</li>" in client.get("/en/privacy").text


def test_the_settings_refuse_a_retention_of_zero_days_with_a_message(client, app):
    sign_in(app, client, "owner")
    response = client.post(
        "/en/admin/privacy/settings",
        data={
            "officer_name": "Julie",
            "officer_email": "julie@example.org",
            "inquiry_retention_days": "0",
            "intake_retention_days": "10",
            "outbox_retention_days": "10",
        },
    )
    assert response.status_code == 400
    assert "A number of days between 1 and 36500." in response.text


def test_the_desk_pages_are_the_owners_alone(client, app):
    for path in (
        "/fr/admin/privacy/",
        "/fr/admin/privacy/settings",
        "/fr/admin/privacy/incidents/",
    ):
        assert client.get(path).status_code == 302  # to the sign-in page
    sign_in(app, client, "accountant")
    assert client.get("/fr/admin/privacy/").status_code == 403


# ----------------------------------------------------------------------------- the form


def test_a_request_is_confirmed_by_the_link_mailed_to_its_address_once(client, app):
    response = file(client, kind="delete", details="Tout effacer.")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/fr/privacy/request/sent")
    (pending,) = requests_of(app)
    assert (pending.status, pending.kind, pending.lang) == (PENDING, "delete", "fr")
    assert pending.due_at - pending.received_at == timedelta(days=30)
    link = confirm_link(app)
    path = link.split("localhost", 1)[1]
    # Following the link (a mail scanner does) spends nothing: a button does.
    assert "Confirmer ma demande" in client.get(path).text
    assert requests_of(app)[0].status == PENDING
    done = client.post(path)
    assert done.status_code == 200
    assert "Votre demande est reçue" in done.text
    (confirmed,) = requests_of(app)
    assert confirmed.status == OPEN and confirmed.verified_at is not None
    (notice,) = outbox(app, "privacy.owner_notice")
    assert notice.to == "owner@example.com"
    assert "/fr/admin/privacy/requests/" in notice.text_body
    # The link works once.
    assert client.post(path).status_code == 410
    assert client.get(path).status_code == 410


def test_the_form_answers_the_same_whether_the_email_is_known_or_not(client, app):
    with app.app_context():
        from tests.factories import make_booking

        make_booking(db.session, client_email="known@example.org")
        db.session.commit()
    known = file(client, email="known@example.org")
    unknown = file(client, email="nobody@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert len(outbox(app, "privacy.confirm")) == 2


def test_hostile_or_incomplete_requests_get_a_message_in_her_language(client, app):
    missing = file(client, email="", kind="access")
    assert missing.status_code == 400
    assert "Veuillez indiquer votre adresse courriel." in missing.text
    wrong_kind = file(client, kind="everything", lang="en")
    assert wrong_kind.status_code == 400
    assert client.post("/fr/privacy/request", data={"email": "a\x00@b.org"}).status_code == 400
    assert requests_of(app) == []


def test_an_unknown_or_expired_link_is_refused(client, app):
    assert client.get("/fr/privacy/confirm/nothing-here").status_code == 410
    now = utcnow()
    with app.app_context():
        file_request(
            db.session,
            kind="access",
            email="ana@example.org",
            details="",
            lang="en",
            now=now - timedelta(days=3),
            link_for=lambda token: f"http://localhost/en/privacy/confirm/{token}",
        )
    path = confirm_link(app).split("localhost", 1)[1]
    assert client.post(path).status_code == 410


def test_one_email_gets_at_most_three_links_a_day_and_one_address_five_requests_an_hour(
    client, app
):
    for _ in range(4):
        assert file(client, email="flood@example.org").status_code == 302
    assert len(outbox(app, "privacy.confirm")) == 3
    assert file(client, email="other@example.org").status_code == 302
    assert file(client, email="third@example.org").status_code == 429


# ----------------------------------------------------------------------------- the register


def make_request(app, received_at, email="ana@example.org", status=OPEN, kind="access"):
    with app.app_context():
        item = PrivacyRequest(
            kind=kind,
            email=email,
            lang="fr",
            status=status,
            received_at=received_at,
            verified_at=received_at if status != PENDING else None,
            due_at=received_at + timedelta(days=30),
        )
        db.session.add(item)
        db.session.commit()
        return item.id


def test_the_register_shows_each_due_date_in_the_owners_zone(client, app):
    # 7 January 2030 at 02:30 UTC is still 6 January in Montréal: due 5 February there,
    # 6 February in UTC.
    make_request(app, datetime(2030, 1, 7, 2, 30, tzinfo=UTC))
    sign_in(app, client, "owner")
    page = client.get("/fr/admin/privacy/").text
    due = re.search(r"data-due>([^<]+)", page).group(1)
    assert due.strip() == "5 février 2030"
    app.config["TIME_ZONE"] = "Asia/Tokyo"
    page = client.get("/en/admin/privacy/").text
    assert re.search(r"data-due>([^<]+)", page).group(1).strip() == "February 6, 2030"


def test_a_request_past_its_due_date_is_marked_late(client, app):
    make_request(app, utcnow() - timedelta(days=31))
    make_request(app, utcnow() - timedelta(days=2), email="b@example.org")
    sign_in(app, client, "owner")
    page = client.get("/en/admin/privacy/").text
    assert page.count(">Late<") == 1


def test_the_owner_answers_a_request_and_the_answer_is_mailed_in_its_language(client, app):
    request_id = make_request(app, utcnow())
    sign_in(app, client, "owner")
    page = client.get(f"/fr/admin/privacy/requests/{request_id}")
    assert page.status_code == 200
    response = client.post(
        f"/fr/admin/privacy/requests/{request_id}/answer",
        data={"answer-status": DONE, "answer-answer": "Voici vos données, en pièce jointe."},
    )
    assert response.status_code == 302
    (item,) = requests_of(app)
    assert item.status == DONE and item.answered_at is not None
    (mail,) = outbox(app, "privacy.answer")
    assert mail.to == "ana@example.org"
    assert "Voici vos données" in mail.text_body
    assert "Commission d’accès à l’information" in mail.text_body
    # Answered once; a second answer changes nothing.
    again = client.post(
        f"/fr/admin/privacy/requests/{request_id}/answer",
        data={"answer-status": DONE, "answer-answer": "Encore"},
    )
    assert again.status_code == 302
    assert len(outbox(app, "privacy.answer")) == 1


def test_an_empty_answer_is_a_form_message(client, app):
    request_id = make_request(app, utcnow())
    sign_in(app, client, "owner")
    response = client.post(
        f"/en/admin/privacy/requests/{request_id}/answer",
        data={"answer-status": DONE, "answer-answer": ""},
    )
    assert response.status_code == 400
    assert "Please write your answer." in response.text


# ----------------------------------------------------------------------------- consents


@pytest.fixture
def flagship(app):
    with app.app_context():
        return open_every_day(db.session).slug


def test_a_reservation_records_the_consent_she_saw_in_the_pages_language(client, app, flagship):
    slot = free_slots(app, flagship)[0]
    form = client.get(f"/fr/book/{flagship}/reserve?start={slot_key(slot)}&tz=UTC")
    notice = "Nous utilisons ce que vous donnez ici uniquement pour vous répondre"
    assert form.status_code == 200
    assert notice in form.text  # the notice at collection beside the fields
    data = {**RESERVATION_FORM, "start": slot_key(slot), "tz": "UTC", "email": "ana@example.org"}
    response = client.post(f"/fr/book/{flagship}/reserve", data=data)
    assert response.status_code in (302, 303), response.text[:500]
    with app.app_context():
        (consent,) = db.session.scalars(sa.select(ConsentRecord)).all()
        from consult.booking.models import Booking

        booking = db.session.scalar(sa.select(Booking))
        assert consent.kind == BOOKING_TERMS
        assert consent.email == "ana@example.org"
        assert consent.reference == booking.reference
        assert consent.lang == "fr" and consent.form == "booking.reserve"
        assert "J’accepte d’être contacté·e par courriel au sujet de cette rencontre." in (
            consent.text
        )
        assert notice in consent.text
    request_id = make_request(app, utcnow())
    sign_in(app, client, "owner")
    page = client.get(f"/fr/admin/privacy/requests/{request_id}").text
    assert "J’accepte d’être contacté·e" in page and booking.reference in page


def test_the_inquiry_forms_consent_is_recorded_inside_its_write_and_shown_on_the_desk(client, app):
    from datetime import date

    from consult.content.models import SpeakingInquiry
    from consult.database import write
    from consult.privacy.service import record_inquiry_consent

    with app.app_context():
        with write(db.session):
            item = SpeakingInquiry(
                name="Léa",
                email="lea@example.org",
                organisation="Colloque",
                event_date=date(2030, 5, 1),
                online=True,
                audience_size=40,
                budget_range="unknown",
                message="Bonjour",
                lang="en",
            )
            db.session.add(item)
            db.session.flush()
            record_inquiry_consent(
                db.session, item, utcnow(), text="I agree to be contacted about a quote."
            )
        (consent,) = db.session.scalars(sa.select(ConsentRecord)).all()
        assert consent.kind == "inquiry_contact" and consent.lang == "en"
        assert consent.text.startswith("I agree to be contacted about a quote. We use what")
    request_id = make_request(app, utcnow(), email="LEA@example.org")
    sign_in(app, client, "owner")
    assert (
        "I agree to be contacted about a quote."
        in client.get(f"/en/admin/privacy/requests/{request_id}").text
    )


def test_the_owner_marks_a_consent_withdrawn_and_is_warned_of_sessions_to_come(client, app):
    from consult.database import write
    from consult.privacy.service import record_consent
    from tests.factories import make_booking

    with app.app_context():
        make_booking(
            db.session, starts_at=utcnow() + timedelta(days=5), client_email="ana@example.org"
        )
        with write(db.session):
            consent = record_consent(
                db.session,
                kind=BOOKING_TERMS,
                email="ana@example.org",
                text="Texte vu",
                lang="fr",
                form="booking.reserve",
                now=utcnow(),
            )
        consent_id = consent.id
    request_id = make_request(app, utcnow())
    other_id = make_request(app, utcnow(), email="someone@example.org")
    sign_in(app, client, "owner")
    page = client.get(f"/fr/admin/privacy/requests/{request_id}").text
    assert "Rencontres à venir\u00a0: 1" in page
    # A consent is withdrawn from the request of its own email only.
    wrong = client.post(f"/fr/admin/privacy/requests/{other_id}/consents/{consent_id}/withdraw")
    assert wrong.status_code == 404
    done = client.post(f"/fr/admin/privacy/requests/{request_id}/consents/{consent_id}/withdraw")
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(ConsentRecord, consent_id).withdrawn_at is not None
    assert "retiré le" in client.get(f"/fr/admin/privacy/requests/{request_id}").text
