"""Eval suites: questions with gold answers, run through the product and scored (SPEC §5).

Execution accuracy is the measure: an `sql` case passes when the product's rows equal the rows
of a hand-written gold query, not when its SQL looks like the gold SQL.

    cases.py    EvalCase and the YAML suite loader (`file:line` on every case)
    compare.py  compare_results: same rows as the gold, whatever the column names and order
    runner.py   run_cases: ask, score, keep going; gold queries cached by SQL text
    report.py   CaseResult, EvalReport (summary, wrong definitions), format_summary
"""

from __future__ import annotations

from assistant.evals.cases import KINDS, STATUSES, EvalCase, load_cases
from assistant.evals.compare import ABS_TOL, REL_TOL, compare_results
from assistant.evals.report import CaseResult, EvalReport, format_summary, percentile
from assistant.evals.runner import run_cases

__all__ = [
    "ABS_TOL",
    "KINDS",
    "REL_TOL",
    "STATUSES",
    "CaseResult",
    "EvalCase",
    "EvalReport",
    "compare_results",
    "format_summary",
    "load_cases",
    "percentile",
    "run_cases",
]
