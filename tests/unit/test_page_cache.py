"""Which areas a statement writes, read without an app: what invalidates what."""

import pytest

from consult import page_cache
from consult.page_cache import AREAS, BOOKINGS, CONTENT, areas_of_table, areas_written


@pytest.mark.parametrize(
    "statement",
    ["SELECT 1", "  select * from articles", "BEGIN IMMEDIATE", "PRAGMA foreign_keys=ON", ""],
)
def test_reads_and_transaction_control_write_nothing(statement):
    assert areas_written(statement, None) == set()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE articles SET title = 'x'",
        "DELETE FROM whatever",
        "TRUNCATE bookings",
        "CREATE TABLE t (x int)",
    ],
)
def test_raw_sql_that_writes_invalidates_everything(statement):
    assert areas_written(statement, None) == set(AREAS)


def test_each_table_invalidates_its_own_area_only():
    assert areas_of_table("articles") == {CONTENT}
    assert areas_of_table("bookings") == {BOOKINGS}
    assert areas_of_table("ledger_entries") == set()
    assert areas_of_table("a_table_added_tomorrow") == set(AREAS)


def test_the_backend_follows_the_rate_limiters_redis_unless_told():
    assert page_cache.backend_url({"RATELIMIT_STORAGE_URI": "memory://"}) == ""
    redis = {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}
    assert page_cache.backend_url(redis) == "redis://127.0.0.1:6379/0"
    told = {**redis, "PAGE_CACHE_URL": "redis://cache:6379/3"}
    assert page_cache.backend_url(told) == "redis://cache:6379/3"


def test_the_key_names_the_language_only_where_the_path_does_not():
    base = {"wsgi.url_scheme": "http", "HTTP_HOST": "example.org", "QUERY_STRING": ""}
    french = {**base, "PATH_INFO": "/", "HTTP_ACCEPT_LANGUAGE": "fr-CA"}
    english = {**base, "PATH_INFO": "/", "HTTP_ACCEPT_LANGUAGE": "en-CA"}
    assert page_cache.page_key(french) != page_cache.page_key(english)
    article_fr = {**base, "PATH_INFO": "/fr/articles/x", "HTTP_ACCEPT_LANGUAGE": "fr-CA"}
    article_en = {**base, "PATH_INFO": "/fr/articles/x", "HTTP_ACCEPT_LANGUAGE": "en-CA"}
    assert page_cache.page_key(article_fr) == page_cache.page_key(article_en)
    other_host = {**article_fr, "HTTP_HOST": "evil.example"}
    assert page_cache.page_key(other_host) != page_cache.page_key(article_fr)


def test_production_refuses_pages_kept_in_each_of_several_processes():
    from consult.config import DEFAULTS, UnsafeProductionSettings, check_production

    redis = "redis://127.0.0.1:6379/0"
    production = dict(
        DEFAULTS,
        ENV_NAME="production",
        SECRET_KEY="s" * 40,
        PAYMENT_GATEWAY="manual",
        SITE_URL="https://consult.example",
        RATELIMIT_STORAGE_URI=redis,
        WEB_WORKERS=4,
    )
    check_production(production)  # the pages follow the limiter into Redis
    with pytest.raises(UnsafeProductionSettings, match="CONSULT_PAGE_CACHE_URL"):
        check_production({**production, "PAGE_CACHE_URL": "simple://"})
    check_production({**production, "PAGE_CACHE_URL": "simple://", "PAGE_CACHE": False})
    assert page_cache.backend_url({"PAGE_CACHE_URL": "simple://"}) == ""


def test_the_switch_reads_off_from_the_environment():
    from consult.config import from_environment

    assert from_environment({"CONSULT_PAGE_CACHE": "off"}) == {"PAGE_CACHE": False}
    assert from_environment({"CONSULT_PAGE_CACHE": "true"}) == {"PAGE_CACHE": True}
