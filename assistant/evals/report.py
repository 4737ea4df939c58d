"""What a run tells people: pass rates per kind and family, failures, timings, wrong definitions.

The results are kept whole (each with its answer) and every view is computed from them, so the
terminal summary, the JSON for CI and the query log never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from decimal import Decimal
from typing import Any

from assistant.evals.cases import EvalCase


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case, with the whole answer kept for the report and the log."""

    case: EvalCase
    passed: bool
    answer: dict[str, Any] = field(hash=False)
    reason: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.case.id,
            "question": self.case.question,
            "passed": self.passed,
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


def _rate(passed: int, total: int) -> float:
    return passed / total if total else 0.0


def _group(results: Iterable[CaseResult], key: Callable[[CaseResult], str]) -> dict[str, Any]:
    groups: dict[str, list[CaseResult]] = {}
    for r in results:
        groups.setdefault(key(r), []).append(r)
    out: dict[str, Any] = {}
    for name in sorted(groups):
        total, passed = len(groups[name]), sum(r.passed for r in groups[name])
        out[name] = {"total": total, "passed": passed, "rate": _rate(passed, total)}
    return out


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

    def summary(self) -> dict[str, Any]:
        total, passed = len(self.results), sum(r.passed for r in self.results)
        timings = {}
        for stage in ("plan", "total"):
            values = _timings(self.results, stage)
            timings[stage] = {f"p{q}": percentile(values, q) for q in (50, 90, 99)} | {
                "count": len(values)
            }
        return {
            "total": total,
            "passed": passed,
            "pass_rate": _rate(passed, total),
            "per_kind": _group(self.results, lambda r: r.case.kind),
            "per_family": _group(self.results, lambda r: r.case.family),
            "failures": [
                {"id": r.case.id, "reason": r.reason} for r in self.results if not r.passed
            ],
            "timings_ms": timings,
            "wrong_definition": self.wrong_definitions(),
        }

    def to_json_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "cases": [r.to_dict() for r in self.results]}


def format_summary(report: EvalReport) -> str:
    """A plain-text table for the terminal and CI logs."""
    s = report.summary()
    lines = [f"Eval: {s['passed']}/{s['total']} passed ({s['pass_rate']:.1%})", ""]
    for title, groups in (("kind", s["per_kind"]), ("family", s["per_family"])):
        width = max([len(title), *map(len, groups)])
        lines.append(f"{title:<{width}}  {'passed':>6}  {'total':>5}  {'rate':>6}")
        for name, g in groups.items():
            lines.append(f"{name:<{width}}  {g['passed']:>6}  {g['total']:>5}  {g['rate']:>6.1%}")
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
    failures = s["failures"]
    if failures:
        lines += ["", f"Failures ({len(failures)}):"]
        by_id = {r.case.id: r for r in report.results}
        for f in failures:
            case = by_id[f["id"]].case
            lines.append(f"  {f['id']} [{case.source}]")
            lines.append(f"    Q: {case.question}")
            lines.append(f"    {f['reason']}")
    return "\n".join(lines)
