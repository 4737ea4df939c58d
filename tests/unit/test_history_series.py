"""Month-end history as one set-based query returns what one query per month end returns.

A history plan compiles the governed chain of CTEs once, every row carrying its month end
(`assistant/compiler/series.py`). Each test runs compiled SQL on the 3,000-user demo and
compares it with an independent computation: the plain RFM SQL of `tests/reference_sql.py`
run once per month end, counted per segment (`tests/engines/test_history_parity.py` runs the
history plans again on PostgreSQL and Spark). Both forms of the orders scan are covered (one
SELECT per month end, and orders joined with the VALUES list of month ends, which a series
longer than `SCANS_PER_DATE_MAX` uses); so are the other segments' SQL lifted the same way,
the validator's view of the new statement, and the per-month-end copies a segment whose SQL
cannot be lifted still gets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlglot import exp

import assistant.compiler.series as series
from assistant.catalog.models import Catalog
from assistant.compiler import compile_plan, month_ends, segment_ctes
from assistant.compiler.portable import render
from assistant.executor import Warehouse
from assistant.plan import OPEN_START, Filter, Intent, QueryPlan, SegmentRef, TimeRange
from assistant.validator import SqlContext, check_sql
from tests import reference_sql as ref
from tests.unit.test_compiler_vs_reference import assert_same_rows

AS_OF = date(2026, 6, 30)
CAP = 100_000
RFM = "rfm_segment"
SINCE_JANUARY = TimeRange(start=date(2026, 1, 1), end=AS_OF)
PLANS = {
    "every member, default months": QueryPlan(intent=Intent.HISTORY, segment=SegmentRef(name=RFM)),
    "one member since January": QueryPlan(
        intent=Intent.HISTORY, segment=SegmentRef(name=RFM, member="champions"),
        time_range=SINCE_JANUARY),
    "two members, ending mid-month": QueryPlan(
        intent=Intent.HISTORY, segment=SegmentRef(name=RFM, members=("at_risk", "hibernating")),
        time_range=TimeRange(start=date(2025, 3, 1), end=date(2025, 9, 15))),
    "open start": QueryPlan(intent=Intent.HISTORY, segment=SegmentRef(name=RFM),
                            time_range=TimeRange(start=OPEN_START, end=date(2025, 6, 30))),
    "starting before the data": QueryPlan(
        intent=Intent.HISTORY, segment=SegmentRef(name=RFM),
        time_range=TimeRange(start=date(2024, 6, 1), end=date(2025, 3, 31))),
    "since 2020 (78 month ends)": QueryPlan(
        intent=Intent.HISTORY, segment=SegmentRef(name=RFM, member="loyal_customers"),
        time_range=TimeRange(start=date(2020, 1, 1), end=AS_OF)),
    "a limit": QueryPlan(intent=Intent.HISTORY, segment=SegmentRef(name=RFM), limit=5),
    "one member, US users only": QueryPlan(
        intent=Intent.HISTORY, segment=SegmentRef(name=RFM, member="champions"),
        time_range=SINCE_JANUARY, filters=(Filter(dimension="country", values=("US",)),)),
    "every member, not on the free plan": QueryPlan(
        intent=Intent.HISTORY, segment=SegmentRef(name=RFM),
        time_range=TimeRange(start=date(2026, 3, 1), end=date(2026, 3, 31)),
        filters=(Filter(dimension="plan", values=("free",), exclude=True),)),
}


@pytest.fixture(scope="module")
def wh(demo_path: Path) -> Iterator[Warehouse]:
    warehouse = Warehouse(demo_path, row_cap=CAP)
    yield warehouse
    warehouse.close()


def reference_history(wh: Warehouse, plan: QueryPlan) -> list[tuple]:
    """Month end, segment, customers: the plain RFM SQL once per month end, in order."""
    start = None if plan.time_range is None or plan.time_range.open_start \
        else plan.time_range.start
    end = min(plan.time_range.end, AS_OF) if plan.time_range else AS_OF
    wanted = plan.segment.selected() if plan.segment else ()
    rows = []
    reference = getattr(wh, "reference", wh)  # DuckDB SQL: another engine's DuckDB twin runs it
    people = " AND ".join(  # the users the plan's filters describe, as plain SQL
        f"user_id {'NOT ' if f.exclude else ''}IN (SELECT user_id FROM users WHERE "
        f"{f.dimension} IN ({', '.join(repr(v) for v in f.values)}))" for f in plan.filters)
    for day in month_ends(end, start):
        counts = reference.execute(f"SELECT segment, count(*) FROM ({ref.rfm_segment_sql(day)}) "
                                   f"WHERE {people or 'TRUE'} GROUP BY 1 ORDER BY 1").rows
        rows += [(day, s, n) for s, n in counts if not wanted or s in wanted]
    return rows[:plan.limit + 1] if plan.limit else rows  # one more row reveals truncation


def compiled_sql(catalog: Catalog, plan: QueryPlan, dialect: str = "duckdb") -> str:
    return compile_plan(plan, catalog, AS_OF, row_cap=CAP).sql(dialect)


@pytest.fixture(params=["scans per month end", "orders joined to the month ends"])
def scan_form(request, monkeypatch) -> str:
    if request.param == "orders joined to the month ends":
        monkeypatch.setattr(series, "SCANS_PER_DATE_MAX", 0)
    return str(request.param)


@pytest.mark.parametrize("name", list(PLANS))
def test_history_rows_are_the_reference_computed_at_each_month_end(wh, catalog, scan_form, name):
    plan = PLANS[name]
    rows = wh.execute(compiled_sql(catalog, plan, wh.dialect)).rows
    expected = reference_history(wh, plan)
    assert rows  # every plan here has customers at some month end
    assert_same_rows(rows, expected)  # on every engine (tests/engines reruns this test)
    if wh.dialect == "duckdb":  # and in the same order (ORDER BY month_end, segment)
        assert rows == expected


def test_the_scan_form_follows_the_number_of_month_ends(catalog):
    """Up to SCANS_PER_DATE_MAX month ends the orders scan is one SELECT each, with its own
    half-open timestamp bounds; beyond, orders are joined with the VALUES list once."""
    short = compiled_sql(catalog, PLANS["every member, default months"])
    assert short.count("FROM orders") == 18 and "VALUES" not in short
    assert "ordered_at < CAST('2026-07-01 00:00:00' AS TIMESTAMP)" in short
    long = compiled_sql(catalog, PLANS["since 2020 (78 month ends)"])
    assert long.count("FROM orders") == 1 and long.count("CAST('2020-01-31' AS DATE)") == 1
    assert "CROSS JOIN rfm_segment__month_ends" in long


@pytest.mark.parametrize("name", ["every member, default months", "since 2020 (78 month ends)"])
def test_each_governed_cte_appears_once_however_many_month_ends(catalog, name):
    compiled = compile_plan(PLANS[name], catalog, AS_OF, row_cap=CAP)
    names = [n for n in compiled.governed_ctes if n != "rfm_segment__month_ends"]
    assert names == ["rfm_segment__customer_orders__by_month_end",
                     "rfm_segment__percentiles__by_month_end",
                     "rfm_segment__scores__by_month_end", "rfm_segment__by_month_end"]
    windows = list(compiled.expression.find_all(exp.Window))
    assert len(windows) == 3
    assert all([p.name for p in w.args["partition_by"]] == ["month_end"] for w in windows)


def test_a_single_month_end_compiles_the_one_date_definition(wh, catalog):
    """One month end needs no series: the SQL is the one-date definition, bounds literal."""
    plan = QueryPlan(intent=Intent.HISTORY, segment=SegmentRef(name=RFM),
                     time_range=TimeRange(start=date(2026, 3, 1), end=date(2026, 3, 31)))
    sql = compiled_sql(catalog, plan)
    assert "rfm_segment__2026_03_31" in sql and "by_month_end" not in sql
    assert wh.execute(sql).rows == reference_history(wh, plan)


# -- every governed segment lifts to the same rows as its one-date compilation ----------------

DATES = [date(2025, 12, 31), date(2026, 3, 31), date(2026, 6, 30)]


def _select_all(ctes, final: str, month_end: exp.Expr | None = None) -> str:
    select = exp.select("*") if month_end is None else exp.select(
        exp.Star(), month_end.as_("month_end"))
    select = select.from_(final)
    for name, body in ctes:
        select = select.with_(name, as_=body.copy())
    return render(select, "duckdb", pretty=False)


@pytest.mark.parametrize("scans_per_date", [True, False])
@pytest.mark.parametrize("name", ["churn_risk", "engaged_users", "lifecycle_stage", "pql",
                                  "pql_score", "rfm_segment"])
def test_a_lifted_segment_holds_each_dates_one_date_rows(wh, catalog, name, scans_per_date):
    """The lifting is general: windows, FILTERed aggregates, LEFT JOINs between stages and a
    required segment (lifecycle reads engaged_users) keep their meaning at every date."""
    segment = catalog.segments[name]
    lifted = series.series_ctes(catalog, segment, DATES, {}, scans_per_date=scans_per_date)
    assert lifted is not None
    got = wh.execute(_select_all(lifted, series.series_name(segment)))
    expected = []
    for day in DATES:
        one = wh.execute(_select_all(segment_ctes(catalog, segment, day), name,
                                     exp.cast(exp.Literal.string(day.isoformat()), "DATE")))
        assert one.columns == got.columns
        expected += one.rows
    assert len(expected) > len(DATES)
    assert_same_rows(got.rows, expected)


def test_a_segment_whose_sql_cannot_be_lifted_is_reported_with_the_reason(catalog):
    segment = catalog.segments["engagement_score"]  # `SELECT *, ...` over its features
    assert series.series_ctes(catalog, segment, DATES, {}) is None
    tree = segment_ctes(catalog, segment, DATES[0])[0][1]
    assert series.not_liftable(exp.select("*").from_("t"), "d") == "a * projection"
    assert series.not_liftable(tree.copy().limit(3), "d") == "LIMIT"


# -- the validator accepts exactly the governed statement -------------------------------------


def _errors(catalog: Catalog, plan: QueryPlan, sql: str) -> list:
    ctx = SqlContext(catalog, plan, max_limit=CAP + 1, as_of=AS_OF)
    return [i for i in check_sql(sql, ctx) if i.level == "error"]


@pytest.mark.parametrize("name", ["one member since January", "since 2020 (78 month ends)"])
def test_the_validator_accepts_the_compiled_history(catalog, name):
    assert _errors(catalog, PLANS[name], compiled_sql(catalog, PLANS[name])) == []


TAMPERED = {
    "a month end moved": ("CAST('2026-03-31' AS DATE)", "CAST('2026-03-30' AS DATE)"),
    "a score threshold edited": ("recency_percentile >= 0.8", "recency_percentile >= 0.7"),
    "percentiles over every month end": ("PARTITION BY customer_orders.month_end ", ""),
    "a later order counted": ("CAST('2026-04-01 00:00:00' AS TIMESTAMP)",
                              "CAST('2026-04-02 00:00:00' AS TIMESTAMP)"),
}


@pytest.mark.parametrize("name", list(TAMPERED))
def test_an_edited_history_statement_is_refused(catalog, name):
    plan = PLANS["one member since January"]
    sql = compiled_sql(catalog, plan)
    old, new = TAMPERED[name]
    assert old in sql
    found = _errors(catalog, plan, sql.replace(old, new, 1))
    assert "governed_segment_logic" in {i.rule for i in found}, found


def test_the_joined_form_refuses_an_edited_month_end_list(catalog):
    plan = PLANS["since 2020 (78 month ends)"]
    sql = compiled_sql(catalog, plan)
    edited = sql.replace("(CAST('2026-06-30' AS DATE))", "(CAST('2026-07-31' AS DATE))")
    assert edited != sql
    assert "governed_segment_logic" in {i.rule for i in _errors(catalog, plan, edited)}


# -- a history segment whose SQL cannot be lifted --------------------------------------------


def test_a_history_that_cannot_lift_compiles_one_copy_per_month_end(wh, catalog):
    """RFM with its first stage read through `SELECT *`: not liftable, so each month end
    gets its own copy of the chain, as before, with the same rows."""
    rfm = catalog.segments[RFM]
    stages = list(rfm.stages)
    stages[1] = dataclasses.replace(stages[1], sql=stages[1].sql.replace(
        "FROM customer_orders", "FROM (SELECT * FROM customer_orders) AS customer_orders"))
    changed = dataclasses.replace(catalog, segments={
        **catalog.segments, RFM: dataclasses.replace(rfm, stages=tuple(stages))})
    plan = PLANS["one member since January"]
    sql = compiled_sql(changed, plan)
    assert "rfm_segment__percentiles__2026_01_31" in sql and "by_month_end" not in sql
    assert wh.execute(sql).rows == reference_history(wh, plan)
