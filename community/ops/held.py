"""The project's Celery task class: a task enqueued after commit is never lost to a broker outage.

``delay_on_commit`` / ``apply_async_on_commit`` send after the transaction commits, as Celery's
DjangoTask does; when the broker cannot be reached then, the task is stored as a HeldTask row
(community/ops/models.py) and a warning is logged, instead of raising out of the commit hook
(which turned a stored write into a 500) or being dropped. ``held_tasks_send`` sends the rows
again once the broker answers. A task whose send should not outlive a moment (e.g. lifting a
barrier) passes ``expires``: a held copy past it is dropped, logged, rather than sent late.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import socket

import kombu.exceptions
import redis.exceptions
from celery.contrib.django.task import DjangoTask
from django.db import transaction

logger = logging.getLogger("community.ops.held")

# What "the broker cannot be reached" looks like: kombu wraps connection errors after its
# retries in OperationalError; redis-py and the socket layer may surface as themselves.
BROKER_DOWN = (
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OSError,
)
# The options a held task keeps: only what means the same when it is sent later.
KEPT_OPTIONS = ("queue", "priority", "routing_key")


def process_label() -> str:
    return f"{os.environ.get('NODE_NAME') or socket.gethostname()} pid {os.getpid()}"


def _absolute(value, now: dt.datetime) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        value = now + dt.timedelta(seconds=value)
    return value.isoformat()


def options_to_keep(options: dict, now: dt.datetime) -> dict:
    kept = {k: options[k] for k in KEPT_OPTIONS if options.get(k) is not None}
    eta = options.get("eta") or (
        now + dt.timedelta(seconds=options["countdown"]) if options.get("countdown") else None
    )
    if eta is not None:
        kept["eta"] = _absolute(eta, now)
    if options.get("expires") is not None:
        kept["expires"] = _absolute(options["expires"], now)
    return kept


class OnCommitTask(DjangoTask):
    def delay_on_commit(self, *args, **kwargs) -> None:
        transaction.on_commit(functools.partial(self.send_or_hold, args, kwargs, {}))

    def apply_async_on_commit(self, args=None, kwargs=None, **options) -> None:
        transaction.on_commit(functools.partial(self.send_or_hold, args or (), kwargs or {}, options))

    def send_or_hold(self, args, kwargs, options: dict) -> None:
        try:
            self.apply_async(args, kwargs, **options)
        except BROKER_DOWN as exc:
            from .services import held_task_keep

            held_task_keep(
                task=self.name,
                args=list(args),
                kwargs=dict(kwargs),
                options=options,
                error=exc,
                by=process_label(),
            )
