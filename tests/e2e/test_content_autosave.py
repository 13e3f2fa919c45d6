"""The owner writes: her draft is kept every few seconds without publishing it, and leaving the
editor with unsaved changes asks her first."""

import json

import pytest
import sqlalchemy as sa

from consult.content.models import Article, ContentRevision
from consult.content.seed import seed
from consult.extensions import db, utcnow


@pytest.fixture
def demo_site(app):
    with app.app_context():
        seed(db.session, utcnow())
        db.session.commit()
        return db.session.scalar(
            sa.select(Article.id).where(Article.slug == "voix-de-marque-pas-un-pdf")
        )


def sign_in(page, owner):
    page.goto("/fr/login")
    page.locator("input[name=email]").fill(owner.email)
    page.locator("input[name=password]").fill(owner.password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/fr/admin/")


def test_her_draft_is_autosaved_never_published_and_leaving_warns_her(
    app, page, demo_site, make_user
):
    sign_in(page, make_user(role="owner"))
    page.goto(f"/fr/admin/content/articles/{demo_site}")
    body = page.locator("textarea[name=body]")
    body.fill(body.input_value() + "\n\nUn paragraphe en cours d’écriture.")

    status = page.locator(".autosave-status")
    status.filter(has_text="non publié").wait_for(timeout=15_000)
    with app.app_context():
        draft = db.session.scalar(
            sa.select(ContentRevision).where(
                ContentRevision.article_id == demo_site, ContentRevision.autosave.is_(True)
            )
        )
        assert "Un paragraphe en cours d’écriture." in json.loads(draft.fields)["body_md"]
        article = db.session.get(Article, demo_site)
        assert "en cours d’écriture" not in article.body_md

    # Leaving with changes she has not saved asks her first.
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]


def test_saving_does_not_warn_and_clears_the_draft(app, page, demo_site, make_user):
    sign_in(page, make_user(role="owner"))
    page.goto(f"/fr/admin/content/articles/{demo_site}")
    page.locator("input[name=title]").fill("Votre voix de marque, revue")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.wait_for_url(f"**/fr/admin/content/articles/{demo_site}")
    assert dialogs == []
    page.get_by_role("link", name="Versions et modifications").click()
    page.get_by_role("button", name="Montrer les différences").click()
    changed = page.locator("h3", has_text="Titre").locator("xpath=following-sibling::ol[1]")
    assert "Votre voix de marque, revue" in changed.locator(".diff-added").inner_text()
    assert (
        page.locator("h3", has_text="Étiquettes").count() == 0
    )  # what did not change is not shown
