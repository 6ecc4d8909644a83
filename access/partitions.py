"""Monthly range partitions of the access log on PostgreSQL (a plain table elsewhere).

Layout on PostgreSQL: ``access_accessevent`` is partitioned by RANGE (occurred_at) into one
table per UTC calendar month, ``access_accessevent_pYYYY_MM``, plus a DEFAULT partition that
catches what no month partition covers (a device with a clock years off, a very old offline
buffer). Month partitions are created ahead of time (``partitions_ensure``); partitions that
ended more than ``ACCESS_LOG_RETENTION_DAYS`` ago are dropped whole (``partitions_drop_expired``),
which is instant and leaves no dead tuples, unlike a DELETE of millions of rows.

The database primary key is ``(id, occurred_at)``: PostgreSQL requires every unique key of a
partitioned table to contain the partition key. Django keeps ``id`` as the model's pk (one
sequence feeds it, so it stays unique). The idempotency key likewise is unique on
``(device, idempotency_key, occurred_at)``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from .services.ingest import SNAPSHOT_DIR

logger = logging.getLogger(__name__)

TABLE = "access_accessevent"
DEFAULT_PARTITION = f"{TABLE}_default"


def is_postgresql(conn=None) -> bool:
    return (conn or connection).vendor == "postgresql"


def month_start(value: dt.datetime | dt.date) -> dt.datetime:
    return dt.datetime(value.year, value.month, 1, tzinfo=dt.UTC)


def next_month(value: dt.datetime) -> dt.datetime:
    return month_start(value.replace(day=28) + dt.timedelta(days=5))


def partition_name(start: dt.datetime) -> str:
    return f"{TABLE}_p{start:%Y_%m}"


def convert_to_partitioned(schema_editor) -> None:
    """Migration step: recreate the Django-made table as a partitioned one (PostgreSQL only).

    Constraints and indexes are copied from what Django created, under the same names, so
    later migrations that alter them find them.
    """
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_old")
        cursor.execute(
            """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
               WHERE conrelid = %s::regclass AND contype IN ('u', 'f', 'c') ORDER BY conname""",
            [f"{TABLE}_old"],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
               WHERE i.indrelid = %s::regclass
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
            [f"{TABLE}_old"],
        )
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"CREATE TABLE {TABLE} (LIKE {TABLE}_old INCLUDING DEFAULTS) PARTITION BY RANGE (occurred_at)"
        )
        cursor.execute(f"DROP TABLE {TABLE}_old")
        # Identity columns on partitioned tables need PostgreSQL 17; a sequence works everywhere.
        cursor.execute(f"CREATE SEQUENCE {TABLE}_id_seq OWNED BY {TABLE}.id")
        cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{TABLE}_id_seq')")
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id, occurred_at)")
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
        for definition in indexes:
            cursor.execute(
                definition.replace(f" ON public.{TABLE}_old ", f" ON public.{TABLE} ").replace(
                    f" ON {TABLE}_old ", f" ON {TABLE} "
                )
            )
        cursor.execute(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {TABLE} DEFAULT")
    partitions_ensure(conn=schema_editor.connection)


@dataclass
class Partition:
    name: str
    start: dt.datetime | None  # None for the DEFAULT partition
    end: dt.datetime | None
    estimated_rows: int


def partitions_list(conn=None) -> list[Partition]:
    conn = conn or connection
    if not is_postgresql(conn):
        return []
    with conn.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples::bigint
               FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
               WHERE i.inhparent = %s::regclass ORDER BY c.relname""",
            [TABLE],
        )
        rows = cursor.fetchall()
    result = []
    for name, _bound, tuples in rows:
        start = end = None
        if name.startswith(f"{TABLE}_p"):
            year, month = name.removeprefix(f"{TABLE}_p").split("_")
            start = dt.datetime(int(year), int(month), 1, tzinfo=dt.UTC)
            end = next_month(start)
        result.append(Partition(name, start, end, max(int(tuples), 0)))
    return result


def partitions_ensure(*, months_ahead: int = 3, now: dt.datetime | None = None, conn=None) -> list[str]:
    """Create the month partitions from the retention horizon to ``months_ahead`` months ahead.

    Rows already in the DEFAULT partition for a new month are moved into it in the same
    transaction (PostgreSQL refuses to attach a partition whose range the default still holds).
    """
    conn = conn or connection
    if not is_postgresql(conn):
        return []
    now = now or timezone.now()
    start = month_start(now - dt.timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS))
    stop = month_start(now)
    for _i in range(months_ahead):
        stop = next_month(stop)
    existing = {p.name for p in partitions_list(conn)}
    created = []
    month = start
    while month <= stop:
        name = partition_name(month)
        if name not in existing:
            _partition_create(conn, name, month, next_month(month))
            created.append(name)
        month = next_month(month)
    return created


def _partition_create(conn, name: str, start: dt.datetime, end: dt.datetime) -> None:
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(
            # Table names here are our constants and generated month names, never user input.
            f"""WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE occurred_at >= %s AND occurred_at < %s
                              RETURNING *)
                INSERT INTO {name} SELECT * FROM moved""",  # noqa: S608
            [start, end],
        )
        cursor.execute(
            f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", [start, end]
        )
    logger.info("created access log partition %s", name)


def _delete_snapshots(cursor, table: str, where: str = "", params=()) -> int:
    cursor.execute(f"SELECT snapshot FROM {table} WHERE snapshot <> '' {where}", params)  # noqa: S608
    paths = [row[0] for row in cursor.fetchall()]
    for path in paths:
        try:
            default_storage.delete(path)
        except OSError:
            logger.warning("could not delete snapshot %s", path)
    return len(paths)


def partitions_drop_expired(*, now: dt.datetime | None = None, conn=None) -> dict:
    """Drop whole partitions that ended before the retention horizon; delete older rows left in
    the DEFAULT partition (or, on SQLite, in the plain table). Face snapshots go with them."""
    conn = conn or connection
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS)
    dropped, deleted, snapshots = [], 0, 0
    with conn.cursor() as cursor:
        if is_postgresql(conn):
            for partition in partitions_list(conn):
                if partition.end is not None and partition.end <= cutoff:
                    snapshots += _delete_snapshots(cursor, partition.name)
                    with transaction.atomic(using=conn.alias):
                        # Deferred foreign-key checks still pending in this transaction would block the drop.
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                        cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {partition.name}")
                        cursor.execute(f"DROP TABLE {partition.name}")
                    dropped.append(partition.name)
            table = DEFAULT_PARTITION
        else:
            table = TABLE
        snapshots += _delete_snapshots(cursor, table, "AND occurred_at < %s", [cutoff])
        cursor.execute(f"DELETE FROM {table} WHERE occurred_at < %s", [cutoff])  # noqa: S608
        deleted = cursor.rowcount
    snapshots += snapshots_sweep(cutoff=cutoff)
    return {"dropped": dropped, "deleted_rows": deleted, "deleted_snapshots": snapshots, "cutoff": cutoff}


def snapshots_sweep(*, cutoff: dt.datetime) -> int:
    """Delete what is left of the snapshot folders of months of receipt that ended before
    ``cutoff``: files no row names any more, e.g. written by an ingest that a caller's
    transaction then rolled back. Face images must not outlive the retention (PIPL).

    Folders are by month of receipt (UTC); an event is received after it happens, so every
    event of such a month is past the retention too. The one exception is an event from a
    device whose clock ran far ahead: its row stays until its own time, its image goes now.
    """
    deleted = 0
    try:
        years, _files = default_storage.listdir(SNAPSHOT_DIR)
    except (OSError, NotImplementedError):  # no folder yet, or a storage that cannot list
        return 0
    for year in years:
        if not (year.isdigit() and len(year) == 4):
            continue
        months, _files = default_storage.listdir(f"{SNAPSHOT_DIR}/{year}")
        for month in months:
            if not (month.isdigit() and 1 <= int(month) <= 12):
                continue
            month_end = dt.datetime(int(year) + int(month) // 12, int(month) % 12 + 1, 1, tzinfo=dt.UTC)
            if month_end > cutoff:
                continue
            _dirs, files = default_storage.listdir(f"{SNAPSHOT_DIR}/{year}/{month}")
            for name in files:
                try:
                    default_storage.delete(f"{SNAPSHOT_DIR}/{year}/{month}/{name}")
                    deleted += 1
                except OSError:
                    logger.warning("could not delete snapshot %s/%s/%s", year, month, name)
    return deleted


def estimated_count(conn=None) -> int | None:
    """Row estimate of the whole access log from the planner statistics, across partitions."""
    conn = conn or connection
    if not is_postgresql(conn):
        return None
    with conn.cursor() as cursor:
        cursor.execute(
            """SELECT COALESCE(SUM(GREATEST(c.reltuples, 0)), 0)::bigint FROM pg_class c
               WHERE c.oid = %s::regclass
                  OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = %s::regclass)""",
            [TABLE, TABLE],
        )
        return int(cursor.fetchone()[0])
