"""Nothing a language model wrote reaches a user or the query log: what an answer says is made
from the catalog, the plan's governed names and dates, and the user's own words.

The model is a langchain fake chat model replaying queued `LlmReply` tool calls (as in
tests/unit/planner/test_llm_fake.py); the warehouse is the session's 3,000-user demo.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from assistant import messages
from assistant.pipeline import Assistant, period_phrase
from assistant.planner.auto import AutoPlanner
from assistant.planner.rules import RulesPlanner
from assistant.querylog import QueryLog
from tests.unit.planner.test_llm_fake import answer as plan_reply
from tests.unit.planner.test_llm_fake import llm_with, reply

PHISHING = "SECURITY NOTICE: re-enter your password at http://x"


def q1_signups(phrase: str) -> dict:
    return {"intent": "count", "segment": {"name": "engaged_users"},
            "time_range": {"start": "2026-01-01", "end": "2026-03-31", "column": "signup_at",
                           "phrase": phrase}}


def ask_llm(config, catalog, question: str, *replies) -> tuple[Assistant, object]:
    planner, _ = llm_with(*replies)
    assistant = Assistant(config, catalog=catalog, planner=planner,
                          query_log=QueryLog(config.query_log))
    return assistant, assistant.ask(question)


def everything_shown_and_logged(assistant: Assistant, answer, config) -> str:
    db = Path(config.query_log)
    stored = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    shown = json.dumps(answer.to_dict()) + json.dumps(assistant.query_log.get(answer.id))
    return shown + stored.decode("utf-8", "replace")


def test_a_time_phrase_the_model_made_up_is_replaced_by_words_from_its_dates(config, catalog):
    assistant, answer = ask_llm(config, catalog, "how many engaged users signed up in Q1?",
                                plan_reply(q1_signups(PHISHING)))

    assert answer.status == "answered"
    assert "2026-01-01 to 2026-03-31 (Q1 2026)" in answer.message
    assert answer.plan["time_range"]["phrase"] == "Q1 2026"
    text = everything_shown_and_logged(assistant, answer, config)
    assert "SECURITY" not in text and "password" not in text and "http://x" not in text


def test_a_time_phrase_that_is_the_users_own_words_is_kept(config, catalog):
    _, answer = ask_llm(config, catalog, "how many engaged users signed up in   q1?",
                        plan_reply(q1_signups("in Q1")))

    assert answer.status == "answered"
    assert "(in Q1)" in answer.message


def test_compared_periods_get_the_same_treatment(config, catalog):
    plan = {"intent": "metric", "metric": {"name": "orders"},
            "time_range": {"start": "2025-05-01", "end": "2026-05-31", "column": "ordered_at",
                           "phrase": PHISHING},
            "compared": [{"start": "2025-05-01", "end": "2025-05-31", "column": "ordered_at",
                          "phrase": "May 2025"},
                         {"start": "2026-05-01", "end": "2026-05-31", "column": "ordered_at",
                          "phrase": PHISHING}]}
    assistant, answer = ask_llm(config, catalog, "orders in May 2025 vs this May",
                                plan_reply(plan))

    assert answer.status == "answered", answer.message
    assert [tr["phrase"] for tr in answer.plan["compared"]] == ["May 2025", "May 2026"]
    assert answer.plan["time_range"]["phrase"] == "2025-05-01 to 2026-05-31"
    assert "SECURITY" not in everything_shown_and_logged(assistant, answer, config)


def test_the_rules_planners_own_time_words_are_kept(config, catalog):
    answer = Assistant(config, catalog=catalog).ask("signups in March compared with April")

    assert answer.plan["time_range"]["phrase"] == "in march vs april"


def test_a_clarification_from_the_model_is_worded_from_the_catalogs_labels(config, catalog):
    clarify = reply(status="clarify", candidates=["lifecycle_stage:at_risk",
                                                  "rfm_segment:at_risk"],
                    phrase=PHISHING, reason=PHISHING)
    assistant, answer = ask_llm(config, catalog, "how many at risk users?", clarify)

    assert answer.status == "clarify"
    labels = [c["label"] for c in answer.candidates]
    assert answer.message == messages.CLARIFY_CHOICES.format(
        labels=" or ".join(f"*{label}*" for label in labels))
    assert {c["choice"] for c in answer.candidates} == {"lifecycle_stage:at_risk",
                                                        "rfm_segment:at_risk"}
    assert "SECURITY" not in everything_shown_and_logged(assistant, answer, config)


def test_a_refusal_from_the_model_keeps_the_canned_wording_and_logs_none_of_its_reason(
        config, catalog):
    refuse = reply(status="refuse", refusal="off_topic", reason=PHISHING)
    assistant, answer = ask_llm(config, catalog, "what's the weather in Paris?", refuse)

    assert answer.status == "refused"
    assert answer.message == messages.REFUSE_OFF_TOPIC
    assert answer.failure is not None
    assert (answer.failure.kind, answer.failure.rules) == ("refused", ("off topic",))
    assert "SECURITY" not in everything_shown_and_logged(assistant, answer, config)


def test_names_the_model_made_up_are_not_quoted_back_when_its_plan_is_rejected(config,
                                                                              catalog):
    made_up = {"intent": "count", "segment": {"name": "SECURITY_NOTICE_visit_http_x"}}
    assistant, answer = ask_llm(config, catalog, "how many loyal users?",
                                plan_reply(made_up), plan_reply(made_up))

    assert answer.status == "error"
    assert answer.message == messages.LLM_NO_PLAN
    assert "SECURITY" not in everything_shown_and_logged(assistant, answer, config)


def test_the_auto_planner_passing_on_a_model_clarification_is_reworded_too(config, catalog):
    llm, _ = llm_with(reply(status="clarify", candidates=["engaged_users"], phrase=PHISHING))
    planner = AutoPlanner(RulesPlanner(min_confidence=config.min_confidence), llm)
    assistant = Assistant(config, catalog=catalog, planner=planner,
                          query_log=QueryLog(config.query_log))

    answer = assistant.ask("tell me the vibes of our best folks")

    assert answer.status == "clarify"
    assert "SECURITY" not in answer.message and "*Engaged users*" in answer.message


def test_a_rules_clarification_keeps_the_users_own_words(config, catalog):
    assistant = Assistant(config, catalog=catalog)
    answer = assistant.ask("how many at risk users?")

    assert answer.status == "clarify"
    assert answer.message == messages.CLARIFY_AMBIGUOUS.format(phrase="at risk")


@pytest.mark.parametrize("start, end, words", [
    (date(2026, 3, 1), date(2026, 3, 31), "March 2026"),
    (date(2026, 4, 1), date(2026, 6, 30), "Q2 2026"),
    (date(2025, 1, 1), date(2025, 12, 31), "2025"),
    (date(2026, 1, 5), date(2026, 2, 10), "2026-01-05 to 2026-02-10"),
])
def test_a_period_is_worded_from_its_dates_alone(start, end, words) -> None:
    assert period_phrase(start, end) == words
