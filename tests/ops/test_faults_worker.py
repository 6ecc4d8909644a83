"""A Celery worker dies in the middle of a task: the task runs again and its effect happens once.

A worker of our own (not `make prod`) on a Redis of our own, with the production settings
(acks_late, reject_on_worker_lost) and CELERY_VISIBILITY_TIMEOUT=5 instead of the production
900 s, so the redelivery after a whole worker vanished takes seconds, not a quarter hour.
"""

from __future__ import annotations

import os
import signal
import subprocess
import uuid

import pytest
import redis

from .conftest import fresh_machine_database, require_tools
from .topology import PYTHON, ROOT, Drill, child_env, group_alive, stop_group, wait_for

pytestmark = pytest.mark.topology

VISIBILITY_TIMEOUT = 5


@pytest.fixture(scope="module")
def worker_env(private_redis):
    require_tools(nginx=False)
    return child_env(
        DATABASE_URL=fresh_machine_database("ops_worker"),
        REDIS_URL=private_redis.url,
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        LOG_FORMAT="json",
        DEBUG="false",
        SECURE_HTTPS="false",
    )


def _start_worker(env: dict, log_path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            PYTHON,
            "-m",
            "celery",
            "--app",
            "community",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _django(env: dict, code: str) -> str:
    """Python run with Django set up against the worker's settings; its last output line."""
    done = subprocess.run(
        [PYTHON, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "community.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return (done.stdout.strip().splitlines() or [""])[-1]


def _enqueue_drill(env: dict, seconds: float) -> str:
    drill_id = uuid.uuid4().hex[:12]
    _django(env, f"from community.ops.tasks import drill; drill.delay({drill_id!r}, {seconds})")
    return drill_id


def test_pool_process_killed_mid_task_runs_it_again_and_the_effect_happens_once(
    worker_env, private_redis, tmp_path
):
    worker = _start_worker(worker_env, tmp_path / "worker.log")
    try:
        drill_id = _enqueue_drill(worker_env, seconds=4)
        drill = Drill(private_redis.url, drill_id)
        wait_for(lambda: drill.attempts() == 1, timeout=60, what="the drill to start")
        child = drill.running_pid()
        assert child != worker.pid and os.getpgid(child) == worker.pid
        os.kill(child, signal.SIGKILL)  # the pool process running the task, as the OOM killer would
        wait_for(lambda: drill.effects() == 1, timeout=60, what="the drill to be run again and finish")
        assert drill.attempts() == 2
        assert group_alive(worker.pid)  # the worker replaced its pool process and went on
    finally:
        stop_group(worker)
    log = (tmp_path / "worker.log").read_text()
    assert "WorkerLostError" in log and "SIGKILL" in log


def test_whole_worker_killed_mid_task_the_next_worker_runs_it_after_the_visibility_timeout(
    worker_env, private_redis, tmp_path
):
    first = _start_worker(worker_env, tmp_path / "first.log")
    try:
        drill_id = _enqueue_drill(worker_env, seconds=4)
        drill = Drill(private_redis.url, drill_id)
        wait_for(lambda: drill.attempts() == 1, timeout=60, what="the drill to start")
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the machine lost: no goodbye to Redis
        first.wait(timeout=10)
    assert drill.effects() == 0
    # The message is still in Redis, unacknowledged (acks_late): held for the visibility timeout.
    unacked = redis.Redis.from_url(private_redis.url).hlen("unacked")
    assert unacked == 1
    second = _start_worker(worker_env, tmp_path / "second.log")
    try:
        wait_for(lambda: drill.effects() == 1, timeout=VISIBILITY_TIMEOUT + 60, what="redelivery")
        assert drill.attempts() == 2
        # Run once more, the effect is still applied once: it is keyed by the drill id.
        again = _django(
            worker_env,
            f"from community.ops.tasks import drill; print(drill.apply(args=({drill_id!r}, 0)).get())",
        )
        assert again == "False"
        assert drill.effects() == 1
    finally:
        stop_group(second)
