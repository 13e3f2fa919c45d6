"""The pure helpers behind feeds and alternates: absolute links, x-default, machine instants."""

from datetime import UTC, datetime, timedelta, timezone

from consult.content.feeds import absolute_links, with_x_default
from consult.seo import decimal_price, iso_instant

PAGE = "https://example.com/fr/articles/un-article"


def test_in_page_anchors_and_site_paths_become_absolute_against_the_article():
    html = (
        '<h2 id="s-un"><a class="header-anchor" href="#s-un">#</a></h2>'
        '<p><a href="/fr/speaker/">bio</a> <img src="/uploads/abc.png" alt=""></p>'
    )
    assert absolute_links(html, PAGE) == (
        f'<h2 id="s-un"><a class="header-anchor" href="{PAGE}#s-un">#</a></h2>'
        '<p><a href="https://example.com/fr/speaker/">bio</a> '
        '<img src="https://example.com/uploads/abc.png" alt=""></p>'
    )


def test_other_sites_and_protocol_relative_links_are_left_alone():
    html = '<a href="https://other.org/x#y">a</a><a href="//cdn.example.org/x">b</a>'
    assert absolute_links(html, PAGE) == html


def test_x_default_is_the_default_languages_page_and_only_with_alternates():
    assert with_x_default({"fr": "/fr/a", "en": "/en/b"}, "fr") == {
        "fr": "/fr/a",
        "en": "/en/b",
        "x-default": "/fr/a",
    }
    assert with_x_default({"en": "/en/b"}, "fr") == {"en": "/en/b"}
    assert with_x_default({}, "fr") == {}


def test_a_machine_instant_is_utc_in_whole_seconds():
    moment = datetime(2026, 12, 1, 18, 5, 7, 123456, tzinfo=timezone(timedelta(hours=-5)))
    assert iso_instant(moment) == "2026-12-01T23:05:07Z"
    assert iso_instant(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"


def test_prices_are_decimal_strings_never_floats():
    assert decimal_price(25000) == "250.00"
    assert decimal_price(28744) == "287.44"
    assert decimal_price(5) == "0.05"
