"""Running a suite: ask every question, score each answer, never stop on a bad case.

The runner takes `ask(question) -> answer dict` rather than the pipeline itself, so the same
code scores the in-process pipeline, the CLI, or a fake in tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from assistant.evals.cases import EvalCase
from assistant.evals.compare import compare_results, row_difference
from assistant.evals.gold import GoldQueries, GoldResult
from assistant.evals.report import ERROR, PASS, SAFE_MISS, WRONG, CaseResult, EvalReport


def run_cases(
    cases: Sequence[EvalCase],
    ask: Callable[[str], dict[str, Any]],
    gold: GoldQueries,
    on_result: Callable[[CaseResult], None] | None = None,
) -> EvalReport:
    """Ask every question, score it, and keep going whatever a single case does.

    A product exception becomes a failed case (status `error`), never an aborted run, so one
    bad question cannot hide the score of the rest. Gold SQL is checked, run and cached by
    `GoldQueries`; each result keeps the answer with restricted values masked.
    """
    results: list[CaseResult] = []
    for case in cases:
        started = time.perf_counter()
        try:
            answer = dict(ask(case.question))
        except Exception as exc:  # a crashing product is a failed case
            answer = {"question": case.question, "status": "error", "message": repr(exc)}
        gold_result = gold.result(case.expect["sql"]) if case.kind == "sql" else None
        shown = gold.masked_answer(answer, gold_result)
        outcome, reason = _score(case, answer, shown, gold_result)
        result = CaseResult(case, outcome, shown, reason, time.perf_counter() - started)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return EvalReport(results)


def _score(
    case: EvalCase, answer: dict[str, Any], shown: dict[str, Any], gold: GoldResult | None
) -> tuple[str, str]:
    """(outcome, reason): scored on the real answer, explained with the masked one."""
    status = answer.get("status")
    got = f"got status {status}" + (f" ({_short(answer.get('message'))})" if status else "")
    # Answering when no answer was expected misleads; any other non-answer is a safe miss.
    miss = WRONG if status == "answered" else SAFE_MISS
    if case.kind == "status":
        expected = case.expect["status"]
        return (PASS, "") if status == expected else (miss, f"expected status {expected}, {got}")
    if case.kind == "definition":
        expected = case.expect["definition"]
        if status != "answered":
            return SAFE_MISS, f"expected definition {expected}, {got}"
        defs = answer.get("definitions") or []
        name = defs[0].get("name") if defs and isinstance(defs[0], dict) else None
        if name == expected:
            return PASS, ""
        return WRONG, f"expected definition {expected}, got definition {name}"
    assert gold is not None
    if gold.error:
        return ERROR, gold.error
    if status != "answered":
        return SAFE_MISS, f"expected answered, {got}"
    columns = list(answer.get("columns") or [])
    rows = [list(r) for r in answer.get("rows") or []]
    if compare_results(columns, rows, gold.columns, gold.rows):
        return PASS, ""
    shown_rows = [list(r) for r in shown.get("rows") or []]
    truncated = bool(answer.get("truncated"))
    return WRONG, row_difference(gold.columns, gold.shown_rows(), columns, shown_rows, truncated)


def _short(text: Any, limit: int = 120) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
