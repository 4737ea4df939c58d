"""Who is asking and why ("as a board member", "finance controller:", "to see whether ...")
is context: the question is answered as if it were not said, and the answer says which words
it read as context. A role that is a question ("revenue by agent") is never set aside."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from assistant.pipeline import Assistant
from assistant.planner.patterns import SPEAKER
from tests.shared_models import SHARED, shared_config


@pytest.mark.parametrize(("asked", "plain", "context"), [
    ("As a board member I'd like to see how much revenue came in over the last 90 days.",
     "how much revenue came in over the last 90 days?", "As a board member"),
    ("Sales-ops here. Break down Q2 revenue by country for me?",
     "Break down Q2 revenue by country for me?", "Sales-ops here"),
    ("Finance controller: I'd like average order value by month since January, to see "
     "whether basket size is drifting.", "average order value by month since January",
     "Finance controller"),
    ("New hire on the growth team... how many users do we have in total?",
     "how many users do we have in total?", "New hire on the growth team"),
    ("I'm the product owner for onboarding, how many engaged users are there?",
     "how many engaged users are there?", "I'm the product owner for onboarding"),
])
def test_the_askers_role_is_context_and_the_answer_is_the_plain_questions(
        config, asked: str, plain: str, context: str) -> None:
    assistant = Assistant(config)
    answer, expected = assistant.ask(asked), assistant.ask(plain)
    assert answer.status == expected.status == "answered"
    assert answer.rows == expected.rows and answer.sql == expected.sql
    assert f'"{context}' in answer.message and "as context" in answer.message


@pytest.mark.parametrize("clause", ["revenue by agent", "list the partners", "top 5 brokers",
                                    "new members", "claims by agent"])
def test_a_clause_that_asks_is_never_read_as_the_askers_role(clause: str) -> None:
    assert SPEAKER.match(clause) is None


@pytest.mark.skipif(not (SHARED / "cube").is_dir(), reason="no shared Cube model")
def test_a_role_whose_words_are_governed_is_still_the_askers(tmp_path: Path) -> None:
    """ "Product owner" holds Cube's governed "product": said as a role it names no filter."""
    config = shared_config(tmp_path, "cube/model", "2023-11-06")
    assistant = Assistant(config)
    answer = assistant.ask("As a product owner: how many line items has each product "
                           "category had?")
    plain = assistant.ask("how many line items has each product category had?")
    assert answer.status == "answered" and answer.rows == plain.rows


@pytest.mark.skipif(not (SHARED / "metricflow-itests").is_dir() or
                    importlib.util.find_spec("metricflow") is None,
                    reason="no shared MF models, or MetricFlow (the dbt extra) not installed")
def test_two_weeks_said_one_next_to_the_other_are_compared(tmp_path: Path) -> None:
    config = shared_config(tmp_path, "metricflow-itests/mf_tutorial_sample/models", "2022-04-05")
    assistant = Assistant(config)
    answer = assistant.ask("cancellations for the week of March 14 next to the week of "
                           "March 21")
    weeks = [assistant.ask(f"cancellations for the week of March {day}") for day in (14, 21)]
    assert answer.status == "answered"
    assert [row[1] for row in answer.rows] == [w.rows[0][0] for w in weeks]
