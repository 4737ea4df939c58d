"""The compiled SQL of every governed definition returns what SPEC §4 says it should.

Each test runs the SQL from `compile_plan` on the 3,000-user demo warehouse and compares it
with an independent computation: the plain SQL of `tests/reference_sql.py` for segments (one
CTE per rule of the spec) and plain SQL written below for metrics. Rows are compared as
multisets, numbers within 1e-6, dates as ISO text.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from assistant.compiler import compile_plan
from assistant.errors import CompileError
from assistant.executor import Result, Warehouse
from assistant.plan import (
    OPEN_START,
    DimensionRef,
    Filter,
    Intent,
    MetricRef,
    Override,
    QueryPlan,
    SegmentRef,
    TimeGrain,
    TimeRange,
)
from tests import reference_sql as ref

AS_OF = date(2026, 6, 30)
CAP = 100_000
CORE = "('feature_used', 'project_created', 'report_exported')"

FAMILIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # segment -> (reference SQL, reference member column, every member in SPEC order)
    "churn_risk": (ref.CHURN_RISK, "tier", ("high", "medium", "low", "healthy")),
    "lifecycle_stage": (
        ref.LIFECYCLE_STAGE,
        "stage",
        ("new", "not_activated", "churned", "at_risk", "engaged", "activated"),
    ),
    "rfm_segment": (
        ref.RFM_SEGMENT,
        "segment",
        (
            "champions",
            "loyal_customers",
            "potential_loyalists",
            "new_customers",
            "cant_lose_them",
            "at_risk",
            "hibernating",
            "need_attention",
        ),
    ),
    "pql_score": (
        f"SELECT user_id, CASE WHEN score >= 80 THEN 'qualified' ELSE 'not_qualified' END AS q "
        f"FROM ({ref.PQL_SCORE})",
        "q",
        ("qualified", "not_qualified"),
    ),
}
MEMBERS = [(seg, m) for seg, (_, _, members) in FAMILIES.items() for m in members]


# -- helpers ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wh(demo_path: Path) -> Iterator[Warehouse]:
    warehouse = Warehouse(demo_path, row_cap=CAP)
    yield warehouse
    warehouse.close()


def run_plan(wh: Warehouse, catalog, plan: QueryPlan, as_of: date = AS_OF) -> Result:
    """The compiled SQL, in the dialect of the engine under test (tests/engines reruns these)."""
    result = wh.execute(compile_plan(plan, catalog, as_of, row_cap=CAP).sql(wh.dialect))
    assert not result.truncated
    return result


def run_sql(wh: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    """Reference SQL is DuckDB SQL: on another engine it runs on that engine's DuckDB twin."""
    result = getattr(wh, "reference", wh).execute(sql)
    assert not result.truncated
    return result.rows


def pick(result: Result, *columns: str) -> list[tuple[Any, ...]]:
    idx = [result.columns.index(c) for c in columns]
    return [tuple(row[i] for i in idx) for row in result.rows]


def _norm(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _key(row: Sequence[Any]) -> tuple:
    return tuple(
        (0, "") if v is None else (1, round(v, 6)) if isinstance(v, float) else (1, v) for v in row
    )


def assert_same_rows(actual: Sequence[Sequence[Any]], expected: Sequence[Sequence[Any]]) -> None:
    """Same multiset of rows; numbers equal within 1e-6 (relative for large values)."""
    a = sorted((tuple(map(_norm, r)) for r in actual), key=_key)
    b = sorted((tuple(map(_norm, r)) for r in expected), key=_key)
    assert len(a) == len(b), f"{len(a)} rows, expected {len(b)}"
    for got, want in zip(a, b, strict=True):
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            if isinstance(g, int | float) and isinstance(w, int | float):
                assert math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-6), (got, want)
            else:
                assert g == w, (got, want)


def listing(segment: str, member: str | None = None, **plan: Any) -> QueryPlan:
    return QueryPlan(intent=Intent.LIST, segment=SegmentRef(name=segment, member=member), **plan)


def distribution(segment: str, *overrides: tuple[str, float]) -> QueryPlan:
    return QueryPlan(
        intent=Intent.DISTRIBUTION,
        segment=SegmentRef(name=segment),
        overrides=tuple(Override(parameter=p, value=v) for p, v in overrides),
    )


def member_ids(wh: Warehouse, reference: str, column: str, member: str) -> set[int]:
    return {
        r[0] for r in run_sql(wh, f"SELECT user_id FROM ({reference}) WHERE {column} = '{member}'")
    }


def reference_distribution(wh: Warehouse, reference: str, column: str) -> list[tuple]:
    return run_sql(wh, f"SELECT {column}, count(*) FROM ({reference}) GROUP BY 1")


# -- segment families ---------------------------------------------------------------------


@pytest.mark.parametrize(("segment", "member"), MEMBERS)
def test_listing_a_member_returns_exactly_the_users_the_spec_puts_in_it(
    wh, catalog, segment, member
):
    """LIST of one member = the reference users whose first-matching rule is that member."""
    reference, column, _ = FAMILIES[segment]
    result = run_plan(wh, catalog, listing(segment, member))
    expected = member_ids(wh, reference, column, member)
    assert expected, f"the demo should make {segment}.{member} non-empty"
    assert {r[0] for r in pick(result, "user_id")} == expected
    assert result.row_count == len(expected)  # no user listed twice
    member_column = catalog.segments[segment].member_column
    assert {r[0] for r in pick(result, member_column)} == {member}


@pytest.mark.parametrize("segment", list(FAMILIES))
def test_distribution_counts_every_member_like_the_reference(wh, catalog, segment):
    """DISTRIBUTION = one row per non-empty member with its user count."""
    reference, column, members = FAMILIES[segment]
    result = run_plan(wh, catalog, distribution(segment))
    assert_same_rows(result.rows, reference_distribution(wh, reference, column))
    assert {r[0] for r in result.rows} == set(members)


@pytest.mark.parametrize("segment", list(FAMILIES))
def test_each_members_share_is_its_count_over_the_familys_whole_population(wh, catalog,
                                                                          segment):
    """"each tier's share": every member with its count and its fraction of everyone the
    family classifies (users with activity for churn risk, customers for RFM)."""
    reference, column, _ = FAMILIES[segment]
    plan = distribution(segment).model_copy(update={"share": True, "share_of_total": True})
    expected = run_sql(wh, f"SELECT {column}, count(*), count(*) * 1.0 / "
                           f"(SELECT count(*) FROM ({reference})) FROM ({reference}) GROUP BY 1")
    assert_same_rows(run_plan(wh, catalog, plan).rows, expected)


def test_a_share_of_picked_members_is_refused_they_do_not_add_up_to_the_whole(wh, catalog):
    plan = QueryPlan(intent=Intent.DISTRIBUTION, segment=SegmentRef(
        name="churn_risk", members=("high", "low")), share=True, share_of_total=True)
    with pytest.raises(CompileError):
        run_plan(wh, catalog, plan)


@pytest.mark.parametrize(("first", "second"), [("lifecycle_stage", "churn_risk"),
                                               ("rfm_segment", "lifecycle_stage")])
def test_one_family_by_another_counts_the_people_both_put_in_each_pair(wh, catalog, first,
                                                                       second):
    """"lifecycle stage by churn tier": a row per (member, member) pair that has people, with
    how many people both families put there; people one family does not classify are left out."""
    (ref_a, col_a, _), (ref_b, col_b, _) = FAMILIES[first], FAMILIES[second]
    plan = QueryPlan(intent=Intent.DISTRIBUTION, segment=SegmentRef(name=first),
                     by_segment=second)
    expected = run_sql(wh, f"SELECT a.{col_a}, b.{col_b}, count(*) FROM ({ref_a}) a "
                           f"JOIN ({ref_b}) b USING (user_id) GROUP BY 1, 2")
    assert len(expected) > 4
    assert_same_rows(run_plan(wh, catalog, plan).rows, expected)


def test_one_member_by_another_family_is_that_familys_sizes_among_the_members(wh, catalog):
    """"champions by churn tier": each tier's count of champions."""
    (ref_a, col_a, _), (ref_b, col_b, _) = FAMILIES["rfm_segment"], FAMILIES["churn_risk"]
    plan = QueryPlan(intent=Intent.DISTRIBUTION, segment=SegmentRef(name="churn_risk"),
                     also_in=(SegmentRef(name="rfm_segment", member="champions"),))
    expected = run_sql(wh, f"SELECT b.{col_b}, count(*) FROM ({ref_b}) b WHERE user_id IN "
                           f"(SELECT user_id FROM ({ref_a}) WHERE {col_a} = 'champions') "
                           f"GROUP BY 1")
    assert_same_rows(run_plan(wh, catalog, plan).rows, expected)


def test_a_segment_against_everyone_else_is_a_row_each_for_its_people_and_the_rest(wh, catalog):
    """"spend this year, engaged users against the rest": the segment's orders and all
    other users' orders, one row each."""
    plan = QueryPlan(intent=Intent.METRIC, segment=SegmentRef(name="engaged_users"),
                     metric=MetricRef(name="revenue"), versus_rest=True,
                     time_range=TimeRange(start=date(2026, 1, 1), end=AS_OF, column="ordered_at"))
    expected = run_sql(wh, f"SELECT o.user_id IN (SELECT user_id FROM ({ref.ENGAGED_USERS})), "
                           "sum(o.amount) FROM orders o WHERE o.status = 'completed' AND "
                           "CAST(o.ordered_at AS DATE) BETWEEN DATE '2026-01-01' AND "
                           "DATE '2026-06-30' GROUP BY 1")
    rows = run_plan(wh, catalog, plan).rows
    assert sorted(r[-1] for r in rows) == pytest.approx(sorted(r[-1] for r in expected))
    assert {r[0] for r in rows} == {"Engaged users", "everyone else"}


def test_a_member_against_the_rest_of_its_family_leaves_out_people_it_does_not_classify(
        wh, catalog):
    """"how many champions vs the rest": champions and every other RFM customer; users
    without a completed order are in neither row."""
    reference, column, _ = FAMILIES["rfm_segment"]
    plan = QueryPlan(intent=Intent.COUNT, segment=SegmentRef(name="rfm_segment",
                                                             member="champions"),
                     versus_rest=True)
    expected = run_sql(wh, f"SELECT {column} = 'champions', count(*) FROM ({reference}) "
                           "GROUP BY 1")
    rows = run_plan(wh, catalog, plan).rows
    assert sorted(r[-1] for r in rows) == sorted(r[-1] for r in expected)


def test_a_whole_family_against_everyone_else_is_refused_with_the_reason(catalog):
    plan = QueryPlan(intent=Intent.COUNT, segment=SegmentRef(name="rfm_segment"),
                     versus_rest=True)
    with pytest.raises(CompileError, match="against everyone else"):
        compile_plan(plan, catalog, AS_OF, row_cap=CAP)


@pytest.mark.parametrize("segment", ["churn_risk", "lifecycle_stage", "rfm_segment"])
def test_every_user_has_exactly_the_reference_tier(wh, catalog, segment):
    """The whole family as (user_id, member) pairs equals the reference mapping."""
    reference, column, _ = FAMILIES[segment]
    result = run_plan(wh, catalog, listing(segment))
    member_column = catalog.segments[segment].member_column
    expected = run_sql(wh, f"SELECT user_id, {column} FROM ({reference})")
    assert_same_rows(pick(result, "user_id", member_column), expected)


def test_rfm_scores_are_the_spec_percentile_scores(wh, catalog):
    """r, f and m are 1..5 from PERCENT_RANK of recency DESC, frequency and monetary ASC."""
    result = run_plan(wh, catalog, listing("rfm_segment"))
    expected = run_sql(wh, f"SELECT user_id, r, f, m FROM ({ref.RFM_SEGMENT})")
    assert_same_rows(pick(result, "user_id", "r", "f", "m"), expected)


def test_engaged_users_are_users_with_twelve_logins_in_28_days(wh, catalog):
    """engaged_users: login events in the last 7*4 days >= 3*4."""
    result = run_plan(wh, catalog, listing("engaged_users"))
    expected = {r[0] for r in run_sql(wh, ref.ENGAGED_USERS)}
    assert expected
    assert {r[0] for r in pick(result, "user_id")} == expected


def test_pql_are_free_or_trial_users_with_onboarding_invite_and_three_projects(wh, catalog):
    """pql: free/trial, onboarding_completed, teammate_invited, >= 3 project_created."""
    result = run_plan(wh, catalog, listing("pql"))
    expected = {r[0] for r in run_sql(wh, ref.PQL)}
    assert expected
    assert {r[0] for r in pick(result, "user_id")} == expected


def test_pql_score_of_every_free_or_trial_user_is_the_spec_points_total(wh, catalog):
    """pql_score: login recency 30/15 + session minutes 20/10 + 10 per core type + 20 invite."""
    result = run_plan(wh, catalog, listing("pql_score"))
    expected = run_sql(wh, f"SELECT user_id, score FROM ({ref.PQL_SCORE})")
    assert_same_rows(pick(result, "user_id", "pql_score"), expected)
    assert len({r[1] for r in expected}) > 5  # the scores are varied, not all 0 or 100


def test_cohort_retention_matrix_equals_reference_cell_by_cell(wh, catalog):
    """Every (cohort month, month number) up to as_of's month: size, retained, rate."""
    result = run_plan(
        wh, catalog, QueryPlan(intent=Intent.RETENTION, segment=SegmentRef(name="cohort_retention"))
    )
    columns = ("cohort_month", "month_number", "cohort_size", "retained_users", "retention_rate")
    expected = run_sql(wh, ref.COHORT_RETENTION)
    assert len(expected) == 18 * 19 // 2  # 18 monthly cohorts, a triangle of cells
    assert_same_rows(pick(result, *columns), expected)


def test_a_cohort_narrowed_by_plan_counts_only_those_users_in_size_and_retained(wh, catalog):
    """Month-3 retention of the December 2025 cohort, enterprise users only: both the cohort
    size and the retained users are of enterprise signups of that month."""
    plan = QueryPlan(
        intent=Intent.RETENTION,
        segment=SegmentRef(name="cohort_retention"),
        month_number=3,
        time_range=TimeRange(start=date(2025, 12, 1), end=date(2025, 12, 31), column="signup_at"),
        filters=(Filter(dimension="plan", values=("enterprise",)),),
    )
    result = run_plan(wh, catalog, plan)
    expected = run_sql(wh, """
        WITH cohort AS (
          SELECT user_id FROM users
          WHERE plan = 'enterprise' AND signup_at >= DATE '2025-12-01'
            AND signup_at < DATE '2026-01-01'),
        kept AS (
          SELECT DISTINCT e.user_id FROM events e JOIN cohort c USING (user_id)
          WHERE e.event_name IN ('feature_used', 'project_created', 'report_exported')
            AND e.event_at >= DATE '2026-03-01' AND e.event_at < DATE '2026-04-01')
        SELECT (SELECT count(*) FROM cohort), (SELECT count(*) FROM kept),
               (SELECT count(*) FROM kept) / (SELECT count(*) FROM cohort)""")
    assert expected[0][0] > 0
    assert_same_rows(pick(result, "cohort_size", "retained_users", "retention_rate"), expected)


def test_one_retention_cell_is_the_reference_cell(wh, catalog):
    """Month-1 retention of the January 2026 cohort is a single reference cell."""
    plan = QueryPlan(
        intent=Intent.RETENTION,
        segment=SegmentRef(name="cohort_retention"),
        month_number=1,
        time_range=TimeRange(start=date(2026, 1, 1), end=date(2026, 1, 31), column="signup_at"),
    )
    result = run_plan(wh, catalog, plan)
    expected = run_sql(
        wh,
        f"SELECT * FROM ({ref.COHORT_RETENTION}) "
        "WHERE cohort_month = DATE '2026-01-01' AND month_number = 1",
    )
    assert len(expected) == 1
    assert_same_rows(result.rows, expected)


def test_every_user_gets_exactly_one_engagement_tier_and_the_top_tier_is_a_fifth(wh, catalog):
    """engagement_score tiers: high = top 20% by score percentile; every user in one tier."""
    users = run_sql(
        wh, f"SELECT count(*) FROM users WHERE CAST(signup_at AS DATE) <= DATE '{AS_OF}'"
    )[0][0]
    listed = run_plan(wh, catalog, listing("engagement_score"))
    ids = [r[0] for r in pick(listed, "user_id")]
    assert len(ids) == len(set(ids)) == users
    sizes = dict(run_plan(wh, catalog, distribution("engagement_score")).rows)
    assert set(sizes) == {"high", "medium", "low"}
    assert sum(sizes.values()) == users
    assert sizes["high"] / users == pytest.approx(0.2, abs=0.02)


# -- parameter overrides --------------------------------------------------------------------


def test_engaged_with_five_logins_a_week_over_two_weeks_equals_the_reference(wh, catalog):
    """min_logins_per_week=5, weeks=2: >= 10 logins in the last 14 days."""
    plan = listing(
        "engaged_users",
        overrides=(
            Override(parameter="min_logins_per_week", value=5),
            Override(parameter="weeks", value=2),
        ),
    )
    got = {r[0] for r in pick(run_plan(wh, catalog, plan), "user_id")}
    expected = {r[0] for r in run_sql(wh, ref.engaged_users_sql(min_logins_per_week=5, weeks=2))}
    assert got == expected
    assert expected != {r[0] for r in run_sql(wh, ref.ENGAGED_USERS)}


@pytest.mark.parametrize(
    ("parameter", "value", "reference_kwargs"),
    [("min_logins_per_week", 5, {"min_logins_per_week": 5}), ("weeks", 2, {"weeks": 2})],
)
def test_each_engaged_parameter_alone_changes_the_count_like_the_reference(
    wh, catalog, parameter, value, reference_kwargs
):
    plan = QueryPlan(
        intent=Intent.COUNT,
        segment=SegmentRef(name="engaged_users"),
        overrides=(Override(parameter=parameter, value=value),),
    )
    got = run_plan(wh, catalog, plan).rows[0][0]
    expected = len(run_sql(wh, ref.engaged_users_sql(**reference_kwargs)))
    assert got == expected != len(run_sql(wh, ref.ENGAGED_USERS))


@pytest.mark.parametrize(
    ("overrides", "reference_kwargs"),
    [
        ((("high_inactive_days", 21),), {"high_inactive_days": 21}),
        ((("decline_ratio", 0.3),), {"decline_ratio": 0.3}),
        (
            (("high_inactive_days", 21), ("decline_ratio", 0.3)),
            {"high_inactive_days": 21, "decline_ratio": 0.3},
        ),
    ],
    ids=["high_inactive_days=21", "decline_ratio=0.3", "both"],
)
def test_churn_risk_overrides_move_users_between_tiers_like_the_reference(
    wh, catalog, overrides, reference_kwargs
):
    result = run_plan(wh, catalog, distribution("churn_risk", *overrides))
    expected = reference_distribution(wh, ref.churn_risk_sql(**reference_kwargs), "tier")
    assert_same_rows(result.rows, expected)
    assert sorted(expected) != sorted(reference_distribution(wh, ref.CHURN_RISK, "tier"))


@pytest.mark.parametrize(
    ("overrides", "reference_kwargs"),
    [
        ((("churned_inactive_days", 60),), {"churned_inactive_days": 60}),
        ((("activation_window_days", 14),), {"activation_window_days": 14}),
    ],
    ids=["churned_inactive_days=60", "activation_window_days=14"],
)
def test_lifecycle_overrides_move_users_between_stages_like_the_reference(
    wh, catalog, overrides, reference_kwargs
):
    result = run_plan(wh, catalog, distribution("lifecycle_stage", *overrides))
    expected = reference_distribution(wh, ref.lifecycle_stage_sql(**reference_kwargs), "stage")
    assert_same_rows(result.rows, expected)
    assert sorted(expected) != sorted(reference_distribution(wh, ref.LIFECYCLE_STAGE, "stage"))


def test_pql_with_five_projects_equals_the_reference(wh, catalog):
    plan = listing("pql", overrides=(Override(parameter="min_projects", value=5),))
    got = {r[0] for r in pick(run_plan(wh, catalog, plan), "user_id")}
    expected = {r[0] for r in run_sql(wh, ref.pql_sql(min_projects=5))}
    assert got == expected
    assert expected < {r[0] for r in run_sql(wh, ref.PQL)}  # stricter: a proper subset


def test_pql_score_threshold_60_qualifies_every_user_scoring_60_or_more(wh, catalog):
    plan = listing("pql_score", "qualified", overrides=(Override(parameter="threshold", value=60),))
    got = {r[0] for r in pick(run_plan(wh, catalog, plan), "user_id")}
    expected = {
        r[0] for r in run_sql(wh, f"SELECT user_id FROM ({ref.PQL_SCORE}) WHERE score >= 60")
    }
    assert got == expected
    assert expected > member_ids(wh, *FAMILIES["pql_score"][:2], "qualified")


# -- history --------------------------------------------------------------------------------


@pytest.mark.parametrize("month_end", [date(2025, 12, 31), date(2026, 3, 31)])
def test_rfm_history_snapshot_equals_the_reference_as_of_that_month_end(wh, catalog, month_end):
    """Historical RFM: each month-end snapshot is the segment computed with as_of = month end."""
    plan = QueryPlan(
        intent=Intent.HISTORY,
        segment=SegmentRef(name="rfm_segment"),
        time_range=TimeRange(start=month_end.replace(day=1), end=month_end),
    )
    result = run_plan(wh, catalog, plan)
    assert {r[0] for r in result.rows} == {month_end}
    snapshot = [(seg, n) for _, seg, n in result.rows]
    expected = reference_distribution(wh, ref.rfm_segment_sql(month_end), "segment")
    assert_same_rows(snapshot, expected)
    assert sorted(expected) != sorted(reference_distribution(wh, ref.RFM_SEGMENT, "segment"))


def test_history_of_one_member_at_2025_12_31_is_the_reference_count(wh, catalog):
    plan = QueryPlan(
        intent=Intent.HISTORY, segment=SegmentRef(name="rfm_segment", member="champions")
    )
    rows = run_plan(wh, catalog, plan).rows
    assert {r[1] for r in rows} == {"champions"}
    got = [n for end, _, n in rows if end == date(2025, 12, 31)]
    expected = len(member_ids(wh, ref.rfm_segment_sql(date(2025, 12, 31)), "segment", "champions"))
    assert got == [expected]


# -- metrics --------------------------------------------------------------------------------

# metric -> (FROM clause, row filter, time column, aggregate), written from SPEC §4 alone.
PLAIN_METRICS: dict[str, tuple[str, str, str, str]] = {
    "users": ("users AS u", "TRUE", "u.signup_at", "count(DISTINCT u.user_id)"),
    "active_users": (
        "events AS e",
        f"e.event_name IN {CORE}",
        "e.event_at",
        "count(DISTINCT e.user_id)",
    ),
    "revenue": ("orders AS o", "o.status = 'completed'", "o.ordered_at", "sum(o.amount)"),
    "orders": ("orders AS o", "o.status = 'completed'", "o.ordered_at", "count(*)"),
    "average_order_value": (
        "orders AS o",
        "o.status = 'completed'",
        "o.ordered_at",
        "sum(o.amount) / count(*)",
    ),
    "customers": (
        "orders AS o",
        "o.status = 'completed'",
        "o.ordered_at",
        "count(DISTINCT o.user_id)",
    ),
}
SIGNUP_DATE = "CAST(u.signup_at AS DATE)"
PLAIN_GROUPS = {
    "plan": "u.plan",
    "country": "u.country",
    "acquisition_channel": "u.acquisition_channel",
    "company_size": "u.company_size",
    "week": f"{SIGNUP_DATE} - CAST(isodow({SIGNUP_DATE}) - 1 AS INTEGER)",  # Monday
    "month": f"make_date(year({SIGNUP_DATE}), month({SIGNUP_DATE}), 1)",
    "quarter": f"make_date(year({SIGNUP_DATE}), 3 * quarter({SIGNUP_DATE}) - 2, 1)",
}


def plain_metric(
    metric: str, start: date | None = None, end: date = AS_OF, group: str | None = None
) -> str:
    table, row_filter, time_column, aggregate = PLAIN_METRICS[metric]
    day = f"CAST({time_column} AS DATE)"
    if start is not None:
        window = f"{day} BETWEEN DATE '{start}' AND DATE '{end}'"
    elif metric == "active_users":  # the default window: the last 30 days
        window = f"{day} > DATE '{end}' - 30 AND {day} <= DATE '{end}'"
    else:
        window = f"{day} <= DATE '{end}'"
    join = (
        ""
        if table.startswith("users") or group is None
        else (f"JOIN users AS u ON u.user_id = {table[-1]}.user_id")
    )
    if group is None:
        return f"SELECT {aggregate} FROM {table} {join} WHERE {row_filter} AND {window}"
    key = PLAIN_GROUPS[group]
    return (
        f"SELECT {key}, {aggregate} FROM {table} {join} WHERE {row_filter} AND {window} GROUP BY 1"
    )


def metric_plan(
    metric: str, *, time_range: TimeRange | None = None, group_by: tuple[DimensionRef, ...] = ()
) -> QueryPlan:
    intent = Intent.BREAKDOWN if group_by else Intent.METRIC
    return QueryPlan(
        intent=intent, metric=MetricRef(name=metric), group_by=group_by, time_range=time_range
    )


@pytest.mark.parametrize("metric", ["revenue", "orders", "customers", "users"])
def test_a_period_open_on_the_left_counts_everything_up_to_its_end(wh, catalog, metric):
    """ "Revenue before 2026": no lower bound, the end inclusive."""
    column = {"users": "signup_at"}.get(metric, "ordered_at")
    open_left = TimeRange(start=OPEN_START, end=date(2025, 12, 31), column=column)
    got = run_plan(wh, catalog, metric_plan(metric, time_range=open_left)).rows
    expected = run_sql(wh, plain_metric(metric, end=date(2025, 12, 31)))
    assert expected[0][0]
    assert_same_rows(got, expected)


@pytest.mark.parametrize("metric", list(PLAIN_METRICS))
def test_metric_equals_plain_sql(wh, catalog, metric):
    """All time up to as_of; active_users over its default 30-day window."""
    got = run_plan(wh, catalog, metric_plan(metric)).rows
    expected = run_sql(wh, plain_metric(metric))
    assert expected[0][0]
    assert_same_rows(got, expected)


TIME_RANGES = {
    "users": TimeRange(start=date(2026, 1, 1), end=date(2026, 3, 31), column="signup_at"),
    "active_users": TimeRange(start=date(2026, 3, 1), end=date(2026, 3, 31), column="event_at"),
    **{
        m: TimeRange(start=date(2026, 4, 1), end=date(2026, 6, 30), column="ordered_at")
        for m in ("revenue", "orders", "average_order_value", "customers")
    },
}


@pytest.mark.parametrize("metric", list(PLAIN_METRICS))
def test_metric_in_a_time_range_equals_plain_sql(wh, catalog, metric):
    """Order metrics filter on ordered_at, users on signup_at, active users on event_at."""
    window = TIME_RANGES[metric]
    got = run_plan(wh, catalog, metric_plan(metric, time_range=window)).rows
    expected = run_sql(wh, plain_metric(metric, window.start, window.end))
    assert expected[0][0]
    assert_same_rows(got, expected)
    assert got != run_plan(wh, catalog, metric_plan(metric)).rows


@pytest.mark.parametrize(
    ("metric", "dimension"),
    [(m, "plan") for m in PLAIN_METRICS]
    + [("users", d) for d in ("country", "acquisition_channel", "company_size")]
    + [("revenue", "country")],
)
def test_metric_broken_down_by_a_dimension_equals_plain_sql(wh, catalog, metric, dimension):
    plan = metric_plan(metric, group_by=(DimensionRef(name=dimension),))
    got = run_plan(wh, catalog, plan).rows
    expected = run_sql(wh, plain_metric(metric, group=dimension))
    assert len(expected) > 1
    assert_same_rows(got, expected)


@pytest.mark.parametrize(
    ("metric", "grain"),
    [
        ("users", "week"),
        ("users", "month"),
        ("users", "quarter"),
        ("revenue", "month"),
        ("customers", "quarter"),
    ],
)
def test_metric_by_signup_grain_equals_plain_sql(wh, catalog, metric, grain):
    """signup_at grains: week starts on Monday; month and quarter start on their first day."""
    plan = metric_plan(metric, group_by=(DimensionRef(name="signup_at", grain=TimeGrain(grain)),))
    got = run_plan(wh, catalog, plan).rows
    expected = run_sql(wh, plain_metric(metric, group=grain))
    assert_same_rows(got, expected)
    if grain == "week":
        assert {d.isoweekday() for d, _ in got} == {1}


def test_metric_in_a_time_range_broken_down_by_signup_month_equals_plain_sql(wh, catalog):
    window = TIME_RANGES["revenue"]
    plan = metric_plan(
        "revenue",
        time_range=window,
        group_by=(DimensionRef(name="signup_at", grain=TimeGrain.MONTH),),
    )
    got = run_plan(wh, catalog, plan).rows
    assert_same_rows(got, run_sql(wh, plain_metric("revenue", window.start, window.end, "month")))


def test_revenue_from_champions_in_q2_is_their_completed_order_amounts(wh, catalog):
    plan = QueryPlan(
        intent=Intent.METRIC,
        metric=MetricRef(name="revenue"),
        segment=SegmentRef(name="rfm_segment", member="champions"),
        time_range=TIME_RANGES["revenue"],
    )
    got = run_plan(wh, catalog, plan).rows
    expected = run_sql(
        wh,
        f"""
        SELECT sum(o.amount) FROM orders AS o
        WHERE o.status = 'completed'
          AND CAST(o.ordered_at AS DATE) BETWEEN DATE '2026-04-01' AND DATE '2026-06-30'
          AND o.user_id IN (SELECT user_id FROM ({ref.RFM_SEGMENT})
                            WHERE segment = 'champions')""",
    )
    assert_same_rows(got, expected)


@pytest.mark.parametrize(("order", "sql_order"), [("desc", "DESC"), ("asc", "ASC")])
def test_the_top_champions_by_revenue_are_the_champions_with_the_most(wh, catalog, order,
                                                                     sql_order):
    """ "Top 5 champions by revenue in Q2": the five champions whose completed Q2 orders add
    up to the most (or least), each with that sum."""
    plan = QueryPlan(intent=Intent.LIST, metric=MetricRef(name="revenue"),
                     segment=SegmentRef(name="rfm_segment", member="champions"),
                     time_range=TIME_RANGES["revenue"], limit=5, order=order)
    got = wh.execute(compile_plan(plan, catalog, AS_OF, row_cap=CAP).sql(wh.dialect))
    expected = run_sql(wh, f"""
        SELECT o.user_id, sum(o.amount) AS revenue FROM orders AS o
        WHERE o.status = 'completed'
          AND CAST(o.ordered_at AS DATE) BETWEEN DATE '2026-04-01' AND DATE '2026-06-30'
          AND o.user_id IN (SELECT user_id FROM ({ref.RFM_SEGMENT}) WHERE segment = 'champions')
        GROUP BY 1 ORDER BY 2 {sql_order} LIMIT 5""")
    assert len(expected) == 5 and len({r[1] for r in expected}) == 5  # no tie at the cut
    rows = pick(got, "user_id", "revenue")  # the limit, and one more row to tell truncation
    assert len(rows) == 6
    assert_same_rows(rows[:5], expected)


@pytest.mark.parametrize(("metric", "dimension"), [("revenue", "acquisition_channel"),
                                                  ("active_users", "plan"), ("users", "country")])
def test_each_groups_share_of_a_total_is_its_part_of_the_sum_over_every_group(
        wh, catalog, metric, dimension):
    """ "Each channel's share of revenue": the metric per group and its fraction of the
    metric over all groups together (the fractions add up to 1)."""
    plan = metric_plan(metric, group_by=(DimensionRef(name=dimension),)).model_copy(
        update={"share": True, "share_of_total": True})
    got = run_plan(wh, catalog, plan).rows
    per_group = run_sql(wh, plain_metric(metric, group=dimension))
    total = sum(float(v) for _, v in per_group)
    assert_same_rows(got, [(g, v, float(v) / total) for g, v in per_group])
    assert math.isclose(sum(r[-1] for r in got), 1.0)


def test_a_share_of_a_total_is_refused_for_a_metric_that_does_not_add_up(catalog):
    plan = metric_plan("average_order_value", group_by=(DimensionRef(name="plan"),)).model_copy(
        update={"share": True, "share_of_total": True})
    with pytest.raises(CompileError, match="adds up"):
        compile_plan(plan, catalog, AS_OF, row_cap=CAP)


def test_people_who_never_bought_are_the_population_less_every_buyer(wh, catalog):
    plan = QueryPlan(intent=Intent.COUNT, metric=MetricRef(name="users"),
                     without_metric=MetricRef(name="customers"),
                     filters=(Filter(dimension="plan", values=("pro",)),))
    expected = run_sql(wh, """
        SELECT count(*) FROM users WHERE plan = 'pro' AND user_id NOT IN (
          SELECT user_id FROM orders WHERE status = 'completed'
            AND CAST(ordered_at AS DATE) <= DATE '2026-06-30')""")
    assert expected[0][0] > 0
    assert_same_rows(run_plan(wh, catalog, plan).rows, expected)


def test_members_with_no_purchase_in_a_period_keep_those_who_bought_before_it(wh, catalog):
    """ "Loyal customers with no orders in the last 30 days": the period is the buyers', and
    the members are today's."""
    window = TimeRange(start=date(2026, 6, 1), end=AS_OF, column="ordered_at")
    plan = QueryPlan(intent=Intent.COUNT, metric=MetricRef(name="users"),
                     segment=SegmentRef(name="rfm_segment", member="loyal_customers"),
                     without_metric=MetricRef(name="customers"), time_range=window)
    expected = run_sql(wh, f"""
        SELECT count(*) FROM ({ref.RFM_SEGMENT}) WHERE segment = 'loyal_customers'
          AND user_id NOT IN (SELECT user_id FROM orders WHERE status = 'completed'
            AND CAST(ordered_at AS DATE) BETWEEN DATE '2026-06-01' AND DATE '2026-06-30')""")
    assert expected[0][0] > 0
    assert_same_rows(run_plan(wh, catalog, plan).rows, expected)


@pytest.mark.parametrize("window", [None, TimeRange(start=date(2026, 5, 1),
                                                    end=date(2026, 5, 31), column="event_at")])
def test_people_not_active_are_those_without_a_core_action_in_the_window(wh, catalog, window):
    """"Pro users who haven't been active": no core action in the active metric's own 30-day
    window, or in the period named on its date ("not active in May")."""
    plan = QueryPlan(intent=Intent.COUNT, metric=MetricRef(name="users"),
                     without_metric=MetricRef(name="active_users"), time_range=window,
                     filters=(Filter(dimension="plan", values=("pro",)),))
    start, end = ("2026-05-01", "2026-05-31") if window else ("2026-06-01", "2026-06-30")
    expected = run_sql(wh, f"""
        SELECT count(*) FROM users WHERE plan = 'pro' AND user_id NOT IN (
          SELECT user_id FROM events WHERE event_name IN {CORE}
            AND CAST(event_at AS DATE) BETWEEN DATE '{start}' AND DATE '{end}')""")
    assert expected[0][0] > 0
    assert_same_rows(run_plan(wh, catalog, plan).rows, expected)


def test_users_at_each_pql_score_are_the_reference_scores_counted(wh, catalog):
    plan = QueryPlan(intent=Intent.DISTRIBUTION, segment=SegmentRef(name="pql_score"),
                     metric=MetricRef(name="users"), by_column="pql_score")
    expected = run_sql(wh, f"SELECT score, count(*) FROM ({ref.PQL_SCORE}) GROUP BY 1")
    assert len(expected) > 3
    assert_same_rows(run_plan(wh, catalog, plan).rows, expected)


def test_people_who_ordered_in_a_period_are_those_with_a_completed_order_then(wh, catalog):
    """A refunded order is no purchase: "users who bought in H1" are the buyers of H1."""
    window = TimeRange(start=date(2026, 1, 1), end=AS_OF, column="ordered_at")
    plan = QueryPlan(intent=Intent.COUNT, metric=MetricRef(name="users"), time_range=window)
    expected = run_sql(wh, """
        SELECT count(DISTINCT user_id) FROM orders WHERE status = 'completed'
          AND CAST(ordered_at AS DATE) BETWEEN DATE '2026-01-01' AND DATE '2026-06-30'""")
    with_refunds = run_sql(wh, """
        SELECT count(DISTINCT user_id) FROM orders
          WHERE CAST(ordered_at AS DATE) BETWEEN DATE '2026-01-01' AND DATE '2026-06-30'""")
    assert expected != with_refunds
    assert_same_rows(run_plan(wh, catalog, plan).rows, expected)


# -- a tiny world where the demo is too regular --------------------------------------------


TINY_WORLD = """
CREATE TABLE users (user_id BIGINT, signup_at TIMESTAMP, country VARCHAR, plan VARCHAR,
                    acquisition_channel VARCHAR, company_size VARCHAR, email VARCHAR);
CREATE TABLE sessions (session_id BIGINT, user_id BIGINT, started_at TIMESTAMP,
                       duration_seconds INTEGER);
CREATE TABLE events (event_id BIGINT, user_id BIGINT, session_id BIGINT, event_at TIMESTAMP,
                     event_name VARCHAR);
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, ordered_at TIMESTAMP,
                     amount DECIMAL(12,2), status VARCHAR);
INSERT INTO users VALUES
  (1, '2026-01-10 09:00', 'US', 'free', 'organic', '1-10', 'a@example.com'),
  (2, '2026-03-05 09:00', 'GB', 'pro', 'referral', '11-50', 'b@example.com');
INSERT INTO events VALUES
  (1, 1, NULL, '2026-02-14 10:00', 'feature_used'),
  (2, 1, NULL, '2026-04-02 10:00', 'project_created');
"""


def test_retention_has_a_cell_for_every_month_up_to_as_of_even_without_signups(tmp_path, catalog):
    """Tiny world, as_of 2026-04-15: signups in January and March only; user 1 (January
    cohort) makes core actions in February and April. SPEC: months up to as_of's month, so
    the January cohort has months 0..3 and month 1 (February) retains user 1."""
    path = tmp_path / "tiny.duckdb"
    con = duckdb.connect(str(path))
    con.execute(TINY_WORLD)
    con.close()
    warehouse = Warehouse(path)
    try:
        as_of = date(2026, 4, 15)
        plan = QueryPlan(intent=Intent.RETENTION, segment=SegmentRef(name="cohort_retention"))
        got = warehouse.execute(compile_plan(plan, catalog, as_of, row_cap=CAP).sql()).rows
        expected = warehouse.execute(ref.cohort_retention_sql(as_of)).rows
    finally:
        warehouse.close()
    assert (date(2026, 1, 1), 1, 1, 1, 1.0) in expected
    assert_same_rows(got, expected)
