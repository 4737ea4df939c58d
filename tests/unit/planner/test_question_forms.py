"""How the form of a question shapes its plan: lists, counts, 'today', clauses of periods."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.errors import ClarificationNeeded
from assistant.plan import Intent
from assistant.planner.rules import RulesPlanner

AS_OF = date(2026, 6, 30)


def plan(question, catalog):
    return RulesPlanner().plan(question, catalog, as_of=AS_OF).plan


@pytest.mark.parametrize("question", ["PQLs who signed up in the last 90 days",
                                      "potential loyalists who signed up in 2025?"])
def test_a_relative_who_is_no_request_for_a_list(question, catalog):
    assert plan(question, catalog).intent == Intent.COUNT


@pytest.mark.parametrize("question", ["who signed up yesterday on pro", "who are our champions",
                                      "tell me who signed up yesterday"])
def test_an_interrogative_who_asks_for_the_list(question, catalog):
    assert plan(question, catalog).intent == Intent.LIST


def test_today_is_membership_now_not_a_signup_date(catalog):
    got = plan("quick one - how many engaged users are there today", catalog)
    assert got.segment.name == "engaged_users" and got.time_range is None
    signups = plan("how many users signed up today", catalog)
    assert signups.time_range.start == AS_OF
    assert plan("orders today", catalog).time_range.start == AS_OF


def test_a_clause_of_periods_is_part_of_the_question(catalog):
    got = plan("orders: march vs april", catalog)
    assert (got.time_range.start, got.time_range.end) == (date(2026, 3, 1), date(2026, 4, 30))
    assert got.group_by[0].grain.value == "month"


def test_a_clause_of_context_with_a_period_is_still_context(catalog):
    got = plan("which customers are in the can't lose them segment? need to call them this week",
               catalog)
    assert got.intent == Intent.LIST and got.time_range is None


def test_names_no_definition_declares_are_not_guessed(catalog):
    with pytest.raises(ClarificationNeeded):
        plan("power users count", catalog)
