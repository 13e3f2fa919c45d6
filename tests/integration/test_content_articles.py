"""Public articles: visibility in time, translations, SEO, lists, search, feeds, sitemap."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa

from consult.booking.models import Offer
from consult.content import service
from consult.content.models import DRAFT, PUBLISHED, SCHEDULED, Article
from consult.extensions import db, utcnow

ATOM = {"a": "http://www.w3.org/2005/Atom"}
SITEMAP = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}


@pytest.fixture
def make_article(app):
    """make_article(lang=..., slug=..., status=..., published_at=..., translation_of=...)."""

    def build(
        slug="an-article",
        lang="fr",
        status=PUBLISHED,
        published_at=None,
        title=None,
        body="Some **text** about social media.",
        tags="strategy",
        translation_of=None,
    ):
        with app.app_context():
            now = utcnow()
            article = Article(published_at=published_at or now - timedelta(days=1))
            data = service.ArticleData(
                lang=lang,
                title=title or f"Title of {slug}",
                slug=slug,
                summary=f"Summary of {slug}",
                body_md=body,
                tags=tags,
                cover_image=None,
                cover_alt="",
                status=PUBLISHED if status == PUBLISHED else DRAFT,
                publish_at=None,
                translation_id=translation_of,
            )
            service.save_article(db.session, article, data, now)
            if status == SCHEDULED:
                article.status = SCHEDULED
                article.published_at = published_at
            db.session.commit()
            return article.id

    return build


def article_urls_in_feed(client, lang):
    response = client.get(f"/{lang}/feed.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ElementTree.fromstring(response.data)
    return {node.get("href") for node in root.findall("a:entry/a:link", ATOM)}


def article_urls_in_sitemap(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ElementTree.fromstring(response.data)
    return {
        node.text
        for node in root.findall("s:url/s:loc", SITEMAP)
        if "/articles/" in node.text and not node.text.endswith("/articles/")
    }


def test_drafts_and_future_articles_are_not_found_anywhere_public(client, make_article):
    make_article("visible", tags="crise")
    make_article("brouillon", status=DRAFT, tags="crise")
    make_article("plus-tard", status=SCHEDULED, published_at=utcnow() + timedelta(hours=2))

    assert client.get("/fr/articles/visible").status_code == 200
    for slug in ("brouillon", "plus-tard"):
        assert client.get(f"/fr/articles/{slug}").status_code == 404
        for page in ("/fr/articles/", "/fr/articles/tag/crise", "/fr/search?q=Title", "/"):
            assert f"/fr/articles/{slug}" not in client.get(page).text, page
    assert article_urls_in_feed(client, "fr") == {"http://localhost/fr/articles/visible"}
    assert article_urls_in_sitemap(client) == {"http://localhost/fr/articles/visible"}


def test_a_scheduled_article_appears_at_its_time_without_any_job(app, client, make_article):
    at = utcnow() + timedelta(hours=1)
    article_id = make_article("demain", status=SCHEDULED, published_at=at)
    assert client.get("/fr/articles/demain").status_code == 404
    with app.app_context():
        assert (
            service.find_visible_article(db.session, "fr", "demain", at - timedelta(seconds=1))
            is None
        )
        assert service.find_visible_article(db.session, "fr", "demain", at).id == article_id
        # Time passes: nothing runs, only the clock moves (here, the article's time).
        db.session.get(Article, article_id).published_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.get("/fr/articles/demain").status_code == 200
    assert article_urls_in_feed(client, "fr") == {"http://localhost/fr/articles/demain"}


def test_an_unpublished_article_disappears(app, client, make_article):
    article_id = make_article("retire")
    with app.app_context():
        service.unpublish(db.session.get(Article, article_id), utcnow())
        db.session.commit()
    assert client.get("/fr/articles/retire").status_code == 404
    assert article_urls_in_sitemap(client) == set()


def test_slugs_are_unique_per_language_only(app, make_article):
    make_article("meme-adresse", lang="fr")
    make_article("meme-adresse", lang="en")
    with app.app_context(), pytest.raises(sa.exc.IntegrityError):
        db.session.add(
            Article(lang="fr", slug="meme-adresse", title="x", status=DRAFT, reading_minutes=1)
        )
        db.session.commit()


def test_translations_link_to_each_other_with_hreflang(client, make_article):
    fr_id = make_article("sous-traiter", lang="fr")
    make_article("outsourcing", lang="en", translation_of=fr_id)

    fr_page = client.get("/fr/articles/sous-traiter").text
    assert (
        '<a href="/en/articles/outsourcing" hreflang="en" lang="en">Read in English</a>' in fr_page
    )
    assert (
        '<link rel="alternate" hreflang="en" href="http://localhost/en/articles/outsourcing">'
        in fr_page
    )
    en_page = client.get("/en/articles/outsourcing").text
    assert "Lire en français" in en_page
    # The header's language switch leads to the translation, not to a missing page.
    assert '<a href="/fr/articles/sous-traiter" hreflang="fr" lang="fr">Français</a>' in en_page

    urls = set()
    root = ElementTree.fromstring(client.get("/sitemap.xml").data)
    for node in root.findall("s:url", SITEMAP):
        if node.find("s:loc", SITEMAP).text.endswith("/fr/articles/sous-traiter"):
            urls = {link.get("href") for link in node.findall("x:link", SITEMAP)}
    assert urls == {
        "http://localhost/fr/articles/sous-traiter",
        "http://localhost/en/articles/outsourcing",
    }
    x_default = [
        link.get("href")
        for node in root.findall("s:url", SITEMAP)
        for link in node.findall("x:link", SITEMAP)
        if node.find("s:loc", SITEMAP).text.endswith("/en/articles/outsourcing")
        and link.get("hreflang") == "x-default"
    ]
    assert x_default == ["http://localhost/fr/articles/sous-traiter"]


def test_a_hidden_translation_is_not_offered(client, make_article):
    fr_id = make_article("publie", lang="fr")
    make_article("not-yet", lang="en", status=DRAFT, translation_of=fr_id)
    page = client.get("/fr/articles/publie").text
    assert "Read in English" not in page
    assert "/en/articles/not-yet" not in page
    assert 'href="/en/articles/" hreflang="en"' in page


def test_article_page_carries_seo_tags_and_json_ld(client, make_article):
    make_article("seo", title="Voice & <tone>")
    page = client.get("/fr/articles/seo").text
    assert "<title>Voice &amp; &lt;tone&gt; · Consult</title>" in page
    assert '<meta name="description" content="Summary of seo">' in page
    assert '<link rel="canonical" href="http://localhost/fr/articles/seo">' in page
    assert '<meta property="og:title" content="Voice &amp; &lt;tone&gt;">' in page
    # No cover: the card drawn for it, or the site's default picture, is still shared large.
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    start = page.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    data = __import__("json").loads(page[start : page.index("</script>", start)])
    assert data["@type"] == "BlogPosting"
    assert data["headline"] == "Voice & <tone>"
    assert data["url"] == "http://localhost/fr/articles/seo"
    assert "<tone>" not in page[start : page.index("</script>", start)]


def test_every_page_advertises_both_feeds(client):
    page = client.get("/en/speaker/").text
    for lang in ("fr", "en"):
        assert f'<link rel="alternate" type="application/atom+xml" hreflang="{lang}"' in page
        # Absolute: feed readers given the page's head do not resolve it themselves.
        assert f'href="http://localhost/{lang}/feed.xml"' in page


def test_article_ends_with_a_call_to_book_the_flagship_session(app, client, make_article):
    make_article("cta")
    with app.app_context():
        db.session.add(
            Offer(
                slug="strategie-medias-sociaux",
                title_fr="Sous-traiter vos médias sociaux?",
                title_en="Outsource your social media?",
                duration_minutes=60,
                price_cents=25000,
                flagship=True,
            )
        )
        db.session.commit()
    page = client.get("/fr/articles/cta").text
    assert 'href="/fr/book/strategie-medias-sociaux?from=/fr/articles/cta"' in page
    assert "Sous-traiter vos médias sociaux?" in page


def test_list_is_newest_first_and_paginated(client, make_article):
    now = utcnow()
    for number in range(12):
        make_article(f"article-{number:02d}", published_at=now - timedelta(days=number + 1))
    first = client.get("/fr/articles/").text
    assert first.index("/fr/articles/article-00") < first.index("/fr/articles/article-09")
    assert "/fr/articles/article-10" not in first
    second = client.get("/fr/articles/?page=2").text
    assert "/fr/articles/article-11" in second and "/fr/articles/article-00" not in second
    assert client.get("/fr/articles/?page=9").status_code == 404


def test_languages_have_their_own_lists(client, make_article):
    make_article("francais", lang="fr")
    make_article("english", lang="en")
    assert "/en/articles/english" not in client.get("/fr/articles/").text
    assert "/fr/articles/francais" not in client.get("/en/articles/").text
    assert client.get("/en/articles/francais").status_code == 404


def test_tag_page_lists_only_that_tag(client, make_article):
    make_article("crise-1", tags="crise, voix")
    make_article("voix-seule", tags="voix")
    page = client.get("/fr/articles/tag/crise").text
    assert "/fr/articles/crise-1" in page and "/fr/articles/voix-seule" not in page
    assert client.get("/fr/articles/tag/inconnu").status_code == 404
    assert '<a href="/en/articles/" hreflang="en" lang="en">English</a>' in page


def test_search_finds_words_in_titles_and_bodies_without_accents(client, make_article):
    make_article("a", title="La stratégie éditoriale", body="Rien d’autre.")
    make_article("b", title="Autre chose", body="Une crise bien gérée.")
    make_article("c", title="Sans rapport", body="Du tout.")
    assert "/fr/articles/a" in client.get("/fr/search?q=strategie").text
    found = client.get("/fr/search?q=crise").text
    assert "/fr/articles/b" in found and "/fr/articles/a" not in found
    # Query syntax is not interpreted: no error, no surprise.
    for query in ['"', "crise OR", "NEAR(", "*", "a AND NOT b", "'; DROP TABLE articles; --"]:
        assert client.get("/fr/search", query_string={"q": query}).status_code == 200


def test_article_pages_say_when_they_changed_and_answer_304(client, make_article):
    make_article("cache")
    first = client.get("/fr/articles/cache")
    assert first.last_modified is not None
    again = client.get(
        "/fr/articles/cache", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert again.status_code == 304


def test_robots_points_to_the_sitemap_and_keeps_crawlers_out_of_the_admin(client):
    text = client.get("/robots.txt").text
    assert "Sitemap: http://localhost/sitemap.xml" in text
    assert "Disallow: /fr/admin/" in text


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/en/",
        "/fr/articles/",
        "/fr/articles/article-00",
        "/fr/articles/tag/strategy",
        "/fr/search?q=social",
        "/fr/speaker/",
        "/fr/feed.xml",
        "/sitemap.xml",
    ],
)
def test_public_pages_run_a_small_fixed_number_of_queries(app, client, make_article, path):
    def queries_for(path):
        counter = QueryCounter()
        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", counter)
            try:
                assert client.get(path).status_code == 200
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", counter)
        return counter.count

    make_article("article-00")
    few = queries_for(path)
    for number in range(1, 8):
        make_article(f"article-{number:02d}")
    assert queries_for(path) == few
    assert few <= 6


def test_the_search_index_follows_edits(app, client, make_article):
    article_id = make_article("renomme", title="Ancien titre")
    with app.app_context():
        article = db.session.get(Article, article_id)
        article.title = "Nouveau sujet"
        db.session.commit()
    assert "/fr/articles/renomme" in client.get("/fr/search?q=nouveau").text
    assert "/fr/articles/renomme" not in client.get("/fr/search?q=ancien").text


def test_search_falls_back_to_like_without_a_full_text_index(app, make_article):
    make_article("repli", title="Une crise évitée")
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the fallback is exercised on SQLite by hiding its FTS5 table")
        db.session.execute(sa.text("DROP TABLE articles_fts"))
        try:
            query = service.search_articles(db.session, "fr", "CRISE", utcnow())
            assert [a.slug for a in db.session.scalars(query)] == ["repli"]
        finally:
            db.session.rollback()
        assert db.session.execute(sa.text("SELECT count(*) FROM articles_fts")).scalar() == 1
