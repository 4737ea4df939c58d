"""Onboarding: the App Home tab and the assistant pane's suggested prompts, from the catalog.

Both show the catalog's verified example questions (each was checked to plan as written), so
a newcomer's first question is one segq answers. Families are listed with their members in
words, the way "what can I ask?" answers.
"""

from __future__ import annotations

from typing import Any

from assistant.render import cards
from assistant.render.slack_blocks import MAX_BLOCKS, escape

MAX_PROMPTS = 4  # Slack shows up to four suggested prompts
MAX_PROMPT_TITLE = 40  # our bound: a title reads at a glance


def suggested_prompts(catalog: Any) -> list[dict[str, str]]:
    """One verified example question per segment family, first families first."""
    from assistant.render.slack_answer import example_questions

    prompts = []
    for question in example_questions(catalog, MAX_PROMPTS):
        title = question if len(question) <= MAX_PROMPT_TITLE else (
            question[: MAX_PROMPT_TITLE - 1] + "…")
        prompts.append({"title": title, "message": question})
    return prompts


def home_view(catalog: Any) -> dict[str, Any]:
    """The Home tab: how to ask, then each family with its rule and an example question."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Ask segq about your users"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": (
            "Mention *@segq* in a channel, send me a direct message, or use `/segment`. I "
            "answer from the data team's governed definitions and show which one I used. Reply "
            "in the thread to follow up: _now by plan_, _only enterprise_, _show me the list_.")}},
        {"type": "divider"},
    ]
    for segment in catalog.segments.values():
        line = f"*{escape(segment.label)}*: {escape(cards.rule(catalog, segment.name))}"
        if segment.examples:
            line += f"\nTry: _{escape(segment.examples[0].question)}_"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": line[:3000]}})
    metrics = ", ".join(m.label for m in catalog.metrics.values())
    dimensions = ", ".join(d.label for d in catalog.dimensions.values())
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(
        f"Metrics: {metrics}. Broken down by: {dimensions}. Ask “what can I ask?” any time.")}]})
    return {"type": "home", "blocks": blocks[: MAX_BLOCKS * 2]}  # Home tabs take 100 blocks
