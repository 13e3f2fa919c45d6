"""Her readers on the desk: the list and its search, the CSV export, the import of addresses
she already has consent for, and the bounces and complaints her mail server reports."""

import csv
import io
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from ..accounting.ledger import formula_safe
from ..audit import record
from ..database import write
from ..privacy.models import COMMERCIAL, ConsentRecord
from ..privacy.service import record_consent, withdraw_consent
from . import links
from .bounces import COMPLAINT
from .models import ACTIVE, BOUNCED, EMAIL_LANGS, PENDING, Subscriber
from .service import start_confirmation

PER_PAGE = 50
#: Control characters (C0 but tab, DEL, C1) and the Unicode line separators.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
#: A header naming the columns, in either language.
_EMAIL_HEADERS = {"email", "e-mail", "courriel", "adresse", "address"}
_LANG_HEADERS = {"lang", "language", "langue"}
_SOURCE_HEADERS = {"source", "consent", "consentement", "date", "when", "quand"}
IMPORT_MAX_ROWS = 20_000


# ----------------------------------------------------------------------------- the list


def search(session, query="", status="", page=1):
    """(subscribers on the page, whether there is a next one), newest first."""
    statement = sa.select(Subscriber)
    if query:
        statement = statement.where(Subscriber.email_key.contains(query.strip().lower()))
    if status:
        statement = statement.where(Subscriber.status == status)
    rows = session.scalars(
        statement.order_by(Subscriber.created_at.desc(), Subscriber.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    ).all()
    return rows[:PER_PAGE], len(rows) > PER_PAGE


def counts(session):
    """How many readers in each status."""
    found = dict(
        session.execute(
            sa.select(Subscriber.status, sa.func.count()).group_by(Subscriber.status)
        ).all()
    )
    return {status: found.get(status, 0) for status in (PENDING, ACTIVE, "unsubscribed", BOUNCED)}


# ----------------------------------------------------------------------------- export

EXPORT_COLUMNS = (
    "email",
    "status",
    "lang",
    "source",
    "created_at",
    "confirmed_at",
    "unsubscribed_at",
    "bounced_at",
    "bounce_kind",
    "consent_given_at",
    "consent_form",
    "consent_lang",
    "consent_text",
)


def cell(value):
    """A value a spreadsheet shows as text, never runs as a formula."""
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return formula_safe(text)


def export_lines(session, chunk=1000):
    """The CSV, a header row then one line per reader, streamed by id (plain rows, so the
    session holds none of them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    columns = [getattr(Subscriber, name) for name in EXPORT_COLUMNS[:9]] + [
        ConsentRecord.given_at,
        ConsentRecord.form,
        ConsentRecord.lang,
        ConsentRecord.text,
    ]
    writer.writerow(EXPORT_COLUMNS)
    yield flush()
    last = 0
    while True:
        rows = session.execute(
            sa.select(Subscriber.id, *columns)
            .outerjoin(ConsentRecord, ConsentRecord.id == Subscriber.consent_id)
            .where(Subscriber.id > last)
            .order_by(Subscriber.id)
            .limit(chunk)
        ).all()
        if not rows:
            return
        for row in rows:
            writer.writerow([cell(value) for value in row[1:]])
        last = rows[-1][0]
        yield flush()


# ----------------------------------------------------------------------------- import

#: Why a row was not imported (the desk words each in her language).
BAD_EMAIL, BAD_LANG, DUPLICATE, CONTROL, EXISTS, LEFT, TOO_MANY = (
    "bad_email",
    "bad_lang",
    "duplicate",
    "control",
    "exists",
    "left",
    "too_many",
)


@dataclass
class Imported:
    added: int = 0
    #: (line number, reason, the address as written), in the file's order.
    refused: list = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    line: int
    email: str
    lang: str
    source: str


def _columns(first):
    """(email, lang, source) column indexes, and whether `first` is a header row."""
    names = [name.strip().lower() for name in first]
    if not any(name in _EMAIL_HEADERS for name in names):
        return (0, 1, 2), False

    def find(wanted):
        return next((i for i, name in enumerate(names) if name in wanted), None)

    return (find(_EMAIL_HEADERS), find(_LANG_HEADERS), find(_SOURCE_HEADERS)), True


def _read(text, default_lang, refused):
    reader = csv.reader(io.StringIO(text))
    rows, header = [], None
    for number, values in enumerate(reader, start=1):
        if number > IMPORT_MAX_ROWS:
            refused.append((reader.line_num, TOO_MANY, ""))
            break
        if not any(value.strip() for value in values):
            continue
        if header is None:
            header, is_header = _columns(values)
            if is_header:
                continue

        def value(index, values=values):
            return values[index].strip() if index is not None and index < len(values) else ""

        address, lang, source = value(header[0]), value(header[1]).lower(), value(header[2])
        if _CONTROL.search(address + lang + source):
            refused.append((reader.line_num, CONTROL, _CONTROL.sub(" ", address)))
            continue
        lang = lang or default_lang
        if lang not in EMAIL_LANGS:
            refused.append((reader.line_num, BAD_LANG, address))
            continue
        try:
            address = validate_email(address, check_deliverability=False).normalized
        except EmailNotValidError:
            refused.append((reader.line_num, BAD_EMAIL, address))
            continue
        rows.append(_Row(reader.line_num, address, lang, source[:200]))
    return rows


def import_csv(session, text, *, stated_source, default_lang, ask_to_confirm, now, by=None):
    """Add the file's readers with the consent she states; returns an Imported.

    Each row records a commercial consent (her words, plus the row's own date or source),
    and is active at once, or pending with the reader side's confirmation email sent when
    she asks each to confirm. A bad row is listed with its line
    and never blocks the others; an address already known is left as it is (an
    unsubscribed or bounced one is never brought back).
    """
    outcome = Imported()
    rows = _read(text, default_lang, outcome.refused)
    seen, fresh = set(), []
    for row in rows:
        key = row.email.lower()
        if key in seen:
            outcome.refused.append((row.line, DUPLICATE, row.email))
            continue
        seen.add(key)
        fresh.append(row)
    known = {}
    keys = [row.email.lower() for row in fresh]
    for offset in range(0, len(keys), 500):
        known.update(
            session.execute(
                sa.select(Subscriber.email_key, Subscriber.status).where(
                    Subscriber.email_key.in_(keys[offset : offset + 500])
                )
            ).all()
        )
    with write(session):
        for row in fresh:
            status = known.get(row.email.lower())
            if status is not None:
                reason = EXISTS if status in (ACTIVE, PENDING) else LEFT
                outcome.refused.append((row.line, reason, row.email))
                continue
            words = stated_source.strip()
            if row.source:
                words = f"{words} ({row.source})"
            consent = record_consent(
                session,
                kind=COMMERCIAL,
                email=row.email,
                text=words,
                lang="en" if row.lang == "en" else "fr",
                form="newsletter.import",
                now=now,
            )
            subscriber = Subscriber(
                email=row.email,
                email_key=row.email.lower(),
                lang=row.lang,
                status=PENDING if ask_to_confirm else ACTIVE,
                source=f"import: {words}"[:200],
                consent=consent,
                confirmed_at=None if ask_to_confirm else now,
                created_at=now,
                updated_at=now,
                notices_today=0,
            )
            session.add(subscriber)
            if ask_to_confirm:
                session.flush()
                start_confirmation(session, subscriber, now)
            outcome.added += 1
        record(
            session,
            by,
            "newsletter.import",
            "import",
            None,
            {
                "added": outcome.added,
                "refused": len(outcome.refused),
                "source": stated_source.strip()[:200],
                "confirmations": bool(ask_to_confirm),
            },
        )
    outcome.refused.sort()
    return outcome


# ----------------------------------------------------------------------------- bounces


@dataclass
class Marked:
    bounced: int = 0
    complaints: int = 0
    unknown: list = field(default_factory=list)


def _reader_of(session, report):
    for token in report.tokens:
        subscriber_id = links.subscriber_id_of(token)
        if subscriber_id is not None:
            found = session.get(Subscriber, subscriber_id)
            if found is not None:
                return found
    if report.address:
        return session.scalar(
            sa.select(Subscriber).where(Subscriber.email_key == report.address.lower())
        )
    return None


def mark_reported(session, reports, now, *, by=None):
    """Mark bounced each reader a report names; a complaint also withdraws her consent.
    Returns a Marked (unknown: the reports naming nobody we know)."""
    marked = Marked()
    with write(session) as tx:
        for report in reports:
            subscriber = _reader_of(session, report)
            if subscriber is None:
                marked.unknown.append(report.address or "?")
                continue
            tx.lock(subscriber)
            complaint = report.kind == COMPLAINT
            if subscriber.status != BOUNCED or (complaint and subscriber.bounce_kind != COMPLAINT):
                subscriber.status = BOUNCED
                subscriber.bounced_at = now
                subscriber.bounce_kind = report.kind
                subscriber.bounce_detail = report.detail[:2000]
                subscriber.updated_at = now
            if complaint:
                marked.complaints += 1
                if subscriber.consent is not None:
                    withdraw_consent(session, by, subscriber.consent, now)
            else:
                marked.bounced += 1
    return marked
