"""Tables that receive each new access event's id with the event itself.

The exchange must send every gate passage once, and the ingest fast path on PostgreSQL is one
autocommitted ``INSERT … ON CONFLICT … RETURNING`` with no transaction around it: a row written
by a signal receiver afterwards would be a second commit that a crash can separate from the
first. So an app registers a (table, column) here at start-up and the ingest statement itself
writes the new ids there — on PostgreSQL as a data-modifying CTE of the same statement, elsewhere
in the same transaction (SQLite's ingest path always runs in one). access imports nothing of the
registering app; with nothing registered the SQL is exactly what it was.
"""

from __future__ import annotations

from django.db import connection

# (table, column) pairs; names come from code (app start-up), never from input.
EVENT_ID_SINKS: list[tuple[str, str]] = []


def event_id_sink_register(table: str, column: str) -> None:
    if (table, column) not in EVENT_ID_SINKS:
        EVENT_ID_SINKS.append((table, column))


def with_event_sinks(insert_sql: str) -> str:
    """Wrap ``INSERT … RETURNING id, idempotency_key, occurred_at`` so the new ids also land in
    every registered sink in the same statement; the result columns stay the same."""
    if not EVENT_ID_SINKS:
        return insert_sql
    qn = connection.ops.quote_name
    sinks = ", ".join(
        f"sink{i} AS (INSERT INTO {qn(table)} ({qn(column)}) SELECT id FROM ins)"  # noqa: S608 - registered names
        for i, (table, column) in enumerate(EVENT_ID_SINKS)
    )
    return f"WITH ins AS ({insert_sql}), {sinks} SELECT id, idempotency_key, occurred_at FROM ins"  # noqa: S608


def event_sinks_fill(ids: list[int]) -> None:
    """The non-PostgreSQL path: the caller's transaction holds the events and these rows."""
    if not EVENT_ID_SINKS or not ids:
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, column in EVENT_ID_SINKS:
            cursor.executemany(f"INSERT INTO {qn(table)} ({qn(column)}) VALUES (%s)", [[i] for i in ids])  # noqa: S608
