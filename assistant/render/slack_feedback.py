"""The feedback parts of a reply: vote buttons that show their state, and the 👎 form.

A vote is recorded at the click, so nothing is lost if the form is closed; the reply's vote
buttons are then redrawn with the counts so far and the pressed one highlighted, for everyone
in the thread. A 👎 opens a short modal: what was wrong (one of four reasons) and, optionally,
in the user's words. Both land on the vote in the query log (`segq log list --feedback down`).
"""

from __future__ import annotations

import json
from typing import Any

from assistant.render.slack_blocks import MAX_BUTTON_VALUE

FEEDBACK_VIEW = "feedback_reason"
REASON_BLOCK, REASON_ACTION = "reason", "reason_choice"
COMMENT_BLOCK, COMMENT_ACTION = "comment", "comment_text"
MAX_COMMENT = 2000
REASONS = (
    ("wrong_number", "The number looks wrong"),
    ("wrong_definition", "It used the wrong definition"),
    ("misunderstood", "It misunderstood my question"),
    ("other", "Something else"),
)


def feedback_view(answer_id: str, channel: str, thread_ts: str | None,
                  message_ts: str | None) -> dict[str, Any]:
    """The 👎 modal; `private_metadata` carries where to say thanks and which message."""
    meta = json.dumps({"id": answer_id, "channel": channel, "thread": thread_ts,
                       "message": message_ts}, separators=(",", ":"))[:MAX_BUTTON_VALUE]
    options = [{"text": {"type": "plain_text", "text": text}, "value": value}
               for value, text in REASONS]
    return {
        "type": "modal",
        "callback_id": FEEDBACK_VIEW,
        "private_metadata": meta,
        "title": {"type": "plain_text", "text": "What went wrong?"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                f"Your :-1: on answer `{answer_id}` is recorded. Telling the data team why "
                "helps them fix it.")}},
            {"type": "input", "block_id": REASON_BLOCK, "label": {
                "type": "plain_text", "text": "The problem"},
             "element": {"type": "radio_buttons", "action_id": REASON_ACTION,
                         "options": options}},
            {"type": "input", "block_id": COMMENT_BLOCK, "optional": True, "label": {
                "type": "plain_text", "text": "In your words (optional)"},
             "element": {"type": "plain_text_input", "action_id": COMMENT_ACTION,
                         "multiline": True, "max_length": MAX_COMMENT}},
        ],
    }


def read_feedback_view(view: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """(metadata, reason, comment) from a submitted feedback modal; "" when absent."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    values = (view.get("state") or {}).get("values") or {}
    choice = (values.get(REASON_BLOCK) or {}).get(REASON_ACTION) or {}
    reason = str((choice.get("selected_option") or {}).get("value") or "")
    text = (values.get(COMMENT_BLOCK) or {}).get(COMMENT_ACTION) or {}
    comment = str(text.get("value") or "")[:MAX_COMMENT]
    return (meta if isinstance(meta, dict) else {}), reason, comment


def with_votes(blocks: list[dict[str, Any]], up_id: str, down_id: str, votes: dict[str, int],
               pressed: str) -> list[dict[str, Any]]:
    """The message's blocks with its vote buttons showing the counts and the pressed one."""
    redrawn = []
    for block in blocks:
        if block.get("type") == "actions":
            elements = []
            for element in block.get("elements") or []:
                action = element.get("action_id")
                if action in (up_id, down_id):
                    kind = "up" if action == up_id else "down"
                    emoji = ":+1:" if kind == "up" else ":-1:"
                    count = votes.get(kind, 0)
                    element = {**element, "text": {"type": "plain_text", "emoji": True,
                                                   "text": f"{emoji} {count}" if count else emoji}}
                    element.pop("style", None)
                    if kind == pressed:
                        element["style"] = "primary" if kind == "up" else "danger"
                elements.append(element)
            block = {**block, "elements": elements}
        redrawn.append(block)
    return redrawn
