"""In the browser: the owner turns on two-factor sign-in and signs in with a code."""

import time

import pyotp


def test_the_owner_turns_on_two_factor_and_signs_in_with_a_code(page, make_user):
    user = make_user(role="owner")
    refused = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and refused.append(message.text),
    )

    page.goto("/en/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/en/account/two-factor")
    qr = page.get_by_role("img", name="QR code of the key for your authenticator app")
    assert qr.locator("svg").bounding_box()["width"] > 100  # drawn, not blocked by the CSP
    secret = page.locator("code.secret").first.inner_text()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    codes = page.locator("ol.recovery-codes code").all_inner_texts()
    assert len(codes) == 10

    page.get_by_role("button", name="Sign out").click()
    page.goto("/en/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/en/login/code")
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/en/admin/")
    assert refused == []  # nothing on these pages breaks the CSP
