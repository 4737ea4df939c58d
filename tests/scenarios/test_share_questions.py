"""Share questions ("what % of trial users are PQLs?") against a plain SQL computation."""

from __future__ import annotations

import pytest

from assistant.pipeline import Assistant
from tests import reference_sql


@pytest.fixture()
def raw(config):
    """Plain SQL on the same warehouse (one DuckDB instance per file and configuration)."""
    return Assistant(config).warehouse.cursor()


def test_share_of_trial_users_who_are_pqls(config, raw):
    answer = Assistant(config).ask("what percentage of trial users are PQLs?")
    members, everyone, share = answer.rows[0]
    pql = {r[0] for r in raw.execute(reference_sql.pql_sql()).fetchall()}
    trial = {r[0] for r in raw.execute("SELECT user_id FROM users WHERE plan = 'trial'").fetchall()}
    assert (members, everyone) == (len(pql & trial), len(trial))
    assert share == pytest.approx(len(pql & trial) / len(trial))
    expected = f"{len(pql & trial) / len(trial):.1%} of users with plan Trial"
    assert answer.message.startswith(expected)


def test_share_of_customers_uses_customers_as_the_population(config, raw):
    answer = Assistant(config).ask("what % of our customers are champions?")
    members, everyone, _ = answer.rows[0]
    customers = raw.execute("SELECT count(DISTINCT user_id) FROM orders "
                            "WHERE status = 'completed'").fetchone()[0]
    assert everyone == customers
    assert answer.definitions[0].name == "rfm_segment" and members > 0


def test_average_pql_score_of_trial_users_matches_the_reference(config, raw):
    answer = Assistant(config).ask("average pql score of trial users")
    scores = raw.execute(
        f"SELECT avg(s.score) FROM ({reference_sql.pql_score_sql()}) s "
        "JOIN users u ON u.user_id = s.user_id WHERE u.plan = 'trial'").fetchone()[0]
    assert answer.columns == ["avg_pql_score"]
    assert answer.rows[0][0] == pytest.approx(scores)


def test_users_not_on_the_free_plan_matches_plain_sql(config, raw):
    answer = Assistant(config).ask("How many users are not on the free plan?")
    expected = raw.execute("SELECT count(*) FROM users WHERE plan <> 'free'").fetchone()[0]
    assert answer.rows == [[expected]]
