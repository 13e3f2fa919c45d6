"""Article text, image sniffing, feeds and sitemaps: pure functions, no app."""

from datetime import UTC, datetime
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest

from consult.content.feeds import atom_feed, sitemap
from consult.content.images import sniff_image
from consult.content.text import (
    parse_tags,
    reading_minutes,
    render_markdown,
    search_terms,
    slugify,
)

HOSTILE = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pixel](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<iframe src="https://evil.example"></iframe>',
    "<svg onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[x](vbscript:msgbox(1))",
    '<a href="https://ok.example" onclick="alert(1)">ok</a>',
]


class ElementCollector(HTMLParser):
    """The elements and attributes a browser would build from an HTML fragment."""

    def __init__(self):
        super().__init__()
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements_of(html):
    collector = ElementCollector()
    collector.feed(html)
    return collector.elements


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_comes_out_inert(source):
    elements = elements_of(render_markdown(f"Intro\n\n{source}\n\nOutro"))
    assert elements, "the surrounding paragraphs are kept"
    for tag, attributes in elements:
        assert tag in {"p", "a", "img"}, tag
        assert not [name for name in attributes if name.startswith("on") or name == "style"]
        for name in ("href", "src"):
            value = (attributes.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "vbscript:", "data:")), value


def test_safe_markdown_keeps_links_images_and_anchored_headings():
    html = render_markdown(
        "## Who answers?\n\nSee [the guide](https://example.com/guide) "
        "and ![a chart](/uploads/abc.png)."
    )
    assert '<h2 id="s-who-answers">' in html
    assert 'href="#s-who-answers"' in html
    assert '<a href="https://example.com/guide" rel="noopener noreferrer">the guide</a>' in html
    assert '<img src="/uploads/abc.png" alt="a chart">' in html


def test_raw_html_is_shown_as_text_not_run():
    assert "&lt;b&gt;bold&lt;/b&gt;" in render_markdown("<b>bold</b>")


def test_slugify_drops_accents_and_punctuation():
    assert slugify("Sous-traiter vos médias sociaux?") == "sous-traiter-vos-medias-sociaux"
    assert slugify("  L’été!  ") == "l-ete"


def test_reading_time_rounds_up_and_is_at_least_a_minute():
    assert reading_minutes("") == 1
    assert reading_minutes("word " * 220) == 1
    assert reading_minutes("word " * 221) == 2


def test_tags_are_lower_case_unique_and_slash_free():
    assert parse_tags("Brand voice, crisis,  brand voice, a/b,,") == [
        "brand voice",
        "crisis",
        "a b",
    ]


def test_search_terms_drop_query_syntax():
    assert search_terms('"médias" OR (crise*) -x') == ["médias", "OR", "crise", "x"]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 8, "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 8, "image/jpeg"),
        (b"GIF89a" + b"\0" * 8, "image/gif"),
        (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
        (b"<svg xmlns=...>", None),
        (b"%PDF-1.7", None),
        (b"RIFF\0\0\0\0WAVEfmt ", None),
    ],
)
def test_images_are_recognised_by_their_first_bytes(head, expected):
    kind = sniff_image(head)
    assert (kind[0] if kind else None) == expected


def test_atom_feed_is_valid_xml_with_its_entries():
    moment = datetime(2026, 3, 1, 12, tzinfo=UTC)
    xml = atom_feed(
        feed_url="https://x.example/fr/feed.xml",
        site_url="https://x.example/fr/articles/",
        title="Articles",
        subtitle="Sub",
        author="Her",
        lang="fr",
        updated=moment,
        entries=[
            {
                "url": f"https://x.example/fr/articles/{slug}",
                "title": f"Title <{slug}> & co",
                "summary": "S",
                "html": "<p>Body</p>",
                "published": moment,
                "updated": moment,
            }
            for slug in ("one", "two")
        ],
    )
    root = ElementTree.fromstring(xml)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    ids = [node.text for node in root.findall("a:entry/a:id", ns)]
    assert ids == ["https://x.example/fr/articles/one", "https://x.example/fr/articles/two"]
    assert root.find("a:entry/a:title", ns).text == "Title <one> & co"


def test_sitemap_lists_pages_with_their_alternates():
    moment = datetime(2026, 3, 1, 12, tzinfo=UTC)
    xml = sitemap(
        [
            ("https://x.example/fr/a", moment, {"fr": "https://x.example/fr/a", "en": "https://x.example/en/b"}),
            ("https://x.example/en/c", None, {}),
        ]
    )  # fmt: skip
    root = ElementTree.fromstring(xml)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    assert [n.text for n in root.findall("s:url/s:loc", ns)] == [
        "https://x.example/fr/a",
        "https://x.example/en/c",
    ]
    links = root.findall("s:url/x:link", ns)
    assert {(link.get("hreflang"), link.get("href")) for link in links} == {
        ("fr", "https://x.example/fr/a"),
        ("en", "https://x.example/en/b"),
    }
    assert root.find("s:url/s:lastmod", ns).text == "2026-03-01T12:00:00Z"
