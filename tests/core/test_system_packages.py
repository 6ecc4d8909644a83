"""scripts/system_packages.sh, shared by `make test` and `.ci/run`: brings the Debian packages
the browser and prod tests need, or fails in one line — never lets the browser tests skip.

The "missing" paths are driven by a fake PATH (fake ``id``, ``dpkg``, ``sudo``) and
CHROMIUM_PATH pointing nowhere; nothing is installed or uninstalled."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "system_packages.sh"


def _fake_bin(tmp_path: Path, *, uid: int, sudo_ok: bool | None, fonts: bool) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    scripts = {
        "id": f"#!/bin/sh\necho {uid}\n",
        "dpkg": f"#!/bin/sh\nexit {0 if fonts else 1}\n",
        "apt-get": "#!/bin/sh\necho apt-get ran >&2\nexit 99\n",
    }
    if sudo_ok is not None:
        scripts["sudo"] = f"#!/bin/sh\nexit {0 if sudo_ok else 1}\n"
    for name, body in scripts.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    # What the script needs from the real system besides the fakes.
    for tool in ("msgfmt", "nginx"):
        if real := shutil.which(tool):
            (bin_dir / tool).symlink_to(real)
    return bin_dir


def _run(bin_dir: Path, *args: str, chromium: str) -> subprocess.CompletedProcess:
    env = {"PATH": str(bin_dir), "CHROMIUM_PATH": chromium, "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        ["/bin/bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=30, check=False
    )


def test_all_present_says_nothing(tmp_path):
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    done = _run(_fake_bin(tmp_path, uid=1000, sudo_ok=None, fonts=True), chromium=str(chromium))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


@pytest.mark.parametrize("sudo_ok", [None, False], ids=["no sudo", "sudo asks a password"])
def test_missing_without_root_fails_in_one_line_naming_the_packages(tmp_path, sudo_ok):
    bin_dir = _fake_bin(tmp_path, uid=1000, sudo_ok=sudo_ok, fonts=False)
    done = _run(bin_dir, chromium=str(tmp_path / "nowhere"))
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "apt-get install -y chromium fonts-noto-cjk" in lines[0]
    assert "apt-get ran" not in done.stderr


def test_missing_as_root_updates_then_installs(tmp_path):
    bin_dir = _fake_bin(tmp_path, uid=0, sudo_ok=None, fonts=True)
    done = _run(bin_dir, "--dry-run", chromium=str(tmp_path / "nowhere"))
    assert done.returncode == 0, done.stderr
    said, planned = done.stdout.strip().splitlines()
    assert "installing" in said and "apt-get update first" in said and "chromium" in said
    assert planned == "dry run: apt-get update && apt-get install -y chromium"


def test_missing_with_passwordless_sudo_uses_sudo(tmp_path):
    bin_dir = _fake_bin(tmp_path, uid=1000, sudo_ok=True, fonts=False)
    done = _run(bin_dir, "--dry-run", chromium=str(tmp_path / "nowhere"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == (
        "dry run: sudo -n apt-get update && sudo -n apt-get install -y chromium fonts-noto-cjk"
    )


def test_a_failing_install_fails_the_run(tmp_path):
    """Without --dry-run the (fake, failing) apt-get runs, and its failure stops `make test`."""
    bin_dir = _fake_bin(tmp_path, uid=0, sudo_ok=None, fonts=True)
    done = _run(bin_dir, chromium=str(tmp_path / "nowhere"))
    assert done.returncode == 99
    assert "apt-get ran" in done.stderr
