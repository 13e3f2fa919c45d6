"""What search engines and social sites read: noindex on private pages, sharing tags, JSON-LD.

One place decides which pages are private (the desks, and the public pages behind a private
link: manage, status, receipts, checkout), so the views of booking, payments and accounting
need not say it: an after_request hook sends `X-Robots-Tag: noindex` and the layout adds the
matching meta tag. The JSON-LD builders return plain dicts; templates write them with
Jinja's `|tojson`, which escapes `<`, `>` and `&`, so no text can close the script block.
A `<script type="application/ld+json">` is a data block that browsers never run, so the
Content-Security-Policy (`script-src 'self'`, no inline scripts) stays as strict as it is.
"""

from datetime import UTC

from flask import current_app, g, request, url_for
from flask_babel import gettext as _

from . import business
from .auth.access import PUBLIC, declared_access
from .i18n import LANGUAGES

#: Public pages reached only through a private link (a token in the address), or that
#: only make sense for one visitor: crawlers must never index them.
PRIVATE_LINK_ENDPOINTS = frozenset(
    {
        "booking.manage",
        "booking.cancel",
        "booking.reschedule",
        "booking.session_ics",
        "booking.status",
        "booking.pay",
        "booking.hold_again",
        "booking.choose_again",
        "booking.reserve",
        "accounting.client_receipt",
        "payments.demo_checkout",
        "payments.demo_action",
        "payments.manual_instructions",
        "content.search",
        "content.inquiry_thanks",
        "newsletter.thanks",
        "newsletter.confirm",
        "newsletter.preferences",
        "newsletter.unsubscribe",
    }
)

#: The picture shared when a page has none of its own (1200 x 630, the size Open Graph asks).
DEFAULT_SOCIAL_IMAGE = "img/social-card.png"
SOCIAL_IMAGE_SIZE = (1200, 630)
#: Open Graph locales of the site's languages.
OG_LOCALES = {"fr": "fr_CA", "en": "en_CA"}


def is_private_page(endpoint=None):
    """True for pages no search engine may index: anything not public, and private links."""
    endpoint = endpoint if endpoint is not None else request.endpoint
    if not endpoint:
        return False  # a 404: nothing to index either way
    if endpoint in PRIVATE_LINK_ENDPOINTS:
        return True
    allowed = declared_access(endpoint)
    return not allowed or PUBLIC not in allowed


def send_noindex(response):
    """After each request: private pages say so in a header too (PDFs, ICS and CSV included)."""
    if request.endpoint and is_private_page(request.endpoint):
        response.headers.setdefault("X-Robots-Tag", "noindex")
    return response


# Links -----------------------------------------------------------------------------------


def absolute(path):
    """An absolute address on SITE_URL for a path the app built."""
    return business.current().absolute(path)


def default_lang():
    return current_app.config["DEFAULT_LOCALE"]


def alternate_links(alternates):
    """(hreflang, absolute href) for each language of a page, then x-default.

    `alternates` maps a language to a path (or an absolute URL); x-default is the page in
    the site's default language, where a visitor of any other language lands.
    """
    links = [(lang, _absolute(href)) for lang, href in sorted(alternates.items())]
    if len(links) > 1:
        fallback = alternates.get(default_lang()) or next(iter(alternates.values()))
        links.append(("x-default", _absolute(fallback)))
    return links


def page_alternates():
    """The alternates the view set (g.alternates), as alternate_links."""
    return alternate_links(g.get("alternates") or {})


def _absolute(href):
    return href if "://" in href else absolute(href)


def og_locale(lang):
    return OG_LOCALES.get(lang, lang)


def other_og_locales(lang):
    return [OG_LOCALES[other] for other in LANGUAGES if other != lang]


def default_social_image():
    """The absolute URL of the site's default sharing picture."""
    return absolute(url_for("static", filename=DEFAULT_SOCIAL_IMAGE))


def canonical_here():
    """The page's own absolute address, without its query string."""
    return absolute(request.path)


# JSON-LD ---------------------------------------------------------------------------------


def website_data(*, name, url, lang, search_url):
    """schema.org WebSite, with the search box search engines may show."""
    return {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": name,
        "url": url,
        "inLanguage": lang,
        "potentialAction": {
            "@type": "SearchAction",
            "target": {"@type": "EntryPoint", "urlTemplate": search_url + "?q={search_term}"},
            "query-input": "required name=search_term",
        },
    }


def person_data(*, name, url, job_title="", description="", image=None, same_as=(), works_for=""):
    """schema.org Person: the consultant."""
    data = {"@context": "https://schema.org", "@type": "Person", "name": name, "url": url}
    if job_title:
        data["jobTitle"] = job_title
    if description:
        data["description"] = description
    if image:
        data["image"] = image
    if same_as:
        data["sameAs"] = list(same_as)
    if works_for:
        data["worksFor"] = {"@type": "Organization", "name": works_for}
    return data


def professional_service_data(*, name, url, owner, address, image, currency):
    """schema.org ProfessionalService: her business, as a local business search shows it."""
    return {
        "@context": "https://schema.org",
        "@type": "ProfessionalService",
        "name": name,
        "url": url,
        "image": image,
        "founder": {"@type": "Person", "name": owner},
        "address": {"@type": "PostalAddress", "addressLocality": address},
        "currenciesAccepted": currency,
    }


def event_data(*, name, start_date, event_name, city, organizer, performer, url, lang):
    """schema.org Event: one upcoming talk (its date only: talks are stored by day)."""
    location = {"@type": "Place", "name": event_name}
    if city:
        location["address"] = {"@type": "PostalAddress", "addressLocality": city}
    return {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": name,
        "startDate": start_date.isoformat(),
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "inLanguage": lang,
        "location": location,
        "organizer": {"@type": "Organization", "name": organizer},
        "performer": performer,
        "url": url,
    }


def service_data(*, name, description, included, url, provider, price, currency, minutes, lang):
    """schema.org Service with its Offer: the price before taxes, what it includes, how long."""
    return {
        "@context": "https://schema.org",
        "@type": "Service",
        "name": name,
        "description": description or included,
        "serviceType": name,
        "inLanguage": lang,
        "url": url,
        "provider": provider,
        "offers": {
            "@type": "Offer",
            "url": url,
            "price": price,
            "priceCurrency": currency,
            "description": included,
            "availability": "https://schema.org/InStock",
            "priceSpecification": {
                "@type": "UnitPriceSpecification",
                "price": price,
                "priceCurrency": currency,
                "valueAddedTaxIncluded": False,
            },
            "eligibleDuration": {"@type": "QuantitativeValue", "value": minutes, "unitCode": "MIN"},
        },
    }


def decimal_price(cents):
    """Cents as the decimal string schema.org expects ("250.00"), never a float."""
    return f"{cents // 100}.{cents % 100:02d}"


# The same, from the site's own rows (duck-typed: Profile, Talk, Offer) ------------------


def _owner_person(profile, lang):
    config = current_app.config
    return person_data(
        name=profile.name if profile else config["OWNER_NAME"],
        url=absolute(url_for("content.bio", lang=lang)),
        job_title=profile.headline if profile else "",
        description=profile.short_bio if profile else "",
        image=_photo(profile),
        same_as=profile.same_as_list if profile else (),
        works_for=config["SITE_NAME"],
    )


def _photo(profile):
    if profile is not None and profile.photo:
        return absolute(url_for("content.upload", filename=profile.photo))
    return default_social_image()


def home_structured_data(profile, lang):
    """The home page: the WebSite, the consultant, her business."""
    config = current_app.config
    home = absolute(url_for("content.home", lang=lang))
    return [
        website_data(
            name=config["SITE_NAME"],
            url=home,
            lang=lang,
            search_url=absolute(url_for("content.search", lang=lang)),
        ),
        _owner_person(profile, lang),
        professional_service_data(
            name=config["SITE_NAME"],
            url=home,
            owner=profile.name if profile else config["OWNER_NAME"],
            address=config["BUSINESS_ADDRESS"],
            image=_photo(profile),
            currency=config["CURRENCY"],
        ),
    ]


def speaker_structured_data(profile, upcoming, lang):
    """The speaker page: the Person, then an Event for each upcoming talk."""
    person = _owner_person(profile, lang)
    performer = {"@type": "Person", "name": person["name"], "url": person["url"]}
    events = [
        event_data(
            name=talk.title,
            start_date=talk.held_on,
            event_name=talk.event,
            city=talk.city,
            organizer=talk.event,
            performer=performer,
            url=person["url"],
            lang=talk.lang,
        )
        for talk in upcoming
    ]
    return [person, *events]


def offer_structured_data(offer, lang):
    """An offer's page: the Service and its Offer."""
    config = current_app.config
    minutes = offer.duration_minutes
    included = _(
        "A %(minutes)s-minute one-to-one session with %(name)s, booked and paid online.",
        minutes=minutes,
        name=config["OWNER_NAME"],
    )
    return service_data(
        name=offer.title(lang),
        description=offer.description(lang),
        included=included,
        url=absolute(url_for("booking.offer", lang=lang, slug=offer.slug_in(lang))),
        provider={
            "@type": "ProfessionalService",
            "name": config["SITE_NAME"],
            "url": absolute(url_for("content.home", lang=lang)),
        },
        price=decimal_price(offer.price_cents),
        currency=offer.currency,
        minutes=minutes,
        lang=lang,
    )


def iso_instant(moment):
    """An instant for machines (<time datetime>, meta tags, JSON-LD): UTC, whole seconds,
    "2026-12-01T23:50:00Z" (a datetime attribute refuses microseconds)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def init_app(app):
    app.after_request(send_noindex)
    app.jinja_env.filters["iso_instant"] = iso_instant
    app.jinja_env.globals.update(
        is_private_page=is_private_page,
        alternate_links=alternate_links,
        page_alternates=page_alternates,
        og_locale=og_locale,
        other_og_locales=other_og_locales,
        default_social_image=default_social_image,
        canonical_here=canonical_here,
        home_structured_data=home_structured_data,
        speaker_structured_data=speaker_structured_data,
        offer_structured_data=offer_structured_data,
    )
