"""/healthz: database, cache and broker status as JSON, for load balancers and operators.

Three answers:

* 200 ``"ok"`` — everything answers;
* 200 ``"degraded"`` — Redis (cache, broker) is down: the node still serves pages and stores
  device events, only live updates and background tasks wait. A load balancer must keep such a
  node: Redis is shared, so pulling nodes for it would take the whole site down for nothing;
* 503 ``"failing"`` — this node cannot reach the database: nothing useful can be served here.

The endpoint is public (load balancers call it without credentials), so an anonymous caller
gets only the status word — ``ok``, ``degraded`` (cache or broker down: pages work, live
updates and background jobs do not) or ``failing`` (the database is down) — and the HTTP
code. Which part is down, and timings, are shown to signed-in staff; even then a failure names
only the exception's class; the full message — which for database and Redis errors carries
host names, ports and user names — goes to the log.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# Without these the node cannot serve; the rest only degrade it.
ESSENTIAL = ("database",)


def _check(fn) -> dict:
    started = time.perf_counter()
    try:
        detail = fn()
    except Exception as exc:
        logger.warning("health check %s failed: %s: %s", fn.__name__.strip("_"), type(exc).__name__, exc)
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1), **(detail or {})}


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _cache() -> dict:
    cache.set("healthz", "1", 5)
    if cache.get("healthz") != "1":
        raise RuntimeError("cache did not return the value just written")
    return {"backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}


def _broker() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"mode": "eager"}
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    return {"mode": "redis"}


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _check(_database), "cache": _check(_cache), "broker": _check(_broker)}
    down = [name for name, check in checks.items() if not check["ok"]]
    essential_down = any(name in ESSENTIAL for name in down)
    status = "failing" if essential_down else "degraded" if down else "ok"
    # Anonymous callers (load balancers) get the status word and the node's name only; which
    # part is down, and why, is for signed-in staff (issue #15).
    body = {"status": status}
    if settings.NODE_NAME:
        body["node"] = settings.NODE_NAME
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and (user.is_staff or user.is_superuser):
        body["checks"] = checks
        if down:
            body["down"] = down
    return JsonResponse(body, status=503 if essential_down else 200)
