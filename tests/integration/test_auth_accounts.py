"""Emailed sign-in links, password reset, sessions that end on the server, equal-time sign-in."""

import re
import threading
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import sqlalchemy as sa

from consult.audit import AuditEntry
from consult.auth import models, service
from consult.auth.models import EmailedLink, User
from consult.extensions import db, utcnow
from consult.mail.models import OutboxMessage

NEW = "a brand new long passphrase"


def sign_in(client, user, password=None, remember=False, address="127.0.0.1"):
    data = {"email": user.email, "password": password or user.password}
    if remember:
        data["remember"] = "y"
    return client.post("/en/login", data=data, environ_base={"REMOTE_ADDR": address})


def mails(app, to=None):
    with app.app_context():
        query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
        if to:
            query = query.where(OutboxMessage.to == to)
        return [(m.to, m.subject, m.text_body) for m in db.session.scalars(query)]


def link_in(body, path):
    return re.search(rf"http://localhost(/en/{path}/[A-Za-z0-9_-]+)", body).group(1)


def ask(client, path, email, address="127.0.0.1"):
    return client.post(path, data={"email": email}, environ_base={"REMOTE_ADDR": address})


def copy_cookies(source, target, names):
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


# ----------------------------------------------------------------- emailed sign-in link


def test_a_sign_in_link_signs_her_in_once_without_the_password(app, client, make_user):
    user = make_user()
    response = ask(client, "/en/login/link", user.email.upper())
    assert response.status_code == 302
    [(to, subject, body)] = mails(app)
    assert (to, subject) == (user.email, "Your sign-in link")
    path = link_in(body, "login/link")

    assert client.get(path).status_code == 200  # opening it (a mail scanner does) spends nothing
    response = client.post(path)
    assert response.status_code == 302
    assert client.get("/en/account").status_code == 200

    assert app.test_client().post(path).status_code == 404
    with app.app_context():
        assert "auth.sign_in_link_use" in db.session.scalars(sa.select(AuditEntry.action)).all()


def test_asking_for_a_link_says_the_same_whether_the_account_exists_or_not(app, make_user):
    user = make_user()
    answers = []
    for email in (user.email, "nobody-here@example.org"):
        browser = app.test_client()
        response = ask(browser, "/en/login/link", email)
        answers.append((response.status_code, browser.get(response.location).text))
    assert answers[0] == answers[1]
    assert "If an account uses this address" in answers[0][1]
    assert [to for to, _, _ in mails(app)] == [user.email]


def test_only_a_hash_of_the_token_is_stored(app, client, make_user):
    user = make_user()
    ask(client, "/en/login/link", user.email)
    token = link_in(mails(app)[0][2], "login/link").rsplit("/", 1)[1]
    with app.app_context():
        link = db.session.scalar(sa.select(EmailedLink))
        assert link.token_hash == models.token_digest(token) != token


def test_an_expired_link_no_longer_works(app, client, make_user):
    user = make_user()
    ask(client, "/en/login/link", user.email)
    path = link_in(mails(app)[0][2], "login/link")
    with app.app_context():
        link = db.session.scalar(sa.select(EmailedLink))
        assert link.expires_at - link.created_at == timedelta(minutes=15)
        link.expires_at = link.created_at - timedelta(seconds=1)
        db.session.commit()
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
    assert client.get("/en/account").status_code == 302


def test_a_sign_in_link_still_asks_for_the_second_factor(app, client, make_user):
    user = make_user(totp_secret=pyotp.random_base32())
    ask(client, "/en/login/link", user.email)
    response = client.post(link_in(mails(app)[0][2], "login/link"))
    assert response.status_code == 302
    assert response.location.endswith("/en/login/code")
    assert client.get("/en/account").status_code == 302


def test_a_paused_account_still_gets_in_with_a_link(app, client, make_user):
    user = make_user()
    for number in range(6):
        sign_in(client, user, password="wrong password", address=f"10.4.0.{number}")
    assert sign_in(client, user, address="10.4.1.1").status_code == 429

    ask(client, "/en/login/link", user.email, address="10.4.1.1")
    assert client.post(link_in(mails(app)[0][2], "login/link")).status_code == 302
    assert client.get("/en/account").status_code == 200


def test_asking_again_and_again_never_blocks_her_newest_link(app, client, make_user):
    user = make_user()
    for number in range(6):
        assert ask(client, "/en/login/link", user.email, f"10.5.0.{number}").status_code == 302
    sent = mails(app)
    assert len(sent) == 3  # a few per quarter hour: her inbox is not flooded
    assert client.post(link_in(sent[-1][2], "login/link")).status_code == 302


def test_asking_for_links_is_rate_limited_per_address(client):
    for number in range(5):
        assert (
            ask(client, "/en/login/link", f"n{number}@example.org", "10.6.0.1").status_code == 302
        )
    assert ask(client, "/en/login/link", "n9@example.org", "10.6.0.1").status_code == 429
    assert ask(client, "/en/login/link", "n9@example.org", "10.6.0.2").status_code == 302


def test_a_made_up_link_is_a_plain_not_found(client):
    assert client.get("/en/login/link/made-up").status_code == 404
    assert client.post("/en/password/reset/made-up").status_code == 404


# ----------------------------------------------------------------------- password reset


def test_a_reset_link_sets_a_new_password_and_ends_every_session(app, client, make_user):
    user = make_user()
    other_browser = app.test_client()
    assert sign_in(other_browser, user, remember=True).status_code == 302

    ask(client, "/en/password/forgot", user.email)
    [(to, subject, body)] = mails(app)
    assert (to, subject) == (user.email, "Choose a new password")
    path = link_in(body, "password/reset")
    response = client.post(path, data={"new_password": NEW, "confirm_password": NEW})

    assert response.status_code == 302
    assert client.get("/en/account").status_code == 302  # the reset signs nobody in
    assert other_browser.get("/en/account").status_code == 302
    assert sign_in(app.test_client(), user).status_code == 400
    assert sign_in(app.test_client(), user, password=NEW).status_code == 302
    again = client.post(path, data={"new_password": "x" * 12, "confirm_password": "x" * 12})
    assert again.status_code == 404
    with app.app_context():
        assert "auth.password_reset" in db.session.scalars(sa.select(AuditEntry.action)).all()


def test_a_reset_voids_the_other_links_still_out(app, client, make_user):
    user = make_user()
    ask(client, "/en/login/link", user.email)
    ask(client, "/en/password/forgot", user.email)
    sign_in_link, reset = mails(app)
    client.post(
        link_in(reset[2], "password/reset"), data={"new_password": NEW, "confirm_password": NEW}
    )
    assert client.post(link_in(sign_in_link[2], "login/link")).status_code == 404


def test_a_refused_new_password_keeps_the_link(app, client, make_user):
    user = make_user()
    ask(client, "/en/password/forgot", user.email)
    path = link_in(mails(app)[0][2], "password/reset")
    response = client.post(path, data={"new_password": "short", "confirm_password": "short"})
    assert response.status_code == 400
    assert "At least 10 characters." in response.text
    assert client.get(path).status_code == 200


def test_the_reset_request_reveals_nothing_about_the_account(app, make_user):
    user = make_user()
    answers = []
    for email in (user.email, "nobody-here@example.org"):
        browser = app.test_client()
        response = ask(browser, "/fr/password/forgot", email)
        answers.append((response.status_code, browser.get(response.location).text))
    assert answers[0] == answers[1]
    assert len(mails(app)) == 1


# ------------------------------------------------------------- sessions end on the server


def test_signing_out_ends_a_copied_session_cookie(app, client, make_user):
    user = make_user()
    sign_in(client, user)
    thief = app.test_client()
    copy_cookies(client, thief, [app.config.get("SESSION_COOKIE_NAME", "session")])
    assert thief.get("/en/account").status_code == 200

    client.post("/en/logout")

    assert thief.get("/en/account").status_code == 302
    assert client.get("/en/account").status_code == 302


def test_signing_out_ends_a_copied_remember_cookie(app, client, make_user):
    user = make_user()
    sign_in(client, user, remember=True)
    name = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    assert client.get_cookie(name) is not None
    thief = app.test_client()
    copy_cookies(client, thief, [name])
    assert thief.get("/en/account").status_code == 200

    client.post("/en/logout")

    assert app.test_client().get("/en/account").status_code == 302
    fresh_thief = app.test_client()
    copy_cookies(thief, fresh_thief, [name])
    assert fresh_thief.get("/en/account").status_code == 302


def test_remember_me_is_off_unless_she_ticks_it(app, client, make_user):
    user = make_user()
    name = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    assert "Keep me signed in on this device" in client.get("/en/login").text
    sign_in(client, user)
    assert client.get_cookie(name) is None


def test_a_ticked_remember_me_lasts_thirty_days_not_a_year(app, client, make_user):
    sign_in(client, make_user(), remember=True)
    cookie = client.get_cookie(app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    lasts = cookie.expires - datetime.now(UTC)
    assert timedelta(days=29) < lasts <= timedelta(days=30)


@pytest.mark.parametrize("turn", ["on", "off"])
def test_turning_two_factor_on_or_off_ends_her_other_sessions(app, client, make_user, turn):
    secret = pyotp.random_base32()
    user = make_user(totp_secret=secret if turn == "off" else None)
    if turn == "off":
        with app.app_context():
            db.session.get(User, user.id).totp_last_step = None
            db.session.commit()
        client.post("/en/login", data={"email": user.email, "password": user.password})
        client.post("/en/login/code", data={"code": pyotp.TOTP(secret).now()})
    else:
        sign_in(client, user, remember=True)
    other = app.test_client()
    copy_cookies(client, other, [app.config.get("SESSION_COOKIE_NAME", "session")])
    assert other.get("/en/account").status_code == 200

    if turn == "on":
        page = client.get("/en/account/two-factor").text
        secret = re.search(r'<code class="secret">([A-Z2-7]{32})</code>', page).group(1)
        response = client.post("/en/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
        assert response.status_code == 200
    else:
        response = client.post(
            "/en/account/two-factor/disable", data={"disable-password": user.password}
        )
        assert response.status_code == 302

    assert client.get("/en/account").status_code == 200
    assert other.get("/en/account").status_code == 302


# ------------------------------------------------------------------------ equal-time sign-in


class SpyHasher:
    def __init__(self, hasher):
        self.hasher, self.verified = hasher, []

    def hash(self, password):
        return self.hasher.hash(password)

    def verify(self, stored, password):
        self.verified.append(password)
        return self.hasher.verify(stored, password)


def test_an_unknown_email_costs_the_same_argon2_check_as_a_known_one(
    client, make_user, monkeypatch
):
    user = make_user()
    spy = SpyHasher(models._hasher)
    monkeypatch.setattr(models, "_hasher", spy)

    unknown = client.post("/en/login", data={"email": "no@example.org", "password": "guess one"})
    known = client.post("/en/login", data={"email": user.email, "password": "guess two"})

    assert (unknown.status_code, known.status_code) == (400, 400)
    assert spy.verified == ["guess one", "guess two"]
    assert unknown.text.replace("no@example.org", user.email) == known.text


def test_a_link_spent_by_two_requests_at_once_lets_only_one_in(app, client, make_user):
    user = make_user()
    ask(client, "/en/login/link", user.email)
    token = link_in(mails(app)[0][2], "login/link").rsplit("/", 1)[1]
    outcomes, start = [], threading.Barrier(4)

    def spend():
        with app.app_context():
            start.wait()
            try:
                service.sign_in_with_link(db.session, token, utcnow())
            except service.InvalidLink:
                outcomes.append("refused")
            else:
                outcomes.append("in")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["in", "refused", "refused", "refused"]
