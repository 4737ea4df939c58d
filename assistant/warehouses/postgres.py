"""PostgreSQL through psycopg 3: read-only transactions, a server-side timeout, a row cap.

Read-only is enforced twice by the server: every connection starts with
`default_transaction_read_only=on` and runs each query in a `READ ONLY` transaction that is
rolled back afterwards, and the role in the URL should hold nothing but SELECT on the governed
tables (`segq demo build --engine postgres --read-role NAME` grants exactly that). The
statement timeout is `statement_timeout`, set for the one transaction only.

Connections are kept in a small pool, one per concurrent query; a broken one is dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, LiteralString, cast

from assistant import messages
from assistant.errors import ConfigError, ExecutionError, WarehouseError
from assistant.executor import Result
from assistant.warehouses.base import only_select, redacted

SCHEMA_SQL = (
    "SELECT table_name, column_name, data_type FROM information_schema.columns "
    "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
)


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise ConfigError(messages.engine_not_installed("PostgreSQL", "postgres")) from None
    return psycopg


class PostgresWarehouse:
    dialect = "postgres"

    def __init__(self, url: str, *, timeout_s: float = 30.0, row_cap: int = 10_000) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.row_cap = row_cap
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    @property
    def key(self) -> str:
        return redacted(self.url)

    def schema(self) -> dict[str, dict[str, str]]:
        schema: dict[str, dict[str, str]] = {}
        with self._transaction(self.timeout_s) as cur:
            for table, column, dtype in self._run(cur, SCHEMA_SQL, self.timeout_s):
                schema.setdefault(table, {})[column] = dtype
        return schema

    def execute(self, sql: str, *, row_cap: int | None = None,
                timeout_s: float | None = None) -> Result:
        only_select(sql, self.dialect)
        cap = row_cap or self.row_cap
        limit = self.timeout_s if timeout_s is None else max(0.001, min(timeout_s,
                                                                       self.timeout_s))
        started = time.perf_counter()
        with self._transaction(limit) as cur:
            self._run(cur, sql, limit, fetch=False)
            columns = [d.name for d in cur.description or []]
            rows = [tuple(r) for r in cur.fetchmany(cap + 1)]
        return Result(columns, rows[:cap], len(rows) > cap, time.perf_counter() - started)

    def explain(self, sql: str) -> None:
        only_select(sql, self.dialect)
        with self._transaction(self.timeout_s) as cur:
            self._run(cur, "EXPLAIN " + sql, self.timeout_s)

    def warm(self) -> None:
        self._checkin(self._checkout(), True)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            with suppress(Exception):
                conn.close()

    # -- connections ----------------------------------------------------------------------
    @contextmanager
    def _transaction(self, timeout_s: float) -> Iterator[Any]:
        """A cursor in a READ ONLY transaction with `statement_timeout`, always rolled back."""
        psycopg = _psycopg()
        conn = self._checkout()
        healthy = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT set_config('statement_timeout', %s, true)",
                            [f"{max(1, int(timeout_s * 1000))}ms"])
                yield cur
        except psycopg.Error:
            healthy = not conn.closed and not conn.broken
            raise
        finally:
            with suppress(Exception):
                conn.rollback()
            self._checkin(conn, healthy and not conn.closed and not conn.broken)

    def _run(self, cur: Any, sql: str, timeout_s: float, *, fetch: bool = True) -> list[Any]:
        psycopg = _psycopg()
        try:
            cur.execute(cast(LiteralString, sql))
            return cur.fetchall() if fetch else []
        except psycopg.errors.QueryCanceled:
            raise ExecutionError(messages.QUERY_TIMEOUT.format(seconds=round(timeout_s, 2)),
                                 reason="timeout") from None
        except psycopg.Error as exc:
            raise ExecutionError(messages.QUERY_FAILED.format(reason=_one_line(exc)),
                                 reason=type(exc).__name__) from None

    def _checkout(self) -> Any:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        psycopg = _psycopg()
        try:
            conn = psycopg.connect(self.url, connect_timeout=10,
                                   options="-c default_transaction_read_only=on")
        except psycopg.Error as exc:
            raise WarehouseError(messages.warehouse_unreadable(self.key, exc),
                                 reason=type(exc).__name__) from None
        conn.read_only = True  # every transaction psycopg begins is BEGIN READ ONLY
        return conn

    def _checkin(self, conn: Any, healthy: bool) -> None:
        if not healthy:
            with suppress(Exception):
                conn.close()
            return
        with self._lock:
            self._idle.append(conn)


def _one_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
