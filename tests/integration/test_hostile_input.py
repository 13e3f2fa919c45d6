"""Hostile input answers a 400 page or a form message in the visitor's language, never a 500."""

import re
import time

import pyotp
import pytest
import sqlalchemy as sa

from consult.extensions import db
from tests.factories import RESERVATION_FORM, free_slots, open_every_day, slot_key


def row_count(app):
    """Every row of every table: a refused request leaves the sum unchanged."""
    with app.app_context():
        return sum(
            db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        )


@pytest.fixture
def offer(app):
    with app.app_context():
        return open_every_day(db.session).slug


@pytest.mark.parametrize(
    "path",
    [
        "/fr/articles/a%00b",
        "/fr/articles/?page=1%00",
        "/fr/search?q=%00",
        "/fr/search?q%01=x",
        "/fr/book/strategie?tz=Europe/Paris%0d%0aX-Injected:1",
        "/fr/no-such-page%00",
    ],
)
def test_a_control_character_in_the_address_is_a_french_400(client, offer, path):
    response = client.get(path)
    assert response.status_code == 400
    assert 'lang="fr"' in response.text


def test_a_nul_in_a_form_field_is_a_400_and_reserves_nothing(app, client, offer):
    slot = free_slots(app, offer)[0]
    before = row_count(app)
    data = {**RESERVATION_FORM, "start": slot_key(slot), "goal": "Instagram\x00", "tz": "UTC"}
    response = client.post(f"/en/book/{offer}/reserve", data=data)
    assert response.status_code == 400
    assert row_count(app) == before


def test_a_textarea_keeps_its_line_breaks_and_tabs(app, client, offer):
    slot = free_slots(app, offer)[0]
    data = {**RESERVATION_FORM, "start": slot_key(slot), "goal": "One\r\n\tTwo", "tz": "UTC"}
    response = client.post(f"/en/book/{offer}/reserve", data=data)
    assert response.status_code == 302


def test_a_line_break_in_a_one_line_owner_field_is_a_french_message(app, client, auth):
    auth.login()
    before = row_count(app)
    response = client.post(
        "/fr/admin/availability/time-off",
        data={
            "timeoff-kind": "days",
            "timeoff-first_day": "2027-01-04",
            "timeoff-last_day": "2027-01-05",
            "timeoff-reason": "ski\r\nBcc: everyone",
        },
    )
    assert response.status_code == 400
    assert "Gardez ce texte sur une seule ligne." in response.text
    assert row_count(app) == before


@pytest.mark.parametrize(
    "path",
    [
        "/fr/articles/?lang=en",
        "/en/speaker/?lang=fr&endpoint=x&_external=1&_anchor=y",
        "/fr/book/strategie?slug=other&tz=UTC",
        "/fr/no-such-page?lang=en",
    ],
)
def test_unexpected_query_parameters_keep_the_language_switch_working(client, offer, path):
    response = client.get(path)
    assert response.status_code in (200, 404)
    switch = re.search(
        r'hreflang="(?:fr|en)"[^>]*href="([^"]+)"|href="([^"]+)"[^>]*hreflang', response.text
    )
    assert switch is None or "_external" not in (switch.group(1) or switch.group(2))


@pytest.mark.parametrize("page", ["99999999999999999999", "-5", "0", "１２", "9" * 5000])
def test_page_numbers_beyond_any_range_are_clamped(client, page):
    response = client.get(f"/fr/articles/?page={page}")
    assert response.status_code in (200, 404)


@pytest.mark.parametrize(
    "path", ["/fr/admin/bookings?page=99999999999999999999", "/fr/admin/audit/?page=10**30"]
)
def test_owner_page_numbers_beyond_any_range_are_clamped(client, auth, path):
    auth.login()
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "days", "first_day": "2027-01-04", "last_day": "9999-12-31"},
        {"kind": "days", "first_day": "0001-01-01", "last_day": "2027-01-05"},
        {"kind": "hours", "starts_at": "9999-12-31T20:00", "ends_at": "9999-12-31T23:59"},
    ],
)
def test_a_time_off_at_the_ends_of_the_calendar_is_a_field_message(app, client, auth, data):
    auth.login()
    before = row_count(app)
    data = {f"timeoff-{key}": value for key, value in data.items()}
    response = client.post("/fr/admin/availability/time-off", data=data)
    assert response.status_code == 400
    assert "Choisissez une date entre le 1900-01-01 et le 2999-12-31." in response.text
    assert row_count(app) == before


def test_an_override_on_the_last_day_of_the_calendar_is_a_field_message(app, client, auth):
    auth.login()
    response = client.post(
        "/fr/admin/availability/overrides",
        data={"override-day": "9999-12-31", "override-start": "20:00", "override-end": "23:30"},
    )
    assert response.status_code == 400
    assert "Choisissez une date entre" in response.text


def test_full_width_digits_as_a_two_factor_code_are_a_form_message(app, client, auth):
    user = auth.login()
    page = client.get("/en/account/two-factor").text
    secret = re.search(r'<code class="secret">([A-Z2-7]{32})</code>', page).group(1)
    response = client.post("/en/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    auth.logout()
    client.post("/fr/login", data={"email": user.email, "password": user.password})
    code = pyotp.TOTP(secret).at(time.time())
    full_width = "".join(chr(ord(digit) + 0xFEE0) for digit in code)
    response = client.post("/fr/login/code", data={"code": full_width})
    assert response.status_code < 500
    assert response.status_code != 302
