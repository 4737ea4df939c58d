"""What a run tells people: pass and wrong rates per kind and family, failures, timings.

Not every failure is equally bad. A *wrong* answer (answered, but not what the gold says, or
answered where a clarification or refusal was expected) misleads a stakeholder; a *safe miss*
(a clarification, refusal or error where an answer was expected, or the other of clarify and
refuse) only fails to help. An *eval error* means the case could not be scored (its gold SQL
was rejected or failed). Wrong answers are counted on their own and listed first.

The results are kept whole (each with its answer) and every view is computed from them, so the
terminal summary, the JSON for CI and the query log never disagree.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from decimal import Decimal
from typing import Any

from assistant.evals.cases import EvalCase

PASS, WRONG, ERROR, SAFE_MISS = "pass", "wrong", "error", "safe_miss"
OUTCOMES = (PASS, WRONG, ERROR, SAFE_MISS)  # failures are listed in this order


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case, with the whole answer kept for the report and the log.

    The answer is the one reports may show: restricted values are already masked.
    """

    case: EvalCase
    outcome: str  # one of OUTCOMES
    answer: dict[str, Any] = field(hash=False)
    reason: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.outcome == PASS

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.case.id,
            "question": self.case.question,
            "passed": self.passed,
            "outcome": self.outcome,
            "expected": dict(self.case.expect),
            "answer": _json_safe(self.answer),
            "kind": self.case.kind,
            "family": self.case.family,
            "reason": self.reason,
        }


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date | dtime):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None without data."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _rate(count: int, total: int) -> float:
    return count / total if total else 0.0


def _counts(results: Sequence[CaseResult]) -> dict[str, Any]:
    total, n = len(results), Counter(r.outcome for r in results)
    return {
        "total": total,
        "passed": n[PASS],
        "rate": _rate(n[PASS], total),
        "wrong": n[WRONG],
        "wrong_rate": _rate(n[WRONG], total),
        "safe_misses": n[SAFE_MISS],
        "errors": n[ERROR],
    }


def _group(results: Iterable[CaseResult], key: Callable[[CaseResult], str]) -> dict[str, Any]:
    groups: dict[str, list[CaseResult]] = {}
    for r in results:
        groups.setdefault(key(r), []).append(r)
    return {name: _counts(groups[name]) for name in sorted(groups)}


def _timings(results: Iterable[CaseResult], stage: str) -> list[float]:
    values: list[float] = []
    for r in results:
        timings = r.answer.get("timings_ms")
        value = timings.get(stage) if isinstance(timings, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            values.append(float(value))
    return values


@dataclass(frozen=True)
class EvalReport:
    """All case results of one run; summary and JSON are views of them."""

    results: list[CaseResult]
    governed_names: frozenset[str] = frozenset()  # catalog names, to spot wrong definitions

    def wrong_definitions(self) -> list[dict[str, Any]]:
        """Answered cases whose family is a governed definition that the answer did not use.

        A confident answer from the wrong definition is the worst outcome, so it is counted
        on its own, separately from ordinary failures.
        """
        wrong = []
        for r in self.results:
            family = r.case.family
            if r.answer.get("status") != "answered" or family not in self.governed_names:
                continue
            used = {d.get("name") for d in r.answer.get("definitions") or []}
            if used and family not in used:
                wrong.append({"id": r.case.id, "expected": family, "used": sorted(used)})
        return wrong

    def failures(self) -> list[CaseResult]:
        """Failed cases, wrong answers first, then eval errors, then safe misses."""
        failed = [r for r in self.results if not r.passed]
        return sorted(failed, key=lambda r: OUTCOMES.index(r.outcome))

    def summary(self) -> dict[str, Any]:
        overall = _counts(self.results)
        timings = {}
        for stage in ("plan", "total"):
            values = _timings(self.results, stage)
            timings[stage] = {f"p{q}": percentile(values, q) for q in (50, 90, 99)} | {
                "count": len(values)
            }
        return {
            "total": overall["total"],
            "passed": overall["passed"],
            "pass_rate": overall["rate"],
            "wrong": overall["wrong"],
            "wrong_rate": overall["wrong_rate"],
            "safe_misses": overall["safe_misses"],
            "errors": overall["errors"],
            "per_kind": _group(self.results, lambda r: r.case.kind),
            "per_family": _group(self.results, lambda r: r.case.family),
            "failures": [
                {"id": r.case.id, "outcome": r.outcome, "reason": r.reason} for r in self.failures()
            ],
            "timings_ms": timings,
            "wrong_definition": self.wrong_definitions(),
        }

    def to_json_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "cases": [r.to_dict() for r in self.results]}


_FAILURE_TITLES = {
    WRONG: "Wrong answers ({n}): answered, but not what the gold says",
    ERROR: "Eval errors ({n}): the case could not be scored",
    SAFE_MISS: "Safe misses ({n}): no answer where one was expected, or clarify/refuse mixed up",
}


def headline(summary: dict[str, Any]) -> str:
    """The one line CI logs and people quote: pass rate and wrong answers side by side."""
    s = summary
    line = (
        f"Eval: {s['passed']}/{s['total']} passed ({s['pass_rate']:.1%}), "
        f"{s['wrong']} wrong ({s['wrong_rate']:.1%}), "
        f"{s['safe_misses']} safe miss{'es' * (s['safe_misses'] != 1)}"
    )
    if s["errors"]:
        line += f", {s['errors']} eval error{'s' * (s['errors'] != 1)}"
    return line


def format_summary(report: EvalReport) -> str:
    """A plain-text table for the terminal and CI logs."""
    s = report.summary()
    lines = [headline(s), ""]
    for title, groups in (("kind", s["per_kind"]), ("family", s["per_family"])):
        width = max([len(title), *map(len, groups)])
        lines.append(
            f"{title:<{width}}  {'passed':>6}  {'total':>5}  {'rate':>6}  {'wrong':>5}  "
            f"{'wrong%':>6}  {'safe miss':>9}  {'errors':>6}"
        )
        for name, g in groups.items():
            lines.append(
                f"{name:<{width}}  {g['passed']:>6}  {g['total']:>5}  {g['rate']:>6.1%}  "
                f"{g['wrong']:>5}  {g['wrong_rate']:>6.1%}  {g['safe_misses']:>9}  "
                f"{g['errors']:>6}"
            )
        lines.append("")

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    lines.append(f"{'timings (ms)':<12}  {'p50':>8}  {'p90':>8}  {'p99':>8}")
    for stage, t in s["timings_ms"].items():
        lines.append(f"{stage:<12}  {ms(t['p50']):>8}  {ms(t['p90']):>8}  {ms(t['p99']):>8}")
    lines.append(f"median planning time: {ms(s['timings_ms']['plan']['p50'])} ms")
    wrong = s["wrong_definition"]
    lines.append(f"answered with a definition other than the one asked for: {len(wrong)}")
    lines += [f"  {w['id']}: expected {w['expected']}, used {', '.join(w['used'])}" for w in wrong]
    failures = report.failures()
    for outcome in OUTCOMES[1:]:
        group = [r for r in failures if r.outcome == outcome]
        if not group:
            continue
        lines += ["", _FAILURE_TITLES[outcome].format(n=len(group))]
        for r in group:
            lines.append(f"  {r.case.id} [{r.case.source}]")
            lines.append(f"    Q: {r.case.question}")
            lines.append(f"    {r.reason}")
    return "\n".join(lines)
