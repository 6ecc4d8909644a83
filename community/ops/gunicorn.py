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
