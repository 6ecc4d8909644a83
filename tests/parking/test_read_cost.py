"""What one camera read costs in SQL: bounded, whatever the number of cars inside."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parking.models import Session
from tests.factories import VehicleFactory

from .conftest import EXIT_TOKEN, alarm

pytestmark = pytest.mark.django_db


def _cost(vz, body, **kwargs) -> int:
    with CaptureQueriesContext(connection) as ctx:
        vz(body, **kwargs)
    return len(ctx)


def test_a_read_runs_a_bounded_number_of_queries(lanes, vz, lot):
    lot.capacity = 1000
    lot.save()
    vz(alarm("湘A00000"))  # the camera's first read also marks it online
    entry_small = _cost(vz, alarm("湘A00001"))
    Session.objects.bulk_create(
        [
            Session(estate=lot.estate, lot=lot, plate=f"湘B{n:05d}", kind="temporary", status="open")
            for n in range(200)
        ]
    )
    VehicleFactory.create_batch(20, estate=lot.estate)
    entry_big = _cost(vz, alarm("湘A00002"))
    exit_ = _cost(vz, alarm("湘A00001"), token=EXIT_TOKEN)
    assert entry_big == entry_small
    print(f"queries per read: entry {entry_big}, exit {exit_}")
    assert entry_big <= 20 and exit_ <= 20
