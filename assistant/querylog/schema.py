"""The query log's tables and the stored form of their values, apart from the code using them.

A schema change is then one reviewed, append-only edit here: `MIGRATIONS[i]` takes
`PRAGMA user_version` from i to i + 1, and is never edited once released. Writers and readers
share the encoders below, so both agree that times are fixed-width UTC text (text order is
time order), JSON columns hold JSON text and booleans are 0/1.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

logger = logging.getLogger(__package__)  # "assistant.querylog", one logger for the package

SOURCES = ("cli", "slack", "eval", "api")
FEEDBACK_VALUES = ("up", "down")
# Why a thumbs-down: the choices of the Slack form, in the order it shows them.
FEEDBACK_REASONS = ("wrong_number", "wrong_definition", "misunderstood", "other")

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
    # Slack deliveries accepted for answering, shared by every process serving the bot, so a
    # retried or duplicated event is answered once. `key` is the question's identity
    # (team, channel, message ts) or, for other events, the event id; old rows are pruned.
    """
    CREATE TABLE slack_seen_events (
        key         TEXT PRIMARY KEY,
        event_id    TEXT,
        accepted_at TEXT NOT NULL
    );
    CREATE INDEX slack_seen_events_accepted_at ON slack_seen_events (accepted_at);
    """,
    # Typed failures and who asked: `failure` is the answer's Failure without its detail (JSON;
    # the detail stays in `error`), `principal` the access principal the answer was computed
    # for and `groups` its access groups (JSON list), so `segq log` can filter by either.
    """
    ALTER TABLE answers ADD COLUMN failure TEXT;
    ALTER TABLE answers ADD COLUMN principal TEXT;
    ALTER TABLE answers ADD COLUMN groups TEXT;
    CREATE INDEX answers_principal ON answers (principal, created_at);
    """,
    # The date an answer's data was read as of; whether a reply reached Slack (`delivery` is
    # 'delivered' or 'failed: <Slack error>', `delivered_ts` the reply's message ts), the
    # answer whose plan a thread follow-up carried over (`followup_of`), and the reason a
    # thumbs-down gave. The thread index finds a thread's previous plan.
    """
    ALTER TABLE answers ADD COLUMN as_of TEXT;
    ALTER TABLE answers ADD COLUMN delivery TEXT;
    ALTER TABLE answers ADD COLUMN delivered_ts TEXT;
    ALTER TABLE answers ADD COLUMN followup_of TEXT;
    ALTER TABLE feedback ADD COLUMN reason TEXT;
    ALTER TABLE feedback ADD COLUMN comment TEXT;
    CREATE INDEX answers_thread ON answers (channel, thread_ts, created_at);
    """,
    # When the rows of an answer served from the result cache were computed (UTC ISO text;
    # NULL: the query ran for this answer). docs/performance.md describes the cache.
    """
    ALTER TABLE answers ADD COLUMN cached_at TEXT;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

ANSWER_COLUMNS = tuple(
    """id created_at source user channel thread_ts question question_norm planner confidence
    intent plan sql status message columns row_count truncated error timings timing_total_ms
    candidates eval_run eval_case eval_passed failure principal groups as_of cached_at""".split()  # noqa: SIM905 -- word list, reads better
)
# Columns a surface sets after recording an answer (never overwritten by `record`).
FOLLOW_UP_COLUMNS = ("delivery", "delivered_ts", "followup_of")
DEFINITION_COLUMNS = tuple(
    "answer_id position name kind version hash source owner label member overrides".split()  # noqa: SIM905 -- word list
)


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Apply the missing migrations in one transaction; a no-op when the file is current."""
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


def normalise_question(text: str) -> str:
    """The grouping key for top questions: case and spacing do not make a new question."""
    return " ".join(text.lower().split())


def utc_iso(moment: datetime) -> str:
    """Fixed-width UTC text, so string order in SQL is time order; naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def to_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def from_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def to_flag(value: bool | None) -> int | None:
    return None if value is None else int(bool(value))


def from_flag(value: int | None) -> bool | None:
    return None if value is None else bool(value)
