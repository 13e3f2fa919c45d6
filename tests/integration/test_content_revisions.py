"""Writing like Ghost: every save keeps a revision, two revisions compare, one restores exactly;
autosaves keep her draft and never publish it; uploads get narrower copies without metadata."""

import io
import json

import sqlalchemy as sa
from PIL import Image

from consult.content import models, service
from consult.extensions import db

from .test_content_admin import article_form


def rows(app, model, **where):
    with app.app_context():
        query = sa.select(model).filter_by(**where).order_by(model.id)
        return db.session.scalars(query).all()


def new_article(client, **changes):
    response = client.post("/fr/admin/content/articles/new", data=article_form(**changes))
    assert response.status_code == 302, response.text
    return int(response.location.rstrip("/").rsplit("/", 1)[1])


def edit(client, article_id, **changes):
    response = client.post(f"/fr/admin/content/articles/{article_id}", data=article_form(**changes))
    assert response.status_code == 302, response.text


def public_fields(app, article_id):
    with app.app_context():
        return service.revision_fields(db.session.get(models.Article, article_id))


# Revisions -------------------------------------------------------------------------------


def test_every_save_of_an_article_keeps_a_revision(app, client, auth):
    auth.login()
    article_id = new_article(client)
    edit(client, article_id, body="## Pourquoi\n\nParce que, vraiment.")
    edit(client, article_id, body="## Pourquoi\n\nParce que, vraiment.")  # nothing changed
    edit(client, article_id, title="Une voix bien à soi", tags="voix")
    kept = rows(app, models.ContentRevision, article_id=article_id)
    assert len(kept) == 3
    assert [json.loads(r.fields)["title"] for r in kept] == [
        "Une voix à soi",
        "Une voix à soi",
        "Une voix bien à soi",
    ]
    assert json.loads(kept[-1].fields) == public_fields(app, article_id)
    assert not any(r.autosave for r in kept)


def test_a_restored_revision_is_exactly_what_it_was(app, client, auth):
    auth.login()
    tricky = "## Titre\n\n  espaces en tête\ttab\n\n> citation  \n\n* un\n* deux\n\nfin sans saut"
    article_id = new_article(
        client, body=tricky, summary="  Résumé « exact »  ", tags="Crise, voix de marque"
    )
    original = public_fields(app, article_id)
    with app.app_context():
        html_before = db.session.get(models.Article, article_id).body_html
    edit(client, article_id, title="Tout autre", body="Autre chose.", tags="autre", slug="autre")
    first = rows(app, models.ContentRevision, article_id=article_id)[0]

    page = client.get(f"/fr/admin/content/articles/{article_id}/revisions")
    assert page.status_code == 200
    assert "Restaurer cette version" in page.text
    response = client.post(
        f"/fr/admin/content/articles/{article_id}/revisions/{first.id}/restore",
        data={"csrf_token": ""},
    )
    assert response.status_code == 302
    assert public_fields(app, article_id) == original == json.loads(first.fields)
    with app.app_context():
        article = db.session.get(models.Article, article_id)
        assert article.body_md == tricky and article.body_html == html_before
        assert article.slug == original["slug"]
        assert article.status == "draft"  # restoring the words does not publish
    # Restoring is itself a save: the history keeps all three.
    assert len(rows(app, models.ContentRevision, article_id=article_id)) == 3


def test_two_revisions_show_their_differences_line_by_line(app, client, auth):
    auth.login()
    article_id = new_article(client, body="Première ligne.\nDeuxième ligne.")
    edit(client, article_id, body="Première ligne.\nLigne changée.")
    older, newer = rows(app, models.ContentRevision, article_id=article_id)
    with app.app_context():
        changes = dict(service.revision_diff(older, newer))
    assert set(changes) == {"body_md"}
    assert changes["body_md"] == [
        (" ", "Première ligne."),
        ("-", "Deuxième ligne."),
        ("+", "Ligne changée."),
    ]
    page = client.get(
        f"/fr/admin/content/articles/{article_id}/revisions?from={older.id}&to={newer.id}"
    ).text
    assert '<li class="diff-removed"><del>' in page and "Deuxième ligne." in page
    assert '<li class="diff-added"><ins>' in page and "Ligne changée." in page


def test_a_revision_of_another_article_cannot_be_restored_here(app, client, auth):
    auth.login()
    first = new_article(client)
    second = new_article(client, title="Un autre", slug="un-autre")
    foreign = rows(app, models.ContentRevision, article_id=second)[0]
    response = client.post(
        f"/fr/admin/content/articles/{first}/revisions/{foreign.id}/restore", data={}
    )
    assert response.status_code == 404
    assert public_fields(app, first)["title"] == "Une voix à soi"
    # Nor an article's revision as a bio's.
    assert client.post(f"/fr/admin/content/bio/revisions/{foreign.id}/restore").status_code == 404


def bio_form(**changes):
    data = {
        "name": "Camille Lavoie",
        "headline": "Stratège",
        "short_bio": "Courte bio.",
        "long_bio": "## Parcours\n\nLongue bio.",
        "topics": "Voix\nCrise",
        "photo": "",
        "same_as": "https://example.org/moi",
    }
    data.update(changes)
    return data


def test_every_save_of_the_bio_keeps_a_revision_and_one_restores_exactly(app, client, auth):
    auth.login()
    assert client.post("/fr/admin/content/bio/fr", data=bio_form()).status_code == 302
    assert (
        client.post(
            "/fr/admin/content/bio/fr",
            data=bio_form(short_bio="Tout autre.", same_as="https://example.org/autre"),
        ).status_code
        == 302
    )
    [profile] = rows(app, models.Profile)
    first, second = rows(app, models.ContentRevision, profile_id=profile.id)
    assert json.loads(second.fields)["short_bio"] == "Tout autre."
    assert client.get("/fr/admin/content/bio/fr/revisions").status_code == 200
    response = client.post(
        f"/fr/admin/content/bio/revisions/{first.id}/restore", data={"csrf_token": ""}
    )
    assert response.location.endswith("/admin/content/bio/fr")
    [profile] = rows(app, models.Profile)
    assert profile.short_bio == "Courte bio." and profile.same_as == "https://example.org/moi"
    with app.app_context():
        assert service.revision_fields(db.session.get(models.Profile, profile.id)) == json.loads(
            first.fields
        )


# Autosave --------------------------------------------------------------------------------


def test_an_autosave_keeps_her_draft_and_never_publishes_it(app, client, auth):
    auth.login()
    article_id = new_article(client, status="published")
    published = public_fields(app, article_id)
    response = client.post(
        f"/fr/admin/content/articles/{article_id}/autosave",
        data=article_form(title="Brouillon en cours", body="À moitié écrit"),
    )
    assert response.status_code == 200
    assert "non publié" in response.get_json()["message"]
    # The public article is untouched; the draft waits in its own revision.
    assert public_fields(app, article_id) == published
    with app.app_context():
        slug = db.session.get(models.Article, article_id).slug
    public = client.get(f"/fr/articles/{slug}").text
    assert "Brouillon en cours" not in public and "Une voix à soi" in public
    [draft] = rows(app, models.ContentRevision, article_id=article_id, autosave=True)
    assert json.loads(draft.fields)["body_md"] == "À moitié écrit"
    # A second autosave replaces the first: one draft per article.
    client.post(
        f"/fr/admin/content/articles/{article_id}/autosave",
        data=article_form(title="Brouillon plus long", body="Presque écrit"),
    )
    [draft] = rows(app, models.ContentRevision, article_id=article_id, autosave=True)
    assert json.loads(draft.fields)["title"] == "Brouillon plus long"
    # The editor offers it back, and puts it in the form when she asks.
    editor = client.get(f"/fr/admin/content/articles/{article_id}").text
    assert "?draft=autosave" in editor
    loaded = client.get(f"/fr/admin/content/articles/{article_id}?draft=autosave").text
    assert 'value="Brouillon plus long"' in loaded and "Presque écrit" in loaded
    # Saving for real clears the draft; autosaves are not in the history.
    edit(client, article_id, title="Brouillon plus long", status="published")
    assert rows(app, models.ContentRevision, article_id=article_id, autosave=True) == []
    assert "?draft=autosave" not in client.get(f"/fr/admin/content/articles/{article_id}").text


def test_the_bio_autosaves_without_changing_the_public_bio(app, client, auth):
    auth.login()
    client.post("/fr/admin/content/bio/fr", data=bio_form())
    response = client.post("/fr/admin/content/bio/fr/autosave", data=bio_form(short_bio="En cours"))
    assert response.status_code == 200
    [profile] = rows(app, models.Profile)
    assert profile.short_bio == "Courte bio."
    assert "En cours" not in client.get("/fr/speaker/").text


def test_only_the_owner_can_autosave(app, client, auth):
    auth.login()
    article_id = new_article(client)
    auth.logout()
    response = client.post(f"/fr/admin/content/articles/{article_id}/autosave", data={})
    assert response.status_code in (302, 401, 403)
    assert rows(app, models.ContentRevision, autosave=True) == []


def test_the_editor_carries_the_autosave_address_and_the_unsaved_changes_warning(client, auth):
    auth.login()
    article_id = new_article(client)
    page = client.get(f"/fr/admin/content/articles/{article_id}").text
    assert f'data-autosave="/fr/admin/content/articles/{article_id}/autosave"' in page
    assert "data-warn-unsaved=" in page
    assert "js/content.js" in page


# Responsive images -----------------------------------------------------------------------


def photo_with_exif(width, height):
    image = Image.new("RGB", (width, height), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0110] = "Model with a serial 12345"  # Model
    exif[0x0131] = "Editor 1.0"  # Software
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=80)
    return out.getvalue()


def test_an_upload_gets_narrower_copies_without_metadata_and_pages_use_them(app, client, auth):
    auth.login()
    response = client.post(
        "/fr/admin/content/images",
        data={"image": (io.BytesIO(photo_with_exif(2000, 1000)), "photo.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    [upload] = rows(app, models.Upload)
    folder = service.uploads_folder(app.instance_path)
    for width in (480, 960, 1600):
        name = service.variant_name(upload.filename, width)
        with client.get(f"/uploads/{name}") as served:
            assert served.status_code == 200
            image = Image.open(io.BytesIO(served.data))
            assert image.size == (width, width // 2)
            assert not image.getexif() and "exif" not in image.info
    with Image.open(f"{folder}/{upload.filename}") as original:
        assert original.size == (2000, 1000) and not original.getexif()

    article_id = new_article(client, cover_image=upload.filename, cover_alt="Une photo")
    client.post(f"/fr/admin/content/articles/{article_id}/publish", data={})
    with app.app_context():
        slug = db.session.get(models.Article, article_id).slug
    page = client.get(f"/fr/articles/{slug}").text
    stem = upload.filename.split(".")[0]
    assert f"/uploads/{stem}-480.jpg 480w" in page and f"/uploads/{stem}-1600.jpg 1600w" in page
    assert f"/uploads/{upload.filename} 2000w" in page
    assert 'width="2000" height="1000"' in page and 'sizes="' in page
    cover = page[page.index('class="article-cover"') :].split(">", 1)[0]
    assert "loading=" not in cover  # the cover is at the top: not lazy
    listing = client.get("/fr/articles/").text
    card = listing[listing.index('class="article-card-cover"') :].split(">", 1)[0]
    assert 'loading="lazy"' in card and "srcset=" in card and 'width="2000"' in card


def test_a_small_upload_gets_no_larger_copies(app, client, auth):
    auth.login()
    client.post(
        "/fr/admin/content/images",
        data={"image": (io.BytesIO(photo_with_exif(600, 400)), "small.jpg")},
        content_type="multipart/form-data",
    )
    [upload] = rows(app, models.Upload)
    folder = service.uploads_folder(app.instance_path)
    with app.app_context():
        picture = service.picture(folder, upload.filename)
    assert picture.sources == (
        (480, service.variant_name(upload.filename, 480)),
        (600, upload.filename),
    )
    assert client.get(f"/uploads/{service.variant_name(upload.filename, 960)}").status_code == 404
