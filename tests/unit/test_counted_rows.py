"""A count of the people a question is about counts rows when every row is a different
person: `COUNT(DISTINCT users.user_id)` becomes `COUNT(*)` only when the FROM table is
`users` (primary key `user_id`) and nothing joined can repeat a user. The answers are the
same; each is compared with the DISTINCT count on the session's demo warehouse.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from sqlglot import exp, parse_one

from assistant.compiler import compile_plan
from assistant.compiler.keys import counts_rows_once
from assistant.plan import DimensionRef, Filter, Intent, MetricRef, QueryPlan, SegmentRef

AS_OF = date(2026, 6, 30)


def _sql(catalog, plan: QueryPlan) -> str:
    return compile_plan(plan, catalog, AS_OF, row_cap=1000).sql()


@pytest.fixture(scope="module")
def demo(demo_path: Path):
    con = duckdb.connect(str(demo_path), read_only=True)
    yield con
    con.close()


def test_users_by_plan_in_the_us_count_rows_and_match_the_distinct_count(catalog, demo) -> None:
    plan = QueryPlan(intent=Intent.BREAKDOWN, metric=MetricRef(name="users"),
                     group_by=(DimensionRef(name="plan"),),
                     filters=(Filter(dimension="country", values=("US",)),))
    sql = _sql(catalog, plan)
    assert "COUNT(*) AS users" in sql and "DISTINCT" not in sql
    distinct = sql.replace("COUNT(*) AS users", "COUNT(DISTINCT users.user_id) AS users")
    assert sorted(demo.execute(sql).fetchall()) == sorted(demo.execute(distinct).fetchall())


def test_members_of_a_segment_per_user_joined_to_users_count_rows(catalog, demo) -> None:
    """churn_risk groups by user_id (one row per user), so the join repeats nobody."""
    plan = QueryPlan(intent=Intent.COUNT, metric=MetricRef(name="users"),
                     segment=SegmentRef(name="churn_risk", member="high"),
                     filters=(Filter(dimension="country", values=("US",)),))
    sql = _sql(catalog, plan)
    assert "COUNT(*) AS users" in sql
    distinct = sql.replace("COUNT(*) AS users", "COUNT(DISTINCT users.user_id) AS users")
    assert demo.execute(sql).fetchall() == demo.execute(distinct).fetchall()


def test_a_count_of_people_over_their_events_stays_distinct(catalog) -> None:
    plan = QueryPlan(intent=Intent.BREAKDOWN, metric=MetricRef(name="active_users"),
                     group_by=(DimensionRef(name="plan"),))
    assert "COUNT(DISTINCT events.user_id)" in _sql(catalog, plan)


@pytest.mark.parametrize("sql", [
    "SELECT 1 FROM users JOIN orders ON orders.user_id = users.user_id",  # one user, many orders
    "SELECT 1 FROM users JOIN (SELECT user_id FROM events) AS e ON e.user_id = users.user_id",
    "SELECT 1 FROM users CROSS JOIN users AS other",
    "SELECT 1 FROM users FULL JOIN users AS other ON other.user_id = users.user_id",
    "SELECT 1 FROM orders",  # orders' key is order_id, not user_id
])
def test_a_join_that_can_repeat_a_user_keeps_the_distinct_count(catalog, sql: str) -> None:
    select = parse_one(sql)
    assert isinstance(select, exp.Select)
    counted = exp.column("user_id", table=select.args["from_"].this.alias_or_name)
    assert not counts_rows_once(select, counted, {}, catalog)

