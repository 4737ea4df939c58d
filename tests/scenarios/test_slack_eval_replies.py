"""Every question of the public eval suites, asked in Slack, gets a reply a marketer can read.

Each of the ~900 questions of `evals/*.yaml` is sent to the real Bolt app as a signed
@mention; its reply (posted to the local mock Web API) must have a `table` block when the
answer has rows to show, the as-of date, a plain-language card with every parameter value
filled in for each definition used, and no block or text over Slack's limits. It answers
every question on the 3,000-user demo, so it runs as its own CI step (marker `slack_evals`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.render import slack as render
from assistant.render.slack_table import MAX_TABLE_COLUMNS, MAX_TABLE_ROWS
from tests.scenarios import test_slack
from tests.scenarios.test_slack import answered, build_app, mention, send_event, text_of
from tests.slack_mock import Call, MockSlackApi

assistant = pytest.fixture(scope="module")(test_slack.assistant.__wrapped__)
slack = pytest.fixture()(test_slack.slack.__wrapped__)

EVALS = Path(__file__).resolve().parents[2] / "evals"
BATCH = 25
RAW_PARAMETER = re.compile(r"\{\w+(?:\s*[-+]\s*\d+)?(?::[^{}]*)?\}|:\w+_days\b|:threshold\b")


def questions() -> list[str]:
    found: list[str] = []
    for path in sorted(EVALS.glob("*.yaml")):
        found += [str(case["question"]) for case in yaml.safe_load(path.read_text())]
    return list(dict.fromkeys(found))


def reference_of(posted: Call) -> str:
    return "q_" + text_of(posted).split("`q_", 1)[1].split("`", 1)[0]


def assert_within_limits(posted: Call) -> None:
    body = posted.body
    assert len(body["text"]) <= render.MAX_FALLBACK_TEXT
    blocks = body["blocks"]
    assert len(blocks) <= render.MAX_BLOCKS
    assert sum(b["type"] == "table" for b in blocks) <= 1  # Slack allows one table a message
    for block in blocks:
        assert len((block.get("text") or {}).get("text", "")) <= render.MAX_SECTION_TEXT
        if block["type"] == "context":
            assert len(block["elements"]) <= render.MAX_CONTEXT_ELEMENTS
            assert all(len(e["text"]) <= render.MAX_SECTION_TEXT for e in block["elements"])
        if block["type"] == "actions":
            assert len(block["elements"]) <= render.MAX_ACTIONS_ELEMENTS
            for element in block["elements"]:
                assert len(element["text"]["text"]) <= render.MAX_BUTTON_TEXT
                assert len(element["value"]) <= render.MAX_BUTTON_VALUE
        if block["type"] == "table":
            assert len(block["rows"]) <= MAX_TABLE_ROWS
            assert all(len(row) <= MAX_TABLE_COLUMNS for row in block["rows"])


def assert_readable(posted: Call, record: dict[str, Any], catalog: Any) -> None:
    text = text_of(posted)
    assert not RAW_PARAMETER.search(text), text
    if record["status"] != "answered":
        return
    assert "As of 30 Jun 2026" in text, text
    intent = (record["plan"] or {}).get("intent")
    columns, rows = record["columns"], record["row_count"]
    single = len(columns) == 1 and rows == 1
    if rows and not single and intent not in ("definition", "catalog"):
        assert any(b["type"] == "table" for b in posted.body["blocks"]), record["question"]
    for used in record["definitions"]:
        from assistant.render.cards import title

        assert f"*{title(catalog, used['name'], used['member'])}*:" in text, record["question"]


@pytest.mark.slack_evals
def test_every_public_eval_question_gets_a_readable_reply_within_slacks_limits(
    assistant: Any, slack: MockSlackApi
) -> None:
    app = build_app(assistant, slack)
    asked = questions()
    assert len(asked) > 800
    for start in range(0, len(asked), BATCH):
        for question in asked[start : start + BATCH]:
            send_event(app, mention(question))
        # a bound on waiting, not on speed: a loaded 2-core machine answers a batch slowly
        answered(slack, min(start + BATCH, len(asked)), timeout=300)
    replies = slack.calls_to("chat.postMessage")
    assert len(replies) == len(asked)
    statuses: dict[str, int] = {}
    for posted in replies:
        assert_within_limits(posted)
        record = assistant.query_log.get(reference_of(posted))
        assert record is not None
        statuses[record["status"]] = statuses.get(record["status"], 0) + 1
        assert_readable(posted, record, assistant.catalog)
    assert statuses.get("answered", 0) > 600, statuses
