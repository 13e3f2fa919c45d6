"""Reader-side use cases: sign up with double opt-in, confirm, change language, leave; and
what the desk and the sending side call (start_confirmation, unsubscribe, find_by_token).
Each write runs inside consult.database.write()."""

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import business
from ..audit import record
from ..auth.models import token_digest
from ..database import write
from ..mail.outbox import ADDRESS_LENGTH, header_safe, queue_templated
from ..privacy.models import COMMERCIAL
from ..privacy.service import record_consent
from . import links, texts
from .models import ACTIVE, BOUNCED, PENDING, UNSUBSCRIBED, Subscriber

#: Confirmation or "already subscribed" emails one address gets within a day; past it, a
#: sign-up sends nothing (and the page says nothing different).
NOTICES_PER_DAY = 3
#: Longer tokens are none of ours: they are refused before any lookup.
LONGEST_TOKEN = 200
#: Where she signed up, as the form says it; anything else is recorded as the page.
SOURCES = ("home", "page")
ARTICLE_SOURCE = "article:"


class InvalidLink(ValueError):
    """The confirmation link is unknown, used or expired."""


def normal_email(email):
    """The form an address is known by (`email_key`): trimmed, lower case."""
    return email.strip().lower()


def normal_source(source):
    """ "home", "page" or "article:<id>"; whatever else a form sends becomes "page"."""
    source = (source or "").strip()
    if source in SOURCES:
        return source
    number = source.removeprefix(ARTICLE_SOURCE)
    if source.startswith(ARTICLE_SOURCE) and number.isdigit() and len(number) <= 10:
        return source
    return "page"


def find_by_token(session, token):
    """The subscriber her signed link names, or None (not ours, or her row is gone)."""
    if not token or len(token) > LONGEST_TOKEN:
        return None
    subscriber_id = links.subscriber_id_of(token)
    return session.get(Subscriber, subscriber_id) if subscriber_id is not None else None


def _notices_sent_today(subscriber, now):
    last = subscriber.last_notice_at
    return 0 if last is None or now - last >= timedelta(days=1) else subscriber.notices_today


def _may_notify(subscriber, now):
    return _notices_sent_today(subscriber, now) < NOTICES_PER_DAY


def _noted(subscriber, now):
    subscriber.notices_today = _notices_sent_today(subscriber, now) + 1
    subscriber.last_notice_at = now


def _language_name(subscriber):
    return str(texts.language_names()[subscriber.lang])


def start_confirmation(session, subscriber, now):
    """A fresh single-use confirmation link, emailed in her language (inside the caller's
    write; the desk's import calls it too). The previous link stops working."""
    with write(session):
        token = secrets.token_urlsafe(32)
        hours = current_app.config["NEWSLETTER_CONFIRM_HOURS"]
        subscriber.confirm_token_hash = token_digest(token)
        subscriber.confirm_expires_at = now + timedelta(hours=hours)
        subscriber.updated_at = now
        _noted(subscriber, now)
        session.flush()
        lang = links.link_lang(subscriber)
        with force_locale(lang):
            language = _language_name(subscriber)
        queue_templated(
            subscriber.email,
            "newsletter_confirm",
            lang,
            lambda: _("Confirm your subscription to the newsletter"),
            topic=f"newsletter.confirm:{subscriber.id}",
            link=business.current().url("newsletter.confirm", lang=lang, token=token),
            unsubscribe_link=links.unsubscribe_url(subscriber),
            language=language,
            hours=hours,
        )
        return subscriber


def _already_subscribed(subscriber):
    lang = links.link_lang(subscriber)
    with force_locale(lang):
        language = _language_name(subscriber)
    queue_templated(
        subscriber.email,
        "newsletter_already",
        lang,
        lambda: _("You are already subscribed to the newsletter"),
        topic=f"newsletter.already:{subscriber.id}",
        preferences_link=links.preferences_url(subscriber),
        unsubscribe_link=links.unsubscribe_url(subscriber),
        language=language,
    )


def sign_up(session, *, email, lang, source, shown, page_lang, address_hash, now):
    """Someone asks for the newsletter at `email`; returns nothing the page could reveal.

    A new or departed address becomes pending and is sent a confirmation link; a pending one
    is sent a new link; an active one at most a note that she already is subscribed, with
    her preferences; a bounced one nothing. Past NOTICES_PER_DAY emails to one address in a
    day, nothing more is sent or changed. `shown` is the consent and notice as the form
    showed them in `page_lang`: kept until she confirms, as the proof of her consent.
    """
    email = header_safe(email.strip(), ADDRESS_LENGTH)
    key = normal_email(email)
    with write(session) as tx:
        # Two sign-ups of one new address at once: the second finds the first one's row.
        session.execute(
            tx.insert(Subscriber.__table__)
            .values(
                email=email,
                email_key=key,
                lang=lang,
                status=PENDING,
                source=normal_source(source),
                consent_text=str(shown),
                consent_lang=page_lang,
                address_hash=address_hash,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["email_key"])
        )
        mine = sa.select(Subscriber).where(Subscriber.email_key == key)
        subscriber = session.scalar(tx.lock_rows(mine).execution_options(populate_existing=True))
        if subscriber.status == BOUNCED or not _may_notify(subscriber, now):
            return
        if subscriber.status == ACTIVE:
            _noted(subscriber, now)
            _already_subscribed(subscriber)
            return
        if subscriber.status == UNSUBSCRIBED:
            subscriber.source = normal_source(source)
        subscriber.status = PENDING
        subscriber.lang = lang
        subscriber.consent_text = str(shown)
        subscriber.consent_lang = page_lang
        subscriber.address_hash = address_hash
        start_confirmation(session, subscriber, now)


def usable_subscriber(session, token, now):
    """The pending subscriber behind a confirmation token while it works, else None."""
    if not token or len(token) > LONGEST_TOKEN:
        return None
    subscriber = session.scalar(
        sa.select(Subscriber).where(Subscriber.confirm_token_hash == token_digest(token))
    )
    if (
        subscriber is None
        or subscriber.status != PENDING
        or subscriber.confirm_expires_at is None
        or subscriber.confirm_expires_at <= now
    ):
        return None
    return subscriber


def confirm(session, token, now, *, page_lang, shown, address_hash):
    """Spend the confirmation link: she is active, her consent recorded with its proof, and
    welcomed. InvalidLink when it is unknown, used or expired.

    The proof is what the sign-up form showed her; a subscriber the desk imported never saw
    it, so hers is what the confirmation page shows (`shown`, in `page_lang`) and where it
    was pressed from.
    """
    with write(session) as tx:
        subscriber = usable_subscriber(session, token, now)
        if subscriber is None:
            raise InvalidLink()
        subscriber = tx.lock(subscriber)
        if subscriber.status != PENDING or subscriber.confirm_token_hash != token_digest(token):
            raise InvalidLink()  # spent by a concurrent request while we waited
        if not subscriber.consent_text:
            subscriber.consent_text = str(shown)
            subscriber.consent_lang = page_lang
            subscriber.address_hash = address_hash
        subscriber.consent = record_consent(
            session,
            kind=COMMERCIAL,
            email=subscriber.email,
            text=subscriber.consent_text,
            lang=subscriber.consent_lang,
            form="newsletter.signup",
            reference=f"newsletter:{subscriber.id}",
            address_hash=subscriber.address_hash,
            now=now,
        )
        subscriber.status = ACTIVE
        subscriber.confirmed_at = now
        subscriber.confirm_token_hash = None
        subscriber.confirm_expires_at = None
        subscriber.updated_at = now
        lang = links.link_lang(subscriber)
        with force_locale(lang):
            language = _language_name(subscriber)
        queue_templated(
            subscriber.email,
            "newsletter_welcome",
            lang,
            lambda: _("Welcome to the newsletter"),
            topic=f"newsletter.welcome:{subscriber.id}",
            preferences_link=links.preferences_url(subscriber),
            unsubscribe_link=links.unsubscribe_url(subscriber),
            language=language,
        )
        before, after = {"status": PENDING}, {"status": ACTIVE}
        record(session, None, "newsletter.confirm", subscriber, before, after)
        return subscriber


def change_language(session, subscriber, lang, now):
    """She reads it in `lang` from now on (while she is subscribed, or about to be)."""
    with write(session) as tx:
        subscriber = tx.lock(subscriber)
        if subscriber.status not in (PENDING, ACTIVE) or subscriber.lang == lang:
            return subscriber
        before = subscriber.lang
        subscriber.lang = lang
        subscriber.updated_at = now
        record(session, None, "newsletter.language", subscriber, {"lang": before}, {"lang": lang})
        return subscriber


def unsubscribe(session, subscriber, now, *, how):
    """She leaves at once: unsubscribed, her consent marked withdrawn (the record stays).

    Idempotent. `how` says where for the audit: "link", "one-click", "preferences", "desk".
    A bounced address stays bounced (it is mailed nothing either way); its consent is
    withdrawn all the same.
    """
    with write(session) as tx:
        subscriber = tx.lock(subscriber)
        if subscriber.unsubscribed_at is not None and subscriber.status in (UNSUBSCRIBED, BOUNCED):
            return subscriber
        before = subscriber.status
        if before != BOUNCED:
            subscriber.status = UNSUBSCRIBED
        subscriber.unsubscribed_at = now
        subscriber.confirm_token_hash = None
        subscriber.confirm_expires_at = None
        subscriber.updated_at = now
        if subscriber.consent is not None and subscriber.consent.withdrawn_at is None:
            subscriber.consent.withdrawn_at = now
        record(
            session,
            None,
            "newsletter.unsubscribe",
            subscriber,
            {"status": before},
            {"status": subscriber.status, "how": how},
        )
        return subscriber
