"""Eval suites: questions with gold answers, run through the product and scored (SPEC §5).

Execution accuracy is the measure: an `sql` case passes when the product's rows equal the rows
of a hand-written gold query, not when its SQL looks like the gold SQL. Products are free to
name, order and add columns, so the comparison looks for *some* choice of the answer's columns
(as many as the gold has, in any order) whose rows form the same multiset as the gold rows.

The runner takes `ask(question) -> answer dict` rather than the pipeline itself, so the same
code scores the in-process pipeline, the CLI, or a fake in tests.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import yaml

from assistant.errors import ConfigError

KINDS = ("sql", "status", "definition")
STATUSES = ("answered", "clarify", "refused", "error")
REL_TOL = 1e-6
# Relative tolerance alone fails on float noise around zero (0.1 + 0.2 - 0.3 vs 0).
ABS_TOL = 1e-9
_FALLBACK_MATCH_LIMIT = 5000


@dataclass(frozen=True)
class EvalCase:
    """One question and what a correct answer must look like."""

    id: str
    question: str
    kind: str  # sql | status | definition
    expect: dict[str, Any] = field(hash=False)
    family: str
    source: str  # file:line, so a failing case can be found and fixed
    tags: tuple[str, ...] = ()


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


# -- loading ----------------------------------------------------------------------------------


def load_cases(paths: Sequence[Path]) -> list[EvalCase]:
    """Read cases from files and directories (`*.yaml`/`*.yml`, sorted), in that order.

    Unknown keys are ignored so suites can carry notes and tags; anything that would make a case
    unscorable (bad YAML, no id, no expectation, a repeated id) raises `ConfigError` naming the
    file and line.
    """
    cases: list[EvalCase] = []
    seen: dict[str, str] = {}
    for file in _case_files(paths):
        for case in _load_file(file):
            if case.id in seen:
                raise ConfigError(
                    f"{case.source}: eval case id `{case.id}` is already used at "
                    f"{seen[case.id]}. Give each case a unique id.",
                    file=str(file),
                )
            seen[case.id] = case.source
            cases.append(case)
    return cases


def _case_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(f"Eval file `{path}` does not exist.", file=str(path))
    return files


def _load_file(file: Path) -> list[EvalCase]:
    text = file.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(
            f"{file}:{line}: eval file is not valid YAML: {problem}.", file=str(file), line=line
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}:1: eval file is not valid YAML: {exc}.", file=str(file)) from exc
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise ConfigError(
            f"{file}:1: an eval file must be a list of cases (`- id: ...`).", file=str(file)
        )
    return [
        _parse_case(item, file, item_node.start_mark.line + 1)
        for item, item_node in zip(data, node.value, strict=True)
    ]


def _parse_case(item: Any, file: Path, line: int) -> EvalCase:
    where = f"{file}:{line}"

    def fail(problem: str) -> ConfigError:
        return ConfigError(f"{where}: {problem}", file=str(file), line=line)

    if not isinstance(item, dict):
        raise fail("an eval case must be a mapping with `id`, `question` and `expect`.")
    for key in ("id", "question"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise fail(f"eval case has no `{key}` (a non-empty string).")
    expect = item.get("expect")
    if not isinstance(expect, dict):
        expect = {}
    kinds = [k for k in ("sql", "definition", "status") if k in expect]
    if len(kinds) != 1:
        raise fail(
            f"eval case `{item['id']}` needs `expect` with exactly one of `sql`, `status`, "
            "`definition`, e.g. `expect: {status: clarify}`."
        )
    key = kinds[0]
    value = expect[key]
    if not isinstance(value, str) or not value.strip():
        raise fail(f"eval case `{item['id']}`: `expect.{key}` must be a non-empty string.")
    if key == "status" and value not in STATUSES:
        raise fail(
            f"eval case `{item['id']}` expects status `{value}`. Accepted: {', '.join(STATUSES)}."
        )
    kind = "sql" if key == "sql" else key
    tags = item.get("tags") or ()
    return EvalCase(
        id=item["id"],
        question=item["question"],
        kind=kind,
        expect={key: value},
        family=str(item.get("family") or _derived_family(kind, value, file)),
        source=where,
        tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (str(tags),),
    )


def _derived_family(kind: str, value: str, file: Path) -> str:
    """Without an explicit family: the definition asked about, the status, or the file name."""
    if kind == "definition":
        return value
    if kind == "status":
        return value
    return file.stem


# -- comparison -------------------------------------------------------------------------------


def _norm(value: Any) -> Any:
    """One representation per value: numbers as float, dates as ISO text, NaN as NULL."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | Decimal):
        return float(value)
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, datetime | date | dtime):
        return value.isoformat()
    return str(value)


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, float):
        # Rounded so that values equal within the tolerance almost always sort together.
        return (2, float(f"{value:.6g}"))
    return (3, value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return type(a) is type(b) and a == b


def _same_row(a: Sequence[Any], b: Sequence[Any]) -> bool:
    return all(_same(x, y) for x, y in zip(a, b, strict=True))


def _same_multiset(rows_a: list[tuple[Any, ...]], rows_b: list[tuple[Any, ...]]) -> bool:
    if len(rows_a) != len(rows_b):
        return False

    def key(row: tuple[Any, ...]) -> tuple[tuple[int, Any], ...]:
        return tuple(_sort_key(v) for v in row)

    sorted_a, sorted_b = sorted(rows_a, key=key), sorted(rows_b, key=key)
    if all(_same_row(a, b) for a, b in zip(sorted_a, sorted_b, strict=True)):
        return True
    if len(rows_a) > _FALLBACK_MATCH_LIMIT or not any(
        isinstance(v, float) for row in rows_a for v in row
    ):
        return False
    # Rounding can split near-equal floats across a sort boundary; match greedily instead.
    unmatched = list(sorted_b)
    for row in sorted_a:
        hit = next((i for i, other in enumerate(unmatched) if _same_row(row, other)), None)
        if hit is None:
            return False
        unmatched.pop(hit)
    return True


def compare_results(
    got_columns: Sequence[str],
    got_rows: Sequence[Sequence[Any]],
    gold_columns: Sequence[str],
    gold_rows: Sequence[Sequence[Any]],
) -> bool:
    """SPEC §5: some choice of the answer's columns, as many as the gold's, in any order, has
    the same multiset of rows as the gold (numbers within 1e-6 relative, NULL = NULL, dates as
    ISO text, strings exact).

    Each gold column is first matched to the answer columns holding the same multiset of
    values; only those candidates are tried as permutations, so wide answers stay cheap.
    """
    width = len(gold_columns) or (len(gold_rows[0]) if gold_rows else 0)
    got_width = len(got_columns) or (len(got_rows[0]) if got_rows else 0)
    if len(got_rows) != len(gold_rows) or got_width < width:
        return False
    if any(len(r) != width for r in gold_rows) or any(len(r) != got_width for r in got_rows):
        return False
    if not gold_rows:
        return True
    gold = [tuple(_norm(v) for v in row) for row in gold_rows]
    got = [tuple(_norm(v) for v in row) for row in got_rows]
    gold_cols = [[(row[j],) for row in gold] for j in range(width)]
    got_cols = [[(row[i],) for row in got] for i in range(got_width)]
    candidates = [
        [i for i in range(got_width) if _same_multiset(gold_cols[j], got_cols[i])]
        for j in range(width)
    ]
    if any(not c for c in candidates):
        return False
    order = sorted(range(width), key=lambda j: len(candidates[j]))

    def assign(pos: int, chosen: dict[int, int]) -> bool:
        if pos == len(order):
            projected = [tuple(row[chosen[j]] for j in range(width)) for row in got]
            return _same_multiset(gold, projected)
        j = order[pos]
        used = set(chosen.values())
        return any(i not in used and assign(pos + 1, {**chosen, j: i}) for i in candidates[j])

    return assign(0, {})


# -- running ----------------------------------------------------------------------------------


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
    return False, _row_difference(gold, columns, rows, bool(answer.get("truncated")))


def _row_difference(
    gold: _GoldResult, columns: list[str], rows: list[list[Any]], truncated: bool
) -> str:
    def shape(n_rows: int, cols: Sequence[str]) -> str:
        return f"{n_rows} row{'s' * (n_rows != 1)} x ({', '.join(cols)})"

    gold_rows = sorted((tuple(_norm(v) for v in r) for r in gold.rows), key=_row_key)
    got_rows = sorted((tuple(_norm(v) for v in r) for r in rows), key=_row_key)
    reason = (
        f"expected {shape(len(gold_rows), gold.columns)} e.g. {_preview(gold_rows)}; "
        f"got {shape(len(got_rows), columns)} e.g. {_preview(got_rows)}"
    )
    if truncated:
        reason += "; the answer was truncated"
    if got_rows and len(got_rows[0]) == len(gold.columns):
        for a, b in zip(gold_rows, got_rows, strict=False):
            if not _same_row(a, b):
                return f"{reason}; first differing rows: expected {list(a)}, got {list(b)}"
    return reason


def _row_key(row: tuple[Any, ...]) -> tuple[tuple[int, Any], ...]:
    return tuple(_sort_key(v) for v in row)


def _preview(rows: list[tuple[Any, ...]], n: int = 3) -> str:
    shown = [list(r) for r in rows[:n]]
    return f"{shown}{' ...' if len(rows) > n else ''}"


def _short(text: Any, limit: int = 120) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


# -- reporting --------------------------------------------------------------------------------


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
    lines += [f"  {w['id']}: expected {w['expected']}, used {', '.join(w['used'])}"
              for w in wrong]
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
