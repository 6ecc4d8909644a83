"""What one camera read costs in SQL: four statements, whatever the number of cars inside.

A decision is the hot path of the car park (issue #13's benchmark): the per-plate lock with the
read's new id and the look-up of an earlier copy, one statement for every fact the rules need,
the stay's insert or update, and the read's insert with its decision. The camera's lane and the
lot's fee rules come from the process's cache.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parking.models import Session
from tests.factories import PermitFactory, VehicleFactory

from .conftest import EXIT_TOKEN, alarm, response_of

pytestmark = pytest.mark.django_db

# SQLite has no advisory lock (its write lock already serialises writers), but the same first
# statement takes the read's id and looks for an earlier copy.
STATEMENTS_PER_READ = 4


def _statements(vz, body, **kwargs) -> tuple[list[str], dict]:
    with CaptureQueriesContext(connection) as ctx:
        status, answer = vz(body, **kwargs)
    assert status == 200
    # Savepoints are the test's own transaction around the service's atomic block.
    sql = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    return sql, response_of(answer)


def test_a_read_costs_four_statements_however_many_cars_are_inside(lanes, vz, lot):
    lot.capacity = 1000
    lot.save()
    # Each camera's first read loads its lane and marks it online.
    vz(alarm("湘A00000"))
    vz(alarm("湘A09999"), token=EXIT_TOKEN)
    entry_small, answer = _statements(vz, alarm("湘A00001"))
    assert answer["info"] == "ok"
    Session.objects.bulk_create(
        [
            Session(estate=lot.estate, lot=lot, plate=f"湘B{n:05d}", kind="temporary", status="open")
            for n in range(200)
        ]
    )
    VehicleFactory.create_batch(20, estate=lot.estate)
    entry_big, _ = _statements(vz, alarm("湘A00002"))
    exit_, answer = _statements(vz, alarm("湘A00001"), token=EXIT_TOKEN)
    assert answer["info"] == "ok"
    assert len(entry_small) == len(entry_big) == STATEMENTS_PER_READ, entry_big
    assert len(exit_) == STATEMENTS_PER_READ, exit_


def test_an_exit_without_entry_looks_up_the_car_once_more(lanes, vz, lot):
    vz(alarm("湘A09999"), token=EXIT_TOKEN)
    exit_, answer = _statements(vz, alarm("湘A00001"), token=EXIT_TOKEN)
    assert answer["info"] == "ok"
    assert len(exit_) == STATEMENTS_PER_READ + 1, exit_


def test_a_resent_read_costs_two_statements_and_writes_nothing(lanes, vz, lot):
    vz(alarm("湘A00000"))
    body = alarm("湘A00001")
    vz(body)
    again, answer = _statements(vz, body)
    assert answer["content"] == "retransfer_stop"
    assert len(again) == 2, again  # the claim finds the first copy; the answer is read from it
    assert not any(sql.startswith(("INSERT", "UPDATE")) for sql in again), again


def test_a_permit_car_costs_the_same(lanes, vz, lot):
    vehicle = VehicleFactory(estate=lot.estate, plate="鄂C12345", approved=True)
    PermitFactory(vehicle=vehicle, lot=lot)
    vz(alarm("湘A00000"))
    entry, answer = _statements(vz, alarm("鄂C12345"))
    assert answer["info"] == "ok"
    assert len(entry) == STATEMENTS_PER_READ, entry


def test_a_lot_near_full_counts_every_time(lanes, vz, lot):
    """The recent count is used only far from full: near it, every read counts exactly."""
    lot.capacity = 1000
    lot.save()
    vz(alarm("湘A00000"))  # counted: 1 inside, far from full; the count is kept a moment
    Session.objects.bulk_create(
        [
            Session(estate=lot.estate, lot=lot, plate=f"湘B{n:05d}", kind="temporary", status="open")
            for n in range(999)
        ]
    )
    # Within the moment the stale count would still say "room": far from full, that is safe
    # (no barrier admits 50 cars in 2 s); a lot of 1,000 with 1,000 inside is not far from full
    # once counted, so the next read after the count's moment is refused.
    from parking import setup_cache

    setup_cache.occupancy_clear()
    _s, answer = vz(alarm("湘A00001"))
    assert answer["Response_AlarmInfoPlate"]["info"] == "no"
    lot.capacity = 60
    lot.save()
    Session.objects.filter(plate__startswith="湘B").exclude(plate__lt="湘B00058").delete()
    assert Session.objects.filter(lot=lot, status="open").count() == 59
    _s, answer = vz(alarm("湘A00002"))  # the 60th: in
    assert answer["Response_AlarmInfoPlate"]["info"] == "ok"
    _s, answer = vz(alarm("湘A00003"))  # near full: counted again, not taken from the last count
    assert answer["Response_AlarmInfoPlate"]["info"] == "no"


def test_statements_are_prepared_only_on_persistent_connections(lanes, vz):
    """Behind PgBouncer's transaction pooling (CONN_MAX_AGE=0) a prepared statement would meet a
    server connection that already holds one of the same name: the read path must not prepare."""
    from django.db import connections

    from parking import prepared
    from parking.prepared import preparing

    connection = connections["default"]
    original = connection.settings_dict.get("CONN_MAX_AGE")
    try:
        connection.settings_dict["CONN_MAX_AGE"] = 0
        assert not preparing(connection)
        with prepared.cursor() as cursor:
            assert type(cursor.cursor).__name__ != "_PreparingCursor"
        status, answer = vz(alarm("湘A00007"))
        assert status == 200 and response_of(answer)["info"] == "ok"
        connection.settings_dict["CONN_MAX_AGE"] = 60
        assert preparing(connection) == (connection.vendor == "postgresql")
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = original


@pytest.mark.skipif(connection.vendor != "postgresql", reason="server-side prepared statements")
def test_the_read_path_is_prepared_and_its_plan_finds_a_stay_through_the_live_index(lanes, vz, lot):
    """Django opens connections with psycopg's preparing switched off: the read path's statements
    must really be prepared (planned once), and their one plan must reach a plate's live stay
    through ``parking_session_one_live`` — a plan made for any parameters cannot use that partial
    index when the live statuses are parameters too, and then walks every car inside."""
    from parking.services.decide import _LIVE_STAY

    lot.capacity = 5000
    lot.save()
    Session.objects.bulk_create(
        [
            Session(estate=lot.estate, lot=lot, plate=f"湘B{n:05d}", kind="temporary", status="open")
            for n in range(3000)
        ]
    )
    vz(alarm("湘A00001"))
    status, answer = vz(alarm("湘A00001"), token=EXIT_TOKEN)
    assert status == 200 and response_of(answer)["info"] == "ok"
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared_sql = [row[0] for row in cursor.fetchall()]
    assert any("pg_advisory_xact_lock" in sql for sql in prepared_sql), prepared_sql
    assert any(sql.startswith('INSERT INTO "parking_plateevent"') for sql in prepared_sql), prepared_sql

    sql, params = _LIVE_STAY.params("default", lot_id=lot.pk, plate="湘B02999")
    assert len(params) == 2  # the lot and the plate; the live statuses are written in
    numbered = sql.split("%s")
    sql = "".join(part + (f"${n}" if n < len(numbered) else "") for n, part in enumerate(numbered, start=1))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE parking_session")
        cursor.execute(f"PREPARE live_stay AS {sql}".replace("%%", "%"))
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("EXPLAIN EXECUTE live_stay(%s, %s)", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE live_stay")
    assert "parking_session_one_live" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's persistent connections")
@pytest.mark.django_db(transaction=True)
def test_a_read_checks_its_connection_without_a_round_trip_and_survives_a_dead_one(
    lanes, vz, db_health_checks
):
    """Django's per-request health check is a SELECT 1; the read path looks at the socket
    instead. A backend ended by the server (a restart, an idle timeout) is still replaced
    before the read, so the camera gets its answer, not a 503."""
    vz(alarm("湘A00001"))
    pid = connection.connection.info.backend_pid
    db_health_checks.new_request()
    status, answer = vz(alarm("湘A00002"))
    assert status == 200 and response_of(answer)["info"] == "ok"
    assert db_health_checks.calls == []
    assert connection.connection.info.backend_pid == pid  # the same persistent connection

    db_health_checks.backend_terminate()
    db_health_checks.new_request()
    status, answer = vz(alarm("湘A00003"))
    assert status == 200 and response_of(answer)["info"] == "ok"
    assert connection.connection.info.backend_pid != pid
    assert db_health_checks.calls == []  # found dead by its socket, not by a SELECT 1
    assert Session.objects.filter(plate="湘A00003", status="open").count() == 1
