"""The dashboard's pictures, figure by figure, against what the database holds: revenue by
month before taxes and net of refunds, sessions by offer, no-show and cancellation rates,
and the page each booking came from."""

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from consult.admin import figures
from consult.admin.charts import bar_rows, column_chart, nice_ceiling
from consult.admin.localtime import zone
from consult.content.models import Article
from consult.extensions import db, utcnow
from tests.factories import make_booking, make_offer, make_payment, make_refund, montreal

MONTREAL = zone("America/Montreal")
#: The dashboard's "now": mid-June 2027 in Montréal.
NOW = montreal(2027, 6, 15, 12)


def period():
    return figures.last_months(NOW, MONTREAL)


def test_the_twelve_months_end_with_the_current_one_in_her_zone():
    span = period()
    assert span.months[0] == date(2026, 7, 1) and span.months[-1] == date(2027, 6, 1)
    assert len(span.months) == 12
    assert span.start == datetime(2026, 7, 1, 4, tzinfo=UTC)  # midnight EDT
    assert span.end == datetime(2027, 7, 1, 4, tzinfo=UTC)


def test_revenue_by_month_is_before_taxes_less_refunds_in_her_months(app):
    with app.app_context():
        booking = make_booking(db.session, starts_at=montreal(2027, 3, 10, 10))
        # 250,00 $ before taxes, paid on 28 February at 22:00 in Montréal (1 March in UTC).
        late_february = make_payment(
            db.session, booking, montreal(2027, 2, 28, 22), method="interac"
        )
        # Half of it back in March: the credit note is negative, before taxes too.
        make_refund(db.session, late_february, montreal(2027, 3, 2, 9), total_cents=14372)
        other = make_booking(db.session, starts_at=montreal(2027, 6, 1, 10))
        make_payment(db.session, other, montreal(2027, 6, 1, 9), subtotal_cents=10_000)
        # Thirteen months ago: out of the picture.
        old = make_booking(db.session, starts_at=montreal(2026, 5, 20, 10))
        make_payment(db.session, old, montreal(2026, 5, 20, 9))
        db.session.commit()
        months = {
            row.month: row.subtotal_cents
            for row in figures.revenue_by_month(db.session, period(), MONTREAL, "CAD")
        }
    assert len(months) == 12
    assert months[date(2027, 2, 1)] == 25_000
    assert months[date(2027, 3, 1)] == -12_500
    assert months[date(2027, 6, 1)] == 10_000
    assert sum(months.values()) == 22_500
    assert date(2026, 5, 1) not in months


def test_a_fully_refunded_month_nets_to_zero(app):
    with app.app_context():
        booking = make_booking(db.session, starts_at=montreal(2027, 4, 10, 10))
        payment = make_payment(db.session, booking, montreal(2027, 4, 1, 10))
        make_refund(db.session, payment, montreal(2027, 4, 3, 10))
        db.session.commit()
        april = figures.revenue_by_month(db.session, period(), MONTREAL, "CAD")[9]
    assert april.month == date(2027, 4, 1) and april.subtotal_cents == 0


def test_sessions_by_offer_count_held_and_booked_sessions_not_cancellations(app):
    with app.app_context():
        flagship = make_offer(db.session, title_fr="Séance phare", title_en="Flagship session")
        short = make_offer(db.session, title_fr="Court appel", title_en="Short call")
        for day, status in ((1, "completed"), (2, "no_show"), (3, "confirmed"), (4, "cancelled")):
            make_booking(db.session, flagship, montreal(2027, 5, day, 10), status=status)
        make_booking(db.session, short, montreal(2027, 5, 8, 10), status="completed")
        make_booking(db.session, short, montreal(2025, 5, 8, 10), status="completed")  # too old
        db.session.commit()
        french = figures.sessions_by_offer(db.session, period(), "fr")
        english = figures.sessions_by_offer(db.session, period(), "en")
    assert [(row.title, row.sessions) for row in french] == [
        ("Séance phare", 3),
        ("Court appel", 1),
    ]
    assert english[0].title == "Flagship session"


def test_no_show_and_cancellation_rates(app):
    with app.app_context():
        offer = make_offer(db.session)
        past = [("completed", 1), ("completed", 2), ("completed", 3), ("no_show", 4)]
        for status, day in past:
            make_booking(db.session, offer, montreal(2027, 5, day, 10), status=status)
        # Still to come this month: a booking made, not yet a session that took place.
        make_booking(db.session, offer, montreal(2027, 6, 20, 10), status="confirmed")
        for day in (5, 6):
            make_booking(db.session, offer, montreal(2027, 5, day, 10), status="cancelled")
        make_booking(db.session, offer, montreal(2027, 5, 7, 10), status="expired")  # never made
        db.session.commit()
        rates = figures.attendance(db.session, period(), NOW)
    assert (rates.past_sessions, rates.no_shows) == (4, 1)
    assert (rates.bookings, rates.cancellations) == (7, 2)
    assert rates.no_show_rate == 0.25
    assert round(rates.cancellation_rate, 4) == round(2 / 7, 4)


def test_no_bookings_means_zero_rates_not_a_division_by_zero(app):
    with app.app_context():
        rates = figures.attendance(db.session, period(), NOW)
    assert (rates.no_show_rate, rates.cancellation_rate) == (0.0, 0.0)


def add_article(lang, slug, title):
    db.session.add(
        Article(
            lang=lang,
            slug=slug,
            title=title,
            summary="Résumé",
            body_md="Texte",
            body_html="<p>Texte</p>",
            status="published",
            published_at=montreal(2027, 1, 5, 9),
        )
    )


def test_bookings_by_source_name_the_article_and_count_the_unknown(app):
    with app.app_context():
        add_article("fr", "faut-il-externaliser", "Faut-il externaliser vos réseaux ?")
        offer = make_offer(db.session)
        made = montreal(2027, 5, 1, 10)
        sources = [
            "/fr/articles/faut-il-externaliser",
            "/fr/articles/faut-il-externaliser",
            "/fr/articles/faut-il-externaliser",
            "/en/speaker/",
            "",
            "",
            "/fr/articles/gone",
        ]
        for day, path in enumerate(sources, start=1):
            make_booking(
                db.session, offer, montreal(2027, 6, day, 10), came_from=path, created_at=made
            )
        make_booking(  # a hold that expired never became a booking
            db.session,
            offer,
            montreal(2027, 6, 20, 10),
            status="expired",
            came_from="/en/speaker/",
            created_at=made,
        )
        db.session.commit()
        rows = figures.bookings_by_source(db.session, period())
    assert [(row.path, row.title, row.bookings) for row in rows] == [
        ("/fr/articles/faut-il-externaliser", "Faut-il externaliser vos réseaux ?", 3),
        ("", "", 2),
        ("/en/speaker/", "", 1),
        ("/fr/articles/gone", "", 1),
    ]


def test_the_dashboard_shows_each_picture_with_its_figures_in_a_table(app, client, auth):
    now = utcnow()
    with app.app_context():
        add_article("en", "brand-voice", "Finding your brand voice")
        offer = make_offer(db.session, title_en="Strategy session")
        booking = make_booking(
            db.session,
            offer,
            now - timedelta(days=2),
            status="completed",
            came_from="/en/articles/brand-voice",
            created_at=now - timedelta(days=3),
            now=now,
        )
        make_payment(db.session, booking, now - timedelta(days=3), subtotal_cents=25_000)
        make_booking(
            db.session,
            offer,
            now - timedelta(days=1),
            status="no_show",
            created_at=now - timedelta(days=3),
            now=now,
        )
        db.session.commit()
    auth.login()
    response = client.get("/en/admin/")
    page = response.text
    assert response.status_code == 200
    assert page.count('role="img"') == 1  # the revenue columns; bars are decoration
    assert "style=" not in page.split("<body")[1]  # the CSP forbids inline styles
    for table in ("revenue-table", "offers-table", "rates-table", "sources-table"):
        assert f'id="{table}"' in page
    revenue = page.split('id="revenue-table"')[1].split("</table>")[0]
    assert "$250.00" in revenue
    offers = page.split('id="offers-table"')[1].split("</table>")[0]
    assert "Strategy session" in offers and '<td class="num">2</td>' in offers
    rates = page.split('id="rates-table"')[1].split("</table>")[0]
    assert "50%" in rates
    sources = page.split('id="sources-table"')[1].split("</table>")[0]
    assert "Finding your brand voice" in sources and "/en/articles/brand-voice" in sources
    assert "Direct or unknown" in sources


def test_columns_rise_from_the_baseline_and_refunds_go_below_it():
    chart = column_chart([("Jan", 10_000), ("Feb", -2_500), ("Mar", 0)], height=240)
    assert [tick.value for tick in chart.ticks][0] < 0
    jan, feb, mar = chart.bars
    assert jan.y + jan.height == chart.baseline
    assert feb.y == chart.baseline and feb.height > 0
    assert mar.height == 0
    assert jan.height == 4 * feb.height


def test_axes_count_in_nice_steps_and_bars_in_shares_of_the_scale():
    assert [nice_ceiling(v) for v in (0, 7, 12, 180, 2600, 25_000)] == [
        1,
        10,
        20,
        200,
        5000,
        25_000,
    ]
    rows = bar_rows([("A", 3), ("B", 1)])
    assert [(row.label, row.length) for row in rows] == [("A", 60.0), ("B", 20.0)]
    assert bar_rows([("No-shows", 25.0)], scale_max=100)[0].length == 25.0


def test_nothing_in_the_ledger_still_draws_twelve_empty_months(app, client, auth):
    auth.login()
    page = client.get("/en/admin/").text
    revenue = page.split('id="revenue-table"')[1].split("</table>")[0]
    assert revenue.count("$0.00") == 13  # twelve months and their total
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == 0
