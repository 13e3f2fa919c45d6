"""A visitor reads, switches language, invites her to speak; the owner sees the inquiry."""

from datetime import date, timedelta

import pytest

from consult.content.seed import seed
from consult.extensions import db, utcnow


@pytest.fixture
def demo_site(app):
    with app.app_context():
        seed(db.session, utcnow())
        db.session.commit()


def test_a_visitor_reads_switches_language_and_invites_her_to_speak(page, demo_site, make_user):
    owner = make_user(role="owner")

    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "fr"
    book = page.get_by_role("link", name="Réserver une séance stratégique")
    assert book.get_attribute("href") == "/fr/book/strategie-medias-sociaux?from=/"

    page.get_by_role("link", name="Votre voix de marque ne tient pas dans un PDF").click()
    page.wait_for_url("**/fr/articles/voix-de-marque-pas-un-pdf")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Votre voix de marque ne tient pas dans un PDF"
    )
    assert page.get_by_role("link", name="Réserver une séance stratégique").is_visible()

    # The header's language switch leads straight to the translation.
    page.get_by_role("navigation", name="Langue").get_by_role("link", name="English").click()
    page.wait_for_url("**/en/articles/brand-voice-not-a-pdf")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Your brand voice does not fit in a PDF"
    )
    assert page.get_by_role("link", name="Lire en français").is_visible()

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Invite her to speak"
    ).click()
    page.wait_for_url("**/en/speaker/invite")
    page.get_by_label("Your name").fill("Nadia Roy")
    page.get_by_label("Email").fill("nadia@example.org")
    page.get_by_label("Organisation").fill("Congrès des communicateurs")
    page.get_by_label("Event date").fill((date.today() + timedelta(days=90)).isoformat())
    page.get_by_label("The event is online").check()
    assert not page.get_by_label("City").is_visible()  # online: no city to give
    page.get_by_label("Expected audience").fill("300")
    page.get_by_label("Budget").select_option("2500-5000")
    page.get_by_label("Tell us about the event").fill("A keynote about brand voice.")
    page.get_by_role("button", name="Send the inquiry").click()
    page.wait_for_url("**/en/speaker/invite/thanks")
    assert page.get_by_role("status").inner_text().startswith("Your inquiry is on its way.")

    page.goto("/fr/login")
    page.locator("input[name=email]").fill(owner.email)
    page.locator("input[name=password]").fill(owner.password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/fr/admin/")
    # The inquiries are in the "Website" group of the desk's menu.
    page.locator("summary", has_text="Site").first.click()
    page.get_by_role("link", name="Demandes de conférence").click()
    page.wait_for_url("**/fr/admin/inquiries/")
    page.get_by_role("link", name="Nadia Roy").click()
    assert "Congrès des communicateurs" in page.locator("main").inner_text()
    assert "En ligne" in page.locator("main").inner_text()
    page.get_by_label("Votre réponse").fill("Bonjour Nadia,\nAvec plaisir.")
    page.get_by_role("button", name="Envoyer la réponse").click()
    page.get_by_role("heading", name="Demande de Nadia Roy").wait_for()
    page.goto("/fr/admin/inquiries/")
    assert "Répondue" in page.locator("main table").inner_text()
