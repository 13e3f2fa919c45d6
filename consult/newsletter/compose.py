"""One issue as an email: each language's body rendered once per issue, then only each
reader's own links filled in (her unsubscribe and preferences addresses).

A reader of "both" gets one email holding each version that exists, the site's language
first: one message per reader and issue, so the count, the unsubscribe header and the
"nobody twice" guarantee stay per person, and nobody gets two notifications for one issue.
"""

import email.policy
import html
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from ..content.feeds import absolute_links
from ..mail.outbox import SUBJECT_LENGTH, header_safe, inline_styles
from .links import preferences_url, unsubscribe_url
from .models import FROM_ARTICLE

LANGS = ("fr", "en")
#: Stand-ins for her links in the rendered letter; her signed token is URL-safe, so the
#: real address replaces them as it is, in the text and the HTML alike.
UNSUBSCRIBE, PREFERENCES = "__consult_unsubscribe__", "__consult_preferences__"

_ANCHOR = re.compile(r'\s*<a class="header-anchor" href="#[^"]*"[^>]*>#</a>')
_HREF = re.compile(r'(\shref=")([^"]+)"')
_MARKDOWN_LINK = re.compile(r"(\]\()([^)\s]+)")


@dataclass(frozen=True)
class Version:
    """An issue in one language, ready for any reader of it."""

    lang: str
    subject: str
    #: Sanitized HTML, links absolute and without tracking parameters.
    html: Markup
    #: The Markdown she wrote: plain text that reads as it is.
    text: str
    #: The article on the site, for an issue made of one.
    url: str | None
    read_label: str


def untracked(url):
    """`url` without the utm_* parameters a shared link often carries."""
    parts = urlsplit(url)
    if "utm_" not in parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(key, value) for key, value in pairs if not key.startswith("utm_")]
    return urlunsplit(parts._replace(query=urlencode(kept)))


def email_html(body_html, page_url):
    """Body HTML for a mail client: links absolute and untracked, no heading anchors."""
    body = absolute_links(_ANCHOR.sub("", body_html), page_url)
    cleaned = _HREF.sub(lambda m: f'{m[1]}{html.escape(untracked(html.unescape(m[2])))}"', body)
    return Markup(cleaned)  # nh3 sanitized it when it was saved


def email_text(body_md, site_url):
    """Markdown with its links' site paths made absolute and their tracking dropped."""

    def link(match):
        target = match[2]
        if target.startswith("/") and not target.startswith("//"):
            target = site_url.rstrip("/") + target
        return match[1] + untracked(target)

    return _MARKDOWN_LINK.sub(link, body_md).strip()


def article_of(issue, lang):
    return issue.article_fr if lang == "fr" else issue.article_en


def drafted_languages(issue):
    """The languages the issue has a version in, published or not (her preview, her test)."""
    if issue.kind == FROM_ARTICLE:
        return tuple(lang for lang in LANGS if article_of(issue, lang) is not None)
    return tuple(lang for lang in LANGS if getattr(issue, f"subject_{lang}").strip())


def languages(issue, now):
    """The languages the issue has a version in: her subject in each, or the article,
    visible to the public at `now`."""
    drafted = drafted_languages(issue)
    if issue.kind == FROM_ARTICLE:
        return tuple(lang for lang in drafted if article_of(issue, lang).is_visible(now))
    return drafted


def version(issue, lang, business):
    """The issue in `lang` (which `languages()` gave)."""
    with force_locale(lang):
        read_label = _("Read it on the site")
    if issue.kind == FROM_ARTICLE:
        article = article_of(issue, lang)
        url = business.url("content.article", lang=lang, slug=article.slug)
        return Version(
            lang=lang,
            subject=article.title,
            html=email_html(article.body_html, url),
            text=email_text(article.body_md, business.site_url),
            url=url,
            read_label=read_label,
        )
    home = business.absolute(f"/{lang}/")
    return Version(
        lang=lang,
        subject=getattr(issue, f"subject_{lang}").strip(),
        html=email_html(getattr(issue, f"body_html_{lang}"), home),
        text=email_text(getattr(issue, f"body_md_{lang}"), business.site_url),
        url=None,
        read_label=read_label,
    )


def _folded(url):
    """`url` as quoted-printable soft-broken lines (it holds no "=" nor non-ASCII)."""
    chunks = [url[start : start + 64] for start in range(0, len(url), 64)]
    return "=\r\n".join(chunks).encode()


@dataclass(frozen=True)
class Letter:
    """An issue in one set of languages, rendered once: text, HTML and the encoded MIME body
    with her links left as stand-ins; each reader's message is that plus her own headers."""

    issue_id: int
    lang: str
    subject: str
    text: str
    html: str
    #: The headers every reader's copy shares (From, Subject, List-Id...), CRLF-ended.
    head: bytes
    #: The multipart/alternative body, both parts quoted-printable, stand-ins intact.
    body: bytes
    owner_email: str
    domain: str

    def links(self, reader):
        """Her unsubscribe and preferences addresses (`reader`: anything with id and lang)."""
        return unsubscribe_url(reader), preferences_url(reader)

    def for_reader(self, reader):
        """(text, html) with `reader`'s links."""
        leave, preferences = self.links(reader)
        text = self.text.replace(UNSUBSCRIBE, leave).replace(PREFERENCES, preferences)
        html_body = self.html.replace(UNSUBSCRIBE, leave).replace(PREFERENCES, preferences)
        return text, html_body

    def message(self, reader, to, delivery_id):
        """The whole message for one reader, as bytes for SMTP (CRLF line ends).

        RFC 2369 / 8058 list headers (one-click unsubscribe to her own address) and a
        Message-ID stable per delivery; `to` must be ASCII and header-safe.
        """
        leave, preferences = self.links(reader)
        own = (
            f"To: {to}\r\n"
            f"Message-ID: <newsletter.{self.issue_id}.{delivery_id}@{self.domain}>\r\n"
            f"List-Unsubscribe: <{leave}>, <mailto:{self.owner_email}?subject=unsubscribe>\r\n"
        ).encode()
        body = self.body.replace(UNSUBSCRIBE.encode(), _folded(leave)).replace(
            PREFERENCES.encode(), _folded(preferences)
        )
        return self.head + own + body


def _head(subject, sender, reply_to, list_id, date):
    headers = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998))
    headers["From"] = sender
    headers["Reply-To"] = reply_to
    headers["Subject"] = subject
    headers["Date"] = date
    headers["List-Id"] = list_id
    headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # RFC 3834: auto-responders (out of office) do not answer a bulk message.
    headers["Precedence"] = "bulk"
    return headers.as_bytes().partition(b"\r\n\r\n")[0] + b"\r\n"


def _body(text, html_body):
    body = EmailMessage(policy=email.policy.SMTP)
    body.set_content(text, cte="quoted-printable")
    body.add_alternative(html_body, subtype="html", cte="quoted-printable")
    encoded = body.as_bytes()
    for token in (UNSUBSCRIBE, PREFERENCES):
        if encoded.count(token.encode()) != (text + html_body).count(token):
            raise ValueError(f"the stand-in {token} did not survive the encoding")
    return encoded


def letter(issue, langs, business, *, sender, domain, now):
    """Render the issue for readers of `langs`, the site's language first."""
    ordered = sorted(langs, key=lambda lang: (lang != business.locale, lang))
    versions = [version(issue, lang, business) for lang in ordered]
    lang = versions[0].lang
    subject = header_safe(" / ".join(v.subject for v in versions), SUBJECT_LENGTH)
    context = {
        "lang": lang,
        "subject": subject,
        "versions": versions,
        "unsubscribe_url": UNSUBSCRIBE,
        "preferences_url": PREFERENCES,
        "business": business,
    }
    with force_locale(lang):
        text = render_template("mail/newsletter_issue.txt", **context).strip() + "\n"
        html_body = inline_styles(render_template("mail/newsletter_issue.html", **context))
    # Each link on a line of its own: short lines that quoted-printable leaves whole.
    for token in (UNSUBSCRIBE, PREFERENCES):
        html_body = html_body.replace(f'href="{token}"', f'\nhref="{token}"\n')
    reply_to = formataddr((business.owner_name, business.owner_email))
    list_id = formataddr((business.site_name, f"newsletter.{domain}"))
    return Letter(
        issue_id=issue.id,
        lang=lang,
        subject=subject,
        text=text,
        html=html_body,
        head=_head(subject, sender, reply_to, list_id, format_datetime(issue.queued_at or now)),
        body=_body(text, html_body),
        owner_email=business.owner_email,
        domain=domain,
    )
