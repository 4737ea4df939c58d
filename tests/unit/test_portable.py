"""Governed DuckDB SQL compiles to a tree that means the same on every engine.

Each rewrite is checked two ways: DuckDB gets the same value from the rewritten tree as from
the original text (so DuckDB answers cannot move), and the other dialects no longer contain the
construct they would read differently.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
import sqlglot

from assistant.compiler import compile_plan
from assistant.compiler.portable import for_dialect, portable, render
from assistant.plan import Intent, QueryPlan, SegmentRef
from tests.compiler_cases import AS_OF, GOLDEN_PLANS, ROW_CAP

ORIGINAL = [
    "SELECT CAST('2026-06-30' AS DATE) - CAST('2026-06-01' AS DATE)",
    "SELECT CAST('2026-06-30' AS DATE) - MAX(CAST(d AS DATE)) FROM (VALUES ('2026-06-12')) t(d)",
    "SELECT CAST('2026-06-30' AS DATE) - 7 * 4",
    "SELECT CAST('2026-06-30' AS DATE) - 120",
    "SELECT CAST('2026-03-01' AS DATE) + 30",
    "SELECT TIMESTAMP '2026-01-10 09:00' + 7 * INTERVAL 1 DAY",
    "SELECT CAST(x AS DATE) - 3 FROM (VALUES ('2026-01-10')) t(x)",
]


def duck(sql: str) -> object:
    return duckdb.sql(sql).fetchall()


@pytest.mark.parametrize("sql", ORIGINAL)
def test_duckdb_reads_the_portable_tree_as_it_read_the_original(sql):
    tree = portable(sqlglot.parse_one(sql, read="duckdb"))
    assert duck(render(tree, "duckdb")) == duck(sql)


def test_a_day_count_is_datediff_in_spark_not_a_subtraction_of_dates():
    tree = portable(sqlglot.parse_one(ORIGINAL[1], read="duckdb"))
    spark = render(tree, "spark", pretty=False)
    assert "DATEDIFF(DAY, MAX(CAST(d AS DATE)), CAST('2026-06-30' AS DATE))" in spark
    assert "DATE) - MAX" not in spark


def test_as_of_minus_days_is_a_typed_literal_on_every_engine():
    tree = portable(sqlglot.parse_one(ORIGINAL[2], read="duckdb"))
    for dialect in ("duckdb", "postgres", "spark"):
        assert render(tree, dialect, pretty=False) == "SELECT CAST('2026-06-02' AS DATE)"


def test_the_month_grid_uses_each_engines_own_row_generator(catalog):
    plan = QueryPlan(intent=Intent.RETENTION, segment=SegmentRef(name="cohort_retention"))
    compiled = compile_plan(plan, catalog, AS_OF, row_cap=ROW_CAP)
    assert "UNNEST(GENERATE_SERIES(" in compiled.sql("duckdb", pretty=False)
    assert "EXPLODE(SEQUENCE(" in compiled.sql("spark", pretty=False)
    assert "CAST(EXPLODE" not in compiled.sql("spark")  # Spark refuses a generator in a CAST
    postgres = compiled.sql("postgres", pretty=False)
    assert "CAST(GENERATE_SERIES(" in postgres and "UNNEST" not in postgres


def test_filtered_aggregates_become_case_where_the_dialect_has_no_filter(catalog):
    compiled = compile_plan(GOLDEN_PLANS["count_churn_high_us_q1"], catalog, AS_OF,
                            row_cap=ROW_CAP)
    for dialect in ("duckdb", "postgres", "spark"):
        assert "FILTER(WHERE" in compiled.sql(dialect, pretty=False)
    mysql = compiled.sql("mysql", pretty=False)
    assert "FILTER" not in mysql and "COUNT(CASE WHEN" in mysql


def test_spark_divides_in_double_like_duckdb():
    """In DECIMAL, Spark rounds 1/30.0 to 0.033333 < 0.5 * (6/90.0): a tie would tip."""
    tree = sqlglot.parse_one("SELECT 1 / 30.0 < 0.5 * (6 / 90.0)", read="duckdb")
    spark = render(for_dialect(tree, "spark"), "spark", pretty=False)
    assert spark == "SELECT CAST(1 AS DOUBLE) / 30.0 < 0.5 * (CAST(6 AS DOUBLE) / 90.0)"
    assert duck(render(tree, "duckdb")) == [(False,)]


def test_every_golden_plan_compiles_to_sql_each_engine_parses(catalog):
    for plan in GOLDEN_PLANS.values():
        compiled = compile_plan(plan, catalog, date(2026, 6, 30), row_cap=ROW_CAP)
        for dialect in ("postgres", "spark"):
            sqlglot.parse_one(compiled.sql(dialect), read=dialect)
