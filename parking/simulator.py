"""Plate-camera traffic over HTTP for the demo and the benchmark: Vzenith AlarmInfoPlate reads
at the entry and exit cameras, a no-plate read, an offline replay (with its handshake), a
resend of the same read.

``manage.py simulate_parking`` (and ``simulate_devices`` when parking is installed) plays it
against a running server; ``bench/parking_decide.py`` reuses ``alarm_info_plate``.
"""

from __future__ import annotations

import itertools
import json
import random
import time

from access.simulator import HttpDevice

from .demo import LPR_EXIT_TOKEN, LPR_TOKEN
from .models import Vehicle

_PLATE_IDS = itertools.count(int(time.time()) % 1_000_000 * 10)


def alarm_info_plate(plate: str, *, plateid: int, offline: bool = False, sec: int | None = None) -> dict:
    return {
        "AlarmInfoPlate": {
            "channel": 0,
            "deviceName": "IVS",
            "ipaddr": "192.168.22.2",
            "serialno": "0f823866-d2dc45ab",
            "result": {
                "PlateResult": {
                    "license": plate,
                    "colorType": 5 if len(plate) == 8 else 1,
                    "type": 1,
                    "confidence": 94,
                    "direction": 4,
                    "timeStamp": {"Timeval": {"sec": sec or int(time.time()), "usec": 0}},
                    "triggerType": 8,
                    "plateid": plateid,
                    "isoffline": 1 if offline else 0,
                }
            },
        }
    }


class PlateSimulation:
    def __init__(
        self, base_url: str, *, entry_token: str, exit_token: str, plates: list[str], log=print, seed: int = 7
    ):
        self.http = HttpDevice(base_url)
        self.entry, self.exit = f"/lpr/vzenith/{entry_token}", f"/lpr/vzenith/{exit_token}"
        self.plates = plates or ["鄂C12345"]
        self.inside: list[str] = []
        self.rng = random.Random(seed)
        self.log = log

    def read(self, path: str, plate: str, **kwargs) -> dict:
        body = alarm_info_plate(plate, plateid=next(_PLATE_IDS), **kwargs)
        status, answer = self.http.post_json(path, body)
        reply = json.loads(answer or b"{}").get("Response_AlarmInfoPlate", {})
        self.log(f"vzenith {'in ' if path == self.entry else 'out'} {plate}: {status} {reply.get('info')}")
        return reply

    def round(self):
        if self.inside and self.rng.random() < 0.5:
            plate = self.inside.pop(self.rng.randrange(len(self.inside)))
            self.read(self.exit, plate)
        else:
            visitor = self.rng.random() < 0.4
            plate = f"湘A{self.rng.randrange(10000, 99999)}" if visitor else self.rng.choice(self.plates)
            if self.read(self.entry, plate).get("info") == "ok":
                self.inside.append(plate)
        roll = self.rng.random()
        if roll < 0.05:
            self.read(self.entry, "_无_")
        elif roll < 0.1:
            self.read(self.exit, self.rng.choice(self.plates), offline=True, sec=int(time.time()) - 3600)

    def run(self, *, duration: float, interval: float = 2.0) -> int:
        started, rounds = time.monotonic(), 0
        while True:
            self.round()
            rounds += 1
            if time.monotonic() - started >= duration:
                break
            time.sleep(interval)
        self.http.close()
        return rounds


def run_demo(url: str, *, duration: float, interval: float, log) -> int:
    """The demo plate cameras (needs ``seed_demo``)."""
    plates = list(Vehicle.objects.filter(approved=True).values_list("plate", flat=True)[:50])
    simulation = PlateSimulation(
        url, entry_token=LPR_TOKEN, exit_token=LPR_EXIT_TOKEN, plates=plates, log=log
    )
    return simulation.run(duration=duration, interval=interval)
