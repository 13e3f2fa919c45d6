"""Article text: Markdown to safe HTML, slugs, reading time. Pure: no Flask, no database."""

import math
import re
import unicodedata

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin

#: Words an adult reads in a minute, for the reading time shown on each article.
WORDS_PER_MINUTE = 220

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr",
    "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "h1": {"id"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "ol": {"start"},
    "th": {"align"}, "td": {"align"},
}  # fmt: skip
#: Anything else, javascript: and data: included, loses its link.
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def slugify(text, max_length=80):
    """'Sous-traiter vos médias sociaux?' -> 'sous-traiter-vos-medias-sociaux'."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(
        char if char.isascii() else "-"
        for char in decomposed
        if unicodedata.category(char) != "Mn"  # accents go, the letter stays
    )
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].strip("-")


def _heading_slug(text):
    # Prefixed so that a heading can never take an id the layout uses ("main").
    return "s-" + (slugify(text) or "section")


_markdown = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable(["table", "strikethrough"])
    .use(
        anchors_plugin,
        min_level=2,
        max_level=4,
        slug_func=_heading_slug,
        permalink=True,
        permalinkSymbol="#",
    )
)


def render_markdown(source):
    """Markdown to sanitized HTML: raw HTML is shown as text, links keep only safe schemes."""
    html = _markdown.render(source or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        allowed_classes={"a": {"header-anchor"}},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def plain_text(source):
    """The words of a Markdown text, for reading time and search snippets."""
    html = _markdown.render(source or "")
    return re.sub(r"\s+", " ", nh3.clean(html, tags=set())).strip()


def reading_minutes(source):
    """Whole minutes to read `source`, at least one."""
    words = len(plain_text(source).split())
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def parse_tags(raw):
    """'Brand voice, crisis,  brand voice' -> ['brand voice', 'crisis']: lower case, unique."""
    seen = []
    for part in (raw or "").split(","):
        tag = re.sub(r"\s+", " ", part.replace("/", " ")).strip().lower()[:60]
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def search_terms(query, limit=8):
    """The words of a visitor's search, without operators or punctuation."""
    return re.findall(r"\w+", query or "")[:limit]
