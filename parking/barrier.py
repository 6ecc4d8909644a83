"""Opening a Hikvision barrier from the platform: ``PUT /ISAPI/Parking/channels/<n>/barrierGate``
with HTTP Digest authentication (standard library only). Called from a task after the decision
committed; the outcome, good or bad, is recorded for staff (GateAction ``barrier_call``)."""

from __future__ import annotations

import urllib.error
import urllib.request

# The ISAPI schema's namespace and version, as the Vehicle Access Control spec's BarrierGate
# (ctrlMode open / close / lock / unlock) is written in the examples we found.
BARRIER_OPEN_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<BarrierGate xmlns="http://www.isapi.org/ver20/XMLSchema" version="2.0">'
    b"<ctrlMode>open</ctrlMode></BarrierGate>"
)
TIMEOUT_SECONDS = 3


def barrier_url(base_url: str, channel: int) -> str:
    return f"{base_url.rstrip('/')}/ISAPI/Parking/channels/{int(channel)}/barrierGate"


def put_barrier_open(*, base_url: str, channel: int, username: str, password: str) -> tuple[bool, str]:
    """(ok, detail). Never raises for network trouble: an unreachable camera is a result."""
    url = barrier_url(base_url, channel)
    if not url.startswith(("http://", "https://")):
        return False, "barrier URL must be http:// or https://"
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, url, username, password)
    opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords))
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=BARRIER_OPEN_XML, method="PUT", headers={"Content-Type": "application/xml"}
    )
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return 200 <= response.status < 300, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return False, f"unreachable: {getattr(exc, 'reason', exc)}"
