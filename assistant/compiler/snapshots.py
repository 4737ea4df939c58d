"""Segments over time: sizes at every month end (history) and where members went (movement).

Each snapshot is the governed definition with `as_of` = that month end, so history uses exactly
the rules of today's answer. Several month ends are one set-based chain of CTEs in which every
row carries its month end (`series.py`); a segment whose SQL that cannot lift, and a single
month end, compile the definition once per month end instead.
"""

from __future__ import annotations

import calendar
from datetime import date

from sqlglot import exp

from assistant.catalog.models import Catalog, Dimension, Segment
from assistant.compiler.segments import Ctes, Overrides, segment_ctes
from assistant.compiler.series import SNAPSHOT, series_ctes, series_name
from assistant.compiler.sql import date_literal
from assistant.errors import CompileError
from assistant.plan import Filter, Intent, QueryPlan


def month_ends(as_of: date, start: date | None = None) -> list[date]:
    """Month ends from `start` (default: January of the previous year) up to as_of."""
    start = start or date(as_of.year - 1, 1, 1)
    ends, year, month = [], start.year, start.month
    while (year, month) <= (as_of.year, as_of.month):
        end = date(year, month, calendar.monthrange(year, month)[1])
        ends.append(min(end, as_of))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ends


def history(
    plan: QueryPlan,
    catalog: Catalog,
    segment: Segment,
    as_of: date,
    overrides: Overrides,
) -> tuple[exp.Select, Ctes]:
    """Segment sizes at every month end: one set-based chain over all of them when the
    segment's SQL can be lifted (`series.py`), else the definition once per month end."""
    start = plan.time_range.start if plan.time_range and not plan.time_range.open_start \
        else None
    end = min(plan.time_range.end, as_of) if plan.time_range else as_of
    dates = month_ends(end, start)
    selected = plan.segment.selected() if plan.segment else ()
    column = segment.member_column
    ctes = series_ctes(catalog, segment, dates, overrides) if len(dates) > 1 else None
    people = people_in(plan, catalog)
    if ctes is None:
        return _history_per_date(catalog, segment, dates, overrides, selected, people)
    select = (
        exp.select(exp.column(SNAPSHOT), exp.column(column),
                   exp.func("COUNT", exp.Star()).as_("users"))
        .from_(series_name(segment))
        .group_by(exp.Literal.number(1), exp.Literal.number(2))
        .order_by(exp.column(SNAPSHOT), exp.column(column))
    )
    if selected:
        select = select.where(_member_in(column, selected), copy=False)
    if people is not None:
        select = select.where(people, copy=False)
    return select, ctes


def people_in(plan: QueryPlan, catalog: Catalog) -> exp.Expr | None:
    """ "US champions at the end of March": the condition that a row's user is one of the
    people the plan's filters describe (columns of the population table only), or None."""
    if not plan.filters:
        return None
    base = catalog.population_table()
    narrowing = []
    for flt in plan.filters:
        dim = catalog.dimensions.get(flt.dimension)
        if dim is None or dim.table != base:
            raise CompileError(f"Segment sizes over time can be narrowed by the {base} "
                               f"table's own columns; `{flt.dimension}` is not one of them.")
        narrowing.append((dim, flt))
    return exp.column("user_id").isin(query=people_described(catalog, narrowing))


def people_described(catalog: Catalog, narrowing: list[tuple[Dimension, Filter]]) -> exp.Select:
    """The ids of the population table's people whose columns the filters keep (each filter
    with its dimension, already checked to be a column of that table)."""
    conditions = []
    for dim, flt in narrowing:
        condition = exp.column(dim.column).isin(*[exp.Literal.string(v) for v in flt.values])
        conditions.append(condition.not_() if flt.exclude else condition)
    return exp.select("user_id").from_(catalog.population_table()).where(exp.and_(*conditions))


def _member_in(column: str, members: tuple[str, ...]) -> exp.Expr:
    return exp.column(column).isin(*[exp.Literal.string(m) for m in members])


def _history_per_date(
    catalog: Catalog,
    segment: Segment,
    dates: list[date],
    overrides: Overrides,
    selected: tuple[str, ...],
    people: exp.Expr | None = None,
) -> tuple[exp.Select, Ctes]:
    """The governed definition compiled once per month end, the counts UNIONed."""
    ctes: Ctes = []
    parts: list[exp.Select] = []
    for snapshot in dates:
        suffix = f"__{snapshot:%Y_%m_%d}"
        ctes.extend(segment_ctes(catalog, segment, snapshot, overrides, suffix))
        part = (
            exp.select(
                date_literal(snapshot).as_("month_end"),
                exp.column(segment.member_column).as_(segment.member_column),
                exp.func("COUNT", exp.Star()).as_("users"),
            )
            .from_(f"{segment.name}{suffix}")
            .group_by(exp.Literal.number(1), exp.Literal.number(2))
        )
        if selected:
            part = part.where(_member_in(segment.member_column, selected))
        if people is not None:
            part = part.where(people.copy())
        parts.append(part)
    union: exp.Expr = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False, copy=False)
    select = exp.select("month_end", segment.member_column, "users").from_(
        exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("snapshots")))
    )
    select = select.order_by(exp.column("month_end"), exp.column(segment.member_column))
    return select, ctes


def movement(
    plan: QueryPlan,
    catalog: Catalog,
    segment: Segment,
    as_of: date,
    overrides: Overrides,
) -> tuple[exp.Select, Ctes]:
    """Members at an earlier month end, and which member each of them is in now (as_of)."""
    if plan.time_range is None:
        raise CompileError(
            'A movement question needs the earlier month end, e.g. "at the end of March".'
        )
    then = min(plan.time_range.end, as_of)
    suffix = f"__{then:%Y_%m_%d}"
    ctes = segment_ctes(catalog, segment, then, overrides, suffix)
    ctes += segment_ctes(catalog, segment, as_of, overrides)
    column = segment.member_column
    before = exp.column(column, table="then_")
    now = exp.column(column, table="now_")
    select = (
        exp.select()
        .from_(exp.to_table(f"{segment.name}{suffix}").as_("then_"))
        .join(
            exp.to_table(segment.name).as_("now_"),
            on=exp.column("user_id", table="now_").eq(exp.column("user_id", table="then_")),
            join_type="left",
        )
    )
    selected = plan.segment.selected() if plan.segment else ()
    if selected:
        select = select.where(before.isin(*[exp.Literal.string(m) for m in selected]))
    if plan.to_members:
        select = select.where(now.isin(*[exp.Literal.string(m) for m in plan.to_members]))
        if plan.intent == Intent.LIST:  # "which customers were champions ... and are now ..."
            user = exp.column("user_id", table="then_")
            listed = select.select(user.as_("user_id"), before.as_(f"{column}_then"),
                                   now.as_(f"{column}_now"))
            return listed.order_by(user.copy()), ctes
        return select.select(exp.func("COUNT", exp.Star()).as_("users")), ctes
    groups = [
        date_literal(then).as_("month_end"),
        before.as_(f"{column}_then"),
        exp.func("COALESCE", now, exp.Literal.string("(none)")).as_(f"{column}_now"),
    ]
    select = select.select(*groups, exp.func("COUNT", exp.Star()).as_("users"))
    positions = [exp.Literal.number(i) for i in (1, 2, 3)]
    return select.group_by(*positions).order_by(*positions), ctes
