"""Each offer has an address name per language, and a booking remembers which of the site's
pages led to it (a path carried in the booking links: no tracker, no cookie)."""

import pytest
import sqlalchemy as sa

from consult.booking.models import Booking, Offer
from consult.extensions import db
from consult.mail.models import OutboxMessage
from consult.privacy.models import ConsentRecord
from tests.factories import RESERVATION_FORM, free_slots, open_every_day, slot_key


@pytest.fixture
def offer(app):
    with app.app_context():
        flagship = open_every_day(db.session)
        flagship.slug_en = "strategy"
        db.session.commit()
        return flagship.slug


def test_each_language_has_its_own_address_and_the_other_one_moves_there(client, offer):
    assert client.get("/fr/book/strategie").status_code == 200
    assert client.get("/en/book/strategy").status_code == 200
    moved = client.get("/en/book/strategie?tz=Asia/Tokyo&day=2026-12-03")
    assert moved.status_code == 308
    assert moved.location == "/en/book/strategy?tz=Asia/Tokyo&day=2026-12-03"
    assert client.get("/fr/book/strategy").location == "/fr/book/strategie"
    assert client.get("/fr/book/unknown").status_code == 404


def test_the_language_switch_leads_to_the_offer_in_the_other_language(client, offer):
    page = client.get("/en/book/strategy").text
    assert 'href="/fr/book/strategie"' in page
    french = client.get("/fr/book/strategie").text
    assert 'href="/en/book/strategy"' in french


def test_the_offer_list_and_slot_links_use_the_language_address(client, app, offer):
    assert 'href="/en/book/strategy"' in client.get("/en/book/").text
    slot = free_slots(app, offer)[0]
    page = client.get(f"/en/book/strategy?day={slot.starts_at.date().isoformat()}").text
    assert "/en/book/strategy/reserve?start=" in page
    assert "/en/book/strategie/reserve" not in page


def test_the_owner_cannot_give_an_offer_a_name_another_offer_uses(app, client, auth):
    with app.app_context():
        open_every_day(db.session)
    auth.login()
    form = {
        "slug": "coaching",
        "slug_en": "strategie",  # the French name of the flagship
        "title_fr": "Accompagnement",
        "title_en": "Coaching",
        "duration_minutes": "60",
        "price_cents": "100",
        "meeting_mode": "video",
    }
    response = client.post("/en/admin/offers/new", data=form)
    assert response.status_code == 400
    assert "Another offer already uses this address name." in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Offer.id))) == 1
    response = client.post("/en/admin/offers/new", data={**form, "slug_en": ""})
    assert response.status_code == 302
    with app.app_context():
        made = db.session.scalar(sa.select(Offer).where(Offer.slug == "coaching"))
        assert made.slug_en == "coaching"  # empty: the French name serves both


def test_a_booking_remembers_the_page_that_led_to_it(client, app, offer):
    slot = free_slots(app, offer)[0]
    day = slot.starts_at.date().isoformat()
    page = client.get(f"/en/book/strategy?day={day}&from=/en/articles/agency").text
    # Every link of the path carries it: days, months, times, and the zone form.
    assert "from=/en/articles/agency" in page
    assert 'name="from" value="/en/articles/agency"' in page
    intake = client.get(
        f"/en/book/strategy/reserve?start={slot_key(slot)}&tz=America/Montreal"
        "&from=/en/articles/agency"
    ).text
    assert 'value="/en/articles/agency"' in intake
    data = {
        **RESERVATION_FORM,
        "start": slot_key(slot),
        "tz": "America/Montreal",
        "came_from": "/en/articles/agency",
    }
    assert client.post("/en/book/strategy/reserve", data=data).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Booking.came_from)) == "/en/articles/agency"


@pytest.mark.parametrize(
    "hostile",
    [
        "https://tracker.example/",
        "//evil.example/x",
        "/\\evil.example",
        "/en/articles/x\r\nSet-Cookie: a=b",
        "/" + "a" * 400,
        "javascript:alert(1)",
    ],
)
def test_only_a_path_on_this_site_is_kept(client, app, offer, hostile):
    slot = free_slots(app, offer)[0]
    data = {**RESERVATION_FORM, "start": slot_key(slot), "came_from": hostile}
    response = client.post("/en/book/strategy/reserve", data=data)
    assert response.status_code in (302, 400)
    with app.app_context():
        kept = db.session.scalar(sa.select(Booking.came_from))
        assert kept in (None, "")


def test_a_query_or_fragment_is_dropped_from_the_page_kept(client, app, offer):
    slot = free_slots(app, offer)[0]
    data = {
        **RESERVATION_FORM,
        "start": slot_key(slot),
        "came_from": "/fr/articles/x?utm_source=news#top",
    }
    assert client.post("/en/book/strategy/reserve", data=data).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Booking.came_from)) == "/fr/articles/x"


def test_the_english_path_offers_the_french_terms_first_and_records_the_choice(client, app, offer):
    # Charter of the French language: the French terms come first, the choice is kept.
    slot = free_slots(app, offer)[0]
    intake = client.get(f"/en/book/strategy/reserve?start={slot_key(slot)}&tz=America/Montreal")
    page = intake.text
    link = page.index('<span lang="fr">Lire les conditions en français</span>')
    assert link < page.index("Cancellation, refund and rescheduling")
    assert 'hreflang="fr"' in page and "/fr/book/strategie/reserve?start=" in page
    data = {**RESERVATION_FORM, "start": slot_key(slot), "tz": "America/Montreal"}
    assert client.post("/en/book/strategy/reserve", data=data).status_code == 302
    with app.app_context():
        consent = db.session.scalar(sa.select(ConsentRecord))
        assert consent.lang == "en"
        assert "offered in French first; she chose to go on in English" in consent.text
    french = client.get(f"/fr/book/strategie/reserve?start={slot_key(slot)}").text
    assert "Lire les conditions en français" not in french


def test_someone_working_alone_names_no_organisation(client, app, offer):
    slot = free_slots(app, offer)[0]
    data = {**RESERVATION_FORM, "start": slot_key(slot), "tz": "America/Montreal"}
    refused = client.post("/en/book/strategy/reserve", data={**data, "organisation": ""})
    assert refused.status_code == 400 and "Please name your organisation." in refused.text
    alone = {**data, "organisation": "", "organisation_size": "1"}
    checkout = client.post("/en/book/strategy/reserve", data=alone).location
    assert "/pay/demo/" in checkout
    client.post(f"{checkout}/pay", data={})  # paid: the owner is told, in her language
    with app.app_context():
        booking = db.session.scalar(sa.select(Booking))
        assert (booking.organisation, booking.organisation_size) == ("", "1")
        notice = db.session.scalar(
            sa.select(OutboxMessage.text_body).where(
                OutboxMessage.topic == f"booking_owner_confirmed:{booking.id}"
            )
        )
    assert "Organisation\u00a0: Moi seul·e" in notice  # the size in words, not "1"
