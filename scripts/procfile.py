"""A small Procfile runner: start every process, prefix its output, stop all together.

Why not honcho/foreman: this is all ``make prod`` needs and it adds no dependency. Each line
``name: command`` runs as ``sh -c "exec command"`` so ``${VAR}`` and ``${VAR:-default}`` expand
from the environment and the signal reaches the program itself. Each process gets its own
session (process group): a Ctrl-C at the terminal reaches only this runner, which then stops
the processes in order with SIGTERM, and SIGKILL after a grace period. When any process exits
on its own, the others are stopped too and the runner exits non-zero, as foreman does —
unless ``keep_going`` is set (fault drills kill one web node and watch the rest carry on).

Usage: python scripts/procfile.py [Procfile] [--only web,ws]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

COLOURS = ["36", "33", "32", "35", "34", "31"]


def parse(text: str) -> list[tuple[str, str]]:
    entries = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not name.strip() or not command.strip():
            raise ValueError(f"bad Procfile line: {raw!r}")
        entries.append((name.strip(), command.strip()))
    return entries


class Runner:
    def __init__(
        self,
        entries: list[tuple[str, str]],
        *,
        env: dict[str, str] | None = None,
        grace: float = 10.0,
        out=None,
        env_by_name: dict[str, dict[str, str]] | None = None,
        keep_going: bool = False,
    ) -> None:
        self.entries = entries
        self.env = env if env is not None else dict(os.environ)
        self.env_by_name = env_by_name or {}
        self.keep_going = keep_going
        self.grace = grace
        self.out = out or sys.stdout
        self.procs: dict[str, subprocess.Popen] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.width = max((len(n) for n, _ in entries), default=4)
        self.colour = self.out.isatty() if hasattr(self.out, "isatty") else False

    def say(self, name: str, line: str, index: int = -1) -> None:
        label = f"{name:<{self.width}} |"
        if self.colour:
            label = (
                f"\033[{COLOURS[index % len(COLOURS)]}m{label}\033[0m"
                if index >= 0
                else f"\033[1m{label}\033[0m"
            )
        with self.lock:
            self.out.write(f"{time.strftime('%H:%M:%S')} {label} {line}\n")
            self.out.flush()

    def _pump(self, name: str, index: int, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for raw in iter(proc.stdout.readline, b""):
            self.say(name, raw.decode("utf-8", "replace").rstrip(), index)

    def start(self) -> None:
        for index, (name, command) in enumerate(self.entries):
            proc = subprocess.Popen(
                ["sh", "-c", f"exec {command}"],
                env={**self.env, **self.env_by_name.get(name, {})},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            self.procs[name] = proc
            self.say("proc", f"started {name} (pid {proc.pid}): {command}")
            threading.Thread(target=self._pump, args=(name, index, proc), daemon=True).start()

    def stop(self, reason: str) -> None:
        if self.stopping.is_set():
            return
        self.stopping.set()
        self.say("proc", f"stopping all processes ({reason})")
        for name, proc in reversed(self.procs.items()):
            if proc.poll() is None:
                # To the program only: gunicorn, celery and nginx stop their own children in order.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)
                self.say("proc", f"sent SIGTERM to {name}")
        deadline = time.monotonic() + self.grace
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say("proc", f"{name} did not stop in {self.grace:.0f}s: SIGKILL")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        # A process that forked helpers (gunicorn, celery, nginx workers) may leave them in its
        # group for a moment; make sure none outlive the runner.
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)

    def run(self) -> int:
        """Start, wait for a signal or for one process to exit, stop all. Returns the exit code."""
        exit_code = 0
        received: list[int] = []

        def on_signal(signum, _frame):
            received.append(signum)

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            self.start()
            reported: set[str] = set()
            while not received:
                exited = [
                    (n, p.returncode)
                    for n, p in self.procs.items()
                    if p.poll() is not None and n not in reported
                ]
                for name, code in exited:
                    self.say("proc", f"{name} exited with code {code}")
                    reported.add(name)
                if exited and (not self.keep_going or len(reported) == len(self.procs)):
                    exit_code = exited[0][1] or 1
                    break
                time.sleep(0.2)
            self.stop(f"signal {signal.Signals(received[0]).name}" if received else "a process exited")
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        return exit_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("procfile", nargs="?", default="Procfile")
    parser.add_argument("--only", default="", help="comma-separated process names to run")
    args = parser.parse_args(argv)
    entries = parse(Path(args.procfile).read_text())
    if args.only:
        wanted = set(args.only.split(","))
        entries = [e for e in entries if e[0] in wanted]
    return Runner(entries).run()


if __name__ == "__main__":
    sys.exit(main())
