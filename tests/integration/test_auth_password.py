"""Changing the password: checked, audited, other sessions signed out, this one kept."""

import pytest
import sqlalchemy as sa

from consult.audit import AuditEntry

PAGE = "/en/account/password"
NEW = "a much longer passphrase"


def change(client, current, new=NEW, again=None):
    return client.post(
        PAGE,
        data={"current_password": current, "new_password": new, "confirm_password": again or new},
    )


@pytest.mark.parametrize("role", ["owner", "accountant"])
def test_changing_the_password_keeps_this_session_and_ends_the_others(app, client, auth, role):
    user = auth.login(role=role)
    other_browser = app.test_client()
    other_browser.post("/en/login", data={"email": user.email, "password": user.password})
    assert other_browser.get("/en/account").status_code == 200

    response = change(client, user.password)

    assert response.status_code == 302
    assert client.get("/en/account").status_code == 200
    assert other_browser.get("/en/account").status_code == 302
    fresh = app.test_client()
    assert fresh.post("/en/login", data={"email": user.email, "password": NEW}).status_code == 302
    with app.app_context():
        from consult.extensions import db

        entry = db.session.scalar(sa.select(AuditEntry))
        assert (entry.action, entry.user_id) == ("auth.password_change", user.id)


@pytest.mark.parametrize(
    ("current", "new", "again", "message"),
    [
        ("wrong current password", NEW, NEW, "This is not your current password."),
        (None, "short", "short", "At least 10 characters."),
        (None, NEW, NEW + "!", "The two new passwords differ."),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(
    app, client, auth, current, new, again, message
):
    user = auth.login()
    response = change(client, current or user.password, new, again)
    assert response.status_code == 400
    assert message in response.text
    client.post("/en/logout")
    again_in = client.post("/en/login", data={"email": user.email, "password": user.password})
    assert again_in.status_code == 302


def test_the_account_pages_need_a_sign_in(client):
    for path in ("/en/account", PAGE):
        assert client.get(path).status_code == 302
