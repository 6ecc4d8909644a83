"""Operational tasks: the beat heartbeat (proof that periodic jobs run, and where), a fault
drill (a slow task whose effect must happen once even when a worker dies under it), and sending
the tasks held while the broker was down (community/ops/held.py).

The heartbeat and the drill write only to the cache (Redis): they touch no business data.
"""

from __future__ import annotations

import os
import socket
import time

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "ops:heartbeat"
DRILL_TTL = 3600


def _where() -> dict:
    return {"at": timezone.now().isoformat(), "host": socket.gethostname(), "pid": os.getpid()}


@shared_task(name="ops.heartbeat")
def heartbeat(marker: str = "") -> dict:
    """Beat sends this every OPS_HEARTBEAT_SECONDS: monitoring alerts when ``ops:heartbeat``
    grows old (beat or every worker down), and /metrics shows its age."""
    seen = {**_where(), "marker": marker}
    cache.set(HEARTBEAT_KEY, seen, None)
    if marker:
        cache.set(f"{HEARTBEAT_KEY}:{marker}", seen, DRILL_TTL)
    return seen


@shared_task(name="ops.drill")
def drill(drill_id: str, seconds: float = 5.0) -> bool:
    """Count the attempt, work for ``seconds``, then apply the effect once per ``drill_id``.

    A worker killed during the sleep leaves the message unacknowledged (acks_late), so it is
    delivered again; the effect is keyed by the drill id, as every task's effect must be keyed
    by what it acts on, so the second delivery does not apply it twice.
    """
    attempts = f"ops:drill:{drill_id}:attempts"
    cache.add(attempts, 0, DRILL_TTL)
    cache.incr(attempts)
    cache.set(f"ops:drill:{drill_id}:running", _where(), DRILL_TTL)
    time.sleep(seconds)
    applied = cache.add(f"ops:drill:{drill_id}:effect", _where(), DRILL_TTL)
    if applied:
        cache.add(f"ops:drill:{drill_id}:effects", 0, DRILL_TTL)
        cache.incr(f"ops:drill:{drill_id}:effects")
    return applied


@shared_task(name="ops.held_tasks_send")
def held_tasks_send() -> dict:
    """Beat sends this every OPS_HELD_TASKS_SECONDS: tasks held while Redis was down go out
    once it is back (this job itself reaches a worker only then)."""
    from .services import held_tasks_send as send

    return send(by="system:ops.held_tasks_send")
