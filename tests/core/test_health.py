"""/healthz: what a load balancer or an operator sees, with real Redis and with Redis down."""

import os

import pytest
import redis

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _use_redis(settings, url: str) -> None:
    """The production wiring (community/settings.py with REDIS_URL) pointed at ``url``."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = url


@pytest.fixture
def staff_client(client, manager_a):
    client.force_login(manager_a)
    return client


@pytest.mark.django_db
def test_healthz_tells_anonymous_callers_only_the_status_word(client, settings):
    assert client.get("/healthz").json() == {"status": "ok"}
    _use_redis(settings, DOWN)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "degraded"}


@pytest.mark.django_db
def test_healthz_embedded_mode_reports_each_part(staff_client):
    client = staff_client
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"] == {"ok": True, "ms": body["checks"]["broker"]["ms"], "mode": "eager"}
    assert "down" not in body
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
@pytest.mark.skipif(not _redis_answers(), reason=f"no Redis at {REDIS_TEST_URL}")
def test_healthz_with_real_redis_for_cache_and_broker(staff_client, settings):
    client = staff_client
    _use_redis(settings, REDIS_TEST_URL)
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert checks["cache"]["ok"] and checks["cache"]["backend"] == "RedisCache"
    assert checks["broker"]["ok"] and checks["broker"]["mode"] == "redis"


@pytest.mark.django_db
def test_healthz_is_200_degraded_naming_the_parts_when_redis_is_down(staff_client, settings):
    # A load balancer must not pull every node because the shared Redis is down: the node
    # still serves pages and stores device events; only a database loss is "failing" (503).
    client = staff_client
    _use_redis(settings, DOWN)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["down"] == ["cache", "broker"]
    assert body["checks"]["database"]["ok"] is True
    assert "Connection" in body["checks"]["cache"]["error"]
    assert "Connection" in body["checks"]["broker"]["error"]


@pytest.mark.django_db
def test_healthz_is_degraded_when_only_the_broker_is_down(staff_client, settings):
    client = staff_client
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = DOWN
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["down"] == ["broker"]


def test_healthz_answers_only_get(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_healthz_failures_do_not_disclose_hosts_or_credentials(staff_client, settings):
    client = staff_client
    # /healthz is public: a Redis or database error message names hosts, ports and users.
    down_with_password = "redis://:s3cret-pass@127.0.0.1:1/0"
    _use_redis(settings, down_with_password)

    body = client.get("/healthz").content.decode()

    assert "127.0.0.1" not in body and "s3cret" not in body
