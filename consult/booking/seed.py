"""Demo availability and offers: weekday hours in Montréal and the three sessions."""

from datetime import time

import sqlalchemy as sa

from .models import AvailabilityRules, Offer, WeeklyHours

#: Mon-Fri, 9:00-12:00 and 13:00-17:00 local time.
DEMO_HOURS = [
    (weekday, start, end)
    for weekday in range(5)
    for start, end in ((time(9), time(12)), (time(13), time(17)))
]

DEMO_OFFERS = [
    {
        "slug": "diagnostic",
        "slug_en": "diagnostic",
        "title_fr": "Diagnostic express",
        "title_en": "Quick diagnostic",
        "description_fr": (
            "Trente minutes pour faire le point sur vos réseaux sociaux et repartir avec "
            "les trois chantiers à ouvrir en premier."
        ),
        "description_en": (
            "Thirty minutes to take stock of your social media and leave with the three "
            "things to tackle first."
        ),
        "duration_minutes": 30,
        "price_cents": 15000,
        "position": 1,
    },
    {
        "slug": "strategie-medias-sociaux",
        "slug_en": "social-media-strategy",
        "title_fr": "Sous-traiter vos médias sociaux?",
        "title_en": "Outsource your social media?",
        "description_fr": (
            "Une heure pour décider, chiffres à l'appui, si vous confiez vos médias sociaux "
            "à une agence, à un pigiste ou à votre équipe, et à quelles conditions."
        ),
        "description_en": (
            "One hour to decide, with numbers in hand, whether an agency, a freelancer or "
            "your own team should run your social media, and on what terms."
        ),
        "duration_minutes": 60,
        "price_cents": 25000,
        "flagship": True,
        "position": 2,
    },
    {
        "slug": "atelier-equipe",
        "slug_en": "team-workshop",
        "title_fr": "Atelier d'équipe",
        "title_en": "Team workshop",
        "description_fr": (
            "Deux heures avec votre équipe pour bâtir une ligne éditoriale et un calendrier "
            "de publication que vous tiendrez vraiment."
        ),
        "description_en": (
            "Two hours with your team to build an editorial line and a publishing calendar "
            "you will actually keep."
        ),
        "duration_minutes": 120,
        "price_cents": 90000,
        "position": 3,
    },
]


def seed(session, now):
    if session.scalar(sa.select(AvailabilityRules.id).limit(1)) is None:
        session.add(AvailabilityRules(updated_at=now))
    if session.scalar(sa.select(WeeklyHours.id).limit(1)) is None:
        session.add_all(
            WeeklyHours(weekday=weekday, start_time=start, end_time=end)
            for weekday, start, end in DEMO_HOURS
        )
    for fields in DEMO_OFFERS:
        if session.scalar(sa.select(Offer.id).where(Offer.slug == fields["slug"])) is None:
            session.add(Offer(**fields))
    session.flush()
