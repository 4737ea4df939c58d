"""A Slack thread is a conversation: each reply in it is planned against the thread's last plan.

Through the real Bolt app with signed requests and the local mock Web API, on the 3,000-user
demo. Each step's numbers are checked against SQL written here over the raw tables (the
lifecycle stages from `tests/reference_sql.py`), never against the code under test.
"""

from __future__ import annotations

from typing import Any

import pytest
from slack_bolt import App

from assistant.pipeline import Assistant
from assistant.querylog import QueryLog
from tests.reference_sql import LIFECYCLE_STAGE
from tests.scenarios import test_slack
from tests.scenarios.test_slack import (
    answer_id_of,
    answered,
    build_app,
    mention,
    send_event,
    table_of,
    text_of,
)
from tests.slack_mock import MockSlackApi

assistant = pytest.fixture(scope="module")(test_slack.assistant.__wrapped__)
slack = pytest.fixture()(test_slack.slack.__wrapped__)

CHURNED = f"SELECT s.user_id FROM ({LIFECYCLE_STAGE}) AS s WHERE s.stage = 'churned'"


def sql(assistant: Assistant, query: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in assistant.warehouse.execute(query).rows]


def churned_where(assistant: Assistant, where: str = "TRUE", select: str = "count(*)") -> Any:
    query = (f"SELECT {select} FROM users AS u WHERE u.user_id IN ({CHURNED}) AND {where}")
    return sql(assistant, query)


def ask_in_thread(app: App, slack: MockSlackApi, text: str, root: str | None, n: int) -> Any:
    """Mention segq (in the thread `root`, or top-level) and wait for the n-th reply."""
    event = mention(text, thread_ts=root)
    send_event(app, event)
    replies = answered(slack, n)
    assert len(replies) == n
    return event, replies[-1]


def number_in(text: str) -> int:
    first = text.split("There are ", 1)[1].split(" ", 1)[0]
    return int(first.replace(",", ""))


def test_a_five_step_thread_keeps_and_changes_the_plan_each_step_asks(
    assistant: Assistant, slack: MockSlackApi
) -> None:
    app = build_app(assistant, slack)
    enterprise = "u.plan = 'enterprise'"
    q1 = "CAST(u.signup_at AS DATE) BETWEEN DATE '2026-01-01' AND DATE '2026-03-31'"

    root, reply = ask_in_thread(app, slack, "churned users", None, 1)
    [(total,)] = churned_where(assistant)
    assert number_in(text_of(reply)) == total
    thread = root["ts"]

    _, reply = ask_in_thread(app, slack, "now by plan", thread, 2)
    assert reply.body["thread_ts"] == thread
    by_plan = dict(churned_where(assistant, "TRUE GROUP BY u.plan", "u.plan, count(*)"))
    header, *rows = table_of(reply)
    assert header == ["Plan", "Users"]
    assert {label.lower(): int(n.replace(",", "")) for label, n in rows} == by_plan
    assert [int(n.replace(",", "")) for _, n in rows] == sorted(by_plan.values(), reverse=True)
    assert "kept users in Lifecycle stage Churned from this thread; changed: by plan" in (
        text_of(reply))

    _, reply = ask_in_thread(app, slack, "and for enterprise only?", thread, 3)
    [(enterprise_count,)] = churned_where(assistant, enterprise)
    assert number_in(text_of(reply)) == enterprise_count == by_plan["enterprise"]
    assert "changed: with plan Enterprise" in text_of(reply)

    _, reply = ask_in_thread(app, slack, "last quarter's signups only", thread, 4)
    [(recent,)] = churned_where(assistant, f"{enterprise} AND {q1}")
    assert 0 < recent < enterprise_count
    assert number_in(text_of(reply)) == recent
    assert "kept users in Lifecycle stage Churned with plan Enterprise" in text_of(reply)

    _, reply = ask_in_thread(app, slack, "show me the list", thread, 5)
    ids = {r[0] for r in churned_where(assistant, f"{enterprise} AND {q1}", "u.user_id")}
    header, *rows = table_of(reply)
    assert header[0] == "User id"
    assert {int(r[0]) for r in rows} == ids
    assert "changed: as a list" in text_of(reply)

    log: QueryLog = assistant.query_log
    last = log.get(answer_id_of(reply))
    assert last["plan"]["intent"] == "list" and last["thread_ts"] == thread
    assert last["followup_of"] is not None
    assert log.get(last["followup_of"])["plan"]["time_range"]["start"] == "2026-01-01"


def test_the_thread_context_survives_a_restart(
    assistant: Assistant, slack: MockSlackApi
) -> None:
    app = build_app(assistant, slack)
    root, _ = ask_in_thread(app, slack, "churned users", None, 1)

    restarted = build_app(Assistant(assistant.config, query_log=QueryLog(
        assistant.config.query_log)), slack)  # a new process: nothing in memory
    _, reply = ask_in_thread(restarted, slack, "what about last quarter?", root["ts"], 2)

    q1 = "CAST(u.signup_at AS DATE) BETWEEN DATE '2026-01-01' AND DATE '2026-03-31'"
    [(count,)] = churned_where(assistant, q1)
    assert number_in(text_of(reply)) == count


def test_a_new_top_level_message_starts_fresh(assistant: Assistant, slack: MockSlackApi) -> None:
    app = build_app(assistant, slack)
    ask_in_thread(app, slack, "churned users", None, 1)

    _, reply = ask_in_thread(app, slack, "users by plan", None, 2)  # not in the thread

    [(everyone,)] = sql(assistant, "SELECT count(*) FROM users")
    header, *rows = table_of(reply)
    assert sum(int(n.replace(",", "")) for _, n in rows) == everyone
    assert "from this thread" not in text_of(reply)


def test_a_question_of_its_own_in_a_thread_is_not_mixed_with_the_last_one(
    assistant: Assistant, slack: MockSlackApi
) -> None:
    app = build_app(assistant, slack)
    root, _ = ask_in_thread(app, slack, "churned users", None, 1)

    _, reply = ask_in_thread(app, slack, "how many engaged users do we have?", root["ts"], 2)

    expected = assistant.ask("how many engaged users do we have?", source="eval")
    assert expected.message in text_of(reply)
    assert "from this thread" not in text_of(reply)


def test_a_follow_up_with_words_it_cannot_place_clarifies_instead_of_guessing(
    assistant: Assistant, slack: MockSlackApi
) -> None:
    app = build_app(assistant, slack)
    root, _ = ask_in_thread(app, slack, "churned users", None, 1)

    _, reply = ask_in_thread(app, slack, "and what about per seat?", root["ts"], 2)

    text = text_of(reply)
    assert "follow-up to *the number of users in Lifecycle stage Churned*" in text
    assert '"per", "seat"' in text
    assert assistant.query_log.get(answer_id_of_any(reply))["status"] == "clarify"


def answer_id_of_any(posted: Any) -> str:
    """The reference of any reply (a clarification without options has no buttons)."""
    text = text_of(posted)
    return "q_" + text.split("`q_", 1)[1].split("`", 1)[0]
