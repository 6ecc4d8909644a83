"""The plate-camera simulator (simulate_devices / simulate_parking) against a running server."""

from __future__ import annotations

import pytest

from parking.models import LaneDirection, PlateEvent
from parking.simulator import PlateSimulation
from tests.factories import LaneFactory, LotFactory, PlateCameraFactory


@pytest.mark.django_db(transaction=True)
def test_simulated_cameras_are_stored_and_answered(live_server, estate_a):
    lot = LotFactory(estate=estate_a)
    LaneFactory(
        lot=lot,
        device=PlateCameraFactory(estate=estate_a, token="sim-entry-token-01"),
        direction=LaneDirection.IN,
    )
    LaneFactory(
        lot=lot,
        device=PlateCameraFactory(estate=estate_a, token="sim-exit-token-001"),
        direction=LaneDirection.OUT,
    )
    lines = []
    simulation = PlateSimulation(
        live_server.url,
        entry_token="sim-entry-token-01",
        exit_token="sim-exit-token-001",
        plates=["鄂C12345"],
        log=lines.append,
    )
    for _ in range(6):
        simulation.round()
    simulation.http.close()
    assert PlateEvent.objects.count() >= 6
    assert all(" 200 " in line for line in lines)
