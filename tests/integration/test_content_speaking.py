"""The speaker page, the media kit, and the speaking inquiry form."""

import io
import zipfile
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from consult.content import models
from consult.content.seed import placeholder_png
from consult.content.service import store_upload, uploads_folder
from consult.extensions import db, utcnow
from consult.mail.models import OutboxMessage
from consult.privacy.models import ConsentRecord


@pytest.fixture
def speaker(app):
    with app.app_context():
        photo = store_upload(
            db.session,
            uploads_folder(app.instance_path),
            io.BytesIO(placeholder_png(8, 8)),
            "me.png",
            10**6,
            utcnow(),
        )
        db.session.add_all(
            [
                models.Profile(
                    lang="en",
                    name="Ada Consult",
                    headline="Social media strategy",
                    short_bio="Short and sweet.",
                    long_bio_md="A **long** story.",
                    long_bio_html="<p>A <strong>long</strong> story.</p>",
                    topics="Brand voice\nCrisis",
                    photo=photo.filename,
                ),
                models.Talk(
                    title="Future talk",
                    event="Summit",
                    city="Québec",
                    held_on=date.today() + timedelta(days=30),
                    video_url="",
                ),
                models.Talk(
                    title="Past talk",
                    event="Forum",
                    city="Toronto",
                    held_on=date.today() - timedelta(days=30),
                    video_url="https://video.example/past",
                ),
                models.Testimonial(
                    quote="Brilliant.", person="Sam", role="Chair", organisation="Forum"
                ),
            ]
        )
        db.session.commit()
        return photo.filename


def test_speaker_page_shows_bio_topics_talks_and_testimonials(client, speaker):
    page = client.get("/en/speaker/").text
    for text in (
        "Ada Consult",
        "Short and sweet.",
        "<strong>long</strong>",
        "<li>Brand voice</li>",
        "Future talk",
        "Past talk",
        'href="https://video.example/past"',
        "Brilliant.",
        "Chair, Forum",
        f"/uploads/{speaker}",
    ):
        assert text in page
    shown = page[page.index("<main") :]  # the head's JSON-LD names the talks too
    assert shown.index("Upcoming talks") < shown.index("Future talk") < shown.index("Past talks")


def test_media_kit_holds_short_bio_long_bio_and_photo(client, speaker):
    response = client.get("/en/speaker/media-kit.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == [
        "long-bio.md",
        "long-bio.txt",
        "photo.png",
        "short-bio.txt",
    ]
    assert "Short and sweet." in archive.read("short-bio.txt").decode()
    assert "A long story." in archive.read("long-bio.txt").decode()
    assert archive.read("photo.png").startswith(b"\x89PNG")


def test_no_media_kit_without_a_bio(client):
    assert client.get("/fr/speaker/media-kit.zip").status_code == 404


def valid_inquiry(**changes):
    data = {
        "name": "Léa Martin",
        "email": "Lea@Example.org",
        "organisation": "Festival du Web",
        "event_date": (date.today() + timedelta(days=60)).isoformat(),
        "city": "Sherbrooke",
        "audience_size": "250",
        "budget_range": "2500-5000",
        "message": "A keynote on brand voice, please.",
        "website": "",
    }
    data.update(changes)
    return data


def inquiries(app):
    with app.app_context():
        return db.session.scalars(sa.select(models.SpeakingInquiry)).all()


def outbox(app):
    with app.app_context():
        return db.session.scalars(sa.select(OutboxMessage)).all()


def test_an_inquiry_is_stored_and_emailed_to_the_owner(app, client):
    response = client.post("/en/speaker/invite", data=valid_inquiry())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/en/speaker/invite/thanks")
    [stored] = inquiries(app)
    assert stored.status == models.NEW
    assert stored.email == "lea@example.org"
    assert stored.lang == "en"
    assert stored.audience_size == 250
    [mail] = [m for m in outbox(app) if m.topic == "content.inquiry"]
    assert mail.to == app.config["OWNER_EMAIL"]
    assert "Léa Martin" in mail.subject
    assert "Festival du Web" in mail.text_body and "Sherbrooke" in mail.text_body
    assert f"/fr/admin/inquiries/{stored.id}" in mail.text_body
    assert mail.status == "queued"  # the worker sends it, never the request
    # The owner reads it in French, with French typography.
    assert "Nom\u00a0: Léa Martin" in mail.text_body


def test_sending_an_inquiry_records_the_consent_it_gives_with_its_words(app, client):
    page = client.get("/fr/speaker/invite").text
    words = "En envoyant ce formulaire, vous acceptez d’être contacté·e par courriel"
    assert words in page  # what she reads is what is kept
    assert "Comment nous utilisons vos renseignements" in page or "privacy-notice" in page
    assert client.post("/fr/speaker/invite", data=valid_inquiry()).status_code == 302
    [stored] = inquiries(app)
    with app.app_context():
        [consent] = db.session.scalars(sa.select(ConsentRecord)).all()
        assert consent.email == "lea@example.org" and consent.lang == "fr"
        assert consent.text.startswith(words)
        assert consent.form == "content.inquiry"
        assert consent.reference == f"inquiry:{stored.id}"


def test_an_online_event_needs_no_city(app, client):
    response = client.post("/fr/speaker/invite", data=valid_inquiry(city="", online="y"))
    assert response.status_code == 302
    assert inquiries(app)[0].online is True


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Please tell us your name."),
        ({"email": "not-an-email"}, "email", "This email address does not look right."),
        ({"organisation": " "}, "organisation", "Please name the organisation."),
        ({"event_date": ""}, "event_date", "Please give the date of the event."),
        ({"event_date": "2020-01-01"}, "event_date", "The event date is in the past."),
        ({"event_date": "demain"}, "event_date", "Not a valid date value."),
        ({"city": ""}, "city", "Give the city, or tick “online”."),
        ({"audience_size": "0"}, "audience_size", "Enter a number between 1 and 100,000."),
        ({"audience_size": "lots"}, "audience_size", "Not a valid integer value."),
        ({"budget_range": "a-million"}, "budget_range", "Not a valid choice"),
        ({"message": ""}, "message", "Please say a few words about the event."),
        ({"message": "x" * 5001}, "message", "Please keep it under 5,000 characters."),
    ],
)
def test_bad_inquiries_get_a_message_per_field_and_store_nothing(
    app, client, changes, field, message
):
    response = client.post("/en/speaker/invite", data=valid_inquiry(**changes))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text
    error = response.text.split(f'id="{field}-error">', 1)[1]
    assert message in error.split("</p>", 1)[0]
    assert inquiries(app) == [] and outbox(app) == []


def test_inquiry_errors_speak_french_on_the_french_page(client):
    response = client.post("/fr/speaker/invite", data=valid_inquiry(name=""))
    assert "Veuillez indiquer votre nom." in response.text


def test_a_filled_honeypot_is_thanked_and_ignored(app, client):
    response = client.post("/en/speaker/invite", data=valid_inquiry(website="http://spam.example"))
    assert response.status_code == 302
    assert inquiries(app) == [] and outbox(app) == []


def test_inquiries_are_rate_limited(app, client):
    for _ in range(5):
        assert client.post("/en/speaker/invite", data=valid_inquiry()).status_code == 302
    assert client.post("/en/speaker/invite", data=valid_inquiry()).status_code == 429
    assert len(inquiries(app)) == 5
    assert client.get("/en/speaker/invite").status_code == 200
