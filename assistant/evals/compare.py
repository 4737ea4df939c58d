"""Execution accuracy, the SPEC §5 way: are the product's rows the gold query's rows?

Products are free to name, order and add columns, so the comparison looks for *some* choice of
the answer's columns (as many as the gold has, in any order) whose rows form the same multiset
as the gold rows. When they differ, `row_difference` says how, for the failure report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from datetime import time as dtime
from decimal import Decimal
from typing import Any

REL_TOL = 1e-6
# Relative tolerance alone fails on float noise around zero (0.1 + 0.2 - 0.3 vs 0).
ABS_TOL = 1e-9
_FALLBACK_MATCH_LIMIT = 5000


def _norm(value: Any) -> Any:
    """One representation per value: numbers as float, dates as ISO text, NaN as NULL.

    A timestamp at midnight is the calendar day it starts ("2026-04-01T00:00:00" from a
    gold's DATE_TRUNC over a timestamp is the cohort DATE 2026-04-01)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | Decimal):
        return float(value)
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, datetime) and value.time() == dtime(0) and value.tzinfo is None:
        return value.date().isoformat()
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


def row_difference(
    gold_columns: list[str],
    gold_rows: Sequence[Sequence[Any]],
    columns: list[str],
    rows: list[list[Any]],
    truncated: bool,
) -> str:
    """Why `compare_results` said no: both shapes, a preview, the first differing rows."""

    def shape(n_rows: int, cols: Sequence[str]) -> str:
        return f"{n_rows} row{'s' * (n_rows != 1)} x ({', '.join(cols)})"

    expected = sorted((tuple(_norm(v) for v in r) for r in gold_rows), key=_row_key)
    got_rows = sorted((tuple(_norm(v) for v in r) for r in rows), key=_row_key)
    reason = (
        f"expected {shape(len(expected), gold_columns)} e.g. {_preview(expected)}; "
        f"got {shape(len(got_rows), columns)} e.g. {_preview(got_rows)}"
    )
    if truncated:
        reason += "; the answer was truncated"
    if got_rows and len(got_rows[0]) == len(gold_columns):
        for a, b in zip(expected, got_rows, strict=False):
            if not _same_row(a, b):
                return f"{reason}; first differing rows: expected {list(a)}, got {list(b)}"
    return reason


def _row_key(row: tuple[Any, ...]) -> tuple[tuple[int, Any], ...]:
    return tuple(_sort_key(v) for v in row)


def _preview(rows: list[tuple[Any, ...]], n: int = 3) -> str:
    shown = [list(r) for r in rows[:n]]
    return f"{shown}{' ...' if len(rows) > n else ''}"
