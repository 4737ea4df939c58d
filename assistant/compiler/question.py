"""QueryPlan -> one SELECT over the governed CTEs and the warehouse tables.

The question-specific part (filters, grouping, the metric, the time range) joins only what it
uses; the segment logic itself always comes from `segments.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import cast

from sqlglot import exp

from assistant import messages
from assistant.answer import DefinitionUsed
from assistant.catalog.models import Catalog, Dimension, Metric, Relationship, Segment
from assistant.compiler.bounds import half_open, timestamp_columns
from assistant.compiler.clusters import fit_summary
from assistant.compiler.joins import join_condition, join_path, join_source
from assistant.compiler.keys import counts_rows_once, one_row_per_user
from assistant.compiler.portable import render
from assistant.compiler.rows import RowFilter, restrict_rows
from assistant.compiler.segments import (
    Ctes,
    Overrides,
    resolve_overrides,
    segment_closure,
    segment_ctes,
)
from assistant.compiler.snapshots import history, movement, people_described
from assistant.compiler.sql import (
    DIALECT,
    as_date,
    date_literal,
    number_literal,
    parse_fragment,
    time_filter,
)
from assistant.errors import CompileError
from assistant.plan import (
    DimensionRef,
    Filter,
    Intent,
    QueryPlan,
    SegmentRef,
    TimeRange,
)


@dataclass(frozen=True)
class Compiled:
    """The compiled statement plus what the validator and the answer need to know."""

    expression: exp.Select
    governed_ctes: dict[str, exp.Expr]
    definitions: list[DefinitionUsed]
    overrides: Overrides = field(default_factory=dict)

    def sql(self, dialect: str = DIALECT, pretty: bool = True) -> str:
        return render(self.expression, dialect, pretty=pretty)


VERSUS_REST_SHAPE = ("A segment against everyone else needs a segment with no members, or chosen "
                     "members of a family, and a count, a metric or a breakdown without a share.")
BY_SEGMENT_SHAPE = ("A breakdown by a second segment family needs the sizes of another family's "
                    "members (a distribution), without a share.")


def compile_plan(plan: QueryPlan, catalog: Catalog, as_of: date, *, row_cap: int,
                 row_filter: RowFilter | None = None) -> Compiled:
    """Compile a data question; definition and catalog intents have no SQL.

    `row_filter` (from the asker's access policy) limits which users the answer is about.
    """
    if plan.intent in (Intent.DEFINITION, Intent.CATALOG):
        raise CompileError(f"A `{plan.intent}` question has no SQL to compile.")
    foreign = catalog.metrics.get(plan.metric.name) if plan.metric else None
    if foreign is not None and foreign.engine:  # a dbt metric: compiled by MetricFlow
        return _foreign(plan, catalog, foreign, min(plan.limit or row_cap, row_cap) + 1)
    segment = _segment(plan, catalog)
    if plan.without_metric is not None and (plan.share or plan.intent not in (
            Intent.COUNT, Intent.BREAKDOWN, Intent.LIST, Intent.DISTRIBUTION)
            or _metric(plan, catalog).role != "population"):
        raise CompileError("People who lack a metric can be counted, broken down or listed, "
                           "not measured or shared.")
    if plan.by_segment is not None and (plan.intent != Intent.DISTRIBUTION or plan.share):
        raise CompileError(BY_SEGMENT_SHAPE)
    if plan.versus_rest and (segment is None or plan.share or plan.by_segment or plan.intent
                             not in (Intent.COUNT, Intent.METRIC, Intent.BREAKDOWN)):
        raise CompileError(VERSUS_REST_SHAPE)
    overrides = resolve_overrides(plan, catalog, segment)
    limit = min(plan.limit or row_cap, row_cap) + 1  # one extra row reveals truncation
    # _segment() raises unless retention, history and movement questions name a segment; a
    # listing with `to_members` is not checked there. The cast is static only.
    named = cast(Segment, segment)
    if plan.intent == Intent.RETENTION:
        select, ctes = _retention(plan, catalog, named, as_of, overrides)
    elif plan.intent == Intent.HISTORY:
        select, ctes = history(plan, catalog, named, as_of, overrides)
    elif plan.intent == Intent.MOVEMENT or plan.intent == Intent.LIST and plan.to_members:
        select, ctes = movement(plan, catalog, named, as_of, overrides)
    elif plan.intent == Intent.LIST and _ranks_people(plan, catalog):
        select, ctes = _aggregate(plan, catalog, segment, as_of, overrides)
    elif plan.intent == Intent.LIST:
        select, ctes = _listing(plan, catalog, segment, as_of, overrides)
    elif plan.share:
        select, ctes = _share(plan, catalog, segment, as_of, overrides)
        if plan.order and plan.group_by:  # "which plan has the highest share of PQLs"
            select = select.order_by(exp.Ordered(this=exp.column("share"),
                                                 desc=plan.order == "desc"), append=False)
    elif segment and _members_only(plan, catalog, segment, row_filter):
        ctes = segment_ctes(catalog, segment, as_of, overrides)
        select = _members_count(plan, catalog, segment,
                                once=one_row_per_user(segment.name, dict(ctes), catalog))
    elif plan.averaged_over is not None:
        select, ctes = _averaged(plan, catalog, segment, as_of, overrides)
    else:
        select, ctes = _aggregate(plan, catalog, segment, as_of, overrides)
    select = _restricted(select, plan, catalog, row_filter)
    times = timestamp_columns(catalog)
    select = cast(exp.Select, half_open(select, times))
    ctes = [(name, half_open(body, times)) for name, body in ctes]
    for name, body in ctes:  # this call's own trees: built in place, not copied
        select = select.with_(name, as_=body, copy=False)
    select = select.limit(limit, copy=False)
    definitions = _definitions_used(plan, catalog, segment, overrides)
    return Compiled(select, dict(ctes), definitions, overrides)


def _restricted(select: exp.Select, plan: QueryPlan, catalog: Catalog,
                row_filter: RowFilter | None) -> exp.Select:
    """The asker's row restriction on the question's select, then the change between its
    two periods when the plan asks for it."""
    if row_filter is not None:
        select = restrict_rows(select, catalog, row_filter)
    return _change(select) if plan.change else select


def _change(per_period: exp.Select) -> exp.Select:
    """The change between the two periods of a per-period select (its first column the
    period, its last the figure): both figures, the difference and the relative change."""
    period = per_period.selects[0].alias_or_name
    figure = per_period.selects[-1].alias_or_name
    inner = per_period.copy()
    inner.set("order", None)
    at, value = exp.column(period, table="per_period"), exp.column(figure, table="per_period")
    earlier = exp.func("ARG_MIN", value.copy(), at.copy())
    later = exp.func("ARG_MAX", value.copy(), at.copy())
    difference = exp.Sub(this=later.copy(), expression=earlier.copy())
    return exp.select(
        exp.func("MIN", at.copy()).as_("earlier_period"),
        earlier.as_(f"{figure}_earlier"),
        exp.func("MAX", at.copy()).as_("later_period"),
        later.as_(f"{figure}_later"),
        difference.as_("change"),
        exp.Div(this=exp.Cast(this=difference.copy(), to=exp.DataType.build("DOUBLE")),
                expression=exp.func("NULLIF", earlier.copy(), exp.Literal.number(0)))
        .as_("relative_change"),
    ).from_(inner.subquery("per_period"))


def _foreign(plan: QueryPlan, catalog: Catalog, metric: Metric, limit: int) -> Compiled:
    """A metric another engine compiles from its own definitions (docs/importing.md)."""
    from assistant.importers.metricflow import compile_compared, compile_metricflow, definition_used

    if plan.segment is not None or plan.excluding or plan.any_of or plan.share or (
            plan.measure is not None or plan.averaged_over is not None or plan.change):
        raise CompileError(messages.foreign_metric_shape(metric.name, metric.source))
    select = (compile_compared if plan.compared else compile_metricflow)(
        plan, catalog, metric, limit=limit)
    # MetricFlow's own CTEs are the governed logic: the validator recompiles and compares them
    ctes = {cte.alias_or_name: cte.this for cte in select.find_all(exp.CTE)}
    return Compiled(select, ctes, [definition_used(metric)])


def _segment(plan: QueryPlan, catalog: Catalog) -> Segment | None:
    if plan.segment is None:
        if plan.intent in (Intent.RETENTION, Intent.HISTORY, Intent.DISTRIBUTION, Intent.MOVEMENT):
            raise CompileError(f"A `{plan.intent}` question needs a segment.")
        return None
    segment = catalog.segments.get(plan.segment.name)
    if segment is None:
        raise CompileError(
            messages.unknown_object("segment", plan.segment.name, list(catalog.segments))
        )
    if segment.is_cluster and not segment.members:
        raise CompileError(messages.cluster_not_fitted(segment.name, segment.source))
    for member in plan.segment.selected():
        if not segment.member(member):
            raise CompileError(
                messages.unknown_member(segment.name, member, [m.name for m in segment.members])
            )
    if segment.entity == "cohort" and plan.intent != Intent.RETENTION:
        raise CompileError(f"Segment `{segment.name}` is a cohort table; ask for retention.")
    if plan.intent == Intent.RETENTION and segment.entity != "cohort":
        raise CompileError(f"Segment `{segment.name}` has no cohort retention.")
    if plan.intent == Intent.DISTRIBUTION and not segment.is_family:
        raise CompileError(f"Segment `{segment.name}` has no members to distribute over.")
    for member in plan.to_members:
        if not segment.member(member):
            raise CompileError(
                messages.unknown_member(segment.name, member, [m.name for m in segment.members])
            )
    if (
        plan.intent in (Intent.HISTORY, Intent.MOVEMENT) or plan.to_members
    ) and not segment.history:
        raise CompileError(f"Segment `{segment.name}` is not tracked month by month.")
    return segment


def _population(catalog: Catalog) -> Metric:
    """The metric that counts the entity segments are made of (`role: population`)."""
    found = catalog.population_metrics()
    if not found:
        raise CompileError("No metric counts the population (`role: population` in the "
                           "semantic models), so there is nothing to count people with.")
    return found[0]


def _population_key(catalog: Catalog) -> exp.Column:
    """`<population table>.<its primary key>`: the column that identifies one person."""
    table = _population(catalog).table
    return exp.column(catalog.tables[table].primary_key, table=table)


def _metric(plan: QueryPlan, catalog: Catalog) -> Metric:
    if plan.metric is None:
        return _population(catalog)
    name = plan.metric.name
    metric = catalog.metrics.get(name)
    if metric is None:
        raise CompileError(messages.unknown_object("metric", name, list(catalog.metrics)))
    return metric


def _dimension(catalog: Catalog, name: str) -> Dimension:
    dim = catalog.dimensions.get(name)
    if dim is None:
        raise CompileError(messages.unknown_object("dimension", name, list(catalog.dimensions)))
    return dim


def _clip(time_range: TimeRange, as_of: date) -> tuple[date | None, date]:
    """The range's bounds up to as_of; no lower bound for a period open on the left."""
    return None if time_range.open_start else time_range.start, min(time_range.end, as_of)


class _From:
    """Builds the FROM/JOIN/WHERE of a question over a base table, joining only what's used.

    Tables are joined through declared relationships only (`joins.py`); segments on user_id.
    """

    def __init__(self, base: str, catalog: Catalog) -> None:
        self.base = base
        self.catalog = catalog
        self.joins: list[tuple[str, str]] = []  # (table or segment, alias), in join order
        self.hops: dict[str, Relationship] = {}  # alias -> the relationship it is joined by
        self.used: dict[str, list[str]] = {}  # alias -> the columns read from it
        self.left: set[str] = set()  # aliases joined with LEFT JOIN (shares keep everyone)
        self.where: list[exp.Expr] = []

    def col(self, table: str, column: str) -> exp.Column:
        if table != self.base and table not in self.hops:
            for hop in join_path(self.catalog, self.base, table):
                if hop.to_table not in self.hops and hop.to_table != self.base:
                    self.hops[hop.to_table] = hop
                    self.joins.append((hop.to_table, hop.to_table))
                    self._use(hop.to_table, *[b for _, b in hop.keys])
        self._use(table, column)
        return exp.column(column, table=table)

    def _use(self, alias: str, *columns: str) -> None:
        used = self.used.setdefault(alias, [])
        used.extend(c for c in columns if c not in used)

    def join_segment(self, segment: Segment, *, left: bool = False) -> str:
        self.joins.append((segment.name, "seg"))
        if left:
            self.left.add("seg")
        return "seg"

    def apply(self, select: exp.Select) -> exp.Select:
        # the tree is built here and owned: each builder edits it in place (copy=False)
        select = select.from_(_table(self.base, self.base), copy=False)
        for table, alias in self.joins:
            hop = self.hops.get(alias)
            source: exp.Expr
            on: exp.Expr
            if hop is None:  # a governed segment: its rows are users
                on = exp.column("user_id", table=alias).eq(exp.column("user_id", table=self.base))
                source = _table(table, alias)
            else:
                for later in self.hops.values():  # a later hop joins on this alias's keys
                    if later.from_table == alias:
                        self._use(alias, *[a for a, _ in later.keys])
                on = join_condition(hop, hop.from_table, alias)
                source = join_source(hop, alias, self.used[alias])
            kind = "left" if alias in self.left else None
            select = select.join(source, on=on, join_type=kind, copy=False)
        for cond in self.where:
            select = select.where(cond, copy=False)
        return select


def _table(name: str, alias: str) -> exp.Table:
    """`name AS alias`, built without parsing `name` (a governed identifier)."""
    return exp.Table(this=exp.to_identifier(name), alias=exp.TableAlias(
        this=exp.to_identifier(alias)))


def _exclusions(plan: QueryPlan, catalog: Catalog, src: _From, as_of: date,
                overrides: Overrides,
                ctes: Ctes) -> None:
    """Users in none of `plan.excluding`, in all of `plan.also_in` and in at least one of
    `plan.any_of`: an anti-semi-join or a semi-join on each governed segment."""
    for ref, keep in [*((r, False) for r in plan.excluding), *((r, True) for r in plan.also_in)]:
        member_of = _member_of(ref, catalog, src, as_of, overrides, ctes)
        src.where.append(member_of if keep else member_of.not_())
    if plan.any_of:
        either = [_member_of(ref, catalog, src, as_of, overrides, ctes) for ref in plan.any_of]
        src.where.append(exp.paren(exp.or_(*either, copy=False), copy=False))
    lacking = _lacking(plan, catalog)
    if lacking is not None:  # "never ordered": not among the metric's people in its period
        users = _metric_users(plan if _in_own_period(plan, lacking)
                              else plan.model_copy(update={"time_range": None}),
                              catalog, lacking, as_of)
        src.where.append(exp.column("user_id", table=src.base).isin(query=users).not_())


def _lacking(plan: QueryPlan, catalog: Catalog) -> Metric | None:
    """The people-counting metric the plan's people are not counted by, if any."""
    if plan.without_metric is None:
        return None
    metric = catalog.metrics.get(plan.without_metric.name)
    if metric is None or "DISTINCT" not in metric.expr.upper():
        raise CompileError(messages.unknown_object("people-counting metric",
                                                   plan.without_metric.name,
                                                   [m.name for m in catalog.buyer_metrics()]))
    return metric


def _in_own_period(plan: QueryPlan, metric: Metric) -> bool:
    """Whether the plan's period is on this metric's own time column."""
    return plan.time_range is not None and plan.time_range.column == metric.time_column


def _people_period(plan: QueryPlan, catalog: Catalog) -> QueryPlan:
    """The plan whose period picks its people: without the period of the metric they lack."""
    lacking = _lacking(plan, catalog)
    if lacking is not None and _in_own_period(plan, lacking):
        return plan.model_copy(update={"time_range": None})
    return plan


def _member_of(ref: SegmentRef, catalog: Catalog, src: _From, as_of: date, overrides: Overrides,
               ctes: Ctes) -> exp.Expr:
    """The condition that a user is in another governed segment (and member); its CTEs are
    added to `ctes` once."""
    other = catalog.segments.get(ref.name)
    if other is None:
        raise CompileError(messages.unknown_object("segment", ref.name, sorted(catalog.segments)))
    _add_ctes(ctes, catalog, other, as_of, overrides)
    inner = exp.select("user_id").from_(other.name)
    if ref.member:
        inner = inner.where(exp.column(other.member_column).eq(exp.Literal.string(ref.member)))
    return exp.column("user_id", table=src.base).isin(query=inner)


def _add_ctes(ctes: Ctes, catalog: Catalog, segment: Segment, as_of: date,
              overrides: Overrides) -> None:
    """Another governed segment's CTEs, each added once (a shared stage is not repeated)."""
    known = {name for name, _ in ctes}
    ctes.extend(c for c in segment_ctes(catalog, segment, as_of, overrides) if c[0] not in known)


def _filters(plan: QueryPlan, catalog: Catalog, src: _From) -> None:
    if plan.signed_up is not None:  # who the users are: signed up in a period of their own
        signup = src.col(catalog.population_table(), catalog.signup_column())
        start = None if plan.signed_up.open_start else plan.signed_up.start
        src.where.append(time_filter(signup, start, plan.signed_up.end))
    for flt in plan.filters:
        dim = _dimension(catalog, flt.dimension)
        known = {v.value for v in dim.values}
        for value in flt.values:
            if known and value not in known:
                raise CompileError(
                    messages.unknown_object(f"value of `{dim.name}`", value, sorted(known))
                )
        condition = src.col(dim.table, dim.column).isin(
            *[exp.Literal.string(v) for v in flt.values]
        )
        src.where.append(condition.not_() if flt.exclude else condition)


def _group_column(catalog: Catalog, ref: DimensionRef, src: _From, metric: Metric) -> exp.Expr:
    if ref.name == metric.time_column and ref.name not in catalog.dimensions:
        grain = ref.grain.value if ref.grain else "month"
        trunc = _truncated(src.col(metric.time_table or metric.table, metric.time_column), grain)
        return as_date(trunc).as_(f"{ref.name.removesuffix('_at')}_{grain}")
    dim = _dimension(catalog, ref.name)
    column = src.col(dim.table, dim.column)
    if dim.is_time:
        grain = ref.grain.value if ref.grain else "month"
        if grain not in dim.grains:
            raise CompileError(
                f"Dimension `{dim.name}` has no grain `{grain}`. Accepted: {', '.join(dim.grains)}."
            )
        trunc = _truncated(column, grain)
        return as_date(trunc).as_(f"{dim.name.removesuffix('_at')}_{grain}")
    return column.as_(dim.name)


def _truncated(column: exp.Expr, grain: str) -> exp.Expr:
    """The start of the grain a timestamp falls in (weeks start on Monday on every engine)."""
    return exp.TimestampTrunc(this=column, unit=exp.var(grain.upper()))


def _time_owner(catalog: Catalog, metric: Metric, column: str) -> str:
    """The table a time column belongs to, preferring the metric's own table, then the
    population's."""
    if metric.time_table and column == metric.time_column:
        return metric.time_table
    for name in (metric.table, catalog.population_table(), *catalog.tables):
        table = catalog.tables.get(name)
        if table is not None and table.column(column) is not None:
            return name
    accepted = sorted({m.time_column for m in catalog.metrics.values() if m.time_column}
                      | {d.column for d in catalog.dimensions.values() if d.is_time})
    raise CompileError(
        f"Time column `{column}` is not in any governed table. Accepted: {', '.join(accepted)}."
    )


def _period(plan: QueryPlan, catalog: Catalog, metric: Metric, src: _From, as_of: date) -> None:
    """The time condition: the plan's range, else the metric's default window, else <= as_of."""
    time_col = (
        plan.time_range.column
        if plan.time_range and plan.time_range.column
        else (metric.time_column)
    )
    if not time_col:  # a metric with no time column (a foreign model's measure): no period
        if plan.time_range or plan.compared:
            raise CompileError(f"Metric `{metric.name}` has no time column to limit a period on.")
        return
    owner = _time_owner(catalog, metric, time_col)
    timed = (metric.table, metric.time_table or metric.table, catalog.population_table())
    if plan.compared and owner not in timed:
        raise CompileError("Compared periods must be on the metric's own time column "
                           f"(`{metric.time_column}`), not `{time_col}`.")
    if owner in timed:
        column = src.col(owner, time_col)
        if plan.compared:
            src.where.append(exp.or_(*[time_filter(column, *_clip(r, as_of))
                                       for r in plan.compared]))
        elif plan.time_range:
            src.where.append(time_filter(column, *_clip(plan.time_range, as_of)))
        elif metric.default_window_days:
            src.where.append(as_date(column) > _days_before(as_of, metric.default_window_days))
            src.where.append(as_date(column) <= date_literal(as_of))
        else:
            src.where.append(time_filter(column, None, as_of))
    else:
        # the period is about another table ("users who ordered in Q2"): a semi-join on user_id
        assert plan.time_range is not None
        inner = (
            exp.select("user_id")
            .from_(owner)
            .where(time_filter(exp.column(time_col), *_clip(plan.time_range, as_of)))
        )
        for buyers in catalog.buyer_metrics():  # "who bought in H1": completed orders only
            if buyers.table == owner and buyers.filter:
                inner = inner.where(parse_fragment(buyers.filter, condition=True))
        src.where.append(exp.column("user_id", table=metric.table).isin(query=inner))
        if metric.time_column:
            timed_by = metric.time_table or metric.table
            src.where.append(time_filter(src.col(timed_by, metric.time_column), None, as_of))
    if plan.time_range and time_col != metric.time_column and metric.default_window_days:
        # "of the people who signed up in Q1, how many are active?": the period picks the
        # people; the metric still counts activity in its own governed window
        own = as_date(src.col(metric.table, metric.time_column))
        src.where.append(own > _days_before(as_of, metric.default_window_days))
        src.where.append(own <= date_literal(as_of))


def _days_before(as_of: date, days: int) -> exp.Expr:
    """`as_of - days` as a typed date literal, the same date on every engine."""
    return date_literal(as_of - timedelta(days=days))


def _period_column(plan: QueryPlan, catalog: Catalog, metric: Metric, src: _From,
                   as_of: date) -> exp.Expr:
    """One row per compared period, labelled by the period's first day."""
    time_col = (plan.time_range.column if plan.time_range and plan.time_range.column
                else metric.time_column)
    column = src.col(_time_owner(catalog, metric, time_col), time_col)
    case = exp.Case()
    for r in plan.compared:
        case = case.when(time_filter(column, *_clip(r, as_of)), date_literal(r.start))
    return case.as_("period_start")


def _share(
    plan: QueryPlan,
    catalog: Catalog,
    segment: Segment | None,
    as_of: date,
    overrides: Overrides,
) -> tuple[exp.Select, Ctes]:
    """ "What share of trial users are PQLs?": the part, the whole, and the fraction.

    A member of a family is a share of the users the family classifies: every tier of churn
    risk is of users with activity, every RFM segment of customers.

    The part is the segment (and member); without a segment it is the last filter ("what % of
    Q1 signups came from referrals?") and the other filters describe the whole. With
    `share_of_metric` the part is having the metric ("what % of enterprise users were active
    in the last 30 days?"). For sums such as revenue the part filters every aggregate.
    """
    metric = _metric(plan, catalog)
    if plan.share_of_total:
        return _total_share(plan, catalog, segment, as_of, overrides, metric)
    if metric.role not in ("population", "buyers") and not plan.share_of_metric:
        return _metric_share(plan, catalog, segment, as_of, overrides, metric)
    users_metric = _population(catalog)
    src = _From(users_metric.table, catalog)
    member, filters, ctes = _share_part(plan, catalog, segment, as_of, overrides, src, metric)
    plan = plan.model_copy(update={"filters": filters})
    groups = [_group_column(catalog, ref, src, users_metric) for ref in plan.group_by]
    _filters(plan, catalog, src)
    # what else the whole is (not) in, less what `share_of_segment` made the part
    _exclusions(plan.model_copy(update=_share_whole(plan)), catalog, src, as_of, overrides, ctes)
    if metric.table == users_metric.table or plan.share_of_metric:
        _period(
            plan.model_copy(update={"time_range": None}) if plan.share_of_metric else plan,
            catalog,
            users_metric,
            src,
            as_of,
        )
    else:  # "what % of our customers": the whole is the metric's users in its period
        src.where.append(
            _population_key(catalog).isin(query=_metric_users(plan, catalog, metric, as_of))
        )
    user = _population_key(catalog)
    members = exp.func("COUNT", exp.Distinct(expressions=[exp.Case().when(member, user.copy())]))
    everyone = exp.func("COUNT", exp.Distinct(expressions=[user.copy()]))
    select = src.apply(
        exp.select(
            *groups,
            members.as_("users"),
            everyone.as_("total_users"),
            _fraction(members, everyone).as_("share"),
        )
    )
    return _grouped(select, len(groups)), ctes


def _total_share(plan: QueryPlan, catalog: Catalog, segment: Segment | None, as_of: date,
                 overrides: Overrides, metric: Metric) -> tuple[exp.Select, Ctes]:
    """ "Every plan's share of Q3 orders": the metric per row and its fraction of the sum
    over every row. Only a sum or a count over groups of users adds up to the whole (a user
    has one plan, one country); an average, or a distinct count over periods, does not."""
    additive = isinstance(parse_fragment(metric.expr), exp.Sum | exp.Count)
    members = plan.intent == Intent.DISTRIBUTION and segment is not None and \
        segment.is_family and not plan.group_by and not plan.by_column and not (
            plan.segment and plan.segment.selected())  # every member a row: they sum to all
    if not additive or not (plan.group_by or members) or any(
            ref.grain or ref.name not in catalog.dimensions for ref in plan.group_by):
        raise CompileError(messages.share_not_additive(metric.label))
    select, ctes = _aggregate(plan.model_copy(update={"share": False, "share_of_total": False}),
                              catalog, segment, as_of, overrides)
    measure = select.expressions[-1].this
    over = exp.Window(this=exp.func("SUM", measure.copy()))
    return select.select(_fraction(measure, over).as_("share"), copy=False), ctes


def _share_part(
    plan: QueryPlan,
    catalog: Catalog,
    segment: Segment | None,
    as_of: date,
    overrides: Overrides,
    src: _From,
    metric: Metric,
) -> tuple[exp.Expr, tuple[Filter, ...], Ctes]:
    """The condition that makes a user part of the share, the remaining filters, the CTEs."""
    filters = plan.filters
    if plan.share_of_metric:
        member: exp.Expr = _population_key(catalog).isin(
            query=_metric_users(plan, catalog, metric, as_of)
        )
        return member, filters, []
    if segment is not None and plan.share_of_segment:
        return _part_of_segment(plan, catalog, segment, as_of, overrides, src)
    if segment is not None:
        ctes = segment_ctes(catalog, segment, as_of, overrides)
        # a member's share is of the users its family classifies ("high churn risk" of users
        # with a churn risk tier); a plain segment's is of everyone
        classified = segment.is_family and bool(plan.segment and plan.segment.selected())
        alias = src.join_segment(segment, left=not classified)
        member = exp.column("user_id", table=alias).is_(exp.null()).not_()
        selected = plan.segment.selected() if plan.segment else ()
        if selected:
            member = exp.and_(
                member,
                exp.column(segment.member_column, table=alias).isin(
                    *[exp.Literal.string(m) for m in selected]
                ),
            )
        return member, filters, ctes
    if plan.share_part() == "excluding":  # "the fraction of pro accounts outside the PQL list"
        ctes = []
        return _other_segment_part(plan, catalog, src, as_of, overrides, ctes)
    if filters:
        return _last_filter_part(filters, catalog, src), filters[:-1], []
    raise CompileError("A share needs a part: a segment or a dimension value.")


def _last_filter_part(filters: tuple[Filter, ...], catalog: Catalog, src: _From) -> exp.Expr:
    """A share whose part is its last filter ("... came from referrals"); the others and the
    rest of the plan describe the whole."""
    part = filters[-1]
    dim = _dimension(catalog, part.dimension)
    member = src.col(dim.table, dim.column).isin(*[exp.Literal.string(v) for v in part.values])
    return member.not_() if part.exclude else member


def _other_segment_part(plan: QueryPlan, catalog: Catalog, src: _From, as_of: date,
                        overrides: Overrides,
                        ctes: Ctes) -> tuple[exp.Expr, tuple[Filter, ...], Ctes]:
    """A share whose part is being in the also_in segment, or not being in the excluded one."""
    if plan.share_part() == "also_in":
        return _member_of(plan.also_in[0], catalog, src, as_of, overrides, ctes), plan.filters, ctes
    part = _member_of(plan.excluding[0], catalog, src, as_of, overrides, ctes).not_()
    return part, plan.filters, ctes


def _share_whole(plan: QueryPlan) -> dict[str, tuple[SegmentRef, ...]]:
    """The segments a share's whole is (not) in: all of them, less the one that is the part."""
    part = plan.share_part()
    return {part: ()} if part in ("also_in", "excluding") else {}


def _part_of_segment(plan: QueryPlan, catalog: Catalog, segment: Segment, as_of: date,
                     overrides: Overrides, src: _From) -> tuple[exp.Expr, tuple[Filter, ...], Ctes]:
    """ "Which fraction of loyal customers sit in the low tier?": the segment's members are
    the whole; the part is membership of the also_in segment, or else the last filter."""
    ctes = segment_ctes(catalog, segment, as_of, overrides)
    alias = src.join_segment(segment, left=False)
    selected = plan.segment.selected() if plan.segment else ()
    if selected:
        src.where.append(exp.column(segment.member_column, table=alias).isin(
            *[exp.Literal.string(m) for m in selected]))
    if plan.share_part() != "filter":  # "the fraction of PQLs outside loyal customers"
        return _other_segment_part(plan, catalog, src, as_of, overrides, ctes)
    if not plan.filters:
        raise CompileError("A share of a segment needs a part: another segment or a value.")
    return _last_filter_part(plan.filters, catalog, src), plan.filters[:-1], ctes


def _metric_users(plan: QueryPlan, catalog: Catalog, metric: Metric, as_of: date) -> exp.Select:
    """Users counted by a metric in the plan's period (or its default window, or ever)."""
    inner = _From(metric.table, catalog)
    if metric.filter:
        inner.where.append(parse_fragment(metric.filter, condition=True))
    _period(plan.model_copy(update={"filters": ()}), catalog, metric, inner, as_of)
    return inner.apply(exp.select(exp.column("user_id", table=metric.table)))


def _fraction(part: exp.Expr, whole: exp.Expr) -> exp.Expr:
    return exp.Div(
        this=exp.cast(part.copy(), exp.DataType.build(exp.DataType.Type.DOUBLE)),
        expression=exp.func("NULLIF", whole.copy(), exp.Literal.number(0)),
    )


def _metric_share(
    plan: QueryPlan,
    catalog: Catalog,
    segment: Segment | None,
    as_of: date,
    overrides: Overrides,
    metric: Metric,
) -> tuple[exp.Select, Ctes]:
    """ "What share of 2025 revenue came from US users?": the metric with every aggregate
    limited to the part, the metric itself, and the fraction."""
    src = _From(metric.table, catalog)
    member, filters, ctes = _share_part(plan, catalog, segment, as_of, overrides, src, metric)
    plan = plan.model_copy(update={"filters": filters})
    groups = [_group_column(catalog, ref, src, metric) for ref in plan.group_by]
    _filters(plan, catalog, src)
    if metric.filter:
        src.where.append(parse_fragment(metric.filter, condition=True))
    _period(plan, catalog, metric, src, as_of)
    whole = parse_fragment(metric.expr)
    part = whole.copy().transform(
        lambda node: (
            exp.Filter(this=node.copy(), expression=exp.Where(this=member.copy()))
            if isinstance(node, exp.AggFunc)
            else node
        )
    )
    select = src.apply(
        exp.select(
            *groups,
            part.as_(metric.name),
            whole.as_(f"total_{metric.name}"),
            _fraction(part, whole).as_("share"),
        )
    )
    return _grouped(select, len(groups)), ctes


def _aggregate(
    plan: QueryPlan,
    catalog: Catalog,
    segment: Segment | None,
    as_of: date,
    overrides: Overrides,
) -> tuple[exp.Select, Ctes]:
    """count / metric / breakdown / distribution: a metric grouped by dimensions or members."""
    metric = _metric(plan, catalog) if plan.measure is None else _population(catalog)
    src = _From(metric.table, catalog)
    ctes = segment_ctes(catalog, segment, as_of, overrides) if segment else []
    groups: list[exp.Expr] = []
    if segment and plan.versus_rest:
        groups.append(_versus_rest(plan, catalog, segment, src, as_of, overrides, ctes))
    elif segment:
        alias = src.join_segment(segment)
        selected = plan.segment.selected() if plan.segment else ()
        if selected:
            src.where.append(
                exp.column(segment.member_column, table=alias).isin(
                    *[exp.Literal.string(m) for m in selected]
                )
            )
        if plan.by_column is not None:  # "accounts at each engagement score": the values
            if plan.by_column not in segment.columns:
                raise CompileError(messages.unknown_object(
                    f"column of `{segment.name}`", plan.by_column, list(segment.columns)))
            groups.append(exp.column(plan.by_column, table=alias).as_(plan.by_column))
        elif plan.intent == Intent.DISTRIBUTION:
            groups.append(exp.column(segment.member_column, table=alias).as_(segment.member_column))
        if plan.by_segment is not None:
            groups.append(_by_segment(plan, catalog, segment, src, as_of, overrides, ctes))
    elif plan.by_column is not None:
        raise CompileError("A breakdown by a segment's column needs that segment.")
    groups.extend(_group_column(catalog, ref, src, metric) for ref in plan.group_by)
    if plan.intent == Intent.LIST:  # people ranked by the metric: one row per person
        key = _population_key(catalog)
        groups.insert(0, src.col(str(key.table), key.name).as_(key.name))
    _exclusions(plan, catalog, src, as_of, overrides, ctes)
    if plan.compared:
        groups.insert(0, _period_column(plan, catalog, metric, src, as_of))
    _filters(plan, catalog, src)
    if metric.filter:
        src.where.append(parse_fragment(metric.filter, condition=True))
    _period(_people_period(plan, catalog), catalog, metric, src, as_of)
    name, measure = _measure(plan, metric, segment)
    select = exp.select(*groups, measure.as_(name))
    select = _rows_counted(src.apply(select), dict(ctes), catalog)
    by_measure = (
        exp.Ordered(this=exp.column(name), desc=plan.order == "desc") if plan.order else None
    )
    return _grouped(select, len(groups), by_measure), ctes


def _averaged(plan: QueryPlan, catalog: Catalog, segment: Segment | None, as_of: date,
              overrides: Overrides) -> tuple[exp.Select, Ctes]:
    """ "Average monthly revenue in 2025": the metric in each month of the period (the
    breakdown by month, as its own subquery), averaged over the months that have a figure, as
    an analyst's AVG over a GROUP BY does (a period without rows is a gap, not a zero)."""
    grain, period = plan.averaged_over, plan.time_range
    if grain is None or period is None or period.open_start or plan.compared or \
            plan.intent not in (Intent.COUNT, Intent.METRIC, Intent.BREAKDOWN) or plan.measure:
        raise CompileError(messages.AVERAGE_NEEDS_PERIOD)
    metric = _metric(plan, catalog)
    each = DimensionRef(name=period.column or metric.time_column or "", grain=grain)
    inner, ctes = _aggregate(plan.model_copy(update={
        "averaged_over": None, "intent": Intent.BREAKDOWN, "group_by": (*plan.group_by, each),
        "limit": None, "order": None}), catalog, segment, as_of, overrides)
    inner.set("order", None)
    names = [e.alias_or_name for e in inner.expressions]
    keys = [exp.column(n, table="per_period") for n in names[:len(plan.group_by)]]
    value = exp.column(names[-1], table="per_period")
    select = exp.select(*keys, exp.Avg(this=value).as_(f"average_{grain.adjective}_{metric.name}"))
    select = select.from_(inner.subquery("per_period", copy=False), copy=False)
    return _grouped(select, len(keys)), ctes


def _rows_counted(select: exp.Select, ctes: dict[str, exp.Expr], catalog: Catalog) -> exp.Select:
    """`COUNT(DISTINCT users.user_id)` is `COUNT(*)` when every row is a different user
    (compiler/keys.py): the same count without de-duplicating every key."""
    measure = select.expressions[-1].this
    distinct = measure.this if isinstance(measure, exp.Count) else None
    if (isinstance(distinct, exp.Distinct) and len(distinct.expressions) == 1
            and counts_rows_once(select, distinct.expressions[0], ctes, catalog)):
        measure.replace(exp.Count(this=exp.Star()))
    return select


def _versus_rest(plan: QueryPlan, catalog: Catalog, segment: Segment, src: _From, as_of: date,
                 overrides: Overrides, ctes: Ctes) -> exp.Expr:
    """Whose row each person is in: the segment's (its selected members') or everyone else's.
    Everyone else is everyone a family classifies ("champions vs the rest": other customers),
    or, beside a segment without members ("PQLs against everybody else"), all the people
    the metric counts: a semi-join on the segment's CTE, as `also_in` is."""
    selected = plan.segment.selected() if plan.segment else ()
    if segment.is_family and not selected:
        raise CompileError(VERSUS_REST_SHAPE)
    labels = [m.label for m in segment.members if m.name in selected] or [segment.label]
    if segment.is_family:
        member = exp.column(segment.member_column, table=src.join_segment(segment))
        inside: exp.Expr = member.isin(*[exp.Literal.string(m) for m in selected])
    else:  # its CTEs are the plan's own already
        inside = _member_of(SegmentRef(name=segment.name), catalog, src, as_of, overrides, ctes)
    group = exp.Case(ifs=[exp.If(this=inside, true=exp.Literal.string(" or ".join(labels)))],
                     default=exp.Literal.string("everyone else"))
    return group.as_("versus")


def _by_segment(plan: QueryPlan, catalog: Catalog, segment: Segment, src: _From, as_of: date,
                overrides: Overrides, ctes: Ctes) -> exp.Expr:
    """Each person's member of a second family ("stages by churn tier"): that family's CTE
    joined on the user, so only people both families classify are counted."""
    other = catalog.segments.get(plan.by_segment or "")
    if other is None:
        raise CompileError(messages.unknown_object("segment", plan.by_segment or "",
                                                   sorted(catalog.segments)))
    if plan.by_column or not (
            segment.is_family and other.is_family and other.name != segment.name
            and segment.entity == other.entity == "user"):
        raise CompileError(BY_SEGMENT_SHAPE)
    _add_ctes(ctes, catalog, other, as_of, overrides)
    src.joins.append((other.name, "by_seg"))
    name = other.member_column if other.member_column != segment.member_column else \
        f"{other.name}_{other.member_column}"
    return exp.column(other.member_column, table="by_seg").as_(name)


def _ranks_people(plan: QueryPlan, catalog: Catalog) -> bool:
    """ "Top 3 PQLs by order count": people, each with the metric, ranked by it."""
    if plan.metric is None or plan.order is None or plan.limit is None:
        return False
    metric = _metric(plan, catalog)
    if metric.role == "population" or plan.measure is not None or plan.group_by or \
            plan.share or plan.compared or plan.to_members:
        raise CompileError("People ranked by a metric are one row each: with a limit and an "
                           "order, without a breakdown, a share or compared periods.")
    return True


def _members_only(plan: QueryPlan, catalog: Catalog, segment: Segment,
                  row_filter: RowFilter | None) -> bool:
    """Whether the question only counts a segment's members ("how many champions?", "churn
    risk tiers"): nothing about the users themselves is filtered, grouped or restricted.

    Members are users (every governed table's `user_id` references `users`, and activity comes
    after signup), so joining the whole users table only to count them again cost 1.2-1.8x
    the hand-written count at 1M users.
    """
    metric = _metric(plan, catalog)
    restricted = row_filter is not None and row_filter(exp.column("user_id")) is not None
    return (
        plan.intent in (Intent.COUNT, Intent.DISTRIBUTION)
        and metric.role == "population" and not metric.filter
        and segment.entity == "user" and not segment.is_cluster
        and plan.measure is None and not restricted
        and not (plan.filters or plan.group_by or plan.excluding or plan.also_in or plan.any_of
                 or plan.time_range
                 or plan.without_metric or plan.by_column or plan.by_segment or plan.versus_rest
                 or plan.compared or plan.share or plan.order)
    )


def _members_count(plan: QueryPlan, catalog: Catalog, segment: Segment, *,
                   once: bool) -> exp.Select:
    """Members counted straight from the segment's CTE, by member if asked: `COUNT(*)` when
    the CTE provably holds each user `once` (compiler/keys.py), else COUNT(DISTINCT)."""
    member = exp.column(segment.member_column, table="seg")
    user = exp.column("user_id", table="seg")
    groups = [member.as_(segment.member_column)] if plan.intent == Intent.DISTRIBUTION else []
    name = _metric(plan, catalog).name
    count = exp.func("COUNT", exp.Star() if once else exp.Distinct(expressions=[user]))
    select = exp.select(*groups, count.as_(name)).from_(exp.to_table(segment.name).as_("seg"))
    selected = plan.segment.selected() if plan.segment else ()
    if selected:
        select = select.where(member.copy().isin(*[exp.Literal.string(m) for m in selected]))
    return _grouped(select, len(groups))


def _grouped(select: exp.Select, n: int, order: exp.Expr | None = None) -> exp.Select:
    """Group by the first `n` output columns; order by them unless another order is given."""
    if not n:
        return select
    select = select.group_by(*[exp.Literal.number(i + 1) for i in range(n)], copy=False)
    if order is not None:
        return select.order_by(order, copy=False)
    return select.order_by(*[exp.Literal.number(i + 1) for i in range(n)], copy=False)


def _listing(
    plan: QueryPlan,
    catalog: Catalog,
    segment: Segment | None,
    as_of: date,
    overrides: Overrides,
) -> tuple[exp.Select, Ctes]:
    """Which users: ids plus their governed attributes, never restricted columns."""
    people = _population(catalog)
    src = _From(people.table, catalog)
    ctes = segment_ctes(catalog, segment, as_of, overrides) if segment else []
    columns: list[exp.Expr] = [_population_key(catalog)]
    if people.time_column:
        columns.append(as_date(exp.column(people.time_column, table=people.table))
                       .as_("signup_date"))
    columns += [
        exp.column(d.column, table=people.table).as_(d.name)
        for d in catalog.dimensions.values()
        if d.table == people.table and not d.is_time
    ]
    if segment:
        alias = src.join_segment(segment)
        columns += [
            exp.column(c, table=alias).as_(c) for c in segment.columns if c not in {"signup_date"}
        ]
        if segment.is_family:
            columns.append(
                exp.column(segment.member_column, table=alias).as_(segment.member_column)
            )
            if plan.segment and plan.segment.selected():
                src.where.append(
                    exp.column(segment.member_column, table=alias).isin(
                        *[exp.Literal.string(m) for m in plan.segment.selected()]
                    )
                )
    _filters(plan, catalog, src)
    _exclusions(plan, catalog, src, as_of, overrides, ctes)
    _period(_people_period(plan, catalog), catalog, people, src, as_of)
    select = src.apply(exp.select(*columns)).order_by(_population_key(catalog))
    return select, ctes


def _retention(
    plan: QueryPlan,
    catalog: Catalog,
    segment: Segment,
    as_of: date,
    overrides: Overrides,
) -> tuple[exp.Select, Ctes]:
    ctes = segment_ctes(catalog, segment, as_of, overrides)
    if plan.filters:
        ctes = _cohorts_narrowed(plan, catalog, segment, ctes)
    select = exp.select(*[exp.column(c) for c in segment.columns]).from_(segment.name)
    if plan.time_range:
        start, end = _clip(plan.time_range, as_of)
        month = exp.column("cohort_month")
        select = select.where(
            month <= date_literal(end) if start is None
            else month.between(date_literal(start.replace(day=1)), date_literal(end))
        )
    if plan.month_number is not None:
        select = select.where(exp.column("month_number").eq(number_literal(plan.month_number)))
    if plan.order and segment.rank_by:  # "the best cohort at month 1": ranked by the rate
        select = select.order_by(
            exp.Ordered(this=exp.column(segment.rank_by), desc=plan.order == "desc"))
    select = select.order_by(exp.column("cohort_month"), exp.column("month_number"))
    return select, ctes


def _cohorts_narrowed(plan: QueryPlan, catalog: Catalog, segment: Segment, ctes: Ctes) -> Ctes:
    """ "Month-2 retention of the Feb cohort, paid search only": the segment's first stage
    that picks people from the population table keeps only those the filters describe, so
    cohort sizes and retained users are both of them."""
    base = catalog.population_table()
    narrowing = []
    for flt in plan.filters:
        dim = _dimension(catalog, flt.dimension)
        if dim.table != base:
            raise CompileError(f"A cohort can be narrowed by the {base} table's own columns; "
                               f"`{dim.name}` is on `{dim.table}`.")
        narrowing.append((dim, flt))
    people = people_described(catalog, narrowing)
    own = f"{segment.name}__"
    for i, (name, tree) in enumerate(ctes):
        source = next((t for t in tree.find_all(exp.Table) if t.name == base), None)
        if name.startswith(own) and isinstance(tree, exp.Select) and source is not None and \
                "user_id" in tree.named_selects:
            column = exp.column("user_id", table=source.alias_or_name)
            ctes[i] = (name, tree.where(column.isin(query=people)))
            return ctes
    raise CompileError(f"`{segment.name}` picks no people from `{base}` to narrow.")


def _measure(plan: QueryPlan, metric: Metric, segment: Segment | None) -> tuple[str, exp.Expr]:
    """The governed metric's expression, or an aggregate of a column the segment declares."""
    if plan.measure is None:
        return metric.name, parse_fragment(metric.expr)
    column = plan.measure.column
    if segment is None or column not in segment.columns:
        accepted = ", ".join(segment.columns) if segment else "(no segment named)"
        raise CompileError(f"`{column}` is not a column of the segment; accepted: {accepted}.")
    aggregate = exp.func(plan.measure.aggregate.upper(), exp.column(column, table="seg"))
    return f"{plan.measure.aggregate}_{column}", aggregate


def _definitions_used(
    plan: QueryPlan,
    catalog: Catalog,
    segment: Segment | None,
    overrides: Overrides,
) -> list[DefinitionUsed]:
    used: list[DefinitionUsed] = []
    by = (SegmentRef(name=plan.by_segment),) if plan.by_segment else ()
    for ref in (*plan.excluding, *plan.also_in, *plan.any_of, *by):  # the other segments named
        other = catalog.segments.get(ref.name)
        if other is not None and other is not segment:
            used.append(DefinitionUsed(other.name, "segment", other.version, other.hash,
                                       other.source, other.owner, other.label, ref.member,
                                       dict(overrides.get(other.name, {})), fit_summary(other)))
    if segment:
        for seg in reversed(segment_closure(catalog, segment)):
            used.append(
                DefinitionUsed(
                    seg.name,
                    "segment",
                    seg.version,
                    seg.hash,
                    seg.source,
                    seg.owner,
                    seg.label,
                    (",".join(plan.segment.selected()) or None)
                    if seg is segment and plan.segment
                    else None,
                    dict(overrides.get(seg.name, {})),
                    fit_summary(seg),
                )
            )
    if (
        plan.intent not in (Intent.RETENTION, Intent.HISTORY, Intent.MOVEMENT, Intent.LIST)
        or plan.intent == Intent.LIST and plan.metric is not None and plan.order is not None
        and plan.limit is not None
    ) and plan.measure is None:
        metric = _metric(plan, catalog)
        used.append(
            DefinitionUsed(
                metric.name,
                "metric",
                metric.version,
                metric.hash,
                metric.source,
                metric.owner,
                metric.label,
            )
        )
    return used
