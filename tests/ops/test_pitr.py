"""Point-in-time recovery, exercised: `make pitr-drill` archives WAL of a throwaway cluster,
takes a base backup, notes a time between two batches of writes, loses the primary, restores
to the noted time and checks that exactly the rows written before it came back."""

from __future__ import annotations

import re
import subprocess

import pytest

from .conftest import require_postgres_suite, require_tools
from .topology import ROOT, child_env

pytestmark = pytest.mark.topology


def test_make_pitr_drill_restores_exactly_the_rows_written_before_the_noted_time():
    require_postgres_suite()  # once per CI run, in the PostgreSQL half
    require_tools(nginx=False, postgres=True)
    done = subprocess.run(
        ["make", "--no-print-directory", "pitr-drill"],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    out = done.stdout
    assert re.search(r"recovered to the target, paused: \{'before': 200\}", out), out
    assert "promoted and writable: {'after-restore': 1, 'before': 200}" in out
    assert "PASSED" in out
