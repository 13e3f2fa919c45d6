"""The reader's own link, in every issue and on her preferences page: her subscriber id,
signed with the site's secret (itsdangerous, as Flask signs its session). Nothing is stored
to check it, it never expires and it works without signing in; a new SECRET_KEY voids it.
"""

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from .. import business

SALT = "consult.newsletter.reader"


def _signer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def reader_token(subscriber_id):
    return _signer().dumps(subscriber_id)


def subscriber_id_of(token):
    """The subscriber id a token was made for, or None when it is not one of ours."""
    try:
        value = _signer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def link_lang(subscriber):
    """The language of her pages: her emails' language, the site's own for "both"."""
    return subscriber.lang if subscriber.lang in ("fr", "en") else business.current().locale


def preferences_url(subscriber):
    """Her preferences page (language, leaving), absolute."""
    return business.current().url(
        "newsletter.preferences", lang=link_lang(subscriber), token=reader_token(subscriber.id)
    )


def unsubscribe_url(subscriber):
    """The address of List-Unsubscribe and of the visible link: a page with one button for a
    person, and RFC 8058's one-click POST for her mail provider."""
    return business.current().url(
        "newsletter.unsubscribe", lang=link_lang(subscriber), token=reader_token(subscriber.id)
    )
