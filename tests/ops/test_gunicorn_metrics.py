"""A gunicorn worker that dies leaves no live gauge behind in the Prometheus multiprocess
directory (gunicorn's child_exit hook, community/ops/gunicorn.py), while its counters stay.

Runs the Procfile's own "web" line (so the hook is proven where production starts it), with
two workers on a free port; the test stops it by its pid.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import fresh_machine_database
from .topology import ROOT, child_env, free_port, get, stop_group, wait_for

sys.path.insert(0, str(ROOT / "scripts"))
from procfile import parse

pytestmark = pytest.mark.topology

TOKEN = "gunicorn-metrics-drill"


def _live_gauge_pids(directory: Path) -> set[int]:
    return {int(f.stem.rsplit("_", 1)[1]) for f in directory.glob("gauge_live*_*.db")}


def test_a_dead_workers_live_gauges_are_removed_and_its_counters_kept(tmp_path):
    port, metrics = free_port(), tmp_path / "metrics"
    metrics.mkdir()
    env = child_env(
        DATABASE_URL=fresh_machine_database("ops_gunicorn"),
        GUNICORN_PORT=str(port),
        WEB_CONCURRENCY="2",
        PROMETHEUS_MULTIPROC_DIR=str(metrics),
        METRICS_TOKEN=TOKEN,
        DEBUG="false",
        SECURE_HTTPS="false",
        LOG_FORMAT="plain",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    env.pop("REDIS_URL", None)
    log = (tmp_path / "web.log").open("wb")
    web = subprocess.Popen(
        ["sh", "-c", f"exec {dict(parse((ROOT / 'Procfile').read_text()))['web']}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    auth = {"Authorization": f"Bearer {TOKEN}"}

    def scraped_until(predicate):
        # One scrape per poll, each on a new connection: the workers take turns answering.
        return lambda: get(url, headers=auth) and predicate()

    try:
        # Each worker that answers /metrics writes its live gauge (community_held_tasks ...).
        wait_for(
            scraped_until(lambda: len(_live_gauge_pids(metrics)) == 2),
            timeout=120,
            interval=0.3,
            what="both workers to answer /metrics",
        )
        pids = _live_gauge_pids(metrics)
        victim = min(pids)
        assert (metrics / f"counter_{victim}.db").exists()
        os.kill(victim, signal.SIGKILL)  # as the OOM killer would
        wait_for(
            lambda: victim not in _live_gauge_pids(metrics), timeout=30, what="the dead worker's gauges to go"
        )
        # Its counters stay: the totals Prometheus has seen must not go backwards.
        assert (metrics / f"counter_{victim}.db").exists()
        # The master booted a replacement, which answers and writes gauges of its own.
        wait_for(
            scraped_until(lambda: len(_live_gauge_pids(metrics) - pids) == 1),
            timeout=60,
            interval=0.3,
            what="the replacement worker's gauges",
        )
        assert get(url, headers=auth)[0] == 200
    finally:
        stop_group(web)
        log.close()
    assert "Traceback" not in (tmp_path / "web.log").read_text()  # the hook raised nothing
