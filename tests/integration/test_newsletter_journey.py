"""The whole newsletter through a real SMTP server on loopback (aiosmtpd): a reader signs up on
the English site for French emails, confirms from the email the server received, gets the
next issue in French with her own one-click address, and leaves by POSTing to it as her mail
provider would (no cookie, no form token)."""

import re
from urllib.parse import urlsplit

import pytest

from consult.extensions import db, utcnow
from consult.newsletter import sending
from consult.newsletter.models import ACTIVE, PENDING, UNSUBSCRIBED, Issue, Subscriber
from consult.privacy.models import ConsentRecord
from tests.newsletter_support import make_issue, smtp_settings, start_sink

SITE = "https://camille.example.com"
READER = "lea.lectrice@example.org"
CONFIRM = re.compile(r"https://camille\.example\.com(/\S+/newsletter/confirm/[\w-]+)")


@pytest.fixture
def app_config():
    return {"SITE_URL": SITE, "NEWSLETTER_RATE_PER_SECOND": 0}


@pytest.fixture
def smtp(app):
    controller, handler = start_sink()
    app.config.update(smtp_settings(controller.port))
    yield handler
    controller.stop()


def text_of(message):
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no text part")


def reader(app):
    with app.app_context():
        found = db.session.query(Subscriber).filter_by(email_key=READER).one()
        db.session.expunge(found)
        return found


def test_sign_up_confirm_receive_in_her_language_and_leave_in_one_click(
    app, client, smtp, deliver_mail
):
    response = client.post(
        "/en/newsletter",
        data={"newsletter-email": READER, "newsletter-lang": "fr",
              "newsletter-source": "home", "newsletter-website": ""},
    )  # fmt: skip
    assert response.status_code == 303
    assert reader(app).status == PENDING
    assert deliver_mail().sent == 1
    (confirmation,) = smtp.messages
    assert str(confirmation["To"]) == READER
    link = CONFIRM.search(text_of(confirmation)).group(1)

    # Following the link shows a button; pressing it confirms.
    page = client.get(link)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert client.post(link, data={"csrf_token": token[1]} if token else {}).status_code < 400
    signed_up = reader(app)
    assert signed_up.status == ACTIVE and signed_up.lang == "fr"
    with app.app_context():
        consent = db.session.get(ConsentRecord, signed_up.consent_id)
        assert consent.lang == "en" and consent.address_hash  # the page she signed up on

    # The next issue, in French only for her, through the same server.
    with app.app_context():
        issue = make_issue(db.session)
        db.session.commit()
        sending.queue_issue(db.session, db.session.get(Issue, issue.id), utcnow())
        run = sending.send_due()
    assert run.sent == 1, run
    issue_email = smtp.messages[-1]
    assert str(issue_email["To"]) == READER
    body = text_of(issue_email)
    assert "Les nouvelles" in body and "Autumn news" not in body
    one_click = re.match(r"<(https://[^>]+)>", issue_email["List-Unsubscribe"]).group(1)
    assert issue_email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Her provider's one-click POST: another client, no cookie, no token.
    provider = app.test_client()
    answer = provider.post(
        urlsplit(one_click).path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200
    left = reader(app)
    assert left.status == UNSUBSCRIBED and left.unsubscribed_at is not None
    with app.app_context():
        assert db.session.get(ConsentRecord, left.consent_id).withdrawn_at is not None
        # The next issue goes to nobody.
        again = make_issue(db.session)
        db.session.commit()
        sending.queue_issue(db.session, db.session.get(Issue, again.id), utcnow())
        assert sending.send_due().sent == 0
    assert sum(1 for m in smtp.messages if str(m["To"]) == READER) == 2
