"""HTTP caching: every public page and feed revalidates by ETag with a 304, fingerprinted
static files are kept a year and served pre-compressed, the icons are found."""

import gzip
import re

import pytest

from consult import static_files
from tests.integration.test_page_cache import PUBLIC_PAGES, publish


@pytest.fixture
def site(app):
    from consult.extensions import db
    from tests.factories import open_every_day

    publish(app)
    with app.app_context():
        open_every_day(db.session)
    return app


@pytest.mark.parametrize("path", PUBLIC_PAGES)
@pytest.mark.parametrize("app_config", [{"PAGE_CACHE": True}, {"PAGE_CACHE": False}])
def test_every_public_page_answers_a_revalidation_with_a_304(site, client, path):
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"]
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_changed_page_answers_a_stale_etag_with_the_new_page(app, client):
    article_id = publish(app)
    etag = client.get("/fr/articles/voix").headers["ETag"]
    from consult.content.models import Article
    from consult.extensions import db

    with app.app_context():
        db.session.get(Article, article_id).title = "Un autre titre"
        db.session.commit()
    page = client.get("/fr/articles/voix", headers={"If-None-Match": etag})
    assert page.status_code == 200 and "Un autre titre" in page.text


def static_links(page):
    return re.findall(r'(?:href|src)="(/static/[^"]+\?v=[0-9a-f]{12})"', page)


def test_fingerprinted_static_files_are_kept_a_year(client):
    links = static_links(client.get("/").text)
    assert any("site.css" in link for link in links)
    for link in links:
        with client.get(link) as response:
            assert response.status_code == 200, link
            assert response.headers["Cache-Control"] == static_files.IMMUTABLE, link
            assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_static_file_without_its_fingerprint_is_revalidated_soon(client):
    for url in ("/static/css/site.css", "/static/css/site.css?v=000000000000"):
        with client.get(url) as response:
            assert response.status_code == 200
            assert "immutable" not in response.headers["Cache-Control"]
            assert f"max-age={static_files.PLAIN_MAX_AGE}" in response.headers["Cache-Control"]


def test_text_static_files_are_served_pre_compressed(client):
    link = next(link for link in static_links(client.get("/").text) if "site.css" in link)
    with client.get(link, headers={"Accept-Encoding": "gzip"}) as compressed:
        assert compressed.headers["Content-Encoding"] == "gzip"
        body = gzip.decompress(compressed.data)
    with client.get(link) as plain:
        assert "Content-Encoding" not in plain.headers
        assert plain.data == body
    assert "Accept-Encoding" in compressed.headers["Vary"]


def test_every_icon_the_layout_names_is_found_and_kept_a_year(client):
    page = client.get("/").text
    icons = re.findall(r'<link rel="(?:icon|apple-touch-icon|manifest)"[^>]*href="([^"]+)"', page)
    assert icons
    for href in icons:
        with client.get(href) as response:
            assert response.status_code == 200, href
            if "?v=" in href:
                assert response.headers["Cache-Control"] == static_files.IMMUTABLE, href


def test_the_compressed_copy_is_made_once_per_content(tmp_path):
    source = tmp_path / "static"
    (source / "css").mkdir(parents=True)
    (source / "css" / "a.css").write_text("body { color: black; }\n" * 200)
    first, versions = static_files.build(str(source), str(tmp_path / "build"))
    again, _ = static_files.build(str(source), str(tmp_path / "build"))
    assert first == again
    assert (tmp_path / "build" / first / "css" / "a.css.gz").exists()
    assert versions["css/a.css"] == static_files.fingerprint(
        (source / "css" / "a.css").read_bytes()
    )
    (source / "css" / "a.css").write_text("body { color: red; }\n")
    changed, _ = static_files.build(str(source), str(tmp_path / "build"))
    assert changed != first
