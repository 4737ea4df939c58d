"""The workbench's read queries: the questions a data team asks of the log in `segq web`.

People's questions and eval runs are kept apart: every people-facing view (overview,
answers, backlog, thumbs-down, likely-wrong) leaves out `source = 'eval'` unless it is asked
for, so a 900-case eval run does not swamp a day of real demand. Values only ever enter SQL
as parameters.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from assistant.querylog.reports import Records, Reports, _filters
from assistant.querylog.schema import from_json

# Filters the answers page offers, beyond those of `Reports.list`.
FEEDBACK_FILTERS = ("up", "down", "any", "none")
LOW_CONFIDENCE = 0.9  # the rules planner answers at 1.0 when sure; the llm planner at 0.8

# A time phrase in a question whose plan has no period: the answer dropped it.
_TIME_WORDS = re.compile(
    r"\b(q[1-4]|20\d\d|january|february|march|april|may|june|july|august|september|"
    r"october|november|december|yesterday|today|since|last (?:week|month|quarter|year|\d+ days?)"
    r"|this (?:week|month|quarter|year)|ytd)\b",
    re.IGNORECASE,
)
_ZERO = re.compile(r"There (?:are|is) 0 ")  # a count answer whose count is zero
_NOT_UNDERSTOOD = re.compile(r'did not understand "([^"]+)"')
_AMBIGUOUS = re.compile(r'^"([^"]+)" could mean')

_DATED = re.compile(r"\d{4}-\d{2}-\d{2}")  # a plan that carries any date has a period
_PEOPLE = "source != 'eval'"


def _where(source: str | None, **filters: Any) -> tuple[str, dict[str, Any]]:
    where, params = _filters(source=source, **filters)
    if source is None:
        where = f"{where} AND {_PEOPLE}" if where else f"WHERE {_PEOPLE}"
    return where, params


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 1))))
    return ordered[rank - 1]


class Workbench(Reports):
    """Read-only views for `segq web`, on top of the log's own reports."""

    def overview(self, source: str | None = None) -> dict[str, Any]:
        """Questions per day by status and by surface, p50/p95 latency per day, the trend."""
        where, params = _where(source)
        sql = f"SELECT substr(created_at, 1, 10) AS day, status, source, timing_total_ms " \
              f"FROM answers {where} ORDER BY created_at"
        days: dict[str, dict[str, Any]] = {}
        with self._reading() as conn:
            for row in conn.execute(sql, params):
                day = days.setdefault(row["day"], {"day": row["day"], "total": 0,
                                                   "status": defaultdict(int),
                                                   "source": defaultdict(int), "ms": []})
                day["total"] += 1
                day["status"][row["status"]] += 1
                day["source"][row["source"]] += 1
                if row["timing_total_ms"] is not None:
                    day["ms"].append(row["timing_total_ms"])
        rows = []
        for day in days.values():
            answered = day["status"].get("answered", 0)
            rows.append({"day": day["day"], "total": day["total"],
                         "status": dict(day["status"]), "source": dict(day["source"]),
                         "answered_rate": answered / day["total"],
                         "p50_ms": percentile(day["ms"], 0.5),
                         "p95_ms": percentile(day["ms"], 0.95)})
        everything = [ms for day in days.values() for ms in day["ms"]]
        return {"days": rows, "total": sum(r["total"] for r in rows),
                "p50_ms": percentile(everything, 0.5), "p95_ms": percentile(everything, 0.95),
                "trend": _trend(rows), "stats": self.stats(source=source)}

    def answers(self, *, feedback: str | None = None, planner: str | None = None,
                max_confidence: float | None = None, limit: int = 200,
                **filters: Any) -> Records:
        """`list` plus the workbench's filters: feedback, planner, confidence at most."""
        where, params = _where(filters.pop("source", None), **filters)
        clauses = [where]
        if planner:
            clauses.append("AND planner = :planner")
            params["planner"] = planner
        if max_confidence is not None:
            clauses.append("AND confidence <= :max_confidence")
            params["max_confidence"] = max_confidence
        if feedback in ("up", "down"):
            clauses.append("AND id IN (SELECT answer_id FROM feedback WHERE value = :vote)")
            params["vote"] = feedback
        elif feedback == "any":
            clauses.append("AND id IN (SELECT answer_id FROM feedback)")
        elif feedback == "none":
            clauses.append("AND id NOT IN (SELECT answer_id FROM feedback)")
        sql = f"SELECT id FROM answers {' '.join(clauses)} " \
              f"ORDER BY created_at DESC, rowid DESC LIMIT {int(limit)}"
        with self._reading() as conn:
            ids = [r[0] for r in conn.execute(sql, params)]
            return [_with_votes(conn, self._summary_of(conn, i)) for i in ids]

    def _summary_of(self, conn: sqlite3.Connection, answer_id: str) -> dict[str, Any]:
        from assistant.querylog.reports import _summary

        row = conn.execute("SELECT * FROM answers WHERE id = ?", (answer_id,)).fetchone()
        summary = _summary(conn, row)
        summary["plan"] = from_json(row["plan"])
        return summary

    def thread(self, answer: dict[str, Any]) -> Records:
        """Every answer in the same Slack thread, oldest first (the answer itself included)."""
        if not answer.get("channel") or not answer.get("thread_ts"):
            return []
        sql = "SELECT id, created_at, question, status, message, plan, candidates FROM answers " \
              "WHERE channel = ? AND thread_ts = ? ORDER BY created_at, rowid"
        with self._reading() as conn:
            rows = conn.execute(sql, (answer["channel"], answer["thread_ts"])).fetchall()
        return [dict(r) | {"plan": from_json(r["plan"])} for r in rows]

    def choices(self) -> Records:
        """Clarifications and what came of them: resolved (a later answer in the thread was
        answered) or abandoned."""
        sql = f"""
            SELECT c.id, c.created_at, c.question, c.user, c.channel, c.thread_ts,
              (SELECT a.id FROM answers a WHERE a.channel = c.channel
                 AND a.thread_ts = c.thread_ts AND a.created_at > c.created_at
                 AND a.status = 'answered' ORDER BY a.created_at LIMIT 1) AS resolved_by
            FROM answers c WHERE c.status = 'clarify' AND c.{_PEOPLE}
            ORDER BY c.created_at DESC"""
        with self._reading() as conn:
            return [dict(r) for r in conn.execute(sql)]

    def backlog(self, source: str | None = None) -> Records:
        """Unanswered questions grouped by the concept they were missing, biggest group first."""
        where, params = _where(source)
        sql = f"SELECT id, created_at, question, status, message, error, failure, candidates " \
              f"FROM answers {where} AND status IN ('clarify', 'refused', 'error') " \
              f"ORDER BY created_at DESC"
        groups: dict[str, dict[str, Any]] = {}
        with self._reading() as conn:
            for row in conn.execute(sql, params):
                concept, why = missing_concept(dict(row))
                group = groups.setdefault(concept, {"concept": concept, "why": why,
                                                    "count": 0, "questions": []})
                group["count"] += 1
                group["questions"].append({k: row[k] for k in
                                           ("id", "created_at", "question", "status")})
        return sorted(groups.values(), key=lambda g: (-g["count"], g["concept"]))

    def thumbs_down(self, source: str | None = None) -> Records:
        """Answers someone voted down, newest vote first, with who and when, and `reasons`:
        the likely-wrong signs of an answered one, the missing concept of an unanswered one."""
        where, params = _where(source)
        sql = f"SELECT f.answer_id, f.user AS voter, f.created_at AS voted_at, a.question, " \
              f"a.status, a.message, a.source, a.user, a.confidence, a.row_count, a.plan, " \
              f"a.error, a.failure FROM feedback f " \
              f"JOIN answers a ON a.id = f.answer_id WHERE f.value = 'down' AND f.answer_id " \
              f"IN (SELECT id FROM answers {where}) ORDER BY f.created_at DESC"
        with self._reading() as conn:
            votes = [dict(r) for r in conn.execute(sql, params)]
            for vote in votes:  # what the log says could be behind the vote
                vote["reasons"] = (wrong_signs(vote) + _new_versions(conn, vote["answer_id"])
                                   if vote["status"] == "answered"
                                   else [" ".join(missing_concept(vote)[::-1])])
        return votes

    def likely_wrong(self, source: str | None = None,
                     leftover: Callable[[str], str | None] | None = None) -> Records:
        """Answered, but with a sign of a wrong answer, grouped by cause (Lightdash's Reviews).

        `leftover(question)` names the words the rules planner cannot place in a question
        (None when it uses them all); it is asked about answers another planner made, since
        the rules planner never answers while words are left.
        """
        where, params = _where(source)
        sql = f"SELECT id, created_at, question, message, confidence, row_count, plan, planner " \
              f"FROM answers {where} AND status = 'answered' ORDER BY created_at DESC"
        causes: dict[str, list[dict[str, Any]]] = defaultdict(list)
        with self._reading() as conn:
            rows = [dict(r) for r in conn.execute(sql, params)]
        for row in rows:
            words = leftover(row["question"]) if leftover and row["planner"] != "rules" else None
            for cause in wrong_signs(row) + (["leftover words"] if words else []):
                causes[cause].append({k: row[k] for k in
                                      ("id", "created_at", "question", "confidence",
                                       "row_count", "planner")} | {"leftover": words})
        return [{"cause": cause, "count": len(items), "answers": items}
                for cause, items in sorted(causes.items(), key=lambda c: (-len(c[1]), c[0]))]

    def eval_runs(self) -> Records:
        """Each eval run: cases, passes, pass rate and wrong answers (answered but failed)."""
        sql = """
            SELECT eval_run, min(created_at) AS started_at, count(*) AS cases,
                   coalesce(sum(eval_passed), 0) AS passed, count(eval_passed) AS judged,
                   sum(CASE WHEN eval_passed = 0 AND status = 'answered' THEN 1 ELSE 0 END)
                     AS wrong
            FROM answers WHERE eval_run IS NOT NULL
            GROUP BY eval_run ORDER BY started_at, eval_run"""
        with self._reading() as conn:
            return [dict(r) | {"pass_rate": r["passed"] / r["judged"] if r["judged"] else None}
                    for r in conn.execute(sql)]

    def eval_compare(self, run_a: str, run_b: str) -> dict[str, Any]:
        """Cases that passed in A and fail in B (regressions) and the reverse (fixes)."""
        sql = "SELECT eval_case, eval_passed, id, question, status FROM answers " \
              "WHERE eval_run = ? AND eval_case IS NOT NULL"
        with self._reading() as conn:
            a = {r["eval_case"]: dict(r) for r in conn.execute(sql, (run_a,))}
            b = {r["eval_case"]: dict(r) for r in conn.execute(sql, (run_b,))}
        both = sorted(set(a) & set(b))
        return {
            "run_a": run_a, "run_b": run_b, "cases_a": len(a), "cases_b": len(b),
            "regressions": [b[c] | {"before": a[c]["id"]} for c in both
                            if a[c]["eval_passed"] and b[c]["eval_passed"] == 0],
            "fixes": [b[c] | {"before": a[c]["id"]} for c in both
                      if a[c]["eval_passed"] == 0 and b[c]["eval_passed"]],
            "only_in_a": sorted(set(a) - set(b)), "only_in_b": sorted(set(b) - set(a)),
        }

    def users(self) -> list[str]:
        with self._reading() as conn:
            return [r[0] for r in conn.execute(
                f"SELECT DISTINCT user FROM answers WHERE user IS NOT NULL AND {_PEOPLE} "
                "ORDER BY user")]

    def planners(self) -> list[str]:
        with self._reading() as conn:
            return [r[0] for r in conn.execute(
                "SELECT DISTINCT planner FROM answers WHERE planner IS NOT NULL ORDER BY 1")]

    def definition_usage(self, name: str, requires: tuple[str, ...] = ()) -> Records:
        """Answers per version of one definition *and* of what it requires (people only).

        `lifecycle_stage` v1 with `engaged_users` v1 and with v2 are two rows: the numbers
        differ although lifecycle_stage's own hash did not change.
        """
        names = (name, *requires)
        marks = ", ".join("?" for _ in names)
        sql = f"""SELECT d.answer_id, d.name, d.version, d.hash, a.created_at
                  FROM answer_definitions d JOIN answers a ON a.id = d.answer_id
                  WHERE a.{_PEOPLE} AND d.name IN ({marks}) AND d.answer_id IN
                    (SELECT answer_id FROM answer_definitions WHERE name = ?)
                  ORDER BY a.created_at, d.position"""
        used: dict[str, dict[str, Any]] = {}
        with self._reading() as conn:
            for row in conn.execute(sql, (*names, name)):
                entry = used.setdefault(row["answer_id"], {"at": row["created_at"], "defs": {}})
                entry["defs"].setdefault(row["name"], (row["version"], row["hash"]))
        groups: dict[tuple[Any, ...], dict[str, Any]] = {}
        for entry in used.values():
            own = entry["defs"].get(name, (None, None))
            key = (own, *(entry["defs"].get(n) for n in requires))
            group = groups.setdefault(key, {
                "version": own[0], "hash": own[1], "answers": 0, "first_used": entry["at"],
                "with": [{"name": n, "version": entry["defs"][n][0], "hash": entry["defs"][n][1]}
                         for n in requires if n in entry["defs"]]})
            group["answers"] += 1
            group["last_used"] = entry["at"]
        return sorted(groups.values(), key=lambda g: g["first_used"])


# Definitions an answer used in a version that had replaced another shortly before it.
_NEW_VERSIONS = """
    SELECT d.name, d.version, v.first_seen FROM answer_definitions d
    JOIN answers a ON a.id = d.answer_id
    JOIN definition_versions v ON v.name = d.name AND v.hash = d.hash
    WHERE d.answer_id = :id
      AND v.first_seen >= strftime('%Y-%m-%dT%H:%M:%S', a.created_at, '-7 days')
      AND EXISTS (SELECT 1 FROM definition_versions o
                  WHERE o.name = d.name AND o.hash != d.hash AND o.first_seen < v.first_seen)
    ORDER BY d.position"""


def _new_versions(conn: sqlite3.Connection, answer_id: str) -> list[str]:
    return [f"used `{r['name']}` v{r['version']}, new since {r['first_seen'][:10]}"
            for r in conn.execute(_NEW_VERSIONS, {"id": answer_id})]


def _with_votes(conn: sqlite3.Connection, summary: dict[str, Any]) -> dict[str, Any]:
    votes = dict(conn.execute("SELECT value, count(*) FROM feedback WHERE answer_id = ? "
                              "GROUP BY value", (summary["id"],)).fetchall())
    summary["votes"] = {"up": votes.get("up", 0), "down": votes.get("down", 0)}
    return summary


def _trend(days: Records) -> dict[str, Any]:
    """Questions in the last 7 logged days against the 7 before them."""
    recent = sum(d["total"] for d in days[-7:])
    before = sum(d["total"] for d in days[-14:-7])
    change = (recent - before) / before if before else None
    return {"last_7_days": recent, "previous_7_days": before, "change": change}


def missing_concept(row: dict[str, Any]) -> tuple[str, str]:
    """The concept an unanswered question lacked, and the kind of gap (for grouping).

    From the answer's typed failure (kind and rules) when it has one, else from the words the
    user saw (a clarification has no failure).
    """
    message = row.get("message") or ""
    failure = from_json(row["failure"]) if isinstance(row.get("failure"), str) else None
    rules = [str(r) for r in (failure or {}).get("rules") or []]
    if rules and rules[0].startswith("ungoverned:"):
        return rules[0].split(":", 1)[1].strip(), "no governed definition"
    if failure and failure.get("kind") == "refused":
        return (rules[0] if rules else "refused"), "refused"
    words = _NOT_UNDERSTOOD.search(message)
    if words:
        return words[1], "words not understood"
    phrase = _AMBIGUOUS.search(message)
    if phrase:
        return phrase[1], "ambiguous: needs a clarification"
    if row.get("status") == "error":
        kind = (failure or {}).get("kind") or (row.get("error") or "error").split("(", 1)[0]
        return str(kind), "error"
    return "(other)", row.get("status") or ""


def wrong_signs(row: dict[str, Any]) -> list[str]:
    """Why an answered question may be wrong: each sign a data team would check by hand."""
    signs = []
    confidence = row.get("confidence")
    if confidence is not None and confidence < LOW_CONFIDENCE:
        signs.append("low confidence")
    if row.get("row_count") == 0 or _ZERO.match(row.get("message") or ""):
        signs.append("empty result")
    plan = from_json(row["plan"]) if isinstance(row.get("plan"), str) else row.get("plan")
    if plan is not None and _TIME_WORDS.search(row.get("question") or "") \
            and not _DATED.search(json.dumps(plan)) and "month_number" not in plan \
            and plan.get("intent") not in ("definition", "catalog"):
        signs.append("dropped time phrase")
    return signs
