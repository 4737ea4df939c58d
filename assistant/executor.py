"""Run validated SQL on DuckDB: read-only, no external access, locked config, timeout, row cap.

DuckDB has no statement timeout, so a timer interrupts the cursor running the query.
A rebuilt warehouse file (written aside and swapped in by `segq demo build`) is noticed
by its inode and reopened, so a long-running bot never keeps serving stale data.

Why a swap is handed over rather than reopened in place: closing a connection breaks every
cursor still running on it, so each open file is a *generation* (a connection plus a count of
the queries reading it). A new inode starts a new generation for new queries; the old one is
closed when its last reader finishes. Each generation is its own in-memory DuckDB instance
with the file ATTACHed read-only, because `duckdb.connect(path)` returns a per-process cached
instance while one is open, and that would keep serving the replaced file. The in-memory
catalog is detached before the configuration is locked; what stays writable is scratch memory
only (TEMP objects, an in-memory ATTACH), which the validator refuses before SQL gets here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from assistant import messages
from assistant.errors import ExecutionError, WarehouseError
from assistant.workers import after

# Applied in this order once the file is attached; the configuration lock comes last.
LOCKDOWN = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}
_CATALOG = "warehouse"


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool
    seconds: float

    @property
    def row_count(self) -> int:
        return len(self.rows)


class _Generation:
    """One opened warehouse file and how many queries are reading it right now."""

    def __init__(self, con: duckdb.DuckDBPyConnection, inode: int) -> None:
        self.con = con
        self.inode = inode
        self.readers = 0
        self.retired = False


class Warehouse:
    """A read-only DuckDB warehouse shared by threads; each query gets its own cursor."""

    dialect = "duckdb"

    def __init__(self, path: str | Path, *, timeout_s: float = 30.0, row_cap: int = 10_000,
                 threads: int = 2, memory_limit: str = "4GB") -> None:
        self.path = Path(path)
        self.timeout_s = timeout_s
        self.row_cap = row_cap
        self._config: dict[str, Any] = {"threads": threads, "memory_limit": memory_limit,
                                        # spills beside the file, as a file-opened DuckDB does
                                        "temp_directory": f"{self.path}.tmp"}
        self._lock = threading.Lock()
        self._current: _Generation | None = None

    @property
    def key(self) -> str:
        return str(self.path.resolve())

    def explain(self, sql: str) -> None:
        self.execute("EXPLAIN " + sql)

    def warm(self) -> None:
        """Nothing to start: the file is opened by the first query, in milliseconds."""

    def schema(self) -> dict[str, dict[str, str]]:
        """The live schema {table: {column: type}}, for validation against reality."""
        with self._reading() as cur:
            try:
                rows = cur.execute(
                    "SELECT table_name, column_name, data_type FROM information_schema.columns "
                    "WHERE table_catalog = ? AND table_schema = 'main' "
                    "ORDER BY table_name, ordinal_position", [_CATALOG]
                ).fetchall()
            except duckdb.Error as exc:
                raise WarehouseError(messages.warehouse_unreadable(self.path, exc),
                                     reason=type(exc).__name__) from exc
        schema: dict[str, dict[str, str]] = {}
        for table, column, dtype in rows:
            schema.setdefault(table, {})[column] = dtype
        return schema

    def execute(self, sql: str, *, row_cap: int | None = None,
                timeout_s: float | None = None) -> Result:
        """Run one validated statement; at most `row_cap` rows come back, and it is stopped
        after the warehouse timeout or `timeout_s` (what is left of a question), the shorter."""
        cap = row_cap or self.row_cap
        limit = self.timeout_s if timeout_s is None else max(0.001, min(timeout_s,
                                                                       self.timeout_s))
        with self._reading() as cur:
            started = time.perf_counter()
            cancel = after(limit, lambda: _interrupt(cur))  # one watchdog thread, not a Timer
            try:
                cur.execute(sql)
                columns = [d[0] for d in cur.description or []]
                rows = cur.fetchmany(cap + 1)
            except duckdb.InterruptException:
                raise ExecutionError(messages.QUERY_TIMEOUT.format(seconds=round(limit, 2)),
                                     reason="timeout") from None
            except duckdb.Error as exc:
                raise ExecutionError(messages.QUERY_FAILED.format(reason=exc),
                                     reason=type(exc).__name__) from None
            finally:
                cancel()
        truncated = len(rows) > cap
        return Result(columns, rows[:cap], truncated, time.perf_counter() - started)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection of its own, for trusted callers such as eval gold SQL.

        It is locked down like every query's and outlives any swap; the caller closes it.
        """
        return self._open()

    def close(self) -> None:
        """Let go of the open file; a query still reading it finishes first."""
        with self._lock:
            gen, self._current = self._current, None
            if gen is not None:
                self._retire(gen)

    # -- generations ----------------------------------------------------------------------
    @contextmanager
    def _reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the current generation, counted as a reader until the block ends."""
        gen = self._acquire()
        try:
            try:
                cur = gen.con.cursor()
            except duckdb.Error as exc:
                raise ExecutionError(messages.QUERY_FAILED.format(reason=exc),
                                     reason=type(exc).__name__) from None
            try:
                yield cur
            finally:
                with suppress(duckdb.Error):
                    cur.close()
        finally:
            self._release(gen)

    def _acquire(self) -> _Generation:
        with self._lock:  # stat under the lock too, so threads agree on which file is newest
            try:
                inode = self.path.stat().st_ino
            except FileNotFoundError:
                raise WarehouseError(messages.warehouse_missing(self.path)) from None
            except OSError as exc:
                raise WarehouseError(messages.warehouse_unreadable(self.path, exc),
                                     reason=type(exc).__name__) from None
            gen = self._current
            if gen is None or gen.inode != inode:
                fresh = _Generation(self._open(), inode)
                if gen is not None:
                    self._retire(gen)
                self._current = gen = fresh
            gen.readers += 1
            return gen

    def _release(self, gen: _Generation) -> None:
        with self._lock:
            gen.readers -= 1
            if gen.retired and gen.readers == 0:
                _close(gen.con)

    def _retire(self, gen: _Generation) -> None:
        """Called with the lock held: no new reader gets `gen`; the last one closes it."""
        gen.retired = True
        if gen.readers == 0:
            _close(gen.con)

    def _open(self) -> duckdb.DuckDBPyConnection:
        try:
            con = duckdb.connect(":memory:", config=dict(self._config))
        except duckdb.Error as exc:
            raise WarehouseError(messages.warehouse_unreadable(self.path, exc),
                                 reason=type(exc).__name__) from None
        try:
            quoted = str(self.path).replace("'", "''")
            con.execute(f"ATTACH '{quoted}' AS {_CATALOG} (READ_ONLY)")
            con.execute(f"USE {_CATALOG}")
            con.execute("DETACH memory")
            for name, value in LOCKDOWN.items():
                con.execute(f"SET {name} = {str(value).lower()}")
        except duckdb.Error as exc:
            _close(con)
            raise WarehouseError(messages.warehouse_unreadable(self.path, exc),
                                 reason=type(exc).__name__) from None
        return con


def _interrupt(cur: duckdb.DuckDBPyConnection) -> None:
    with suppress(duckdb.Error):  # the query may have finished as the timer fired
        cur.interrupt()


def _close(con: duckdb.DuckDBPyConnection) -> None:
    with suppress(duckdb.Error):  # a connection that cannot close cleanly is gone anyway
        con.close()
