"""Block Kit primitives that always meet Slack's limits, so a long answer is shortened, not lost.

Slack rejects a whole message that breaks one limit, so each limit below is met by truncating
with a visible note instead: a long answer still arrives, shortened, rather than not at all.
Every block the renderers build comes from here.
"""

from __future__ import annotations

import re
from typing import Any

from assistant.render.slack_wording import MORE_BLOCKS, TRUNCATED

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK_TEXT = 40_000


def escape(text: str) -> str:
    """Slack mrkdwn control characters; the only escaping Slack asks for."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit_blocks(blocks: list[dict[str, Any]], ref: str) -> list[dict[str, Any]]:
    """At most MAX_BLOCKS, keeping the last actions block (the buttons) when there is one."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    tail = [blocks[-1]] if blocks[-1].get("type") == "actions" else []
    keep = MAX_BLOCKS - 1 - len(tail)
    note = context([MORE_BLOCKS.format(n=len(blocks) - keep - len(tail), ref=ref)])
    return [*blocks[:keep], note, *tail]


def section(text: str, ref: str) -> dict[str, Any]:
    clipped = clip(text, MAX_SECTION_TEXT, ref)
    return {"type": "section", "text": {"type": "mrkdwn", "text": clipped}}


def context(texts: list[str]) -> dict[str, Any]:
    elements = [
        {"type": "mrkdwn", "text": clip(t, MAX_SECTION_TEXT, "")}
        for t in texts[:MAX_CONTEXT_ELEMENTS]
    ]
    return {"type": "context", "elements": elements}


def button(text: str, action_id: str, value: str) -> dict[str, Any]:
    if len(text) > MAX_BUTTON_TEXT:
        text = text[: MAX_BUTTON_TEXT - 1] + "…"
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text or "?", "emoji": True},
        "action_id": action_id,
        "value": value,
    }


def code_sections(code: str, language: str) -> list[dict[str, Any]]:
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


def clip(text: str, limit: int, ref: str) -> str:
    if len(text) <= limit:
        return text
    note = TRUNCATED.format(ref=ref) if ref else "…"
    cut = text[: max(0, limit - len(note))]
    cut = re.sub(r"&[a-z]{0,4}$", "", cut)  # never split an escape like &amp;
    if cut.count("```") % 2:  # close a code block the cut left open
        cut = cut[: max(0, limit - len(note) - 4)] + "\n```"
    return cut + note
