"""Run validated SQL on DuckDB: read-only, no external access, locked config, timeout, row cap.

DuckDB has no statement timeout, so a timer interrupts the cursor running the query.
A rebuilt warehouse file (written aside and swapped in by `segq demo build`) is noticed
by its inode and reopened, so a long-running bot never keeps serving stale data.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from assistant import messages
from assistant.errors import ExecutionError, WarehouseError

LOCKDOWN = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool
    seconds: float

    @property
    def row_count(self) -> int:
        return len(self.rows)


class Warehouse:
    """A read-only DuckDB warehouse shared by threads; each query gets its own cursor."""

    def __init__(self, path: str | Path, *, timeout_s: float = 30.0, row_cap: int = 10_000,
                 threads: int = 2, memory_limit: str = "4GB") -> None:
        self.path = Path(path)
        self.timeout_s = timeout_s
        self.row_cap = row_cap
        self._config: dict[str, Any] = {**LOCKDOWN, "threads": threads,
                                         "memory_limit": memory_limit}
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._inode: int | None = None

    def _connection(self) -> duckdb.DuckDBPyConnection:
        try:
            inode = self.path.stat().st_ino
        except FileNotFoundError:
            raise WarehouseError(f"Warehouse {self.path} does not exist. Build the demo with "
                                 "`segq demo build` or set SEGQ_WAREHOUSE.") from None
        with self._lock:
            if self._con is None or inode != self._inode:
                if self._con is not None:
                    self._con.close()
                try:
                    self._con = duckdb.connect(str(self.path), read_only=True,
                                               config=dict(self._config))
                except duckdb.Error as exc:
                    raise WarehouseError(f"Warehouse {self.path} cannot be opened: {exc}") from None
                self._inode = inode
            return self._con

    def schema(self) -> dict[str, dict[str, str]]:
        """The live schema {table: {column: type}}, for validation against reality."""
        cur = self._connection().cursor()
        try:
            rows = cur.execute(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
            ).fetchall()
        finally:
            cur.close()
        schema: dict[str, dict[str, str]] = {}
        for table, column, dtype in rows:
            schema.setdefault(table, {})[column] = dtype
        return schema

    def execute(self, sql: str, *, row_cap: int | None = None) -> Result:
        """Run one validated statement; at most `row_cap` rows come back."""
        cap = row_cap or self.row_cap
        cur = self._connection().cursor()
        timer = threading.Timer(self.timeout_s, cur.interrupt)
        started = time.perf_counter()
        timer.start()
        try:
            cur.execute(sql)
            columns = [d[0] for d in cur.description or []]
            rows = cur.fetchmany(cap + 1)
        except duckdb.InterruptException:
            raise ExecutionError(messages.QUERY_TIMEOUT.format(seconds=self.timeout_s),
                                 reason="timeout") from None
        except duckdb.Error as exc:
            raise ExecutionError(f"The warehouse could not run the query: {exc}",
                                 reason=type(exc).__name__) from None
        finally:
            timer.cancel()
            cur.close()
        truncated = len(rows) > cap
        return Result(columns, rows[:cap], truncated, time.perf_counter() - started)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A raw read-only cursor, for trusted callers such as eval gold SQL."""
        return self._connection().cursor()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
