"""Block Kit messages from an Answer: pure functions, no I/O, never fail on size.

A reply reads top to bottom as: the one-sentence answer, a small monospace table, the governed
definitions it used (name, version, file:line, hash, owner, overrides in bold), then buttons.
Every button value carries the answer id, so a click that arrives later (or on another worker)
can find the answer again in memory or in the query log.

Slack rejects a whole message that breaks one limit, so each limit below is met by truncating
with a visible note instead: a long answer still arrives, shortened, rather than not at all.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from assistant.answer import Answer, DefinitionUsed

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK_TEXT = 40_000

TABLE_ROWS = 15
TABLE_WIDTH = 80  # characters a code block shows on a laptop before it wraps
CELL_MAX = 32
CELL_MIN = 10  # narrower cells read as noise; leave columns out instead
MAX_DEFINITION_BUTTONS = 4
MAX_CANDIDATE_BUTTONS = 3 * MAX_ACTIONS_ELEMENTS

SHOW_SQL = "show_sql"
SHOW_DEFINITION = "show_definition"
DOWNLOAD_CSV = "download_csv"
FEEDBACK_UP = "feedback_up"
FEEDBACK_DOWN = "feedback_down"
CLARIFY_CHOICE = "clarify_choice"

# User-facing wording of the Slack surface (the pipeline's own wording is in messages.py).
WORKING = "Working on: {question}"
ASKED_BY = "<@{user}> asked: {question}"
REFERENCE = "Reference `{ref}`"
ERROR_PLAIN = (
    "I couldn't answer that because of a problem on my side. The data team can look it up "
    "with reference `{ref}`."
)
TRUNCATED = "… (shortened to fit Slack; the full record is in the query log as `{ref}`)"
MORE_BLOCKS = (
    "… {n} more parts left out to fit Slack. The full record is in the query log as `{ref}`."
)
MORE_CANDIDATES = "… and {n} more. Ask again more precisely to see them."
TABLE_FOOTER_ROWS = "first {shown:,} of {total:,} rows"
TABLE_FOOTER_COLUMNS = "{n} more column{s} ({names})"
TABLE_FOOTER_CSV = "Download CSV for everything"
ROW_CAP_NOTE = "the result hit the row cap, so it holds only the first {n:,} rows"
CHOSEN = "<@{user}> chose *{label}*."
SQL_HEADER = "SQL of answer `{ref}`: compiled from the governed definitions, validated, read-only."
NO_SQL = "Answer `{ref}` has no SQL: it came from the definitions themselves, not a query."
DEFINITION_HEADER = "Governed definition {summary}"
DEFINITION_CHANGED = (
    ":warning: `{name}` has changed since answer `{ref}` was given (hash then `{then}`, now "
    "`{now}`). The YAML below is the current one."
)
FEEDBACK_THANKS = {
    "up": "Thanks, your :+1: on answer `{ref}` is recorded.",
    "down": "Thanks, your :-1: on answer `{ref}` is recorded; the data team reviews these.",
}
FEEDBACK_FAILED = "I couldn't record that vote: answer `{ref}` is not in the query log."
ANSWER_GONE = (
    "I can't find answer `{ref}` any more (it is not in the query log). Ask the question again."
)
CSV_COMMENT = "All {rows:,} rows of answer `{ref}` as CSV{note}."
CSV_RERUN = "; answer `{old}` had left my memory, so I re-ran its logged plan as `{ref}`"

# Errors whose message is worded for people (messages.py grammar); anything else may hold
# raw exception text, which a Slack user never sees.
_WORDED_ERRORS = ("CompileError(", "SqlRejected(", "ExecutionError(timeout)", "ConfigError(")


@dataclass(frozen=True)
class SlackMessage:
    """Keyword arguments for chat.postMessage / chat.update / respond: fallback text + blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


# -- public renderers ----------------------------------------------------------------------


def render_answer(
    answer: Answer, *, asked_by: str | None = None, table_rows: int = TABLE_ROWS
) -> SlackMessage:
    """The reply to a question, whatever its status."""
    blocks: list[dict[str, Any]] = []
    if asked_by:
        blocks.append(_context([ASKED_BY.format(user=asked_by, question=escape(answer.question))]))
    if answer.status == "answered":
        blocks += _answered(answer, table_rows)
    elif answer.status == "clarify":
        blocks += _clarify(answer)
    elif answer.status == "refused":
        blocks.append(_section(escape(answer.message), answer.id))
        blocks.append(_context([REFERENCE.format(ref=answer.id)]))
    else:
        blocks.append(_section(error_text(answer), answer.id))
    text = error_text(answer) if answer.status == "error" else escape(answer.message)
    return SlackMessage(_clip(text, MAX_FALLBACK_TEXT, answer.id), fit_blocks(blocks, answer.id))


def render_clarification_closed(answer: Answer, *, label: str, user: str | None) -> SlackMessage:
    """The clarification once a choice was made: the question stays, the buttons go."""
    blocks = [
        _section(escape(answer.message), answer.id),
        _context([CHOSEN.format(user=user or "someone", label=escape(label))]),
    ]
    return SlackMessage(_clip(escape(answer.message), MAX_FALLBACK_TEXT, answer.id), blocks)


def render_sql(answer_id: str, sql: str | None) -> SlackMessage:
    if not sql:
        text = NO_SQL.format(ref=answer_id)
        return SlackMessage(text, [_section(text, answer_id)])
    header = SQL_HEADER.format(ref=answer_id)
    blocks = [_section(header, answer_id), *_code_sections(sql, "sql")]
    return SlackMessage(header, fit_blocks(blocks, answer_id))


def render_definition(
    yaml_text: str,
    current: DefinitionUsed,
    *,
    used: DefinitionUsed | None = None,
    answer_id: str = "",
) -> SlackMessage:
    """The governed YAML block; warns when it changed since the answer used it."""
    header = DEFINITION_HEADER.format(summary=definition_summary(current))
    blocks = [_section(header, answer_id)]
    if used is not None and used.hash != current.hash:
        warning = DEFINITION_CHANGED.format(
            name=current.name, ref=answer_id, then=used.hash, now=current.hash
        )
        blocks.append(_context([warning]))
    blocks += _code_sections(yaml_text, "")
    return SlackMessage(_clip(header, MAX_FALLBACK_TEXT, answer_id), fit_blocks(blocks, answer_id))


def render_notice(text: str) -> SlackMessage:
    """A one-paragraph reply (help, acknowledgements); `text` is already mrkdwn."""
    return SlackMessage(_clip(text, MAX_FALLBACK_TEXT, ""), [_section(text, "")])


def render_error(reference: str) -> SlackMessage:
    return render_notice(ERROR_PLAIN.format(ref=reference))


def error_text(answer: Answer) -> str:
    """What a Slack user reads for an error: worded, with the reference, never raw exceptions."""
    reason = answer.error
    worded = reason is None or reason.startswith(_WORDED_ERRORS)  # None: a planner's PlanError
    if worded and answer.message:
        return f"{escape(answer.message)} {REFERENCE.format(ref=answer.id)}."
    if reason and reason.startswith("internal") and answer.id in answer.message:
        return escape(answer.message)  # messages.INTERNAL_ERROR already names the reference
    return ERROR_PLAIN.format(ref=answer.id)


def definition_summary(d: DefinitionUsed) -> str:
    """`name` v1 · `dir/file.yml:12` · hash `abc` · owner team · *param = 5 (override)*"""
    name = f"`{d.name}`" + (f" (member `{d.member}`)" if d.member else "")
    parts = [f"{name} v{d.version}", f"`{short_source(d.source)}`", f"hash `{d.hash}`"]
    if d.owner:
        parts.append(f"owner {escape(d.owner)}")
    if d.overrides:
        parts.append(
            "*" + ", ".join(f"{k} = {_number(v)}" for k, v in d.overrides.items()) + " (override)*"
        )
    return " · ".join(parts)


def short_source(source: str) -> str:
    """`/abs/path/semantic_models/churn.yml:41` -> `semantic_models/churn.yml:41`."""
    file, sep, line = source.rpartition(":")
    if not sep or not line.isdigit():
        file, line = source, ""
    parts = PurePath(file).parts[-2:]
    return "/".join(parts) + (f":{line}" if line else "")


def button_value(answer_id: str, **fields: Any) -> str:
    """Compact JSON a button carries back: always the answer id, plus what the click needs."""
    value = {"id": answer_id, **{k: v for k, v in fields.items() if v is not None}}
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if len(text) > MAX_BUTTON_VALUE:  # only a freak choice token gets here; the index remains
        value = {k: v for k, v in value.items() if k in ("id", "n", "definition")}
        text = json.dumps(value, separators=(",", ":"))[:MAX_BUTTON_VALUE]
    return text


def read_button_value(value: str | None) -> dict[str, Any]:
    """The dict `button_value` made; {} for anything else (a click never raises)."""
    try:
        data = json.loads(value or "")
    except ValueError:
        return {}
    return data if isinstance(data, dict) and isinstance(data.get("id"), str) else {}


def csv_text(columns: list[str], rows: list[list[Any]]) -> str:
    """Every row as CSV; numbers exact (Decimal as written, floats round-trip), dates ISO."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue()


def escape(text: str) -> str:
    """Slack mrkdwn control characters; the only escaping Slack asks for."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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
    numeric = [_is_numeric_column([r[i] for r in rows if i < len(r)]) for i in range(kept)]

    def line(values: list[str]) -> str:
        out = []
        for i, w in enumerate(widths):
            value = _fit(values[i] if i < len(values) else "", w)
            out.append(value.rjust(w) if numeric[i] else value.ljust(w))
        return "  ".join(out).rstrip()

    lines = [line(columns[:kept]), "  ".join("-" * w for w in widths)]
    lines += [line(r) for r in cells]
    return "\n".join(lines), list(columns[kept:])


def fit_blocks(blocks: list[dict[str, Any]], ref: str) -> list[dict[str, Any]]:
    """At most MAX_BLOCKS, keeping the last actions block (the buttons) when there is one."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    tail = [blocks[-1]] if blocks[-1].get("type") == "actions" else []
    keep = MAX_BLOCKS - 1 - len(tail)
    note = _context([MORE_BLOCKS.format(n=len(blocks) - keep - len(tail), ref=ref)])
    return [*blocks[:keep], note, *tail]


# -- the parts of an answer -----------------------------------------------------------------


def _answered(answer: Answer, table_rows: int) -> list[dict[str, Any]]:
    blocks = [_section(escape(answer.message), answer.id)]
    shown = 0
    hidden_columns: list[str] = []
    single_value = (
        len(answer.columns) == 1 and len(answer.rows) == 1 and _is_numeric_column(answer.rows[0])
    )  # "There are 127 engaged users." already says it
    if single_value:
        shown = 1
    elif answer.columns and answer.rows:
        table, shown, hidden_columns = _table_section(answer, table_rows)
        blocks.append(table)
    if answer.definitions:
        defs = [f"Definition: {definition_summary(d)}" for d in answer.definitions]
        if len(defs) > MAX_CONTEXT_ELEMENTS:
            extra = len(defs) - (MAX_CONTEXT_ELEMENTS - 1)
            defs = [*defs[: MAX_CONTEXT_ELEMENTS - 1], f"… and {extra} more definitions"]
        blocks.append(_context(defs))
    timing = answer.timings_ms.get("total")
    reference = REFERENCE.format(ref=answer.id) + (f" · {timing:,.0f} ms" if timing else "")
    blocks.append(_context([reference]))
    more_rows = answer.row_count > shown or answer.truncated
    blocks.append(_answer_buttons(answer, csv=bool(more_rows or hidden_columns)))
    return blocks


def _table_section(answer: Answer, table_rows: int) -> tuple[dict[str, Any], int, list[str]]:
    """The first rows as a code block; fewer rows if the text would pass Slack's limit."""
    rows = answer.rows[: max(1, table_rows)]
    while True:
        text, hidden = table_text(answer.columns, rows)
        notes = []
        if answer.row_count > len(rows):
            notes.append(TABLE_FOOTER_ROWS.format(shown=len(rows), total=answer.row_count))
        if hidden:
            names = ", ".join(hidden[:5]) + (", …" if len(hidden) > 5 else "")
            notes.append(
                TABLE_FOOTER_COLUMNS.format(
                    n=len(hidden), s="s" * (len(hidden) > 1), names=escape(names)
                )
            )
        if notes:
            notes.append(TABLE_FOOTER_CSV)
        body = f"```\n{escape(text)}\n```" + (f"\n_{' · '.join(notes)}_" if notes else "")
        if len(body) <= MAX_SECTION_TEXT or len(rows) <= 1:
            return _section(body, answer.id), len(rows), hidden
        rows = rows[: len(rows) - 1]


def _answer_buttons(answer: Answer, *, csv: bool) -> dict[str, Any]:
    buttons = []
    if answer.sql:
        buttons.append(_button("Show SQL", SHOW_SQL, button_value(answer.id)))
    definitions = answer.definitions[:MAX_DEFINITION_BUTTONS]
    for i, d in enumerate(definitions):
        label = "Show definition" if len(definitions) == 1 else f"Definition: {d.name}"
        buttons.append(
            _button(label, f"{SHOW_DEFINITION}:{i}", button_value(answer.id, definition=d.name))
        )
    if csv:
        buttons.append(_button("Download CSV", DOWNLOAD_CSV, button_value(answer.id)))
    buttons.append(_button(":+1:", FEEDBACK_UP, button_value(answer.id)))
    buttons.append(_button(":-1:", FEEDBACK_DOWN, button_value(answer.id)))
    return {"type": "actions", "block_id": f"answer:{answer.id}", "elements": buttons}


def _clarify(answer: Answer) -> list[dict[str, Any]]:
    blocks = [_section(escape(answer.message), answer.id)]
    candidates = answer.candidates
    lines = []
    for c in candidates:
        name = f"`{c.get('name')}`" + (f" › `{c['member']}`" if c.get("member") else "")
        label = escape(str(c.get("label") or c.get("name") or ""))
        description = escape(str(c.get("description") or ""))
        lines.append(f"• *{label}* ({name}): {description}")
    if lines:
        blocks.append(_section("\n".join(lines), answer.id))
    shown = candidates[:MAX_CANDIDATE_BUTTONS]
    buttons = [
        _button(
            str(c.get("label") or c.get("name") or c.get("choice")),
            f"{CLARIFY_CHOICE}:{i}",
            button_value(answer.id, choice=c.get("choice"), n=i),
        )
        for i, c in enumerate(shown)
    ]
    for start in range(0, len(buttons), MAX_ACTIONS_ELEMENTS):
        blocks.append(
            {
                "type": "actions",
                "block_id": f"clarify:{answer.id}:{start}",
                "elements": buttons[start : start + MAX_ACTIONS_ELEMENTS],
            }
        )
    notes = [REFERENCE.format(ref=answer.id)]
    if len(candidates) > len(shown):
        notes.insert(0, MORE_CANDIDATES.format(n=len(candidates) - len(shown)))
    blocks.append(_context(notes))
    return blocks


# -- Block Kit primitives -------------------------------------------------------------------


def _section(text: str, ref: str) -> dict[str, Any]:
    clipped = _clip(text, MAX_SECTION_TEXT, ref)
    return {"type": "section", "text": {"type": "mrkdwn", "text": clipped}}


def _context(texts: list[str]) -> dict[str, Any]:
    elements = [
        {"type": "mrkdwn", "text": _clip(t, MAX_SECTION_TEXT, "")}
        for t in texts[:MAX_CONTEXT_ELEMENTS]
    ]
    return {"type": "context", "elements": elements}


def _button(text: str, action_id: str, value: str) -> dict[str, Any]:
    if len(text) > MAX_BUTTON_TEXT:
        text = text[: MAX_BUTTON_TEXT - 1] + "…"
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text or "?", "emoji": True},
        "action_id": action_id,
        "value": value,
    }


def _code_sections(code: str, language: str) -> list[dict[str, Any]]:
    """Code split by lines into as many code-block sections as Slack's text limit needs."""
    budget = MAX_SECTION_TEXT - len(f"```{language}\n\n```")
    chunks: list[str] = []
    current = ""
    for raw in escape(code).splitlines() or [""]:
        pieces = [raw[i : i + budget] for i in range(0, len(raw), budget)] or [""]
        for piece in pieces:
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) > budget and current:
                chunks.append(current)
                candidate = piece
            current = candidate
    chunks.append(current)
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"```{language}\n{c}\n```"}}
        for c in chunks
    ]


def _clip(text: str, limit: int, ref: str) -> str:
    if len(text) <= limit:
        return text
    note = TRUNCATED.format(ref=ref) if ref else "…"
    cut = text[: max(0, limit - len(note))]
    cut = re.sub(r"&[a-z]{0,4}$", "", cut)  # never split an escape like &amp;
    if cut.count("```") % 2:  # close a code block the cut left open
        cut = cut[: max(0, limit - len(note) - 4)] + "\n```"
    return cut + note


# -- cell values ------------------------------------------------------------------------------


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


def _is_numeric_column(values: list[Any]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(
        isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in present
    )


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
