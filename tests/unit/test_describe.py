"""The answer sentence states the whole interpretation, generated from the plan."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.describe import reading
from assistant.errors import Refusal
from assistant.plan import DimensionRef, Filter, Intent, Override, QueryPlan, SegmentRef, TimeRange
from assistant.planner import PlanOutcome
from assistant.planner.auto import AutoPlanner
from assistant.planner.rules import RulesPlanner


def test_every_element_of_a_plan_is_in_its_reading(catalog):
    plan = QueryPlan(
        intent=Intent.BREAKDOWN,
        segment=SegmentRef(name="engaged_users"),
        filters=(Filter(dimension="plan", values=("free",), exclude=True),
                 Filter(dimension="country", values=("US", "DE"))),
        group_by=(DimensionRef(name="acquisition_channel"),),
        time_range=TimeRange(start=date(2026, 1, 1), end=date(2026, 3, 31), column="signup_at"),
        overrides=(Override(parameter="min_logins_per_week", value=5, segment="engaged_users"),),
    )
    text = reading(plan, catalog)
    for part in ("engaged users", "excluding plan Free", "United States or Germany",
                 "by acquisition_channel", "signed up 2026-01-01 to 2026-03-31",
                 "min_logins_per_week=5 instead of the governed 3"):
        assert part in text, (part, text)


def test_an_exclusion_is_never_read_as_the_value_it_excludes(catalog):
    plan = QueryPlan(intent=Intent.COUNT,
                     filters=(Filter(dimension="plan", values=("free",), exclude=True),))
    assert "with plan Free" not in reading(plan, catalog)


class _AnsweringPlanner:
    """A second planner that would answer anything; auto must not let it undo a policy."""

    name = "llm"

    def __init__(self) -> None:
        self.calls = 0

    def plan(self, question, catalog, *, as_of, choice=None):
        self.calls += 1
        return PlanOutcome(QueryPlan(intent=Intent.COUNT), 1.0, self.name)


@pytest.mark.parametrize("question", ["delete the test users",
                                      "list the email addresses of churned users"])
def test_auto_mode_keeps_a_policy_refusal_of_the_rules_planner(catalog, question):
    llm = _AnsweringPlanner()
    auto = AutoPlanner(RulesPlanner(), llm)
    with pytest.raises(Refusal):
        auto.plan(question, catalog, as_of=date(2026, 6, 30))
    assert llm.calls == 0


def test_auto_mode_asks_the_llm_when_the_rules_did_not_understand(catalog):
    llm = _AnsweringPlanner()
    auto = AutoPlanner(RulesPlanner(), llm)
    auto.plan("how many champions are grumpy?", catalog, as_of=date(2026, 6, 30))
    assert llm.calls == 1


def test_a_metric_split_by_a_segments_members_says_which_metric(catalog):
    from assistant.describe import sentence
    from assistant.executor import Result
    from assistant.plan import MetricRef

    plan = QueryPlan(intent=Intent.DISTRIBUTION, segment=SegmentRef(name="churn_risk"),
                     metric=MetricRef(name="revenue"))
    rows = [("high", 10.0), ("low", 5.0)]
    assert sentence(plan, catalog, Result(["tier", "revenue"], rows, False, 0.0)).startswith(
        "Revenue of users by Churn risk")


def test_one_month_end_of_history_is_named_as_that_date(catalog):
    from assistant.describe import sentence
    from assistant.executor import Result

    plan = QueryPlan(intent=Intent.HISTORY, segment=SegmentRef(name="rfm_segment"),
                     time_range=TimeRange(start=date(2025, 12, 1), end=date(2025, 12, 31)))
    rows = [(date(2025, 12, 31), "champions", 900), (date(2025, 12, 31), "at_risk", 400)]
    said = sentence(plan, catalog, Result(["month_end", "segment", "users"], rows, False, 0.0))
    assert "at 2025-12-31" in said and "each month end" not in said


def test_a_part_of_a_metric_in_each_period_says_each_row_has_its_share(catalog):
    from assistant.describe import sentence
    from assistant.executor import Result
    from assistant.plan import MetricRef

    q1, q2 = TimeRange(start=date(2026, 1, 1), end=date(2026, 3, 31)), \
        TimeRange(start=date(2026, 4, 1), end=date(2026, 6, 30))
    plan = QueryPlan(intent=Intent.BREAKDOWN, metric=MetricRef(name="revenue"), share=True,
                     filters=(Filter(dimension="country", values=("US",)),),
                     time_range=TimeRange(start=q1.start, end=q2.end), compared=(q1, q2))
    rows = [(q1.start, 10.0, 40.0, 0.25), (q2.start, 20.0, 50.0, 0.4)]
    said = sentence(plan, catalog, Result(["q", "revenue", "total", "share"], rows, False, 0.0))
    assert "each with its share of the whole" in said
