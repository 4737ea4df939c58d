"""A signup period beside the metric's own ("revenue in June from users who signed up in Q1")
against plain SQL: the signup period picks the users, the other period the metric's rows."""

from __future__ import annotations

import pytest

from assistant.pipeline import Assistant


@pytest.fixture()
def raw(config):
    return Assistant(config).warehouse.cursor()


def test_revenue_of_a_period_from_users_of_a_signup_period(config, raw):
    answer = Assistant(config).ask("revenue in June from users who signed up in Q1")
    expected = raw.execute(
        "SELECT SUM(o.amount) FROM orders o JOIN users u USING (user_id) WHERE o.status = "
        "'completed' AND CAST(o.ordered_at AS DATE) BETWEEN DATE '2026-06-01' AND DATE "
        "'2026-06-30' AND CAST(u.signup_at AS DATE) BETWEEN DATE '2026-01-01' AND DATE "
        "'2026-03-31'").fetchone()[0]
    assert answer.status == "answered"
    assert float(answer.rows[0][0]) == pytest.approx(float(expected))
    assert "signed up 2026-01-01 to 2026-03-31" in answer.message
    assert "ordered 2026-06-01 to 2026-06-30" in answer.message


def test_active_users_of_a_signup_cohort_in_a_window(config, raw):
    answer = Assistant(config).ask("of Q1 signups, how many were active in the last 30 days?")
    expected = raw.execute(
        "SELECT COUNT(DISTINCT e.user_id) FROM events e JOIN users u USING (user_id) WHERE "
        "e.event_name IN ('feature_used', 'project_created', 'report_exported') AND "
        "CAST(e.event_at AS DATE) > DATE '2026-05-31' AND CAST(e.event_at AS DATE) <= DATE "
        "'2026-06-30' AND CAST(u.signup_at AS DATE) BETWEEN DATE '2026-01-01' AND "
        "DATE '2026-03-31'").fetchone()[0]
    assert answer.rows[0][0] == expected


def test_two_periods_for_a_count_of_signups_are_asked_about(config):
    answer = Assistant(config).ask("how many users signed up in Q1 in march?")
    assert answer.status == "clarify"
