"""Issue #15 item 16 (the residual risk docs/security.md named): nginx's access log never holds
a device token or a query-string secret in clear.

Runs the shipped template (deploy/nginx.conf.template) as scripts/prod.py renders it with
NGINX_ACCESS_LOG set, sends the request lines firmware and clients send, and reads the file.
No Django behind it: nginx answers 502 and logs the line all the same.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.skipif(not os.access(NGINX, os.X_OK), reason="nginx is not installed")

SECRET = "Zq7SecretToken9x8w7v6u5t4s3r2q1p0"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prod_script():
    spec = importlib.util.spec_from_file_location("prod_script", ROOT / "scripts" / "prod.py")
    prod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(prod)
    return prod


@pytest.fixture
def logging_nginx(tmp_path):
    prod = _prod_script()
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "tmp" / sub).mkdir(parents=True)
    port = _free_port()
    log_file = tmp_path / "access.log"
    conf = prod.render_nginx(
        ROOT / "deploy" / "nginx.conf.template",
        {
            "user_directive": "user root;" if os.geteuid() == 0 else "",
            "nginx_workers": "1",
            "prod_dir": str(tmp_path),
            "mime_types": "/etc/nginx/mime.types" if Path("/etc/nginx/mime.types").exists() else "mime.types",
            "access_log": prod.nginx_access_log(str(log_file)),
            # Nothing listens there: nginx answers 502 and logs the request all the same.
            "http_servers": prod.upstream_servers([{"gunicorn_port": _free_port()}], "gunicorn_port"),
            "ws_servers": prod.upstream_servers([{"daphne_port": _free_port()}], "daphne_port"),
            "client_timeout": "15s",
            "host": "127.0.0.1",
            "port": str(port),
            "static_root": str(tmp_path),
        },
    )
    (tmp_path / "nginx.conf").write_text(conf)
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", "stderr", "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail(f"nginx did not start: {process.stderr.read().decode()}")
            time.sleep(0.1)
    try:
        yield port, log_file
    finally:
        process.terminate()
        process.wait(timeout=10)


def _get(port: int, path: str, method: str = "GET") -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    connection.request(method, path, body=b"{}" if method == "POST" else None)
    connection.getresponse().read()
    connection.close()


def _log_lines(log_file: Path, expected: int) -> list[str]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = log_file.read_text().splitlines() if log_file.exists() else []
        if len(lines) >= expected:
            return lines
        time.sleep(0.05)
    pytest.fail(f"expected {expected} log lines, got {lines!r}")


REQUESTS = [
    ("POST", f"/isapi/{SECRET}/events", "/isapi/Zq***/events"),
    ("POST", f"/lpr/vzenith/{SECRET}", "/lpr/vzenith/Zq***"),
    ("POST", f"/ISAPI/{SECRET}/events?x=1", "/ISAPI/Zq***/events?x=1"),
    ("GET", f"/api/v1/things/?token={SECRET}&page=2", "/api/v1/things/?token=***&page=2"),
    (
        "GET",
        f"/iclock/getrequest?SN=CGXH1&SessionID={SECRET}&RegistryCode={SECRET}&access_token={SECRET}",
        "/iclock/getrequest?SN=CGXH1&SessionID=***&RegistryCode=***&access_token=***",
    ),
    ("GET", f"/accounts/password/reset/key/{SECRET}/", "/accounts/password/reset/key/Zq***/"),
    ("GET", "/portal/tickets/?page=3&status=open", "/portal/tickets/?page=3&status=open"),
]


def test_the_access_log_masks_device_tokens_and_query_secrets(logging_nginx):
    port, log_file = logging_nginx
    for method, path, _masked in REQUESTS:
        _get(port, path, method)
    lines = _log_lines(log_file, len(REQUESTS))
    text = "\n".join(lines)
    assert SECRET not in text
    assert SECRET[:6] not in text
    for (method, _path, masked), line in zip(REQUESTS, lines, strict=True):
        assert f'"{method} {masked} HTTP/1.1"' in line, line
        assert line.startswith("127.0.0.1 ")


def test_access_log_off_stays_off():
    prod = _prod_script()
    assert prod.nginx_access_log("off") == "off"
    assert prod.nginx_access_log("") == "off"
    assert prod.nginx_access_log("/var/log/x.log") == "/var/log/x.log masked"
