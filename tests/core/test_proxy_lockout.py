"""Issue #15 item 8: behind nginx, one client's failed logins do not lock out another client.

`make prod` puts nginx in front of Django, so every request reaches Django from 127.0.0.1;
without a trusted proxy count neither allauth nor DRF looked at X-Forwarded-For, and ten
failed logins from anyone locked every client out. This test runs the shipped nginx template
(deploy/nginx.conf.template, as scripts/prod.py renders it) in front of the live server and
logs in from two client addresses (127.0.0.2 the attacker, 127.0.0.1 the resident).
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.skipif(not os.access(NGINX, os.X_OK), reason="nginx is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def nginx(live_server, tmp_path):
    """The shipped nginx config in front of the live server; yields nginx's port."""
    spec = importlib.util.spec_from_file_location("prod_script", ROOT / "scripts" / "prod.py")
    prod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(prod)
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "tmp" / sub).mkdir(parents=True)
    port = _free_port()
    conf = prod.render_nginx(
        ROOT / "deploy" / "nginx.conf.template",
        {
            "user_directive": "user root;" if os.geteuid() == 0 else "",
            "nginx_workers": "1",
            "prod_dir": str(tmp_path),
            "mime_types": "/etc/nginx/mime.types" if Path("/etc/nginx/mime.types").exists() else "mime.types",
            "access_log": "off",
            "http_servers": prod.upstream_servers(
                [{"gunicorn_port": live_server.thread.port}], "gunicorn_port"
            ),
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
            time.sleep(0.1)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


class Browser:
    """A minimal HTTP client bound to one source address, keeping its cookies."""

    def __init__(self, port: int, address: str) -> None:
        self.port, self.address, self.cookies = port, address, {}

    def request(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        *,
        headers: dict | None = None,
        json_body=False,
    ):
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=20, source_address=(self.address, 0)
        )
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = json.dumps(body) if json_body else urlencode(body)
            headers["Content-Type"] = "application/json" if json_body else "application/x-www-form-urlencoded"
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _eq, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response.status, response.getheader("Location"), text

    def login(self, login: str, password: str, headers: dict | None = None) -> bool:
        _status, _location, page = self.request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, location, _page = self.request(
            "POST",
            "/accounts/login/",
            {"login": login, "password": password, "csrfmiddlewaretoken": token},
            headers=headers,
        )
        return status == 302 and "/accounts/login/" not in (location or "")


@pytest.fixture
def one_proxy(settings):
    """What scripts/prod.py sets for the shipped topology (TRUSTED_PROXY_COUNT=1)."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def test_an_attackers_failed_logins_do_not_lock_out_another_client(one_proxy, nginx, transactional_db):
    resident = UserFactory(phone="+8613800000301")
    attacker = Browser(nginx, "127.0.0.2")
    for i in range(12):  # allauth: 10 failures a minute per client address
        # Spoofed X-Forwarded-For does not help: nginx appends the real address, which counts.
        assert not attacker.login(f"1380000{i:04d}", "wrong-guess", {"X-Forwarded-For": f"10.9.9.{i}"})
    assert not Browser(nginx, "127.0.0.2").login(str(resident.phone), "demo12345")  # the attacker is held
    assert Browser(nginx, "127.0.0.1").login(str(resident.phone), "demo12345")  # the resident is not


def test_api_token_throttle_is_per_client_behind_nginx(one_proxy, nginx, transactional_db):
    UserFactory(username="lin")
    attacker = Browser(nginx, "127.0.0.2")
    for i in range(31):  # FailedLoginByClientThrottle: 30 failures an hour per client
        attacker.request(
            "POST", "/api/v1/auth/token/", {"login": f"nobody{i}", "password": "x"}, json_body=True
        )
    status, _location, _body = attacker.request(
        "POST", "/api/v1/auth/token/", {"login": "lin", "password": "demo12345"}, json_body=True
    )
    assert status == 429
    status, _location, body = Browser(nginx, "127.0.0.1").request(
        "POST", "/api/v1/auth/token/", {"login": "lin", "password": "demo12345"}, json_body=True
    )
    assert status == 200, body


def test_without_the_proxy_count_everyone_shares_nginxs_address(nginx, transactional_db, settings):
    """The bug this fixes, kept visible: with 0 trusted proxies the lockout is site-wide."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    resident = UserFactory(phone="+8613800000302")
    attacker = Browser(nginx, "127.0.0.2")
    for i in range(12):
        attacker.login(f"1380000{i:04d}", "wrong-guess")
    assert not Browser(nginx, "127.0.0.1").login(str(resident.phone), "demo12345")
