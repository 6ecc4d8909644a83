"""Pushing a car park's permitted plates to a camera's own allow-list (白名单).

A Hikvision ANPR camera decides at the barrier from its own list; its push to us cannot lift
the barrier. So the plates we let in (permits, space holders, visitor passes with a plate) are
kept in its list. ``AllowListClient`` is the interface the sync service (``parking.services.
allowlist``) talks to; ``HikvisionAllowList`` speaks ISAPI with Digest authentication:

* add or change: ``PUT /ISAPI/Traffic/channels/<n>/licensePlateAuditData/record?format=json``
  ``{"LicensePlateInfoList": [{"id", "LicensePlate", "listType": "whiteList", "createTime",
  "effectiveStartDate", "effectiveTime"}]}`` (dates in the camera's local time);
* remove: ``PUT /ISAPI/Traffic/channels/<n>/DelLicensePlateAuditData?format=json``
  ``{"id": [...], "deleteAllEnabled": false}``;
* the camera answers ``ResponseStatus`` (``statusCode`` 1 / ``statusString`` "OK").

Both bodies are what the camera's own web page sends (captures published by several
independent integrators agree; our ids are our rows' numbers, which the models that accept
numeric ids only also take). Some firmware takes its list only as a CSV file import
(``licensePlateAuditData?fileType=csv``); such a camera refuses these calls, and the refusal is
shown to staff (not built: no such camera to test against).

Standard library only (as ``parking.barrier``); a batch is at most ``BATCH`` plates.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

TIMEOUT_SECONDS = 5
BATCH = 50


class AllowListError(Exception):
    """The camera did not take the change; the message says why (shown to staff)."""


@dataclass(frozen=True)
class AllowedPlate:
    id: str  # ours, stable: what a later removal names
    plate: str
    valid_from: dt.date
    valid_until: dt.date  # last day the camera lets it in


class AllowListClient(Protocol):
    def put(self, plates: list[AllowedPlate]) -> None: ...

    def delete(self, ids: list[str]) -> None: ...


class HikvisionAllowList:
    def __init__(self, *, base_url: str, channel: int, username: str, password: str) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise AllowListError("camera URL must be http:// or https://")
        self.base = f"{base_url.rstrip('/')}/ISAPI/Traffic/channels/{int(channel)}"
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, base_url, username, password)
        self.opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords))

    def put(self, plates: list[AllowedPlate]) -> None:
        created = dt.datetime.now().replace(microsecond=0).isoformat()
        for start in range(0, len(plates), BATCH):
            items = [
                {
                    "id": p.id,
                    "LicensePlate": p.plate,
                    "listType": "whiteList",
                    "createTime": created,
                    "effectiveStartDate": p.valid_from.isoformat(),
                    "effectiveTime": p.valid_until.isoformat(),
                }
                for p in plates[start : start + BATCH]
            ]
            self._put("licensePlateAuditData/record?format=json", {"LicensePlateInfoList": items})

    def delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), BATCH):
            # deleteAllEnabled as the camera's own web page sends it: false, only these ids.
            self._put(
                "DelLicensePlateAuditData?format=json",
                {"id": ids[start : start + BATCH], "deleteAllEnabled": False},
            )

    def _put(self, path: str, body: dict) -> None:
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            f"{self.base}/{path}",
            data=json.dumps(body, ensure_ascii=False).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        try:
            with self.opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                answer = response.read()
        except urllib.error.HTTPError as exc:
            raise AllowListError(f"HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise AllowListError(f"unreachable: {getattr(exc, 'reason', exc)}") from exc
        try:
            status = json.loads(answer or b"{}")
        except ValueError:
            raise AllowListError("the camera's answer is not JSON") from None
        if isinstance(status, dict) and "ResponseStatus" in status:
            status = status["ResponseStatus"]
        if not isinstance(status, dict) or str(status.get("statusCode")) != "1":
            detail = (
                status.get("subStatusCode") or status.get("statusString") if isinstance(status, dict) else ""
            )
            raise AllowListError(f"refused: {detail or answer[:200]!r}")
