"""One segment without another ("engaged users who are not PQLs"), within another, in either
of two or in neither, against plain SQL."""

from __future__ import annotations

import pytest

from assistant.pipeline import Assistant
from tests import reference_sql


@pytest.fixture()
def raw(config):
    return Assistant(config).warehouse.cursor()


def _ids(raw, sql: str) -> set[int]:
    return {row[0] for row in raw.execute(sql).fetchall()}


def test_engaged_users_who_are_not_pqls(config, raw):
    answer = Assistant(config).ask("how many engaged users are not PQLs?")
    engaged = _ids(raw, reference_sql.engaged_users_sql())
    pql = _ids(raw, reference_sql.pql_sql())
    assert answer.status == "answered"
    assert answer.rows[0][-1] == len(engaged - pql)
    assert "not in Product-qualified leads" in answer.message


def test_a_list_without_members_of_another_family_member(config, raw):
    answer = Assistant(config).ask("list engaged users who are not champions")
    engaged = _ids(raw, reference_sql.engaged_users_sql())
    champions = {r[0] for r in raw.execute(
        f"SELECT user_id FROM ({reference_sql.rfm_segment_sql()}) WHERE segment = 'champions'"
    ).fetchall()}
    assert {row[0] for row in answer.rows} == engaged - champions


def test_revenue_of_one_segment_without_another_is_a_number(config, raw):
    answer = Assistant(config).ask("revenue from champions who are not engaged users")
    assert answer.status == "answered" and len(answer.rows) == 1


def test_users_outside_a_segment_are_everyone_else(config, raw):
    answer = Assistant(config).ask("how many users aren't engaged?")
    everyone = _ids(raw, "SELECT user_id FROM users")
    engaged = _ids(raw, reference_sql.engaged_users_sql())
    assert answer.status == "answered"
    assert answer.rows[0][-1] == len(everyone - engaged)
    assert "not in Engaged users" in answer.message
    assert "engaged_users" in {d.name for d in answer.definitions}


def test_one_segment_within_another_keeps_users_in_both(config, raw):
    answer = Assistant(config).ask("which engaged users are also PQLs?")
    engaged = _ids(raw, reference_sql.engaged_users_sql())
    pql = _ids(raw, reference_sql.pql_sql())
    assert answer.status == "answered"
    assert {row[0] for row in answer.rows} == engaged & pql
    assert "also in Product-qualified leads" in answer.message
    assert {"engaged_users", "pql"} <= {d.name for d in answer.definitions}


def test_a_member_within_another_familys_member(config, raw):
    answer = Assistant(config).ask("how many high churn risk users are RFM champions?")
    high = {r[0] for r in raw.execute(
        f"SELECT user_id FROM ({reference_sql.churn_risk_sql()}) WHERE tier = 'high'").fetchall()}
    champions = {r[0] for r in raw.execute(
        f"SELECT user_id FROM ({reference_sql.rfm_segment_sql()}) WHERE segment = 'champions'"
    ).fetchall()}
    assert answer.status == "answered"
    assert answer.rows[0][-1] == len(high & champions)


def test_two_segments_named_side_by_side_are_not_read_as_one_within_the_other(config):
    answer = Assistant(config).ask("how many engaged users and PQLs?")
    assert answer.status == "clarify"


def test_users_in_either_of_two_segments_are_their_union(config, raw):
    answer = Assistant(config).ask("how many users are engaged users or PQLs?")
    engaged = _ids(raw, reference_sql.engaged_users_sql())
    pql = _ids(raw, reference_sql.pql_sql())
    assert answer.status == "answered"
    assert answer.rows[0][-1] == len(engaged | pql)
    assert "in Engaged users or in Product-qualified leads" in answer.message
    assert {"engaged_users", "pql"} <= {d.name for d in answer.definitions}


def test_either_a_segment_or_another_familys_member_lists_the_union(config, raw):
    answer = Assistant(config).ask("list users who are either champions or PQLs")
    champions = {r[0] for r in raw.execute(
        f"SELECT user_id FROM ({reference_sql.rfm_segment_sql()}) WHERE segment = 'champions'"
    ).fetchall()}
    assert answer.status == "answered"
    assert {row[0] for row in answer.rows} == champions | _ids(raw, reference_sql.pql_sql())


def test_revenue_of_either_segment_counts_each_buyer_once(config, raw):
    answer = Assistant(config).ask("revenue from engaged users or PQLs in 2025")
    people = _ids(raw, reference_sql.engaged_users_sql()) | _ids(raw, reference_sql.pql_sql())
    expected = raw.execute(
        "SELECT SUM(amount) FROM orders WHERE status = 'completed' AND ordered_at >= '2025-01-01'"
        " AND ordered_at < '2026-01-01' AND user_id IN (SELECT UNNEST(?))", [sorted(people)]
    ).fetchone()[0]
    assert answer.status == "answered"
    assert float(answer.rows[0][-1]) == pytest.approx(float(expected))


def test_users_in_neither_segment_are_everyone_outside_both(config, raw):
    answer = Assistant(config).ask("how many users are neither engaged users nor PQLs?")
    everyone = _ids(raw, "SELECT user_id FROM users")
    engaged = _ids(raw, reference_sql.engaged_users_sql())
    pql = _ids(raw, reference_sql.pql_sql())
    assert answer.status == "answered"
    assert answer.rows[0][-1] == len(everyone - engaged - pql)
    assert "in neither Engaged users nor Product-qualified leads" in answer.message


def test_asking_which_of_two_segments_is_bigger_is_no_union(config):
    answer = Assistant(config).ask("are there more engaged users or PQLs?")
    assert answer.status == "clarify"


@pytest.mark.parametrize("question", ["count engaged users or PQLs separately",
                                      "how many engaged users or PQLs respectively?"])
def test_asking_for_each_alternative_apart_is_no_union(question, config):
    assert Assistant(config).ask(question).status == "clarify"
