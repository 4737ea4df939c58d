"""QueryPlan: the typed, serialisable value a planner produces and the compiler consumes.

A QueryPlan only *names* governed objects (segments, members, metrics, dimensions,
parameters); it has no field that could hold SQL. The same pydantic schema is the
structured-output target of the LLM planner, so the field descriptions double as
instructions to the model.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# Bounds on what a plan may hold, so an oversized plan (from a model, a file or a log) is a
# worded error before it costs a compile. Each is several times what a real question needs.
MAX_NAME = 100  # characters of a governed name
MAX_TEXT = 200  # characters of a filter value or a time phrase
MAX_FILTERS = 20
MAX_FILTER_VALUES = 100
MAX_GROUP_BY = 5
MAX_OVERRIDES = 20
MAX_PERIODS = 24  # compared periods: two years of months
MAX_SEGMENTS = 16  # excluded segments
MAX_MEMBERS = 32  # members of a segment family named in one plan


class Intent(StrEnum):
    COUNT = "count"  # how many members / users
    LIST = "list"  # which users
    BREAKDOWN = "breakdown"  # a metric by one or more dimensions
    DISTRIBUTION = "distribution"  # sizes of every member of a segment family
    METRIC = "metric"  # one metric value, optionally for a segment or period
    RETENTION = "retention"  # cohort retention cell, row or matrix
    HISTORY = "history"  # segment sizes at every month end
    MOVEMENT = "movement"  # members at an earlier month end -> their member now
    DEFINITION = "definition"  # explain a governed definition
    CATALOG = "catalog"  # what can I ask about
    CHANGE = "change"  # why a segment changed between time_range.start and .end (as_of dates)


class TimeGrain(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    @property
    def adjective(self) -> str:
        return {"day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly",
                "year": "yearly"}[self.value]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SegmentRef(_Frozen):
    """A governed segment, and optionally one named member (tier/stage) of its family."""

    name: str = Field(description="Governed segment name, e.g. lifecycle_stage",
                      max_length=MAX_NAME)
    member: str | None = Field(None, description="Member of a segment family, e.g. at_risk",
                               max_length=MAX_NAME)
    members: tuple[str, ...] = Field(
        (), description="Several members counted together (\"low or medium\"); leave member empty",
        max_length=MAX_MEMBERS,
    )

    def selected(self) -> tuple[str, ...]:
        """Every member the question keeps; empty means the whole segment."""
        return (self.member,) if self.member else self.members


class MetricRef(_Frozen):
    name: str = Field(description="Governed metric name, e.g. revenue", max_length=MAX_NAME)


class DimensionRef(_Frozen):
    name: str = Field(description="Governed dimension name, e.g. country or signup_at",
                      max_length=MAX_NAME)
    grain: TimeGrain | None = Field(None, description="Time grain, only for time dimensions")


class Measure(_Frozen):
    """An aggregate of one governed segment column ("average PQL score")."""

    column: str = Field(description="A column the segment declares, e.g. pql_score",
                        max_length=MAX_NAME)
    aggregate: Literal["avg", "median", "min", "max", "sum"] = "avg"


class Filter(_Frozen):
    """Keep rows whose dimension value is one of `values` (exact governed values), or with
    `exclude`, rows whose value is none of them ("users not on the free plan")."""

    dimension: str = Field(max_length=MAX_NAME)
    values: tuple[Annotated[str, Field(max_length=MAX_TEXT)], ...] = Field(
        min_length=1, max_length=MAX_FILTER_VALUES)
    exclude: bool = False


# The start of a period open on the left ("before 2026", "up until February"): no lower bound.
OPEN_START = date.min


class TimeRange(_Frozen):
    """Inclusive date range; `column` picks the time column (default depends on the metric).
    A start of 0001-01-01 (`OPEN_START`) means no lower bound."""

    start: date
    end: date
    # Any governed time column (a foreign model's metric is timed by its own, `created_at`);
    # the compiler refuses one no governed table has
    column: str | None = Field(None, max_length=MAX_NAME)
    phrase: str = Field("", description="The words of the question that gave this range",
                        max_length=MAX_TEXT)

    @property
    def open_start(self) -> bool:
        return self.start == OPEN_START


class Override(_Frozen):
    """A what-if change of one declared segment parameter, checked against its bounds."""

    parameter: str = Field(max_length=MAX_NAME)
    value: float
    segment: str | None = Field(None, description="Segment owning the parameter, if known",
                                max_length=MAX_NAME)


class QueryPlan(_Frozen):
    intent: Intent
    segment: SegmentRef | None = None
    metric: MetricRef | None = Field(None, description="Defaults to users for counts")
    excluding: tuple[SegmentRef, ...] = Field(
        (), description="Keep only users in none of these segments or members (\"engaged "
        "users who are not PQLs\")", max_length=MAX_SEGMENTS,
    )
    also_in: tuple[SegmentRef, ...] = Field(
        (), description="Keep only users also in every one of these segments or members "
        "(\"engaged users who are also PQLs\")", max_length=MAX_SEGMENTS,
    )
    any_of: tuple[SegmentRef, ...] = Field(
        (), description="Keep only users in at least one of these segments or members, of "
        "different families (\"engaged users or PQLs\"); members of one family go in "
        "segment.members instead", max_length=MAX_SEGMENTS,
    )
    without_metric: MetricRef | None = Field(
        None, description="People who are not among a people-counting metric's people in the "
        "plan's period on that metric's time column, or ever (\"pro users who never ordered\", "
        "\"champions with no orders in the last 60 days\")"
    )
    measure: Measure | None = Field(
        None, description="Instead of a metric: an aggregate of a segment column"
    )
    by_column: str | None = Field(
        None, description="A column the segment declares: one row per value of it, with the "
        "count (\"how many users at each PQL score\")", max_length=MAX_NAME
    )
    by_segment: str | None = Field(
        None, description="A second segment family: one row per member of each, counting the "
        "people classified by both (\"lifecycle stage by churn risk tier\"); needs a family "
        "as the segment of a distribution", max_length=MAX_NAME
    )
    versus_rest: bool = Field(
        False, description="The segment's people (its selected members) against everyone else "
        "the metric counts: one row each (\"order count of PQLs against everybody else\", "
        "\"PQLs vs non-PQLs\")"
    )
    change: bool = Field(
        False, description="The change from the earlier to the later of exactly two periods "
        "(two `compared` periods, or a grain over a time_range of two consecutive periods): "
        "both figures, their difference and the relative change (\"by what percent did "
        "revenue grow from Q1 to Q2\")"
    )
    averaged_over: TimeGrain | None = Field(
        None, description="The metric's figure in each period of this grain on its own time "
        "column, averaged over the periods of time_range (\"average monthly revenue in 2025\": "
        "the mean of its 12 monthly figures); needs a metric and a time_range"
    )
    group_by: tuple[DimensionRef, ...] = Field((), max_length=MAX_GROUP_BY)
    filters: tuple[Filter, ...] = Field((), max_length=MAX_FILTERS)
    time_range: TimeRange | None = None
    signed_up: TimeRange | None = Field(
        None, description="The users' signup period, when the question has another period for "
        "its metric (\"AOV in May, customers that joined in February\")",
    )
    compared: tuple[TimeRange, ...] = Field(
        (), description="Two or more periods answered side by side, one row each (\"orders in "
        "May 2026 vs May 2025\"); time_range then spans them all", max_length=MAX_PERIODS,
    )
    overrides: tuple[Override, ...] = Field((), max_length=MAX_OVERRIDES)
    month_number: int | None = Field(
        None, ge=0, le=24, description="Cohort retention: months since the cohort month"
    )
    share: bool = Field(
        False, description="Also return the fraction of all matching users in the segment"
    )
    share_of_metric: bool = Field(
        False, description="Share: the part is having the metric (\"were active\"); filters "
        "describe the whole"
    )
    share_of_total: bool = Field(
        False, description="Share: each row's part of the metric summed over every row (\"each "
        "channel's share of signups\", \"what share of buyers is on each plan\"); needs group_by"
    )
    share_of_segment: bool = Field(
        False, description="Share: the segment (and member) is the whole; the part is the "
        "segment in also_in or, without one, the last filter (\"the fraction of loyal customers "
        "in the low tier\", \"the fraction of PQLs based in Germany\")"
    )
    to_members: tuple[str, ...] = Field(
        (), description="Movement: keep users who are now (at as_of) in these members",
        max_length=MAX_MEMBERS,
    )
    limit: int | None = Field(None, ge=1, le=1_000_000)
    order: Literal["asc", "desc"] | None = Field(None, description="Sort by the measure")

    def share_part(self) -> str:
        """What a share's part is: "metric", "segment" (the segment asked about), "also_in"
        (the other segment), "excluding" (not being in the excluded one) or "filter" (the last
        filter); the rest of the plan describes the whole."""
        if self.share_of_metric:
            return "metric"
        if self.share_of_total:
            return "row"
        if self.segment is not None and not self.share_of_segment:
            return "segment"
        if self.also_in:
            return "also_in"
        return "excluding" if self.excluding and (self.segment is None or not self.filters) \
            else "filter"

    def override_map(self) -> dict[str, float]:
        return {o.parameter: o.value for o in self.overrides}

    def to_dict(self) -> dict:
        return self.model_dump(mode="json", exclude_defaults=True)
