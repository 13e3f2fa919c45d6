"""In the browser: a reader subscribes from the end of an article on a phone, confirms from
the email the worker delivered, receives an issue and leaves from its link; the pages at
390 and 1280 px, in French and English."""

import email
import re
from email import policy
from pathlib import Path

import sqlalchemy as sa

from consult.content.models import Article
from consult.extensions import db
from consult.newsletter import sending
from consult.newsletter.models import ACTIVE, UNSUBSCRIBED, Subscriber
from tests.e2e.outbox import delivered
from tests.integration.test_page_cache import publish

CONFIRM = re.compile(r"https?://\S+/newsletter/confirm/[\w-]+")
READER = "lea.lectrice@example.org"


def issue_received(app, to):
    """The newsletter issue the worker wrote for `to` (it carries List-Unsubscribe)."""
    for path in sorted((Path(app.instance_path) / "outbox").glob("*.eml")):
        with path.open("rb") as handle:
            message = email.message_from_binary_file(handle, policy=policy.default)
        if message["To"] == to and message["List-Unsubscribe"]:
            return message
    raise AssertionError(f"no issue was delivered to {to}")


def fits(page):
    """Nothing is wider than the screen."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def focus_shows(locator):
    """`locator` has the focus, and shows it with an outline."""
    return locator.evaluate(
        "el => el === document.activeElement && getComputedStyle(el).outlineStyle !== 'none'"
    )


def status_of(app, address=READER):
    with app.app_context():
        return db.session.scalar(sa.select(Subscriber.status).where(Subscriber.email == address))


def test_a_reader_subscribes_from_an_article_confirms_and_leaves_from_an_issue(
    app, page, live_server, deliver_mail, screenshot, accessible
):
    publish(app)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/fr/articles/voix")
    signup = page.locator(".newsletter-signup")
    signup.scroll_into_view_if_needed()
    field = signup.get_by_label("Votre adresse courriel")
    field.focus()
    assert focus_shows(field)
    field.fill(READER)
    assert signup.get_by_label("En français").is_checked()  # the page's language
    signup.get_by_label("Dans les deux langues").check()
    assert "vous désabonner en tout temps" in signup.inner_text()
    assert "hors du Québec" in signup.locator(".newsletter-notice").inner_text()
    assert fits(page)
    accessible(page)
    screenshot(page, "newsletter-article-390")
    button = signup.get_by_role("button", name="M’abonner")
    page.keyboard.press("Tab")  # from her language to the button (the honeypot is skipped)
    assert focus_shows(button)
    button.click()
    page.wait_for_url("**/fr/newsletter/thanks")
    assert "Consultez vos courriels" in page.locator("h1").inner_text()
    assert fits(page)
    screenshot(page, "newsletter-thanks-390")
    assert status_of(app) == "pending"

    # The worker delivers the link; it opens a page whose one button confirms.
    deliver_mail()
    message = delivered(app, "newsletter.confirm")
    assert message["To"] == READER
    link = CONFIRM.search(message.get_body(("plain",)).get_content()).group(0)
    assert link.startswith(live_server.url)
    page.goto(link)
    assert status_of(app) == "pending"  # following the link is not enough
    accessible(page)
    assert fits(page)
    screenshot(page, "newsletter-confirm-390")
    page.get_by_role("button", name="Confirmer mon abonnement").click()
    assert "Vous êtes abonné·e" in page.locator("h1").inner_text()
    assert status_of(app) == ACTIVE
    screenshot(page, "newsletter-confirmed-390")

    # Her preferences, from the confirmation page.
    page.get_by_role("link", name="Vos préférences d’infolettre").click()
    assert page.get_by_label("Dans les deux langues").is_checked()
    accessible(page)
    assert fits(page)
    screenshot(page, "newsletter-preferences-390")

    # An issue goes out; its unsubscribe link leads to one button.
    with app.app_context():
        article = db.session.scalar(sa.select(Article).where(Article.slug == "voix"))
        sending.issue_for_article(db.session, article, article.published_at)
        sending.send_due()
    issue = issue_received(app, READER)
    assert "One-Click" in issue["List-Unsubscribe-Post"]
    leave = re.search(r"<(https?://[^>]+)>", issue["List-Unsubscribe"]).group(1)
    assert leave.startswith(live_server.url)
    page.goto(leave)
    accessible(page)
    screenshot(page, "newsletter-unsubscribe-390")
    page.get_by_role("button", name="Me désabonner").click()
    assert "Vous êtes désabonné·e" in page.locator("h1").inner_text()
    assert status_of(app) == UNSUBSCRIBED
    screenshot(page, "newsletter-unsubscribed-390")

    # The same pages on a laptop, and in English.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/fr/articles/voix")
    page.locator(".newsletter-signup").scroll_into_view_if_needed()
    assert fits(page)
    screenshot(page, "newsletter-article-1280")
    page.goto("/en/newsletter")
    assert page.get_by_label("In English").is_checked()
    assert "By subscribing" in page.locator(".newsletter-signup").inner_text()
    accessible(page)
    assert fits(page)
    screenshot(page, "newsletter-signup-en-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/en/")
    page.locator(".newsletter-signup").scroll_into_view_if_needed()
    assert fits(page)
    screenshot(page, "newsletter-home-en-390")


def test_a_wrong_address_gets_a_message_in_the_pages_language(page, screenshot, accessible):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/fr/newsletter")
    page.get_by_label("Votre adresse courriel").fill("pas une adresse")
    page.get_by_role("button", name="M’abonner").click()
    assert "Cette adresse courriel ne semble pas valide." in page.locator(".error").inner_text()
    assert page.get_by_label("Votre adresse courriel").get_attribute("aria-invalid") == "true"
    accessible(page)
    assert fits(page)
    screenshot(page, "newsletter-error-390")
