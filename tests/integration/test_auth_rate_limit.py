"""Sign-in is rate-limited per account and per address, with a clear message."""

import uuid


def attempt(client, email, address, lang="en", password="wrong password"):
    return client.post(
        f"/{lang}/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_one_account_is_paused_after_five_attempts_from_any_addresses(client, make_user):
    user = make_user()
    for number in range(5):
        assert attempt(client, user.email, f"10.0.0.{number}").status_code == 400

    response = attempt(client, user.email.upper(), "10.0.1.1", password=user.password)

    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.text
    assert "Retry-After" in response.headers
    # Another account from a fresh address is not affected.
    other = make_user()
    assert attempt(client, other.email, "10.0.2.1", password=other.password).status_code == 302


def test_one_address_is_paused_after_five_attempts_on_any_accounts(client, make_user):
    for _ in range(5):
        assert attempt(client, f"{uuid.uuid4().hex}@example.org", "10.9.9.9").status_code == 400

    user = make_user()
    response = attempt(client, user.email, "10.9.9.9", lang="fr", password=user.password)

    assert response.status_code == 429
    assert "Trop de tentatives de connexion" in response.text
    assert attempt(client, user.email, "10.9.9.10", password=user.password).status_code == 302


def test_the_sign_in_page_itself_is_never_limited(client):
    for _ in range(8):
        assert client.get("/en/login").status_code == 200


def test_the_limit_comes_from_the_login_rate_limit_setting(app, client, make_user):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    user = make_user()
    assert attempt(client, user.email, "10.1.1.1").status_code == 400
    assert attempt(client, user.email, "10.1.1.2").status_code == 400
    assert attempt(client, user.email, "10.1.1.3").status_code == 429
