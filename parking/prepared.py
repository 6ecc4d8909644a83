"""SQL of the plate-read hot path, built once per process and database instead of on every read.

Profiling a decision (issue #13's benchmark, in-process, CPU time) showed the ORM building and
compiling the same few statements on every read as most of the Python cost (the facts
statement alone ~40 %), and PostgreSQL planning them again on every read as most of the
database's (0.5–0.8 ms of planning against 0.1–0.2 ms of execution). So:

* ``Prepared`` keeps an ORM query as the one definition of a statement, compiles it once with
  placeholder values in its slots, and runs the cached SQL with each read's values, turning the
  rows into Python values with the same converters the ORM would apply.
* ``insert`` and ``update`` write a model row with cached SQL and the fields' own
  ``pre_save``/``get_db_prep_save`` (what ``Model.save`` does, without compiling a query each
  time). They send no ``pre_save``/``post_save`` signals: they are for the read path's own
  rows (plate reads and stays), which nothing listens to.
* On PostgreSQL with persistent connections (``CONN_MAX_AGE`` not 0) these statements run as
  server-side prepared statements (planned once per connection), through Django's cursor
  wrapper so they are logged and counted like any other query (tests/parking/test_read_cost.py
  counts them). With ``CONN_MAX_AGE=0`` (behind PgBouncer) they are not prepared: see
  ``preparing``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

try:  # psycopg 3: prepared statements need its server-side binding cursor
    import psycopg
except ImportError:  # pragma: no cover - SQLite-only installs
    psycopg = None

_SENTINEL_BASE = -2_000_000_000
_SENTINEL_EPOCH = dt.datetime(1901, 1, 1, tzinfo=dt.UTC)
# psycopg prepares a statement after this many runs, or at once when asked (prepare=True).
_ONLY_WHEN_ASKED = 2**31 - 1


if psycopg is not None:

    class _PreparingCursor(psycopg.Cursor):
        """Server-side binding, prepared on first use (psycopg keeps up to ``prepared_max``
        statements per connection). Only our few fixed statements run through it."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

        def _send_query_prepared(self, name, pgq, *, binary=None):
            # psycopg keeps the statement's text only when it sends it; Django reads it back
            # for its query log (and tests count the read path's statements from that log).
            self._query = pgq
            return super()._send_query_prepared(name, pgq, binary=binary)


def preparing(connection) -> bool:
    """Prepared statements only on a connection that outlives the request. With
    ``CONN_MAX_AGE=0`` (the set-up behind PgBouncer's transaction pooling, docs/operations.md) a
    statement would be prepared for one request only, and a pooled server connection may already
    hold a statement of the same name prepared for another client: an error, not a saving."""
    return (
        connection.vendor == "postgresql"
        and psycopg is not None
        and connection.settings_dict.get("CONN_MAX_AGE") != 0
    )


def cursor(using: str = DEFAULT_DB_ALIAS):
    """A cursor for the hot path's fixed statements: prepared on PostgreSQL with persistent
    connections, the ordinary one elsewhere; always wrapped by Django (error translation, query
    logging)."""
    connection = connections[using]
    if not preparing(connection):
        return connection.cursor()
    if not connection.in_atomic_block:  # else its BEGIN checked and opened the connection
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django opens its connections with prepare_threshold=None, and psycopg then prepares
        # nothing, not even a statement executed with prepare=True: every read was parsed and
        # planned again (measured: parse + bind ~1 ms of PostgreSQL's ~3 ms per read). A
        # threshold no statement reaches prepares exactly the ones run through this cursor;
        # Django's own cursors bind on the client and are never prepared.
        raw.prepare_threshold = _ONLY_WHEN_ASKED
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_PreparingCursor(raw))


class Prepared:
    """An ORM query compiled to SQL once per database, run with fresh values.

    ``build(**slots)`` returns the queryset (ending in ``.values(...)``); each slot is a keyword
    whose type is given to the constructor (``int``, ``str`` or ``datetime``). Compiling calls
    ``build`` with sentinel values and finds them among the SQL parameters, so a slot may be
    used any number of times; every other parameter is a constant of the query.
    """

    def __init__(self, build: Callable[..., QuerySet], **slots: type) -> None:
        self.build = build
        self.slots = slots
        self._compiled: dict[tuple[str, str], tuple] = {}

    def _sentinels(self, connection) -> tuple[dict[str, Any], dict[Any, str]]:
        values, found = {}, {}
        for n, (name, kind) in enumerate(self.slots.items(), start=1):
            if kind is int:
                value = _SENTINEL_BASE - n
                key = value
            elif kind is str:
                value = f"\x1e{name}\x1e"
                key = value
            elif kind is dt.datetime:
                value = _SENTINEL_EPOCH + dt.timedelta(seconds=n)
                key = connection.ops.adapt_datetimefield_value(value)
            else:
                raise TypeError(f"slot {name}: int, str or datetime, not {kind!r}")
            values[name] = value
            found[key] = name
        return values, found

    def _compile(self, using: str) -> tuple:
        connection = connections[using]
        key = (using, connection.vendor)
        compiled = self._compiled.get(key)
        if compiled is not None:
            return compiled
        values, by_sentinel = self._sentinels(connection)
        compiler = self.build(**values).query.get_compiler(using)
        sql, params = compiler.as_sql()
        plan = tuple(
            (by_sentinel[p], None) if _hashable(p) and p in by_sentinel else (None, p) for p in params
        )
        missing = set(self.slots) - {name for name, _ in plan if name}
        if missing or "\x1e" in sql:
            raise ValueError(f"slots not found as parameters of the compiled query: {sorted(missing)}")
        if connection.vendor == "postgresql":
            sql, plan = _inline_constants(connection, sql, plan)
        names = [
            alias or getattr(getattr(expr, "target", None), "attname", None)
            for expr, _sql, alias in compiler.select
        ]
        converters = compiler.get_converters([expr for expr, _sql, _alias in compiler.select])
        compiled = (sql, plan, names, converters)
        self._compiled[key] = compiled
        return compiled

    def params(self, using: str, **values) -> tuple[str, list]:
        connection = connections[using]
        sql, plan, _names, _converters = self._compile(using)
        ready = {
            name: connection.ops.adapt_datetimefield_value(value)
            if self.slots[name] is dt.datetime
            else value
            for name, value in values.items()
        }
        return sql, [ready[name] if name else constant for name, constant in plan]

    def fetch(self, using: str = DEFAULT_DB_ALIAS, **values) -> dict | None:
        """The first row as {column: value}, converted as the ORM would; None when no row."""
        connection = connections[using]
        sql, params = self.params(using, **values)
        _sql, _plan, names, converters = self._compile(using)
        with cursor(using) as c:
            c.execute(sql, params)
            row = c.fetchone()
        if row is None:
            return None
        row = list(row)
        for pos, (functions, expression) in converters.items():
            value = row[pos]
            for convert in functions:
                value = convert(value, expression, connection)
            row[pos] = value
        return dict(zip(names, row, strict=True))


def _inline_constants(connection, sql: str, plan: tuple) -> tuple[str, tuple]:
    """The query's constants written into its SQL; only the slots stay parameters.

    A prepared statement runs on a generic plan (planned once, for any parameter values), and
    a generic plan cannot use a partial index whose predicate names a parameter: with
    ``status IN ($3, $4, $5)`` the lookup of a plate's live stay walked every live stay of the
    lot through (lot, status) instead of the one entry of ``parking_session_one_live`` — 0.8 ms
    against 0.02 ms with 5,000 cars inside. With the constants as literals the planner proves
    the predicate once and the generic plan is the good one."""
    out: list[str] = []
    kept: list[tuple] = []
    slots = iter(plan)
    for part in _PLACEHOLDERS.split(sql):
        if part != "%s":
            out.append(part)
            continue
        name, constant = next(slots)
        if name is None and isinstance(constant, (str, bool, int, Decimal)):
            out.append(connection.ops.compose_sql("%s", [constant]).replace("%", "%%"))
        else:
            out.append(part)
            kept.append((name, constant))
    return "".join(out), tuple(kept)


_PLACEHOLDERS = re.compile(r"(%%|%s)")


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


# --- writes ----------------------------------------------------------------------------------------

_insert_sql: dict[tuple, tuple[str, list, bool]] = {}
_update_sql: dict[tuple, tuple[str, list]] = {}


def insert(obj: Model, using: str = DEFAULT_DB_ALIAS, *, with_pk: bool = False) -> Model:
    """INSERT ``obj`` (every concrete field; the auto primary key only ``with_pk``, an id taken
    beforehand) and set its primary key."""
    connection = connections[using]
    model = type(obj)
    key = (model, using, connection.vendor, with_pk)
    cached = _insert_sql.get(key)
    if cached is None:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if with_pk or f is not meta.auto_field]
        qn = connection.ops.quote_name
        returning = connection.features.can_return_columns_from_insert and not with_pk
        sql = "INSERT INTO {} ({}) VALUES ({}){}".format(  # noqa: S608 - names from the model, quoted
            qn(meta.db_table),
            ", ".join(qn(f.column) for f in fields),
            ", ".join(["%s"] * len(fields)),
            f" RETURNING {qn(meta.pk.column)}" if returning else "",
        )
        cached = _insert_sql[key] = (sql, fields, returning)
    sql, fields, returning = cached
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with cursor(using) as c:
        c.execute(sql, params)
        if not with_pk:
            obj.pk = c.fetchone()[0] if returning else c.lastrowid
    obj._state.adding = False
    obj._state.db = using
    return obj


def update(obj: Model, fields: list[str] | None = None, using: str = DEFAULT_DB_ALIAS) -> None:
    """UPDATE ``obj``'s row: the named fields, or every concrete field (as ``save()`` does)."""
    connection = connections[using]
    model = type(obj)
    key = (model, using, connection.vendor, tuple(fields) if fields else None)
    cached = _update_sql.get(key)
    if cached is None:
        meta = model._meta
        chosen = [
            f
            for f in meta.concrete_fields
            if not f.primary_key and (fields is None or f.name in fields or f.attname in fields)
        ]
        if fields is not None and len(chosen) != len(fields):
            raise ValueError(f"unknown fields of {model.__name__}: {fields}")
        qn = connection.ops.quote_name
        sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 - names from the model, quoted
            qn(meta.db_table), ", ".join(f"{qn(f.column)} = %s" for f in chosen), qn(meta.pk.column)
        )
        cached = _update_sql[key] = (sql, chosen)
    sql, chosen = cached
    params = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in chosen]
    params.append(model._meta.pk.get_db_prep_value(obj.pk, connection))
    with cursor(using) as c:
        c.execute(sql, params)
