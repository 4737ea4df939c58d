"""A computed answer is never lost to Slack: rate limits and outages are retried, and what
could not be delivered is recorded under the very reference the user was given.

The real Bolt app answers signed requests; the local mock Web API answers some calls with
HTTP 429 + Retry-After or 503 first, as Slack does under load, or refuses them outright.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App

from assistant import cli
from assistant.pipeline import Assistant
from assistant.render import slack as render
from tests.scenarios import test_slack
from tests.scenarios.test_slack import (
    ENGAGED,
    answer_id_of,
    answered,
    build_app,
    click,
    mention,
    send_event,
    settle,
    text_of,
)
from tests.slack_mock import MockSlackApi

assistant = pytest.fixture(scope="module")(test_slack.assistant.__wrapped__)
slack = pytest.fixture()(test_slack.slack.__wrapped__)


def segq_log_show(
    answer_id: str, assistant: Assistant, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> str:
    """`segq log show ID` on the bot's query log, as the data team runs it."""
    monkeypatch.setenv("SEGQ_QUERY_LOG", str(assistant.query_log.path))
    capsys.readouterr()
    assert cli.main(["log", "show", answer_id]) == 0, capsys.readouterr().err
    out: str = capsys.readouterr().out
    return out


def test_a_rate_limited_reply_is_retried_after_retry_after_and_delivered_once(
    assistant: Assistant,
    slack: MockSlackApi,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    expected = assistant.ask(ENGAGED, source="eval")
    slack.rate_limited["chat.postMessage"] = 1
    slack.retry_after = 1
    app = build_app(assistant, slack)

    send_event(app, mention(ENGAGED))

    answered(slack)
    settle()
    refused, delivered = slack.calls_to("chat.postMessage")
    assert refused.status == 429 and delivered.status == 200
    assert delivered.at - refused.at >= 1.0  # it waited what Retry-After said
    assert slack.calls_to("chat.postMessage", accepted=True) == [delivered]
    assert expected.message in text_of(delivered)
    reference = answer_id_of(delivered)
    assert reference in text_of(delivered)
    record = assistant.query_log.get(reference)
    assert record["delivery"] == "delivered"
    assert record["delivered_ts"] == delivered.response["ts"]
    shown = segq_log_show(reference, assistant, monkeypatch, capsys)
    assert reference in shown and "Delivery:  delivered" in shown


def test_a_server_error_is_retried_and_the_answer_arrives(
    assistant: Assistant, slack: MockSlackApi
) -> None:
    slack.server_errors["chat.postMessage"] = 1
    app = build_app(assistant, slack)

    send_event(app, mention(ENGAGED))

    answered(slack)
    statuses = [c.status for c in slack.calls_to("chat.postMessage")]
    assert statuses == [503, 200]


def test_a_reply_slack_refuses_is_logged_as_undelivered_under_the_reference_shown(
    assistant: Assistant,
    slack: MockSlackApi,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    slack.failures["chat.postMessage"] = "invalid_blocks"
    app = build_app(assistant, slack)
    event = mention("list churned users")

    send_event(app, event)

    answered(slack)
    settle()
    reply, notice = slack.calls_to("chat.postMessage")
    reference = answer_id_of(reply)  # the answer the reply would have carried
    assert reference in text_of(notice)  # the worded notice names that same answer
    record = assistant.query_log.get(reference)
    assert record["status"] == "answered" and record["delivery"] == "failed: invalid_blocks"
    assert record["thread_ts"] == event["ts"]
    shown = segq_log_show(reference, assistant, monkeypatch, capsys)
    assert "Delivery:  failed: invalid_blocks" in shown


def test_a_button_that_fails_gives_a_reference_the_query_log_holds(
    assistant: Assistant,
    slack: MockSlackApi,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app: App = build_app(assistant, slack)
    send_event(app, mention(ENGAGED))
    [reply] = answered(slack)
    slack.failures["chat.postEphemeral"] = "user_not_in_channel"

    click(app, reply, render.FEEDBACK_UP, slack=slack)

    error = slack.wait_for("chat.postMessage", 2)[1]
    reference = text_of(error).split("reference `", 1)[1].split("`", 1)[0]
    assert reference != answer_id_of(reply)
    record = assistant.query_log.get(reference)
    assert record is not None and record["status"] == "error" and record["source"] == "slack"
    assert reference in segq_log_show(reference, assistant, monkeypatch, capsys)


def test_every_reference_shown_in_a_thread_is_in_the_query_log(
    assistant: Assistant, slack: MockSlackApi, tmp_path: Path
) -> None:
    app = build_app(assistant, slack)
    questions = [ENGAGED, "how many at risk users?", "what's the weather in Paris?",
                 "revenue by planet"]
    for question in questions:
        send_event(app, mention(question))
    answered(slack, len(questions))
    for posted in slack.calls_to("chat.postMessage"):
        text = text_of(posted)
        references = [part.split("`", 1)[0] for part in text.split("`q_")[1:]]
        assert references, text
        for reference in references:
            assert assistant.query_log.get("q_" + reference) is not None, text
