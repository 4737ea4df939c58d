"""PNG charts for answers a picture reads better than a table: retention matrices and bars.

matplotlib is imported on first use (it costs about half a second), and only its object API
with the Agg canvas is used: no pyplot, so no global figure state shared between the Slack
worker threads. A lock still serialises drawing, because matplotlib makes no thread-safety
promise for its text and font caches.
"""

from __future__ import annotations

import io
import threading
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from assistant.answer import Answer

MAX_BARS = 30
MAX_HEATMAP_CELLS_ANNOTATED = 400
RETENTION_COLUMNS = ("cohort_month", "month_number", "retention_rate")
_DRAWING = threading.Lock()


def chart_for(answer: Answer) -> bytes | None:
    """A PNG when the answer's shape suits a chart, else None (the table is enough)."""
    if answer.status != "answered" or not answer.rows:
        return None
    intent = (answer.plan or {}).get("intent")
    columns = answer.columns
    if intent == "retention" and all(c in columns for c in RETENTION_COLUMNS):
        cohorts = {row[columns.index("cohort_month")] for row in answer.rows}
        months = {row[columns.index("month_number")] for row in answer.rows}
        if len(cohorts) >= 2 and len(months) >= 2:
            return retention_heatmap(columns, answer.rows, title=answer.message)
        return None
    bars = intent in ("breakdown", "distribution") and len(columns) == 2
    if bars and 2 <= len(answer.rows) <= MAX_BARS:
        kinds = [_kind([row[i] for row in answer.rows]) for i in range(2)]
        if sorted(kinds) == ["category", "number"]:
            label, value = (0, 1) if kinds[0] == "category" else (1, 0)
            rows = [[row[label], row[value]] for row in answer.rows]
            return bar_chart([columns[label], columns[value]], rows, title=answer.message)
    return None


def retention_heatmap(columns: list[str], rows: list[list[Any]], *, title: str = "") -> bytes:
    """Cohort month (rows) x months since signup (columns), coloured by retention rate."""
    c, m, r = (columns.index(name) for name in RETENTION_COLUMNS)
    cohorts = sorted({row[c] for row in rows})
    months = sorted({int(row[m]) for row in rows})
    grid = [[float("nan")] * len(months) for _ in cohorts]
    for row in rows:
        if row[r] is not None:
            grid[cohorts.index(row[c])][months.index(int(row[m]))] = float(row[r])

    with _DRAWING:
        figure, canvas = _figure(
            width=max(6.0, 0.45 * len(months) + 2), height=max(3.0, 0.35 * len(cohorts) + 1.5)
        )
        axes = figure.add_subplot()
        image = axes.imshow(grid, cmap="Blues", vmin=0, vmax=1, aspect="auto")
        axes.set_xticks(range(len(months)), [str(n) for n in months])
        axes.set_yticks(range(len(cohorts)), [_label(v, month=True) for v in cohorts])
        axes.set_xlabel("months since signup month")
        axes.set_ylabel("signup cohort")
        if len(cohorts) * len(months) <= MAX_HEATMAP_CELLS_ANNOTATED:
            for y, line in enumerate(grid):
                for x, rate in enumerate(line):
                    if rate == rate:
                        axes.text(
                            x,
                            y,
                            f"{rate:.0%}",
                            ha="center",
                            va="center",
                            fontsize=6,
                            color="white" if rate > 0.55 else "black",
                        )
        figure.colorbar(image, ax=axes, format=_percent_formatter(), label="retention rate")
        axes.set_title(_short(title or "Cohort retention"), fontsize=10)
        return _png(figure, canvas)


def bar_chart(columns: list[str], rows: list[list[Any]], *, title: str = "") -> bytes:
    """Horizontal bars: one category column, one numeric column, in the answer's order."""
    labels = [_label(row[0]) for row in rows]
    values = [float(row[1]) if row[1] is not None else 0.0 for row in rows]
    with _DRAWING:
        figure, canvas = _figure(width=7.0, height=max(2.5, 0.35 * len(rows) + 1.2))
        axes = figure.add_subplot()
        positions = list(range(len(rows)))
        bars = axes.barh(positions, values, color="#4a7ebb")
        axes.set_yticks(positions, labels)
        axes.invert_yaxis()  # first row on top, as in the table
        axes.bar_label(bars, labels=[_value(v) for v in values], padding=3, fontsize=8)
        axes.set_xlabel(columns[1])
        axes.set_ylabel(columns[0])
        axes.margins(x=0.15)
        axes.set_title(_short(title or f"{columns[1]} by {columns[0]}"), fontsize=10)
        return _png(figure, canvas)


def _figure(*, width: float, height: float) -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=110, layout="constrained")
    return figure, FigureCanvasAgg(figure)


def _png(figure: Any, canvas: Any) -> bytes:
    out = io.BytesIO()
    canvas.print_png(out)
    figure.clear()
    return out.getvalue()


def _percent_formatter() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1)


def _kind(values: list[Any]) -> str:
    present = [v for v in values if v is not None]
    if present and all(
        isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in present
    ):
        return "number"
    return "category"


def _label(value: Any, *, month: bool = False) -> str:
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m") if month else value.isoformat()[:10]
    if isinstance(value, str) and month and len(value) >= 7:
        return value[:7]
    return "(none)" if value is None else str(value)


def _value(value: float) -> str:
    if value.is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.3g}"


def _short(text: str, limit: int = 90) -> str:
    text = text.replace("`", "")
    return text if len(text) <= limit else text[: limit - 1] + "…"
