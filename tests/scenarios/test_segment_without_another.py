"""One segment without another ("engaged users who are not PQLs") against plain SQL."""

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
