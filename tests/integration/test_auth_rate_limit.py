"""Sign-in is limited per address and per account-and-address pair; an account only slows
down, so nobody can lock the owner out by typing wrong passwords for her email."""

import time
import uuid

import pyotp
import pytest

from consult.auth import throttle
from consult.auth.models import User
from consult.extensions import db


def attempt(client, email, address, lang="en", password="wrong password"):
    return client.post(
        f"/{lang}/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_wrong_attempts_from_many_addresses_pause_her_account_for_a_second_not_for_good(
    client, make_user
):
    user = make_user()
    for number in range(5):
        assert attempt(client, user.email, f"10.0.0.{number}").status_code == 400

    response = attempt(client, user.email.upper(), "10.0.1.1", password=user.password)

    assert response.status_code == 429
    assert "Try again in 1 second," in response.text
    assert "sign in with a link sent by email" in response.text
    assert "Retry-After" in response.headers
    time.sleep(1.1)
    assert attempt(client, user.email, "10.0.1.1", password=user.password).status_code == 302


def test_the_pause_of_an_account_doubles_with_each_wrong_attempt_up_to_a_minute():
    assert [throttle.pause_for(n) for n in (0, 4, 5, 6, 7, 10, 11, 50)] == [
        0,
        0,
        1,
        2,
        4,
        32,
        60,
        60,
    ]


def test_an_attempt_during_the_pause_is_not_even_checked(client, make_user, monkeypatch):
    user = make_user()
    for number in range(5):
        attempt(client, user.email, f"10.0.3.{number}")
    checked = []
    monkeypatch.setattr(type(user), "check_password", lambda self, pw: checked.append(pw))

    response = attempt(client, user.email, "10.0.3.9", password=user.password)

    assert response.status_code == 429
    assert checked == []


def test_an_unknown_email_pauses_exactly_like_a_known_one(client, make_user):
    known, unknown = make_user().email, f"{uuid.uuid4().hex}@example.org"
    answers = {}
    for email in (known, unknown):
        for number in range(5):
            attempt(client, email, f"10.0.{4 + len(answers)}.{number}")
        response = attempt(client, email, "10.0.9.9")
        answers[email] = (response.status_code, "Try again in 1 second," in response.text)
    assert answers[known] == answers[unknown] == (429, True)


def test_the_paused_page_is_in_her_language(client, make_user):
    user = make_user()
    for number in range(5):
        attempt(client, user.email, f"10.0.6.{number}", lang="fr")
    response = attempt(client, user.email, "10.0.6.9", lang="fr")
    assert response.status_code == 429
    assert "Réessayez dans 1\u00a0seconde" in response.text


def test_one_address_is_refused_after_five_attempts_on_any_accounts(client, make_user):
    for _ in range(5):
        assert attempt(client, f"{uuid.uuid4().hex}@example.org", "10.9.9.9").status_code == 400

    user = make_user()
    response = attempt(client, user.email, "10.9.9.9", lang="fr", password=user.password)

    assert response.status_code == 429
    assert "Trop de tentatives de connexion" in response.text
    assert attempt(client, user.email, "10.9.9.10", password=user.password).status_code == 302


def test_one_account_from_one_address_is_refused_after_five_attempts(app, client, make_user):
    app.config["LOGIN_RATE_LIMIT"] = "5 per minute"
    user = make_user()
    for _ in range(5):
        assert attempt(client, user.email, "10.8.8.8").status_code in (400, 429)
    assert attempt(client, user.email, "10.8.8.8", password=user.password).status_code == 429


def test_the_sign_in_page_itself_is_never_limited(client):
    for _ in range(8):
        assert client.get("/en/login").status_code == 200


def test_the_limit_comes_from_the_login_rate_limit_setting(app, client, make_user):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    user = make_user()
    assert attempt(client, user.email, "10.1.1.1").status_code == 400
    assert attempt(client, user.email, "10.1.1.1").status_code == 400
    assert attempt(client, user.email, "10.1.1.1").status_code == 429


def test_a_right_password_clears_the_count_of_wrong_ones(client, make_user):
    user = make_user()
    for number in range(4):
        attempt(client, user.email, f"10.0.7.{number}")
    assert attempt(client, user.email, "10.0.7.9", password=user.password).status_code == 302
    client.post("/en/logout")
    for number in range(4):
        assert attempt(client, user.email, f"10.0.8.{number}").status_code == 400


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (
            "/en/account/password",
            {"current_password": "wrong", "new_password": "x" * 12, "confirm_password": "x" * 12},
        ),
        ("/en/account/two-factor/disable", {"disable-password": "wrong"}),
        ("/en/account/two-factor/recovery-codes", {"codes-password": "wrong"}),
    ],
)
def test_forms_that_confirm_her_password_are_rate_limited(app, client, auth, path, data):
    user = auth.login()
    with app.app_context():
        stored = db.session.get(User, user.id)
        stored.totp_secret = pyotp.random_base32()
        db.session.commit()
    for number in range(5):
        response = client.post(path, data=data, environ_base={"REMOTE_ADDR": f"10.2.0.{number}"})
        assert response.status_code == 400
    response = client.post(path, data=data, environ_base={"REMOTE_ADDR": "10.2.1.1"})
    assert response.status_code == 429
