"""One request id per HTTP request, carried into the Celery tasks it enqueues.

nginx makes the id (``$request_id``, sent as ``X-Request-ID``); without nginx the middleware
makes one. Every log line of the request — and of any task it enqueued, on whichever worker
runs it — carries the id, so one ``grep`` over all machines' logs tells one request's story.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
# Only ids a log line can hold safely: a client must not inject newlines or megabytes.
_ACCEPTED = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

current: ContextVar[str] = ContextVar("request_id", default="")


def new_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.headers.get(HEADER, "")
        request_id = offered if _ACCEPTED.match(offered) else new_id()
        # Not reset on the way out: Django logs 4xx/5xx responses ("Not Found: ...") after the
        # middleware returns. request_finished clears it once the response has been sent.
        current.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _on_request_finished(**_kwargs) -> None:
    current.set("")


def _on_publish(headers=None, **_kwargs) -> None:
    # Runs in the process that enqueues (web, beat, another task): the id travels in the
    # message headers, not in the task's arguments, so no task signature changes.
    if headers is not None and (request_id := current.get()):
        headers.setdefault("request_id", request_id)


def _on_task_start(task=None, **_kwargs) -> None:
    request = getattr(task, "request", None)
    request_id = getattr(request, "request_id", None) or (getattr(request, "headers", None) or {}).get(
        "request_id"
    )
    # A periodic job has no request behind it: its own task id stands in.
    current.set(request_id or f"task-{getattr(request, 'id', '') or new_id()}")


def _on_task_end(**_kwargs) -> None:
    current.set("")


def connect_signals() -> None:
    from celery import signals
    from django.core.signals import request_finished

    request_finished.connect(_on_request_finished, weak=False, dispatch_uid="ops.request_id.finished")
    signals.before_task_publish.connect(_on_publish, weak=False, dispatch_uid="ops.request_id.publish")
    signals.task_prerun.connect(_on_task_start, weak=False, dispatch_uid="ops.request_id.prerun")
    signals.task_postrun.connect(_on_task_end, weak=False, dispatch_uid="ops.request_id.postrun")
