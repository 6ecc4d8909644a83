"""Issue #15 item 16: a Content-Security-Policy without inline scripts, and device tokens in URL
paths masked in every log."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from community.logmask import MaskDeviceTokens, mask_device_tokens

ROOT = Path(__file__).resolve().parents[2]
OUR_TEMPLATES = sorted(
    p
    for folder in ("templates", "community", "access", "parking", "eldercare")
    for p in (ROOT / folder).rglob("*.html")
)
# A <script> without src that is not a JSON data block (json_script, allauth's onload data).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def test_templates_were_found():
    assert any(p.name == "base.html" for p in OUR_TEMPLATES)


@pytest.mark.parametrize("template", OUR_TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_has_inline_script_or_event_handlers(template):
    text = template.read_text()
    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to a static file"
    assert not INLINE_HANDLER.search(text), "inline on…= handler: use a data-* attribute and static JS"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/portal/", "/admin/login/", "/healthz"])
def test_every_response_carries_the_policy(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in directives["script-src"] and "unsafe-eval" not in policy


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ('"POST /isapi/Abc123Secret/events HTTP/1.1" 200', "Abc123Secret"),
        ("Not Found: /lpr/vzenith/tok-9f8e7d6c5b/heartbeat", "tok-9f8e7d6c5b"),
        ("GET /isapi/Zz99?x=1", "Zz99"),
    ],
)
def test_tokens_in_paths_are_masked(line, secret):
    masked = mask_device_tokens(line)
    assert secret not in masked and "***" in masked


def test_the_filter_rewrites_formatted_messages():
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s', ("GET /isapi/s3cr3t-tok/events", 200), None
    )
    assert MaskDeviceTokens().filter(record)
    assert "s3cr3t-tok" not in record.getMessage()


@pytest.mark.django_db
def test_a_device_request_logs_no_token(client, caplog):
    caplog.set_level(logging.INFO)
    client.post("/isapi/leaked-token-0001/events", data=b"<xml/>", content_type="application/xml")
    client.get("/lpr/vzenith/leaked-token-0002/poll")
    assert "django.request" in {r.name for r in caplog.records}
    assert "leaked-token" not in caplog.text
    assert "/isapi/le***" in caplog.text


def test_every_handler_and_request_logger_masks():
    from django.conf import settings

    assert "mask_device_tokens" in settings.LOGGING["handlers"]["console"]["filters"]
    for name in ("django.server", "django.request", "gunicorn.access"):
        assert any(isinstance(f, MaskDeviceTokens) for f in logging.getLogger(name).filters), name
