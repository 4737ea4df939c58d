"""The result cache: identical validated SQL on an unchanged warehouse returns the stored rows.

A repeated question ("how many champions?" asked again in Slack, the same `segq ask` twice)
spends almost all its time re-running a query whose answer cannot have changed. Rows are kept
in one SQLite file shared by every process (CLI, Slack bot, evals) under the cache directory
(`cache_dir`, by default the query log's folder), keyed by:

- the SQL text exactly as validated (so the asker's row filter and caps are part of it),
- the row cap the rows were fetched with,
- the warehouse's identity and version: for a DuckDB file its resolved path, inode, size and
  mtime, its write-ahead log's size and mtime, and a hash of its first 12 KiB (DuckDB's file
  headers, which carry the checkpoint iteration), so a rebuilt, swapped or written file misses,
- a hash of the semantic model files' contents and the `as_of` date.

Beside the rows, each plan answered is remembered with the SQL validated for it (the `plans`
table), keyed by the plan, the catalog hash, the asker's access (groups, attributes, so row
filters), `as_of`, dialect, caps and segq's code stamp: a repeated question finds its SQL, and
then its rows under the key above, before compiling or validating anything, so it imports no
sqlglot. That SQL is never run from there: when its rows are not stored for this very data,
the plan is compiled and validated as usual.

Only DuckDB files are cached: a PostgreSQL or Spark warehouse has no cheap version signal, so
its questions always run. The cache never breaks an answer: any failure to read or write it
(a locked, unreadable or corrupt file) is a miss, logged; a file that is not a database is
moved aside and started afresh. Set `result_cache: false` (SEGQ_RESULT_CACHE=off) or
`segq ask --no-cache` to turn it off.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("segq.cache")

FORMAT = 1  # bump when the stored payload changes shape
MAX_ENTRIES = 2_000  # least recently used results beyond this are dropped
MAX_PAYLOAD_BYTES = 32 * 1024 * 1024  # a result larger than this is not stored
HEADER_BYTES = 12 * 1024  # DuckDB's main header and its two database headers
FILE_NAME = "results.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    key        TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    used_at    REAL NOT NULL,
    sql        TEXT NOT NULL,
    payload    BLOB NOT NULL
)
"""
_PLANS_SCHEMA = """
CREATE TABLE IF NOT EXISTS plans (
    key         TEXT PRIMARY KEY,
    used_at     REAL NOT NULL,
    sql         TEXT NOT NULL,
    definitions BLOB NOT NULL
)
"""


@dataclass(frozen=True)
class Cached:
    """Rows as the warehouse returned them, and when they were computed (ISO, UTC)."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool
    computed_at: str


def duckdb_version(path: str | Path) -> str | None:
    """A signal that changes whenever the DuckDB file's data can have changed; None if the
    file cannot be read (then nothing is cached for it)."""
    path = Path(path)
    try:
        info = path.stat()
        with path.open("rb") as handle:
            head = handle.read(HEADER_BYTES)
    except OSError:
        return None
    wal = path.with_name(path.name + ".wal")
    try:
        wal_info = wal.stat()
        wal_stamp = f"{wal_info.st_size}:{wal_info.st_mtime_ns}"
    except OSError:
        wal_stamp = "-"
    stamp = f"{path.resolve()}|{info.st_ino}|{info.st_size}|{info.st_mtime_ns}|{wal_stamp}|"
    return hashlib.sha256(stamp.encode() + head).hexdigest()


def files_hash(files: tuple[str, ...] | list[str]) -> str:
    """The content hash of the semantic model files (a file that cannot be read counts as
    its name alone, so it still differs from any content)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0")
        try:
            digest.update(hashlib.sha256(Path(name).read_bytes()).digest())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


def cache_key(sql: str, *, cap: int, warehouse: str, catalog: str, as_of: str) -> str:
    parts = [FORMAT, sql, cap, warehouse, catalog, as_of]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


class ResultCache:
    """One SQLite file of stored results, shared by threads (one connection under a lock)."""

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory).expanduser() / FILE_NAME
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._broken = False  # could not be opened even afresh: off for this process

    def get(self, key: str) -> Cached | None:
        with self._lock:
            row = self._run("SELECT created_at, payload FROM results WHERE key = ?", (key,))
            if row is None:
                return None
            try:
                columns, rows, truncated = pickle.loads(row[1])
            except Exception:  # a damaged entry is a miss, and goes
                log.warning("a result cache entry in %s could not be read; dropped", self.path)
                self._run("DELETE FROM results WHERE key = ?", (key,), write=True)
                return None
            self._run("UPDATE results SET used_at = ? WHERE key = ?", (time.time(), key),
                      write=True)
        return Cached(list(columns), list(rows), bool(truncated), str(row[0]))

    def put(self, key: str, sql: str, columns: list[str], rows: list[tuple[Any, ...]],
            truncated: bool) -> Cached | None:
        """Store one result; the stored entry (None when it was too large or not written)."""
        payload = pickle.dumps((list(columns), [tuple(r) for r in rows], truncated),
                               protocol=pickle.HIGHEST_PROTOCOL)
        if len(payload) > MAX_PAYLOAD_BYTES:
            return None
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock:
            done = self._run(
                "INSERT OR REPLACE INTO results (key, created_at, used_at, sql, payload) "
                "VALUES (?, ?, ?, ?, ?)", (key, now, time.time(), sql, payload), write=True)
            self._run("DELETE FROM results WHERE key IN (SELECT key FROM results "
                      "ORDER BY used_at DESC LIMIT -1 OFFSET ?)", (MAX_ENTRIES,), write=True)
        return Cached(list(columns), list(rows), truncated, now) if done else None

    def get_plan(self, key: str) -> tuple[str, list[Any]] | None:
        """The SQL validated for a plan before, and the definitions its answer cited."""
        with self._lock:
            row = self._run("SELECT sql, definitions FROM plans WHERE key = ?", (key,))
            if row is None:
                return None
            try:
                definitions = list(pickle.loads(row[1]))
            except Exception:  # a damaged entry is a miss, and goes
                self._run("DELETE FROM plans WHERE key = ?", (key,), write=True)
                return None
            self._run("UPDATE plans SET used_at = ? WHERE key = ?", (time.time(), key),
                      write=True)
        return str(row[0]), definitions

    def put_plan(self, key: str, sql: str, definitions: list[Any]) -> None:
        blob = pickle.dumps(tuple(definitions), protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._run("INSERT OR REPLACE INTO plans (key, used_at, sql, definitions) "
                      "VALUES (?, ?, ?, ?)", (key, time.time(), sql, blob), write=True)
            self._run("DELETE FROM plans WHERE key IN (SELECT key FROM plans "
                      "ORDER BY used_at DESC LIMIT -1 OFFSET ?)", (MAX_ENTRIES,), write=True)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- the file -------------------------------------------------------------------------
    def _run(self, sql: str, args: tuple[Any, ...], *, write: bool = False) -> Any:
        """One statement; its first row (reads) or True (writes); None on any failure."""
        for attempt in (1, 2):
            conn = self._connection()
            if conn is None:
                return None
            try:
                cur = conn.execute(sql, args)
                return True if write else cur.fetchone()
            except sqlite3.DatabaseError as exc:
                if attempt == 1 and _corrupt(exc):
                    self._start_afresh(exc)
                    continue
                log.warning("result cache %s: %s (answered without it)", self.path, exc)
                return None
        return None

    def _connection(self) -> sqlite3.Connection | None:
        for attempt in (1, 2):
            if self._conn is not None or self._broken:
                break
            try:
                self._conn = self._open()
            except sqlite3.DatabaseError as exc:
                if attempt == 2 or not _corrupt(exc) or not self._start_afresh(exc):
                    log.warning("result cache %s cannot be opened: %s", self.path, exc)
                    self._broken = True
            except OSError as exc:
                log.warning("result cache %s cannot be opened: %s", self.path, exc)
                self._broken = True
        return self._conn

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=2.0, isolation_level=None,
                               check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(_SCHEMA)
            conn.execute(_PLANS_SCHEMA)
            os.chmod(self.path, 0o600)  # rows can be as private as the warehouse
        except BaseException:
            conn.close()
            raise
        return conn

    def _start_afresh(self, exc: Exception) -> bool:
        """Move a file that is not a database aside; the next statement opens a new one."""
        log.warning("result cache %s is damaged (%s); starting a new one", self.path, exc)
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        try:
            for suffix in ("", "-wal", "-shm"):
                part = Path(f"{self.path}{suffix}")
                if part.exists():
                    part.replace(Path(f"{part}.damaged"))
        except OSError:
            self._broken = True
            return False
        return True


def _corrupt(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "file is encrypted" in text
