"""Request ids and JSON log lines, in process (the topology test follows them across processes)."""

from __future__ import annotations

import json
import logging

import pytest

from community.ops import request_id
from community.ops.logging import JsonFormatter, RequestIdFilter


@pytest.mark.django_db
def test_a_request_gets_an_id_in_the_response_and_keeps_a_well_formed_one(client):
    made = client.get("/healthz")["X-Request-ID"]
    assert len(made) == 32
    assert client.get("/healthz", HTTP_X_REQUEST_ID="nginx-abc12345")["X-Request-ID"] == "nginx-abc12345"
    # A client must not write into the logs: newlines or oversized ids are replaced.
    for hostile in ("bad\nid-injected-line", "x" * 500, "short"):
        assert client.get("/healthz", HTTP_X_REQUEST_ID=hostile)["X-Request-ID"] not in (hostile,)


@pytest.mark.django_db
def test_log_lines_of_a_request_carry_its_id_as_json(client):
    handler_records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            handler_records.append(JsonFormatter().format(record))

    handler = Collect()
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client.get("/api/v1/no-such-thing", HTTP_X_REQUEST_ID="req-0123456789")
    finally:
        logger.removeHandler(handler)
    entry = json.loads(handler_records[-1])
    assert entry["request_id"] == "req-0123456789"
    assert entry["level"] == "WARNING" and entry["message"].startswith("Not Found")
    assert entry["status_code"] == 404
    # After the response the id is gone: a later line outside any request has none.
    assert request_id.current.get() == ""


def test_a_task_published_during_a_request_carries_its_id_in_the_headers():
    token = request_id.current.set("req-abcdef123456")
    try:
        headers: dict = {}
        request_id._on_publish(headers=headers)
    finally:
        request_id.current.reset(token)
    assert headers == {"request_id": "req-abcdef123456"}

    class Task:
        class request:  # the shape Celery gives a task's request
            id = "t-1"
            request_id = "req-abcdef123456"
            headers = None

    request_id._on_task_start(task=Task)
    assert request_id.current.get() == "req-abcdef123456"
    request_id._on_task_end()
    Task.request.request_id = None
    request_id._on_task_start(task=Task)
    assert request_id.current.get() == "task-t-1"  # a periodic job: its own task id
    request_id._on_task_end()
