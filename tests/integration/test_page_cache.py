"""The page cache: an anonymous visitor's second look costs no query, every edit shows at
once, and nothing private or personal is ever stored."""

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from consult import page_cache
from consult.booking.models import Offer
from consult.content import service
from consult.content.models import PUBLISHED, Article
from consult.extensions import db, utcnow
from tests.factories import RESERVATION_FORM, free_slots, open_every_day, slot_key


class Queries:
    """Counts the statements the app's engine runs while it is listening."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.count = 0

    def __call__(self, *args):
        self.count += 1

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self)


def stored_pages(app):
    """The keys of the pages the in-process backend holds."""
    return [key for key in page_cache.backend_of(app)._cache if key.startswith("p:")]


def publish(app, slug="voix", title="Une voix à soi", lang="fr"):
    with app.app_context():
        now = utcnow()
        article = Article(published_at=now - timedelta(days=1))
        data = service.ArticleData(
            lang=lang,
            title=title,
            slug=slug,
            summary="Comment garder sa voix.",
            body_md="Du **texte**.",
            tags="strategie",
            cover_image=None,
            cover_alt="",
            status=PUBLISHED,
            publish_at=None,
            translation_id=None,
        )
        service.save_article(db.session, article, data, now)
        db.session.commit()
        return article.id


@pytest.fixture
def anonymous(app):
    """A visitor's browser, beside `client`, which the owner signs in with."""
    return app.test_client()


@pytest.fixture
def flagship(app):
    with app.app_context():
        return open_every_day(db.session).slug


PUBLIC_PAGES = [
    "/",
    "/en/",
    "/fr/articles/",
    "/fr/articles/voix",
    "/fr/articles/tag/strategie",
    "/fr/speaker/",
    "/fr/feed.xml",
    "/sitemap.xml",
    "/en/book/",
    "/en/book/strategie?tz=Europe/Paris",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_second_anonymous_look_is_served_from_the_cache_without_a_query(
    app, anonymous, flagship, path
):
    publish(app)
    first = anonymous.get(path)
    assert first.status_code == 200
    assert first.headers["X-Page-Cache"] == "miss"
    with Queries(app) as queries:
        second = anonymous.get(path)
    assert second.headers["X-Page-Cache"] == "hit"
    assert queries.count == 0
    assert second.data == first.data
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Content-Type"] == first.headers["Content-Type"]
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]


def test_a_stored_page_answers_a_matching_if_none_match_with_a_304(app, anonymous):
    publish(app)
    etag = anonymous.get("/fr/articles/voix").headers["ETag"]
    again = anonymous.get("/fr/articles/voix", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["X-Page-Cache"] == "hit"
    assert again.data == b""
    assert anonymous.head("/fr/articles/voix").status_code == 200


def test_an_article_edited_through_the_admin_shows_at_once(app, client, anonymous, auth):
    article_id = publish(app)
    assert "Une voix à soi" in anonymous.get("/fr/articles/voix").text
    assert "Une voix à soi" in anonymous.get("/fr/articles/").text
    assert "Une voix à soi" in anonymous.get("/fr/feed.xml").text
    auth.login()
    edited = {
        "lang": "fr",
        "title": "Une voix bien à soi",
        "slug": "voix",
        "summary": "Comment garder sa voix.",
        "body": "Du **texte**.",
        "tags": "strategie",
        "cover_image": "",
        "cover_alt": "",
        "status": "published",
        "publish_at": "",
        "translation_id": "",
    }
    response = client.post(f"/fr/admin/content/articles/{article_id}", data=edited)
    assert response.status_code == 302, response.text
    for path in ("/fr/articles/voix", "/fr/articles/", "/fr/feed.xml", "/"):
        page = anonymous.get(path)
        assert "Une voix bien à soi" in page.text, path
        assert page.headers["X-Page-Cache"] == "miss", path
    client.post(f"/fr/admin/content/articles/{article_id}/unpublish")
    assert anonymous.get("/fr/articles/voix").status_code == 404
    assert "Une voix bien à soi" not in anonymous.get("/fr/articles/").text


def test_the_bio_edited_through_the_admin_shows_at_once(app, client, anonymous, auth):
    bio = {
        "name": "Ada",
        "headline": "Speaker",
        "short_bio": "Short.",
        "long_bio": "First **bio**.",
        "topics": "One",
        "photo": "",
    }
    auth.login()
    assert client.post("/fr/admin/content/bio/en", data=bio).status_code == 302
    assert "First <strong>bio</strong>" in anonymous.get("/en/speaker/").text
    assert anonymous.get("/en/speaker/").headers["X-Page-Cache"] == "hit"
    bio["long_bio"] = "Second **bio**."
    assert client.post("/fr/admin/content/bio/en", data=bio).status_code == 302
    assert "Second <strong>bio</strong>" in anonymous.get("/en/speaker/").text


def test_an_offer_edited_through_the_admin_shows_at_once(app, client, anonymous, auth, flagship):
    assert "Strategy" in anonymous.get("/en/book/").text
    assert anonymous.get("/en/book/").headers["X-Page-Cache"] == "hit"
    auth.login()
    with app.app_context():
        offer_id = db.session.scalar(sa.select(Offer.id).where(Offer.slug == flagship))
    form = {
        "slug": flagship,
        "title_fr": "Stratégie",
        "title_en": "Strategy, renamed",
        "description_fr": "Une heure.",
        "description_en": "One hour.",
        "duration_minutes": "60",
        "price_cents": "250",
        "taxable": "y",
        "active": "y",
        "position": "1",
    }
    response = client.post(f"/en/admin/offers/{offer_id}", data=form)
    assert response.status_code == 302, response.text
    assert "Strategy, renamed" in anonymous.get("/en/book/").text


def test_a_day_closed_through_the_admin_leaves_the_slot_page_at_once(
    app, client, anonymous, auth, flagship
):
    day = free_slots(app, flagship)[0].starts_at.date() + timedelta(days=3)
    path = f"/en/book/{flagship}?tz=UTC&day={day.isoformat()}"
    assert f"start={day.isoformat()}T" in anonymous.get(path).text.replace("%3A", ":")
    assert anonymous.get(path).headers["X-Page-Cache"] == "hit"
    auth.login()
    response = client.post(
        "/en/admin/availability/overrides",
        data={"override-day": day.isoformat(), "override-closed": "y", "override-note": "Off"},
    )
    assert response.status_code == 302, response.text
    assert f"start={day.isoformat()}T" not in anonymous.get(path).text.replace("%3A", ":")


def test_a_reservation_takes_its_slot_off_the_page_at_once(app, anonymous, flagship):
    slot = free_slots(app, flagship)[2]
    path = f"/en/book/{flagship}?tz=UTC&day={slot.starts_at.date().isoformat()}"
    link = f"start={slot_key(slot)}"
    assert link in anonymous.get(path).text.replace("%3A", ":")
    assert anonymous.get(path).headers["X-Page-Cache"] == "hit"
    prospect = app.test_client()
    response = prospect.post(
        f"/en/book/{flagship}/reserve", data={**RESERVATION_FORM, "start": slot_key(slot)}
    )
    assert response.status_code == 302, response.text
    page = anonymous.get(path)
    assert page.headers["X-Page-Cache"] == "miss"
    assert link not in page.text.replace("%3A", ":")


def test_a_write_in_raw_sql_invalidates_too(app, anonymous):
    publish(app)
    assert "Une voix à soi" in anonymous.get("/fr/articles/voix").text
    with app.app_context():
        db.session.execute(sa.text("UPDATE articles SET title = 'Autrement'"))
        db.session.commit()
    assert "Autrement" in anonymous.get("/fr/articles/voix").text


def test_a_write_that_rolls_back_invalidates_nothing(app, anonymous):
    publish(app)
    anonymous.get("/fr/articles/voix")
    with app.app_context():
        db.session.execute(sa.update(Article).values(title="Jamais"))
        db.session.rollback()
    assert anonymous.get("/fr/articles/voix").headers["X-Page-Cache"] == "hit"


def test_a_private_write_leaves_the_public_pages_stored(app, anonymous, make_user):
    publish(app)
    anonymous.get("/fr/articles/voix")
    make_user(role="accountant")  # users: no public page shows them
    assert anonymous.get("/fr/articles/voix").headers["X-Page-Cache"] == "hit"


def test_a_signed_in_visitor_is_never_served_nor_stored(app, client, anonymous, auth):
    publish(app)
    anonymous.get("/fr/articles/voix")
    owner = auth.login()
    page = client.get("/fr/articles/voix")
    assert "X-Page-Cache" not in page.headers
    assert owner.email in page.text  # her bar, never a stored copy
    before = set(stored_pages(app))
    for path in PUBLIC_PAGES[:6]:
        assert "X-Page-Cache" not in client.get(path).headers
    assert set(stored_pages(app)) == before


def test_a_session_holding_anything_is_never_served_a_stored_page(app, anonymous):
    publish(app)
    anonymous.get("/fr/articles/voix")
    visitor = app.test_client()
    with visitor.session_transaction() as session:
        session["draft"] = {"name": "Ana"}
    assert "X-Page-Cache" not in visitor.get("/fr/articles/voix").headers


def test_a_remember_cookie_is_never_served_a_stored_page(app, anonymous):
    publish(app)
    anonymous.get("/fr/articles/voix")
    visitor = app.test_client()
    visitor.set_cookie("remember_token", "1|abc")
    assert "X-Page-Cache" not in visitor.get("/fr/articles/voix").headers


def test_a_response_that_sets_a_cookie_is_not_stored(app, anonymous):
    publish(app)
    # From a French page to an English one: the language switch keeps her choice in a cookie.
    page = anonymous.get("/en/speaker/", headers={"Referer": "http://localhost/fr/speaker/"})
    assert "Set-Cookie" in page.headers
    assert page.headers.get("X-Page-Cache") != "miss"
    assert stored_pages(app) == []


@pytest.mark.parametrize(
    "path",
    [
        "/fr/speaker/invite",  # a form
        "/fr/search?q=voix",
        "/fr/login",
        "/fr/admin/",
        "/fr/accounting/",
        "/fr/book/strategie/reserve?start=2030-01-01T14:00Z",
    ],
)
def test_forms_searches_and_private_pages_are_never_stored(app, anonymous, flagship, path):
    publish(app)
    anonymous.get(path)
    anonymous.get(path)
    assert stored_pages(app) == []


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_a_page_carrying_a_csrf_token_is_never_stored(app, anonymous, monkeypatch):
    monkeypatch.setitem(page_cache.PAGES, "content.inquiry", ())  # as if someone listed it
    page = anonymous.get("/fr/speaker/invite")
    assert 'name="csrf_token"' in page.text
    assert stored_pages(app) == []
    assert page.headers.get("X-Page-Cache") != "miss"


def test_a_private_link_is_never_stored(app, anonymous, flagship):
    slot = free_slots(app, flagship)[0]
    response = anonymous.post(
        f"/en/book/{flagship}/reserve", data={**RESERVATION_FORM, "start": slot_key(slot)}
    )
    token = re.search(r"/pay/demo/([^/?#]+)", response.headers["Location"]).group(1)
    visitor = app.test_client()  # no session: only the link
    for path in (f"/en/pay/demo/{token}", f"/en/book/status/{token}", f"/en/booking/{token}"):
        visitor.get(path)
        visitor.get(path)
    assert stored_pages(app) == []


def test_a_not_found_is_not_stored(app, anonymous):
    assert anonymous.get("/fr/articles/nowhere").status_code == 404
    assert stored_pages(app) == []


def test_a_copy_past_its_time_is_served_while_another_process_renders_it(
    app, anonymous, monkeypatch
):
    publish(app)
    anonymous.get("/fr/articles/voix")
    backend = page_cache.backend_of(app)
    [key] = stored_pages(app)
    entry = backend.get(key)
    backend.set(key, {**entry, "fresh_until": 0})
    monkeypatch.setattr(page_cache, "_acquire", lambda backend, lock: False)
    with Queries(app) as queries:
        assert anonymous.get("/fr/articles/voix").headers["X-Page-Cache"] == "stale"
    assert queries.count == 0


def test_a_miss_whose_rendering_is_taken_waits_for_it_then_renders_itself(
    app, anonymous, monkeypatch
):
    publish(app)
    monkeypatch.setattr(page_cache, "_acquire", lambda backend, lock: False)
    monkeypatch.setattr(page_cache, "WAIT_SECONDS", 0.05)
    page = anonymous.get("/fr/articles/voix")
    assert page.status_code == 200 and page.headers["X-Page-Cache"] == "miss"
    assert anonymous.get("/fr/articles/voix").headers["X-Page-Cache"] == "hit"


def test_a_lock_is_released_when_the_rendering_fails(app, anonymous):
    assert anonymous.get("/fr/articles/nowhere").status_code == 404
    backend = page_cache.backend_of(app)
    assert not [key for key in backend._cache if key.startswith("lock:")]


@pytest.mark.parametrize("app_config", [{"PAGE_CACHE": False}])
def test_the_cache_can_be_turned_off(app, anonymous):
    publish(app)
    anonymous.get("/fr/articles/voix")
    with Queries(app) as queries:
        page = anonymous.get("/fr/articles/voix")
    assert "X-Page-Cache" not in page.headers
    assert queries.count > 0
    assert page_cache.backend_of(app) is None


def test_every_cached_page_is_a_public_route(app):
    from consult.auth.access import PUBLIC, declared_access

    with app.app_context():
        for endpoint in page_cache.PAGES:
            assert endpoint in app.view_functions, endpoint
            assert PUBLIC in declared_access(endpoint), endpoint


def test_a_table_no_one_placed_invalidates_everything_and_a_private_one_nothing():
    assert page_cache.areas_of_table(f"new_{uuid.uuid4().hex[:6]}") == set(page_cache.AREAS)
    assert page_cache.areas_of_table("users") == set()
    assert page_cache.areas_of_table("bookings") == {page_cache.BOOKINGS}


def test_the_language_switch_still_keeps_her_choice_when_the_page_is_stored(app, anonymous):
    assert anonymous.get("/en/speaker/").headers["X-Page-Cache"] == "miss"
    switched = app.test_client().get(
        "/en/speaker/", headers={"Referer": "http://localhost/fr/speaker/"}
    )
    assert "lang=en" in switched.headers["Set-Cookie"]


def test_the_root_stored_in_french_still_sends_an_english_choice_to_english(app, anonymous):
    assert anonymous.get("/").headers["X-Page-Cache"] == "miss"
    assert anonymous.get("/").headers["X-Page-Cache"] == "hit"
    english = app.test_client()
    english.set_cookie("lang", "en")
    assert english.get("/").status_code == 302
    browser = app.test_client().get("/", headers={"Accept-Language": "en-CA,en;q=0.8"})
    assert browser.status_code == 302 and browser.headers["Location"].endswith("/en/")


def test_a_visitor_whose_session_holds_only_a_csrf_secret_is_served_a_stored_page(app, anonymous):
    publish(app)
    anonymous.get("/fr/articles/voix")
    visitor = app.test_client()
    with visitor.session_transaction() as session:
        session["csrf_token"] = "a-secret"
    assert visitor.get("/fr/articles/voix").headers["X-Page-Cache"] == "hit"


def test_the_slot_list_is_computed_once_for_every_zone_and_day_then_again_after_a_booking(
    app, flagship
):
    visitor = app.test_client()  # a session of her own: her pages are never stored
    with visitor.session_transaction() as session:
        session["draft"] = {"name": "Ana"}
    with Queries(app) as first:
        assert visitor.get(f"/en/book/{flagship}?tz=UTC").status_code == 200
    with Queries(app) as other_zone:
        page = visitor.get(f"/en/book/{flagship}?tz=Asia/Tokyo")
    assert "X-Page-Cache" not in page.headers
    assert other_zone.count < first.count  # rules, hours, days off, busy times: not read again
    slot = free_slots(app, flagship)[0]
    day = slot.starts_at.date().isoformat()
    assert f"start={slot_key(slot)}" in visitor.get(
        f"/en/book/{flagship}?tz=UTC&day={day}"
    ).text.replace("%3A", ":")
    response = app.test_client().post(
        f"/en/book/{flagship}/reserve", data={**RESERVATION_FORM, "start": slot_key(slot)}
    )
    assert response.status_code == 302
    with Queries(app) as after:
        page = visitor.get(f"/en/book/{flagship}?tz=UTC&day={day}")
    assert after.count == first.count
    assert f"start={slot_key(slot)}" not in page.text.replace("%3A", ":")
