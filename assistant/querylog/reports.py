"""The query log's read side: the data team's review questions, answered from the file.

What people ask, what failed (the backlog for new definitions), which definition version
produced each number and why a number changed, plus raw exports. Unlike a write, a read is
asked for its data, so a file that cannot be opened is a `ConfigError` naming the setting.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import datetime
from typing import Any, TextIO

from assistant.answer import STATUSES
from assistant.errors import ConfigError
from assistant.querylog.schema import (
    ANSWER_COLUMNS,
    DEFINITION_COLUMNS,
    FEEDBACK_VALUES,
    FOLLOW_UP_COLUMNS,
    from_flag,
    from_json,
    to_json,
    utc_iso,
)
from assistant.querylog.store import Store

Records = list[dict[str, Any]]

EXPORT_FORMATS = ("csv", "jsonl")
CSV_FIELDS = tuple(
    """id created_at source user channel thread_ts question status message error planner
    confidence intent row_count truncated timing_total_ms definitions sql plan eval_run
    eval_case eval_passed feedback_up feedback_down""".split()  # noqa: SIM905 -- word list
)

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


class Reports(Store):
    """The read half of `QueryLog`."""

    def list(
        self,
        status: str | None = None,
        source: str | None = None,
        user: str | None = None,
        definition: str | None = None,
        text: str | None = None,
        since: datetime | None = None,
        limit: int | None = 50,
        feedback: str | None = None,
        group: str | None = None,
    ) -> Records:
        """Answer summaries, newest first, matching every filter given.

        `definition` matches a definition name or a hash prefix; `text` a part of the question;
        `feedback` ("up" or "down") keeps answers with such a vote, each listed with its votes;
        `user` the Slack user id, the principal (`cli:ana`) or its user part (`ana`); `group`
        one of the access groups the answer was computed for.
        """
        where, params = _filters(status, source, user, definition, text, since, feedback,
                                 group)
        sql = f"SELECT * FROM answers {where} ORDER BY created_at DESC, rowid DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._reading() as conn:
            found = [_summary(conn, row) for row in conn.execute(sql, params).fetchall()]
            if feedback:
                for summary in found:
                    summary["feedback"] = _votes(conn, summary["id"])
            return found

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
            by_people = sum(n for s, n in conn.execute(_STATS_BY_SOURCE.format(where=where),
                                                       params).fetchall() if s != "eval")
            return {
                "total": total,
                "people": by_people,  # the headline without eval runs
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


def _filters(
    status: str | None = None,
    source: str | None = None,
    user: str | None = None,
    definition: str | None = None,
    text: str | None = None,
    since: datetime | None = None,
    feedback: str | None = None,
    group: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """The WHERE clause shared by list, stats and export; values only ever as parameters."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if feedback:
        clauses.append("id IN (SELECT answer_id FROM feedback WHERE value = :feedback)")
        params["feedback"] = feedback
    for column, value in (("status", status), ("source", source)):
        if value:
            clauses.append(f"{column} = :{column}")
            params[column] = value
    if user:
        clauses.append("(user = :user OR principal = :user OR principal LIKE :user_principal "
                       "ESCAPE '\\')")
        params.update(user=user, user_principal="%:" + _escape_like(user))
    if group:
        clauses.append("EXISTS (SELECT 1 FROM json_each(answers.groups) WHERE value = :group)")
        params["group"] = group
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


def _definitions(conn: sqlite3.Connection, answer_id: str) -> Records:
    rows = conn.execute(
        "SELECT * FROM answer_definitions WHERE answer_id = ? ORDER BY position", (answer_id,)
    )
    used = []
    for row in rows:
        definition = {k: row[k] for k in DEFINITION_COLUMNS[2:]}
        definition["overrides"] = from_json(row["overrides"]) or {}
        used.append(definition)
    return used


def _summary(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """What `list` shows: the answer without plan, SQL or JSON payloads."""
    summary = {
        c: row[c]
        for c in ANSWER_COLUMNS
        if c not in ("question_norm", "plan", "sql", "columns", "timings", "candidates",
                     "failure", "groups")
    }
    summary["groups"] = from_json(row["groups"]) or []
    summary["truncated"] = from_flag(row["truncated"])
    summary["eval_passed"] = from_flag(row["eval_passed"])
    summary["cached"] = row["cached_at"] is not None
    summary["definitions"] = [
        {k: d[k] for k in ("name", "kind", "version", "hash", "member")}
        for d in _definitions(conn, row["id"])
    ]
    return summary


def _full(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """What `get` shows: every recorded field, JSON decoded, plus votes."""
    record = _summary(conn, row)
    record.update(
        question_norm=row["question_norm"],
        plan=from_json(row["plan"]),
        sql=row["sql"],
        columns=from_json(row["columns"]) or [],
        candidates=from_json(row["candidates"]) or [],
        failure=from_json(row["failure"]),
        timings_ms=from_json(row["timings"]) or {},
        definitions=_definitions(conn, row["id"]),
        feedback=_votes(conn, row["id"]),
        **{c: row[c] for c in FOLLOW_UP_COLUMNS},
    )
    return record


def _votes(conn: sqlite3.Connection, answer_id: str) -> Records:
    rows = conn.execute(
        "SELECT user, value, created_at, reason, comment FROM feedback WHERE answer_id = ? "
        "ORDER BY created_at, rowid",
        (answer_id,),
    )
    return [dict(f) for f in rows]


def _csv_row(record: dict[str, Any]) -> dict[str, Any]:
    row = {k: record.get(k) for k in CSV_FIELDS}
    row["definitions"] = "; ".join(
        f"{d['name']}{'.' + d['member'] if d['member'] else ''} v{d['version']} {d['hash']}".strip()
        for d in record["definitions"]
    )
    row["plan"] = to_json(record["plan"])
    votes = [f["value"] for f in record["feedback"]]
    row["feedback_up"], row["feedback_down"] = votes.count("up"), votes.count("down")
    return row
