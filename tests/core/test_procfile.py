"""scripts/procfile.py, the runner behind `make prod`: prefixed output, and all-or-nothing."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _start(tmp_path, procfile: str) -> subprocess.Popen:
    (tmp_path / "Procfile").write_text(procfile)
    return subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "procfile.py"), str(tmp_path / "Procfile")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigterm_stops_every_process_and_output_is_prefixed(tmp_path):
    runner = _start(
        tmp_path,
        (
            "# a comment line\n"
            "one: sh -c 'echo $$ > one.pid; echo hello from ${WHO:-one}; exec sleep 60'\n"
            "two: sh -c 'echo $$ > two.pid; exec sleep 60'\n"
        ),
    )
    deadline = time.monotonic() + 10
    while (
        not ((tmp_path / "one.pid").exists() and (tmp_path / "two.pid").exists())
        and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    time.sleep(0.3)
    pids = [int((tmp_path / f"{n}.pid").read_text()) for n in ("one", "two")]
    runner.send_signal(signal.SIGTERM)
    out, _ = runner.communicate(timeout=20)
    assert runner.returncode == 0
    assert "one | hello from one" in out
    assert "stopping all processes (signal SIGTERM)" in out
    assert not any(_alive(pid) for pid in pids)


def test_one_process_exiting_stops_the_others_and_fails(tmp_path):
    runner = _start(
        tmp_path, "short: sh -c 'sleep 0.5; exit 3'\nlong: sh -c 'echo $$ > long.pid; exec sleep 60'\n"
    )
    out, _ = runner.communicate(timeout=30)
    assert runner.returncode == 3
    assert "short exited with code 3" in out
    assert not _alive(int((tmp_path / "long.pid").read_text()))
