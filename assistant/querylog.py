"""The durable query log: every question from every surface, and what answered it.

The data team reviews it to see what people ask, which definition version produced each
number, what failed or was unanswerable (the backlog for new definitions), and why a number
changed (a definition's hash changed between two answers). Schema: `docs/query-log.md`.

Several processes (CLI runs, the Slack app, eval runs) write at once, so: SQLite in WAL mode,
a fresh connection per operation (safe from Slack worker threads), one short
`BEGIN IMMEDIATE` transaction per write (a crash mid-question leaves no half record), and
`busy_timeout` plus a retry on "database is locked". Writes never raise: logging must not
break an answer, so a failed write is a `logging` warning and a `False` return.
"""

from __future__ import annotations

import csv
import json
import logging
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from assistant.answer import STATUSES
from assistant.errors import ConfigError

logger = logging.getLogger(__name__)

Records = list[dict[str, Any]]

SOURCES = ("cli", "slack", "eval", "api")
FEEDBACK_VALUES = ("up", "down")
EXPORT_FORMATS = ("csv", "jsonl")
BUSY_TIMEOUT_MS = 10_000
WRITE_ATTEMPTS = 6

# Migration i takes `PRAGMA user_version` from i to i + 1. Append only; never edit one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE answers (
        id              TEXT PRIMARY KEY,
        created_at      TEXT NOT NULL,
        source          TEXT NOT NULL,
        user            TEXT,
        channel         TEXT,
        thread_ts       TEXT,
        question        TEXT NOT NULL,
        question_norm   TEXT NOT NULL,
        planner         TEXT,
        confidence      REAL,
        intent          TEXT,
        plan            TEXT,
        sql             TEXT,
        status          TEXT NOT NULL,
        message         TEXT,
        columns         TEXT,
        row_count       INTEGER,
        truncated       INTEGER,
        error           TEXT,
        timings         TEXT,
        timing_total_ms REAL,
        candidates      TEXT,
        eval_run        TEXT,
        eval_case       TEXT,
        eval_passed     INTEGER
    );
    CREATE INDEX answers_created_at ON answers (created_at);
    CREATE INDEX answers_status ON answers (status, created_at);
    CREATE INDEX answers_source ON answers (source, created_at);
    CREATE INDEX answers_eval_run ON answers (eval_run) WHERE eval_run IS NOT NULL;
    CREATE TABLE answer_definitions (
        answer_id TEXT NOT NULL REFERENCES answers (id) ON DELETE CASCADE,
        position  INTEGER NOT NULL,
        name      TEXT NOT NULL,
        kind      TEXT,
        version   INTEGER,
        hash      TEXT NOT NULL,
        source    TEXT,
        owner     TEXT,
        label     TEXT,
        member    TEXT,
        overrides TEXT,
        PRIMARY KEY (answer_id, position)
    );
    CREATE INDEX answer_definitions_name ON answer_definitions (name, hash);
    CREATE TABLE feedback (
        answer_id  TEXT NOT NULL REFERENCES answers (id) ON DELETE CASCADE,
        user       TEXT,
        value      TEXT NOT NULL CHECK (value IN ('up', 'down')),
        created_at TEXT NOT NULL
    );
    CREATE INDEX feedback_answer ON feedback (answer_id);
    CREATE TABLE definition_versions (
        name       TEXT NOT NULL,
        kind       TEXT,
        version    INTEGER,
        hash       TEXT NOT NULL,
        source     TEXT,
        first_seen TEXT NOT NULL,
        last_seen  TEXT NOT NULL,
        UNIQUE (name, hash)
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

ANSWER_COLUMNS = tuple(
    """id created_at source user channel thread_ts question question_norm planner confidence
    intent plan sql status message columns row_count truncated error timings timing_total_ms
    candidates eval_run eval_case eval_passed""".split()  # noqa: SIM905 -- word list, reads better
)
DEFINITION_COLUMNS = tuple(
    "answer_id position name kind version hash source owner label member overrides".split()  # noqa: SIM905 -- word list
)
CSV_FIELDS = tuple(
    """id created_at source user channel thread_ts question status message error planner
    confidence intent row_count truncated timing_total_ms definitions sql plan eval_run
    eval_case eval_passed feedback_up feedback_down""".split()  # noqa: SIM905 -- word list
)

_UPSERT_ANSWER = (
    f"INSERT INTO answers ({', '.join(ANSWER_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in ANSWER_COLUMNS)}) ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in ANSWER_COLUMNS if c not in ("id", "created_at"))
)
_INSERT_DEFINITION = (
    f"INSERT INTO answer_definitions ({', '.join(DEFINITION_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in DEFINITION_COLUMNS)})"
)
_UPSERT_VERSION = """
    INSERT INTO definition_versions (name, kind, version, hash, source, first_seen, last_seen)
    VALUES (:name, :kind, :version, :hash, :source, :now, :now)
    ON CONFLICT (name, hash) DO UPDATE SET
        kind = excluded.kind, version = excluded.version, source = excluded.source,
        first_seen = min(first_seen, excluded.first_seen),
        last_seen = max(last_seen, excluded.last_seen)
"""

# `stats` queries; {where} is the filter clause, always present so that AND can follow.
# A bare column next to a single max() takes its value from the row holding that max.
_STATS_BY_STATUS = "SELECT status, count(*) FROM answers {where} GROUP BY status"
_STATS_BY_SOURCE = """
    SELECT source, count(*) AS n FROM answers {where} GROUP BY source ORDER BY n DESC, source
"""
_STATS_TOP = """
    SELECT question_norm AS question, count(*) AS count, max(created_at) AS last_seen,
           id AS last_id, status AS last_status, error AS last_error
    FROM answers {where} {extra}
    GROUP BY question_norm ORDER BY count DESC, question LIMIT :top
"""
_STATS_SLOWEST = """
    SELECT id, created_at, source, status, question, timing_total_ms
    FROM answers {where} AND timing_total_ms IS NOT NULL
    ORDER BY timing_total_ms DESC, created_at LIMIT :top
"""
_STATS_FEEDBACK = """
    SELECT value, count(*) FROM feedback
    WHERE answer_id IN (SELECT id FROM answers {where}) GROUP BY value
"""
_STATS_EVAL_RUNS = """
    SELECT eval_run, min(created_at) AS started_at, max(created_at) AS finished_at,
           count(*) AS cases, coalesce(sum(eval_passed), 0) AS passed,
           count(eval_passed) AS judged
    FROM answers {where} AND eval_run IS NOT NULL
    GROUP BY eval_run ORDER BY started_at, eval_run
"""
_HISTORY = """
    SELECT v.name, v.kind, v.version, v.hash, v.source, v.first_seen, v.last_seen,
           count(DISTINCT d.answer_id) AS answers,
           min(a.created_at) AS first_used, max(a.created_at) AS last_used
    FROM definition_versions v
    LEFT JOIN answer_definitions d ON d.name = v.name AND d.hash = v.hash
    LEFT JOIN answers a ON a.id = d.answer_id
    WHERE :name IS NULL OR v.name = :name
    GROUP BY v.name, v.hash ORDER BY v.name, v.first_seen, v.version
"""
_HISTORY_IDS = """
    SELECT id FROM answers
    WHERE id IN (SELECT answer_id FROM answer_definitions WHERE name = :name AND hash = :hash)
    ORDER BY created_at DESC, rowid DESC LIMIT :limit
"""


def normalise_question(text: str) -> str:
    """The grouping key for top questions: case and spacing do not make a new question."""
    return " ".join(text.lower().split())


def utc_iso(moment: datetime) -> str:
    """Fixed-width UTC text, so string order in SQL is time order; naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class QueryLog:
    """One SQLite file of answers; cheap to construct, safe to share between threads.

    `clock` exists for tests and backfills; it returns the time stamped on each write.
    """

    def __init__(self, path: str | Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.path = Path(path).expanduser()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._ready = False
        try:
            self._open()
        except (sqlite3.Error, OSError) as exc:
            logger.warning("query log %s cannot be opened: %s", self.path, exc)

    # -- connections -----------------------------------------------------------------------

    def _open(self) -> None:
        """Create the file, switch it to WAL and apply missing migrations; idempotent."""
        if self._ready:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn:
            _retry(lambda: conn.execute("PRAGMA journal_mode = WAL"))
            _retry(lambda: _migrate(conn, self.path))
        self._ready = True

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
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
                conn.execute("BEGIN IMMEDIATE")
                try:
                    done = work(conn)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                return done

        try:
            self._open()
            return bool(_retry(attempt))
        except Exception as exc:  # broad on purpose: a log write must never break an answer
            logger.warning("query log %s: could not %s: %s", self.path, what, exc)
            return False

    def _now(self) -> str:
        return utc_iso(self._clock())

    # -- writing ---------------------------------------------------------------------------

    def record(
        self,
        answer: dict[str, Any],
        *,
        source: str,
        user: str | None = None,
        channel: str | None = None,
        thread_ts: str | None = None,
        eval_run: str | None = None,
        eval_case: str | None = None,
        eval_passed: bool | None = None,
    ) -> bool:
        """Store one `Answer.to_dict()`, never its rows; True once it is safely written.

        Recording the same id again replaces that record but keeps its first `created_at`.
        """
        now = self._now()

        def work(conn: sqlite3.Connection) -> bool:
            plan = answer.get("plan")
            timings = answer.get("timings_ms") or {}
            conn.execute(
                _UPSERT_ANSWER,
                {
                    "id": answer["id"],
                    "created_at": now,
                    "source": source,
                    "user": user,
                    "channel": channel,
                    "thread_ts": thread_ts,
                    "question": answer["question"],
                    "question_norm": normalise_question(answer["question"]),
                    "planner": answer.get("planner"),
                    "confidence": answer.get("confidence"),
                    "intent": plan.get("intent") if isinstance(plan, dict) else None,
                    "plan": _json(plan),
                    "sql": answer.get("sql"),
                    "status": answer["status"],
                    "message": answer.get("message"),
                    "columns": _json(answer.get("columns")),
                    "row_count": answer.get("row_count"),
                    "truncated": _flag(answer.get("truncated")),
                    "error": answer.get("error"),
                    "timings": _json(timings),
                    "timing_total_ms": timings.get("total"),
                    "candidates": _json(answer.get("candidates")),
                    "eval_run": eval_run,
                    "eval_case": eval_case,
                    "eval_passed": _flag(eval_passed),
                },
            )
            conn.execute("DELETE FROM answer_definitions WHERE answer_id = ?", (answer["id"],))
            for position, used in enumerate(answer.get("definitions") or []):
                row = {c: used.get(c) for c in DEFINITION_COLUMNS}
                row.update(
                    answer_id=answer["id"],
                    position=position,
                    name=used["name"],
                    hash=used.get("hash") or "",
                    overrides=_json(used.get("overrides") or {}),
                )
                conn.execute(_INSERT_DEFINITION, row)
                _upsert_version(conn, used, now)
            return True

        return self._write(f"record answer {answer.get('id')!r}", work)

    def record_catalog(self, definitions: list[dict[str, Any]]) -> bool:
        """Note the catalog's current hashes, so a changed definition shows before it is used."""
        now = self._now()

        def work(conn: sqlite3.Connection) -> bool:
            for definition in definitions:
                _upsert_version(conn, definition, now)
            return True

        return self._write("record the catalog", work)

    def set_thread(self, answer_id: str, channel: str | None, thread_ts: str | None) -> bool:
        """Attach the Slack thread an answer was posted in (known only after posting)."""

        def work(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE answers SET channel = ?, thread_ts = ? WHERE id = ?",
                (channel, thread_ts, answer_id),
            )
            return cursor.rowcount == 1

        return self._write(f"set the thread of {answer_id!r}", work)

    def add_feedback(self, answer_id: str, value: str, user: str | None = None) -> bool:
        """One vote per user per answer, the latest wins; False for an unknown answer id."""
        if value not in FEEDBACK_VALUES:
            logger.warning("query log: feedback %r is not one of %s", value, FEEDBACK_VALUES)
            return False
        now = self._now()

        def work(conn: sqlite3.Connection) -> bool:
            if conn.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone() is None:
                raise LookupError(f"there is no answer {answer_id!r}")
            if user is not None:
                conn.execute(
                    "DELETE FROM feedback WHERE answer_id = ? AND user = ?", (answer_id, user)
                )
            conn.execute(
                "INSERT INTO feedback (answer_id, user, value, created_at) VALUES (?, ?, ?, ?)",
                (answer_id, user, value, now),
            )
            return True

        return self._write(f"add feedback to {answer_id!r}", work)

    # -- reading ---------------------------------------------------------------------------

    def list(
        self,
        status: str | None = None,
        source: str | None = None,
        user: str | None = None,
        definition: str | None = None,
        text: str | None = None,
        since: datetime | None = None,
        limit: int | None = 50,
    ) -> Records:
        """Answer summaries, newest first, matching every filter given.

        `definition` matches a definition name or a hash prefix; `text` a part of the question.
        """
        where, params = _filters(status, source, user, definition, text, since)
        sql = f"SELECT * FROM answers {where} ORDER BY created_at DESC, rowid DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._reading() as conn:
            return [_summary(conn, row) for row in conn.execute(sql, params).fetchall()]

    def get(self, answer_id: str) -> dict[str, Any] | None:
        """Everything recorded about one answer: SQL, plan, definitions with versions, votes."""
        with self._reading() as conn:
            row = conn.execute("SELECT * FROM answers WHERE id = ?", (answer_id,)).fetchone()
            return None if row is None else _full(conn, row)

    def stats(
        self, source: str | None = None, since: datetime | None = None, top: int = 10
    ) -> dict[str, Any]:
        """Volume, outcome rates, demand and backlog, slowest answers, votes, eval pass rates.

        Eval cases are a test suite, not demand: unless `source="eval"` is asked for, they are
        left out of `top_questions` and `top_unanswered` (they still count everywhere else).
        """
        where, params = _filters(source=source, since=since)
        where = where or "WHERE 1"
        people = "" if source == "eval" else "AND source != 'eval'"
        unanswered = "AND status IN ('clarify', 'refused', 'error')"
        params["top"] = top
        with self._reading() as conn:

            def query(sql: str, extra: str = "") -> Records:
                text = sql.format(where=where, extra=extra)
                return [dict(r) for r in conn.execute(text, params)]

            counts = dict(conn.execute(_STATS_BY_STATUS.format(where=where), params).fetchall())
            votes = dict(conn.execute(_STATS_FEEDBACK.format(where=where), params).fetchall())
            total = sum(counts.values())
            return {
                "total": total,
                "source": source,
                "since": utc_iso(since) if since else None,
                "by_status": {
                    status: {"count": n, "rate": n / total if total else 0.0}
                    for status in (*STATUSES, *sorted(set(counts) - set(STATUSES)))
                    for n in [counts.get(status, 0)]
                },
                "by_source": {r["source"]: r["n"] for r in query(_STATS_BY_SOURCE)},
                "top_questions": [
                    {k: r[k] for k in ("question", "count", "last_seen", "last_id")}
                    for r in query(_STATS_TOP, people)
                ],
                "top_unanswered": query(_STATS_TOP, f"{people} {unanswered}"),
                "slowest": query(_STATS_SLOWEST),
                "feedback": {value: votes.get(value, 0) for value in FEEDBACK_VALUES},
                "eval_runs": [
                    r | {"pass_rate": r["passed"] / r["judged"] if r["judged"] else None}
                    for r in query(_STATS_EVAL_RUNS)
                ],
            }

    def definition_history(self, name: str | None = None, max_ids: int = 20) -> Records:
        """Every hash each definition has had and which answers used it: why a number moved.

        One entry per definition with `versions` oldest first and `changed` when it has had
        more than one hash. `answers` counts every user of a hash; `answer_ids` lists the
        newest `max_ids` of them.
        """
        history: dict[str, dict[str, Any]] = {}
        with self._reading() as conn:
            for row in conn.execute(_HISTORY, {"name": name}).fetchall():
                version = dict(row)
                entry = history.setdefault(
                    row["name"], {"name": row["name"], "kind": row["kind"], "versions": []}
                )
                entry["kind"] = version.pop("kind")  # the newest hash's kind wins
                del version["name"]
                ids = conn.execute(
                    _HISTORY_IDS, {"name": row["name"], "hash": row["hash"], "limit": max_ids}
                )
                version["answer_ids"] = [r[0] for r in ids]
                entry["versions"].append(version)
        for entry in history.values():
            entry["changed"] = len(entry["versions"]) > 1
        return [history[key] for key in sorted(history)]

    def export(self, fmt: str, out: TextIO, **filters: Any) -> int:
        """Write matching answers oldest first as CSV rows or JSON lines; returns how many.

        `filters` are those of `list` (without `limit`). JSON lines carry the full record of
        `get`; CSV flattens definitions to `name[.member] vVERSION HASH; ...`.
        """
        if fmt not in EXPORT_FORMATS:
            raise ConfigError(
                f"Export format `{fmt}` is not supported. Accepted: {', '.join(EXPORT_FORMATS)}."
            )
        where, params = _filters(**filters)
        writer = csv.DictWriter(out, CSV_FIELDS) if fmt == "csv" else None
        if writer:
            writer.writeheader()
        count = 0
        with self._reading() as conn:
            sql = f"SELECT * FROM answers {where} ORDER BY created_at, rowid"
            for row in conn.execute(sql, params):
                record = _full(conn, row)
                if writer:
                    writer.writerow(_csv_row(record))
                else:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
        return count


# -- helpers -------------------------------------------------------------------------------


def _retry(operation: Callable[[], Any]) -> Any:
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


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")  # re-read under the lock: another process may have migrated
    try:
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        if current > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"its schema version {current} is newer than this segq knows "
                f"({SCHEMA_VERSION}); upgrade segq"
            )
        for number in range(current, SCHEMA_VERSION):
            # Statement by statement: executescript would commit our transaction first.
            for statement in MIGRATIONS[number].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
            logger.info("query log %s migrated to schema version %d", path, number + 1)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _upsert_version(conn: sqlite3.Connection, definition: dict[str, Any], now: str) -> None:
    conn.execute(
        _UPSERT_VERSION,
        {
            "name": definition["name"],
            "kind": definition.get("kind"),
            "version": definition.get("version"),
            "hash": definition.get("hash") or "",
            "source": definition.get("source"),
            "now": now,
        },
    )


def _filters(
    status: str | None = None,
    source: str | None = None,
    user: str | None = None,
    definition: str | None = None,
    text: str | None = None,
    since: datetime | None = None,
) -> tuple[str, dict[str, Any]]:
    """The WHERE clause shared by list, stats and export; values only ever as parameters."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    for column, value in (("status", status), ("source", source), ("user", user)):
        if value:
            clauses.append(f"{column} = :{column}")
            params[column] = value
    if definition:
        clauses.append(
            "id IN (SELECT answer_id FROM answer_definitions "
            "WHERE name = :definition OR hash LIKE :hash_prefix ESCAPE '\\')"
        )
        params.update(definition=definition, hash_prefix=_escape_like(definition) + "%")
    if text:
        clauses.append("question LIKE :text ESCAPE '\\'")
        params["text"] = f"%{_escape_like(text)}%"
    if since:
        clauses.append("created_at >= :since")
        params["since"] = utc_iso(since)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _unjson(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(bool(value))


def _bool(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _definitions(conn: sqlite3.Connection, answer_id: str) -> Records:
    rows = conn.execute(
        "SELECT * FROM answer_definitions WHERE answer_id = ? ORDER BY position", (answer_id,)
    )
    used = []
    for row in rows:
        definition = {k: row[k] for k in DEFINITION_COLUMNS[2:]}
        definition["overrides"] = _unjson(row["overrides"]) or {}
        used.append(definition)
    return used


def _summary(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """What `list` shows: the answer without plan, SQL or JSON payloads."""
    summary = {
        c: row[c]
        for c in ANSWER_COLUMNS
        if c not in ("question_norm", "plan", "sql", "columns", "timings", "candidates")
    }
    summary["truncated"] = _bool(row["truncated"])
    summary["eval_passed"] = _bool(row["eval_passed"])
    summary["definitions"] = [
        {k: d[k] for k in ("name", "kind", "version", "hash", "member")}
        for d in _definitions(conn, row["id"])
    ]
    return summary


def _full(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """What `get` shows: every recorded field, JSON decoded, plus votes."""
    record = _summary(conn, row)
    feedback = conn.execute(
        "SELECT user, value, created_at FROM feedback WHERE answer_id = ? "
        "ORDER BY created_at, rowid",
        (row["id"],),
    )
    record.update(
        question_norm=row["question_norm"],
        plan=_unjson(row["plan"]),
        sql=row["sql"],
        columns=_unjson(row["columns"]) or [],
        candidates=_unjson(row["candidates"]) or [],
        timings_ms=_unjson(row["timings"]) or {},
        definitions=_definitions(conn, row["id"]),
        feedback=[dict(f) for f in feedback],
    )
    return record


def _csv_row(record: dict[str, Any]) -> dict[str, Any]:
    row = {k: record.get(k) for k in CSV_FIELDS}
    row["definitions"] = "; ".join(
        f"{d['name']}{'.' + d['member'] if d['member'] else ''} v{d['version']} {d['hash']}".strip()
        for d in record["definitions"]
    )
    row["plan"] = _json(record["plan"])
    votes = [f["value"] for f in record["feedback"]]
    row["feedback_up"], row["feedback_down"] = votes.count("up"), votes.count("down")
    return row
