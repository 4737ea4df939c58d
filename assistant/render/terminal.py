"""The readable terminal answer: sentence, small table, definition used, SQL on request."""

from __future__ import annotations

from typing import Any

from assistant.answer import Answer, json_value
from assistant.render.provenance import cached_words

MAX_ROWS = 20
MAX_WIDTH = 28


def _cell(value: Any) -> str:
    value = json_value(value)
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) < 1 else f"{value:,.2f}"
    else:
        text = str(value)
    return text if len(text) <= MAX_WIDTH else text[: MAX_WIDTH - 1] + "…"


def table(columns: list[str], rows: list[list[Any]], limit: int = MAX_ROWS) -> str:
    shown = [[_cell(v) for v in row] for row in rows[:limit]]
    widths = [max([len(c)] + [len(r[i]) for r in shown]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in shown]
    if len(rows) > limit:
        lines.append(f"… {len(rows) - limit:,} more rows (use --json or --csv for all)")
    return "\n".join(lines)


def render(answer: Answer, *, show_sql: bool = False) -> str:
    parts = [answer.message]
    if answer.status == "clarify":
        for i, c in enumerate(answer.candidates, 1):
            parts.append(f"  {i}. {c['label']} [{c['choice']}] - {c['description']}")
        parts.append('Ask again naming one, or pass --choice NAME[:MEMBER].')
    single_value = len(answer.rows) == 1 and len(answer.columns) == 1
    if answer.columns and answer.status == "answered" and not single_value:
        parts += ["", table(answer.columns, answer.rows)]
    for d in answer.definitions:
        overrides = ", ".join(f"{k}={v:g}" for k, v in d.overrides.items())
        member = f" member `{d.member}`" if d.member else ""
        parts.append(
            f"Definition: {d.name}{member} v{d.version} ({d.kind}, {d.source}, hash {d.hash}"
            + (f", owner {d.owner}" if d.owner else "")
            + (f", overrides {overrides}" if overrides else "") + ")"
            + (f"\n  {d.fit}" if d.fit else "")
        )
    if answer.cached_at:
        parts.append(cached_words(answer.cached_at))
    if answer.status in ("error", "refused") and answer.id not in answer.message:
        parts.append(f"Reference: {answer.id}")
    if show_sql and answer.sql:
        parts += ["", answer.sql]
    return "\n".join(parts)
