"""A metric averaged over the periods of a range ("average monthly revenue in 2025") against
plain SQL: the mean of its figure in each period that has one, as AVG over a GROUP BY."""

from __future__ import annotations

import pytest

from assistant.pipeline import Assistant


@pytest.fixture()
def raw(config):
    return Assistant(config).warehouse.cursor()


COMPLETED_2025 = ("status = 'completed' AND ordered_at >= TIMESTAMP '2025-01-01' "
                  "AND ordered_at < TIMESTAMP '2026-01-01'")


def test_average_monthly_revenue_is_the_years_revenue_over_its_twelve_months(config, raw):
    answer = Assistant(config).ask("what was average monthly revenue over 2025?")
    total = raw.execute(f"SELECT SUM(amount) FROM orders WHERE {COMPLETED_2025}").fetchone()[0]
    assert answer.status == "answered"
    assert float(answer.rows[0][-1]) == pytest.approx(float(total) / 12)
    assert "Average monthly revenue" in answer.message and "monthly figures" in answer.message


def test_average_weekly_orders_counts_every_week_the_period_touches(config, raw):
    answer = Assistant(config).ask("average weekly orders last quarter")
    orders = raw.execute(
        "SELECT COUNT(*) FROM orders WHERE status = 'completed' AND "
        "ordered_at >= TIMESTAMP '2026-01-01' AND ordered_at < TIMESTAMP '2026-04-01'"
    ).fetchone()[0]
    # 1 January 2026 is a Thursday: the quarter touches 14 Monday-weeks
    assert answer.status == "answered"
    assert answer.rows[0][-1] == pytest.approx(orders / 14)


def test_an_average_of_a_ratio_is_the_mean_of_each_periods_ratio(config, raw):
    answer = Assistant(config).ask("average monthly AOV in 2025")
    expected = raw.execute(
        f"SELECT AVG(aov) FROM (SELECT DATE_TRUNC('month', ordered_at) AS m, "
        f"SUM(amount) / COUNT(*) AS aov FROM orders WHERE {COMPLETED_2025} GROUP BY 1)"
    ).fetchone()[0]
    assert answer.status == "answered"
    assert float(answer.rows[0][-1]) == pytest.approx(float(expected))


def test_average_monthly_signups_split_by_plan(config, raw):
    answer = Assistant(config).ask("on average, how many users signed up each month in 2025, "
                                   "by plan?")
    expected = dict(raw.execute(
        "SELECT plan, COUNT(*) / 12.0 FROM users WHERE signup_at >= TIMESTAMP '2025-01-01' "
        "AND signup_at < TIMESTAMP '2026-01-01' GROUP BY 1").fetchall())
    assert answer.status == "answered"
    assert {row[0]: pytest.approx(float(row[1])) for row in answer.rows} == expected


def test_a_year_not_over_yet_is_averaged_over_its_months_so_far(config, raw):
    answer = Assistant(config).ask("average monthly revenue in 2026")  # as_of is 30 June 2026
    total = raw.execute(
        "SELECT SUM(amount) FROM orders WHERE status = 'completed' AND "
        "ordered_at >= TIMESTAMP '2026-01-01' AND ordered_at < TIMESTAMP '2026-07-01'"
    ).fetchone()[0]
    assert float(answer.rows[0][-1]) == pytest.approx(float(total) / 6)
    assert "2026-01-01 to 2026-06-30" in answer.message


def test_an_average_without_a_period_is_asked_back(config):
    answer = Assistant(config).ask("what's our average monthly revenue?")
    assert answer.status == "clarify"
    assert "over a period" in answer.message
