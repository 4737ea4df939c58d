"""What the surfaces write to the query log: answers, catalog hashes, Slack threads, votes,
and the Slack deliveries already accepted for answering.

Each method is one short write transaction through `Store._write`, so each returns True once
its change is committed and False (with a warning) when it is not; none of them raises.
`claim_slack_event` also says when the log could not be written (None), because its False
means "already answered elsewhere".
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta
from typing import Any

from assistant.querylog.schema import (
    ANSWER_COLUMNS,
    DEFINITION_COLUMNS,
    FEEDBACK_VALUES,
    normalise_question,
    to_flag,
    to_json,
    utc_iso,
)
from assistant.querylog.store import Store

logger = logging.getLogger(__package__)  # "assistant.querylog", one logger for the package

# Slack retries a delivery for about five minutes; a day of memory covers that with room.
SLACK_EVENTS_KEPT = timedelta(days=1)

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


def _principal_id(value: Any) -> str | None:
    """`log_dict` gives the id; a `to_dict` passed in gives {id, groups, attributes}."""
    return value.get("id") if isinstance(value, dict) else value


class Writes(Store):
    """The write half of `QueryLog`."""

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
                    "plan": to_json(plan),
                    "sql": answer.get("sql"),
                    "status": answer["status"],
                    "message": answer.get("message"),
                    "columns": to_json(answer.get("columns")),
                    "row_count": answer.get("row_count"),
                    "truncated": to_flag(answer.get("truncated")),
                    "error": answer.get("error"),
                    "timings": to_json(timings),
                    "timing_total_ms": timings.get("total"),
                    "candidates": to_json(answer.get("candidates")),
                    "eval_run": eval_run,
                    "eval_case": eval_case,
                    "eval_passed": to_flag(eval_passed),
                    "failure": to_json(answer.get("failure")),
                    "principal": _principal_id(answer.get("principal")),
                    "groups": to_json(answer.get("groups")),
                    "as_of": answer.get("as_of"),
                    "cached_at": answer.get("cached_at"),
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
                    overrides=to_json(used.get("overrides") or {}),
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

    def claim_slack_event(
        self, key: str, *, event_id: str | None = None, kept: timedelta = SLACK_EVENTS_KEPT
    ) -> bool | None:
        """Accept a Slack delivery for answering, once across every process using this file.

        True: this caller claimed `key` and answers it. False: it was claimed before (a retry
        or a duplicate), so drop it. None: the log could not be written; the caller decides.
        The claim is one atomic INSERT OR IGNORE (on `_write_often`, as it is made before
        every acknowledgement); claims older than `kept` are pruned.
        """
        moment = self._clock()
        claimed = False

        def work(conn: sqlite3.Connection) -> bool:
            nonlocal claimed
            conn.execute(
                "DELETE FROM slack_seen_events WHERE accepted_at < ?", (utc_iso(moment - kept),)
            )
            cursor = conn.execute(
                "INSERT OR IGNORE INTO slack_seen_events (key, event_id, accepted_at) "
                "VALUES (?, ?, ?)",
                (key, event_id, utc_iso(moment)),
            )
            claimed = cursor.rowcount == 1
            return True

        written = self._write_often(f"claim Slack event {key!r}", work)
        return claimed if written else None


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
