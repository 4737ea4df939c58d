"""Superlatives said of a period ("our biggest revenue month", "the slowest quarter for
orders") and of one of several groups ("which one of the countries"), against plain SQL; and
questions that name two figures where the plan computes one, which are asked back."""

from __future__ import annotations

import pytest

from assistant.pipeline import Assistant
from tests import reference_sql


@pytest.fixture()
def raw(config):
    return Assistant(config).warehouse.cursor()


COMPLETED_2025 = ("status = 'completed' AND ordered_at >= TIMESTAMP '2025-01-01' "
                  "AND ordered_at < TIMESTAMP '2026-01-01'")


def test_the_biggest_revenue_month_of_a_year_is_its_one_top_month(config, raw):
    answer = Assistant(config).ask("what was our biggest revenue month in 2025?")
    month, revenue = raw.execute(
        f"SELECT DATE_TRUNC('month', ordered_at), SUM(amount) FROM orders "
        f"WHERE {COMPLETED_2025} GROUP BY 1 ORDER BY 2 DESC LIMIT 1").fetchone()
    assert answer.status == "answered"
    assert len(answer.rows) == 1
    assert str(answer.rows[0][0])[:10] == month.date().isoformat()
    assert float(answer.rows[0][-1]) == pytest.approx(float(revenue))


def test_the_weakest_quarter_for_orders_is_the_one_with_fewest(config, raw):
    answer = Assistant(config).ask("which was the weakest quarter for orders in 2025")
    quarter, orders = raw.execute(
        f"SELECT DATE_TRUNC('quarter', ordered_at), COUNT(*) FROM orders "
        f"WHERE {COMPLETED_2025} GROUP BY 1 ORDER BY 2 LIMIT 1").fetchone()
    assert answer.status == "answered"
    assert [(str(r[0])[:10], r[-1]) for r in answer.rows] == [(quarter.date().isoformat(),
                                                                orders)]


def test_which_one_of_the_countries_asks_for_the_top_country(config, raw):
    answer = Assistant(config).ask("which one of the countries had the most revenue in May?")
    country, revenue = raw.execute(
        "SELECT u.country, SUM(o.amount) FROM orders o JOIN users u ON u.user_id = o.user_id "
        "WHERE o.status = 'completed' AND o.ordered_at >= TIMESTAMP '2026-05-01' "
        "AND o.ordered_at < TIMESTAMP '2026-06-01' GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    ).fetchone()
    assert answer.status == "answered"
    assert [(r[0], pytest.approx(float(r[-1]))) for r in answer.rows] == [(country,
                                                                        float(revenue))]


def test_a_capitalised_may_inside_a_sentence_is_the_month(config, raw):
    answer = Assistant(config).ask("orders, how did May look?")
    orders = raw.execute(
        "SELECT COUNT(*) FROM orders WHERE status = 'completed' AND "
        "ordered_at >= TIMESTAMP '2026-05-01' AND ordered_at < TIMESTAMP '2026-06-01'"
    ).fetchone()[0]
    assert answer.status == "answered"
    assert answer.rows[0][-1] == orders


@pytest.mark.parametrize("question", ["revenue and orders by plan for US users",
                                      "orders plus revenue in Q1"])
def test_a_second_metric_the_plan_does_not_compute_is_asked_back(config, question):
    answer = Assistant(config).ask(question)
    assert answer.status == "clarify"
    assert "did not understand" in answer.message  # the one it did not compute is named
    assert ("orders" if question.startswith("revenue") else "revenue") in \
        answer.message.split("did not understand")[1]


def test_a_metric_restated_by_its_own_source_table_is_still_answered(config):
    answer = Assistant(config).ask("revenue from completed orders by plan")
    assert answer.status == "answered"


def test_customers_per_tier_in_a_month_are_that_months_buyers_in_each_tier(config, raw):
    answer = Assistant(config).ask("number of customers per churn-risk tier in May?")
    tiers = dict(raw.execute(
        f"SELECT user_id, tier FROM ({reference_sql.churn_risk_sql()})").fetchall())
    buyers = [r[0] for r in raw.execute(
        "SELECT DISTINCT user_id FROM orders WHERE status = 'completed' AND "
        "ordered_at >= TIMESTAMP '2026-05-01' AND ordered_at < TIMESTAMP '2026-06-01'"
    ).fetchall()]
    expected: dict[str, int] = {}
    for user in buyers:
        if user in tiers:
            expected[tiers[user]] = expected.get(tiers[user], 0) + 1
    assert answer.status == "answered"
    assert {row[0]: row[-1] for row in answer.rows} == expected


@pytest.mark.parametrize(("question", "direction", "n"), [
    ("top 3 months by revenue in 2025", "DESC", 3),
    ("what were our four strongest months for revenue in 2025?", "DESC", 4),
    ("the 2 weakest months for revenue in 2025", "ASC", 2),
])
def test_a_count_of_ranked_periods_is_that_many_periods_in_rank_order(config, raw, question,
                                                                      direction, n):
    answer = Assistant(config).ask(question)
    expected = raw.execute(
        f"SELECT DATE_TRUNC('month', ordered_at), SUM(amount) FROM orders "
        f"WHERE {COMPLETED_2025} GROUP BY 1 ORDER BY 2 {direction} LIMIT {n}").fetchall()
    assert answer.status == "answered", answer.message
    assert [(str(r[0])[:10], pytest.approx(float(r[-1]))) for r in answer.rows] == [
        (m.date().isoformat(), float(v)) for m, v in expected]
    end = "highest" if direction == "DESC" else "lowest"
    assert f"{end} first, top {n}" in answer.message  # the sentence says the ranking


def test_which_three_months_had_the_most_revenue_are_the_top_three_months(config, raw):
    answer = Assistant(config).ask("which three months of 2025 brought in the most revenue?")
    top = raw.execute(
        f"SELECT DATE_TRUNC('month', ordered_at), SUM(amount) FROM orders "
        f"WHERE {COMPLETED_2025} GROUP BY 1 ORDER BY 2 DESC LIMIT 3").fetchall()
    assert answer.status == "answered", answer.message
    assert [str(r[0])[:10] for r in answer.rows] == [m.date().isoformat() for m, _ in top]
    assert [float(r[-1]) for r in answer.rows] == pytest.approx([float(v) for _, v in top])
    assert "(month), highest first, top 3" in answer.message  # the sentence says the grain
