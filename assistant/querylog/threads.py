"""What the Slack surface keeps per reply: its delivery, its thread's context, a 👎's reason.

A thread follow-up ("now by plan") is planned against the thread's previous plan, read back
from here, so a conversation survives a restart and works across every bot replica sharing
the file. Writes never raise (like `writes.py`); reads raise a `ConfigError`.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from assistant.querylog.schema import FEEDBACK_REASONS, FEEDBACK_VALUES, from_json
from assistant.querylog.store import Store

logger = logging.getLogger(__package__)  # "assistant.querylog", one logger for the package

MAX_COMMENT = 2000  # characters of a thumbs-down comment kept

_THREAD_PLAN = """
    SELECT id, plan FROM answers
    WHERE channel = ? AND thread_ts = ? AND status = 'answered' AND plan IS NOT NULL
      AND intent NOT IN ('definition', 'catalog')
    ORDER BY created_at DESC, rowid DESC LIMIT 1
"""
_DOWN_VOTES = """
    SELECT f.answer_id, f.user, f.reason, f.comment, f.created_at, a.question, a.message
    FROM feedback f JOIN answers a ON a.id = f.answer_id
    WHERE f.value = ? ORDER BY f.created_at DESC, f.rowid DESC LIMIT ?
"""


class Threads(Store):
    """The conversation half of `QueryLog`."""

    def set_delivery(self, answer_id: str, status: str, message_ts: str | None = None) -> bool:
        """Whether the reply to `answer_id` reached Slack: 'delivered' or 'failed: <why>'."""

        def work(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE answers SET delivery = ?, delivered_ts = coalesce(?, delivered_ts) "
                "WHERE id = ?",
                (status[:500], message_ts, answer_id),
            )
            return cursor.rowcount == 1

        return self._write(f"set the delivery of {answer_id!r}", work)

    def set_followup(self, answer_id: str, previous_id: str) -> bool:
        """Note that `answer_id` carried over the plan of `previous_id` (same thread)."""

        def work(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE answers SET followup_of = ? WHERE id = ?", (previous_id, answer_id)
            )
            return cursor.rowcount == 1

        return self._write(f"set the follow-up of {answer_id!r}", work)

    def thread_plan(self, channel: str, thread_ts: str) -> tuple[str, dict[str, Any]] | None:
        """(answer id, plan) of the newest answered question of a Slack thread, or None."""
        with self._reading() as conn:
            row = conn.execute(_THREAD_PLAN, (channel, thread_ts)).fetchone()
        if row is None:
            return None
        plan = from_json(row["plan"])
        return (row["id"], plan) if isinstance(plan, dict) else None

    def set_feedback_reason(
        self, answer_id: str, user: str | None, reason: str, comment: str = ""
    ) -> bool:
        """A thumbs-down's reason (one of FEEDBACK_REASONS) and words, on that user's vote.

        A reason without an earlier vote records the vote too, so nothing said is lost.
        """
        if reason not in FEEDBACK_REASONS:
            logger.warning("query log: feedback reason %r is not one of %s", reason,
                           FEEDBACK_REASONS)
            return False
        now, comment = self._now(), comment.strip()[:MAX_COMMENT]

        def work(conn: sqlite3.Connection) -> bool:
            if conn.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone() is None:
                raise LookupError(f"there is no answer {answer_id!r}")
            conn.execute(
                "DELETE FROM feedback WHERE answer_id = ? AND user IS ?", (answer_id, user)
            )
            conn.execute(
                "INSERT INTO feedback (answer_id, user, value, created_at, reason, comment) "
                "VALUES (?, ?, 'down', ?, ?, ?)",
                (answer_id, user, now, reason, comment or None),
            )
            return True

        return self._write(f"add a feedback reason to {answer_id!r}", work)

    def feedback_list(self, value: str = "down", limit: int = 50) -> list[dict[str, Any]]:
        """Votes of one kind, newest first, with the answer's question and any reason."""
        if value not in FEEDBACK_VALUES:
            return []
        with self._reading() as conn:
            return [dict(r) for r in conn.execute(_DOWN_VOTES, (value, int(limit)))]
