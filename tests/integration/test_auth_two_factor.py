"""Optional TOTP two-factor sign-in for the owner, with single-use recovery codes."""

import re
import time

import pyotp
import pytest
import sqlalchemy as sa

from consult.audit import AuditEntry
from consult.auth.models import User
from consult.extensions import db

SETUP = "/en/account/two-factor"


def code_at(secret, offset_steps=0):
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def turn_on(client):
    """Go through the setup page; returns (secret, recovery codes)."""
    page = client.get(SETUP).text
    secret = re.search(r'<code class="secret">([A-Z2-7]{32})</code>', page).group(1)
    response = client.post(SETUP, data={"code": code_at(secret)})
    assert response.status_code == 200, response.text
    codes = re.findall(r"<code>([A-Z0-9]{5}-[A-Z0-9]{5})</code>", response.text)
    return secret, codes


@pytest.fixture
def owner_with_2fa(app, client, auth):
    user = auth.login()
    secret, codes = turn_on(client)
    auth.logout()
    return user, secret, codes


def sign_in(client, user, next_path=None):
    data = {"email": user.email, "password": user.password}
    if next_path:
        data["next"] = next_path
    return client.post("/en/login", data=data)


def test_the_setup_page_shows_the_key_its_address_and_a_qr_code(client, auth):
    user = auth.login()
    page = client.get(SETUP).text
    assert "otpauth://totp/" in page
    assert user.email.replace("@", "%40") in page
    assert "<svg" in page and "<script" not in page.split("<main", 1)[1]
    assert "style=" not in page


def test_turning_on_needs_a_right_first_code(app, client, auth):
    user = auth.login()
    client.get(SETUP)
    response = client.post(SETUP, data={"code": "000000"})
    assert response.status_code == 400
    assert "This code is not valid." in response.text
    with app.app_context():
        assert db.session.get(User, user.id).totp_secret is None


def test_turning_on_shows_ten_recovery_codes_once_and_stores_only_hashes(app, client, auth):
    user = auth.login()
    secret, codes = turn_on(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored.totp_secret == secret
        assert len(stored.recovery_codes) == 10
        assert all(h.startswith("$argon2") for h in stored.recovery_codes)
        assert not set(codes) & set(stored.recovery_codes)
        entry = db.session.scalar(sa.select(AuditEntry))
        assert entry.action == "auth.two_factor_enable" and entry.user_id == user.id
    again = client.get(SETUP).text
    assert not any(code in again for code in codes)


def test_sign_in_asks_for_the_code_before_letting_her_in(client, owner_with_2fa):
    user, secret, _codes = owner_with_2fa

    response = sign_in(client, user, next_path="/en/admin/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/en/login/code"
    assert client.get("/en/admin/").status_code == 302  # not signed in yet
    wrong = client.post("/en/login/code", data={"code": "123456"})
    assert wrong.status_code == 400
    right = client.post("/en/login/code", data={"code": code_at(secret, 1)})
    assert right.status_code == 302
    assert right.headers["Location"] == "/en/admin/"  # `next` kept through the second step
    assert client.get("/en/admin/").status_code == 200


def test_a_code_works_only_once(client, owner_with_2fa):
    user, secret, _codes = owner_with_2fa
    code = code_at(secret, 1)
    sign_in(client, user)
    assert client.post("/en/login/code", data={"code": code}).status_code == 302
    client.post("/fr/logout")
    sign_in(client, user)
    assert client.post("/en/login/code", data={"code": code}).status_code == 400


def test_an_off_site_next_is_dropped_at_the_second_step(client, owner_with_2fa):
    user, secret, _codes = owner_with_2fa
    sign_in(client, user, next_path="//evil.example/")
    response = client.post("/en/login/code", data={"code": code_at(secret, 1)})
    assert response.headers["Location"] == "/en/admin/"


def test_a_recovery_code_signs_in_once(app, client, owner_with_2fa):
    user, _secret, codes = owner_with_2fa
    sign_in(client, user)
    assert client.post("/en/login/code", data={"code": codes[3].lower()}).status_code == 302
    client.post("/fr/logout")
    sign_in(client, user)
    assert client.post("/en/login/code", data={"code": codes[3]}).status_code == 400
    with app.app_context():
        assert len(db.session.get(User, user.id).recovery_codes) == 9
        actions = db.session.scalars(sa.select(AuditEntry.action)).all()
        assert "auth.recovery_code_use" in actions


def test_the_code_step_without_a_password_first_goes_back_to_sign_in(client):
    response = client.post("/en/login/code", data={"code": "123456"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/login"


def test_turning_off_requires_the_password(app, client, owner_with_2fa):
    user, secret, _codes = owner_with_2fa
    sign_in(client, user)
    client.post("/en/login/code", data={"code": code_at(secret, 1)})

    refused = client.post(f"{SETUP}/disable", data={"disable-password": "not it at all"})
    assert refused.status_code == 400
    done = client.post(f"{SETUP}/disable", data={"disable-password": user.password})
    assert done.status_code == 302
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored.totp_secret is None and stored.recovery_codes == []
        assert db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "auth.two_factor_disable")
        )
    client.post("/fr/logout")
    assert sign_in(client, user).headers["Location"] == "/en/admin/"


def test_new_recovery_codes_replace_the_old_ones(app, client, owner_with_2fa):
    user, secret, old_codes = owner_with_2fa
    sign_in(client, user)
    client.post("/en/login/code", data={"code": code_at(secret, 1)})
    response = client.post(f"{SETUP}/recovery-codes", data={"codes-password": user.password})
    new_codes = re.findall(r"<code>([A-Z0-9]{5}-[A-Z0-9]{5})</code>", response.text)
    assert len(new_codes) == 10
    client.post("/fr/logout")
    sign_in(client, user)
    assert client.post("/en/login/code", data={"code": old_codes[0]}).status_code == 400
    assert client.post("/en/login/code", data={"code": new_codes[0]}).status_code == 302


OWNER_ROUTES = [
    ("get", SETUP),
    ("post", SETUP),
    ("post", f"{SETUP}/disable"),
    ("post", f"{SETUP}/recovery-codes"),
]


@pytest.mark.parametrize(("method", "path"), OWNER_ROUTES)
def test_two_factor_pages_are_the_owners_only(client, auth, method, path):
    assert getattr(client, method)(path).status_code == 302  # anonymous: sign in first
    auth.login(role="accountant")
    assert getattr(client, method)(path).status_code == 403
