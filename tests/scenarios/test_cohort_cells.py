"""Cohort cells in words: month N, "their signup month", and the best or worst cohort.

Retention is recomputed here from the raw tables with SPEC §4's rule (cohort = signup month;
retained in a month = a core action in that calendar month), independently of the governed
YAML, and compared with what a stakeholder gets back.
"""

from __future__ import annotations

import pytest

from assistant.pipeline import Assistant

RETENTION_SQL = """
WITH cohorts AS (
  SELECT user_id, DATE_TRUNC('month', signup_at)::DATE AS cohort
  FROM users WHERE signup_at::DATE <= DATE '2026-06-30'
), active AS (
  SELECT DISTINCT user_id, DATE_TRUNC('month', event_at)::DATE AS month
  FROM events
  WHERE event_name IN ('feature_used', 'project_created', 'report_exported')
    AND event_at::DATE <= DATE '2026-06-30'
)
SELECT c.cohort,
       COUNT(DISTINCT a.user_id) / COUNT(DISTINCT c.user_id) AS rate
FROM cohorts AS c
LEFT JOIN active AS a ON a.user_id = c.user_id AND a.month = c.cohort + INTERVAL (?) MONTH
WHERE c.cohort + INTERVAL (?) MONTH <= DATE '2026-06-01'
GROUP BY c.cohort
"""


@pytest.fixture()
def rates(config):
    raw = Assistant(config).warehouse.cursor()

    def at(month: int) -> dict[str, float]:
        rows = raw.execute(RETENTION_SQL, [month, month]).fetchall()
        return {str(cohort): rate for cohort, rate in rows}
    return at


def test_the_best_cohort_at_a_month_is_the_one_with_the_highest_rate(config, rates):
    answer = Assistant(config).ask("which cohort retained best in month 2?")
    assert answer.status == "answered"
    best = max(rates(2).items(), key=lambda kv: kv[1])
    assert len(answer.rows) == 1
    assert (str(answer.rows[0][0]), answer.rows[0][-1]) == pytest.approx(best)


def test_the_worst_cohort_of_a_year_at_month_one(config, rates):
    answer = Assistant(config).ask("lowest month 1 retention among the 2025 cohorts?")
    assert answer.status == "answered"
    of_2025 = {k: v for k, v in rates(1).items() if k.startswith("2025")}
    worst = min(of_2025.items(), key=lambda kv: kv[1])
    assert (str(answer.rows[0][0]), answer.rows[0][-1]) == pytest.approx(worst)


def test_their_signup_month_is_month_zero(config, rates):
    answer = Assistant(config).ask("retention of the march cohort in their signup month")
    assert answer.status == "answered"
    assert [(str(r[0]), r[1]) for r in answer.rows] == [("2026-03-01", 0)]
    assert answer.rows[0][-1] == pytest.approx(rates(0)["2026-03-01"])


def test_a_month_said_twice_in_two_ways_is_one_cell(config, rates):
    answer = Assistant(config).ask("august cohort retention 4 months out (month 4)")
    assert answer.status == "answered"
    assert [(str(r[0]), r[1]) for r in answer.rows] == [("2025-08-01", 4)]


def test_two_different_months_are_not_silently_reduced_to_one(config):
    answer = Assistant(config).ask("august cohort retention in month 2 and month 5")
    assert answer.status == "clarify"


def test_the_best_cohort_without_a_month_asks_which_month(config):
    answer = Assistant(config).ask("which cohort has the best retention?")
    assert answer.status == "clarify"
