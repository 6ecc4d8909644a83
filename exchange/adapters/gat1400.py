"""GA/T 1400 (公安视图库) client: register with HTTP Digest, keepalive, post objects.

- ``POST /VIID/System/Register`` with ``{"RegisterObject": {"DeviceID": …}}``: the first answer
  is ``401`` with a Digest challenge, the second carries ``Authorization``; then every request
  carries ``User-Identify: <DeviceID>``. A registration lapses after about five minutes without a
  request, so a data request answered ``401`` registers again once and retries.
- Car passages go to ``/VIID/MotorVehicles``; people, door records, door devices and vehicle
  information to the community extensions as deployed in Zhejiang (``/VIID/Community/PersonInfos``,
  ``DoorInfos``, ``DoorDevices``, ``CarInfos``), only where the destination lists that extension.
- The answer is a ``ResponseStatusListObject``: one ``ResponseStatusObject`` per record with
  its ``Id``; ``StatusCode`` 0 is success. Each record is judged by its own status.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

from ..digest import digest_authorization, parse_challenge
from ..gat1400_ids import viid_time
from .base import Outcome, OutcomeKind, SendItem, TransportError, http_request

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

# GA/T 1400.4 status codes: 0 OK; 1 other error; 2 device busy; 3 device error; 4 invalid
# operation; 5/6 invalid XML format/content; 7/8 invalid JSON format/content; 9 reboot.
STATUS_OK = 0
RETRY_STATUSES = {1, 2, 3, 9}

# category -> (path, list object, item object, the extension that must be enabled or None, the
# item's id field, which its ResponseStatusObject answers with)
ROUTES = {
    "car_passage": (
        "/VIID/MotorVehicles",
        "MotorVehicleListObject",
        "MotorVehicleObject",
        None,
        "MotorVehicleID",
    ),
    "resident_change": (
        "/VIID/Community/PersonInfos",
        "PersonInfoListObject",
        "PersonInfoObject",
        "PersonInfos",
        "PersonID",
    ),
    "gate_passage": (
        "/VIID/Community/DoorInfos",
        "DoorInfoListObject",
        "DoorInfoObject",
        "DoorInfos",
        "DoorInfoID",
    ),
    # Registries: the destination keeps one object per id and overwrites it with each version.
    "door_device": (
        "/VIID/Community/DoorDevices",
        "DoorDeviceListObject",
        "DoorDeviceObject",
        "DoorDevices",
        "DeviceID",
    ),
    "car_info": ("/VIID/Community/CarInfos", "CarInfoListObject", "CarInfoObject", "CarInfos", "CarInfoID"),
}
# GA 24.8 plate colours as GA/T 1400 codes them.
PLATE_COLORS = {"black": "1", "white": "2", "grey": "3", "red": "4", "blue": "5", "yellow": "6", "green": "9"}


def _local(value: str | None) -> str:
    if not value:
        return ""
    at = dt.datetime.fromisoformat(value)
    if at.tzinfo is not None:
        at = at.astimezone(SHANGHAI)
    return viid_time(at)


def to_object(category: str, item: SendItem, *, device_id: str) -> dict:
    """Our minimised payload in the destination's field names. Missing fields stay absent."""
    p = item.payload
    if category == "car_passage":
        obj = {
            "MotorVehicleID": item.remote_key,
            "InfoKind": 1,
            "SourceID": item.remote_key[:41],
            "DeviceID": device_id,
            "PassTime": _local(p.get("occurred_at")),
            "PlateNo": p.get("plate"),
            "PlateColor": PLATE_COLORS.get(p.get("plate_color") or "", "99"),
            "Direction": p.get("direction"),
        }
    elif category == "resident_change":
        obj = {
            "PersonID": item.remote_key,
            "ChangeType": p.get("change"),
            "ChangeTime": _local(p.get("occurred_at")),
            "Name": p.get("person_name"),
            "IDNumber": p.get("person_id_number"),
            "Mobile": p.get("person_phone"),
            "BuildingNo": p.get("building"),
            "HouseNo": p.get("unit"),
            "PersonType": p.get("role"),
        }
    elif category == "gate_passage":
        obj = {
            "DoorInfoID": item.remote_key,
            "DeviceID": device_id,
            "PassTime": _local(p.get("occurred_at")),
            "Direction": p.get("direction"),
            "OpenType": p.get("method"),
            "Result": p.get("result"),
            "Name": p.get("person_name"),
            "IDNumber": p.get("person_id_number"),
            "Mobile": p.get("person_phone"),
        }
    elif category == "door_device":
        obj = {
            # The remote key of a registry version is "<object id>:<version>".
            "DeviceID": item.remote_key.split(":")[0],
            "Name": p.get("name"),
            "PlaceName": p.get("gate"),
            "SerialNumber": p.get("serial_number"),
            "Status": {"in_service": "1", "out_of_service": "0"}.get(p.get("status") or ""),
            "CreateTime": _local(p.get("registered_at")),
        }
    elif category == "car_info":
        obj = {
            "CarInfoID": item.remote_key.split(":")[0],
            "PlateNo": p.get("plate"),
            "PlateColor": PLATE_COLORS.get(p.get("plate_color") or "", "99") if "plate_color" in p else None,
            "OwnerName": p.get("owner_name"),
            "OwnerIDNumber": p.get("owner_id_number"),
            "OwnerMobile": p.get("owner_phone"),
            "Status": {"registered": "1", "removed": "0"}.get(p.get("status") or ""),
            "CreateTime": _local(p.get("registered_at")),
        }
    else:
        raise KeyError(category)
    return {k: v for k, v in obj.items() if v not in (None, "")}


class Gat1400Adapter:
    def __init__(
        self,
        *,
        endpoint: str,
        device_id: str,
        username: str,
        password: str,
        extensions: list[str],
        timeout: float = 10.0,
    ):
        self.base = endpoint.rstrip("/")
        self.device_id = device_id
        self.username, self.password = username, password
        self.extensions = set(extensions or [])
        self.timeout = timeout
        self.registered = False

    # --- session -----------------------------------------------------------------------------
    def _headers(self) -> dict:
        return {"Content-Type": "application/json;charset=UTF-8", "User-Identify": self.device_id}

    def _system(self, name: str, obj: str) -> dict:
        path = f"/VIID/System/{name}"
        body = json.dumps({obj: {"DeviceID": self.device_id}}).encode()
        reply = http_request(self.base + path, body=body, headers=self._headers(), timeout=self.timeout)
        if reply.status == 401 and "www-authenticate" in {k.lower() for k in reply.headers}:
            challenge = next(v for k, v in reply.headers.items() if k.lower() == "www-authenticate")
            auth = digest_authorization(
                challenge=parse_challenge(challenge),
                method="POST",
                uri=path,
                username=self.username,
                password=self.password,
            )
            reply = http_request(
                self.base + path,
                body=body,
                headers={**self._headers(), "Authorization": auth},
                timeout=self.timeout,
            )
        if reply.status != 200:
            raise TransportError(f"{name}: HTTP {reply.status}")
        status = reply.json().get("ResponseStatusObject", {})
        if int(status.get("StatusCode", -1)) != STATUS_OK:
            raise TransportError(
                f"{name}: StatusCode {status.get('StatusCode')} {status.get('StatusString', '')}"
            )
        return status

    def register(self) -> None:
        self._system("Register", "RegisterObject")
        self.registered = True

    def keepalive(self) -> None:
        self._system("Keepalive", "KeepaliveObject")

    def unregister(self) -> None:
        self._system("UnRegister", "UnRegisterObject")
        self.registered = False

    # --- data --------------------------------------------------------------------------------
    def routable(self, category: str) -> bool:
        route = ROUTES.get(category)
        return route is not None and (route[3] is None or route[3] in self.extensions)

    def send(self, category: str, items: list[SendItem]) -> dict[int, Outcome]:
        if not self.routable(category):
            return {
                i.delivery_id: Outcome(OutcomeKind.REJECTED, "destination does not take this category")
                for i in items
            }
        path, list_name, item_name, _ext, id_field = ROUTES[category]
        objects = [to_object(category, i, device_id=self.device_id) for i in items]
        body = json.dumps({list_name: {item_name: objects}}, ensure_ascii=False).encode()
        if not self.registered:
            self.register()
        reply = http_request(self.base + path, body=body, headers=self._headers(), timeout=self.timeout)
        if reply.status == 401:  # the registration lapsed on the other side: once more
            self.register()
            reply = http_request(self.base + path, body=body, headers=self._headers(), timeout=self.timeout)
        if reply.status != 200:
            raise TransportError(f"{path}: HTTP {reply.status}")
        try:
            statuses = reply.json()["ResponseStatusListObject"]["ResponseStatusObject"]
        except (ValueError, KeyError, TypeError) as exc:
            raise TransportError(f"{path}: unreadable answer") from exc
        by_id = {str(s.get("Id")): s for s in statuses if isinstance(s, dict)}
        outcomes = {}
        for item, obj in zip(items, objects, strict=True):
            status = by_id.get(str(obj.get(id_field)))
            if status is None:
                outcomes[item.delivery_id] = Outcome(OutcomeKind.RETRY, "no status for this record")
                continue
            code = int(status.get("StatusCode", 1))
            text = str(status.get("StatusString", ""))[:200]
            if code == STATUS_OK:
                outcomes[item.delivery_id] = Outcome(OutcomeKind.DELIVERED)
            elif code in RETRY_STATUSES:
                outcomes[item.delivery_id] = Outcome(OutcomeKind.RETRY, f"StatusCode {code} {text}")
            else:
                outcomes[item.delivery_id] = Outcome(OutcomeKind.REJECTED, f"StatusCode {code} {text}")
        return outcomes
