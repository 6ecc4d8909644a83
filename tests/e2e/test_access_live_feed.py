"""The staff live gate feed in a real browser against the real ASGI app: a security guard opens
/staff/access/, a gate device posts an event, and the row appears without a reload.

pytest-django's live_server speaks WSGI (no websockets), so the app runs under daphne in a
subprocess against the test database. That needs a database the subprocess can open: on
PostgreSQL the test database with committed data (transactional test); SQLite tests use an
in-memory database no other process can see, so there the test is skipped.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from community.accounts.roles import StaffRole
from tests.factories import DeviceFactory, GateFactory, StaffFactory

TOKEN = "live-feed-e2e-token-0001"
DESKTOP = {"width": 1280, "height": 800}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def asgi_server(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("daphne runs in another process; SQLite's in-memory test database is not visible there")
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = url.replace("@", f":{db['PASSWORD']}@", 1)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "REDIS_URL": "",
        "DEBUG": "false",
        "STAFF_MFA_REQUIRED": "false",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    process = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "daphne"),
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "community.asgi:application",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"daphne did not start: {process.stderr.read().decode()[-2000:]}"
                    ) from None
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _post_event(base: str, event_id: str, result: str) -> int:
    body = (
        f'{{"event_id": "{event_id}", "occurred_at": "{timezone.now().isoformat()}", "result": "{result}", '
        '"method": "card", "direction": "in", "reason": "credential_unknown"}'
    ).encode()
    request = urllib.request.Request(
        f"{base}/api/v1/devices/events",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


@pytest.mark.parametrize("viewport", [None, DESKTOP], ids=["phone", "desktop"])
def test_security_sees_a_gate_event_appear_live(page, asgi_server, estate_a, estate_b, viewport):
    if viewport:
        page.set_viewport_size(viewport)
    StaffFactory(estate=estate_a, role=StaffRole.SECURITY, phone="+8613900000201", password="demo12345")
    gate = GateFactory(estate=estate_a, name="东门")
    DeviceFactory(estate=estate_a, gate=gate, name="东门闸机", token=TOKEN)
    DeviceFactory(estate=estate_b, name="别的小区", token="other-estate-token-0001")

    # Frames are collected from the moment the socket opens: the server's "subscribed" answer can
    # arrive while the login redirect is still being checked, before a wait_for_event would listen.
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))

    page.goto(f"{asgi_server}/staff/access/")
    page.fill('input[name="login"]', "13900000201")
    page.fill('input[name="password"]', "demo12345")
    page.click('form button[type="submit"]')
    expect(page).to_have_url(f"{asgi_server}/staff/access/")
    # Wait for the server to confirm the subscription before the device posts.
    deadline = time.monotonic() + 20
    while not any("subscribed" in f and ".access" in f for f in frames):
        assert time.monotonic() < deadline, f"no subscription confirmed; frames: {frames}"
        page.wait_for_timeout(100)
    expect(page.locator("#access-feed .access-feed-empty")).to_be_visible()
    feed = page.locator("#access-feed")
    expect(page.locator("[data-feed-state]")).to_have_text(feed.get_attribute("data-label-live"))
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    assert _post_event(asgi_server, "e2e-live-1", "denied") == 200

    row = page.locator("#access-feed li.access-event").first
    expect(row).to_be_visible(timeout=20_000)
    if viewport:  # the phone layout hides the gate column
        expect(row).to_contain_text("东门")
    labels = page.evaluate("JSON.parse(document.getElementById('access-feed-labels').textContent)")
    # Words in the page's language, not the codes the websocket carries.
    expect(row.locator(".badge")).to_have_text(feed.get_attribute("data-label-denied"))
    expect(row).to_contain_text(labels["reason"]["credential_unknown"])
    expect(row).to_contain_text(labels["method"]["card"])
    expect(row).not_to_contain_text("credential_unknown")
    expect(page.locator("#access-feed .access-feed-empty")).to_have_count(0)
    expect(page.locator("[data-device] [data-device-status]").first).to_have_text(
        feed.get_attribute("data-label-online")
    )
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
