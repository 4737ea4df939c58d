"""Representative QueryPlans shared by the compiler golden files and the validator tests.

Each plan covers one shape of question; the golden file `tests/fixtures/compiler/<name>.sql`
pins its pretty DuckDB SQL as of the demo's pinned date.
"""

from __future__ import annotations

from datetime import date

from assistant.plan import (
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

AS_OF = date(2026, 6, 30)
ROW_CAP = 1_000

GOLDEN_PLANS: dict[str, QueryPlan] = {
    "count_churn_high_us_q1": QueryPlan(
        intent=Intent.COUNT,
        segment=SegmentRef(name="churn_risk", member="high"),
        filters=(Filter(dimension="country", values=("US", "CA")),),
        time_range=TimeRange(start=date(2026, 1, 1), end=date(2026, 3, 31), column="signup_at"),
    ),
    "list_lifecycle_at_risk": QueryPlan(
        intent=Intent.LIST,
        segment=SegmentRef(name="lifecycle_stage", member="at_risk"),
        limit=50,
    ),
    "distribution_rfm": QueryPlan(
        intent=Intent.DISTRIBUTION,
        segment=SegmentRef(name="rfm_segment"),
    ),
    "revenue_by_signup_month": QueryPlan(
        intent=Intent.BREAKDOWN,
        metric=MetricRef(name="revenue"),
        group_by=(DimensionRef(name="signup_at", grain=TimeGrain.MONTH),),
        time_range=TimeRange(start=date(2026, 1, 1), end=date(2026, 6, 30), column="ordered_at"),
    ),
    "retention_jan_2026_month_1": QueryPlan(
        intent=Intent.RETENTION,
        segment=SegmentRef(name="cohort_retention"),
        month_number=1,
        time_range=TimeRange(start=date(2026, 1, 1), end=date(2026, 1, 31), column="signup_at"),
    ),
    "history_champions_since_january": QueryPlan(
        intent=Intent.HISTORY,
        segment=SegmentRef(name="rfm_segment", member="champions"),
        time_range=TimeRange(start=date(2026, 1, 1), end=date(2026, 6, 30)),
    ),
    "engaged_five_logins_a_week": QueryPlan(
        intent=Intent.COUNT,
        segment=SegmentRef(name="engaged_users"),
        overrides=(Override(parameter="min_logins_per_week", value=5),),
    ),
}
