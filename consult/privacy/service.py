"""Privacy use cases: consents, a person's requests and their answers, erasure, retention,
incidents and the owner's settings. Each write runs inside consult.database.write()."""

import json
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _

from ..audit import record
from ..auth.models import token_digest
from ..booking.models import Booking
from ..content.models import InquiryMessage, SpeakingInquiry
from ..database import write
from ..extensions import db
from ..i18n import current_lang
from ..mail.models import OutboxMessage
from ..mail.outbox import queue_templated
from ..newsletter.models import PENDING as SIGNED_UP
from ..newsletter.models import UNSUBSCRIBED, Delivery, Subscriber
from ..payments.models import LedgerEntry
from . import texts
from .models import (
    ANSWER_WITHIN,
    BOOKING_TERMS,
    DONE,
    INQUIRY_CONTACT,
    OPEN,
    PENDING,
    REFUSED,
    ConsentRecord,
    PrivacyIncident,
    PrivacyRequest,
    PrivacySettings,
)

#: How long the emailed confirmation link of a request works.
CONFIRM_LINK_LIFETIME = timedelta(hours=48)
#: Unconfirmed requests one email may have within a day; more send nothing (and say nothing).
PENDING_PER_DAY = 3
#: Tables that hold records about people, where a person's name is searched and replaced on
#: erasure. Her email is searched everywhere but in the staff accounts.
PEOPLE_TABLES = (
    "bookings",
    "ledger_entries",
    "speaking_inquiries",
    "inquiry_messages",
    "outbox_messages",
    "audit_entries",
    "webhook_events",
    "consent_records",
    "privacy_requests",
    "payment_anomalies",
    "newsletter_subscribers",
    "newsletter_deliveries",
)
#: Never searched: staff accounts, sequences, migrations' bookkeeping.
UNTOUCHED_TABLES = ("users", "counters", "alembic_version", "emailed_links")
#: A newsletter sign-up never confirmed is deleted after this (its link lasted 48 hours).
UNCONFIRMED_SIGN_UP_LIFETIME = timedelta(days=30)
#: Shorter names are not searched for across the tables (they would match ordinary words).
SHORTEST_NAME = 4


class InvalidLink(ValueError):
    """The confirmation link is unknown, used or expired."""


class IllegalAnswer(ValueError):
    """A request cannot take this answer (it is not confirmed, or already answered)."""


# ----------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """The privacy settings in force: the owner's row over the configured defaults."""

    officer_name: str
    officer_title: str
    officer_email: str
    policy_fr: str
    policy_en: str
    inquiry_retention_days: int
    intake_retention_days: int
    outbox_retention_days: int
    #: Whether the policy texts are the owner's own (else the default is shown).
    policy_is_custom: bool = False
    #: The texts as she edits them, `{intake_days}` and the like not yet filled in.
    source_fr: str = ""
    source_en: str = ""

    def policy(self, lang):
        return self.policy_fr if lang == "fr" else self.policy_en


def load_settings(session, config, business):
    """The settings in force: the owner's row if she saved one, else `config`'s defaults."""
    row = session.get(PrivacySettings, 1)
    defaults = {
        "officer_name": config.get("PRIVACY_OFFICER_NAME") or business.owner_name,
        "officer_title": config.get("PRIVACY_OFFICER_TITLE") or "",
        "officer_email": config.get("PRIVACY_OFFICER_EMAIL") or business.owner_email,
        "inquiry_retention_days": config.get("PRIVACY_INQUIRY_RETENTION_DAYS", 730),
        "intake_retention_days": config.get("PRIVACY_INTAKE_RETENTION_DAYS", 365),
        "outbox_retention_days": config.get("PRIVACY_OUTBOX_RETENTION_DAYS", 90),
    }
    values = dict(defaults)
    if row is not None:
        for key in defaults:
            value = getattr(row, key)
            if value not in ("", None):
                values[key] = value
    custom = row is not None and bool(row.policy_fr or row.policy_en)
    filling = {
        "owner": business.owner_name,
        "site": business.site_name,
        "intake_days": values["intake_retention_days"],
        "inquiry_days": values["inquiry_retention_days"],
        "outbox_days": values["outbox_retention_days"],
    }
    sources = {
        lang: (getattr(row, f"policy_{lang}") if row is not None else "")
        or texts.DEFAULT_POLICY[lang]
        for lang in ("fr", "en")
    }
    return Settings(
        policy_fr=texts.fill(sources["fr"], filling),
        policy_en=texts.fill(sources["en"], filling),
        policy_is_custom=custom,
        source_fr=sources["fr"],
        source_en=sources["en"],
        **values,
    )


def save_settings(session, user, now, **fields):
    """Save the owner's privacy settings (officer, policy texts, retention days)."""
    with write(session):
        row = session.get(PrivacySettings, 1)
        if row is None:
            row = PrivacySettings(id=1)
            session.add(row)
        before = {key: getattr(row, key) for key in fields if key not in ("policy_fr", "policy_en")}
        for key, value in fields.items():
            if key.startswith("policy_") and _same_text(value, texts.DEFAULT_POLICY[key[-2:]]):
                value = ""  # the default as it stands: it keeps following the settings
            setattr(row, key, value)
        row.updated_at = now
        session.flush()
        after = {
            key: value for key, value in fields.items() if key not in ("policy_fr", "policy_en")
        }
        record(session, user, "privacy.settings", row, before, after)
    return row


def _same_text(first, second):
    return first.replace("\r\n", "\n").strip() == second.strip()


# ----------------------------------------------------------------------------- consents


def record_consent(
    session, *, kind, email, text, lang, form, reference=None, address_hash=None, now
):
    """Add the record of a consent to the caller's open write (never commits itself)."""
    consent = ConsentRecord(
        kind=kind,
        email=email.strip(),
        text=str(text),
        lang=lang,
        form=form,
        reference=reference or "",
        address_hash=address_hash,
        given_at=now,
    )
    session.add(consent)
    return consent


def record_booking_consent(session, booking, now):
    """The booking's consent as the intake form showed it, in the page's language."""
    # The page's language when a visitor booked; her emails' language otherwise. (Never
    # flask_babel.get_locale() here: outside a request it caches a locale on the app
    # context, and every later page in that context would be in it.)
    lang = current_lang() if has_request_context() else booking.lang
    with force_locale(lang):
        text = texts.booking_consent_text(in_english=lang != "fr")
    return record_consent(
        session,
        kind=BOOKING_TERMS,
        email=booking.client_email,
        text=text,
        lang=lang,
        form="booking.reserve",
        reference=booking.reference,
        address_hash=booking.client_address_hash,
        now=now,
    )


def record_inquiry_consent(session, inquiry, now, *, text=None, address_hash=None):
    """The speaking-inquiry form's consent (contact about a quote), in the inquiry's language:
    `text` is the words beside its box; the notice at collection follows them."""
    with force_locale(inquiry.lang):
        shown = " ".join(part for part in (str(text or ""), texts.notice_text()) if part)
    return record_consent(
        session,
        kind=INQUIRY_CONTACT,
        email=inquiry.email,
        text=shown,
        lang=inquiry.lang,
        form="content.inquiry",
        reference=f"inquiry:{inquiry.id}",
        address_hash=address_hash,
        now=now,
    )


def withdraw_consent(session, user, consent, now):
    """Mark a consent withdrawn (the person said so); the record of it stays."""
    with write(session) as tx:
        consent = tx.lock(consent)
        if consent.withdrawn_at is None:
            consent.withdrawn_at = now
            record(session, user, "privacy.consent_withdraw", consent, None, {"kind": consent.kind})
    return consent


def upcoming_bookings(session, email, now):
    """Her sessions still to come (held or confirmed): erasing stops their emails reaching her."""
    return session.scalars(
        sa.select(Booking)
        .where(
            _by_email(Booking.client_email, email),
            Booking.starts_at > now,
            Booking.status.in_(("held", "confirmed")),
        )
        .order_by(Booking.starts_at)
    ).all()


def consents_of(session, email):
    return session.scalars(
        sa.select(ConsentRecord)
        .where(sa.func.lower(ConsentRecord.email) == _normal(email))
        .order_by(ConsentRecord.given_at, ConsentRecord.id)
    ).all()


# ----------------------------------------------------------------------------- requests


def _normal(email):
    return email.strip().lower()


def file_request(session, *, kind, email, details, lang, now, link_for):
    """File a request and email its confirmation link to `email`; says nothing back.

    Whether the site holds anything on that email changes nothing here: every address gets
    the same link, so the form never reveals who is known. Past PENDING_PER_DAY unconfirmed
    requests for one email within a day, nothing more is sent.
    """
    email = email.strip()
    with write(session):
        recent = session.scalar(
            sa.select(sa.func.count(PrivacyRequest.id)).where(
                sa.func.lower(PrivacyRequest.email) == _normal(email),
                PrivacyRequest.status == PENDING,
                PrivacyRequest.received_at > now - timedelta(days=1),
            )
        )
        if recent >= PENDING_PER_DAY:
            return None
        token = secrets.token_urlsafe(32)
        request = PrivacyRequest(
            kind=kind,
            email=email,
            details=details,
            lang=lang,
            status=PENDING,
            token_hash=token_digest(token),
            token_expires_at=now + CONFIRM_LINK_LIFETIME,
            received_at=now,
            due_at=now + ANSWER_WITHIN,
        )
        session.add(request)
        session.flush()
        queue_templated(
            email,
            "privacy_confirm",
            lang,
            lambda: _("Confirm your privacy request"),
            topic=f"privacy.confirm:{request.id}",
            request=request,
            kind_label=request_kind_labels()[kind],
            link=link_for(token),
            hours=int(CONFIRM_LINK_LIFETIME.total_seconds() // 3600),
        )
        return request


def usable_request(session, token, now):
    """The pending request behind `token` while its link still works, else None."""
    request = session.scalar(
        sa.select(PrivacyRequest).where(PrivacyRequest.token_hash == token_digest(token))
    )
    if request is None or request.status != PENDING or request.token_expires_at <= now:
        return None
    return request


def confirm_request(session, token, now, *, business, desk_link_for):
    """Spend the emailed link: the request is confirmed and the owner told. InvalidLink."""
    with write(session) as tx:
        request = usable_request(session, token, now)
        if request is None:
            raise InvalidLink()
        request = tx.lock(request)
        if request.status != PENDING:
            raise InvalidLink()  # spent by a concurrent request while we waited
        request.status = OPEN
        request.verified_at = now
        request.token_hash = None
        with force_locale(business.locale):
            kind_label = request_kind_labels()[request.kind]
        queue_templated(
            business.owner_email,
            "privacy_owner_notice",
            business.locale,
            lambda: _("A privacy request to answer by %(day)s", day=_due_day(request, business)),
            topic=f"privacy.owner_notice:{request.id}",
            request=request,
            kind_label=kind_label,
            due=_due_day(request, business),
            link=desk_link_for(request),
        )
        record(session, None, "privacy.request_confirm", request, None, {"kind": request.kind})
        return request


def _due_day(request, business):
    from ..formatting import format_date

    return format_date(request.due_at, zone=business.zone)


def answer_request(session, user, request, *, status, answer, now):
    """Answer a confirmed request (done or refused) and email the answer. IllegalAnswer."""
    with write(session) as tx:
        request = tx.lock(request)
        if request.status != OPEN or status not in (DONE, REFUSED):
            raise IllegalAnswer(request.status)
        request.status = status
        request.answer = answer
        request.answered_at = now
        request.answered_by_id = getattr(user, "id", None)
        queue_templated(
            request.email,
            "privacy_answer",
            request.lang,
            lambda: _("The answer to your privacy request"),
            topic=f"privacy.answer:{request.id}",
            request=request,
            refused=status == REFUSED,
            answer=answer,
        )
        record(
            session, user, "privacy.request_answer", request, {"status": OPEN}, {"status": status}
        )
        return request


def can_erase(session, request):
    """Erasure replaces the address the answer goes to: it waits until the answer is sent."""
    if request.erased_at is not None or request.status != DONE:
        return False
    waiting = session.scalar(
        sa.select(sa.func.count(OutboxMessage.id)).where(
            OutboxMessage.topic == f"privacy.answer:{request.id}",
            OutboxMessage.status.in_(("queued", "sending")),
        )
    )
    return waiting == 0


def request_kind_labels():
    return {
        "access": _("See what you hold about me"),
        "correct": _("Correct what you hold about me"),
        "move": _("Give me my data in a file I can take elsewhere"),
        "delete": _("Erase what you hold about me"),
    }


# ----------------------------------------------------------------------------- what is held


def _by_email(column, email):
    return sa.func.lower(column) == _normal(email)


def _iso(moment):
    return moment.isoformat() if moment is not None else None


def held_on(session, email):
    """Everything the site holds on `email`, by kind, as plain values (for JSON and CSV)."""
    bookings = session.scalars(
        sa.select(Booking).where(_by_email(Booking.client_email, email)).order_by(Booking.id)
    ).all()
    booking_ids = [booking.id for booking in bookings]
    entries = session.scalars(
        sa.select(LedgerEntry)
        .where(
            sa.or_(
                _by_email(LedgerEntry.client_email, email),
                LedgerEntry.booking_id.in_(booking_ids or [-1]),
            )
        )
        .order_by(LedgerEntry.id)
    ).all()
    inquiries = session.scalars(
        sa.select(SpeakingInquiry)
        .where(_by_email(SpeakingInquiry.email, email))
        .order_by(SpeakingInquiry.id)
    ).all()
    thread = session.scalars(
        sa.select(InquiryMessage)
        .where(InquiryMessage.inquiry_id.in_([item.id for item in inquiries] or [-1]))
        .order_by(InquiryMessage.id)
    ).all()
    messages = session.scalars(
        sa.select(OutboxMessage)
        .where(_by_email(OutboxMessage.to, email))
        .order_by(OutboxMessage.id)
    ).all()
    requests = session.scalars(
        sa.select(PrivacyRequest)
        .where(_by_email(PrivacyRequest.email, email))
        .order_by(PrivacyRequest.id)
    ).all()
    subscribers = session.scalars(
        sa.select(Subscriber).where(Subscriber.email_key == _normal(email)).order_by(Subscriber.id)
    ).all()
    deliveries = session.scalars(
        sa.select(Delivery)
        .where(Delivery.subscriber_id.in_([s.id for s in subscribers] or [-1]))
        .order_by(Delivery.id)
    ).all()
    references = {booking.id: booking.reference for booking in bookings}
    numbers = {entry.id: entry.number for entry in entries}
    return {
        "bookings": [
            {
                "reference": b.reference,
                "offer": b.offer.title_en,
                "status": b.status,
                "starts_at": _iso(b.starts_at),
                "ends_at": _iso(b.ends_at),
                "name": b.client_name,
                "email": b.client_email,
                "language": b.lang,
                "time_zone": b.time_zone,
                "subtotal_cents": b.subtotal_cents,
                "total_cents": b.total_cents,
                "currency": b.currency,
                "consent_contact": b.consent_contact,
                "created_at": _iso(b.created_at),
                "confirmed_at": _iso(b.confirmed_at),
                "cancelled_at": _iso(b.cancelled_at),
            }
            for b in bookings
        ],
        "intake_answers": [
            {
                "booking": b.reference,
                "phone": b.client_phone,
                "organisation": b.organisation,
                "organisation_size": b.organisation_size,
                "goal": b.intake_goal,
            }
            for b in bookings
        ],
        "payments": [
            {
                "number": e.number,
                "kind": e.kind,
                "booking": references.get(e.booking_id, ""),
                "occurred_at": _iso(e.occurred_at),
                "method": e.method,
                "subtotal_cents": e.subtotal_cents,
                "tax_cents": e.tax_cents,
                "total_cents": e.total_cents,
                "currency": e.currency,
                "taxes": {tax.code: tax.amount_cents for tax in e.taxes},
                "description": e.description,
                "name": e.client_name,
                "email": e.client_email,
            }
            for e in entries
        ],
        "receipts": [
            {
                "number": e.number,
                "document": "receipt" if e.kind == "payment" else "credit_note",
                "issued_at": _iso(e.occurred_at),
                "total_cents": e.total_cents,
                "currency": e.currency,
                "corrects": numbers.get(e.refund_of_id, "") if e.refund_of_id else "",
            }
            for e in entries
        ],
        "inquiries": [
            {
                "id": i.id,
                "name": i.name,
                "email": i.email,
                "organisation": i.organisation,
                "event_date": i.event_date.isoformat(),
                "city": i.city,
                "online": i.online,
                "audience_size": i.audience_size,
                "budget_range": i.budget_range,
                "message": i.message,
                "status": i.status,
                "created_at": _iso(i.created_at),
                "thread": [
                    {"sender": m.sender, "body": m.body, "at": _iso(m.created_at)}
                    for m in thread
                    if m.inquiry_id == i.id
                ],
            }
            for i in inquiries
        ],
        "consents": [
            {
                "kind": c.kind,
                "given_at": _iso(c.given_at),
                "text": c.text,
                "language": c.lang,
                "form": c.form,
                "reference": c.reference,
                "withdrawn_at": _iso(c.withdrawn_at),
            }
            for c in consents_of(session, email)
        ],
        "messages": [
            {
                "to": m.to,
                "subject": m.subject,
                "status": m.status,
                "written_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
                "text": m.text_body,
            }
            for m in messages
        ],
        "privacy_requests": [
            {
                "kind": r.kind,
                "status": r.status,
                "received_at": _iso(r.received_at),
                "due_at": _iso(r.due_at),
                "details": r.details,
                "answer": r.answer,
            }
            for r in requests
        ],
        "newsletter": [
            {
                "email": s.email,
                "language": s.lang,
                "status": s.status,
                "source": s.source,
                "signed_up_at": _iso(s.created_at),
                "confirmed_at": _iso(s.confirmed_at),
                "unsubscribed_at": _iso(s.unsubscribed_at),
                "bounced_at": _iso(s.bounced_at),
                "bounce": s.bounce_kind or "",
                "issues": [
                    {
                        "issue": d.issue_id,
                        "languages": d.langs,
                        "status": d.status,
                        "sent_at": _iso(d.sent_at),
                    }
                    for d in deliveries
                    if d.subscriber_id == s.id
                ],
            }
            for s in subscribers
        ],
    }


def summary_of(held):
    """How many rows of each kind are held."""
    return {kind: len(rows) for kind, rows in held.items()}


# ----------------------------------------------------------------------------- erasure


def erase(session, user, email, now, *, request=None):
    """Anonymise everything held on `email`; amounts, numbers and dates stay.

    Bookings, ledger rows, receipts and credit notes keep their amounts, taxes and numbers
    (tax law keeps them six years); her name, email, phone, organisation, goals, messages,
    the bodies of her mail and her consents' addresses are replaced. Then every text column
    of the people's tables is searched for her email and names, and what is found replaced.
    Returns the counts of rows changed, by kind.
    """
    needle = _normal(email)
    with write(session) as tx:
        bookings = session.scalars(
            tx.lock_rows(sa.select(Booking).where(_by_email(Booking.client_email, email)))
        ).all()
        ids = [b.id for b in bookings]
        entries = session.scalars(
            tx.lock_rows(
                sa.select(LedgerEntry).where(
                    sa.or_(
                        _by_email(LedgerEntry.client_email, email),
                        LedgerEntry.booking_id.in_(ids or [-1]),
                    )
                )
            )
        ).all()
        inquiries = session.scalars(
            sa.select(SpeakingInquiry).where(_by_email(SpeakingInquiry.email, email))
        ).all()
        names = {b.client_name for b in bookings} | {e.client_name for e in entries}
        names |= {i.name for i in inquiries}
        for b in bookings:
            b.client_name = texts.ANONYMISED
            b.client_email = texts.anonymised_email(f"b{b.id}")
            b.client_phone = ""
            b.organisation = ""
            b.organisation_size = ""
            b.intake_goal = ""
            b.owner_notes = ""
            b.cancel_reason = ""
            b.client_address_hash = None
        for e in entries:
            e.client_name = texts.ANONYMISED
            e.client_email = texts.anonymised_email(f"l{e.id}")
        for i in inquiries:
            _anonymise_inquiry(session, i, now)
        consents = consents_of(session, email)
        for c in consents:
            c.email = texts.anonymised_email(f"c{c.id}")
            c.address_hash = None
        messages = session.scalars(
            sa.select(OutboxMessage).where(_by_email(OutboxMessage.to, email))
        ).all()
        for m in messages:
            m.to = texts.anonymised_email(f"m{m.id}")
            m.text_body = texts.ANONYMISED
            m.html_body = None
            m.attachments = []
        requests = session.scalars(
            sa.select(PrivacyRequest).where(_by_email(PrivacyRequest.email, email))
        ).all()
        for r in requests:
            r.email = texts.anonymised_email(f"r{r.id}")
            if r.details:
                r.details = texts.ANONYMISED
            r.erased_at = now
        subscribers = session.scalars(
            sa.select(Subscriber).where(Subscriber.email_key == needle)
        ).all()
        for s in subscribers:
            _anonymise_subscriber(s, now)
        session.flush()
        found = _scrub_everywhere(session, [needle], PEOPLE_TABLES, everywhere=True)
        long_names = sorted(
            {n for n in names if n and n != texts.ANONYMISED and len(n) >= SHORTEST_NAME},
            key=len,
            reverse=True,
        )
        found += _scrub_everywhere(session, long_names, PEOPLE_TABLES, everywhere=False)
        counts = {
            "bookings": len(bookings),
            "ledger_entries": len(entries),
            "inquiries": len(inquiries),
            "consents": len(consents),
            "messages": len(messages),
            "newsletter": len(subscribers),
            "other_rows": found,
        }
        target = request if request is not None else user
        record(session, user, "privacy.erase", target, None, counts)
        return counts


def _anonymise_subscriber(subscriber, now):
    """Her row stays, so the figures of the issues she was sent stay right; nothing in it
    names her, and an address that can never receive mail is mailed nothing."""
    subscriber.email = subscriber.email_key = texts.anonymised_email(f"n{subscriber.id}")
    if subscriber.status != UNSUBSCRIBED:
        subscriber.status = UNSUBSCRIBED
        subscriber.unsubscribed_at = now
    subscriber.source = ""
    subscriber.confirm_token_hash = None
    subscriber.confirm_expires_at = None
    subscriber.consent_text = ""
    subscriber.address_hash = None
    subscriber.bounce_detail = ""
    subscriber.updated_at = now
    if subscriber.consent is not None and subscriber.consent.withdrawn_at is None:
        subscriber.consent.withdrawn_at = now


def _anonymise_inquiry(session, inquiry, now):
    inquiry.name = texts.ANONYMISED
    inquiry.email = texts.anonymised_email(f"i{inquiry.id}")
    inquiry.organisation = texts.ANONYMISED
    inquiry.city = "" if inquiry.online else texts.ANONYMISED
    inquiry.message = texts.ANONYMISED
    for message in inquiry.messages:
        message.body = texts.ANONYMISED


def _is_text(column):
    return isinstance(column.type, sa.String | sa.JSON)


def _replace(value, needles):
    if isinstance(value, str):
        for needle in needles:
            value = re.sub(re.escape(needle), texts.ANONYMISED, value, flags=re.IGNORECASE)
        return value
    if isinstance(value, list):
        return [_replace(item, needles) for item in value]
    if isinstance(value, dict):
        return {key: _replace(item, needles) for key, item in value.items()}
    return value


def _contains(value, needles):
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    text = text.lower()
    return any(needle.lower() in text for needle in needles)


def _scrub_everywhere(session, needles, people_tables, *, everywhere):
    """Replace each needle in every text and JSON column of the tables; rows changed."""
    if not needles:
        return 0
    changed = 0
    for table in db.metadata.sorted_tables:
        if table.name in UNTOUCHED_TABLES:
            continue
        if not everywhere and table.name not in people_tables:
            continue
        columns = [column for column in table.columns if _is_text(column)]
        if not columns:
            continue
        keys = list(table.primary_key.columns)
        for column in columns:
            if isinstance(column.type, sa.JSON):
                where = column.is_not(None)
            else:
                where = sa.or_(
                    *(sa.func.lower(column).contains(n.lower(), autoescape=True) for n in needles),
                    *(column.contains(n, autoescape=True) for n in needles),
                )
            for row in session.execute(sa.select(*keys, column).where(where)).all():
                value = row[-1]
                if not _contains(value, needles):
                    continue
                new = _replace(value, needles)
                length = getattr(column.type, "length", None)
                if isinstance(new, str) and length:
                    new = new[:length]
                match = [key == row[index] for index, key in enumerate(keys)]
                session.execute(table.update().where(*match).values({column.name: new}))
                changed += 1
    return changed


# ----------------------------------------------------------------------------- retention


def apply_retention(session, settings, now):
    """Anonymise what is past its retention period; the ledger and its receipts stay.

    Speaking inquiries untouched for `inquiry_retention_days`, the intake answers of
    sessions that ended `intake_retention_days` ago, and the bodies of messages written
    `outbox_retention_days` ago (once sent or failed); newsletter sign-ups never confirmed
    within UNCONFIRMED_SIGN_UP_LIFETIME are deleted. Returns the counts.
    """
    with write(session):
        inquiries = session.scalars(
            sa.select(SpeakingInquiry).where(
                SpeakingInquiry.updated_at < now - timedelta(days=settings.inquiry_retention_days),
                SpeakingInquiry.email.not_like(f"%@{texts.ANONYMISED_DOMAIN}"),
            )
        ).all()
        for inquiry in inquiries:
            _anonymise_inquiry(session, inquiry, now)
        bookings = session.scalars(
            sa.select(Booking).where(
                Booking.ends_at < now - timedelta(days=settings.intake_retention_days),
                sa.or_(
                    Booking.intake_goal != "",
                    Booking.client_phone != "",
                    Booking.organisation != "",
                    Booking.organisation_size != "",
                ),
            )
        ).all()
        for booking in bookings:
            booking.intake_goal = ""
            booking.client_phone = ""
            booking.organisation = ""
            booking.organisation_size = ""
        messages = session.scalars(
            sa.select(OutboxMessage).where(
                OutboxMessage.created_at < now - timedelta(days=settings.outbox_retention_days),
                OutboxMessage.status.in_(("sent", "failed")),
                OutboxMessage.text_body != texts.ANONYMISED,
            )
        ).all()
        for message in messages:
            message.text_body = texts.ANONYMISED
            message.html_body = None
            message.attachments = []
        sign_ups = _forget_unconfirmed_sign_ups(session, now)
        counts = {
            "inquiries": len(inquiries),
            "intake_answers": len(bookings),
            "messages": len(messages),
            "sign_ups": sign_ups,
        }
        if any(counts.values()):
            record(session, None, "privacy.retention", "retention", None, counts)
        return counts


def _forget_unconfirmed_sign_ups(session, now):
    """Newsletter sign-ups left unconfirmed for UNCONFIRMED_SIGN_UP_LIFETIME: deleted when
    never confirmed; one who had confirmed before, left and signed up again without
    confirming stays as she was, unsubscribed. Returns how many."""
    stale = session.scalars(
        sa.select(Subscriber).where(
            Subscriber.status == SIGNED_UP,
            Subscriber.updated_at < now - UNCONFIRMED_SIGN_UP_LIFETIME,
        )
    ).all()
    for subscriber in stale:
        if subscriber.confirmed_at is None:
            session.delete(subscriber)
        else:
            subscriber.status = UNSUBSCRIBED
            subscriber.confirm_token_hash = None
            subscriber.confirm_expires_at = None
            subscriber.updated_at = now
    return len(stale)


# ----------------------------------------------------------------------------- incidents


def create_incident(session, user, now, **fields):
    """Enter a confidentiality incident in the register."""
    with write(session):
        incident = PrivacyIncident(
            created_by_id=getattr(user, "id", None), created_at=now, **fields
        )
        session.add(incident)
        session.flush()
        record(session, user, "privacy.incident", incident, None, {"title": incident.title})
        return incident
