"""The Atom feed per language and the sitemap, built from plain values. Pure."""

import re
from urllib.parse import urljoin
from xml.etree import ElementTree

from feedgen.feed import FeedGenerator

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"


def atom_feed(*, feed_url, site_url, title, subtitle, author, lang, updated, entries):
    """Atom XML bytes; `entries` are dicts with url, title, summary, html, published, updated."""
    feed = FeedGenerator()
    feed.id(feed_url)
    feed.title(title)
    feed.subtitle(subtitle)
    feed.author({"name": author})
    feed.language(lang)
    feed.link(href=site_url, rel="alternate")
    feed.link(href=feed_url, rel="self")
    feed.updated(updated)
    for item in entries:
        entry = feed.add_entry(order="append")
        entry.id(item["url"])
        entry.title(item["title"])
        entry.link(href=item["url"], rel="alternate")
        entry.summary(item["summary"] or item["title"])
        entry.content(item["html"], type="html")
        entry.published(item["published"])
        entry.updated(item["updated"])
    return feed.atom_str(pretty=True)


#: href and src attributes whose value is an in-page anchor (#x) or a path on the site (/x).
_RELATIVE_LINK = re.compile(r'(\s(?:href|src)=")([#/][^"]*)"')


def absolute_links(html, page_url):
    """The article's HTML with in-page anchors and site paths made absolute against its own
    address: in a feed reader, "#s-intro" would otherwise point into the XML file."""

    def absolute(match):
        target = match[2]
        if target.startswith("//"):
            return match[0]
        return f'{match[1]}{urljoin(page_url, target)}"'

    return _RELATIVE_LINK.sub(absolute, html)


def with_x_default(alternates, default_lang):
    """The alternates plus x-default (the default language's page) when there are several."""
    if len(alternates) < 2:
        return alternates
    fallback = alternates.get(default_lang) or next(iter(alternates.values()))
    return {**alternates, "x-default": fallback}


def sitemap(pages):
    """Sitemap XML bytes; each page is (url, lastmod datetime or None, {lang: url} alternates)."""
    ElementTree.register_namespace("", SITEMAP_NS)
    ElementTree.register_namespace("xhtml", XHTML_NS)
    root = ElementTree.Element(f"{{{SITEMAP_NS}}}urlset")
    for url, lastmod, alternates in pages:
        node = ElementTree.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ElementTree.SubElement(node, f"{{{SITEMAP_NS}}}loc").text = url
        if lastmod is not None:
            ElementTree.SubElement(node, f"{{{SITEMAP_NS}}}lastmod").text = lastmod.strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
        for lang, href in sorted(alternates.items()):
            ElementTree.SubElement(
                node,
                f"{{{XHTML_NS}}}link",
                {"rel": "alternate", "hreflang": lang, "href": href},
            )
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
