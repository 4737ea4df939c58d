"""Everyday wordings of shapes the planner already answers ("cut by", "cross-tabbed",
"vary across", "month-zero", "or both", "send me"), against plain SQL on the demo."""

from __future__ import annotations

import pytest

from assistant.pipeline import Assistant
from tests import reference_sql


@pytest.fixture()
def assistant(config) -> Assistant:
    return Assistant(config)


def _sql(assistant: Assistant, sql: str) -> list[tuple]:
    return assistant.warehouse.cursor().execute(sql).fetchall()


@pytest.mark.parametrize("question", ["Signups in 2025 cross-tabbed by company size and plan",
                                      "could you cut 2025 signups by company size and plan?"])
def test_slicing_verbs_ask_for_a_breakdown(assistant, question) -> None:
    answer = assistant.ask(question)
    assert answer.status == "answered", answer.message
    expected = _sql(assistant, "SELECT company_size, plan, COUNT(*) FROM users WHERE "
                    "CAST(signup_at AS DATE) BETWEEN DATE '2025-01-01' AND DATE '2025-12-31' "
                    "GROUP BY 1, 2")
    assert sorted(map(tuple, answer.rows)) == sorted(expected)


def test_how_a_metric_varies_across_a_dimension_is_its_breakdown(assistant) -> None:
    answer = assistant.ask("Since March, how does average order value vary across plans?")
    assert answer.status == "answered", answer.message
    expected = dict(_sql(assistant, "SELECT u.plan, SUM(o.amount) / COUNT(*) FROM orders o "
                         "JOIN users u USING (user_id) WHERE o.status = 'completed' AND "
                         "CAST(o.ordered_at AS DATE) BETWEEN DATE '2026-03-01' AND "
                         "DATE '2026-06-30' GROUP BY 1"))
    assert {k: pytest.approx(float(v)) for k, v in answer.rows} == expected


def test_a_cohort_month_in_words_with_a_hyphen_is_that_month(assistant) -> None:
    answer = assistant.ask("what's month-zero retention for the December cohort?")
    assert answer.status == "answered", answer.message
    expected = _sql(assistant, f"SELECT rate FROM ({reference_sql.cohort_retention_sql()}) "
                    "WHERE cohort_month = DATE '2025-12-01' AND month_number = 0")
    assert answer.rows[0][-1] == pytest.approx(expected[0][0])


def test_or_both_is_the_union_it_already_is(assistant) -> None:
    answer = assistant.ask("number of users who are either engaged users or PQLs (or both)?")
    assert answer.status == "answered", answer.message
    expected = _sql(assistant, f"SELECT COUNT(*) FROM ({reference_sql.engaged_users_sql()} "
                    f"UNION {reference_sql.pql_sql()})")
    assert answer.rows == [[expected[0][0]]]


def test_send_me_asks_like_show_me(assistant) -> None:
    answer = assistant.ask("send me the PQL user ids from the referral channel")
    assert answer.status == "answered", answer.message
    expected = _sql(assistant, f"SELECT p.user_id FROM ({reference_sql.pql_sql()}) p JOIN users "
                    "u USING (user_id) WHERE u.acquisition_channel = 'referral'")
    assert sorted(r[0] for r in answer.rows) == sorted(r[0] for r in expected)


def test_a_team_named_growth_is_context_not_a_change_asked(assistant) -> None:
    answer = assistant.ask("quick one from the growth team: how many PQLs were active in the "
                           "last 30 days?")
    assert answer.status == "answered", answer.message
    assert "growth team" in answer.message  # said to be read as context


def test_originally_signed_up_is_signed_up(assistant) -> None:
    answer = assistant.ask("Of the engaged users, how many originally signed up during Q1?")
    assert answer.status == "answered", answer.message
    expected = _sql(assistant, f"SELECT COUNT(*) FROM ({reference_sql.engaged_users_sql()}) e "
                    "JOIN users u USING (user_id) WHERE CAST(u.signup_at AS DATE) BETWEEN "
                    "DATE '2026-01-01' AND DATE '2026-03-31'")
    assert answer.rows == [[expected[0][0]]]
