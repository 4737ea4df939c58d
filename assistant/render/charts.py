"""PNG charts for answers a picture reads better than a table: retention matrices and bars.

matplotlib is imported on first use (it costs about half a second), and only its object API
with the Agg canvas is used: no pyplot, so no global figure state shared between the Slack
worker threads. A lock still serialises drawing, because matplotlib makes no thread-safety
promise for its text and font caches.
"""

from __future__ import annotations

import io
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from assistant.answer import Answer
from assistant.render.provenance import chart_caption, plan_title
from assistant.render.shape import Shaped, format_cell, shape

MAX_BARS = 30
MAX_HEATMAP_CELLS_ANNOTATED = 400
RETENTION_COLUMNS = ("cohort_month", "month_number", "retention_rate")
_DRAWING = threading.Lock()


def chart_for(answer: Answer, catalog: Any = None) -> bytes | None:
    """A PNG when the answer's shape suits a chart, else None (the table is enough).

    Time runs left to right (a line, or columns for few periods, the period still under way
    marked as partial), two dimensions are stacked bars, one dimension horizontal bars in the
    reply's order. Every chart is titled in words with its as-of date and definitions, so a
    forwarded image still says what it shows.
    """
    if answer.status != "answered" or not answer.rows:
        return None
    title = plan_title(answer, catalog)
    caption = chart_caption(answer)
    intent = (answer.plan or {}).get("intent")
    columns = answer.columns
    if intent == "retention" and all(c in columns for c in RETENTION_COLUMNS):
        cohorts = {row[columns.index("cohort_month")] for row in answer.rows}
        months = {row[columns.index("month_number")] for row in answer.rows}
        if len(cohorts) >= 2 and len(months) >= 2:
            return retention_heatmap(columns, answer.rows, title=title, caption=caption)
        return None
    if intent not in ("breakdown", "distribution") or len(answer.rows) < 2:
        return None
    shaped = shape(answer, catalog)
    if shaped.pivoted and len(shaped.rows) <= MAX_BARS:
        return stacked_bars(shaped, title=title, caption=caption)
    if len(shaped.columns) != 2 or len(shaped.rows) > MAX_BARS * 4:
        return None
    if shaped.kinds[0] in ("number", "percent") and shaped.kinds[1] not in ("number", "percent"):
        shaped = Shaped([*reversed(shaped.columns)], [*reversed(shaped.labels)],
                        [*reversed(shaped.kinds)], [[r[1], r[0]] for r in shaped.rows],
                        time_column=None, grain=shaped.grain)
    if shaped.kinds[1] not in ("number", "percent"):
        return None
    if shaped.time_column == 0:
        partial = _partial_last(shaped, answer.as_of)
        return time_chart(shaped, title=title, caption=caption, partial=partial)
    if len(shaped.rows) <= MAX_BARS:
        rows = [[row[0], row[1]] for row in shaped.rows]
        return bar_chart(shaped.labels, rows, title=title, caption=caption)
    return None


def _partial_last(shaped: Shaped, as_of: str | None) -> bool:
    """Whether the last period is still under way at the as-of date (not a whole period)."""
    if not as_of or not shaped.rows or shaped.grain in (None, "day"):
        return False
    last = shaped.rows[-1][0]
    try:
        start = last if isinstance(last, date) else date.fromisoformat(str(last)[:10])
        end = date.fromisoformat(as_of[:10])
    except ValueError:
        return False
    if isinstance(start, datetime):
        start = start.date()
    following = {
        "week": start + timedelta(days=7),
        "month": _add_months(start, 1),
        "quarter": _add_months(start, 3),
        "year": date(start.year + 1, 1, 1),
    }.get(shaped.grain or "")
    return following is not None and end < following - timedelta(days=1)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def time_chart(shaped: Shaped, *, title: str, caption: str, partial: bool) -> bytes:
    """A metric over time, left to right: columns for a few periods, a line for many."""
    labels = [format_cell(row[0], "time", shaped.grain) for row in shaped.rows]
    values = [float(row[1]) if row[1] is not None else 0.0 for row in shaped.rows]
    if partial:
        labels[-1] += "\n(partial)"
    with _DRAWING:
        figure, canvas = _figure(width=max(6.0, 0.4 * len(labels) + 2), height=3.6)
        axes = figure.add_subplot()
        positions = list(range(len(values)))
        if len(values) <= 12:
            colours = ["#4a7ebb"] * len(values)
            if partial:
                colours[-1] = "#b8cce4"
            axes.bar(positions, values, color=colours)
        else:
            axes.plot(positions, values, color="#4a7ebb", marker="o", markersize=3)
            if partial:
                axes.plot(positions[-2:], values[-2:], color="#b8cce4", linestyle="--")
        step = max(1, len(labels) // 12)
        axes.set_xticks(positions[::step], labels[::step], rotation=45, ha="right", fontsize=7)
        axes.set_ylabel(shaped.labels[1])
        if shaped.kinds[1] == "percent":
            axes.yaxis.set_major_formatter(_percent_formatter())
        _titles(figure, axes, title, caption)
        return _png(figure, canvas)


def stacked_bars(shaped: Shaped, *, title: str, caption: str) -> bytes:
    """Two dimensions: one bar per row of the pivot, stacked by the columns' values."""
    labels = [format_cell(row[0], shaped.kinds[0], shaped.grain) for row in shaped.rows]
    series = shaped.labels[1:]
    with _DRAWING:
        figure, canvas = _figure(width=max(6.0, 0.5 * len(labels) + 3), height=4.0)
        axes = figure.add_subplot()
        positions = list(range(len(labels)))
        bottoms = [0.0] * len(labels)
        for j, name in enumerate(series):
            values = [float(row[j + 1] or 0) for row in shaped.rows]
            axes.bar(positions, values, bottom=bottoms, label=name)
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        axes.set_xticks(positions, labels, rotation=30, ha="right", fontsize=7)
        axes.set_xlabel(shaped.labels[0])
        axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        _titles(figure, axes, title, caption)
        return _png(figure, canvas)


def _titles(figure: Any, axes: Any, title: str, caption: str) -> None:
    axes.set_title(_short(title), fontsize=10)
    if caption:
        figure.supxlabel(_short(caption, 140), fontsize=7, color="#555555")


def retention_heatmap(
    columns: list[str], rows: list[list[Any]], *, title: str = "", caption: str = ""
) -> bytes:
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
        # Month 0 is near 100% by construction; scale to months 1+ so their spread shows.
        later = [rate for line in grid for rate in line[1:] if rate == rate]
        top = min(1.0, max(later) * 1.1) if later and max(later) > 0 else 1.0
        image = axes.imshow(grid, cmap="Blues", vmin=0, vmax=top, aspect="auto")
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
                            color="white" if rate > 0.55 * top else "black",
                        )
        figure.colorbar(image, ax=axes, format=_percent_formatter(), label="retention rate")
        _titles(figure, axes, title or "Cohort retention", caption)
        return _png(figure, canvas)


def bar_chart(
    columns: list[str], rows: list[list[Any]], *, title: str = "", caption: str = ""
) -> bytes:
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
        _titles(figure, axes, title or f"{columns[1]} by {columns[0]}", caption)
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
