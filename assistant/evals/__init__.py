"""Eval suites: questions with gold answers, run through the product and scored (SPEC §5).

Execution accuracy is the measure: an `sql` case passes when the product's rows equal the rows
of a hand-written gold query, not when its SQL looks like the gold SQL.

    cases.py    EvalCase and the YAML suite loader (`file:line` on every case)
    compare.py  compare_results: same rows as the gold, whatever the column names and order
    gold.py     GoldQueries: gold SQL validated, run locked down and capped, PII masked
    runner.py   run_cases: ask, score (pass, wrong, safe miss, eval error), keep going
    report.py   CaseResult, EvalReport (summary, failures wrong-first), format_summary
"""

from __future__ import annotations

from assistant.evals.cases import KINDS, STATUSES, EvalCase, load_cases
from assistant.evals.compare import ABS_TOL, REL_TOL, compare_results
from assistant.evals.gold import GOLD_RULES, GoldQueries, GoldResult
from assistant.evals.report import (
    ERROR,
    OUTCOMES,
    PASS,
    SAFE_MISS,
    WRONG,
    CaseResult,
    EvalReport,
    format_summary,
    headline,
    percentile,
)
from assistant.evals.runner import run_cases

__all__ = [
    "ABS_TOL",
    "ERROR",
    "GOLD_RULES",
    "KINDS",
    "OUTCOMES",
    "PASS",
    "REL_TOL",
    "SAFE_MISS",
    "STATUSES",
    "WRONG",
    "CaseResult",
    "EvalCase",
    "EvalReport",
    "GoldQueries",
    "GoldResult",
    "compare_results",
    "format_summary",
    "headline",
    "load_cases",
    "percentile",
    "run_cases",
]
