"""What search engines and social sites read: JSON-LD on the speaker, offer, home and article
pages, and OpenGraph and Twitter cards with a default image on every public page."""

import io
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from consult.content import service
from consult.content.models import Article, Talk
from consult.extensions import db, utcnow

LD_BLOCK = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


@pytest.fixture
def demo(runner):
    result = runner.invoke(args=["consult", "seed-demo"])
    assert result.exit_code == 0, result.output


def structured_data(page):
    """Every JSON-LD block of a page, parsed (a block that does not parse fails the test)."""
    return [json.loads(block) for block in LD_BLOCK.findall(page)]


def of_type(blocks, kind):
    return [block for block in blocks if block["@type"] == kind]


def meta(page, attribute, name):
    found = re.findall(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', page)
    return found


def test_the_speaker_page_carries_her_person_and_an_event_per_upcoming_talk(client, demo):
    blocks = structured_data(client.get("/fr/speaker/").text)
    assert all(block["@context"] == "https://schema.org" for block in blocks)
    (person,) = of_type(blocks, "Person")
    assert person["name"] == "Camille Lavoie"
    assert person["jobTitle"].startswith("Stratégie de médias sociaux")
    assert person["image"].startswith("http://localhost/uploads/")
    assert person["url"] == "http://localhost/fr/speaker/"
    assert person["sameAs"] == [
        "https://www.linkedin.com/in/example-consultant",
        "https://podcast.example.org/invites",
    ]
    (event,) = of_type(blocks, "Event")  # the two past talks are not events to attend
    assert event["name"] == "Votre voix en ligne"
    assert event["startDate"] == (utcnow().date() + timedelta(days=30)).isoformat()
    assert event["location"]["name"] == "Rendez-vous des OBNL"
    assert event["location"]["address"]["addressLocality"] == "Québec"
    assert event["organizer"] == {"@type": "Organization", "name": "Rendez-vous des OBNL"}
    assert event["performer"]["name"] == "Camille Lavoie"


def test_each_offer_page_carries_a_service_with_its_offer(client, demo):
    (service_data,) = structured_data(client.get("/en/book/social-media-strategy").text)
    assert service_data["@type"] == "Service"
    assert service_data["name"] == "Outsource your social media?"
    assert service_data["url"] == "http://localhost/en/book/social-media-strategy"
    assert service_data["provider"]["@type"] == "ProfessionalService"
    offer = service_data["offers"]
    assert offer["@type"] == "Offer"
    assert offer["price"] == "250.00" and offer["priceCurrency"] == "CAD"
    assert offer["priceSpecification"]["valueAddedTaxIncluded"] is False
    assert "60-minute one-to-one session" in offer["description"]  # what is included
    assert offer["eligibleDuration"] == {
        "@type": "QuantitativeValue",
        "value": 60,
        "unitCode": "MIN",
    }
    (french,) = structured_data(client.get("/fr/book/diagnostic").text)
    assert french["offers"]["price"] == "150.00"
    assert french["offers"]["eligibleDuration"]["value"] == 30
    assert "séance individuelle de 30 minutes" in french["offers"]["description"]
    listing = structured_data(client.get("/fr/book/").text)
    assert len(of_type(listing, "Service")) == 3


def test_the_home_page_carries_the_website_and_the_owner(client, demo):
    blocks = structured_data(client.get("/en/").text)
    (website,) = of_type(blocks, "WebSite")
    assert website["name"] == "Consult" and website["url"] == "http://localhost/en/"
    assert website["potentialAction"]["target"]["urlTemplate"] == (
        "http://localhost/en/search?q={search_term}"
    )
    (person,) = of_type(blocks, "Person")
    assert person["name"] == "Camille Lavoie" and person["url"] == "http://localhost/en/speaker/"
    (business,) = of_type(blocks, "ProfessionalService")
    assert business["address"]["addressLocality"] == "Montréal (Québec)"
    assert business["founder"]["name"] == "Camille Lavoie"


def test_an_article_shares_its_drawn_card_its_author_and_the_other_language(app, client, demo):
    page = client.get("/en/articles/brand-voice-not-a-pdf").text
    (posting,) = structured_data(page)
    assert posting["@type"] == "BlogPosting"
    assert posting["author"]["url"] == "http://localhost/en/speaker/"
    assert posting["image"].startswith("http://localhost/uploads/")
    assert posting["image"].endswith(".png")
    assert posting["workTranslation"]["inLanguage"] == "fr"
    assert meta(page, "property", "og:image") == [posting["image"]]
    assert meta(page, "property", "og:locale") == ["en_CA"]
    assert meta(page, "property", "og:locale:alternate") == ["fr_CA"]
    assert meta(page, "property", "article:author") == ["http://localhost/en/speaker/"]
    # The card was drawn when the article was saved: a 1200 x 630 PNG with its own bytes.
    with client.get(posting["image"].removeprefix("http://localhost")) as card:
        assert card.status_code == 200
        image = Image.open(io.BytesIO(card.data))
        assert image.size == (1200, 630)
    with app.app_context():
        cards = {a.social_card for a in db.session.scalars(sa.select(Article))}
    assert None not in cards and len(cards) == 6  # one per title


def test_a_new_title_draws_a_new_card_and_a_cover_replaces_it(app):
    with app.app_context():
        now = utcnow()
        cards = service.CardMaker(
            folder=service.uploads_folder(app.instance_path),
            site_name="Consult",
            font_path=service.card_font(app.static_folder),
        )
        data = service.ArticleData(
            lang="fr", title="Premier titre", slug="carte", summary="Résumé.", body_md="Texte.",
            tags="", cover_image=None, cover_alt="", status="published", publish_at=None,
            translation_id=None,
        )  # fmt: skip
        article = service.save_article(db.session, Article(), data, now, cards=cards)
        first = article.social_card
        data.title = "Un autre titre"
        service.save_article(db.session, article, data, now, cards=cards)
        assert article.social_card not in (None, first)
        data.cover_image, data.cover_alt = "0" * 24 + ".png", "Une photo"
        service.save_article(db.session, article, data, now, cards=cards)
        assert article.social_card is None


def test_an_article_without_a_card_shares_the_default_image(client, app):
    with app.app_context():
        data = service.ArticleData(
            lang="fr", title="Sans carte", slug="sans-carte", summary="Résumé.", body_md="Texte.",
            tags="", cover_image=None, cover_alt="", status="published", publish_at=None,
            translation_id=None,
        )  # fmt: skip
        service.save_article(db.session, Article(), data, utcnow() - timedelta(minutes=1))
        db.session.commit()
    page = client.get("/fr/articles/sans-carte").text
    assert meta(page, "property", "og:image") == ["http://localhost/static/img/social-card.png"]


@pytest.mark.parametrize(
    "path", ["/", "/en/articles/", "/fr/speaker/", "/en/speaker/invite", "/fr/book/"]
)
def test_every_public_page_has_open_graph_and_twitter_cards_with_a_default_image(
    client, demo, path
):
    response = client.get(path)
    page = response.text
    for name in ("og:title", "og:description", "og:url", "og:image", "og:site_name"):
        (value,) = meta(page, "property", name)
        assert value, (path, name)
    assert meta(page, "property", "og:url") == [f"http://localhost{path}"]
    assert meta(page, "property", "og:image")[0].startswith("http://localhost/")
    assert meta(page, "name", "twitter:card") == ["summary_large_image"]
    assert meta(page, "name", "twitter:image")[0].startswith("http://localhost/")
    (image,) = meta(page, "property", "og:image")
    with client.get(image.removeprefix("http://localhost")) as served:
        assert served.status_code == 200


def test_the_default_image_is_a_1200_by_630_picture(client):
    with client.get("/static/img/social-card.png") as response:
        assert Image.open(io.BytesIO(response.data)).size == (1200, 630)


def test_json_ld_cannot_be_closed_by_what_the_owner_writes(app, client):
    hostile = "</script><script>alert(1)</script> & <!--"
    with app.app_context():
        db.session.add(Talk(title=hostile, event="Événement", held_on=utcnow().date(), lang="fr"))
        db.session.commit()
    page = client.get("/fr/speaker/").text
    blocks = LD_BLOCK.findall(page)
    assert all("</script" not in block and "<!--" not in block for block in blocks)
    (event,) = of_type([json.loads(block) for block in blocks], "Event")
    assert event["name"] == hostile  # escaped for the page, exact for the reader
    assert "<script>alert(1)" not in page


def test_json_ld_blocks_need_no_weaker_content_security_policy(client, demo):
    response = client.get("/fr/speaker/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    # Data blocks only: no inline script a browser would run (and the CSP would refuse).
    scripts = re.findall(r"<script([^>]*)>", response.text)
    for attributes in scripts:
        assert 'type="application/ld+json"' in attributes or "src=" in attributes
