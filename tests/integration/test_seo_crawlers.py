"""What crawlers read: the sitemap (valid, with the booking pages and x-default), robots.txt
read first-match, noindex on private pages, absolute feed links, icons, slug tag URLs."""

import re
import urllib.robotparser
from pathlib import Path
from xml.etree import ElementTree

import pytest
from lxml import etree

from consult.content import service
from consult.content.models import PUBLISHED, Article
from consult.extensions import db, utcnow
from tests.factories import make_booking, make_held_booking, make_offer, make_payment, sign_in

SCHEMAS = Path(__file__).parents[1] / "schemas"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}


@pytest.fixture
def demo(runner):
    result = runner.invoke(args=["consult", "seed-demo"])
    assert result.exit_code == 0, result.output


def sitemap_entries(client):
    root = ElementTree.fromstring(client.get("/sitemap.xml").data)
    return {
        node.find("s:loc", NS).text: {
            link.get("hreflang"): link.get("href") for link in node.findall("x:link", NS)
        }
        for node in root.findall("s:url", NS)
    }


# Sitemap ---------------------------------------------------------------------------------


def test_the_sitemap_validates_against_the_sitemaps_schema_and_the_xhtml_link_extension(
    client, demo
):
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "sitemap-with-xhtml.xsd")))
    document = etree.fromstring(client.get("/sitemap.xml").data)
    assert schema.validate(document), schema.error_log


def test_the_schema_used_really_refuses_a_broken_sitemap():
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "sitemap-with-xhtml.xsd")))
    broken = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        b'xmlns:xhtml="http://www.w3.org/1999/xhtml"><url><loc>http://localhost/fr/</loc>'
        b'<xhtml:link rel="alternate" href="http://localhost/en/"/></url></urlset>'
    )
    assert not schema.validate(etree.fromstring(broken))  # no hreflang


def test_the_sitemap_lists_the_booking_pages_in_both_languages_with_x_default(client, demo):
    entries = sitemap_entries(client)
    offer = entries["http://localhost/en/book/social-media-strategy"]
    assert offer == {
        "fr": "http://localhost/fr/book/strategie-medias-sociaux",
        "en": "http://localhost/en/book/social-media-strategy",
        "x-default": "http://localhost/fr/book/strategie-medias-sociaux",
    }
    assert "http://localhost/fr/book/strategie-medias-sociaux" in entries
    assert entries["http://localhost/fr/book/"]["x-default"] == "http://localhost/fr/book/"
    assert "http://localhost/en/book/" in entries


def test_every_alternate_set_in_the_sitemap_has_an_x_default(client, demo):
    entries = sitemap_entries(client)
    with_alternates = [links for links in entries.values() if links]
    assert len(with_alternates) > 10
    for links in with_alternates:
        assert "x-default" in links, links
        assert links["x-default"] == links["fr"]


def test_an_inactive_offer_is_not_in_the_sitemap(app, client):
    with app.app_context():
        make_offer(db.session, slug="ferme", slug_en="closed", active=False)
        db.session.commit()
    entries = sitemap_entries(client)
    assert not [url for url in entries if url.endswith(("/ferme", "/closed"))]


def test_offer_pages_carry_a_canonical_link_and_hreflang_alternates(client, demo):
    page = client.get("/en/book/social-media-strategy?from=/en/").text
    assert '<link rel="canonical" href="http://localhost/en/book/social-media-strategy">' in page
    for hreflang, href in (
        ("en", "http://localhost/en/book/social-media-strategy"),
        ("fr", "http://localhost/fr/book/strategie-medias-sociaux"),
        ("x-default", "http://localhost/fr/book/strategie-medias-sociaux"),
    ):
        assert f'<link rel="alternate" hreflang="{hreflang}" href="{href}">' in page
    listing = client.get("/fr/book/").text
    assert '<link rel="canonical" href="http://localhost/fr/book/">' in listing
    assert '<link rel="alternate" hreflang="x-default" href="http://localhost/fr/book/">' in listing


def head_alternates(page):
    head = page[: page.index("</head>")]
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', head))


def test_pages_with_alternates_in_their_head_name_an_x_default(client, demo):
    for path in ("/en/", "/en/speaker/", "/en/articles/", "/en/articles/brand-voice-not-a-pdf"):
        links = head_alternates(client.get(path).text)
        assert set(links) == {"fr", "en", "x-default"}, path
        assert links["x-default"] == links["fr"], path
        assert links["en"] == f"http://localhost{path}", path


# robots.txt ------------------------------------------------------------------------------


def robots_parser(client):
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(client.get("/robots.txt").text.splitlines())
    return parser


def test_robots_txt_opens_with_its_disallow_rules(client):
    lines = [line for line in client.get("/robots.txt").text.splitlines() if line]
    assert lines[0] == "User-agent: *"
    assert lines[1].startswith("Disallow: ")
    rules = [line for line in lines if line.startswith(("Allow:", "Disallow:"))]
    assert rules[-1] == "Allow: /"  # the only Allow, after every Disallow
    assert lines[-1] == "Sitemap: http://localhost/sitemap.xml"


@pytest.mark.parametrize(
    "path",
    [
        "/fr/admin/",
        "/en/admin/bookings",
        "/fr/admin/content/articles/1",
        "/admin",
        "/fr/accounting/",
        "/en/accounting/receipts/R-000001",
        "/fr/login",
        "/en/password/forgot",
        "/fr/account",
        "/calendar/secret.ics",
        "/fr/booking/some-token",
        "/en/booking/some-token/receipts/R-000001",
        "/fr/book/status/some-token",
        "/fr/pay/demo/some-token",
        "/en/pay/manual/some-token",
    ],
)
def test_a_first_match_robots_parser_keeps_crawlers_out_of_the_desks_and_private_links(
    client, path
):
    assert not robots_parser(client).can_fetch("Googlebot", f"http://localhost{path}")


@pytest.mark.parametrize(
    "path",
    ["/", "/fr/", "/en/articles/", "/fr/articles/x", "/fr/speaker/", "/fr/book/", "/fr/book/x"],
)
def test_a_first_match_robots_parser_lets_crawlers_read_the_public_site(client, path):
    assert robots_parser(client).can_fetch("Googlebot", f"http://localhost{path}")


# noindex ---------------------------------------------------------------------------------


@pytest.fixture
def private_links(app):
    with app.app_context():
        now = utcnow()
        held = make_held_booking(db.session, now)
        confirmed = make_booking(db.session, now=now)
        payment = make_payment(db.session, confirmed, now, number="R-SEO-1")
        db.session.commit()
        return {
            "manage": f"/fr/booking/{confirmed.manage_token}",
            "status": f"/fr/book/status/{held.manage_token}",
            "receipt": f"/fr/booking/{confirmed.manage_token}/receipts/{payment.number}",
            "checkout": f"/fr/pay/demo/{held.manage_token}",
            "reschedule": f"/en/booking/{confirmed.manage_token}/reschedule",
        }


def test_private_link_pages_send_noindex_in_a_header_and_a_meta_tag(client, private_links):
    for name, path in private_links.items():
        response = client.get(path)
        assert response.status_code == 200, (name, response.status_code)
        assert response.headers["X-Robots-Tag"] == "noindex", name
        assert '<meta name="robots" content="noindex">' in response.text, name
        assert 'property="og:title"' not in response.text, name  # nothing to share


def test_the_desks_send_noindex_too(app, client):
    sign_in(app, client, role="accountant")
    response = client.get("/fr/accounting/")
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in response.text
    assert client.get("/fr/accounting/export.csv").headers["X-Robots-Tag"] == "noindex"


def test_public_pages_are_indexable(client, demo):
    for path in ("/fr/", "/en/speaker/", "/fr/articles/", "/fr/book/"):
        response = client.get(path)
        assert "X-Robots-Tag" not in response.headers, path
        assert 'name="robots"' not in response.text, path


def test_search_results_are_not_indexed(client, demo):
    response = client.get("/fr/search?q=voix")
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert response.text.count('<meta name="robots" content="noindex">') == 1


# Feeds, icons, manifest ------------------------------------------------------------------


def test_the_feed_links_in_the_head_are_absolute(client):
    page = client.get("/").text
    assert 'type="application/atom+xml" hreflang="fr"' in page
    assert 'href="http://localhost/fr/feed.xml"' in page
    assert 'href="http://localhost/en/feed.xml"' in page


def test_in_page_anchors_inside_feed_entries_are_absolute(app, client):
    with app.app_context():
        now = utcnow()
        data = service.ArticleData(
            lang="fr", title="Ancres", slug="ancres", summary="Des ancres.",
            body_md="## Premier point\n\nVoir [plus bas](#s-second-point) et "
            "[la bio](/fr/speaker/).\n\n## Second point\n\nFin.",
            tags="", cover_image=None, cover_alt="", status=PUBLISHED, publish_at=None,
            translation_id=None,
        )  # fmt: skip
        service.save_article(db.session, Article(), data, now)
        db.session.commit()
    feed = client.get("/fr/feed.xml").text
    article = "http://localhost/fr/articles/ancres"
    assert f'href="{article}#s-second-point"' in feed.replace("&quot;", '"')
    assert 'href="http://localhost/fr/speaker/"' in feed.replace("&quot;", '"')
    assert 'href="#' not in feed.replace("&quot;", '"')
    # The page itself keeps its short in-page anchors.
    assert 'href="#s-second-point"' in client.get("/fr/articles/ancres").text


def test_favicon_and_touch_icon_are_served_where_browsers_look(client):
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200
        assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    with client.get("/apple-touch-icon.png") as touch:
        assert touch.status_code == 200 and touch.data.startswith(b"\x89PNG")


def test_every_page_links_its_icons_and_the_manifest(client):
    page = client.get("/en/").text
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in page
    assert 'rel="apple-touch-icon"' in page and 'type="image/svg+xml"' in page
    assert '<link rel="manifest" href="/en/manifest.webmanifest">' in page
    manifest = client.get("/en/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json(force=True)
    assert body["name"] == "Consult" and body["lang"] == "en" and body["start_url"] == "/en/"
    for icon in body["icons"]:
        with client.get(icon["src"]) as served:
            assert served.status_code == 200, icon["src"]
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in body["icons"]}
    french = client.get("/fr/manifest.webmanifest").get_json(force=True)
    assert french["lang"] == "fr" and french["description"] != body["description"]


# Tag addresses ---------------------------------------------------------------------------


def test_tag_links_are_slugs(client, demo):
    page = client.get("/fr/articles/").text
    assert 'href="/fr/articles/tag/medias-sociaux"' in page
    assert "/fr/articles/tag/médias" not in page and "%20" not in page
    tag_page = client.get("/fr/articles/tag/medias-sociaux")
    assert tag_page.status_code == 200
    heading = tag_page.text.split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert "médias sociaux" in heading  # the tag keeps its words on the page


def test_old_tag_addresses_move_to_the_slug_for_good(client, demo):
    old = client.get("/fr/articles/tag/m%C3%A9dias%20sociaux?page=1")
    assert old.status_code == 308
    assert old.location == "/fr/articles/tag/medias-sociaux?page=1"
    assert client.get("/fr/articles/tag/nothing-here").status_code == 404
