"""Coverage: the rules planner answers only when the plan uses every word of the question.

Each case is a question whose plan would look plausible with one part silently dropped:
the answer must then be a clarification naming the dropped words, never a number.
"""

from __future__ import annotations

from datetime import date

import pytest

from assistant.errors import ClarificationNeeded, PlanError, Refusal
from assistant.plan import Intent
from assistant.planner.coverage import FUNCTION_WORDS, MODIFIERS
from assistant.planner.rules import RulesPlanner

AS_OF = date(2026, 6, 30)


@pytest.fixture(scope="module")
def planner() -> RulesPlanner:
    return RulesPlanner()


def plan(planner, catalog, question):
    return planner.plan(question, catalog, as_of=AS_OF).plan


def test_no_word_that_changes_an_answer_is_a_function_word():
    changes_answers = {"not", "never", "no", "or", "nor", "and", "except", "excluding", "only",
                       "than", "more", "less", "most", "least", "top", "per", "each", "every",
                       "last", "first", "since", "between", "before", "after", "above", "below",
                       "over", "under", "one", "twice", "dozen", "weekly", "daily", "monthly",
                       "week", "month", "day", "year", "quarter", "days", "without", "other"}
    assert not (FUNCTION_WORDS & changes_answers)
    assert not (FUNCTION_WORDS & MODIFIERS)
    assert not any(w[0].isdigit() for w in FUNCTION_WORDS)


def test_a_second_period_the_plan_cannot_use_is_called_out_not_dropped(planner, catalog):
    with pytest.raises(ClarificationNeeded) as info:
        plan(planner, catalog, "revenue in Q1 from users who ordered in march")
    assert "march" in info.value.message.lower()
    assert "2026-01-01" in info.value.message  # the part that was understood is said too


def test_a_signup_period_beside_the_metrics_period_is_used_for_the_users(planner, catalog):
    p = plan(planner, catalog, "how many users signed up in Q1 and ordered in Q2?")
    assert (p.signed_up.start.isoformat(), p.signed_up.end.isoformat()) == ("2026-01-01",
                                                                            "2026-03-31")
    assert (p.time_range.column, p.time_range.start.isoformat()) == ("ordered_at", "2026-04-01")


def test_two_periods_joined_by_or_are_both_in_the_plan(planner, catalog):
    p = plan(planner, catalog, "did we get more orders in May or April?")
    assert len(p.compared) == 2 or any(g.grain for g in p.group_by)


@pytest.mark.parametrize("question", [
    "how many page views did we get last week?",
    "how many users created a project in June?",
    "which users are no longer engaged?",
])
def test_a_word_the_plan_cannot_use_stops_the_answer(planner, catalog, question):
    """Each of these was once answered with a plausible, wrong number."""
    with pytest.raises(PlanError) as info:
        plan(planner, catalog, question)
    assert info.value.status in ("clarify", "refused")


def test_the_clarification_offers_the_governed_reading_it_understood(planner, catalog):
    with pytest.raises(ClarificationNeeded) as info:
        plan(planner, catalog, "how many champions are in the US and also grumpy?")
    assert "grumpy" in info.value.message
    assert [c.name for c in info.value.candidates] == ["rfm_segment"]


@pytest.mark.parametrize("question", [
    "how many users are in the not activated lifecycle stage?",
    "how many users haven't activated yet?",
    "how many users never got activated?",
    "how many users are on the pro or enterprise plan?",
    "how many users are not on the free plan?",
    "revenue by country in Q2",
    "top 5 countries by revenue",
    "how many engaged users if engaged meant 5 logins a week?",
    "how many users came in through referrals in Q1?",
    "in Q1, how much revenue did our champions bring in?",
])
def test_questions_whose_every_word_is_used_are_answered(planner, catalog, question):
    assert plan(planner, catalog, question).intent != Intent.DEFINITION


@pytest.mark.parametrize("question,days", [
    ("how many weekly active users do we have?", 7), ("daily active users in the US", 1),
    ("14-day active users on pro", 14), ("monthly active users", None),
])
def test_a_window_adjective_sets_the_active_users_window(planner, catalog, question, days):
    p = plan(planner, catalog, question)
    assert p.metric.name == "active_users"
    if days is None:  # the governed default window
        assert p.time_range is None
    else:
        assert (p.time_range.end - p.time_range.start).days == days - 1
        assert p.time_range.end == AS_OF and p.time_range.column == "event_at"


def test_a_time_phrase_filters_the_metrics_own_date_unless_signing_up_is_said_next_to_it(
        planner, catalog):
    spend = plan(planner, catalog, "in Q1, how much did paid-social signups spend?")
    assert spend.metric.name == "revenue" and spend.time_range.column == "ordered_at"
    signed = plan(planner, catalog, "how much did users who signed up in Q1 spend?")
    assert signed.time_range.column == "signup_at"


@pytest.mark.parametrize("question", [
    "did signups drop in May?", "any update on churn risk this quarter?",
    "how many users dropped to the free plan?",
])
def test_change_words_in_questions_about_data_are_not_write_requests(planner, catalog, question):
    try:
        plan(planner, catalog, question)
    except Refusal as refusal:
        assert refusal.reason != "write request"
    except ClarificationNeeded:
        pass


@pytest.mark.parametrize("question", [
    "delete the test users", "please set user 4521 to the enterprise plan",
    "can you change user 12's plan to pro", "DROP TABLE users",
])
def test_imperative_requests_to_change_data_are_refused(planner, catalog, question):
    with pytest.raises(Refusal) as info:
        plan(planner, catalog, question)
    assert info.value.reason == "write request"


@pytest.mark.parametrize("question,segment", [
    ("what's the activation window?", "lifecycle_stage"),
    ("How exactly is a product-qualified lead defined?", "pql"),
    ("how r the RFM segments calculated", "rfm_segment"),
])
def test_definition_questions_in_other_words(planner, catalog, question, segment):
    p = plan(planner, catalog, question)
    assert p.intent == Intent.DEFINITION and p.segment.name == segment


def test_a_year_written_once_belongs_to_both_compared_periods(planner, catalog):
    p = plan(planner, catalog, "was AOV higher in H1 or H2 2025?")
    assert [(r.start, r.end) for r in p.compared] == [
        (date(2025, 1, 1), date(2025, 6, 30)), (date(2025, 7, 1), date(2025, 12, 31))]


def test_words_inside_a_what_if_clause_are_not_understood_by_being_there(planner, catalog):
    # "medium tier" names churn risk (or engagement score), not the PQL score whose
    # "cutoff" the number would change: it must be called out, not covered by the "if"
    with pytest.raises(ClarificationNeeded) as info:
        plan(planner, catalog, "what if the medium-tier cutoff were 0.4")
    assert "medium" in info.value.message
    p = plan(planner, catalog, "churn tiers if high risk meant 30 days inactive")
    assert [(o.parameter, o.value) for o in p.overrides] == [("high_inactive_days", 30)]


def test_the_words_between_where_and_go_still_need_a_meaning(planner, catalog):
    with pytest.raises(ClarificationNeeded) as info:
        plan(planner, catalog, "where did the blue champions from march go")
    assert "blue" in info.value.message
