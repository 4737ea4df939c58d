"""Block Kit messages from an Answer: pure functions, no I/O, never fail on size.

A reply reads top to bottom as: the one-sentence answer, a small monospace table, the governed
definitions it used (name, version, file:line, hash, owner, overrides in bold), then buttons.
Every button value carries the answer id, so a click that arrives later (or on another worker)
can find the answer again in memory or in the query log.

This is the module the Slack app imports; it re-exports the parts it is built from:
`slack_blocks` (Slack's limits, escaping), `slack_table` (table and CSV text) and
`slack_wording` (every sentence shown).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from assistant.answer import Answer, DefinitionUsed
from assistant.render import cards
from assistant.render.provenance import as_of_words, cached_words
from assistant.render.slack_answer import body_blocks, carried_context, provenance_context
from assistant.render.slack_blocks import (
    MAX_ACTIONS_ELEMENTS,
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_BUTTON_VALUE,
    MAX_CONTEXT_ELEMENTS,
    MAX_FALLBACK_TEXT,
    MAX_SECTION_TEXT,
    button,
    clip,
    code_sections,
    context,
    escape,
    fit_blocks,
    section,
)
from assistant.render.slack_table import (
    CELL_MAX,
    CELL_MIN,
    TABLE_WIDTH,
    csv_text,
    table_text,
)
from assistant.render.slack_wording import (
    ANSWER_GONE,
    AS_OF_COUNT,
    ASKED_BY,
    CHOSEN,
    CSV_COMMENT,
    CSV_RERUN,
    DEFINITION_CHANGED,
    DEFINITION_HEADER,
    ERROR_PLAIN,
    FEEDBACK_FAILED,
    FEEDBACK_REASON_THANKS,
    FEEDBACK_THANKS,
    MORE_BLOCKS,
    MORE_CANDIDATES,
    NO_SQL,
    REFERENCE,
    ROW_CAP_NOTE,
    SQL_HEADER,
    TABLE_FOOTER_COLUMNS,
    TABLE_FOOTER_CSV,
    TABLE_FOOTER_ROWS,
    TRUNCATED,
    UNDELIVERED,
    WORKING,
)

__all__ = [
    "ANSWER_GONE",
    "ASKED_BY",
    "CELL_MAX",
    "CELL_MIN",
    "CHOSEN",
    "CLARIFY_CHOICE",
    "CSV_COMMENT",
    "CSV_RERUN",
    "DEFINITION_CHANGED",
    "DEFINITION_HEADER",
    "DOWNLOAD_CSV",
    "ERROR_PLAIN",
    "FEEDBACK_DOWN",
    "FEEDBACK_FAILED",
    "FEEDBACK_REASON_THANKS",
    "FEEDBACK_THANKS",
    "FEEDBACK_UP",
    "MAX_ACTIONS_ELEMENTS",
    "MAX_BLOCKS",
    "MAX_BUTTON_TEXT",
    "MAX_BUTTON_VALUE",
    "MAX_CANDIDATE_BUTTONS",
    "MAX_CONTEXT_ELEMENTS",
    "MAX_DEFINITION_BUTTONS",
    "MAX_FALLBACK_TEXT",
    "MAX_SECTION_TEXT",
    "MORE_BLOCKS",
    "MORE_CANDIDATES",
    "NO_SQL",
    "REFERENCE",
    "ROW_CAP_NOTE",
    "SHOW_DEFINITION",
    "SHOW_SQL",
    "SQL_HEADER",
    "TABLE_FOOTER_COLUMNS",
    "TABLE_FOOTER_CSV",
    "TABLE_FOOTER_ROWS",
    "TABLE_ROWS",
    "TABLE_WIDTH",
    "TRUNCATED",
    "UNDELIVERED",
    "WORKING",
    "SlackMessage",
    "button_value",
    "csv_text",
    "definition_summary",
    "error_text",
    "escape",
    "fit_blocks",
    "read_button_value",
    "render_answer",
    "render_clarification_closed",
    "render_definition",
    "render_error",
    "render_notice",
    "render_sql",
    "short_source",
    "table_text",
]

TABLE_ROWS = 20
MAX_DEFINITION_BUTTONS = 4
MAX_CANDIDATE_BUTTONS = 3 * MAX_ACTIONS_ELEMENTS

SHOW_SQL = "show_sql"
SHOW_DEFINITION = "show_definition"
DOWNLOAD_CSV = "download_csv"
FEEDBACK_UP = "feedback_up"
FEEDBACK_DOWN = "feedback_down"
CLARIFY_CHOICE = "clarify_choice"


@dataclass(frozen=True)
class SlackMessage:
    """Keyword arguments for chat.postMessage / chat.update / respond: fallback text + blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


# -- public renderers ----------------------------------------------------------------------


def render_answer(
    answer: Answer,
    *,
    asked_by: str | None = None,
    table_rows: int = TABLE_ROWS,
    catalog: Any = None,
    counts: dict[str, int] | None = None,
) -> SlackMessage:
    """The reply to a question, whatever its status.

    With the `catalog`, definitions read as plain-language cards and columns get their
    labels; `counts` (choice -> members as of the answer's date) go next to clarification
    options.
    """
    blocks: list[dict[str, Any]] = []
    if asked_by:
        blocks.append(context([ASKED_BY.format(user=asked_by, question=escape(answer.question))]))
    if answer.status == "answered":
        blocks += _answered(answer, table_rows, catalog)
    elif answer.status == "clarify":
        blocks += _clarify(answer, catalog, counts or {})
    elif answer.status == "refused":
        blocks.append(section(escape(answer.message), answer.id))
        blocks.append(context([REFERENCE.format(ref=answer.id)]))
    else:
        blocks.append(section(error_text(answer), answer.id))
    text = error_text(answer) if answer.status == "error" else escape(answer.message)
    return SlackMessage(clip(text, MAX_FALLBACK_TEXT, answer.id), fit_blocks(blocks, answer.id))


def render_clarification_closed(answer: Answer, *, label: str, user: str | None) -> SlackMessage:
    """The clarification once a choice was made: the question stays, the buttons go."""
    blocks = [
        section(escape(answer.message), answer.id),
        context([CHOSEN.format(user=user or "someone", label=escape(label))]),
    ]
    return SlackMessage(clip(escape(answer.message), MAX_FALLBACK_TEXT, answer.id), blocks)


def render_sql(answer_id: str, sql: str | None) -> SlackMessage:
    if not sql:
        text = NO_SQL.format(ref=answer_id)
        return SlackMessage(text, [section(text, answer_id)])
    header = SQL_HEADER.format(ref=answer_id)
    blocks = [section(header, answer_id), *code_sections(sql, "sql")]
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
    blocks = [section(header, answer_id)]
    if used is not None and used.hash != current.hash:
        warning = DEFINITION_CHANGED.format(
            name=current.name, ref=answer_id, then=used.hash, now=current.hash
        )
        blocks.append(context([warning]))
    blocks += code_sections(yaml_text, "")
    return SlackMessage(clip(header, MAX_FALLBACK_TEXT, answer_id), fit_blocks(blocks, answer_id))


def render_notice(text: str) -> SlackMessage:
    """A one-paragraph reply (help, acknowledgements); `text` is already mrkdwn."""
    return SlackMessage(clip(text, MAX_FALLBACK_TEXT, ""), [section(text, "")])


def render_error(reference: str) -> SlackMessage:
    return render_notice(ERROR_PLAIN.format(ref=reference))


def error_text(answer: Answer) -> str:
    """What a Slack user reads for an error: the failure's worded message and the reference.

    Only `Failure.message` is ever shown (never its detail); an error answer without one,
    which no pipeline path makes, gets the plain apology.
    """
    failure = answer.failure
    if failure is None or not failure.message:
        return ERROR_PLAIN.format(ref=answer.id)
    if answer.id in failure.message:  # e.g. messages.INTERNAL_ERROR names the reference
        return escape(failure.message)
    return f"{escape(failure.message)} {REFERENCE.format(ref=answer.id)}."


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
    if d.fit:
        parts.append(escape(d.fit))
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


# -- the parts of an answer -----------------------------------------------------------------


def _answered(answer: Answer, table_rows: int, catalog: Any) -> list[dict[str, Any]]:
    # A definition answer's sentence quotes the governed SQL; in Slack its cards say it in
    # words instead (the YAML is behind "Show definition").
    definition = (answer.plan or {}).get("intent") == "definition" and catalog is not None
    blocks = [] if definition else [section(escape(answer.message), answer.id)]
    carried = carried_context(answer)
    if carried:
        blocks.append(carried)
    body, notes, csv = body_blocks(answer, table_rows, catalog)
    blocks += body
    provenance = provenance_context(answer, None if definition else catalog)
    if provenance:
        blocks.append(provenance)
    proof = [f"Definition: {definition_summary(d)}" for d in answer.definitions]
    if len(proof) > MAX_CONTEXT_ELEMENTS - 2:
        extra = len(proof) - (MAX_CONTEXT_ELEMENTS - 3)
        proof = [*proof[: MAX_CONTEXT_ELEMENTS - 3], f"… and {extra} more definitions"]
    timing = answer.timings_ms.get("total")
    reference = REFERENCE.format(ref=answer.id) + (f" · {timing:,.0f} ms" if timing else "")
    if answer.cached_at:
        reference += " · " + cached_words(answer.cached_at)
    footer = [" · ".join(notes)] if notes else []
    blocks.append(context([*proof, reference, *footer]))
    blocks.append(_answer_buttons(answer, csv=csv))
    return blocks


def _answer_buttons(answer: Answer, *, csv: bool) -> dict[str, Any]:
    buttons = []
    if answer.sql:
        buttons.append(button("Show SQL", SHOW_SQL, button_value(answer.id)))
    definitions = answer.definitions[:MAX_DEFINITION_BUTTONS]
    for i, d in enumerate(definitions):
        label = "Show definition" if len(definitions) == 1 else f"Definition: {d.name}"
        buttons.append(
            button(label, f"{SHOW_DEFINITION}:{i}", button_value(answer.id, definition=d.name))
        )
    if csv:
        buttons.append(button("Download CSV", DOWNLOAD_CSV, button_value(answer.id)))
    buttons.append(button(":+1:", FEEDBACK_UP, button_value(answer.id)))
    buttons.append(button(":-1:", FEEDBACK_DOWN, button_value(answer.id)))
    return {"type": "actions", "block_id": f"answer:{answer.id}", "elements": buttons}


def _clarify(answer: Answer, catalog: Any, counts: dict[str, int]) -> list[dict[str, Any]]:
    blocks = [section(escape(answer.message), answer.id)]
    candidates = answer.candidates
    as_of = as_of_words(answer.as_of)
    lines = [_option_line(c, catalog, counts, as_of) for c in candidates]
    if lines:
        blocks.append(section("\n".join(lines), answer.id))
    shown = candidates[:MAX_CANDIDATE_BUTTONS]
    buttons = [
        button(
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
    blocks.append(context(notes))
    return blocks


def _option_line(c: dict[str, Any], catalog: Any, counts: dict[str, int], as_of: str) -> str:
    """• *At risk (Lifecycle stage)*: activated users inactive 14–29 days · 1,234 users as of …"""
    name, member = str(c.get("name") or ""), c.get("member")
    known = catalog is not None and (name in catalog.segments or name in catalog.metrics)
    if known:
        line = "• " + cards.card(catalog, name, member)
    else:
        label = escape(str(c.get("label") or name))
        line = f"• *{label}*: {escape(str(c.get('description') or ''))}"
    count = counts.get(str(c.get("choice")))
    if count is not None:
        line += " · " + AS_OF_COUNT.format(count=count, as_of=as_of).strip()
    return line


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
