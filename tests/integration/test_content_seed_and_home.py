"""Demo content and the home page built from it."""

import sqlalchemy as sa

from consult.booking.models import Offer
from consult.content import models
from consult.content.seed import seed
from consult.extensions import db, utcnow


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_seed_is_idempotent_and_links_translations(app):
    with app.app_context():
        seed(db.session, utcnow())
        db.session.commit()
        seed(db.session, utcnow())
        db.session.commit()
        assert count(models.Article) == 6
        assert count(models.Profile) == 2
        assert count(models.Talk) == 3
        assert count(models.Testimonial) == 3
        assert count(models.Upload) == 1
        assert {offer.slug: offer.flagship for offer in db.session.scalars(sa.select(Offer))} == {
            "diagnostic": False,
            "strategie-medias-sociaux": True,
            "atelier-equipe": False,
        }
        articles = db.session.scalars(sa.select(models.Article)).all()
        assert {a.lang for a in articles} == {"fr", "en"}
        linked = [a for a in articles if a.translation is not None]
        assert len(linked) == 4
        assert all(a.translation.translation is a for a in linked)
        assert all(a.translation.lang != a.lang for a in linked)


def test_seed_leaves_existing_offers_alone(app):
    with app.app_context():
        db.session.add(
            Offer(slug="diagnostic", title_fr="Mien", title_en="Mine", duration_minutes=45,
                  price_cents=1)
        )  # fmt: skip
        db.session.commit()
        seed(db.session, utcnow())
        db.session.commit()
        mine = db.session.scalar(sa.select(Offer).where(Offer.slug == "diagnostic"))
        assert (mine.title_fr, mine.price_cents) == ("Mien", 1)
        assert count(Offer) == 3


def test_home_page_shows_who_she_is_the_flagship_offer_articles_and_talks(app, client):
    with app.app_context():
        seed(db.session, utcnow())
        db.session.commit()
    page = client.get("/").text
    assert "Consultante et conférencière à Montréal" in page
    assert "Sous-traiter vos médias sociaux?" in page
    assert "250,00" in page and "taxes applicables en sus (TPS et TVQ)" in page
    # The link says which page led there (the dashboard counts bookings by it).
    assert page.count('href="/fr/book/strategie-medias-sociaux?from=/"') == 1
    assert "Derniers articles" in page and "/fr/articles/" in page
    assert "Sommet du marketing numérique" not in page  # a past talk
    assert "Rendez-vous des OBNL" in page  # an upcoming one

    english = client.get("/en/").text
    assert "Outsource your social media?" in english
    assert "$250.00" in english and "plus applicable taxes (GST and QST)" in english
    # Each language has its own address name for the offer.
    assert 'href="/en/book/social-media-strategy?from=/en/"' in english


def test_seed_demo_command_adds_the_content(app, runner):
    result = runner.invoke(args=["consult", "seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert count(models.Article) == 6
