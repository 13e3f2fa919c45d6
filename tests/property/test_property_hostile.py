"""Random and hostile values, posted to every form and sent to every public page.

Whatever arrives, the answer is never a 5xx, a refusal stores nothing, and a French page
never shows a message in English.
"""

import re
from urllib.parse import quote, urlencode

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consult.auth.access import PUBLIC
from consult.extensions import db
from tests.factories import RESERVATION_FORM, free_slots, make_booking, open_every_day, slot_key

FAST = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Values no form expects: controls, NUL, far dates, huge or odd numbers, full-width digits.
HOSTILE = st.sampled_from(
    [
        "",
        "\x00",
        "a\x00b",
        "\x1b[2J",
        "line\r\nBcc: x@example.org",
        "\t",
        "１２３４５６",
        "٣",
        "9999-12-31",
        "0001-01-01",
        "9999-12-31T23:59",
        "99999999999999999999",
        "-1",
        "1e309",
        "nan",
        "9" * 5000,
        "x" * 20_000,
        "<script>alert(1)</script>",
        "'; DROP TABLE bookings; --",
        '=HYPERLINK("http://x")',
        "\u202e\u200b\ufeff",
        "é" * 300,
    ]
)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
VALUE = st.one_of(HOSTILE, TEXT, st.integers().map(str))
#: English sources that must not reach a French page (the wtforms and our own messages).
ENGLISH = (
    "This field is required.",
    "Not a valid",
    "Invalid email address",
    "Field must be",
    "Keep this on one line.",
    "Choose a date between",
    "Please correct the highlighted fields.",
)


def row_count(app):
    with app.app_context():
        return sum(
            db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        )


def check(app, response, before, lang="fr"):
    assert response.status_code < 500, response.text[:2000]
    if response.status_code >= 400:
        assert row_count(app) == before
    if lang == "fr" and response.mimetype == "text/html":
        for english in ENGLISH:
            assert english not in response.text


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False}


@pytest.fixture
def offer(app):
    with app.app_context():
        return open_every_day(db.session).slug


def hostile_form(base):
    """`base` with some of its fields replaced by hostile values, and maybe an extra field."""
    return st.fixed_dictionaries({}, optional=dict.fromkeys((*base, "unexpected"), VALUE)).map(
        lambda changes: {**base, **changes}
    )


# Public pages


def public_get_routes(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if "GET" in rule.methods and PUBLIC in (getattr(view, "access", None) or ()):
            yield rule


#: A rule's argument: <name>, <converter:name> or <converter(arguments):name>.
ARGUMENT = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def build_path(rule, segment):
    """The rule's address with the hostile `segment` in every free-text part."""

    def value(match):
        converter, arguments, _name = match.groups()
        if converter == "lang":
            return "fr"
        if converter == "int":
            return "99999999999999999999"
        if converter == "any":
            return arguments.split(",")[0].strip().strip("'\"")
        return quote(segment, safe="")

    return ARGUMENT.sub(value, rule.rule)


QUERY_KEYS = st.sampled_from(
    ["page", "q", "day", "start", "tz", "lang", "endpoint", "_external", "_anchor", "slug"]
)


@settings(FAST, max_examples=10)
@given(
    segment=VALUE,
    query=st.dictionaries(st.one_of(QUERY_KEYS, TEXT), VALUE, max_size=4),
)
def test_every_public_page_survives_hostile_segments_and_query_strings(
    app, client, offer, segment, query
):
    before = row_count(app)
    for rule in public_get_routes(app):
        path = build_path(rule, segment or "x")
        response = client.get(path + "?" + urlencode(query))
        assert response.status_code < 500, (path, query, response.text[:2000])
    assert row_count(app) == before


# Public forms


@FAST
@given(data=st.data())
def test_the_reservation_form_refuses_hostile_values_in_french(app, client, offer, data):
    slot = free_slots(app, offer)[-1]
    form = data.draw(hostile_form({**RESERVATION_FORM, "start": slot_key(slot), "tz": "UTC"}))
    before = row_count(app)
    check(app, client.post(f"/fr/book/{offer}/reserve", data=form), before)


@FAST
@given(
    form=hostile_form(
        {
            "name": "Léa",
            "email": "lea@example.org",
            "organisation": "Congrès",
            "event_date": "2030-05-01",
            "city": "Québec",
            "audience_size": "200",
            "budget_range": "unknown",
            "message": "Une conférence",
        }
    )
)
def test_the_speaking_inquiry_refuses_hostile_values_in_french(app, client, form):
    before = row_count(app)
    check(app, client.post("/fr/speaker/invite", data=form), before)


@FAST
@given(form=hostile_form({"email": "owner@example.org", "password": "x", "code": "123456"}))
def test_sign_in_refuses_hostile_values(app, client, form):
    before = row_count(app)
    response = client.post("/fr/login", data=form)
    assert response.status_code < 500
    assert row_count(app) == before
    response = client.post("/fr/login/code", data=form)
    assert response.status_code < 500


# Owner forms

OWNER_FORMS = {
    "/fr/admin/availability/rules": {
        "rules-min_notice_hours": "24",
        "rules-horizon_days": "60",
        "rules-slot_step_minutes": "30",
        "rules-buffer_before_minutes": "0",
        "rules-buffer_after_minutes": "15",
        "rules-daily_max_sessions": "",
    },
    "/fr/admin/availability/hours": {
        "hours-monday-0-start": "09:00",
        "hours-monday-0-end": "17:00",
        "hours-tuesday-0-start": "",
        "hours-tuesday-0-end": "",
    },
    "/fr/admin/availability/overrides": {
        "override-day": "2030-01-07",
        "override-closed": "",
        "override-start": "10:00",
        "override-end": "12:00",
        "override-note": "ok",
    },
    "/fr/admin/availability/time-off": {
        "timeoff-kind": "hours",
        "timeoff-first_day": "2030-01-07",
        "timeoff-last_day": "2030-01-08",
        "timeoff-starts_at": "2030-01-07T10:00",
        "timeoff-ends_at": "2030-01-07T12:00",
        "timeoff-reason": "ok",
    },
    "/fr/admin/offers/new": {
        "slug": "new-offer",
        "title_fr": "Titre",
        "title_en": "Title",
        "description_fr": "",
        "description_en": "",
        "duration_minutes": "60",
        "price_cents": "150.00",
        "position": "1",
    },
    "/fr/admin/content/articles/new": {
        "lang": "fr",
        "title": "Titre",
        "slug": "",
        "summary": "Résumé",
        "body": "Texte",
        "tags": "a, b",
        "cover_image": "",
        "cover_alt": "",
        "status": "scheduled",
        "publish_at": "2030-01-07T10:00",
        "translation_id": "",
    },
    "/fr/admin/content/bio/fr": {
        "name": "Camille",
        "headline": "Stratège",
        "short_bio": "Courte",
        "long_bio": "Longue",
        "topics": "a\nb",
        "photo": "",
    },
    "/fr/admin/content/talks/new": {
        "title": "Conférence",
        "event": "Congrès",
        "city": "Montréal",
        "held_on": "2030-01-07",
        "video_url": "",
        "lang": "fr",
    },
    "/fr/admin/bookings/{booking}/notes": {"notes-owner_notes": "Notes"},
    "/fr/admin/bookings/{booking}/cancel": {
        "cancel-confirm": "",
        "cancel-refund": "none",
        "cancel-reason": "r",
    },
    "/fr/admin/bookings/{booking}/refund": {
        "refund-confirm": "",
        "refund-payment": "1",
        "refund-amount": "10",
        "refund-reason": "r",
    },
    "/fr/admin/bookings/{booking}/paid": {
        "paid-confirm": "",
        "paid-amount": "10",
        "paid-paid_on": "2030-01-07",
        "paid-method": "interac",
        "paid-reference": "x",
    },
}


@pytest.fixture
def owner_booking(app, auth, offer):
    auth.login()
    with app.app_context():
        booking = make_booking(db.session)
        db.session.commit()
        return booking.id


@pytest.mark.parametrize("path", sorted(OWNER_FORMS))
def test_every_owner_form_refuses_hostile_values_in_french(app, client, owner_booking, path):
    url = path.format(booking=owner_booking)

    @FAST
    @given(form=hostile_form(OWNER_FORMS[path]))
    def post(form):
        before = row_count(app)
        check(app, client.post(url, data=form), before)

    post()
