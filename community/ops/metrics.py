"""/metrics for Prometheus (django-prometheus), answered only to the monitoring system.

The scraper sends ``Authorization: Bearer <METRICS_TOKEN>``; anyone else — and everyone when
no token is configured — gets a 404, as if there were nothing here. nginx additionally answers
/metrics only to the monitoring network (docs/operations.md). Under gunicorn every worker is a
process of its own: PROMETHEUS_MULTIPROC_DIR (set by scripts/prod.py) lets one scrape add them up.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import Gauge

from .tasks import HEARTBEAT_KEY

HEARTBEAT_AGE = Gauge(
    "community_beat_heartbeat_age_seconds",
    "Seconds since a Celery worker last ran the beat heartbeat task (-1: never seen or cache down)",
    multiprocess_mode="livemostrecent",
)

HELD_TASKS = Gauge(
    "community_held_tasks",
    "Tasks enqueued after a commit while the broker was down, not yet sent again (-1: database down)",
    multiprocess_mode="livemostrecent",
)


def _held_tasks() -> int:
    from django.db import DatabaseError

    from .models import HeldTask

    try:
        return HeldTask.objects.count()
    except DatabaseError:
        return -1


def _heartbeat_age() -> float:
    try:
        seen = cache.get(HEARTBEAT_KEY)
    except Exception:
        return -1
    at = parse_datetime(seen["at"]) if seen else None
    return (timezone.now() - at).total_seconds() if at else -1


@never_cache
@require_GET
def metrics(request):
    token = settings.METRICS_TOKEN
    offered = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        raise Http404
    from django_prometheus.exports import ExportToDjangoView

    HEARTBEAT_AGE.set(_heartbeat_age())
    HELD_TASKS.set(_held_tasks())
    return ExportToDjangoView(request)
