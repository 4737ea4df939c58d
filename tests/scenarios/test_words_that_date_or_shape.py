"""Words that say when something happened or how it is counted, read as that and not as
something near it: each of these was answered with a plausible wrong number before."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.pipeline import Assistant
from tests import reference_sql
from tests.shared_models import SHARED, shared_config


def champion_buyers(assistant: Assistant, start: str, end: str) -> int:
    """Today's RFM champions with a completed order between `start` and `end`, in plain SQL."""
    return assistant.warehouse.cursor().execute(
        f"WITH rfm AS ({reference_sql.rfm_segment_sql()}) "
        "SELECT COUNT(DISTINCT o.user_id) FROM orders o JOIN rfm USING (user_id) "
        "WHERE rfm.segment = 'champions' AND o.status = 'completed' "
        "AND CAST(o.ordered_at AS DATE) BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)",
        [start, end]).fetchall()[0][0]


def test_a_period_after_a_buying_verb_dates_the_buying_not_the_membership(config):
    """ "Still bought in Q1" counts today's champions who ordered in Q1; it was read as the
    champions at the end of Q1 who are champions still."""
    assistant = Assistant(config)
    answer = assistant.ask("how many customers in the RFM champions segment still bought "
                           "something in Q1?")
    assert answer.status == "answered", answer.message
    assert answer.rows[0][-1] == champion_buyers(assistant, "2026-01-01", "2026-03-31")


def test_each_that_leads_a_grouping_does_not_split_the_values_named_elsewhere(config):
    """ "Free/trial users ..., in each country" is one row per country over both plans; "each"
    also split them by plan, one row per country and plan."""
    assistant = Assistant(config)
    answer = assistant.ask("how many free/trial users are qualified by PQL score, in each country?")
    assert answer.status == "answered", answer.message
    expected = assistant.warehouse.cursor().execute(
        f"WITH s AS ({reference_sql.pql_score_sql()}) "
        "SELECT u.country, COUNT(*) FROM s JOIN users u USING (user_id) "
        "WHERE s.score >= 80 GROUP BY 1").fetchall()
    assert sorted(map(tuple, answer.rows)) == sorted(expected)


@pytest.mark.skipif(not (SHARED / "cube").is_dir(), reason="no shared Cube model")
def test_a_lead_clause_with_a_calendar_unit_is_never_dropped_as_context(tmp_path: Path) -> None:
    """ "Month over month, how many ... in the first half" says how to count: it was dropped as
    context and the half-year total answered; now it is asked back."""
    config = shared_config(tmp_path, "cube/model", "2023-11-06")
    answer = Assistant(config).ask("Month over month, how many orders did we get in the first "
                                   "half of 2023?").log_dict()
    assert answer["status"] == "clarify" and "month over month" in answer["message"].lower()


@pytest.mark.skipif(not (SHARED / "cortex-analyst").is_dir(), reason="no shared Cortex model")
def test_walk_me_through_a_period_asks_for_figures_not_a_definition(tmp_path: Path) -> None:
    """ "Walk me through December day by day" asks for figures (here with a running total,
    which segq does not compute, so it is asked back); it was answered with the definition."""
    config = shared_config(tmp_path, "cortex-analyst/revenue_timeseries.yaml", "2024-11-08")
    assistant = Assistant(config)
    figures = assistant.ask("walk me through December 2023 day by day with a running total "
                            "of cost of goods sold").log_dict()
    assert figures["status"] == "clarify" and "running" in figures["message"]
    assert assistant.ask("walk me through how profit is worked out").log_dict()["status"] \
        == "answered"  # no period: what profit is


def test_today_beside_a_past_period_is_whose_membership_not_the_period(config):
    """ "Of today's champions, how many ordered in 2025": membership is today's, the orders are
    2025's; "today" was taken as the period and 2025 left not understood."""
    assistant = Assistant(config)
    answer = assistant.ask("of today's champions, how many ordered in 2025?")
    assert answer.status == "answered", answer.message
    assert answer.rows[0][-1] == champion_buyers(assistant, "2025-01-01", "2025-12-31")


@pytest.mark.parametrize("question, name", [
    ("what counts toward revenue?", "revenue"),
    ("what does the engagement score really measure?", "engagement_score"),
    ("when we say churn risk, what's being counted?", "churn_risk"),
])
def test_asking_what_a_figure_takes_in_or_measures_is_a_definition_question(config, question,
                                                                            name):
    answer = Assistant(config).ask(question).log_dict()
    assert answer["status"] == "answered", answer["message"]
    assert answer["plan"]["intent"] == "definition"
    assert [d["name"] for d in answer["definitions"]] == [name]


@pytest.mark.parametrize("question", ["how many orders have we had, all told?",
                                      "orders across everything we have"])
def test_all_told_and_across_everything_are_the_whole_history(config, question):
    assistant = Assistant(config)
    answer = assistant.ask(question)
    assert answer.status == "answered", answer.message
    expected = assistant.warehouse.cursor().execute(
        "SELECT COUNT(*) FROM orders WHERE status = 'completed' "
        "AND CAST(ordered_at AS DATE) <= DATE '2026-06-30'").fetchall()[0][0]
    assert answer.rows[0][-1] == expected


def test_any_comparative_of_a_figure_asks_for_both_periods(config):
    """ "Was revenue stronger in April or in May?" is both months side by side, as "higher"
    already was; "stronger" was a word not understood."""
    assistant = Assistant(config)
    answer = assistant.ask("was revenue stronger in April or in May?")
    assert answer.status == "answered", answer.message
    expected = assistant.warehouse.cursor().execute(
        "SELECT date_trunc('month', CAST(ordered_at AS DATE))::DATE, SUM(amount) FROM orders "
        "WHERE status = 'completed' AND CAST(ordered_at AS DATE) BETWEEN DATE '2026-04-01' "
        "AND DATE '2026-05-31' GROUP BY 1 ORDER BY 1").fetchall()
    assert [(str(a), b) for a, b in answer.rows] == [(str(a), b) for a, b in expected]


@pytest.mark.skipif(not (SHARED / "cube").is_dir(), reason="no shared Cube model")
def test_a_participle_naming_both_a_status_and_a_date_is_asked_back(tmp_path: Path) -> None:
    """Cube's orders have a `completed` status and a `completed_at` date: "were completed in
    October" was answered as completed orders created in October; either date gives another
    number, so it is asked back. The adjective ("completed orders") stays the status."""
    config = shared_config(tmp_path, "cube/model", "2023-11-06")
    assistant = Assistant(config)
    asked = assistant.ask("How many orders were completed in October?").log_dict()
    assert asked["status"] == "clarify" and "completed_at" in asked["message"]
    assert assistant.ask("how many completed orders in October?").status == "answered"


def test_a_period_up_or_down_on_the_one_before_shows_both(config) -> None:
    """ "Up or down on the month before" compares May with April, a row each; "on the month
    before" was left unread and the question asked back."""
    assistant = Assistant(config)
    answer = assistant.ask("was revenue in May up or down on the month before?")
    expected = assistant.warehouse.cursor().execute(
        "SELECT date_trunc('month', ordered_at)::DATE AS m, sum(amount) FROM orders "
        "WHERE status = 'completed' AND CAST(ordered_at AS DATE) BETWEEN DATE '2026-04-01' "
        "AND DATE '2026-05-31' GROUP BY m ORDER BY m").fetchall()
    assert answer.status == "answered"
    assert [(str(r[0]), round(float(r[1]), 2)) for r in answer.rows] == [
        (str(m), round(float(v), 2)) for m, v in expected]


@pytest.mark.skipif(not (SHARED / "cube").is_dir(), reason="no shared Cube model")
def test_a_period_said_of_placing_leaves_completed_the_status(tmp_path: Path) -> None:
    """ "Orders placed last quarter were completed": the period is the placing's, so
    "completed" is only the status and nothing is asked back."""
    config = shared_config(tmp_path, "cube/model", "2023-11-06")
    answer = Assistant(config).ask("How many orders placed last quarter were completed?")
    assert answer.status == "answered"
