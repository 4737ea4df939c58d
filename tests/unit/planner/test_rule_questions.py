"""A question in the words of a definition's own rule is answered with the definition."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.errors import ClarificationNeeded
from assistant.plan import Intent
from assistant.planner.rules import RulesPlanner

AS_OF = date(2026, 6, 30)


def plan(question, catalog):
    return RulesPlanner().plan(question, catalog, as_of=AS_OF).plan


@pytest.mark.parametrize(("question", "name"), [
    ("does revenue include refunded orders?", "revenue"),
    ("what are the weights of the engagement score", "engagement_score"),
    ("what points does the pql score give", "pql_score"),
])
def test_words_of_the_rule_ask_for_the_rule(question, name, catalog):
    got = plan(question, catalog)
    assert got.intent == Intent.DEFINITION
    assert name in {got.metric.name if got.metric else None,
                    got.segment.name if got.segment else None}


@pytest.mark.parametrize("question", ["is revenue growing", "did revenue go up"])
def test_words_outside_the_rule_still_get_a_clarification(question, catalog):
    with pytest.raises(ClarificationNeeded):
        plan(question, catalog)


def test_a_request_for_a_number_is_never_read_as_a_rule_question(catalog):
    # "completed" is a word of the orders rule, but "how many" asks for the count
    got = plan("how many orders last month", catalog)
    assert got.intent == Intent.METRIC


def test_a_described_rule_word_the_data_team_adds_is_understood(catalog):
    from dataclasses import replace

    revenue = catalog.metrics["revenue"]
    described = replace(revenue, description=revenue.description + " Taxes are included.")
    metrics = {**catalog.metrics, "revenue": described}
    other = replace(catalog, metrics=metrics)
    with pytest.raises(ClarificationNeeded):
        plan("does revenue include taxes", catalog)
    assert plan("does revenue include taxes", other).intent == Intent.DEFINITION


def test_a_question_about_one_hypothetical_person_asks_for_the_rule(catalog):
    got = plan("is a trial user with 3 projects a pql", catalog)
    assert got.intent == Intent.DEFINITION and got.segment.name == "pql"
