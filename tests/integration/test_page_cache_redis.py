"""The page cache in a real Redis, as in production: two web processes share the pages and
the versions, so an edit made through one is seen at once by the other."""

import os
from datetime import timedelta

import pytest
import redis
import sqlalchemy as sa

from consult import create_app, page_cache
from consult.content.models import Article
from consult.extensions import db, utcnow
from tests.conftest import make_test_config
from tests.integration.test_page_cache import publish

#: A database number of its own, so nothing here meets the rate limiter's keys.
REDIS_URL = os.environ.get("CONSULT_TEST_PAGE_CACHE_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        message = f"Redis is not reachable at {REDIS_URL}: {error}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    yield client
    client.close()


@pytest.fixture
def app_config(redis_client):
    return {"PAGE_CACHE_URL": REDIS_URL}


@pytest.fixture
def prefix(app, redis_client):
    """This run's key prefix; its keys (and only they) are removed afterwards."""
    name = page_cache.backend_of(app).key_prefix
    yield name
    keys = list(redis_client.scan_iter(f"{name}*"))
    if keys:
        redis_client.delete(*keys)


@pytest.fixture
def other_process(app, tmp_path):
    """A second web process: its own app, engine and cache client, the same database."""
    other = create_app(
        make_test_config(
            app.config["SQLALCHEMY_DATABASE_URI"],
            tmp_path / "other-instance",
            PAGE_CACHE_URL=REDIS_URL,
        )
    )
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_pages_are_stored_in_redis_and_shared_by_the_processes(
    app, client, other_process, prefix, redis_client
):
    publish(app)
    assert client.get("/fr/articles/voix").headers["X-Page-Cache"] == "miss"
    assert list(redis_client.scan_iter(f"{prefix}p:*"))
    other = other_process.test_client()
    assert other.get("/fr/articles/voix").headers["X-Page-Cache"] == "hit"


def test_an_edit_in_one_process_is_seen_at_once_by_the_other(app, client, other_process, prefix):
    publish(app)
    other = other_process.test_client()
    assert "Une voix à soi" in other.get("/fr/articles/voix").text
    assert other.get("/fr/articles/voix").headers["X-Page-Cache"] == "hit"
    with app.app_context():  # the edit runs in the first process
        db.session.execute(
            sa.update(Article).values(title="Une autre voix", updated_at=utcnow() + timedelta(1))
        )
        db.session.commit()
    page = other.get("/fr/articles/voix")
    assert page.headers["X-Page-Cache"] == "miss"
    assert "Une autre voix" in page.text


def test_the_lock_on_a_missed_page_expires_by_itself(app, client, prefix, redis_client):
    publish(app)
    backend = page_cache.backend_of(app)
    assert page_cache._acquire(backend, "lock:probe")
    assert not page_cache._acquire(backend, "lock:probe")
    assert 0 < redis_client.ttl(f"{prefix}lock:probe") <= page_cache.LOCK_SECONDS
