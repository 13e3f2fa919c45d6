"""Demo content: articles in French and English, a bio, talks, testimonials, the three offers."""

import io
import struct
import zlib
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from ..booking.models import Offer
from . import service
from .models import PUBLISHED, Article, Profile, Talk, Testimonial
from .text import render_markdown

OFFERS = [
    {
        "slug": "diagnostic",
        "slug_en": "diagnostic",
        "title_fr": "Diagnostic express",
        "title_en": "Quick diagnosis",
        "description_fr": "Une demi-heure pour faire le point sur votre présence en ligne.",
        "description_en": "Half an hour to take stock of your online presence.",
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
            "Une heure pour décider ce que vous gardez à l’interne, ce que vous confiez "
            "à l’externe, et comment garder votre voix."
        ),
        "description_en": (
            "One hour to decide what stays in-house, what you hand off, and how to keep "
            "your own voice."
        ),
        "duration_minutes": 60,
        "price_cents": 25000,
        "flagship": True,
        "position": 0,
    },
    {
        "slug": "atelier-equipe",
        "slug_en": "team-workshop",
        "title_fr": "Atelier d’équipe",
        "title_en": "Team workshop",
        "description_fr": "Deux heures avec votre équipe pour bâtir votre ligne éditoriale.",
        "description_en": "Two hours with your team to build your editorial line.",
        "duration_minutes": 120,
        "price_cents": 90000,
        "position": 2,
    },
]

#: (key, lang, slug, title, summary, tags, days ago, body); articles sharing a key are
#: each other's translation.
ARTICLES = [
    (
        "outsourcing", "fr", "sous-traiter-medias-sociaux-ce-qu-on-garde",
        "Sous-traiter vos médias sociaux : ce qu’on confie, ce qu’on garde",
        "Confier la gestion de vos comptes à une agence peut faire gagner du temps. "
        "Mais certaines choses ne se délèguent pas, et c’est souvent là que tout se joue.",
        "médias sociaux, sous-traitance, stratégie", 40,
        """On me pose la question presque chaque semaine : « Est-ce qu’on peut simplement
confier nos médias sociaux à quelqu’un d’autre? » La réponse honnête, c’est : en partie.

## Ce qui se délègue bien

La production se délègue très bien. Le montage vidéo, la mise en page des visuels, la
programmation des publications, le suivi des statistiques : une bonne agence fait ça
mieux et plus vite que la plupart des équipes internes.

## Ce qui ne se délègue pas

La conversation, elle, résiste. Quand un client pose une question pointue sur votre
politique de remboursement un vendredi soir, la personne qui répond doit connaître la
réponse, ou savoir la trouver en dix minutes. Si votre gestionnaire de communauté est à
l’externe et doit passer par trois courriels pour obtenir l’information, votre client,
lui, attend. Et il le dit publiquement.

## La question à vous poser

Avant de signer un contrat, demandez-vous : **qui, chez nous, connaît assez bien la maison
pour parler en son nom, vite et juste?** Si personne ne se lève, le problème n’est pas
l’agence. C’est votre circulation interne de l’information, et les médias sociaux ne font
que la rendre visible.

Mon conseil : sous-traitez l’exécution, gardez la voix et la réponse.""",
    ),
    (
        "outsourcing", "en", "outsourcing-social-media-what-to-keep",
        "Outsourcing your social media: what to hand off, what to keep",
        "Handing your accounts to an agency can save time. But a few things cannot be "
        "delegated, and that is usually where the game is won or lost.",
        "social media, outsourcing, strategy", 39,
        """Almost every week someone asks me: "Can we just hand our social media to someone
else?" The honest answer is: partly.

## What delegates well

Production delegates very well. Video editing, visual design, scheduling posts,
tracking the numbers: a good agency does these better and faster than most in-house teams.

## What does not

The conversation resists. When a customer asks a sharp question about your refund policy
on a Friday night, whoever answers has to know the answer, or be able to find it within
ten minutes. If your community manager sits outside the company and needs three emails to
get the facts, your customer waits. And says so, in public.

## The question to ask yourself

Before signing anything, ask: **who here knows the house well enough to speak for it,
quickly and accurately?** If nobody stands up, the agency is not the problem. Your internal
flow of information is, and social media only makes it visible.

My advice: outsource the execution, keep the voice and the reply.""",
    ),
    (
        "voice", "fr", "voix-de-marque-pas-un-pdf",
        "Votre voix de marque ne tient pas dans un PDF",
        "Un guide de ton de quarante pages ne remplace pas quelqu’un qui sait comment votre "
        "organisation parle quand ça compte.",
        "voix de marque, rédaction", 25,
        """Toutes les organisations ont maintenant leur guide de ton. Peu s’en servent.

## Le guide décrit, il ne décide pas

Un guide dit « chaleureux mais professionnel ». Très bien. Mais devant une cliente fâchée
qui publie une photo de son colis écrasé, est-ce qu’on fait une blague? Est-ce qu’on
s’excuse d’abord? Le guide ne le dit pas, parce qu’il ne peut pas tout prévoir.

## Ce qui fonctionne mieux

- **Des exemples, pas des adjectifs.** Dix vraies réponses commentées valent plus que
  vingt pages de principes.
- **Une personne de référence.** Quelqu’un à l’interne qui tranche quand on hésite.
- **Des relectures régulières.** Une fois par mois, on relit ensemble ce qui a été publié.

Votre voix, c’est ce que vous dites quand personne n’a eu le temps de relire. Entraînez-la
comme un muscle.""",
    ),
    (
        "voice", "en", "brand-voice-not-a-pdf",
        "Your brand voice does not fit in a PDF",
        "A forty-page tone guide is no substitute for someone who knows how your "
        "organisation speaks when it matters.",
        "brand voice, writing", 24,
        """Every organisation now has a tone guide. Few use it.

## A guide describes; it does not decide

The guide says "warm but professional". Fine. But facing an angry customer posting a photo
of her crushed parcel, do we crack a joke? Apologise first? The guide cannot say, because
it cannot foresee everything.

## What works better

- **Examples, not adjectives.** Ten real replies with comments beat twenty pages of
  principles.
- **One person to ask.** Someone inside who makes the call when the team hesitates.
- **Regular read-backs.** Once a month, read together what went out.

Your voice is what you say when nobody had time to proofread. Train it like a muscle.""",
    ),
    (
        "crisis", "fr", "premieres-heures-crise-en-ligne",
        "Les trois premières heures d’une crise en ligne",
        "Quand la tempête éclate sur les réseaux, les premières heures comptent plus que le "
        "communiqué parfait. Voici l’ordre dans lequel j’agis.",
        "crise, médias sociaux", 12,
        """Une crise en ligne ne vous attend pas. Voici l’ordre dans lequel je travaille avec
mes clients quand ça chauffe.

## 1. Écouter avant de parler

Quinze minutes pour comprendre : qui parle, sur quelle plateforme, avec quelle ampleur?
Une plainte isolée et une vague de partages ne demandent pas la même réponse.

## 2. Accuser réception

Un message court, humain, qui dit qu’on a vu et qu’on s’en occupe. Pas d’excuse
juridique, pas de langue de bois. Juste : nous sommes là.

## 3. Réunir les bonnes personnes

La communication ne règle pas seule un problème de produit ou de service. Il faut la
personne qui peut agir sur la cause, et vite.

## 4. Revenir avec du concret

Ce que vous faites, quand, et comment les gens peuvent vous joindre. Puis tenez parole.

La pire réponse, c’est le silence. La deuxième pire, c’est une réponse qui sonne comme si
personne ne l’avait écrite.""",
    ),
    (
        "metrics", "en", "measuring-without-fooling-yourself",
        "Measuring social media without fooling yourself",
        "Likes are easy to count and easy to misread. Three questions to ask of your "
        "numbers before they go in the monthly report.",
        "measurement, strategy", 5,
        """Monthly reports love big numbers. Reach up, impressions up, everyone happy. But
what did any of it change?

## Ask what the number is for

Every metric should answer a business question. "How many people saw the post" matters
only if being seen was the goal. Often the goal is a call, a sign-up, a visit to the shop.

## Compare with yourself

Industry benchmarks mix organisations that have nothing in common with yours. Your own
last quarter is a better yardstick.

## Read the comments, not only the count

Fifty comments asking the same question tell you something no chart will: your website is
unclear, your prices are hidden, your hours are wrong. Fix that, and the numbers follow.""",
    ),
]  # fmt: skip

PROFILES = {
    "fr": {
        "headline": "Stratégie de médias sociaux, voix de marque et communication de crise",
        "short_bio": (
            "Consultante et conférencière à Montréal, elle aide depuis quinze ans les "
            "organisations à parler en ligne avec leur propre voix, et à garder leur calme "
            "quand la tempête éclate."
        ),
        "long_bio": """Elle a commencé sur le Web avant que les médias sociaux aient un nom, et
elle a vu passer toutes les modes depuis. Ce qui n’a pas changé : les organisations qui
réussissent en ligne sont celles qui savent qui elles sont et qui répondent vite.

Aujourd’hui, elle accompagne des PME, des institutions et des organismes à but non lucratif
dans leurs choix stratégiques : **quoi garder à l’interne, quoi confier à l’externe**,
comment former les équipes et comment se préparer aux crises.

Elle donne des conférences et des ateliers en français et en anglais, au Québec et
ailleurs.""",
        "topics": (
            "Sous-traiter ou non ses médias sociaux\nLa voix de marque au quotidien\n"
            "Gérer une crise en ligne\nMesurer ce qui compte"
        ),
    },
    "en": {
        "headline": "Social media strategy, brand voice and crisis communication",
        "short_bio": (
            "A Montréal consultant and speaker who has spent fifteen years helping "
            "organisations speak online in their own voice, and keep calm when the storm hits."
        ),
        "long_bio": """She started on the web before social media had a name, and has watched
every fad come and go since. What has not changed: the organisations that do well online
know who they are and answer quickly.

Today she advises small businesses, institutions and non-profits on their strategic
choices: **what to keep in-house, what to hand off**, how to train teams and how to prepare
for a crisis.

She gives talks and workshops in French and English, in Québec and beyond.""",
        "topics": (
            "Outsourcing social media, or not\nBrand voice, day to day\n"
            "Handling an online crisis\nMeasuring what matters"
        ),
    },
}

TALKS = [
    ("Sous-traiter la passion?", "Sommet du marketing numérique", "Montréal", 45, "fr"),
    ("Crisis in the feed: the first hours", "Digital Comms Forum", "Toronto", 20, "en"),
    ("Votre voix en ligne", "Rendez-vous des OBNL", "Québec", -30, "fr"),
]

TESTIMONIALS = [
    (
        "Elle a remis notre équipe en confiance en une matinée. Les exemples concrets ont "
        "tout changé.",
        "Julie Tremblay", "Directrice des communications", "Coopérative des Berges",
    ),
    (
        "The most practical talk of the conference: our team still quotes it.",
        "Mark Ellison", "Programme chair", "Digital Comms Forum",
    ),
    (
        "Grâce à sa séance, nous avons gardé la réponse aux clients à l’interne et confié "
        "le reste. Le meilleur choix de l’année.",
        "Samir Haddad", "Propriétaire", "Boulangerie Haddad",
    ),
]  # fmt: skip


#: Her profiles elsewhere, in the demo: example addresses, never a real person's.
DEMO_SAME_AS = "https://www.linkedin.com/in/example-consultant\nhttps://podcast.example.org/invites"


def seed(session, now):
    """Add the demo content that is not there yet (looked up by slug, title or person)."""
    seed_offers(session)
    photo = seed_photo(session, now)
    for lang, fields in PROFILES.items():
        if service.profile_for(session, lang) is None:
            session.add(
                Profile(
                    lang=lang,
                    name=current_app.config["OWNER_NAME"],
                    headline=fields["headline"],
                    short_bio=fields["short_bio"],
                    long_bio_md=fields["long_bio"],
                    long_bio_html=render_markdown(fields["long_bio"]),
                    topics=fields["topics"],
                    photo=photo,
                    same_as=DEMO_SAME_AS,
                    updated_at=now,
                )
            )
    seed_articles(session, now)
    today = now.date()
    for title, event, city, days_ago, lang in TALKS:
        if session.scalar(sa.select(Talk.id).where(Talk.title == title)) is None:
            held_on = today - timedelta(days=days_ago)
            session.add(Talk(title=title, event=event, city=city, held_on=held_on, lang=lang))
    for position, (quote, person, role, organisation) in enumerate(TESTIMONIALS):
        if session.scalar(sa.select(Testimonial.id).where(Testimonial.person == person)) is None:
            session.add(
                Testimonial(
                    quote=quote,
                    person=person,
                    role=role,
                    organisation=organisation,
                    position=position,
                )
            )
    session.flush()


def seed_offers(session):
    for fields in OFFERS:
        if session.scalar(sa.select(Offer.id).where(Offer.slug == fields["slug"])) is None:
            session.add(Offer(taxable=True, active=True, currency="CAD", **fields))
    session.flush()


def seed_articles(session, now):
    cards = service.CardMaker(
        folder=service.uploads_folder(current_app.instance_path),
        site_name=current_app.config["SITE_NAME"],
        font_path=service.card_font(current_app.static_folder),
    )
    by_key = {}
    for key, lang, slug, title, summary, tags, days_ago, body in ARTICLES:
        existing = session.scalar(
            sa.select(Article).where(Article.lang == lang, Article.slug == slug)
        )
        if existing is None:
            existing = Article(published_at=now - timedelta(days=days_ago))
            data = service.ArticleData(
                lang=lang,
                title=title,
                slug=slug,
                summary=summary,
                body_md=body,
                tags=tags,
                cover_image=None,
                cover_alt="",
                status=PUBLISHED,
                publish_at=None,
                translation_id=by_key[key].id if key in by_key else None,
            )
            service.save_article(session, existing, data, now, cards=cards)
        by_key.setdefault(key, existing)


def seed_photo(session, now):
    """A generated portrait placeholder, stored like any upload."""
    upload = service.store_upload(
        session,
        service.uploads_folder(current_app.instance_path),
        io.BytesIO(placeholder_png(240, 240)),
        "portrait.png",
        current_app.config["UPLOAD_MAX_BYTES"],
        now,
    )
    return upload.filename


def placeholder_png(width, height):
    """A soft two-colour gradient as PNG bytes, made without an imaging library."""
    rows = []
    for y in range(height):
        shade = y * 255 // max(1, height - 1)
        pixel = bytes((40 + shade // 3, 70 + shade // 4, 120 + shade // 2))
        rows.append(b"\x00" + pixel * width)
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
