"""The planner's passes, one at a time: what each adds to the draft of a data question.

Each test runs the passes in order up to the one under test on a question, and checks the
part of the draft that pass is responsible for, against the demo catalog and as-of date.
"""

from __future__ import annotations

from datetime import date

import pytest

from assistant.errors import ClarificationNeeded, Refusal
from assistant.plan import Intent
from assistant.planner.parsing import Parse
from assistant.planner.passes import PASSES, Draft
from assistant.planner.text import normalise

AS_OF = date(2026, 6, 30)


def draft_after(pass_name: str, question: str, catalog) -> Draft:
    text = normalise(question)
    draft = Draft(Parse(question, text, text), catalog, AS_OF, None)
    for step in PASSES:
        step(draft)
        if step.__name__ == pass_name:
            return draft
    raise AssertionError(f"no pass named {pass_name}")


def test_the_passes_run_in_the_documented_order():
    assert [p.__name__ for p in PASSES] == [
        "periods", "guards", "numbers", "senses", "subject", "what_ifs", "quantity", "shape",
        "scope", "build", "coverage"]


def test_periods_reads_a_half_year_as_six_months(catalog):
    d = draft_after("periods", "revenue in H1 2026", catalog)
    assert (d.found.start, d.found.end) == (date(2026, 1, 1), date(2026, 6, 30))


def test_periods_reads_two_adjacent_months_as_one_range_by_month(catalog):
    d = draft_after("periods", "did we get more orders in may or april", catalog)
    assert (d.found.start, d.found.end, d.compared_grain) == (
        date(2026, 4, 1), date(2026, 5, 31), "month")


def test_periods_keeps_both_periods_of_a_comparison_apart(catalog):
    d = draft_after("periods", "orders in june 2026 vs june 2025", catalog)
    assert [(f.start, f.end) for f in d.compared] == [
        (date(2025, 6, 1), date(2025, 6, 30)), (date(2026, 6, 1), date(2026, 6, 30))]


def test_guards_name_the_geography_values_when_a_region_is_asked(catalog):
    with pytest.raises(ClarificationNeeded) as raised:
        draft_after("guards", "revenue in emea last quarter", catalog)
    countries = catalog.geography()
    assert countries is not None and countries.values
    assert all(v.label in str(raised.value) for v in countries.values)


def test_numbers_reads_top_n_as_the_limit(catalog):
    d = draft_after("numbers", "top 7 countries by revenue", catalog)
    assert d.limit == 7


def test_senses_reads_a_declared_window_abbreviation_as_its_days(catalog):
    d = draft_after("senses", "wau for the pro plan", catalog)
    assert (d.found.start, d.found.end) == (date(2026, 6, 24), AS_OF)


def test_senses_reads_a_window_adjective_before_a_windowed_metric(catalog):
    d = draft_after("senses", "daily active users on trial", catalog)
    assert (d.found.start, d.found.end) == (AS_OF, AS_OF)


@pytest.mark.parametrize(("question", "grain"), [("monthly active users in 2026", "month"),
                                                  ("monthly actives in Q2 by plan", "month")])
def test_a_window_adjective_in_the_metrics_own_name_gives_one_row_per_window(
        question, grain, catalog):
    d = draft_after("coverage", question, catalog)
    assert [g.grain.value for g in d.plan.group_by if g.grain] == [grain]


@pytest.mark.parametrize("question", ["monthly active users",
                                      "monthly active users in the last 30 days"])
def test_a_window_adjective_over_its_own_window_is_one_number(question, catalog):
    d = draft_after("coverage", question, catalog)
    assert d.plan.intent == Intent.METRIC and not d.plan.group_by


@pytest.mark.parametrize(("question", "grain"), [("revenue trend this year", "month"),
                                                  ("signup trend over the last 8 weeks", "week"),
                                                  ("orders over time in the last 10 days", "day")])
def test_a_metrics_trend_without_a_grain_gets_one_for_its_period(question, grain, catalog):
    d = draft_after("coverage", question, catalog)
    assert [g.grain.value for g in d.plan.group_by if g.grain] == [grain]


def test_a_segments_trend_without_a_grain_is_asked_about(catalog):
    with pytest.raises(ClarificationNeeded):
        draft_after("coverage", "engaged users trend", catalog)


def test_a_metric_of_a_segment_with_history_month_by_month_is_grouped_not_history(catalog):
    d = draft_after("coverage", "month by month revenue from champions this year", catalog)
    assert d.plan.intent == Intent.BREAKDOWN and d.plan.metric.name == "revenue"
    assert [g.grain.value for g in d.plan.group_by] == ["month"]


def test_subject_finds_the_cohort_segment_for_retention_words(catalog):
    d = draft_after("subject", "retention of users who signed up in march", catalog)
    assert d.segment is catalog.retention_segment()


def test_what_ifs_binds_a_period_in_weeks_to_the_segment_window_parameter(catalog):
    d = draft_after("what_ifs", "engaged users over the past 6 weeks", catalog)
    window = catalog.segments["engaged_users"].parameter_with_role("window")
    assert [(o.parameter, o.value) for o in d.overrides] == [(window.name, 6.0)]
    assert d.found is None


def test_what_ifs_converts_weeks_for_a_parameter_counted_in_days(catalog):
    d = draft_after("what_ifs", "how many new users if the activation window were 2 weeks",
                    catalog)
    assert [(o.parameter, o.value) for o in d.overrides] == [("activation_window_days", 14.0)]


def test_quantity_binds_how_much_spend_to_the_spend_metric(catalog):
    d = draft_after("quantity", "how much did champions spend", catalog)
    assert d.metric == "revenue"


def test_quantity_counts_a_segments_customers_as_its_people(catalog):
    d = draft_after("quantity", "how many champions customers are there", catalog)
    assert d.metric == catalog.population_metrics()[0].name


def test_shape_groups_by_the_dimension_named_after_by(catalog):
    d = draft_after("shape", "revenue by plan", catalog)
    assert d.intent == Intent.BREAKDOWN and [g.name for g in d.group_by] == ["plan"]


def test_shape_reads_signups_in_a_period_on_the_signup_date(catalog):
    d = draft_after("shape", "revenue from users who signed up in q1", catalog)
    assert d.time_range.column == catalog.signup_column()


def test_scope_refuses_a_share_without_a_part(catalog):
    with pytest.raises(Refusal):
        draft_after("scope", "what share of revenue", catalog)


def test_coverage_names_the_words_no_part_of_the_plan_used(catalog):
    with pytest.raises(ClarificationNeeded) as raised:
        draft_after("coverage", "revenue in may from the moon", catalog)
    assert "moon" in str(raised.value)


@pytest.mark.parametrize("question", ["how many orders ever", "lifetime revenue by plan",
                                      "total revenue of all time", "customers to date",
                                      "signups since launch by quarter",
                                      "trial signups per month, entire history"])
def test_coverage_reads_the_whole_history_as_no_period(question, catalog):
    d = draft_after("coverage", question, catalog)
    assert d.plan.time_range is None and d.plan.compared == ()


def test_coverage_keeps_so_far_only_for_a_period_that_runs_to_the_as_of_date(catalog):
    assert draft_after("coverage", "revenue this year so far", catalog).plan.time_range.end == \
        AS_OF
    with pytest.raises(ClarificationNeeded):
        draft_after("coverage", "revenue in march so far", catalog)


def test_coverage_does_not_read_ever_into_a_metric_with_a_governed_window(catalog):
    # "active" is governed over 30 days: "ever active" is another question
    with pytest.raises(ClarificationNeeded, match="ever"):
        draft_after("coverage", "how many users were ever active", catalog)


def test_a_contracted_auxiliary_is_read_as_the_word_it_stands_for(catalog):
    assert normalise("users who've churned, they're gone, we'll see") == \
        "users who have churned they are gone we will see"
    d = draft_after("coverage", "how many engaged users we've got on pro", catalog)
    assert d.plan.segment.name == "engaged_users"


def test_a_negation_typed_without_its_apostrophe_still_negates(catalog):
    d = draft_after("coverage", "how many users arent churned", catalog)
    assert "churned" not in d.plan.segment.selected()


def test_senses_give_the_superlative_of_a_which_question_back_to_the_ranking(catalog):
    d = draft_after("coverage", "which country has the most engaged users?", catalog)
    assert d.plan.segment.name == "engaged_users" and d.plan.order == "desc"
    assert d.plan.limit == 1 and [g.name for g in d.plan.group_by] == ["country"]
    listed = draft_after("coverage", "list the most engaged users", catalog)
    assert listed.plan.segment.name == "engagement_score"  # no ranking: the top tier


def test_coverage_reads_a_split_verb_around_its_object(catalog):
    d = draft_after("coverage", "break the churned ones out by plan", catalog)
    assert [g.name for g in d.plan.group_by] == ["plan"]
    with pytest.raises(ClarificationNeeded, match="dropped out"):
        draft_after("coverage", "users who dropped out by plan", catalog)


def test_coverage_reads_than_as_part_of_a_comparison_of_two_periods(catalog):
    d = draft_after("coverage", "did we have more orders in May than April", catalog)
    assert d.plan.time_range.start == date(2026, 4, 1) and d.plan.time_range.end == \
        date(2026, 5, 31)


@pytest.mark.parametrize("question", ["churn tier x plan matrix, counts in each cell",
                                      "lifecycle stage x plan"])
def test_shape_reads_x_between_a_family_and_a_dimension_as_a_cross_table(question, catalog):
    d = draft_after("coverage", question, catalog)
    assert d.plan.intent == Intent.DISTRIBUTION and [g.name for g in d.plan.group_by] == [
        "plan"]


def test_shape_reads_x_between_two_dimensions_as_two_groupings(catalog):
    d = draft_after("coverage", "users by plan x country", catalog)
    assert [g.name for g in d.plan.group_by] == ["plan", "country"]


def test_unit_abbreviations_bind_like_the_words(catalog):
    d = draft_after("coverage", "what if engaged meant 5 logins/wk, how many engaged users",
                    catalog)
    assert d.plan.override_map() == {"min_logins_per_week": 5}


@pytest.mark.parametrize("question", ["how many users come out as healthy in the churn risk model",
                                      "how many new customers in RFM terms"])
def test_words_for_a_family_and_for_landing_in_it_are_read(question, catalog):
    assert draft_after("coverage", question, catalog).plan.segment.member is not None


@pytest.mark.parametrize("question", ["active users this past week (last 7 days)",
                                      "month 0 retention of the q1 2026 cohorts (jan, feb, mar)"])
def test_a_period_said_again_in_other_words_is_one_period(question, catalog):
    d = draft_after("coverage", question, catalog)
    assert d.plan.compared == () and d.plan.time_range is not None


def test_a_year_after_two_compared_periods_is_the_year_of_both(catalog):
    plan = draft_after("coverage", "orders in march vs april of last year", catalog).plan
    months = {(r.start.isoformat(), r.end.isoformat()) for r in plan.compared} or {
        (plan.time_range.start.isoformat(), plan.time_range.end.isoformat())}
    assert all(start.startswith("2025") and end.startswith("2025") for start, end in months)
    plan = draft_after("coverage", "revenue q1 vs q2 this year", catalog).plan
    assert plan.time_range.start.year == plan.time_range.end.year == 2026
