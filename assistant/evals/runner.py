"""Running a suite: ask every question, score each answer, never stop on a bad case.

The runner takes `ask(question) -> answer dict` rather than the pipeline itself, so the same
code scores the in-process pipeline, the CLI, or a fake in tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from assistant.evals.cases import EvalCase
from assistant.evals.compare import compare_results, row_difference
from assistant.evals.report import CaseResult, EvalReport


@dataclass
class _GoldResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    error: str = ""


def run_cases(
    cases: Sequence[EvalCase],
    ask: Callable[[str], dict[str, Any]],
    gold_connection: duckdb.DuckDBPyConnection,
    on_result: Callable[[CaseResult], None] | None = None,
) -> EvalReport:
    """Ask every question, score it, and keep going whatever a single case does.

    A product exception becomes a failed case (status `error`), never an aborted run, so one
    bad question cannot hide the score of the rest. Gold queries are cached by SQL text.
    """
    gold_cache: dict[str, _GoldResult] = {}
    results: list[CaseResult] = []
    for case in cases:
        started = time.perf_counter()
        try:
            answer = dict(ask(case.question))
        except Exception as exc:  # a crashing product is a failed case
            answer = {"question": case.question, "status": "error", "message": repr(exc)}
        passed, reason = _score(case, answer, gold_cache, gold_connection)
        result = CaseResult(case, passed, answer, reason, time.perf_counter() - started)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return EvalReport(results)


def _gold(sql: str, cache: dict[str, _GoldResult], con: duckdb.DuckDBPyConnection) -> _GoldResult:
    if sql not in cache:
        cursor = con.cursor()
        try:
            cursor.execute(sql)
            columns = [d[0] for d in cursor.description or []]
            cache[sql] = _GoldResult(columns, cursor.fetchall())
        except duckdb.Error as exc:
            cache[sql] = _GoldResult([], [], error=str(exc).splitlines()[0])
        finally:
            cursor.close()
    return cache[sql]


def _score(
    case: EvalCase,
    answer: dict[str, Any],
    gold_cache: dict[str, _GoldResult],
    con: duckdb.DuckDBPyConnection,
) -> tuple[bool, str]:
    status = answer.get("status")
    got = f"got status {status}" + (f" ({_short(answer.get('message'))})" if status else "")
    if case.kind == "status":
        expected = case.expect["status"]
        return (True, "") if status == expected else (False, f"expected status {expected}, {got}")
    if case.kind == "definition":
        expected = case.expect["definition"]
        if status != "answered":
            return False, f"expected definition {expected}, {got}"
        defs = answer.get("definitions") or []
        name = defs[0].get("name") if defs and isinstance(defs[0], dict) else None
        if name == expected:
            return True, ""
        return False, f"expected definition {expected}, got definition {name}"
    gold = _gold(case.expect["sql"], gold_cache, con)
    if gold.error:
        return False, f"gold SQL failed: {gold.error}"
    if status != "answered":
        return False, f"expected answered, {got}"
    columns = list(answer.get("columns") or [])
    rows = [list(r) for r in answer.get("rows") or []]
    if compare_results(columns, rows, gold.columns, gold.rows):
        return True, ""
    truncated = bool(answer.get("truncated"))
    return False, row_difference(gold.columns, gold.rows, columns, rows, truncated)


def _short(text: Any, limit: int = 120) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
