"""Connections to the query log file, kept in one place because several processes share it.

CLI runs, the Slack app and eval runs write at once, so: SQLite in WAL mode, a fresh
connection per operation (safe from Slack worker threads), one short `BEGIN IMMEDIATE`
transaction per write (a crash mid-question leaves no half record), and `busy_timeout` plus a
retry on "database is locked". Writes never raise: logging must not break an answer, so a
failed write is a `logging` warning and a `False` return. Reads do raise, as a `ConfigError`
naming the setting to fix, because a reader (`segq log`) is asking for exactly that data.

One write is made before every Slack acknowledgement (the claim of an event), dozens at once
in a burst, so it has its own path, `_write_often`: one connection kept open and shared under
a lock, with `synchronous = NORMAL`, so a claim costs no fsync and no checkpoint on close.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError
from assistant.querylog.schema import migrate, utc_iso

logger = logging.getLogger(__package__)  # "assistant.querylog", one logger for the package

BUSY_TIMEOUT_MS = 10_000
WRITE_ATTEMPTS = 6


class Store:
    """One SQLite file: opening and migrating it, and the read and write transactions.

    `clock` exists for tests and backfills; it returns the time stamped on each write.
    """

    def __init__(self, path: str | Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.path = Path(path).expanduser()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._ready = False
        self._often: sqlite3.Connection | None = None  # for `_write_often`, opened on first use
        self._often_lock = threading.Lock()
        try:
            self._open()
        except (sqlite3.Error, OSError) as exc:
            logger.warning("query log %s cannot be opened: %s", self.path, exc)

    def _open(self) -> None:
        """Create the file, switch it to WAL and apply missing migrations; idempotent."""
        if self._ready:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn:
            retry(lambda: conn.execute("PRAGMA journal_mode = WAL"))
            retry(lambda: migrate(conn, self.path))
        self._ready = True

    def _connect(self, *, shared: bool = False) -> sqlite3.Connection:
        """A connection; `shared` lets other threads use it (each under `_often_lock`)."""
        conn = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=not shared,
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        try:
            self._open()
            conn = self._connect()
        except (sqlite3.Error, OSError) as exc:
            raise ConfigError(
                f"Query log {self.path} cannot be opened ({exc}). Point the setting `query_log` "
                "(env SEGQ_QUERY_LOG) at a writable SQLite file."
            ) from None
        with closing(conn):
            yield conn

    def _write(self, what: str, work: Callable[[sqlite3.Connection], bool]) -> bool:
        """Run `work` in one short write transaction; on any failure warn and return False."""

        def attempt() -> bool:
            with closing(self._connect()) as conn:
                return _in_transaction(conn, work)

        try:
            self._open()
            return bool(retry(attempt))
        except Exception as exc:  # broad on purpose: a log write must never break an answer
            logger.warning("query log %s: could not %s: %s", self.path, what, exc)
            return False

    def _write_often(self, what: str, work: Callable[[sqlite3.Connection], bool]) -> bool:
        """`_write` for a small write made many times a second, on one connection kept open.

        Calls queue on a lock in this process rather than polling SQLite's busy lock, and
        `synchronous = NORMAL` skips the fsync per commit: in WAL mode a power cut may lose
        the last such commits but never corrupts the file. Other processes still take turns
        through SQLite's lock. Never raises, like `_write`.
        """
        with self._often_lock:

            def attempt() -> bool:
                if self._often is None:
                    self._often = self._connect(shared=True)
                    self._often.execute("PRAGMA synchronous = NORMAL")
                return _in_transaction(self._often, work)

            try:
                self._open()
                return bool(retry(attempt))
            except Exception as exc:  # broad on purpose, as in `_write`
                logger.warning("query log %s: could not %s: %s", self.path, what, exc)
                if self._often is not None:  # start afresh next time
                    self._often.close()
                    self._often = None
                return False

    def _now(self) -> str:
        return utc_iso(self._clock())


def retry(operation: Callable[[], Any]) -> Any:
    """Retry a locked database; busy_timeout has already waited, so this is the rare case."""
    for attempt in range(WRITE_ATTEMPTS):
        try:
            return operation()
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if attempt == WRITE_ATTEMPTS - 1 or ("locked" not in text and "busy" not in text):
                raise
            time.sleep(0.05 * 2**attempt * (1 + random.random()))
    raise AssertionError("unreachable")


def _in_transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], bool]) -> bool:
    """`work` inside BEGIN IMMEDIATE ... COMMIT, rolled back if it raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        done = work(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return done
