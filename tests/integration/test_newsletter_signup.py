"""The newsletter's reader side: sign up on cached pages (no CSRF token, the Origin checked
instead), confirm once from the email, the consent recorded with its proof, leave in one
click (RFC 8058 too), her preferences, and what privacy law asks of the subscriber rows."""

import hashlib
import hmac
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from consult.audit import AuditEntry
from consult.auth.models import token_digest
from consult.extensions import db, utcnow
from consult.mail.models import OutboxMessage
from consult.newsletter import service
from consult.newsletter.links import reader_token, unsubscribe_url
from consult.newsletter.models import ACTIVE, BOUNCED, PENDING, UNSUBSCRIBED, Subscriber
from consult.privacy.models import COMMERCIAL, ConsentRecord
from consult.privacy.service import apply_retention, erase, held_on, load_settings
from tests.integration.test_page_cache import publish

CONFIRM = re.compile(r"https?://\S+/newsletter/confirm/[\w-]+")
UNSUBSCRIBE = re.compile(r"https?://\S+/newsletter/[\w.-]+/unsubscribe")
PREFERENCES = re.compile(r"https?://\S+/newsletter/[\w.-]+$", re.MULTILINE)
EMAIL = "Ana.Lecteur@example.org"
CSRF_ON = {"WTF_CSRF_ENABLED": True, "NEWSLETTER_SIGNUP_RATE_LIMIT": "100 per hour"}


def sign_up(client, email=EMAIL, lang="fr", page="fr", headers=None, **fields):
    data = {
        "newsletter-email": email,
        "newsletter-lang": lang,
        "newsletter-source": "home",
        "newsletter-website": "",
    }
    data.update({f"newsletter-{key}": value for key, value in fields.items()})
    return client.post(f"/{page}/newsletter", data=data, headers=headers or {})


def messages(app, topic="newsletter."):
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [m for m in rows if m.topic.startswith(topic)]


def subscriber_of(app, email=EMAIL):
    with app.app_context():
        return db.session.scalar(sa.select(Subscriber).where(Subscriber.email_key == email.lower()))


def newest_link(app, pattern, topic="newsletter."):
    return pattern.search(messages(app, topic)[-1].text_body).group(0)


@pytest.fixture
def app_config():
    """Tests sign up more often than a person would; the rate limit has its own test."""
    return {"NEWSLETTER_SIGNUP_RATE_LIMIT": "100 per hour"}


def press_the_button(client, link):
    """What her browser does on the page the link opens: read it, then press its button."""
    page = client.get(link)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    return client.post(link, data={"csrf_token": token[1]} if token else {})


def subscribed(app, client, email=EMAIL, lang="fr", page="fr"):
    """She signed up and confirmed, through the pages; her row."""
    assert sign_up(client, email, lang=lang, page=page).status_code == 303
    link = newest_link(app, CONFIRM, "newsletter.confirm")
    assert press_the_button(client, link).status_code == 200
    return subscriber_of(app, email)


def checked_language(page):
    return re.search(r'<input checked [^>]*name="newsletter-lang"[^>]*value="(\w+)"', page)[1]


def network_hash(app, address="127.0.0.1"):
    secret = app.config["SECRET_KEY"].encode()
    return hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()


# ----------------------------------------------------------------------------- the form


def test_the_form_is_on_the_home_page_under_every_article_and_on_its_own_page(app, client):
    publish(app)
    publish(app, slug="voice", title="A voice of your own", lang="en")
    for path, consent in (
        ("/", "En vous abonnant"),
        ("/fr/articles/voix", "En vous abonnant"),
        ("/fr/newsletter", "En vous abonnant"),
        ("/en/", "By subscribing"),
        ("/en/articles/voice", "By subscribing"),
        ("/en/newsletter", "By subscribing"),
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        text = page.text
        action = "/en/newsletter" if path.startswith("/en/") else "/fr/newsletter"
        assert f'action="{action}"' in text, path
        assert consent in text, path
        assert 'name="newsletter-email"' in text and 'name="newsletter-website"' in text
        assert 'name="csrf_token"' not in text, path
    french = client.get("/fr/newsletter").text
    assert "Camille Lavoie" in french and "désabonner" in french
    assert "hors du Québec" in french  # the notice at collection
    assert checked_language(french) == "fr"  # her emails in the page's language by default
    english = client.get("/en/articles/voice").text
    assert 'name="newsletter-source" type="hidden" value="article:' in english
    assert checked_language(english) == "en"


@pytest.mark.parametrize("app_config", [CSRF_ON])
@pytest.mark.parametrize("path", ["/", "/en/", "/fr/articles/voix", "/fr/newsletter"])
def test_the_pages_with_the_form_are_still_served_from_the_cache(app, path):
    publish(app)
    anonymous = app.test_client()
    first = anonymous.get(path)
    assert 'name="newsletter-email"' in first.text
    assert first.headers["X-Page-Cache"] == "miss"
    again = anonymous.get(path)
    assert again.headers["X-Page-Cache"] == "hit"
    assert again.data == first.data


@pytest.mark.parametrize("app_config", [CSRF_ON])
def test_the_form_works_without_a_csrf_token_and_from_our_own_pages(app, client):
    response = sign_up(
        client, headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/fr/newsletter/thanks"
    assert subscriber_of(app).status == PENDING
    thanks = client.get("/fr/newsletter/thanks")
    assert "Consultez vos courriels" in thanks.text


# ----------------------------------------------------------------------------- double opt-in


def test_signing_up_mails_only_a_link_and_confirming_records_the_consent_with_its_proof(
    app, client
):
    before = utcnow()
    response = sign_up(client, lang="both")
    assert response.status_code == 303
    pending = subscriber_of(app)
    assert (pending.status, pending.lang, pending.source) == (PENDING, "both", "home")
    assert pending.email == EMAIL and pending.email_key == EMAIL.lower()
    assert pending.consent_id is None and pending.confirmed_at is None
    # Nothing but the confirmation goes to her before she confirms.
    (message,) = messages(app, "")
    assert message.topic == f"newsletter.confirm:{pending.id}" and message.to == EMAIL
    assert "Confirmez" in message.subject
    assert "en français et en anglais" in message.text_body
    link = CONFIRM.search(message.text_body).group(0)
    token = link.rsplit("/", 1)[1]
    assert pending.confirm_token_hash == token_digest(token)  # stored hashed
    assert token not in str(pending.__dict__)
    assert pending.confirm_expires_at - before <= timedelta(hours=48, minutes=1)
    assert UNSUBSCRIBE.search(message.text_body)  # CASL: even this message lets her leave

    # Following the link (a mail scanner does) spends nothing: one button does.
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirmer mon abonnement" in page.text
    assert page.headers["X-Robots-Tag"] == "noindex"
    assert "no-store" in page.headers["Cache-Control"]
    assert subscriber_of(app).status == PENDING

    confirmed = client.post(link)
    assert confirmed.status_code == 200
    assert "Vous êtes abonnée" in confirmed.text or "Vous êtes abonné" in confirmed.text
    active = subscriber_of(app)
    assert active.status == ACTIVE and active.confirmed_at >= before
    assert active.confirm_token_hash is None
    with app.app_context():
        consent = db.session.get(ConsentRecord, active.consent_id)
        assert consent.kind == COMMERCIAL and consent.email == EMAIL
        assert consent.form == "newsletter.signup"
        assert consent.reference == f"newsletter:{active.id}"
        assert consent.lang == "fr"
        assert consent.text.startswith("En vous abonnant, vous acceptez de recevoir")
        assert "Camille Lavoie" in consent.text and "hors du Québec" in consent.text
        assert consent.address_hash == network_hash(app)
        assert before <= consent.given_at <= utcnow()
        assert consent.withdrawn_at is None
    welcome = messages(app, "newsletter.welcome")
    assert len(welcome) == 1
    assert UNSUBSCRIBE.search(welcome[0].text_body) and PREFERENCES.search(welcome[0].text_body)

    # The link works once.
    used = client.get(link)
    assert used.status_code == 410
    assert "Ce lien ne fonctionne plus" in used.text
    assert client.post(link).status_code == 410


def test_an_issue_reaches_her_only_once_she_has_confirmed(app, client):
    from consult.content.models import Article
    from consult.newsletter import sending
    from consult.newsletter.models import Delivery

    publish(app)
    sign_up(client)
    with app.app_context():
        article = db.session.scalar(sa.select(Article))
        sending.issue_for_article(db.session, article, article.published_at)
        sending.send_due()
        assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 0
    press_the_button(client, newest_link(app, CONFIRM))
    with app.app_context():
        article = db.session.scalar(sa.select(Article))
        sending.issue_for_article(db.session, article, article.published_at)
        sending.send_due()
        (delivery,) = db.session.scalars(sa.select(Delivery)).all()
        assert delivery.subscriber_id == subscriber_of(app).id


def test_the_consent_is_kept_in_the_language_of_the_page_she_signed_up_on(app, client):
    sign_up(client, page="en", lang="fr")
    subscribed_row = subscriber_of(app)
    assert subscribed_row.consent_lang == "en"
    # Her emails are in French, as she chose: the link opens the French page.
    link = newest_link(app, CONFIRM)
    assert "/fr/newsletter/confirm/" in link
    client.post(link)
    with app.app_context():
        consent = db.session.scalar(sa.select(ConsentRecord))
        assert consent.lang == "en" and consent.text.startswith("By subscribing, you agree")


def test_an_expired_or_unknown_confirmation_link_offers_to_sign_up_again(app, client):
    sign_up(client)
    link = newest_link(app, CONFIRM)
    with app.app_context():
        row = db.session.scalar(sa.select(Subscriber))
        row.confirm_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 410
        assert "Ce lien ne fonctionne plus" in response.text
        assert 'href="/fr/newsletter"' in response.text
    assert subscriber_of(app).status == PENDING
    unknown = client.get("/en/newsletter/confirm/nothing-of-ours")
    assert unknown.status_code == 410 and "This link no longer works" in unknown.text
    assert client.get("/fr/newsletter/confirm/" + "x" * 500).status_code == 410


def test_a_new_link_replaces_the_previous_one(app, client):
    sign_up(client)
    first = newest_link(app, CONFIRM)
    sign_up(client)
    second = newest_link(app, CONFIRM)
    assert first != second
    assert client.post(first).status_code == 410
    assert client.post(second).status_code == 200


def test_a_sign_up_answers_the_same_whatever_the_address_and_mails_a_bounded_few(app, client):
    subscribed(app, client, "active@example.org")
    sign_up(client, "pending@example.org")
    sign_up(client, "bounced@example.org")
    with app.app_context():
        bounced = db.session.scalar(
            sa.select(Subscriber).where(Subscriber.email_key == "bounced@example.org")
        )
        bounced.status = BOUNCED
        bounced.last_notice_at = None
        db.session.commit()
    before = {m.id for m in messages(app, "")}
    answers = [
        sign_up(client, email)
        for email in (
            "new@example.org",
            "pending@example.org",
            "active@example.org",
            "bounced@example.org",
        )
    ]
    assert {(a.status_code, a.headers["Location"]) for a in answers} == {
        (303, "/fr/newsletter/thanks")
    }
    assert len({a.data for a in answers}) == 1
    sent = [m for m in messages(app, "") if m.id not in before]
    assert sorted((m.to, m.topic.split(":")[0]) for m in sent) == [
        ("active@example.org", "newsletter.already"),
        ("new@example.org", "newsletter.confirm"),
        ("pending@example.org", "newsletter.confirm"),
    ]
    already = next(m for m in sent if m.to == "active@example.org")
    assert PREFERENCES.search(already.text_body) and "déjà" in already.text_body
    assert subscriber_of(app, "active@example.org").status == ACTIVE
    assert subscriber_of(app, "bounced@example.org").status == BOUNCED

    # However often the form is sent, one address gets a few emails a day, no more.
    for _ in range(6):
        assert sign_up(client, "pending@example.org").status_code == 303
        assert sign_up(client, "active@example.org").status_code == 303
    to_pending = [m for m in messages(app) if m.to == "pending@example.org"]
    # Her confirmation today counts too; the welcome is no answer to the form.
    to_active = [
        m
        for m in messages(app)
        if m.to == "active@example.org" and not m.topic.startswith("newsletter.welcome")
    ]
    assert len(to_pending) == service.NOTICES_PER_DAY
    assert len(to_active) == service.NOTICES_PER_DAY
    # The last link sent still works: the ignored sign-ups changed nothing.
    assert client.post(CONFIRM.search(to_pending[-1].text_body).group(0)).status_code == 200


def test_the_honeypot_keeps_nothing_and_answers_as_usual(app, client):
    response = sign_up(client, website="http://spam.example")
    assert response.status_code == 303
    assert response.headers["Location"] == "/fr/newsletter/thanks"
    assert subscriber_of(app) is None
    assert messages(app, "") == []


@pytest.mark.parametrize("app_config", [{"NEWSLETTER_SIGNUP_RATE_LIMIT": "2 per hour"}])
def test_the_rate_limit_answers_429_in_her_language(app, client):
    assert sign_up(client, "a@example.org").status_code == 303
    assert sign_up(client, "b@example.org").status_code == 303
    refused = sign_up(client, "c@example.org")
    assert refused.status_code == 429
    assert "Trop de tentatives" in refused.text
    assert subscriber_of(app, "c@example.org") is None
    assert client.get("/fr/newsletter").status_code == 200  # reading stays free


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://blog.localhost"},
        {"Origin": "http://localhost.evil.example"},
    ],
)
def test_a_post_from_another_site_is_refused(app, client, headers):
    response = sign_up(client, headers=headers)
    assert response.status_code == 403
    assert "depuis un autre site" in response.text
    assert subscriber_of(app) is None
    assert messages(app, "") == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "pas-une-adresse"}, "Cette adresse courriel ne semble pas valide."),
        ({"email": ""}, "Veuillez indiquer votre adresse courriel."),
        ({"email": "a" * 250 + "@example.org"}, "Cette adresse courriel est trop longue."),
        ({"lang": "de"}, "Veuillez choisir la langue de vos courriels."),
        ({"lang": ""}, "Veuillez choisir la langue de vos courriels."),
        (
            {"email": "ana@example.org\r\nBcc: x@example.org"},
            "Gardez ce texte sur une seule ligne.",
        ),
    ],
)
def test_hostile_input_gets_a_french_message_and_stores_nothing(app, client, fields, message):
    data = {"email": EMAIL, "lang": "fr", **fields}
    response = sign_up(client, **data)
    assert response.status_code == 400
    assert message in response.text
    assert 'lang="fr"' in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0
    assert messages(app, "") == []


def test_control_characters_and_odd_shapes_never_cause_a_500(app, client):
    assert sign_up(client, email="ana\x00@example.org").status_code == 400
    assert sign_up(client, source="article:" + "9" * 40).status_code == 303
    assert subscriber_of(app).source == "page"
    raw = client.post("/fr/newsletter", data={"newsletter-email": ["a@b.org", "c@d.org"]})
    assert raw.status_code == 400
    assert client.post("/fr/newsletter", data="%%%", content_type="text/plain").status_code == 400


# ----------------------------------------------------------------------------- leaving


@pytest.mark.parametrize("app_config", [CSRF_ON])
def test_one_click_with_no_cookie_and_no_token_unsubscribes_and_withdraws_the_consent(app, client):
    active = subscribed(app, client)
    with app.test_request_context():
        address = unsubscribe_url(active)
    provider = app.test_client()  # her mail provider: no cookie, no CSRF token
    response = provider.post(
        address,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    left = subscriber_of(app)
    assert left.status == UNSUBSCRIBED and left.unsubscribed_at is not None
    with app.app_context():
        consent = db.session.get(ConsentRecord, left.consent_id)
        assert consent.withdrawn_at is not None  # the record stays, with its date
        withdrawn = consent.withdrawn_at
        audit = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "newsletter.unsubscribe")
        )
        assert audit.after == {"status": UNSUBSCRIBED, "how": "one-click"}
    again = provider.post(address, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200
    with app.app_context():
        assert db.session.get(ConsentRecord, left.consent_id).withdrawn_at == withdrawn
        assert (
            db.session.scalar(
                sa.select(sa.func.count(AuditEntry.id)).where(
                    AuditEntry.action == "newsletter.unsubscribe"
                )
            )
            == 1
        )


def test_the_unsubscribe_link_shows_one_button_and_a_post_leaves(app, client):
    active = subscribed(app, client, lang="en")
    link = newest_link(app, UNSUBSCRIBE, "newsletter.welcome")
    assert "/en/newsletter/" in link
    with app.test_request_context():
        assert link == unsubscribe_url(active)
    page = client.get(link)
    assert page.status_code == 200
    assert page.text.count("<button") == 1 and "Unsubscribe" in page.text
    assert page.headers["X-Robots-Tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in page.text
    assert subscriber_of(app).status == ACTIVE  # following the link changes nothing
    left = client.post(link)
    assert left.status_code == 200 and "You are unsubscribed" in left.text
    assert subscriber_of(app).status == UNSUBSCRIBED
    assert "no longer receives" in client.get(link).text


def test_a_pending_sign_up_can_leave_from_the_confirmation_email(app, client):
    sign_up(client)
    client.post(newest_link(app, UNSUBSCRIBE, "newsletter.confirm"))
    left = subscriber_of(app)
    assert left.status == UNSUBSCRIBED and left.confirm_token_hash is None
    # She may come back: a new link, and a new consent once she confirms.
    subscribed(app, client)
    assert subscriber_of(app).status == ACTIVE


def test_a_link_that_is_not_ours_is_a_404_in_her_language(app, client):
    for path in (
        "/fr/newsletter/forged.token/unsubscribe",
        "/fr/newsletter/forged.token",
        "/fr/newsletter/" + "x" * 300,
        "/fr/newsletter/%C3%A9.%C3%A9/unsubscribe",
    ):
        assert client.get(path).status_code == 404
    assert client.post("/fr/newsletter/MQ.%00/unsubscribe").status_code == 400
    response = client.post("/fr/newsletter/forged.token/unsubscribe")
    assert response.status_code == 404
    assert "Nous ne connaissons pas ce lien" in response.text
    with app.test_request_context():
        gone = reader_token(999)
    assert client.get(f"/en/newsletter/{gone}").status_code == 404


def test_her_preferences_change_the_language_or_let_her_leave(app, client):
    active = subscribed(app, client)
    with app.test_request_context():
        token = reader_token(active.id)
    page = client.get(f"/fr/newsletter/{token}")
    assert page.status_code == 200
    assert "Vos préférences" in page.text and EMAIL in page.text
    assert page.headers["X-Robots-Tag"] == "noindex"
    saved = client.post(
        f"/fr/newsletter/{token}", data={"lang": "both", "save": "Enregistrer mon choix"}
    )
    assert saved.status_code == 303
    assert subscriber_of(app).lang == "both"
    assert "Votre choix est enregistré." in client.get(f"/fr/newsletter/{token}").text
    refused = client.post(f"/fr/newsletter/{token}", data={"lang": "de", "save": "1"})
    assert refused.status_code == 400
    assert "Veuillez choisir la langue de vos courriels." in refused.text
    left = client.post(f"/fr/newsletter/{token}", data={"lang": "both", "leave": "1"})
    assert left.status_code == 200
    assert subscriber_of(app).status == UNSUBSCRIBED
    with app.app_context():
        consent = db.session.get(ConsentRecord, active.consent_id)
        assert consent.withdrawn_at is not None
    assert "ne reçoit plus" in client.get(f"/fr/newsletter/{token}").text


# ----------------------------------------------------------------------------- privacy law


def test_access_and_erasure_include_her_subscription(app, client):
    subscribed(app, client)
    subscribed(app, client, "autre@example.org")
    with app.app_context():
        held = held_on(db.session, EMAIL.lower())
        (row,) = held["newsletter"]
        assert row["email"] == EMAIL and row["status"] == ACTIVE and row["language"] == "fr"
        assert held["consents"][0]["form"] == "newsletter.signup"
        counts = erase(db.session, None, EMAIL, utcnow())
        assert counts["newsletter"] == 1
        erased = db.session.scalar(sa.select(Subscriber).order_by(Subscriber.id))
        assert erased.status == UNSUBSCRIBED and "anonymised.invalid" in erased.email
        assert erased.consent_text == "" and erased.address_hash is None
        assert erased.consent.withdrawn_at is not None
        for table in ("newsletter_subscribers", "consent_records", "outbox_messages"):
            dump = str(db.session.execute(sa.text(f"SELECT * FROM {table}")).all()).lower()
            assert EMAIL.lower() not in dump, table
        assert held_on(db.session, EMAIL)["newsletter"] == []
    assert subscriber_of(app, "autre@example.org").status == ACTIVE


def test_retention_deletes_sign_ups_never_confirmed(app, client):
    sign_up(client, "stale@example.org")
    sign_up(client, "fresh@example.org")
    subscribed(app, client, "active@example.org")
    left_again = subscribed(app, client, "back@example.org")
    with app.app_context():
        row = db.session.get(Subscriber, left_again.id)
        service.unsubscribe(db.session, row, utcnow(), how="link")
    sign_up(client, "back@example.org")
    later = utcnow() + timedelta(days=20)
    with app.app_context():
        row = db.session.scalar(
            sa.select(Subscriber).where(Subscriber.email_key == "fresh@example.org")
        )
        row.updated_at = later
        db.session.commit()
        settings = load_settings(db.session, app.config, _business(app))
        counts = apply_retention(db.session, settings, utcnow() + timedelta(days=31))
        assert counts["sign_ups"] == 2
        states = dict(db.session.execute(sa.select(Subscriber.email_key, Subscriber.status)).all())
    assert states == {
        "fresh@example.org": PENDING,
        "active@example.org": ACTIVE,
        "back@example.org": UNSUBSCRIBED,
    }


def _business(app):
    from consult import business

    return business.from_config(app.config, app.url_map)


# ----------------------------------------------------------------------------- the service


def test_the_service_api_the_desk_and_the_sending_side_call(app, client):
    now = utcnow()
    with app.app_context():
        assert service.normal_email("  Ana@Example.ORG ") == "ana@example.org"
        imported = Subscriber(email="Imported@example.org", email_key="imported@example.org")
        imported.lang = "en"
        imported.source = "import: salon 2030"
        db.session.add(imported)
        db.session.commit()
        imported_id = imported.id
        with app.test_request_context():
            token = reader_token(imported.id)
            assert service.find_by_token(db.session, token).id == imported.id
            assert service.find_by_token(db.session, token + "x") is None
            assert service.find_by_token(db.session, "") is None
            from consult.database import write

            with write(db.session):
                service.start_confirmation(db.session, imported, now)
    (message,) = messages(app, "newsletter.confirm")
    assert message.to == "Imported@example.org" and "Confirm your subscription" in message.subject
    link = CONFIRM.search(message.text_body).group(0)
    assert "/en/newsletter/confirm/" in link
    assert client.post(link).status_code == 200
    with app.app_context():
        consent = db.session.scalar(sa.select(ConsentRecord))
        # She never saw the sign-up form: the proof is the confirmation page she pressed.
        assert consent.lang == "en" and consent.text.startswith("By subscribing")
        assert consent.address_hash == network_hash(app)
        row = db.session.get(Subscriber, imported_id)
        assert row.status == ACTIVE
        service.unsubscribe(db.session, row, utcnow(), how="desk")
        service.unsubscribe(db.session, row, utcnow(), how="desk")
        assert db.session.get(Subscriber, imported_id).status == UNSUBSCRIBED
        actions = db.session.scalars(sa.select(AuditEntry.action)).all()
        assert actions.count("newsletter.unsubscribe") == 1
