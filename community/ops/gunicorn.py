"""gunicorn settings shared by every web node: ``gunicorn -c python:community.ops.gunicorn``
(Procfile and deploy/systemd/community-web.service; the command line sets the rest).

Under gunicorn each worker writes its metrics to files of its own in PROMETHEUS_MULTIPROC_DIR
and /metrics adds them up. A worker that dies (recycled after --max-requests, killed on
--timeout, OOM) leaves its files behind: counters must stay (their totals would go backwards),
but its "live" gauges would be reported for ever as if the process still ran. The master marks
the dead worker's pid so prometheus_client removes those gauge files.
"""

from __future__ import annotations

import os


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker) -> None:
    """Move what the worker loaded at start into the collector's permanent generation.

    Django, the URLconf and every view module leave ~215,000 objects that live as long as the
    process; each full collection walked them all again, a 130 ms pause of the worker (every
    few thousand requests; measured in-process on the plate-read path: max latency 140 ms, p99
    21 ms; frozen: 30 ms and 14 ms). Collections then walk only what requests create.
    """
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view now, as the first request would
    gc.collect()
    gc.freeze()
