"""A newcomer sees what to ask: the Home tab, suggested prompts, "what can I ask?", and
clarification options that say in words what each choice means and how many users it has.

Through the real Bolt app with signed events and the local mock Web API.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from assistant.pipeline import Assistant
from tests.reference_sql import CHURN_RISK, LIFECYCLE_STAGE
from tests.scenarios import test_slack
from tests.scenarios.test_slack import answered, build_app, mention, send_event, text_of
from tests.slack_mock import MockSlackApi

assistant = pytest.fixture(scope="module")(test_slack.assistant.__wrapped__)
slack = pytest.fixture()(test_slack.slack.__wrapped__)


def as_json(value: Any) -> Any:
    """A Web API argument as sent: slack_sdk form-encodes nested values as JSON text."""
    return json.loads(value) if isinstance(value, str) else value


def members(assistant: Assistant, sql: str, column: str, member: str) -> int:
    query = f"SELECT count(*) FROM ({sql}) AS s WHERE s.{column} = '{member}'"
    [(n,)] = assistant.warehouse.execute(query).rows
    return int(n)


def examples(assistant: Assistant) -> list[str]:
    return [e.question for s in assistant.catalog.segments.values() for e in s.examples]


def test_the_home_tab_lists_each_family_in_words_with_a_verified_example(
    assistant: Assistant, slack: MockSlackApi
) -> None:
    app = build_app(assistant, slack)
    event = {"type": "app_home_opened", "user": "U0000001", "channel": "D0000001",
             "tab": "home", "event_ts": "1.1"}

    send_event(app, event)

    [published] = slack.wait_for("views.publish")
    assert published.body["user_id"] == "U0000001"
    view = as_json(published.body["view"])
    text = "\n".join(b["text"]["text"] for b in view["blocks"] if b.get("text"))
    for segment in assistant.catalog.segments.values():
        assert f"*{segment.label}*" in text
    assert "*Churn risk*: users with any activity, in the first tier that fits" in text
    assert sum(q in text for q in examples(assistant)) >= len(assistant.catalog.segments) - 1


def test_the_assistant_pane_suggests_verified_example_questions(
    assistant: Assistant, slack: MockSlackApi
) -> None:
    app = build_app(assistant, slack)
    event = {"type": "assistant_thread_started", "event_ts": "1.2",
             "assistant_thread": {"user_id": "U0000001", "channel_id": "D0000001",
                                  "thread_ts": "1700000000.000001", "context": {}}}

    send_event(app, event)

    [call] = slack.wait_for("assistant.threads.setSuggestedPrompts")
    prompts = as_json(call.body["prompts"])
    assert 1 <= len(prompts) <= 4
    assert all(p["message"] in examples(assistant) for p in prompts)
    assert call.body["channel_id"] == "D0000001"


def test_what_can_i_ask_is_a_short_list_grouped_by_family(
    assistant: Assistant, slack: MockSlackApi
) -> None:
    app = build_app(assistant, slack)
    send_event(app, mention("what can I ask?"))
    [reply] = answered(slack)
    text = text_of(reply)
    assert "*Segments*" in text and "*Metrics*" in text
    assert "• *Lifecycle stage*: New, Not activated, Churned, At risk, Engaged, Activated" in text
    assert not [b for b in reply.body["blocks"] if b["type"] == "table"]


def test_clarification_options_read_in_words_with_member_counts_as_of_the_date(
    assistant: Assistant, slack: MockSlackApi
) -> None:
    app = build_app(assistant, slack)
    send_event(app, mention("how many at risk users?"))
    [reply] = answered(slack)
    text = text_of(reply)

    stage = members(assistant, LIFECYCLE_STAGE, "stage", "at_risk")
    tier = members(assistant, CHURN_RISK, "tier", "high")
    assert (f"*At risk (Lifecycle stage)*: activated users inactive 14–29 days · owner "
            f"lifecycle-analytics · v1 · {stage:,} users as of 30 Jun 2026") in text
    assert "*High churn risk (Churn risk)*: users inactive 14+ days" in text
    assert f"{tier:,} users as of 30 Jun 2026" in text
    assert ":at_risk_inactive_days" not in text and ">=" not in text

