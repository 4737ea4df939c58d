"""Result rows shaped for reading: human labels, a useful order, two dimensions pivoted.

The SQL answers in the order the compiler chose (often alphabetical); a reader wants the
biggest group first, tiers and stages in their governed order, months in time order, and a
two-dimension breakdown as a grid instead of a long list where a whole tier can fall below
the cut. Values keep their types here; `format_cell` words them for display. Pure functions:
the Slack table, the chart and the terminal all take the same `Shaped`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from assistant.answer import Answer

MAX_PIVOT_COLUMNS = 19  # Slack's table block holds 20 cells a row; one is the row label
PERCENT_COLUMNS = ("share", "rate", "retention_rate", "pct", "percent")
GRAINS = ("day", "week", "month", "quarter", "year")


@dataclass(frozen=True)
class Shaped:
    """Rows ready to show: `labels` for the header, `kinds` per column (number, percent,
    time or text), and the raw values in display order."""

    columns: list[str]
    labels: list[str]
    kinds: list[str]
    rows: list[list[Any]]
    pivoted: bool = False
    time_column: int | None = None  # index of a time axis, for a line/column chart
    grain: str | None = None
    notes: list[str] = field(default_factory=list)


def shape(answer: Answer, catalog: Any = None) -> Shaped:
    """The answer's rows as they read best; never drops a row or a value."""
    columns, rows = list(answer.columns), [list(r) for r in answer.rows]
    plan = answer.plan if isinstance(answer.plan, dict) else {}
    grain = _grain(plan)
    kinds = [_kind(c, [r[i] for r in rows if i < len(r)]) for i, c in enumerate(columns)]
    orders = [_natural_order(c, catalog, plan) for c in columns]
    if _is_breakdown(plan, kinds) and not plan.get("order"):
        rows = _sorted(rows, kinds, orders)
    if _pivotable(plan, kinds, rows):
        return _pivot(columns, kinds, orders, rows, catalog, plan, grain)
    labels = [column_label(c, catalog, plan) for c in columns]
    time = next((i for i, k in enumerate(kinds) if k == "time"), None)
    shown = [[_display_value(c, v, catalog, plan) for c, v in zip(columns, r, strict=False)]
             for r in rows]
    return Shaped(columns, labels, kinds, shown, time_column=time, grain=grain)


def column_label(column: str, catalog: Any = None, plan: dict[str, Any] | None = None) -> str:
    """"plan" -> "Plan", "tier" -> "Churn risk", "signup_month" -> "Signup month"."""
    if catalog is not None:
        if column in catalog.dimensions:
            return str(catalog.dimensions[column].label)
        if column in catalog.metrics:
            return str(catalog.metrics[column].label)
        segment = _segment(catalog, plan)
        if segment is not None and column == segment.member_column:
            return str(segment.label)
    words = column.replace("_", " ").strip()
    return (words[:1].upper() + words[1:]) or column


def format_cell(value: Any, kind: str, grain: str | None = None) -> str:
    """A value as a reader wants it: 12,345 · 1,234.50 · 12.3% · Jan 2026 · (none)."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "percent" and isinstance(value, int | float | Decimal):
        return f"{float(value):.1%}"
    if kind == "id":
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Decimal | float):
        number = float(value)
        if number != number:
            return "–"
        return f"{number:,.0f}" if number.is_integer() and abs(number) >= 1000 else (
            f"{number:,.2f}")
    if kind == "time":
        return _date_words(value, grain)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).split())


# -- helpers ------------------------------------------------------------------------------------


def _grain(plan: dict[str, Any]) -> str | None:
    for d in plan.get("group_by") or []:
        if d.get("grain"):
            return str(d["grain"])
    return None


def _kind(column: str, values: list[Any]) -> str:
    present = [v for v in values if v is not None]
    numeric = bool(present) and all(
        isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in present
    )
    if numeric:
        percent = column in PERCENT_COLUMNS or column.endswith(("_rate", "_share", "_pct"))
        if column == "month_number" or column.endswith("_id"):
            return "id"
        return "percent" if percent else "number"
    if column.endswith(tuple(f"_{g}" for g in GRAINS)) or column in (
        "cohort_month", "period_start", "month_end", "snapshot_month"
    ):
        return "time"
    if present and all(isinstance(v, date | datetime) for v in present):
        return "date"
    return "text"


def _segment(catalog: Any, plan: dict[str, Any] | None) -> Any:
    name = ((plan or {}).get("segment") or {}).get("name")
    return catalog.segments.get(name) if catalog is not None and name else None


def _natural_order(column: str, catalog: Any, plan: dict[str, Any]) -> list[Any] | None:
    """The governed order of a column's values (tiers, stages), when it has one."""
    segment = _segment(catalog, plan)
    if segment is not None and column == segment.member_column and segment.members:
        return [m.name for m in segment.members]
    return None


def _is_breakdown(plan: dict[str, Any], kinds: list[str]) -> bool:
    return plan.get("intent") in ("breakdown", "distribution") and any(
        k in ("number", "percent") for k in kinds
    )


def _sorted(rows: list[list[Any]], kinds: list[str], orders: list[list[Any] | None]) -> list[
        list[Any]]:
    """Time and governed orders first, then the biggest value first."""
    value = next((i for i in range(len(kinds) - 1, -1, -1) if kinds[i] in ("number", "percent")),
                 None)

    def key(row: list[Any]) -> tuple[Any, ...]:
        parts: list[Any] = []
        for i, kind in enumerate(kinds):
            order = orders[i]
            if order is not None:
                parts.append(order.index(row[i]) if row[i] in order else len(order))
            elif kind in ("time", "date"):
                parts.append(str(row[i]))
        if value is not None:
            number = row[value]
            parts.append(-float(number) if number is not None else float("inf"))
        return tuple(parts)

    return sorted(rows, key=key)


def _pivotable(plan: dict[str, Any], kinds: list[str], rows: list[list[Any]]) -> bool:
    if plan.get("intent") not in ("breakdown", "distribution") or len(kinds) != 3:
        return False
    if kinds[2] not in ("number", "percent") or kinds[0] in ("number", "percent", "id"):
        return False
    if kinds[1] in ("number", "percent", "id"):
        return False
    across = {r[1] for r in rows}
    return 2 <= len(across) <= MAX_PIVOT_COLUMNS and len({(r[0], r[1]) for r in rows}) == len(
        rows)


def _pivot(columns: list[str], kinds: list[str], orders: list[list[Any] | None],
           rows: list[list[Any]], catalog: Any, plan: dict[str, Any], grain: str | None
           ) -> Shaped:
    """Rows by the first dimension, one column per value of the second."""
    down, across = _axis(rows, 0, kinds, orders), _axis(rows, 1, kinds, orders)
    cells = {(r[0], r[1]): r[2] for r in rows}
    values = [[cells.get((d, a)) for a in across] for d in down]
    shown = [[_display_value(columns[0], d, catalog, plan), *line]
             for d, line in zip(down, values, strict=True)]
    labels = [column_label(columns[0], catalog, plan)] + [
        str(_display_value(columns[1], a, catalog, plan)) for a in across]
    value_kind = kinds[2]
    note = f"{column_label(columns[2], catalog, plan)} by " + (
        f"{labels[0].lower()} and {column_label(columns[1], catalog, plan).lower()}")
    return Shaped(
        [columns[0], *[str(a) for a in across]],
        labels,
        [kinds[0], *[value_kind] * len(across)],
        shown,
        pivoted=True,
        time_column=0 if kinds[0] == "time" else None,
        grain=grain,
        notes=[note],
    )


def _axis(rows: list[list[Any]], i: int, kinds: list[str], orders: list[list[Any] | None]
          ) -> list[Any]:
    seen = list(dict.fromkeys(r[i] for r in rows))
    order = orders[i]
    if order is not None:
        return sorted(seen, key=lambda v: order.index(v) if v in order else len(order))
    if kinds[i] in ("time", "date"):
        return sorted(seen, key=str)
    totals: dict[Any, float] = {}
    for r in rows:
        totals[r[i]] = totals.get(r[i], 0.0) + float(r[2] or 0)
    return sorted(seen, key=lambda v: -totals[v])


def _display_value(column: str, value: Any, catalog: Any, plan: dict[str, Any]) -> Any:
    """Governed labels for governed values ("high" -> "High churn risk"); others unchanged."""
    if not isinstance(value, str) or catalog is None:
        return value
    segment = _segment(catalog, plan)
    if segment is not None and column == segment.member_column:
        member = segment.member(value)
        return member.label if member else value
    dimension = catalog.dimensions.get(column)
    if dimension is not None:
        match = next((v for v in dimension.values if v.value == value), None)
        return match.label if match else value
    return value


def _date_words(value: Any, grain: str | None) -> str:
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    if isinstance(day, datetime):
        day = day.date()
    if grain == "year":
        return str(day.year)
    if grain == "quarter":
        return f"Q{(day.month - 1) // 3 + 1} {day.year}"
    if grain in ("month", None) and day.day == 1:
        return f"{day:%b %Y}"
    if grain == "week":
        return f"week of {day.day} {day:%b %Y}"
    return f"{day.day} {day:%b %Y}"
