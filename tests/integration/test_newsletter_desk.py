"""Her desk's newsletter pages: issues written, previewed, tested, scheduled and sent (only
ever queued by a request), their figures; readers listed with their consent, exported as a
formula-safe CSV, imported with the consent she states."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from consult.content.models import PUBLISHED, Article
from consult.database import write
from consult.extensions import db, utcnow
from consult.mail.models import OutboxMessage
from consult.newsletter import sending
from consult.newsletter.models import (
    ACTIVE,
    BOUNCED,
    DRAFT,
    FROM_ARTICLE,
    PENDING,
    SCHEDULED,
    SENT,
    UNSUBSCRIBED,
    Delivery,
    Issue,
    Subscriber,
)
from consult.privacy.models import COMMERCIAL, ConsentRecord
from tests.e2e.html_check import PageRecorder, describe, in_ci, vnu_missing
from tests.newsletter_support import make_issue, make_reader


@pytest.fixture
def owner(auth):
    return auth.login()


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def an_issue(app, **fields):
    with app.app_context(), write(db.session):
        return make_issue(db.session, **fields).id


def issue_row(app, issue_id):
    with app.app_context():
        issue = db.session.get(Issue, issue_id)
        db.session.expunge(issue)
        return issue


def add_readers(app, *specs):
    with app.app_context(), write(db.session):
        return [make_reader(db.session, *spec).id for spec in specs]


# ----------------------------------------------------------------------------- pages


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_newsletter_desk_page_opens_in_both_languages(app, client, owner, lang):
    issue_id = an_issue(app)
    add_readers(app, ("reader@example.org", "fr", ACTIVE))
    base = f"/{lang}/admin/newsletter"
    for path in (
        "/",
        "/issues/new",
        f"/issues/{issue_id}",
        f"/issues/{issue_id}/preview",
        "/subscribers",
        "/subscribers?q=reader&status=active&page=2",
        "/subscribers/import",
    ):
        response = client.get(base + path)
        assert response.status_code == 200, (path, response.status_code)
        assert f'<html lang="{lang}"' in response.text
    page = client.get(f"{base}/").text
    assert f'href="/{lang}/admin/newsletter/"' in page, "the staff menu lists the newsletter"


def test_only_the_owner_reaches_the_newsletter_desk(app, client, auth):
    assert client.get("/fr/admin/newsletter/").status_code == 302
    auth.login(role="accountant")
    assert client.get("/fr/admin/newsletter/").status_code == 403
    assert client.get("/fr/admin/newsletter/subscribers.csv").status_code == 403


def test_the_preview_shows_both_languages(app, client, owner):
    issue_id = an_issue(app)
    page = client.get(f"/fr/admin/newsletter/issues/{issue_id}/preview").text
    assert '<article class="issue-preview" lang="fr"' in page
    assert '<article class="issue-preview" lang="en"' in page
    assert "Les nouvelles d&#39;automne" in page and "Autumn news" in page


# ----------------------------------------------------------------------------- writing


def test_she_writes_an_issue_in_markdown_rendered_and_sanitized(app, client, owner):
    response = client.post(
        "/en/admin/newsletter/issues/new",
        data={
            "subject_fr": "Bonjour",
            "body_fr": "## Titre\n\n<script>alert(1)</script> **gras**",
            "subject_en": "",
            "body_en": "",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        issue = db.session.scalar(sa.select(Issue))
        assert (issue.kind, issue.status, issue.subject_en) == ("written", DRAFT, "")
        assert "<strong>gras</strong>" in issue.body_html_fr
        assert "<script>" not in issue.body_html_fr


def test_an_issue_without_any_subject_is_refused_with_a_message(app, client, owner):
    response = client.post(
        "/en/admin/newsletter/issues/new",
        data={"subject_fr": "", "body_fr": "x", "subject_en": "", "body_en": ""},
    )
    assert response.status_code == 400
    assert "Give the issue a subject in at least one language." in response.text
    assert count(app, Issue) == 0


def test_editing_a_sent_issue_is_refused_with_a_message(app, client, owner):
    issue_id = an_issue(app, status=SENT)
    response = client.post(
        f"/en/admin/newsletter/issues/{issue_id}",
        data={"subject_fr": "Changed", "body_fr": "x", "subject_en": "", "body_en": ""},
    )
    assert response.status_code == 409
    assert "This issue has gone out: it can no longer be changed." in response.text
    assert issue_row(app, issue_id).subject_fr == "Les nouvelles d'automne"


# ----------------------------------------------------------------------------- sending


def test_send_now_only_queues_and_the_worker_sends(app, client, owner):
    add_readers(app, ("reader@example.org", "fr", ACTIVE))
    issue_id = an_issue(app)
    response = client.post(f"/en/admin/newsletter/issues/{issue_id}/send")
    assert response.status_code == 302
    issue = issue_row(app, issue_id)
    assert issue.status == SCHEDULED and issue.scheduled_at <= utcnow()
    assert count(app, Delivery, Delivery.status == "sent") == 0
    outbox = Path(app.instance_path, "outbox")
    assert not outbox.exists() or not list(outbox.iterdir()), "a request never sends"
    with app.app_context():
        run = sending.send_due()
    assert run.sent == 1
    assert issue_row(app, issue_id).status == SENT


def test_she_schedules_in_her_own_zone(app, client, owner):
    issue_id = an_issue(app)
    response = client.post(
        f"/en/admin/newsletter/issues/{issue_id}/schedule", data={"send_at": "2030-07-01T09:00"}
    )
    assert response.status_code == 302
    issue = issue_row(app, issue_id)
    assert issue.status == SCHEDULED
    assert issue.scheduled_at == datetime(2030, 7, 1, 13, 0, tzinfo=UTC)  # EDT is UTC-4


def test_a_time_the_clocks_skip_or_a_past_one_is_refused(app, client, owner):
    issue_id = an_issue(app)
    skipped = client.post(
        f"/en/admin/newsletter/issues/{issue_id}/schedule", data={"send_at": "2030-03-10T02:30"}
    )
    assert skipped.status_code == 400
    assert "This time does not exist" in skipped.text
    past = client.post(
        f"/en/admin/newsletter/issues/{issue_id}/schedule",
        data={"send_at": "2020-01-01T09:00"},
        follow_redirects=True,
    )
    assert "Pick a time to come." in past.text
    assert issue_row(app, issue_id).status == DRAFT


def test_a_test_copy_goes_to_her_through_the_outbox(app, client, owner):
    issue_id = an_issue(app)
    add_readers(app, ("reader@example.org", "fr", ACTIVE))
    response = client.post(f"/en/admin/newsletter/issues/{issue_id}/test", follow_redirects=True)
    assert owner.email in response.text
    with app.app_context():
        (message,) = db.session.scalars(sa.select(OutboxMessage)).all()
        assert message.to == owner.email
        # Marked in the email's own language: a bilingual issue opens with the site's (French).
        assert message.subject.startswith("[Essai] ")
        assert "Autumn news" in message.html_body and "Les nouvelles" in message.html_body
    assert count(app, Delivery) == 0
    assert issue_row(app, issue_id).status == DRAFT


def test_the_issue_list_shows_what_became_of_each_issue(app, client, owner):
    ids = add_readers(
        app,
        ("one@example.org", "fr", ACTIVE),
        ("two@example.org", "fr", ACTIVE),
        ("three@example.org", "fr", ACTIVE),
    )
    issue_id = an_issue(app)
    went_out = utcnow() - timedelta(days=2)
    with app.app_context():
        sending.queue_issue(db.session, db.session.get(Issue, issue_id), went_out)
        with write(db.session):
            db.session.execute(
                sa.update(Delivery).where(Delivery.subscriber_id == ids[0]).values(status="sent")
            )
            db.session.execute(
                sa.update(Delivery).where(Delivery.subscriber_id == ids[1]).values(status="failed")
            )
            db.session.execute(
                sa.update(Delivery).where(Delivery.subscriber_id == ids[2]).values(status="sent")
            )
            db.session.execute(
                sa.update(Subscriber)
                .where(Subscriber.id == ids[2])
                .values(status=UNSUBSCRIBED, unsubscribed_at=utcnow())
            )
    page = client.get("/en/admin/newsletter/").text
    row = page.split(f'data-issue="{issue_id}"')[1].split("</tr>")[0]
    shown = dict(re.findall(r"<td data-(recipients|delivered|failed|left) [^>]*>(\d+)</td>", row))
    assert shown == {"recipients": "3", "delivered": "2", "failed": "1", "left": "1"}


def test_an_article_is_sent_as_an_issue_from_its_page(app, client, owner):
    with app.app_context(), write(db.session):
        french = Article(
            lang="fr", slug="automne", title="Automne", summary="", body_md="x",
            body_html="<p>x</p>", status=PUBLISHED, published_at=utcnow(),
        )  # fmt: skip
        db.session.add(french)
        draft = Article(lang="en", slug="draft", title="Draft", summary="", body_md="x")
        db.session.add(draft)
        db.session.flush()
        french_id, draft_id = french.id, draft.id
    page = client.get(f"/en/admin/content/articles/{french_id}").text
    assert "Send as a newsletter issue" in page
    assert (
        "Send as a newsletter issue"
        not in client.get(f"/en/admin/content/articles/{draft_id}").text
    )
    response = client.post(f"/en/admin/content/articles/{french_id}/newsletter")
    assert response.status_code == 302
    with app.app_context():
        issue = db.session.scalar(sa.select(Issue))
        assert (issue.kind, issue.status, issue.article_fr_id) == (
            FROM_ARTICLE,
            SCHEDULED,
            french_id,
        )
    again = client.post(f"/en/admin/content/articles/{french_id}/newsletter", follow_redirects=True)
    assert "already a newsletter issue" in again.text
    assert count(app, Issue) == 1
    refused = client.post(
        f"/en/admin/content/articles/{draft_id}/newsletter", follow_redirects=True
    )
    assert "Publish or schedule the article first." in refused.text


# ----------------------------------------------------------------------------- readers


def test_the_reader_list_shows_status_language_and_consent_and_searches(app, client, owner):
    add_readers(
        app,
        ("alice@example.org", "fr", ACTIVE),
        ("bob@example.org", "en", PENDING),
        ("carol@example.org", "both", BOUNCED),
    )
    page = client.get("/en/admin/newsletter/subscribers").text
    for text in ("alice@example.org", "bob@example.org", "carol@example.org", "Subscribed",
                 "Awaiting confirmation", "Bounced", "Both languages", "newsletter.signup",
                 "Oui, envoyez-moi l&#39;infolettre."):  # fmt: skip
        assert text in page, text
    found = client.get("/en/admin/newsletter/subscribers?q=BOB").text
    assert "bob@example.org" in found and "alice@example.org" not in found
    bounced = client.get("/en/admin/newsletter/subscribers?status=bounced").text
    assert "carol@example.org" in bounced and "alice@example.org" not in bounced


def test_the_export_reads_back_as_csv_and_is_formula_safe(app, client, owner):
    ids = add_readers(app, ("alice@example.org", "fr", ACTIVE), ("bob@example.org", "en", ACTIVE))
    with app.app_context(), write(db.session):
        db.session.execute(
            sa.update(Subscriber)
            .where(Subscriber.id == ids[1])
            .values(source='=HYPERLINK("http://evil.example","x")')
        )
    response = client.get("/en/admin/newsletter/subscribers.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["email"] for row in rows] == ["alice@example.org", "bob@example.org"]
    assert rows[1]["source"] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows[0]["consent_form"] == "newsletter.signup"
    assert rows[0]["status"] == ACTIVE and rows[1]["lang"] == "en"


def _upload(client, text, lang="en", **fields):
    data = {
        "file": (io.BytesIO(text.encode("utf-8")), "readers.csv"),
        "source": "Signed up on paper at my talk, March 2026",
        "default_lang": "fr",
        **fields,
    }
    return client.post(
        f"/{lang}/admin/newsletter/subscribers/import",
        data=data,
        content_type="multipart/form-data",
    )


def test_an_import_records_each_consent_and_sends_no_confirmation(app, client, owner):
    add_readers(app, ("left@example.org", "fr", UNSUBSCRIBED))
    response = _upload(
        client,
        "email,lang,source\n"
        "ann@example.org,en,card 2026-03-12\n"
        "not-an-email,fr,\n"
        "ben@example.org,de,\n"
        "ANN@example.org,fr,\n"
        "left@example.org,fr,\n"
        "eve\x01@example.org,fr,\n"
        "cleo@example.org,,\n",
    )
    assert response.status_code == 200
    assert "2 addresses added." in response.text
    for line, why in ((3, "not a valid email address"), (4, "unknown language"),
                      (5, "already earlier in the file"), (6, "not brought back"),
                      (7, "control characters")):  # fmt: skip
        row = response.text.split(f'data-line="{line}"')[1].split("</tr>")[0]
        assert why in row, (line, row)
    with app.app_context():
        ann = db.session.scalar(
            sa.select(Subscriber).where(Subscriber.email_key == "ann@example.org")
        )
        assert (ann.status, ann.lang) == (ACTIVE, "en")
        assert ann.consent.kind == COMMERCIAL and ann.consent.form == "newsletter.import"
        assert ann.consent.text == "Signed up on paper at my talk, March 2026 (card 2026-03-12)"
        cleo = db.session.scalar(
            sa.select(Subscriber).where(Subscriber.email_key == "cleo@example.org")
        )
        assert (cleo.status, cleo.lang) == (ACTIVE, "fr")
        left = db.session.scalar(
            sa.select(Subscriber).where(Subscriber.email_key == "left@example.org")
        )
        assert left.status == UNSUBSCRIBED
    assert count(app, OutboxMessage) == 0, "no confirmation unless she asks for one"
    assert count(app, ConsentRecord, ConsentRecord.form == "newsletter.import") == 2


def test_import_errors_are_in_her_language(app, client, owner):
    response = _upload(client, "not-an-email\n", lang="fr")
    assert response.status_code == 200
    assert 'data-line="1"' in response.text
    assert '<html lang="fr"' in response.text


def test_an_import_asking_each_to_confirm_leaves_them_pending_with_an_email(app, client, owner):
    response = _upload(client, "dan@example.org\n", ask_to_confirm="y")
    assert response.status_code == 200
    with app.app_context():
        dan = db.session.scalar(sa.select(Subscriber))
        assert dan.status == PENDING
        (message,) = db.session.scalars(sa.select(OutboxMessage)).all()
        assert message.to == "dan@example.org"


def test_a_file_that_is_not_utf8_is_refused_with_a_message(app, client, owner):
    response = client.post(
        "/en/admin/newsletter/subscribers/import",
        data={
            "file": (io.BytesIO("é".encode("latin-1") + b"\xff"), "readers.csv"),
            "source": "At my talk",
            "default_lang": "fr",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "UTF-8" in response.text


@pytest.mark.slow
def test_the_newsletter_desk_pages_are_valid_html_with_content(app, client, owner, tmp_path):
    missing = vnu_missing()
    if missing:
        if in_ci():
            pytest.fail(missing)
        pytest.skip(missing)
    add_readers(app, ("alice@example.org", "fr", ACTIVE), ("bob@example.org", "en", BOUNCED))
    draft_id = an_issue(app)
    sent_id = an_issue(app)
    with app.app_context():
        sending.queue_issue(db.session, db.session.get(Issue, sent_id), utcnow())
        with write(db.session):
            article = Article(
                lang="fr", slug="automne", title="Automne", summary="", body_md="x",
                body_html="<p>x</p>", status=PUBLISHED, published_at=utcnow(),
            )  # fmt: skip
            db.session.add(article)
            db.session.flush()
            article_id = article.id
    recorder = PageRecorder(tmp_path)
    for lang in ("fr", "en"):
        base = f"/{lang}/admin/newsletter"
        for path in ("/", f"/issues/{draft_id}", f"/issues/{sent_id}",
                     f"/issues/{draft_id}/preview", "/subscribers", "/subscribers/import",
                     "/issues/new"):  # fmt: skip
            response = client.get(base + path)
            assert response.status_code == 200, path
            recorder.add(base + path, response.data)
    invalid = client.post(
        "/fr/admin/newsletter/issues/new",
        data={"subject_fr": "", "body_fr": "", "subject_en": "", "body_en": ""},
    )
    recorder.add("invalid issue", invalid.data)
    imported = _upload(client, "email\ncarol@example.org\nbad\n", lang="fr")
    recorder.add("import result", imported.data)
    article_page = f"/fr/admin/content/articles/{article_id}"
    recorder.add("article, before", client.get(article_page).data)
    client.post(f"/fr/admin/content/articles/{article_id}/newsletter")
    recorder.add("article, an issue", client.get(article_page).data)
    errors = recorder.errors()
    assert not errors, describe(errors, recorder.names)


def test_an_import_past_the_line_cap_says_where_it_stopped(app, client, owner, monkeypatch):
    from consult.newsletter import subscribers

    monkeypatch.setattr(subscribers, "IMPORT_MAX_ROWS", 2)
    response = _upload(client, "a@example.org\nb@example.org\nc@example.org\n")
    assert "2 addresses added." in response.text
    row = response.text.split('data-line="3"')[1].split("</tr>")[0]
    assert "were not read" in row
    assert count(app, Subscriber) == 2


def test_an_import_is_in_her_audit_log_as_a_sentence(app, client, owner):
    response = _upload(client, "email\nann@example.org\nnot-an-email\n")
    assert "1 address added." in response.text
    log = client.get("/en/admin/audit/").text
    assert "Imported 1 newsletter reader (lines set aside: 1)." in log
    french = client.get("/fr/admin/audit/").text
    assert "1 abonné importé dans l’infolettre (lignes écartées\u00a0: 1)." in french
