"""The blocks of an answered reply: what a marketer must trust at a glance.

Top to bottom: the one-sentence answer; what a thread follow-up carried over; the rows as a
Slack `table` block (human labels, numbers right-aligned, percentages formatted, a useful
order, two dimensions pivoted); "As of 30 Jun 2026" with a plain-language card per
definition; the technical proof (name, version, file:line, hash) with the reference; the
buttons. Definition answers show the cards instead of SQL; "what can I ask?" a short list
grouped by family.
"""

from __future__ import annotations

from typing import Any

from assistant.answer import Answer
from assistant.render import cards
from assistant.render.provenance import as_of_words
from assistant.render.shape import Shaped, format_cell, shape
from assistant.render.slack_blocks import MAX_CONTEXT_ELEMENTS, context, escape, section
from assistant.render.slack_table import is_numeric_column, table_block
from assistant.render.slack_wording import (
    CARRIED,
    TABLE_FOOTER_COLUMNS,
    TABLE_FOOTER_CSV,
    TABLE_FOOTER_ROWS,
)

MAX_LISTED = 8  # names per family in "what can I ask?"


def is_single_value(answer: Answer) -> bool:
    """One number, which the sentence already says ("There are 127 engaged users.")."""
    return (len(answer.columns) == 1 and len(answer.rows) == 1
            and is_numeric_column(answer.rows[0]))


def is_tabular(answer: Answer) -> bool:
    intent = (answer.plan or {}).get("intent")
    return bool(answer.columns and answer.rows) and not is_single_value(answer) and (
        intent not in ("definition", "catalog"))


def body_blocks(answer: Answer, table_rows: int, catalog: Any) -> tuple[list[dict[str, Any]],
                                                                         list[str], bool]:
    """(blocks between the sentence and the context, footer notes, whether CSV helps)."""
    intent = (answer.plan or {}).get("intent")
    if intent == "definition" and catalog is not None:
        return definition_blocks(answer, catalog), [], False
    if intent == "catalog" and catalog is not None:
        return catalog_blocks(catalog), [], False
    if not is_tabular(answer):
        return [], [], answer.truncated
    shaped = shape(answer, catalog)
    rows = shaped.rows[: max(1, table_rows)]
    cells = [[format_cell(v, shaped.kinds[i] if i < len(shaped.kinds) else "text", shaped.grain)
              for i, v in enumerate(row)] for row in rows]
    block, hidden = table_block(shaped.labels, shaped.kinds, cells,
                                block_id=f"table:{answer.id}")
    notes = table_notes(answer, shaped, len(rows), hidden)
    return [block], notes, bool(notes) or answer.truncated


def table_notes(answer: Answer, shaped: Shaped, shown: int, hidden: list[str]) -> list[str]:
    notes = list(shaped.notes)
    total = len(shaped.rows) if shaped.pivoted else answer.row_count
    if total > shown:
        notes.append(TABLE_FOOTER_ROWS.format(shown=shown, total=total))
    if hidden:
        names = ", ".join(hidden[:5]) + (", …" if len(hidden) > 5 else "")
        notes.append(TABLE_FOOTER_COLUMNS.format(n=len(hidden), s="s" * (len(hidden) > 1),
                                                 names=escape(names)))
    if total > shown or hidden or answer.truncated:
        notes.append(TABLE_FOOTER_CSV)
    return notes


def provenance_context(answer: Answer, catalog: Any) -> dict[str, Any] | None:
    """"As of 30 Jun 2026" and one plain-language card per definition used."""
    words = as_of_words(answer.as_of)
    parts = [f":calendar: *{words[0].upper() + words[1:]}*"] if words else []
    if catalog is not None:
        for d in answer.definitions:
            try:
                parts.append(cards.card(catalog, d.name, d.member, d.overrides,
                                        version=d.version))
            except Exception:  # a definition the catalog no longer has: the proof line remains
                continue
    if not parts:
        return None
    if len(parts) > MAX_CONTEXT_ELEMENTS:
        parts = [*parts[: MAX_CONTEXT_ELEMENTS - 1], f"… and {len(parts) - 9} more definitions"]
    return context(parts)


def carried_context(answer: Answer) -> dict[str, Any] | None:
    carried = answer.extra.get("carried")
    return context([CARRIED.format(what=escape(str(carried)))]) if carried else None


def definition_blocks(answer: Answer, catalog: Any) -> list[dict[str, Any]]:
    """A definition answer as cards: the family, then each member's rule in words."""
    plan = answer.plan or {}
    ref = plan.get("segment") or plan.get("metric") or {}
    name, member = str(ref.get("name") or ""), ref.get("member")
    lines = [cards.card(catalog, name, member)]
    segment = catalog.segments.get(name)
    if segment is not None and segment.members and not member:
        lines += [f"• *{escape(m.label)}*: {escape(cards.rule(catalog, name, m.name))}"
                  for m in segment.members]
        lines.append("_First match wins, in this order._")
    return [section("\n".join(lines), answer.id)]


def catalog_blocks(catalog: Any) -> list[dict[str, Any]]:
    """"What can I ask?": segment families with their members, metrics, dimensions."""
    lines = ["*Segments*"]
    for seg in catalog.segments.values():
        members = ", ".join(m.label for m in seg.members[:MAX_LISTED])
        lines.append(f"• *{escape(seg.label)}*" + (f": {escape(members)}" if members else ""))
    metrics = ", ".join(m.label for m in catalog.metrics.values())
    dimensions = ", ".join(d.label for d in catalog.dimensions.values())
    lines += [f"*Metrics*: {escape(metrics)}", f"*Broken down by*: {escape(dimensions)}"]
    examples = example_questions(catalog, 4)
    if examples:
        lines.append("*Try*: " + " · ".join(f"“{escape(q)}”" for q in examples))
    return [section("\n".join(lines), "")]


def example_questions(catalog: Any, limit: int) -> list[str]:
    """Verified example questions, one per segment family first, then the rest."""
    firsts = [seg.examples[0].question for seg in catalog.segments.values() if seg.examples]
    rest = [e.question for seg in catalog.segments.values() for e in seg.examples[1:]]
    return list(dict.fromkeys(firsts + rest))[:limit]
