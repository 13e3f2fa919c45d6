"""The sign-in limit counted in a real Redis, as in production (several web processes)."""

import os
import uuid

import pytest
import redis

from consult.extensions import limiter

REDIS_URL = os.environ.get("CONSULT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PREFIX = f"consult-test-{uuid.uuid4().hex[:8]}"


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
    keys = list(client.scan_iter(f"*{PREFIX}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def app_config(redis_client, monkeypatch):
    # Flask-Limiter keeps the first key prefix it is given; restore it after this test.
    monkeypatch.setattr(limiter, "_key_prefix", "")
    return {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": PREFIX}


def test_sign_in_attempts_are_counted_in_redis(client, make_user, redis_client):
    user = make_user()
    for number in range(5):
        response = client.post(
            "/en/login",
            data={"email": user.email, "password": "wrong password"},
            environ_base={"REMOTE_ADDR": f"10.3.0.{number}"},
        )
        assert response.status_code == 400
    assert list(redis_client.scan_iter(f"*{PREFIX}*"))

    response = client.post(
        "/en/login",
        data={"email": user.email, "password": user.password},
        environ_base={"REMOTE_ADDR": "10.3.1.1"},
    )
    assert response.status_code == 429
