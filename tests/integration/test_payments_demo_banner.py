"""The demo gateway announces itself on every booking and payment page it touches."""

import pytest

BANNER = "Demo payments: no card is charged"


@pytest.mark.parametrize("path", ["/en/book/", "/en/book/social-media-strategy"])
def test_booking_pages_carry_the_demo_banner(client, runner, path):
    runner.invoke(args=["consult", "seed-demo"])
    assert BANNER in client.get(path).text


def test_content_pages_do_not(client, runner):
    runner.invoke(args=["consult", "seed-demo"])
    assert BANNER not in client.get("/en/").text


def test_no_banner_with_a_real_gateway(app, client, runner):
    runner.invoke(args=["consult", "seed-demo"])
    app.config["PAYMENT_GATEWAY"] = "manual"
    assert BANNER not in client.get("/en/book/").text
