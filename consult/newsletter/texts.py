"""The newsletter's words that are kept as proof: the consent beside the sign-up button and
the notice at collection (Law 25 s. 8) under it, and the names of the emails' languages."""

from flask_babel import lazy_gettext as _l


def consent_text(owner, site):
    """What she agrees to by pressing the button: what she gets, from whom, and leaving."""
    return _l(
        "By subscribing, you agree to receive by email the newsletter of %(owner)s (%(site)s): "
        "her new articles and news of her work. You may unsubscribe at any time, in one click, "
        "with the link at the bottom of every email.",
        owner=owner,
        site=site,
    )


def notice_lines():
    """The notice at collection of the sign-up form: purpose, who sees it, her rights."""
    return [
        _l(
            "We use your email address only to send you this newsletter in the language you "
            "choose, and we keep the proof of your consent."
        ),
        _l(
            "It is seen by the consultant and by the mail provider that delivers the "
            "newsletter, which may keep data outside Québec."
        ),
        _l(
            "You may see, correct or take away what we hold about you, withdraw your consent, "
            "or ask us to erase it."
        ),
    ]


def shown_text(owner, site):
    """The consent and the notice as one paragraph, as the consent record keeps them."""
    return " ".join(str(part) for part in (consent_text(owner, site), *notice_lines()))


def language_names():
    """The language of her emails inside a sentence ("you will receive it in French")."""
    return {
        "fr": _l("in French"),
        "en": _l("in English"),
        "both": _l("in French and in English"),
    }


def language_choices():
    """The languages she may read the newsletter in, as the forms offer them."""
    return [
        ("fr", _l("In French")),
        ("en", _l("In English")),
        ("both", _l("In both languages")),
    ]
