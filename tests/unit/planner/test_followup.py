"""Thread follow-ups: which words change the previous plan, and how; never a guess."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.errors import ClarificationNeeded
from assistant.plan import Intent, QueryPlan, SegmentRef
from assistant.planner.followup import follow_up
from assistant.planner.rules import RulesPlanner

AS_OF = date(2026, 6, 30)
CHURNED = QueryPlan(intent=Intent.COUNT, segment=SegmentRef(name="lifecycle_stage",
                                                            member="churned"))


def follow(text: str, previous: QueryPlan = CHURNED, catalog=None):
    return follow_up(text, previous, catalog, as_of=AS_OF, planner=RulesPlanner())


@pytest.mark.parametrize("text", ["now by plan", "by plan", "now break that down by plan",
                                  "and split it by plan?"])
def test_a_breakdown_keeps_the_segment(text, catalog) -> None:
    result = follow(text, catalog=catalog)
    assert result is not None
    assert result.plan.intent == Intent.BREAKDOWN
    assert result.plan.segment == CHURNED.segment
    assert [d.name for d in result.plan.group_by] == ["plan"]


@pytest.mark.parametrize("text", ["only enterprise", "and for enterprise only?",
                                  "just enterprise", "what about enterprise?"])
def test_a_restriction_adds_a_filter_and_drops_the_breakdown_it_fixes(text, catalog) -> None:
    by_plan = follow("by plan", catalog=catalog)
    assert by_plan is not None
    result = follow(text, by_plan.plan, catalog)
    assert result is not None
    assert result.plan.intent == Intent.COUNT and result.plan.group_by == ()
    assert [(f.dimension, f.values) for f in result.plan.filters] == [("plan", ("enterprise",))]


def test_a_period_replaces_the_period_and_signups_name_the_signup_date(catalog) -> None:
    result = follow("last quarter's signups only", catalog=catalog)
    assert result is not None
    tr = result.plan.time_range
    assert tr is not None and (tr.start, tr.end, tr.column) == (
        date(2026, 1, 1), date(2026, 3, 31), "signup_at")
    again = follow("what about Q4 2025?", result.plan, catalog)
    assert again is not None and again.plan.time_range is not None
    assert again.plan.time_range.start == date(2025, 10, 1)


def test_show_me_the_list_lists_the_same_users(catalog) -> None:
    result = follow("show me the list", catalog=catalog)
    assert result is not None
    assert result.plan.intent == Intent.LIST and result.plan.segment == CHURNED.segment
    assert "changed: as a list" in result.carried


def test_a_question_of_its_own_is_not_a_follow_up(catalog) -> None:
    assert follow("how many engaged users do we have?", catalog=catalog) is None
    assert follow("revenue by country in Q1", catalog=catalog) is None


def test_a_cued_follow_up_with_unknown_words_clarifies_naming_them(catalog) -> None:
    with pytest.raises(ClarificationNeeded) as raised:
        follow("and what about per seat?", catalog=catalog)
    assert '"per", "seat"' in raised.value.message
    assert "follow-up to *the number of users in Lifecycle stage Churned*" in (
        raised.value.message)


def test_a_new_segment_named_in_a_cued_follow_up_keeps_the_filters(catalog) -> None:
    enterprise = follow("only enterprise", catalog=catalog)
    assert enterprise is not None
    result = follow("and engaged users?", enterprise.plan, catalog)
    assert result is not None
    assert result.plan.segment == SegmentRef(name="engaged_users")
    assert [f.dimension for f in result.plan.filters] == ["plan"]
