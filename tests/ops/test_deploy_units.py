"""deploy/systemd mirrors the Procfile, and the lock files pin every declared dependency."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from procfile import parse

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
DEFAULT = re.compile(r"\$\{(\w+):-([^}]*)\}")


def _unit(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (UNITS / f"community-{name}.service").read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            values.setdefault(key.strip(), []).append(value.strip())
    return values


@pytest.mark.parametrize("name", ["web", "ws", "worker", "beat"])
def test_systemd_unit_runs_the_procfile_command(name):
    command = dict(parse((ROOT / "Procfile").read_text()))[name]
    unit = _unit(name)
    (exec_start,) = unit["ExecStart"]
    program, _, args = exec_start.partition(" ")
    assert program == f"/srv/community/.venv/bin/{command.split()[0]}"
    # systemd has no ${VAR:-default}: the unit sets each default with Environment=.
    assert args == DEFAULT.sub(r"${\1}", command.partition(" ")[2])
    environment = dict(e.split("=", 1) for e in unit.get("Environment", []))
    for variable, default in DEFAULT.findall(command):
        assert environment.get(variable) == default, variable
    assert unit["EnvironmentFile"] == ["/etc/community/community.env"]


def test_only_the_beat_unit_says_it_must_run_once():
    assert "EXACTLY ONE" in (UNITS / "community-beat.service").read_text()


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=~!\[; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


@pytest.mark.parametrize(
    ("lock", "extras"), [("requirements.lock", []), ("requirements-test.lock", ["test"])]
)
def test_lock_file_pins_every_declared_dependency(lock, extras):
    # A dependency added to pyproject.toml without `make lock` would not be installed by make.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = _names(
        project["dependencies"] + [r for e in extras for r in project["optional-dependencies"][e]]
    )
    pinned = {
        m.group(1).lower().replace("_", "-"): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / lock).read_text(), re.M)
    }
    missing = declared - pinned.keys()
    assert not missing, f"{lock} lacks {sorted(missing)}: run `make lock`"
