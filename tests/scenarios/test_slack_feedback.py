"""A 👎 is a review item for the data team: the vote, why, and in the user's words.

Through the real Bolt app with signed requests and the local mock Web API: the click records
the vote and opens a short form (views.open), the reply's vote buttons show their state, and
the submitted form (a signed view_submission) lands on the vote in the query log, listed by
`segq log list --feedback down`.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest

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
    signed,
)
from tests.slack_mock import TEAM_ID, MockSlackApi

assistant = pytest.fixture(scope="module")(test_slack.assistant.__wrapped__)
slack = pytest.fixture()(test_slack.slack.__wrapped__)


def submit(app: Any, view: dict[str, Any], reason: str, comment: str, user: str) -> Any:
    """Slack's view_submission of the feedback form, as the user filled it in."""
    state = {"values": {
        "reason": {"reason_choice": {"type": "radio_buttons",
                                     "selected_option": {"value": reason}}},
        "comment": {"comment_text": {"type": "plain_text_input", "value": comment}},
    }}
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "test"},
        "user": {"id": user, "username": "someone", "team_id": TEAM_ID},
        "api_app_id": "A0000001",
        "token": "legacy",
        "trigger_id": "4.5.6",
        "view": {**view, "id": "V0000001", "state": state, "team_id": TEAM_ID},
    }
    body = urlencode({"payload": json.dumps(payload)})
    return app.dispatch(signed(body, "application/x-www-form-urlencoded"))


def test_thumbs_down_asks_why_and_the_reason_is_stored_and_listed(
    assistant: Assistant, slack: MockSlackApi, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = build_app(assistant, slack)
    send_event(app, mention(ENGAGED))
    [reply] = answered(slack)
    reference = answer_id_of(reply)

    click(app, reply, render.FEEDBACK_DOWN, user="U0000009", slack=slack)

    [opened] = slack.wait_for("views.open")
    view = opened.body["view"]
    assert opened.body["trigger_id"] == "1.2.3" and view["callback_id"] == "feedback_reason"
    options = view["blocks"][1]["element"]["options"]
    assert [o["value"] for o in options] == [
        "wrong_number", "wrong_definition", "misunderstood", "other"]
    [redrawn] = slack.wait_for("chat.update")
    votes = [e for b in redrawn.body["blocks"] if b["type"] == "actions" for e in b["elements"]
             if e["action_id"] == render.FEEDBACK_DOWN]
    assert votes[0]["text"]["text"] == ":-1: 1" and votes[0]["style"] == "danger"

    response = submit(app, view, "wrong_definition", "Churn should be 60 days for us",
                      "U0000009")

    assert response.status == 200
    slack.wait_for("chat.postEphemeral", 2)
    deadline = time.monotonic() + 10
    while True:
        [vote] = assistant.query_log.get(reference)["feedback"]
        if vote["reason"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert (vote["user"], vote["value"], vote["reason"], vote["comment"]) == (
        "U0000009", "down", "wrong_definition", "Churn should be 60 days for us")
    monkeypatch.setenv("SEGQ_QUERY_LOG", str(assistant.query_log.path))
    capsys.readouterr()
    assert cli.main(["log", "list", "--feedback", "down"]) == 0
    listed = capsys.readouterr().out
    line = next(line for line in listed.splitlines() if reference in line)
    assert "wrong_definition" in line and "Churn should be 60 days" in line


def test_thumbs_up_shows_its_state_without_a_form(
    assistant: Assistant, slack: MockSlackApi
) -> None:
    app = build_app(assistant, slack)
    send_event(app, mention(ENGAGED))
    [reply] = answered(slack)

    click(app, reply, render.FEEDBACK_UP, slack=slack)

    [redrawn] = slack.wait_for("chat.update")
    [up] = [e for b in redrawn.body["blocks"] if b["type"] == "actions" for e in b["elements"]
            if e["action_id"] == render.FEEDBACK_UP]
    assert up["text"]["text"] == ":+1: 1" and up["style"] == "primary"
    assert slack.calls_to("views.open") == []
