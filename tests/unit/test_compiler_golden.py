"""Compiler output is pinned by golden files, user text only enters as literals, and unknown
names are refused with the accepted values.

Golden files live in `tests/fixtures/compiler/<name>.sql`: a `-- name: plan` header line,
then the pretty DuckDB SQL. Run with `SEGQ_UPDATE_GOLDEN=1` to rewrite them after an
intended change, and review the diff like any definition change.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from assistant.compiler import compile_plan
from assistant.errors import CompileError
from assistant.executor import Warehouse
from assistant.plan import (
    DimensionRef,
    Filter,
    Intent,
    MetricRef,
    Override,
    QueryPlan,
    SegmentRef,
    TimeRange,
)
from assistant.validator import SqlContext, check_sql
from tests.compiler_cases import AS_OF, GOLDEN_PLANS, ROW_CAP

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "compiler"
UPDATE = os.environ.get("SEGQ_UPDATE_GOLDEN") == "1"
EVIL = "O'Brien'; DROP TABLE users; --"


def golden_text(name: str, plan: QueryPlan, sql: str) -> str:
    return f"-- {name}: {json.dumps(plan.to_dict(), sort_keys=True)}\n{sql}\n"


@pytest.mark.parametrize("name", list(GOLDEN_PLANS))
def test_compiled_sql_equals_its_golden_file(catalog, name):
    plan = GOLDEN_PLANS[name]
    text = golden_text(name, plan, compile_plan(plan, catalog, AS_OF, row_cap=ROW_CAP).sql())
    path = GOLDEN_DIR / f"{name}.sql"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing; run with SEGQ_UPDATE_GOLDEN=1 to write it"
    assert text == path.read_text(encoding="utf-8"), (
        f"compiled SQL for `{name}` changed; if intended, rerun with SEGQ_UPDATE_GOLDEN=1"
    )


def test_every_golden_file_belongs_to_a_plan():
    """A golden file whose plan was removed would silently stop being checked."""
    assert {p.stem for p in GOLDEN_DIR.glob("*.sql")} == set(GOLDEN_PLANS)


# -- user text enters only as literals --------------------------------------------------------


@pytest.fixture()
def open_catalog(catalog):
    """The catalog with `country` declaring no closed value list, so any text is accepted."""
    country = replace(catalog.dimensions["country"], values=())
    return replace(catalog, dimensions={**catalog.dimensions, "country": country})


def test_a_quoted_filter_value_is_one_escaped_string_literal(open_catalog, demo_path):
    """`O'Brien'; DROP TABLE users; --` stays one literal: one statement, no DROP, no match."""
    plan = QueryPlan(intent=Intent.COUNT, filters=(Filter(dimension="country", values=(EVIL,)),))
    compiled = compile_plan(plan, open_catalog, AS_OF, row_cap=ROW_CAP)
    sql = compiled.sql()
    statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    assert len(statements) == 1
    tree = statements[0]
    assert isinstance(tree, exp.Select)
    assert not list(tree.find_all(exp.Drop))
    literals = [lit for lit in tree.find_all(exp.Literal) if lit.is_string and lit.this == EVIL]
    assert len(literals) == 1
    assert "'O''Brien''; DROP TABLE users; --'" in sql
    assert (
        check_sql(
            sql, SqlContext(open_catalog, plan, compiled.governed_ctes, max_limit=ROW_CAP + 1)
        )
        == []
    )
    warehouse = Warehouse(demo_path)
    try:
        assert warehouse.execute(sql).rows == [(0,)]
        assert warehouse.execute("SELECT count(*) FROM users").rows[0][0] > 0
    finally:
        warehouse.close()


def test_a_quoted_value_of_a_closed_dimension_is_refused_before_any_sql(catalog):
    plan = QueryPlan(intent=Intent.COUNT, filters=(Filter(dimension="country", values=(EVIL,)),))
    with pytest.raises(CompileError) as err:
        compile_plan(plan, catalog, AS_OF, row_cap=ROW_CAP)
    assert "Accepted: AU, BR, CA, DE, FR, GB, IN, JP, NL, US." in err.value.message


# -- unknown names are refused with what is accepted ---------------------------------------------

REFUSED = {
    "unknown dimension value": (
        QueryPlan(intent=Intent.COUNT, filters=(Filter(dimension="plan", values=("gold",)),)),
        ["`gold`", "Accepted: enterprise, free, pro, trial."],
    ),
    "unknown filter dimension": (
        QueryPlan(intent=Intent.COUNT, filters=(Filter(dimension="countri", values=("US",)),)),
        ["`countri`", "company_size, country, plan, signup_at", "Did you mean `country`?"],
    ),
    "unknown group-by dimension": (
        QueryPlan(intent=Intent.BREAKDOWN, group_by=(DimensionRef(name="planz"),)),
        ["`planz`", "Accepted: acquisition_channel,", "Did you mean `plan`?"],
    ),
    "unknown segment": (
        QueryPlan(intent=Intent.COUNT, segment=SegmentRef(name="engagd_users")),
        [
            "`engagd_users`",
            "churn_risk, cohort_retention, engaged_users",
            "Did you mean `engaged_users`?",
        ],
    ),
    "unknown member": (
        QueryPlan(intent=Intent.COUNT, segment=SegmentRef(name="churn_risk", member="hihg")),
        ["`hihg`", "Accepted: high, medium, low, healthy.", "Did you mean `high`?"],
    ),
    "unknown member among several": (
        QueryPlan(
            intent=Intent.COUNT,
            segment=SegmentRef(name="lifecycle_stage", members=("new", "dormant")),
        ),
        ["`dormant`", "Accepted: new, not_activated, churned, at_risk, engaged, activated."],
    ),
    "unknown metric": (
        QueryPlan(intent=Intent.METRIC, metric=MetricRef(name="revenu")),
        [
            "`revenu`",
            "active_users, average_order_value, customers, orders, revenue, users",
            "Did you mean `revenue`?",
        ],
    ),
    "unknown parameter": (
        QueryPlan(
            intent=Intent.COUNT,
            segment=SegmentRef(name="engaged_users"),
            overrides=(Override(parameter="min_login_per_week", value=5),),
        ),
        [
            "`min_login_per_week`",
            "Accepted: min_logins_per_week, weeks.",
            "Did you mean `min_logins_per_week`?",
        ],
    ),
    "override out of bounds": (
        QueryPlan(
            intent=Intent.COUNT,
            segment=SegmentRef(name="engaged_users"),
            overrides=(Override(parameter="min_logins_per_week", value=80),),
        ),
        ["Override `min_logins_per_week`=80 for `engaged_users` is outside its bounds 1..50."],
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_compile_plan_refuses_unknown_names_and_lists_the_accepted_ones(catalog, case):
    plan, fragments = REFUSED[case]
    with pytest.raises(CompileError) as err:
        compile_plan(plan, catalog, AS_OF, row_cap=ROW_CAP)
    for fragment in fragments:
        assert fragment in err.value.message


@pytest.mark.parametrize(("metric", "column"), [("users", "ordered_at"), ("revenue", "event_at")])
def test_a_time_range_column_is_refused_or_compiled_to_valid_sql(catalog, metric, column):
    """compile_plan either raises CompileError naming the usable time columns or emits SQL
    the validator accepts; it never emits a reference to a column the table lacks."""
    plan = QueryPlan(
        intent=Intent.METRIC,
        metric=MetricRef(name=metric),
        time_range=TimeRange(start=AS_OF.replace(month=1, day=1), end=AS_OF, column=column),
    )
    try:
        compiled = compile_plan(plan, catalog, AS_OF, row_cap=ROW_CAP)
    except CompileError as err:
        assert "signup_at" in err.message
        return
    assert (
        check_sql(
            compiled.sql(), SqlContext(catalog, plan, compiled.governed_ctes, max_limit=ROW_CAP + 1)
        )
        == []
    )


# -- other dialects -------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["snowflake", "bigquery"])
@pytest.mark.parametrize("name", list(GOLDEN_PLANS))
def test_compiled_sql_transpiles_and_parses_back(catalog, name, dialect):
    compiled = compile_plan(GOLDEN_PLANS[name], catalog, AS_OF, row_cap=ROW_CAP)
    text = compiled.sql(dialect=dialect)
    statements = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    assert len(statements) == 1
    tree = statements[0]
    assert isinstance(tree, exp.Select)
    assert {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)} == {
        name.lower() for name in compiled.governed_ctes
    }
    assert tree.args.get("limit") is not None
