"""Her business in figures, for the dashboard's charts: read from the ledger and the bookings.

Each function takes the session, the span and what it needs to know (her zone, her
currency, the reader's language), and returns plain rows; the view turns them into charts.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from ..booking.models import CANCELLED, COMPLETED, CONFIRMED, NO_SHOW, Booking, Offer
from ..content.models import Article
from ..payments.models import LedgerEntry
from .localtime import add_months, first_of_month, local_today, start_of_day

#: Sessions that took or will take place; with CANCELLED, the bookings that were made.
SESSIONS = (CONFIRMED, COMPLETED, NO_SHOW)
MADE = (*SESSIONS, CANCELLED)


@dataclass(frozen=True)
class Period:
    """The last `months` months in her zone, the current one included: [start, end) in UTC."""

    months: tuple  # first day of each month, oldest first
    start: object
    end: object


@dataclass(frozen=True)
class MonthRevenue:
    month: date
    #: Before taxes, payments less refunds (refunds are negative rows).
    subtotal_cents: int


@dataclass(frozen=True)
class OfferSessions:
    offer_id: int
    title: str
    sessions: int


@dataclass(frozen=True)
class Rates:
    #: Sessions whose time has come (confirmed, completed or no-show), and the no-shows.
    past_sessions: int
    no_shows: int
    #: Bookings made (sessions and cancellations), and the cancellations.
    bookings: int
    cancellations: int

    @property
    def no_show_rate(self):
        return self.no_shows / self.past_sessions if self.past_sessions else 0.0

    @property
    def cancellation_rate(self):
        return self.cancellations / self.bookings if self.bookings else 0.0


@dataclass(frozen=True)
class Source:
    #: The site path, "" when nobody knows (a direct visit, an old booking).
    path: str
    #: The article's title when the path is one of her articles, else "".
    title: str
    bookings: int


def last_months(now, zone, months=12):
    """The Period of the last `months` months in `zone`, the current month included."""
    current = first_of_month(local_today(now, zone))
    firsts = tuple(add_months(current, offset) for offset in range(1 - months, 1))
    return Period(
        months=firsts,
        start=start_of_day(firsts[0], zone),
        end=start_of_day(add_months(current, 1), zone),
    )


def revenue_by_month(session, period, zone, currency):
    """Each month's payments less refunds before taxes, in `currency`, in her zone's months."""
    rows = session.execute(
        sa.select(LedgerEntry.occurred_at, LedgerEntry.subtotal_cents).where(
            LedgerEntry.occurred_at >= period.start,
            LedgerEntry.occurred_at < period.end,
            LedgerEntry.currency == currency,
        )
    )
    totals = Counter()
    for occurred_at, subtotal_cents in rows:
        totals[first_of_month(occurred_at.astimezone(zone).date())] += subtotal_cents
    return [MonthRevenue(month, totals[month]) for month in period.months]


def sessions_by_offer(session, period, lang):
    """Sessions (confirmed, completed, no-show) starting in the period, per offer, most first."""
    count = sa.func.count(Booking.id)
    rows = session.execute(
        sa.select(Offer.id, Offer.title_fr, Offer.title_en, count)
        .join(Booking, Booking.offer_id == Offer.id)
        .where(
            Booking.status.in_(SESSIONS),
            Booking.starts_at >= period.start,
            Booking.starts_at < period.end,
        )
        .group_by(Offer.id, Offer.title_fr, Offer.title_en)
        .order_by(count.desc(), Offer.id)
    )
    return [
        OfferSessions(offer_id, title_fr if lang == "fr" else title_en, sessions)
        for offer_id, title_fr, title_en, sessions in rows
    ]


def attendance(session, period, now):
    """No-shows among the sessions whose time has come; cancellations among bookings made.

    Both count by the session's time in the period (a session still to come this month is a
    booking made, not yet a session that took place).
    """
    rows = dict(
        session.execute(
            sa.select(Booking.status, sa.func.count(Booking.id))
            .where(
                Booking.status.in_(MADE),
                Booking.starts_at >= period.start,
                Booking.starts_at < period.end,
            )
            .group_by(Booking.status)
        ).all()
    )
    past = session.scalar(
        sa.select(sa.func.count(Booking.id)).where(
            Booking.status.in_(SESSIONS),
            Booking.starts_at >= period.start,
            Booking.starts_at < min(period.end, now),
        )
    )
    return Rates(
        past_sessions=past,
        no_shows=rows.get(NO_SHOW, 0),
        bookings=sum(rows.values()),
        cancellations=rows.get(CANCELLED, 0),
    )


def article_path(path):
    """(lang, slug) when `path` is an article's page ("/fr/articles/x"), else None."""
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[0] in ("fr", "en") and parts[1] == "articles" and parts[2]:
        return parts[0], parts[2]
    return None


def bookings_by_source(session, period):
    """Bookings made in the period (by when they were made) per page they came from, most
    first; an article's path carries its title."""
    count = sa.func.count(Booking.id)
    rows = session.execute(
        sa.select(Booking.came_from, count)
        .where(
            Booking.status.in_(MADE),
            Booking.created_at >= period.start,
            Booking.created_at < period.end,
        )
        .group_by(Booking.came_from)
        .order_by(count.desc(), Booking.came_from)
    ).all()
    wanted = {article_path(path) for path, _count in rows} - {None}
    titles = {}
    if wanted:
        articles = session.execute(
            sa.select(Article.lang, Article.slug, Article.title).where(
                sa.tuple_(Article.lang, Article.slug).in_(sorted(wanted))
            )
        )
        titles = {(lang, slug): title for lang, slug, title in articles}
    return [
        Source(path or "", titles.get(article_path(path or ""), ""), bookings)
        for path, bookings in rows
    ]
