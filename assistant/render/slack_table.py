"""Result rows for Slack: a fixed-width table that fits a code block, and the full CSV.

The table is for reading at a glance (shortened cells, trailing columns left out); the CSV is
for working with the data (every row, numbers exact). Both take plain values, not Answers.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

TABLE_WIDTH = 80  # characters a code block shows on a laptop before it wraps
CELL_MAX = 32
CELL_MIN = 10  # narrower cells read as noise; leave columns out instead


def csv_text(columns: list[str], rows: list[list[Any]]) -> str:
    """Every row as CSV; numbers exact (Decimal as written, floats round-trip), dates ISO."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue()


def table_text(
    columns: list[str], rows: list[list[Any]], *, width: int = TABLE_WIDTH
) -> tuple[str, list[str]]:
    """A fixed-width table of `rows` fitted to `width`; returns (text, left-out columns).

    Columns keep their order; trailing ones are left out when even narrow cells cannot fit,
    and the widest cells are shortened (with `…`) until the rest fits.
    """
    cells = [[_cell(v) for v in row] for row in rows]
    natural = [
        min(CELL_MAX, max([len(col)] + [len(r[i]) for r in cells if i < len(r)]))
        for i, col in enumerate(columns)
    ]
    kept, used = 0, 0
    for w in natural:
        need = min(w, CELL_MIN) + (2 if kept else 0)
        if kept and used + need > width:
            break
        kept, used = kept + 1, used + need
    widths = natural[:kept]
    while sum(widths) + 2 * (kept - 1) > width and max(widths) > CELL_MIN:
        widths[widths.index(max(widths))] -= 1
    numeric = [is_numeric_column([r[i] for r in rows if i < len(r)]) for i in range(kept)]

    def line(values: list[str]) -> str:
        out = []
        for i, w in enumerate(widths):
            value = _fit(values[i] if i < len(values) else "", w)
            out.append(value.rjust(w) if numeric[i] else value.ljust(w))
        return "  ".join(out).rstrip()

    lines = [line(columns[:kept]), "  ".join("-" * w for w in widths)]
    lines += [line(r) for r in cells]
    return "\n".join(lines), list(columns[kept:])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, float):
        if value != value:
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return f"{value:,.0f}"
        return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).split())


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if value != value else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def is_numeric_column(values: list[Any]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(
        isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in present
    )


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


# -- Slack's table block ---------------------------------------------------------------------

MAX_TABLE_ROWS = 100  # Slack: rows of a table block, the header row included
MAX_TABLE_COLUMNS = 20  # Slack: cells in a row
MAX_CELL_TEXT = 200  # our own bound, far under Slack's, so a table stays a table


def table_block(
    labels: list[str],
    kinds: list[str],
    cells: list[list[str]],
    *,
    block_id: str | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """A `table` block of text cells (already formatted); returns it and the left-out labels.

    Numbers are right-aligned, text columns wrap; beyond Slack's 20 columns the rest are left
    out (named, for the footer), beyond its 100 rows the caller has already cut.
    """
    kept = min(len(labels), MAX_TABLE_COLUMNS)

    def cell(text: str) -> dict[str, Any]:
        text = " ".join(text.split()) or "–"
        return {"type": "raw_text", "text": _fit(text, MAX_CELL_TEXT)}

    rows = [[cell(label) for label in labels[:kept]]]
    rows += [[cell(row[i] if i < len(row) else "") for i in range(kept)]
             for row in cells[: MAX_TABLE_ROWS - 1]]
    settings = [
        {"align": "right"} if kind in ("number", "percent", "id") else {"is_wrapped": True}
        for kind in kinds[:kept]
    ]
    block: dict[str, Any] = {"type": "table", "rows": rows, "column_settings": settings}
    if block_id:
        block["block_id"] = block_id[:255]
    return block, list(labels[kept:])
