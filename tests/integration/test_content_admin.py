"""The owner's content screens: articles, images, bio, talks, testimonials, inquiries."""

import io
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from PIL import Image

from consult.audit import AuditEntry
from consult.content import models
from consult.content.seed import placeholder_png
from consult.extensions import db, utcnow

PNG = placeholder_png(4, 4)


def article_form(**changes):
    data = {
        "lang": "fr",
        "title": "Une voix à soi",
        "slug": "",
        "summary": "Comment garder sa voix.",
        "body": "## Pourquoi\n\nParce que.",
        "tags": "Voix, Crise",
        "cover_image": "",
        "cover_alt": "",
        "status": "draft",
        "publish_at": "",
        "translation_id": "",
    }
    data.update(changes)
    return data


def all_rows(app, model):
    with app.app_context():
        return db.session.scalars(sa.select(model)).all()


def audit_actions(app):
    return [entry.action for entry in all_rows(app, AuditEntry)]


def test_only_the_owner_reaches_the_content_screens(client, auth):
    assert client.get("/fr/admin/content/").status_code == 302
    auth.login(role="accountant")
    for path in ("/fr/admin/content/", "/fr/admin/content/inquiries", "/fr/admin/content/bio"):
        assert client.get(path).status_code == 403
    assert client.post("/fr/admin/content/articles/new", data=article_form()).status_code == 403
    assert all_rows(client.application, models.Article) == []


def test_owner_writes_a_draft_then_publishes_and_unpublishes_it(app, client, auth):
    auth.login()
    response = client.post("/fr/admin/content/articles/new", data=article_form())
    assert response.status_code == 302
    [article] = all_rows(app, models.Article)
    assert article.slug == "une-voix-a-soi"
    assert article.status == "draft"
    with app.app_context():
        assert db.session.get(models.Article, article.id).tags == ["crise", "voix"]
    assert '<h2 id="s-pourquoi">' in article.body_html
    assert client.get("/fr/articles/une-voix-a-soi").status_code == 404
    preview = client.get(f"/fr/admin/content/articles/{article.id}/preview")
    assert preview.status_code == 200 and "Une voix à soi" in preview.text

    client.post(f"/fr/admin/content/articles/{article.id}/publish")
    assert client.get("/fr/articles/une-voix-a-soi").status_code == 200
    client.post(f"/fr/admin/content/articles/{article.id}/unpublish")
    assert client.get("/fr/articles/une-voix-a-soi").status_code == 404
    assert audit_actions(app) == ["article.create", "article.publish", "article.unpublish"]


def test_preview_without_saving_changes_nothing(app, client, auth):
    auth.login()
    response = client.post(
        "/fr/admin/content/articles/new",
        data=article_form(body="Hello <script>alert(1)</script>", preview="1"),
    )
    assert response.status_code == 200
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert all_rows(app, models.Article) == []


def test_hostile_markdown_saved_by_the_owner_is_inert_on_the_public_page(app, client, auth):
    auth.login()
    body = (
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
        "[a](javascript:alert(3)) [b](data:text/html,hi)"
    )
    client.post("/fr/admin/content/articles/new", data=article_form(body=body, status="published"))
    page = client.get("/fr/articles/une-voix-a-soi").text
    body_html = page.split('<div class="article-body">', 1)[1].split("</div>", 1)[0]
    assert "<script" not in body_html and "<img" not in body_html
    assert "javascript:" not in body_html.replace("(javascript:alert(3))", "")
    assert 'href="data:' not in body_html


def test_scheduling_needs_a_future_time_in_the_consultants_zone(app, client, auth):
    auth.login()
    past = client.post(
        "/en/admin/content/articles/new",
        data=article_form(status="scheduled", publish_at="2020-01-01T09:00"),
    )
    assert past.status_code == 400
    assert "To schedule an article, pick a time in the future." in past.text
    assert all_rows(app, models.Article) == []

    local = (utcnow() + timedelta(days=2)).astimezone(ZoneInfo("America/Montreal"))
    response = client.post(
        "/en/admin/content/articles/new",
        data=article_form(status="scheduled", publish_at=local.strftime("%Y-%m-%dT%H:%M")),
    )
    assert response.status_code == 302
    [article] = all_rows(app, models.Article)
    assert article.status == "scheduled"
    assert article.published_at == local.replace(second=0, microsecond=0)
    assert client.get("/fr/articles/une-voix-a-soi").status_code == 404


#: (form changes, field, message) for bad article input.
BAD_ARTICLES = [
    ({"title": ""}, "title", "An article needs a title."),
    ({"summary": ""}, "summary", "Write a one- or two-sentence summary."),
    ({"body": ""}, "body", "The article has no text."),
    ({"slug": "Pas Bon!"}, "slug", "Use lower-case letters, digits and hyphens only."),
    ({"status": "live"}, "status", "Not a valid choice"),
    ({"lang": "de"}, "lang", "Not a valid choice"),
    ({"translation_id": "999"}, "translation_id", "Not a valid choice"),
    ({"cover_image": "../../etc/passwd"}, "cover_image", "Not a valid choice"),
]


def test_bad_article_input_gets_a_message_and_stores_nothing(app, client, auth):
    auth.login()
    for changes, field, message in BAD_ARTICLES:
        response = client.post("/en/admin/content/articles/new", data=article_form(**changes))
        assert response.status_code == 400, changes
        error = response.text.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
        assert message in error, changes
    assert all_rows(app, models.Article) == []


def test_a_slug_is_unique_within_its_language(app, client, auth):
    auth.login()
    client.post("/fr/admin/content/articles/new", data=article_form())
    again = client.post("/en/admin/content/articles/new", data=article_form())
    assert again.status_code == 400
    assert "Another article in this language already uses this address." in again.text
    assert (
        client.post("/fr/admin/content/articles/new", data=article_form(lang="en")).status_code
        == 302
    )
    assert len(all_rows(app, models.Article)) == 2


def test_linking_a_translation_links_both_ways_and_relinking_moves_it(app, client, auth):
    auth.login()
    client.post("/fr/admin/content/articles/new", data=article_form(status="published"))
    client.post(
        "/fr/admin/content/articles/new",
        data=article_form(lang="en", title="A voice of your own", status="published"),
    )
    client.post(
        "/fr/admin/content/articles/new",
        data=article_form(lang="en", title="Second try", status="published"),
    )
    by_slug = {a.slug: a.id for a in all_rows(app, models.Article)}
    fr_id = by_slug["une-voix-a-soi"]
    edit = f"/fr/admin/content/articles/{fr_id}"
    client.post(
        edit, data=article_form(status="published", translation_id=by_slug["a-voice-of-your-own"])
    )
    assert "Read in English" in client.get("/fr/articles/une-voix-a-soi").text
    assert "Lire en français" in client.get("/en/articles/a-voice-of-your-own").text

    client.post(edit, data=article_form(status="published", translation_id=by_slug["second-try"]))
    links = {a.slug: a.translation_id for a in all_rows(app, models.Article)}
    assert links == {
        "une-voix-a-soi": by_slug["second-try"],
        "second-try": fr_id,
        "a-voice-of-your-own": None,
    }
    same_language = client.post(
        "/en/admin/content/articles/new",
        data=article_form(title="Autre", translation_id=fr_id),
    )
    assert "Pick an article written in the other language." in same_language.text


def test_editing_keeps_the_first_publication_time(app, client, auth):
    auth.login()
    client.post("/fr/admin/content/articles/new", data=article_form(status="published"))
    [first] = all_rows(app, models.Article)
    client.post(
        f"/fr/admin/content/articles/{first.id}",
        data=article_form(status="published", title="Nouveau titre", slug="une-voix-a-soi"),
    )
    [edited] = all_rows(app, models.Article)
    assert edited.title == "Nouveau titre"
    assert edited.published_at == first.published_at
    assert edited.updated_at >= first.updated_at


def test_images_are_checked_by_content_and_size_then_served_for_a_year(app, client, auth):
    auth.login()
    app.config["UPLOAD_MAX_BYTES"] = 2048
    fake = client.post(
        "/en/admin/content/images",
        data={"image": (io.BytesIO(b"<svg onload=alert(1)>"), "photo.png")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 400
    assert "This file is not a PNG, JPEG, WebP or GIF image." in fake.text
    big = client.post(
        "/en/admin/content/images",
        data={"image": (io.BytesIO(PNG + b"\0" * 4096), "big.png")},
        content_type="multipart/form-data",
    )
    assert big.status_code == 400 and "This image is larger than" in big.text
    missing = client.post("/en/admin/content/images", data={}, content_type="multipart/form-data")
    assert missing.status_code == 400 and "Choose an image file." in missing.text
    assert all_rows(app, models.Upload) == []

    good = client.post(
        "/fr/admin/content/images",
        data={"image": (io.BytesIO(PNG), "portrait.gif")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    [upload] = all_rows(app, models.Upload)
    assert upload.content_type == "image/png" and upload.filename.endswith(".png")
    served = client.get(f"/uploads/{upload.filename}")
    # What is stored is the image as Pillow saved it again, not the bytes sent.
    assert served.status_code == 200 and served.data.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(served.data)).size == (4, 4)
    assert served.mimetype == "image/png"
    assert served.cache_control.max_age == 365 * 24 * 3600
    assert served.cache_control.public and served.cache_control.immutable
    served.close()
    assert client.get("/uploads/..%2Fconsult.sqlite3").status_code == 404
    assert client.get("/uploads/notes.txt").status_code == 404
    assert "upload.create" in audit_actions(app)


def test_owner_edits_the_bio_talks_and_testimonials(app, client, auth):
    auth.login()
    response = client.post(
        "/fr/admin/content/bio/en",
        data={
            "name": "Ada",
            "headline": "Speaker",
            "short_bio": "Short.",
            "long_bio": "Long **bio**.",
            "topics": "One\nTwo",
            "photo": "",
        },
    )
    assert response.status_code == 302
    assert "<strong>bio</strong>" in client.get("/en/speaker/").text
    talk = {
        "title": "Keynote",
        "event": "Summit",
        "city": "Laval",
        "held_on": (date.today() + timedelta(days=10)).isoformat(),
        "video_url": "https://video.example/k",
        "lang": "fr",
    }
    assert client.post("/fr/admin/content/talks/new", data=talk).status_code == 302
    quote = {"quote": "Great.", "person": "Kim", "role": "", "organisation": "", "position": "1"}
    assert client.post("/fr/admin/content/testimonials/new", data=quote).status_code == 302
    page = client.get("/en/speaker/").text
    assert "Keynote" in page and "Great." in page

    [stored_talk] = all_rows(app, models.Talk)
    client.post(f"/fr/admin/content/talks/{stored_talk.id}/delete")
    assert all_rows(app, models.Talk) == []
    assert audit_actions(app) == ["bio.update", "talk.create", "testimonial.create", "talk.delete"]


#: (path, form, field, message) for bad bio, talk and testimonial input.
BAD_BIO_INPUT = [
    (
        "/fr/admin/content/bio/fr",
        {"name": "", "short_bio": "s", "long_bio": "l"},
        "name",
        "Please give a name.",
    ),
    (
        "/fr/admin/content/bio/fr",
        {"name": "A", "short_bio": "", "long_bio": "l"},
        "short_bio",
        "Write a short bio.",
    ),
    (
        "/fr/admin/content/talks/new",
        {"title": "", "event": "E", "held_on": "2030-01-01", "lang": "fr"},
        "title",
        "A talk needs a title.",
    ),
    (
        "/fr/admin/content/talks/new",
        {"title": "T", "event": "E", "held_on": "", "lang": "fr"},
        "held_on",
        "Give the date of the talk.",
    ),
    (
        "/fr/admin/content/talks/new",
        {
            "title": "T",
            "event": "E",
            "held_on": "2030-01-01",
            "lang": "fr",
            "video_url": "javascript:alert(1)",
        },
        "video_url",
        "Enter a full web address",
    ),
    (
        "/fr/admin/content/testimonials/new",
        {"quote": "", "person": "P", "position": "0"},
        "quote",
        "The quote is empty.",
    ),
    (
        "/fr/admin/content/testimonials/new",
        {"quote": "Q", "person": "P", "position": "-1"},
        "position",
        "Between 0 and 999.",
    ),
]


def test_bad_bio_talk_or_testimonial_input_stores_nothing(app, client, auth):
    auth.login()
    for path, data, field, message in BAD_BIO_INPUT:
        response = client.post(path.replace("/fr/", "/en/"), data=data)
        assert response.status_code == 400, data
        error = response.text.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
        assert message in error, data
    for model in (models.Profile, models.Talk, models.Testimonial):
        assert all_rows(app, model) == []


def test_the_old_inquiry_desk_addresses_lead_to_the_new_ones(app, client, auth):
    # The inquiry desk moved to /admin/inquiries/ (tests/integration/test_admin_inquiries.py).
    auth.login()
    response = client.get("/en/admin/content/inquiries")
    assert response.status_code == 301 and response.location.endswith("/en/admin/inquiries/")


def test_the_new_article_form_starts_as_a_draft_in_the_screens_language(client, auth):
    auth.login()
    page = client.get("/en/admin/content/articles/new").text
    assert '<option selected value="en">' in page or '<option value="en" selected>' in page
    assert (
        'checked id="status-0"' in page
        or 'id="status-0" name="status" type="radio" value="draft" checked'
        in page.replace("checked ", "checked ")
    )


def test_a_scheduled_article_whose_time_came_is_edited_as_published(app, client, auth):
    from datetime import timedelta as delta

    from consult.content import service

    with app.app_context():
        article = models.Article(published_at=utcnow() + delta(hours=1))
        data = service.ArticleData(
            lang="fr", title="Plus tard", slug="plus-tard", summary="S", body_md="B", tags="",
            cover_image=None, cover_alt="", status="scheduled",
            publish_at=utcnow() + delta(hours=1), translation_id=None,
        )  # fmt: skip
        service.save_article(db.session, article, data, utcnow())
        article.published_at = utcnow() - delta(minutes=1)
        db.session.commit()
        article_id = article.id
    auth.login()
    page = client.get(f"/en/admin/content/articles/{article_id}").text
    assert '<input checked id="status-2" name="status" type="radio" value="published">' in page


def test_an_image_declaring_absurd_dimensions_is_refused_with_a_message(app, client, auth):
    from tests.unit.test_content_images import png_declaring

    auth.login()
    bomb = client.post(
        "/fr/admin/content/images",
        data={"image": (io.BytesIO(png_declaring(100_000, 100_000)), "bomb.png")},
        content_type="multipart/form-data",
    )
    assert bomb.status_code == 400
    assert "Cette image est trop grande" in bomb.text
    assert all_rows(app, models.Upload) == []
