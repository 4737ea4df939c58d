"""How the form of a question shapes its plan: lists, counts, 'today', clauses of periods."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest

from assistant.errors import ClarificationNeeded, Refusal
from assistant.plan import Intent
from assistant.planner.patterns import writes
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


@pytest.mark.parametrize("words", ["not counting", "leaving out", "skip", "ignoring", "minus",
                                   "aside from", "not including"])
def test_a_verb_of_leaving_out_excludes_the_value_it_names(words, catalog):
    got = plan(f"active users since may, {words} anyone on the free plan", catalog)
    assert [(f.dimension, f.values, f.exclude) for f in got.filters] == [
        ("plan", ("free",), True)]
    assert got.time_range.start == date(2026, 5, 1)


def test_leaving_out_is_not_the_churn_synonym_leaving(catalog):
    got = plan("engaged users by country, leaving out the US", catalog)
    assert got.segment.name == "engaged_users" and not got.also_in
    assert [(f.values, f.exclude) for f in got.filters] == [(("US",), True)]


def test_members_left_out_of_a_family_leave_the_others_one_row_each(catalog):
    got = plan("size of every RFM segment other than hibernating and at_risk", catalog)
    assert got.intent == Intent.DISTRIBUTION
    assert set(got.segment.members) == {"champions", "loyal_customers", "potential_loyalists",
                                        "new_customers", "cant_lose_them", "need_attention"}
    tiers = plan("trial users by churn risk tier, skip the healthy ones", catalog)
    assert tiers.intent == Intent.DISTRIBUTION
    assert tiers.segment.members == ("high", "medium", "low")


def test_a_breakdown_by_a_dimension_keeps_the_members_one_group(catalog):
    got = plan("users who are not churned, split by plan", catalog)
    assert got.intent == Intent.BREAKDOWN and got.group_by[0].name == "plan"


@pytest.mark.parametrize("question", ["May signups, excluding anyone on the free plan",
                                      "what was the may revenue"])
def test_may_opening_a_noun_phrase_is_the_month(question, catalog):
    got = plan(question, catalog)
    assert (got.time_range.start, got.time_range.end) == (date(2026, 5, 1), date(2026, 5, 31))


def test_may_as_a_verb_is_no_month(catalog):
    with pytest.raises(ClarificationNeeded):
        plan("may I ask how many users we have", catalog)


@pytest.mark.parametrize("question", ["each acquisition channel's share of 2025 revenue",
                                      "what share of our active users is on each plan?"])
def test_a_metric_named_after_the_share_word_is_the_whole_each_group_a_part(question, catalog):
    got = plan(question, catalog)
    assert got.share and got.share_of_total and len(got.group_by) == 1


def test_a_share_of_users_having_the_metric_per_group_is_each_groups_rate(catalog):
    got = plan("what % of users were active, by plan", catalog)
    assert got.share_of_metric and not got.share_of_total


@pytest.mark.parametrize("question", ["how many users on pro never completed a purchase?",
                                      "how many engaged users have never ordered",
                                      "people who signed up in 2025 but never became customers"])
def test_people_who_never_bought_are_counted_without_the_buyers(question, catalog):
    got = plan(question, catalog)
    assert got.metric.name == "users" and got.without_metric.name == "customers"
    assert got.time_range is None or got.time_range.column == "signup_at"


def test_no_orders_in_a_period_puts_the_period_on_the_orders(catalog):
    got = plan("loyal customers with no orders in the last 30 days", catalog)
    assert got.without_metric.name == "customers" and got.intent == Intent.COUNT
    assert got.time_range.column == "ordered_at" and got.time_range.start == date(2026, 6, 1)


@pytest.mark.parametrize("question", [
    "of our engaged users, how many have made a purchase in the last 30 days?",
    "how many users placed an order in Q1"])
def test_people_counted_by_what_they_bought_are_the_buyers_not_the_orders(question, catalog):
    assert plan(question, catalog).metric.name == "customers"


def test_orders_counted_by_who_placed_them_stay_orders(catalog):
    assert plan("how many orders did pro users place in Q1", catalog).metric.name == "orders"


@pytest.mark.parametrize("question", ["distribution of PQL scores: how many users at each score?",
                                      "pql score values, how many users have each"])
def test_each_value_of_a_declared_column_is_a_row(question, catalog):
    got = plan(question, catalog)
    assert got.segment.name == "pql_score" and got.by_column == "pql_score"


def test_a_family_named_after_by_is_its_members_not_its_values(catalog):
    assert plan("users by pql score", catalog).by_column is None


def test_written_abbreviations_of_english_words_are_read_as_the_words(catalog):
    assert plan("Q1 rev from pro accts?", catalog).filters[0].values == ("pro",)
    assert plan("pct of trial users that are PQLs", catalog).share
    assert plan("defn of a product qualified lead pls?", catalog).intent == Intent.DEFINITION


def test_now_beside_a_segment_with_a_metric_period_is_membership_today(catalog):
    got = plan("how much did users who are now high churn risk spend with us in 2025?", catalog)
    assert got.segment.member == "high" and got.time_range.column == "ordered_at"


@pytest.mark.parametrize("question", ["cohort sizes for H1 2026 signups, by cohort month",
                                      "how large is the July cohort"])
def test_a_cohorts_size_is_its_month_zero_row(question, catalog):
    got = plan(question, catalog)
    assert got.intent == Intent.RETENTION and got.month_number == 0


def test_comparing_between_two_periods_compares_the_two_not_the_range(catalog):
    got = plan("compare revenue between january and june", catalog)
    assert [(r.start, r.end) for r in got.compared] == [
        (date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 6, 1), date(2026, 6, 30))]
    assert plan("orders between march and may", catalog).compared == ()


@pytest.mark.parametrize(("question", "limit"), [("largest churn tier right now?", 1),
                                                 ("smallest lifecycle stage", 1),
                                                 ("largest churn tiers", None)])
def test_a_superlative_before_one_family_head_asks_for_one_member(question, limit, catalog):
    got = plan(question, catalog)
    assert got.intent == Intent.DISTRIBUTION and got.limit == limit and got.order is not None


def test_a_phrase_opening_with_a_question_word_yields_to_a_longer_one_inside_it(catalog):
    got = plan("tell me how engaged users are worked out", catalog)
    assert got.intent == Intent.DEFINITION and got.segment.name == "engaged_users"
    assert plan("how engaged are trial users", catalog).segment.name == "engagement_score"


def test_people_described_by_values_before_what_they_bought_are_counted_as_buyers(catalog):
    got = plan("how many of the pro users who are champions bought something in May?", catalog)
    assert got.metric.name == "customers" and got.filters[0].values == ("pro",)
    assert plan("how many pro orders in May", catalog).metric.name == "orders"


@pytest.mark.parametrize("joined", ["vs", "compared with", "against"])
def test_two_members_compared_on_a_metric_are_a_row_each(joined, catalog):
    got = plan(f"revenue of loyal customers {joined} hibernating customers in 2025", catalog)
    assert got.intent == Intent.DISTRIBUTION and got.metric.name == "revenue"
    assert set(got.segment.members) == {"loyal_customers", "hibernating"}
    assert plan("revenue of loyal customers or hibernating customers", catalog).intent == \
        Intent.METRIC


def test_a_negation_after_a_period_still_excludes_the_segment_it_names(catalog):
    got = plan("active users over the last 14 days that aren't PQLs", catalog)
    assert [x.name for x in got.excluding] == ["pql"] and got.time_range is not None


def test_a_number_word_after_instead_of_is_the_value_replaced(catalog):
    got = plan("if PQLs needed four projects instead of three, how many PQLs?", catalog)
    assert [(o.parameter, o.value) for o in got.overrides] == [("min_projects", 4)]


@pytest.mark.parametrize("question", [
    "what if we called users churned after 45 days inactive, how many churned users?",
    "if engaged users were looked at over 6 weeks, how many engaged users?"])
def test_verbs_of_defining_belong_to_the_what_if(question, catalog):
    assert plan(question, catalog).overrides


@pytest.mark.parametrize(("question", "first"), [
    ("orders in March vs the month before", (date(2026, 2, 1), date(2026, 2, 28))),
    ("revenue in Q2 2025 against the previous quarter", (date(2025, 1, 1), date(2025, 3, 31))),
    ("signups in 2024 compared to the year before", (date(2023, 1, 1), date(2023, 12, 31)))])
def test_the_period_before_is_the_whole_unit_before_the_one_named(question, first, catalog):
    got = plan(question, catalog)
    assert (got.time_range.start, got.time_range.end)[0] == first[0]
    assert got.group_by[0].grain is not None or got.compared


def test_the_period_before_a_period_of_another_length_is_asked_about(catalog):
    with pytest.raises(ClarificationNeeded):
        plan("orders in the last 10 days vs the month before", catalog)


def test_through_before_a_value_is_a_preposition_and_before_a_period_is_asked_about(catalog):
    assert plan("users who came to us through referral", catalog).filters[0].values == (
        "referral",)
    with pytest.raises(ClarificationNeeded):  # until the end of May, or during May?
        plan("orders through May", catalog)


def test_a_series_through_one_period_runs_across_that_period(catalog):
    got = plan("signups month by month through 2024", catalog)
    assert (got.time_range.start, got.time_range.end) == (date(2024, 1, 1), date(2024, 12, 31))
    assert got.group_by[0].grain == "month"


def test_stack_up_against_compares_two_periods(catalog):
    got = plan("how do orders in May stack up against April", catalog)
    assert got.group_by[0].grain is not None and got.time_range.start == date(2026, 4, 1)


@pytest.mark.parametrize(("question", "segment", "metric", "order"), [
    ("top 3 loyal customers by revenue in 2025", "rfm_segment", "revenue", "desc"),
    ("bottom 4 PQLs by order count this year", "pql", "orders", "asc"),
    ("top 20 customers by total spend", None, "revenue", "desc")])
def test_people_after_a_limit_ranked_by_a_metric_are_a_ranked_list(question, segment, metric,
                                                                   order, catalog):
    got = plan(question, catalog)
    assert got.intent == Intent.LIST and got.metric.name == metric and got.order == order
    assert (got.segment.name if got.segment else None) == segment and got.limit is not None


def test_a_limit_before_a_dimension_is_still_a_breakdown(catalog):
    got = plan("top 3 plans by revenue", catalog)
    assert got.intent == Intent.BREAKDOWN and got.limit == 3


def test_a_series_said_by_its_points_is_the_grain(catalog):
    got = plan("orders by month in 2025, a single figure for each month", catalog)
    assert got.group_by[0].grain == "month"
    with pytest.raises(ClarificationNeeded):
        plan("orders by month in 2025, one figure per week", catalog)


def test_a_number_before_what_it_counts_is_no_day_of_the_month(catalog):
    got = plan("please plot weekly orders for May? one point per week", catalog)
    assert (got.time_range.start, got.time_range.end) == (date(2026, 5, 1), date(2026, 5, 31))
    assert got.group_by[0].grain == "week"


def test_current_beside_a_window_up_to_today_is_that_window(catalog):
    got = plan("current daily active users (last 1 day)?", catalog)
    assert got.time_range.end == AS_OF and got.metric.name == "active_users"


def test_a_definition_asked_with_an_adverb_is_a_definition(catalog):
    got = plan("so what really counts as a PQL in our numbers?", catalog)
    assert got.intent == Intent.DEFINITION and got.segment.name == "pql"


def test_written_abbreviations_of_customers_and_stage(catalog):
    assert plan("revenue from champion custs in 2025", catalog).segment.member == "champions"
    assert plan("how many users in the at-risk lifecycle stg", catalog).segment.member == \
        "at_risk"


def test_a_noun_naming_a_dimensions_values_in_general_is_that_dimension(catalog):
    got = plan("which plan tier had the most orders in May", catalog)
    assert got.group_by[0].name == "plan" and got.limit == 1
    assert plan("order volume in May", catalog).metric.name == "orders"


@pytest.mark.parametrize(("question", "column"), [("customers by recency score", "r"),
                                                  ("distribution of monetary scores", "m"),
                                                  ("loyal customers split by f score", "f")])
def test_a_columns_declared_words_name_it_and_its_segment(question, column, catalog):
    got = plan(question, catalog)
    assert got.segment.name == "rfm_segment" and got.by_column == column


def test_an_average_of_a_columns_declared_words_is_that_column(catalog):
    got = plan("average recency score of loyal customers", catalog)
    assert got.measure.column == "r" and got.segment.member == "loyal_customers"


@pytest.mark.parametrize(("question", "grain", "order"), [
    ("which quarter had the fewest orders in 2025", "quarter", "asc"),
    ("what week had the highest revenue since March", "week", "desc"),
    ("which date had the most signups in May", "day", "desc")])
def test_which_period_had_the_most_is_the_one_best_period_of_that_grain(question, grain, order,
                                                                        catalog):
    got = plan(question, catalog)
    assert got.group_by[0].grain == grain and got.limit == 1 and got.order == order


def test_on_average_before_a_question_word_is_asked_about_not_refused_as_ungoverned(catalog):
    with pytest.raises(ClarificationNeeded) as info:
        plan("on average, how many orders does a loyal customer place?", catalog)
    assert "average" in info.value.message


@pytest.mark.parametrize("question", [
    "order count from PQLs versus everybody else this quarter",
    "how many trial PQLs vs non-PQLs",
    "spend in May, hibernating customers against the rest",
])
def test_a_segment_against_everyone_else_is_a_row_for_each_side(question, catalog):
    got = plan(question, catalog)
    assert got.versus_rest and got.segment is not None and not got.excluding


def test_the_rest_after_a_value_is_not_read_as_the_segments_complement(catalog):
    """"champions' spend in the US vs the rest" compares countries, which this does not
    read: asked back, not answered as champions against everyone else."""
    with pytest.raises(ClarificationNeeded):
        plan("champions revenue in the US vs the rest", catalog)


def test_the_rest_of_a_named_group_keeps_both_sides_in_that_group(catalog):
    """"engaged users vs the rest of our trial users": trial users, engaged or not."""
    got = plan("how many engaged users vs the rest of our trial users", catalog)
    assert got.versus_rest and [f.values for f in got.filters] == [("trial",)]


@pytest.mark.parametrize("question", ["how many accounts are still in the new stage",
                                      "hibernating customers still on the pro plan, count"])
def test_still_beside_a_state_is_membership_today(question, catalog):
    got = plan(question, catalog)
    assert got.segment is not None and got.time_range is None


def test_a_number_noun_after_a_metric_is_that_metrics_value(catalog):
    got = plan("what's the Q1 orders figure", catalog)
    assert got.metric.name == "orders" and got.intent == Intent.METRIC
    with pytest.raises(ClarificationNeeded):  # no metric named: "numbers" names nothing
        plan("the numbers for March by country", catalog)


def test_paying_customers_beside_a_segment_count_its_buyers(catalog):
    assert plan("how many paying customers are churned?", catalog).metric.name == "customers"
    assert plan("how many churned customers", catalog).metric.name == "users"


def test_the_whole_of_a_share_is_what_follows_the_share_word(catalog):
    """"if the bar were 65, what share of free users would qualify": free users are the
    whole, however early the what-if names the segment."""
    got = plan("If we set the PQL score threshold to 65, what share of free users would qualify?",
               catalog)
    assert got.share and not got.share_of_segment and got.overrides


@pytest.mark.parametrize("question, order", [("top 2 churn tiers by order count", "desc"),
                                             ("bottom 3 lifecycle stages by revenue", "asc")])
def test_the_top_members_of_a_family_by_a_metric_are_ranked_members_not_people(
        question, order, catalog):
    got = plan(question, catalog)
    assert got.intent == Intent.DISTRIBUTION and got.metric is not None
    assert (got.limit, got.order) == (int(question.split()[1]), order)


def test_a_period_of_a_measured_metric_beside_today_s_members_is_the_metrics_period(catalog):
    got = plan("weekly orders in Q1 from the accounts that are champions now", catalog)
    assert got.intent == Intent.BREAKDOWN and got.time_range.column == "ordered_at"
    assert got.segment.member == "champions"


def test_a_period_over_its_unit_compares_it_with_the_one_before(catalog):
    got = plan("orders in April, month over month", catalog)  # March and April, a row each
    assert (got.time_range.start, got.time_range.end) == (date(2026, 3, 1), date(2026, 4, 30))
    assert [g.grain for g in got.group_by] == ["month"]
    weeks = plan("orders last week, week over week", catalog)
    assert [(r.start, r.end) for r in weeks.compared] == [
        (date(2026, 6, 15), date(2026, 6, 21)), (date(2026, 6, 22), date(2026, 6, 28))]
    with pytest.raises(ClarificationNeeded):  # nothing the comparison could be made of
        plan("signups of the last 30 days, QoQ", catalog)
    trend = plan("how has revenue trended week over week", catalog)  # no period: by week
    assert [g.grain for g in trend.group_by] == ["week"]


@pytest.mark.parametrize("question", ["the sum of revenue in Q1",
                                      "signups per month since we launched",
                                      "give me the ids of every PQL",
                                      "churn tier x plan, counts in each combo"])
def test_words_that_restate_what_the_plan_does_are_understood(question, catalog):
    plan(question, catalog)


def test_an_aggregate_word_is_not_understood_for_a_metric_that_is_a_ratio(catalog):
    with pytest.raises(ClarificationNeeded):
        plan("the sum of AOV in Q1", catalog)


@pytest.mark.parametrize("question", ["top 4 enterprise German customers by revenue",
                                      "rank the PQLs by order count, top 3 only"])
def test_people_ranked_by_a_metric_may_be_described_or_ranked_by_a_verb(question, catalog):
    got = plan(question, catalog)
    assert got.intent == Intent.LIST and got.metric is not None and got.limit


def test_a_list_of_periods_is_a_row_each_and_a_year_written_last_is_every_ones(catalog):
    months = plan("orders in February, April and June", catalog)
    assert [r.start.month for r in months.compared] == [2, 4, 6]
    quarters = plan("revenue Q1 vs Q2 vs Q3 2025", catalog)  # consecutive: one row per quarter
    assert (quarters.time_range.start, quarters.time_range.end) == (date(2025, 1, 1),
                                                                     date(2025, 9, 30))
    assert [g.grain for g in quarters.group_by] == ["quarter"]


def test_any_word_for_people_names_a_table_of_people(catalog):
    """`country` is on `users`: "the customer's country" and "client country" name it."""
    for question in ("orders by customer country", "revenue by client country in May"):
        assert [g.name for g in plan(question, catalog).group_by] == ["country"]


@pytest.mark.parametrize("question", ["how many orders do we have on record",
                                      "revenue by plan over the entire history",
                                      "how many users are sitting on the trial plan",
                                      "how many orders have we taken in May"])
def test_plain_english_idioms_about_what_the_plan_already_does_are_understood(question,
                                                                             catalog):
    plan(question, catalog)


def test_a_superlative_first_is_the_order_of_the_rows(catalog):
    got = plan("revenue by country, biggest first", catalog)
    assert got.order == "desc" and not got.limit


@pytest.mark.parametrize("question", ["how many trial users haven't been active",
                                      "pro accounts that were not active in April"])
def test_people_not_active_are_counted_without_the_active_metric(question, catalog):
    got = plan(question, catalog)
    assert got.without_metric.name == "active_users" and got.metric.name == "users"


def test_a_movement_may_be_asked_as_a_transition_matrix_or_a_breakdown(catalog):
    for question in ("RFM transition matrix from the end of February to now",
                     "where did end-of-February loyal customers end up, breakdown by segment"):
        assert plan(question, catalog).intent == Intent.MOVEMENT


def test_the_whole_base_restates_an_unrestricted_population(catalog):
    assert plan("churn tier breakdown across the entire user base", catalog).segment
    with pytest.raises(ClarificationNeeded):  # a filtered count is not the whole base
        plan("German signups across the entire user base", catalog)


def test_under_that_rule_refers_to_the_what_if(catalog):
    got = plan("if a PQL needed 4 projects, how many PQLs on trial under that rule", catalog)
    assert got.overrides and got.overrides[0].value == 4


def test_a_count_of_those_who_left_a_member_is_not_answered_per_member(catalog):
    """"January champions who aren't champions anymore, counts per segment" asks for rows the
    count of leavers (one number) does not have: asked back, not answered as one number."""
    with pytest.raises(ClarificationNeeded):
        plan("customers who were champions at the end of January but are not champions "
             "anymore, counts per segment", catalog)


def test_a_member_declared_not_alone_is_named_by_its_plain_word_only_beside_its_family(
        tmp_path):
    """`alone: false` on lifecycle `new`: "new users in May" are May's signups, and "the new
    lifecycle stage" is the member; the flag is the data team's, per member, in YAML."""
    import shutil
    from pathlib import Path

    from assistant.catalog import load_catalog

    models = tmp_path / "semantic_models"
    shutil.copytree(Path(__file__).resolve().parents[3] / "semantic_models", models)
    governed = load_catalog(models)
    assert plan("how many new users in May", governed).segment is None
    assert plan("users in the new lifecycle stage", governed).segment.member == "new"
    path = models / "lifecycle_stage.yml"
    text = path.read_text()
    start = text.index("- name: new\n")
    flag = text.index("alone: false", start)
    path.write_text(text[:flag] + "alone: true " + text[flag + len("alone: false"):])
    assert load_catalog(models).segments["lifecycle_stage"].member("new").alone


@pytest.mark.parametrize("question", ["hw many pro users signed up in april",
                                      "how mnay pro users signed up in april",
                                      "how many pro users signed up in aprli",
                                      "how many pro users hve signed up in april"])
def test_short_words_typed_wrong_are_read_as_the_word_meant(question, catalog):
    got = plan(question, catalog)
    assert got.filters[0].values == ("pro",) and got.time_range.start == date(2026, 4, 1)


def test_a_two_letter_code_is_never_corrected_into_a_word(catalog):
    got = plan("orders from BR in march", catalog)
    assert got.filters[0].values == ("BR",)


def test_a_word_cut_short_before_the_rest_of_a_governed_phrase_is_that_phrase(catalog):
    got = plan("trial users by acq channel", catalog)
    assert [g.name for g in got.group_by] == ["acquisition_channel"]


@pytest.mark.parametrize(("question", "limit", "order"), [
    ("which 4 pro users placed the most orders in 2025", 4, "desc"),
    ("which 2 churned-stage users spent the least last year", 2, "asc"),
    ("who is our single largest champion by revenue this year", 1, "desc"),
    ("who spent the most last quarter", 1, "desc"),
    ("the top 7 spenders among trial users in may", 7, "desc"),
])
def test_people_ranked_by_a_metric_said_by_a_question_word_or_a_doer(
        question, limit, order, catalog):
    got = plan(question, catalog)
    assert got.intent == Intent.LIST and got.metric is not None
    assert got.metric.name in ("revenue", "orders")
    assert (got.limit, got.order) == (limit, order)


def test_a_plain_which_question_still_picks_one_group_not_people(catalog):
    got = plan("which country has the most trial users", catalog)
    assert got.intent == Intent.BREAKDOWN and got.limit == 1


@pytest.mark.parametrize("tail", ["I'll send them a survey", "going to call the owners",
                                  "feels like a list for the AMs",
                                  "we want to thank them next week"])
def test_what_the_asker_will_do_with_the_answer_is_context(tail, catalog):
    got = plan(f"list the pro users in the engaged lifecycle stage, {tail}", catalog)
    assert got.intent == Intent.LIST and got.filters[0].values == ("pro",)


def test_an_intent_clause_that_adds_a_restriction_is_still_read(catalog):
    got = plan("revenue by plan, I want to see Q2 only", catalog)
    assert got.time_range is not None and got.time_range.start == date(2026, 4, 1)
    split = plan("revenue by plan, we want to split it by churn risk", catalog)
    assert split.segment is not None and split.segment.name == "churn_risk"  # never dropped


def test_a_split_by_something_nothing_governs_is_refused_as_not_modeled(catalog):
    with pytest.raises(Refusal) as refused:
        plan("revenue by favourite colour last quarter", catalog)
    assert "favourite colour" in str(refused.value)


def test_a_split_by_a_governed_word_said_vaguely_is_asked_back(catalog):
    with pytest.raises(ClarificationNeeded):
        plan("q2 revenue broken down by tier", catalog)


def test_a_quantity_of_something_nothing_governs_is_refused(catalog):
    with pytest.raises(Refusal) as refused:
        plan("how many support calls were escalated in may", catalog)
    assert "support" in str(refused.value)


def test_a_quantity_of_a_table_without_a_metric_is_asked_back(catalog):
    with pytest.raises(ClarificationNeeded):
        plan("how many sessions did we log in march", catalog)


def test_a_clause_of_periods_after_the_metric_is_never_dropped(catalog):
    got = plan("trial revenue: last month vs the month before that", catalog)
    assert got.time_range is not None and got.time_range.start == date(2026, 4, 1)


def test_a_period_of_what_the_asker_will_do_is_theirs_not_the_answers(catalog):
    got = plan("list the churned pro users, going to ring them this week", catalog)
    assert got.intent == Intent.LIST and got.time_range is None


def test_of_everyone_in_a_segment_the_share_is_of_that_segment(catalog):
    got = plan("Of everyone in the engaged stage, what share is on the pro plan?", catalog)
    assert got.share and got.share_of_segment


def test_a_split_as_a_share_of_the_segment_is_each_groups_part_of_it(catalog):
    got = plan("PQLs by plan, as a share of all PQLs", catalog)
    assert got.share and got.share_of_total


def test_saying_to_use_the_usual_definition_is_no_definition_question(catalog):
    got = plan("30-day active users by plan. usual definition as always", catalog)
    assert got.intent == Intent.BREAKDOWN


def test_one_metric_set_against_another_is_no_negation_of_people(catalog):
    with pytest.raises(ClarificationNeeded):  # "buyers, not orders" is asked back, never lacking
        plan("customers by plan in 2025, distinct buyers not orders", catalog)
    assert plan("pro accounts not active since may", catalog).without_metric is not None


@pytest.mark.parametrize("question", [
    "how many trial users are PQLs? planning a welcome email for them",
    "count the churned pro users - we'd reach them by email",
    "list the champions in FR, no contact details needed"])
def test_an_email_sent_or_declined_is_no_request_for_personal_data(question, catalog):
    with contextlib.suppress(ClarificationNeeded):  # asking back is fine; refusing is not
        assert plan(question, catalog).segment is not None


@pytest.mark.parametrize("question", ["list champions with their email",
                                      "pull the email list of trial PQLs",
                                      "phone numbers of engaged users"])
def test_personal_data_asked_for_is_refused(question, catalog):
    with pytest.raises(Refusal):
        plan(question, catalog)


def test_setting_a_governed_parameter_to_a_number_is_a_what_if_not_a_write(catalog):
    got = plan("set the pql score threshold to 75 - how many trial users qualify?", catalog)
    assert got.overrides and got.overrides[0].value == 75
    for write in ("set the plan of user 12 to pro", "set the pql score threshold to 75 for good",
                  "drop the users table"):
        with pytest.raises(Refusal):
            plan(write, catalog)


def test_more_of_one_value_or_another_is_the_one_that_has_more(catalog):
    got = plan("are there more engaged users on pro or on enterprise?", catalog)
    assert [g.name for g in got.group_by] == ["plan"] and (got.limit, got.order) == (1, "desc")
    fewer = plan("fewer hibernating or new customers?", catalog)
    assert fewer.intent == Intent.DISTRIBUTION and (fewer.limit, fewer.order) == (1, "asc")
    periods = plan("did we get more signups in march or april?", catalog)
    assert periods.limit is None  # two periods compared: both are shown


def test_values_beside_a_segment_against_the_rest_narrow_both_sides(catalog):
    got = plan("engaged users vs the rest of our pro and enterprise users: revenue in Q2", catalog)
    assert got.versus_rest and not got.group_by
    assert set(got.filters[0].values) == {"enterprise", "pro"}


def test_a_cohort_is_narrowed_by_who_its_people_are(catalog):
    got = plan("month 2 retention of the feb 2026 cohort, trial users only", catalog)
    assert got.intent == Intent.RETENTION and got.month_number == 2
    assert got.filters[0].values == ("trial",)


@pytest.mark.parametrize("question", [
    "morning all! how many trial users signed up in may? thanks so much in advance",
    "sorry if this is a silly question but how many trial users signed up in may",
    "how many trial users signed up in may? just the one number, no breakdown",
    "trial signups in may ofc, thx"])
def test_greetings_hedges_and_the_answers_form_are_how_not_what(question, catalog):
    got = plan(question, catalog)
    assert got.filters[0].values == ("trial",) and got.time_range.start == date(2026, 5, 1)
    assert not got.group_by


def test_at_least_one_order_in_the_period_is_what_a_buyer_count_means(catalog):
    got = plan("how many buyers in may, i.e. anyone with at least one completed order in the "
               "month?", catalog)
    assert got.metric.name == "customers" and got.time_range.start == date(2026, 5, 1)


def test_the_answers_form_words_are_not_read_where_they_do_not_fit(catalog):
    with pytest.raises(ClarificationNeeded):  # one number cannot be a split by plan
        plan("revenue by plan in may, just the one number", catalog)


def test_a_duration_in_weeks_goes_to_the_day_parameter_its_words_name(catalog):
    got = plan("what if we gave people two weeks to activate, how many would be "
               "not activated?", catalog)
    assert [(o.parameter, o.value) for o in got.overrides] == [("activation_window_days", 14)]


@pytest.mark.parametrize("question", [
    "what actually tips someone into the medium churn tier?",
    "where do the points in the pql score come from?",
    "how exactly does segq decide who is a PQL?",
    "champions - just the rule please"])
def test_definition_questions_in_other_words(question, catalog):
    assert plan(question, catalog).intent == Intent.DEFINITION


def test_the_n_people_who_did_the_most_with_their_ids_and_amounts(catalog):
    got = plan("the 3 pro users who spent the most in may - user id + how much", catalog)
    assert got.intent == Intent.LIST and (got.limit, got.order) == (3, "desc")
    assert got.metric.name == "revenue"


def test_a_grain_alone_names_nothing_measured(catalog):
    with pytest.raises(ClarificationNeeded):
        plan("can you pull the weekly trend for me", catalog)
    assert plan("weekly signups this year", catalog).metric.name == "users"


def test_todays_members_split_by_signup_period_are_all_of_them(catalog):
    got = plan("how many of today's PQLs signed up in each quarter?", catalog)
    assert got.segment.name == "pql" and got.time_range is None
    assert [(g.name, g.grain) for g in got.group_by] == [("signup_at", "quarter")]


@pytest.mark.parametrize(("question", "segment", "member"), [
    ("what makes someone a champion, and how many do we have?", "rfm_segment", "champions"),
    ("remind me how PQL is defined and give me the current count", "pql", None),
])
def test_a_definition_asked_with_a_count_is_answered_with_the_count(question, segment, member,
                                                                    catalog):
    got = plan(question, catalog)
    assert got.intent == Intent.COUNT
    assert (got.segment.name, got.segment.member) == (segment, member)


@pytest.mark.parametrize("question", ["week-by-week signup count for June",
                                      "signups in june, week by week"])
def test_a_grain_said_on_both_sides_of_by_is_one_grain(question, catalog):
    got = plan(question, catalog)
    assert [(g.name, g.grain) for g in got.group_by] == [("signup_at", "week")]


def test_a_phrasal_noun_written_in_two_words_is_the_noun(catalog):
    got = plan("which channel got the most sign ups last month", catalog)
    assert got.metric.name == "users" and got.limit == 1


@pytest.mark.parametrize(("question", "span"), [
    ("2025 revenue: Q1 vs Q2", (date(2025, 1, 1), date(2025, 6, 30))),
    ("for 2025, orders in march vs april", (date(2025, 3, 1), date(2025, 4, 30))),
    ("orders in march vs april", (date(2026, 3, 1), date(2026, 4, 30))),
])
def test_a_year_said_once_beside_compared_periods_is_the_year_of_each(question, span,
                                                                      catalog):
    got = plan(question, catalog)  # consecutive periods: one range, a row per period
    assert (got.time_range.start, got.time_range.end) == span
    assert len(got.group_by) == 1 and got.group_by[0].grain is not None


@pytest.mark.parametrize("question", [
    "support lead here, how many users are in the high churn risk tier?",
    "sales ops: how many users are in the high churn risk tier?",
    "not sure this is the right channel, but how many users are in the high churn risk tier?",
    "sorry, how many users are in the high churn risk tier?",
])
def test_who_asks_and_hedges_about_asking_are_context(question, catalog):
    got = plan(question, catalog)
    assert (got.intent, got.segment.name, got.segment.member) == (Intent.COUNT, "churn_risk",
                                                                  "high")


def test_the_work_the_answer_is_for_is_context(catalog):
    got = plan("I'm preparing the quarterly board deck and need revenue for 2025", catalog)
    assert got.metric.name == "revenue" and got.time_range.start == date(2025, 1, 1)


@pytest.mark.parametrize(("question", "parameter", "value"), [
    ("churned stage count if it kicked in after sixty days of inactivity",
     "churned_inactive_days", 60),
    ("pql score qualified count with a threshold of seventy-five", "threshold", 75),
    ("engaged users over a 2 week window instead of the usual 4", "weeks", 2),
])
def test_what_if_values_in_words_and_beside_the_usual_value(question, parameter, value,
                                                            catalog):
    got = plan(question, catalog)
    assert [(o.parameter, o.value) for o in got.overrides] == [(parameter, value)]


@pytest.mark.parametrize("question", ["can someone split our engaged users out by plan",
                                      "the engaged users number by plan please"])
def test_a_request_to_split_a_segment_is_its_breakdown(question, catalog):
    got = plan(question, catalog)
    assert got.intent == Intent.BREAKDOWN and got.segment.name == "engaged_users"
    assert [g.name for g in got.group_by] == ["plan"]


def test_a_family_negated_beside_a_shared_member_word_rules_that_reading_out(catalog):
    got = plan("revenue in H1 2026 from the at-risk group (the RFM segment, not lifecycle)",
               catalog)
    assert (got.segment.name, got.segment.member) == ("rfm_segment", "at_risk")
    assert got.excluding == ()
    with pytest.raises(ClarificationNeeded):
        plan("how many at risk users, not lifecycle", catalog)


def test_a_definition_asked_with_another_figure_is_answered_with_the_figure(catalog):
    got = plan("two things: how is cohort retention defined, and what's month-3 retention for "
               "the January 2026 signup cohort?", catalog)
    assert got.intent == Intent.RETENTION and got.month_number == 3


def test_a_definition_asked_with_a_count_not_understood_is_asked_back_not_defined(catalog):
    with pytest.raises(ClarificationNeeded):
        plan("what counts as an engaged user, and how many of them would squiggle?", catalog)


@pytest.mark.parametrize("question", [
    "support lead here \U0001f44b how many users are in the high churn risk tier?",
    "just curious as a designer, how many users are in the high churn risk tier?",
])
def test_an_opening_about_the_asker_is_context(question, catalog):
    got = plan(question, catalog)  # an emoji ends a clause; an opening part naming nothing
    assert (got.intent, got.segment.name, got.segment.member) == (Intent.COUNT, "churn_risk",
                                                                  "high")


@pytest.mark.parametrize("question", [
    "other than the obvious ones, how many users are in the high churn risk tier?",
    "for people who came back, how many users are in the high churn risk tier?",
])
def test_an_opening_that_could_narrow_who_is_counted_is_never_dropped(question, catalog):
    with pytest.raises(ClarificationNeeded):
        plan(question, catalog)


def test_a_definition_in_a_clause_of_its_own_is_answered_with_its_figure(catalog):
    got = plan("what's a PQL exactly, and how many do we have right now?", catalog)
    assert (got.intent, got.segment.name) == (Intent.COUNT, "pql")
    got = plan("remind me what 'engaged' means, and give me the engaged user count for Japan",
               catalog)
    assert got.segment.name == "engaged_users" and got.filters[0].values == ("JP",)


def test_a_definition_beside_a_figure_about_something_else_is_asked_back(catalog):
    with pytest.raises(ClarificationNeeded, match="two things"):
        plan("what's a PQL exactly, and how many champions do we have?", catalog)


@pytest.mark.parametrize("question", ["how many users have ever signed up",
                                      "what's our total user count? everyone who signed up"])
def test_everyone_who_ever_signed_up_is_every_user(question, catalog):
    got = plan(question, catalog)
    assert got.intent == Intent.COUNT and got.metric.name == "users" and got.time_range is None


@pytest.mark.parametrize("question", ["signups by quarter, all the way back",
                                      "revenue per quarter, every quarter we have data for"])
def test_the_extent_of_the_data_is_no_period(question, catalog):
    got = plan(question, catalog)
    assert got.time_range is None and got.group_by[0].grain.value == "quarter"


def test_since_the_start_of_the_year_runs_to_the_as_of_date(catalog):
    got = plan("orders since the start of the year", catalog)
    assert (got.time_range.start, got.time_range.end) == (date(2026, 1, 1), AS_OF)


def test_a_period_beside_a_metric_of_its_own_is_when_it_happened_not_a_window(catalog):
    got = plan("orders last week from engaged users?", catalog)
    assert got.metric.name == "orders" and not got.overrides
    assert (got.time_range.start, got.time_range.end) == (date(2026, 6, 22), date(2026, 6, 28))


def test_a_participle_before_the_counted_noun_describes_it(catalog):
    got = plan("how many completed orders came through last month?", catalog)
    assert got.metric.name == "orders"
    assert plan("how many have ordered since April", catalog).metric.name == "customers"


@pytest.mark.parametrize("question", ["break last month down by channel for me",
                                      "Q2 split by plan please"])
def test_a_breakdown_of_nothing_named_is_asked_back(question, catalog):
    with pytest.raises(ClarificationNeeded):
        plan(question, catalog)


def test_a_member_named_right_after_a_duration_owns_the_rule_it_sets(catalog):
    got = plan("with 21 days as the at-risk lifecycle cutoff, how many users are at risk?",
               catalog)
    assert [(o.parameter, o.value) for o in got.overrides] == [("at_risk_inactive_days", 21)]


@pytest.mark.parametrize(("question", "name"), [
    ("could you walk me through how the PQL score works?", "pql_score"),
    ("what's the thinking behind the engaged users definition?", "engaged_users"),
    ("when you say 'active users', who exactly are you counting?", "active_users"),
    ("where do the churn risk tier cutoffs come from?", "churn_risk"),
])
def test_more_wordings_of_a_definition_question(question, name, catalog):
    got = plan(question, catalog)
    named = got.segment.name if got.segment else got.metric.name
    assert got.intent == Intent.DEFINITION and named == name


def test_an_order_to_flip_rows_is_a_write_refused(catalog):
    with pytest.raises(Refusal):
        plan("please flip the cancelled orders from June to completed", catalog)


@pytest.mark.parametrize("question", ["revenue between april and june, inclusive",
                                      "each plan's share of revenue in Q2, as percentages",
                                      "weekly orders in May, weeks starting on Monday"])
def test_words_about_how_a_range_or_share_is_written_are_understood(question, catalog):
    assert plan(question, catalog).metric is not None


def test_a_value_alone_as_the_heading_of_a_question_is_asked_back(catalog):
    with pytest.raises(ClarificationNeeded, match="who is asking"):
        plan("resellers: revenue by month this year", catalog)  # the channel, or the team?
    assert plan("orders: march vs april", catalog).metric.name == "orders"  # a metric heads it


def test_the_buyers_word_apart_from_the_segment_counts_buyers(catalog):
    got = plan("for users in the activated stage: number of customers in Q2 per country",
               catalog)
    assert got.metric.name == "customers" and got.segment.member == "activated"
    assert plan("how many engaged customers are there", catalog).metric is None or \
        plan("how many engaged customers are there", catalog).metric.name == "users"


def test_with_the_bar_changed_people_who_make_it_are_the_qualified(catalog):
    got = plan("set the pql score threshold to 90. how many users in india make it?", catalog)
    assert got.segment.member == "qualified" and got.overrides[0].value == 90


def test_a_percent_change_between_periods_is_the_change_not_a_share(catalog):
    got = plan("by what percent did orders grow from Q1 to Q2?", catalog)
    assert got.change and not got.share and got.metric.name == "orders"
    with pytest.raises(ClarificationNeeded, match="exactly two periods"):
        plan("revenue growth in Q1 vs Q2 vs Q3", catalog)
    assert not plan("did orders grow from Q1 to Q2?", catalog).change  # both, side by side
    assert not plan("how many users signed up in Q3 vs Q1?", catalog).change


def test_a_definition_naming_a_family_and_its_members_is_that_familys(catalog):
    got = plan("explain the lifecycle stages: when is someone 'activated' vs 'engaged'?",
               catalog)
    assert got.intent == Intent.DEFINITION and got.segment.name == "lifecycle_stage"
    with pytest.raises(ClarificationNeeded):  # two definitions named, no member of either
        plan("how are engaged users and lifecycle stages defined", catalog)


@pytest.mark.parametrize(("question", "unit"), [("how has revenue moved year over year?", "year"),
                                                ("orders quarter on quarter", "quarter")])
def test_one_unit_over_the_same_with_no_period_is_a_series_of_that_unit(question, unit, catalog):
    p = plan(question, catalog)
    assert [g.grain.value for g in p.group_by if g.grain] == [unit] and p.time_range is None


def test_one_unit_over_the_same_beside_a_period_still_compares_with_the_year_before(catalog):
    p = plan("revenue year over year for 2025", catalog)  # 2024 and 2025, a row each
    assert (p.time_range.start, p.time_range.end) == (date(2024, 1, 1), date(2025, 12, 31))
    assert [g.grain.value for g in p.group_by if g.grain] == ["year"]


@pytest.mark.parametrize("question", ["do refunded orders count toward revenue?",
                                      "which orders are included in revenue, exactly?",
                                      "so which orders go into the revenue figure?"])
def test_a_definition_of_what_goes_into_a_figure_is_the_figures(question, catalog):
    p = plan(question, catalog)
    assert p.intent == Intent.DEFINITION and p.metric.name == "revenue"


@pytest.mark.parametrize("question, limit, order", [
    ("which 3 plans have the most revenue", 3, "desc"),
    ("which three countries had the most signups", 3, "desc"),
    ("what two plans brought in the least revenue in 2025?", 2, "asc")])
def test_a_count_after_which_is_how_many_groups_a_superlative_ranks(question, limit, order,
                                                                    catalog):
    """ "Which 3 plans have the most revenue" is the top three plans, not a question about
    the number 3 (it was asked back, the count and the superlative not understood)."""
    got = plan(question, catalog)
    assert (got.limit, got.order, [g.name for g in got.group_by]) == (
        limit, order, ["country" if "countries" in question else "plan"])


def test_a_count_after_which_without_a_superlative_ranks_nothing(catalog):
    with contextlib.suppress(ClarificationNeeded, Refusal):
        assert plan("which 3 plans have revenue", catalog).limit is None


def test_rank_the_groups_by_a_figure_is_a_breakdown_most_first(catalog):
    got = plan("rank the plans by revenue", catalog)
    assert ([g.name for g in got.group_by], got.order) == (["plan"], "desc")


def test_a_period_compared_with_the_one_before_it_is_both_periods(catalog):
    """ "Compare with the quarter before it": Q4 2025 and Q1 2026, a row each (the verb
    "compare" was only read as "compared")."""
    got = plan("how did revenue last quarter compare with the quarter before it?", catalog)
    assert (got.time_range.start, got.time_range.end) == (date(2025, 10, 1), date(2026, 3, 31))
    assert [g.grain for g in got.group_by] == ["quarter"]


def test_totals_of_a_figure_by_a_grain_are_its_figure_per_period(catalog):
    got = plan("yearly totals of revenue, please", catalog)
    assert [(g.grain) for g in got.group_by] == ["year"] and got.metric.name == "revenue"


@pytest.mark.parametrize("question", ["how many users did we lose last quarter?",
                                      "users who churned in March", "how many have we lost in Q1"])
def test_a_member_named_by_a_verb_its_period_dates_is_asked_back(question, catalog):
    """Membership is as of today: when each one churned is not known, so "lost last
    quarter" is asked back rather than answered as the churned who signed up then (it was)."""
    with pytest.raises(ClarificationNeeded, match="when each of them became so"):
        plan(question, catalog)


@pytest.mark.parametrize("question", ["churned users in Q1",
                                      "how many churned users signed up last quarter"])
def test_a_member_and_a_period_said_without_its_verb_filter_signups(question, catalog):
    got = plan(question, catalog)
    assert got.segment.member == "churned" and got.time_range.column == "signup_at"


def test_put_side_by_side_is_a_comparison(catalog):
    side = plan("put Q1 and Q2 revenue side by side", catalog)
    assert [g.grain for g in side.group_by] == ["quarter"] and side.metric.name == "revenue"


def test_what_line_items_add_up_to_is_not_read_as_their_count(catalog):
    """ "Add up to" may be a count or a sum of amounts: it is not understood, so it is asked
    (read as a count word, "what did the line items add up to" had answered their count)."""
    with pytest.raises(ClarificationNeeded):
        plan("what did pro users' orders add up to in May?", catalog)


@pytest.mark.parametrize("question, limit, order", [
    ("which three months brought in the most revenue", 3, "desc"),
    ("what 2 weeks had the fewest signups?", 2, "asc")])
def test_which_n_periods_with_a_superlative_later_rank_the_periods(question, limit, order,
                                                                   catalog):
    """The count of periods is said after the question word and the superlative later in the
    sentence (it was asked back: "3 months", "most" not understood)."""
    got = plan(question, catalog)
    assert (got.limit, got.order) == (limit, order)
    assert [g.grain for g in got.group_by] == ["month" if "months" in question else "week"]


@pytest.mark.parametrize("question", ["add up revenue in Q1", "tot up the orders for May"])
def test_adding_figures_up_is_a_sum_not_a_write(catalog, question):
    assert not writes(question)


@pytest.mark.parametrize("question", ["please bump user 7 up to pro", "add a user called Ann"])
def test_bumping_or_adding_rows_is_a_write(question):
    assert writes(question)


def test_add_up_asks_for_the_sum_of_a_summed_metric(catalog):
    got = plan("add up revenue in Q1", catalog)
    assert got.metric is not None and got.metric.name == "revenue" and got.time_range
