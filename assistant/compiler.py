"""QueryPlan + Catalog -> one sqlglot SELECT, built with builders, in staged CTEs.

Each governed segment compiles to CTEs `<segment>__<stage>` (its YAML stages, in order)
and a final CTE `<segment>` with `user_id`, the segment's columns and its member column.
The question-specific part (filters, grouping, the metric) is a SELECT over those CTEs and
the warehouse tables. User text only ever enters as literals; identifiers all come from
the catalog.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

import sqlglot
from sqlglot import exp

from assistant import messages
from assistant.answer import DefinitionUsed
from assistant.catalog.models import Catalog, Dimension, Metric, Segment
from assistant.errors import CompileError
from assistant.plan import Intent, QueryPlan, TimeRange

DIALECT = "duckdb"


@dataclass(frozen=True)
class Compiled:
    """The compiled statement plus what the validator and the answer need to know."""

    expression: exp.Select
    governed_ctes: dict[str, exp.Expr]
    definitions: list[DefinitionUsed]
    overrides: dict[str, dict[str, float | int]] = field(default_factory=dict)

    def sql(self, dialect: str = DIALECT, pretty: bool = True) -> str:
        return self.expression.sql(dialect=dialect, pretty=pretty)


def date_literal(value: date) -> exp.Expr:
    return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))


def _number(value: float | int) -> exp.Expr:
    return exp.Literal.number(value)


def parse_fragment(sql: str, *, condition: bool = False) -> exp.Expr:
    """Parse governed SQL written by the data team in YAML (never user text)."""
    return sqlglot.parse_one(sql, read=DIALECT, into=exp.Condition if condition else None)


# -- parameters -----------------------------------------------------------------------------


def resolve_overrides(
    plan: QueryPlan, catalog: Catalog, segment: Segment | None
) -> dict[str, dict[str, float | int]]:
    """Assign each override to the segment declaring it and check its bounds."""
    scope = _segment_closure(catalog, segment) if segment else []
    resolved: dict[str, dict[str, float | int]] = {}
    for override in plan.overrides:
        owners = [s for s in scope if s.parameter(override.parameter)]
        if override.segment:
            owners = [s for s in owners if s.name == override.segment]
        if not owners:
            accepted = sorted({p.name for s in scope for p in s.parameters})
            target = override.segment or (segment.name if segment else "this question")
            raise CompileError(messages.unknown_parameter(override.parameter, target, accepted))
        owner = owners[0]
        param = owner.parameter(override.parameter)
        assert param is not None
        if not param.min <= override.value <= param.max:
            raise CompileError(messages.override_out_of_bounds(
                param.name, override.value, owner.name, param.min, param.max))
        if param.is_integer and not float(override.value).is_integer():
            raise CompileError(f"Override `{param.name}`={override.value:g} for `{owner.name}` "
                               "must be a whole number.")
        resolved.setdefault(owner.name, {})[param.name] = param.coerce(override.value)
    return resolved


def _segment_closure(catalog: Catalog, segment: Segment) -> list[Segment]:
    """The segment and everything it requires, dependencies first."""
    ordered: list[Segment] = []

    def visit(seg: Segment) -> None:
        for ref in seg.requires:
            visit(catalog.segments[ref])
        if seg not in ordered:
            ordered.append(seg)

    visit(segment)
    return ordered


# -- governed segments ------------------------------------------------------------------------


def segment_ctes(
    catalog: Catalog,
    segment: Segment,
    as_of: date,
    overrides: dict[str, dict[str, float | int]] | None = None,
    suffix: str = "",
) -> list[tuple[str, exp.Expr]]:
    """Every CTE of `segment` and the segments it requires, in dependency order."""
    overrides = overrides or {}
    ctes: list[tuple[str, exp.Expr]] = []
    for seg in _segment_closure(catalog, segment):
        ctes.extend(_own_ctes(catalog, seg, as_of, overrides.get(seg.name, {}), suffix))
    return ctes


def _own_ctes(
    catalog: Catalog, seg: Segment, as_of: date, overrides: dict[str, float | int], suffix: str
) -> list[tuple[str, exp.Expr]]:
    values: dict[str, exp.Expr] = {"as_of": date_literal(as_of)}
    for param in seg.parameters:
        values[param.name] = _number(param.coerce(overrides.get(param.name, param.default)))
    if seg.fitted:
        values["weighted_score"] = _weighted_score(seg)
    renames = {stage.name: f"{seg.name}__{stage.name}{suffix}" for stage in seg.stages}
    renames.update({ref: f"{ref}{suffix}" for ref in seg.requires})

    def prepare(sql: str, condition: bool = False) -> exp.Expr:
        tree = parse_fragment(sql, condition=condition)
        tree = exp.replace_placeholders(tree, **values)
        for table in tree.find_all(exp.Table):
            if table.name in renames and not table.db:
                alias = table.alias or table.name
                table.set("this", exp.to_identifier(renames[table.name]))
                table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        return tree

    ctes = [(renames[stage.name], prepare(stage.sql)) for stage in seg.stages]
    last = exp.to_table(renames[seg.stages[-1].name])
    if seg.entity == "cohort":
        final = exp.select(*[exp.column(c) for c in seg.columns]).from_(last)
    else:
        final = exp.select(exp.column("user_id"), *[exp.column(c) for c in seg.columns])
        final = final.from_(last)
        if seg.members:
            final = final.select(_member_case(seg, prepare).as_(seg.member_column))
        if seg.where:
            final = final.where(prepare(seg.where, condition=True))
    ctes.append((f"{seg.name}{suffix}", final))
    return ctes


def _member_case(seg: Segment, prepare) -> exp.Expr:
    case = exp.Case()
    for member in seg.members:
        if member.match:
            cond: exp.Expr = exp.and_(*[
                exp.column(col).between(_number(lo), _number(hi)) for col, lo, hi in member.match
            ])
        elif member.when.upper() == "TRUE" or not member.match and not member.when:
            return case.else_(exp.Literal.string(member.name))
        else:
            cond = prepare(member.when, condition=True)
        case = case.when(cond, exp.Literal.string(member.name))
    return case


def _weighted_score(seg: Segment) -> exp.Expr:
    weights = seg.fitted.get("weights") or {}
    terms = [
        exp.Mul(this=exp.column(name), expression=_number(round(float(w), 6)))
        for name, w in sorted(weights.items())
    ]
    if not terms:
        return _number(0)
    total: exp.Expr = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return exp.paren(total) if len(terms) > 1 else total


# -- the question ------------------------------------------------------------------------------


def compile_plan(plan: QueryPlan, catalog: Catalog, as_of: date, *, row_cap: int) -> Compiled:
    """Compile a data question; definition and catalog intents have no SQL."""
    if plan.intent in (Intent.DEFINITION, Intent.CATALOG):
        raise CompileError(f"A `{plan.intent}` question has no SQL to compile.")
    segment = _segment(plan, catalog)
    overrides = resolve_overrides(plan, catalog, segment)
    limit = min(plan.limit or row_cap, row_cap) + 1  # one extra row reveals truncation
    if plan.intent == Intent.RETENTION:
        select, ctes = _retention(plan, catalog, segment, as_of, overrides)
    elif plan.intent == Intent.HISTORY:
        select, ctes = _history(plan, catalog, segment, as_of, overrides)
    elif plan.intent == Intent.MOVEMENT:
        select, ctes = _movement(plan, catalog, segment, as_of, overrides)
    elif plan.intent == Intent.LIST:
        select, ctes = _listing(plan, catalog, segment, as_of, overrides)
    else:
        select, ctes = _aggregate(plan, catalog, segment, as_of, overrides)
    for name, body in ctes:
        select = select.with_(name, as_=body.copy())
    select = select.limit(limit)
    definitions = _definitions_used(plan, catalog, segment, overrides)
    return Compiled(select, dict(ctes), definitions, overrides)


def _segment(plan: QueryPlan, catalog: Catalog) -> Segment | None:
    if plan.segment is None:
        if plan.intent in (Intent.RETENTION, Intent.HISTORY, Intent.DISTRIBUTION,
                           Intent.MOVEMENT):
            raise CompileError(f"A `{plan.intent}` question needs a segment.")
        return None
    segment = catalog.segments.get(plan.segment.name)
    if segment is None:
        raise CompileError(messages.unknown_object("segment", plan.segment.name,
                                                   list(catalog.segments)))
    for member in plan.segment.selected():
        if not segment.member(member):
            raise CompileError(messages.unknown_member(
                segment.name, member, [m.name for m in segment.members]))
    if segment.entity == "cohort" and plan.intent != Intent.RETENTION:
        raise CompileError(f"Segment `{segment.name}` is a cohort table; ask for retention.")
    if plan.intent == Intent.RETENTION and segment.entity != "cohort":
        raise CompileError(f"Segment `{segment.name}` has no cohort retention.")
    if plan.intent == Intent.DISTRIBUTION and not segment.is_family:
        raise CompileError(f"Segment `{segment.name}` has no members to distribute over.")
    for member in plan.to_members:
        if not segment.member(member):
            raise CompileError(messages.unknown_member(
                segment.name, member, [m.name for m in segment.members]))
    if plan.intent in (Intent.HISTORY, Intent.MOVEMENT) and not segment.history:
        raise CompileError(f"Segment `{segment.name}` is not tracked month by month.")
    return segment


def _metric(plan: QueryPlan, catalog: Catalog) -> Metric:
    name = plan.metric.name if plan.metric else "users"
    metric = catalog.metrics.get(name)
    if metric is None:
        raise CompileError(messages.unknown_object("metric", name, list(catalog.metrics)))
    return metric


def _dimension(catalog: Catalog, name: str) -> Dimension:
    dim = catalog.dimensions.get(name)
    if dim is None:
        raise CompileError(messages.unknown_object("dimension", name, list(catalog.dimensions)))
    return dim


def _as_date(column: exp.Expr) -> exp.Expr:
    return exp.cast(column, exp.DataType.build("DATE"))


def _clip(time_range: TimeRange, as_of: date) -> tuple[date, date]:
    return time_range.start, min(time_range.end, as_of)


class _From:
    """Builds the FROM/JOIN/WHERE of a question over a base table, joining only what's used."""

    def __init__(self, base: str, catalog: Catalog) -> None:
        self.base = base
        self.catalog = catalog
        self.joins: list[tuple[str, str]] = []  # (table, alias)
        self.where: list[exp.Expr] = []

    def col(self, table: str, column: str) -> exp.Column:
        if table != self.base and table not in [a for _, a in self.joins]:
            self.joins.append((table, table))
        return exp.column(column, table=table)

    def join_segment(self, segment: Segment) -> str:
        self.joins.append((segment.name, "seg"))
        return "seg"

    def apply(self, select: exp.Select) -> exp.Select:
        select = select.from_(exp.to_table(self.base).as_(self.base))
        for table, alias in self.joins:
            on = exp.column("user_id", table=alias).eq(exp.column("user_id", table=self.base))
            select = select.join(exp.to_table(table).as_(alias), on=on)
        for cond in self.where:
            select = select.where(cond)
        return select


def _filters(plan: QueryPlan, catalog: Catalog, src: _From) -> None:
    for flt in plan.filters:
        dim = _dimension(catalog, flt.dimension)
        known = {v.value for v in dim.values}
        for value in flt.values:
            if known and value not in known:
                raise CompileError(messages.unknown_object(
                    f"value of `{dim.name}`", value, sorted(known)))
        src.where.append(src.col(dim.table, dim.column).isin(
            *[exp.Literal.string(v) for v in flt.values]))


def _time_filter(column: exp.Expr, start: date | None, end: date) -> exp.Expr:
    if start is None:
        return _as_date(column) <= date_literal(end)
    return _as_date(column).between(date_literal(start), date_literal(end))


def _group_column(catalog: Catalog, ref, src: _From, metric: Metric) -> exp.Expr:
    if ref.name == metric.time_column and ref.name not in catalog.dimensions:
        grain = ref.grain.value if ref.grain else "month"
        trunc = exp.func("DATE_TRUNC", exp.Literal.string(grain),
                         src.col(metric.table, metric.time_column))
        return _as_date(trunc).as_(f"{ref.name.removesuffix('_at')}_{grain}")
    dim = _dimension(catalog, ref.name)
    column = src.col(dim.table, dim.column)
    if dim.is_time:
        grain = ref.grain.value if ref.grain else "month"
        if grain not in dim.grains:
            raise CompileError(f"Dimension `{dim.name}` has no grain `{grain}`. Accepted: "
                               f"{', '.join(dim.grains)}.")
        trunc = exp.func("DATE_TRUNC", exp.Literal.string(grain), column)
        return _as_date(trunc).as_(f"{dim.name.removesuffix('_at')}_{grain}")
    return column.as_(dim.name)


def _time_owner(catalog: Catalog, metric: Metric, column: str) -> str:
    """The table a time column belongs to, preferring the metric's own table, then users."""
    for name in (metric.table, "users", *catalog.tables):
        table = catalog.tables.get(name)
        if table is not None and table.column(column) is not None:
            return name
    raise CompileError(f"Time column `{column}` is not in any governed table. Accepted: "
                       "signup_at, ordered_at, event_at.")


def _aggregate(plan, catalog, segment, as_of, overrides):
    """count / metric / breakdown / distribution: a metric grouped by dimensions or members."""
    metric = _metric(plan, catalog)
    src = _From(metric.table, catalog)
    ctes = segment_ctes(catalog, segment, as_of, overrides) if segment else []
    groups: list[exp.Expr] = []
    if segment:
        alias = src.join_segment(segment)
        selected = plan.segment.selected() if plan.segment else ()
        if selected:
            src.where.append(exp.column(segment.member_column, table=alias).isin(
                *[exp.Literal.string(m) for m in selected]))
        if plan.intent == Intent.DISTRIBUTION:
            groups.append(exp.column(segment.member_column, table=alias).as_(
                segment.member_column))
    groups.extend(_group_column(catalog, ref, src, metric) for ref in plan.group_by)
    _filters(plan, catalog, src)
    if metric.filter:
        src.where.append(parse_fragment(metric.filter, condition=True))
    time_col = plan.time_range.column if plan.time_range and plan.time_range.column else (
        metric.time_column)
    owner = _time_owner(catalog, metric, time_col)
    if owner in (metric.table, "users"):
        column = src.col(owner, time_col)
        if plan.time_range:
            src.where.append(_time_filter(column, *_clip(plan.time_range, as_of)))
        elif metric.default_window_days:
            src.where.append(_as_date(column) > exp.Sub(
                this=date_literal(as_of), expression=_number(metric.default_window_days)))
            src.where.append(_as_date(column) <= date_literal(as_of))
        else:
            src.where.append(_time_filter(column, None, as_of))
    else:
        # the period is about another table ("users who ordered in Q2"): a semi-join on user_id
        assert plan.time_range is not None
        inner = exp.select("user_id").from_(owner).where(
            _time_filter(exp.column(time_col), *_clip(plan.time_range, as_of)))
        src.where.append(exp.column("user_id", table=metric.table).isin(query=inner))
        if metric.time_column:
            src.where.append(_time_filter(src.col(metric.table, metric.time_column), None, as_of))
    measure = parse_fragment(metric.expr).as_(metric.name)
    select = exp.select(*groups, measure)
    select = src.apply(select)
    if groups:
        positions = [exp.Literal.number(i + 1) for i in range(len(groups))]
        select = select.group_by(*positions)
        if plan.order:
            select = select.order_by(exp.Ordered(this=exp.column(metric.name),
                                                 desc=plan.order == "desc"))
        else:
            select = select.order_by(*positions)
    return select, ctes


def _listing(plan, catalog, segment, as_of, overrides):
    """Which users: ids plus their governed attributes, never restricted columns."""
    src = _From("users", catalog)
    ctes = segment_ctes(catalog, segment, as_of, overrides) if segment else []
    columns: list[exp.Expr] = [
        exp.column("user_id", table="users"),
        _as_date(exp.column("signup_at", table="users")).as_("signup_date"),
    ]
    columns += [exp.column(d.column, table="users").as_(d.name)
                for d in catalog.dimensions.values() if d.table == "users" and not d.is_time]
    if segment:
        alias = src.join_segment(segment)
        columns += [exp.column(c, table=alias).as_(c) for c in segment.columns
                    if c not in {"signup_date"}]
        if segment.is_family:
            columns.append(exp.column(segment.member_column, table=alias).as_(
                segment.member_column))
            if plan.segment and plan.segment.selected():
                src.where.append(exp.column(segment.member_column, table=alias).isin(
                    *[exp.Literal.string(m) for m in plan.segment.selected()]))
    _filters(plan, catalog, src)
    column = exp.column("signup_at", table="users")
    if plan.time_range and plan.time_range.column in (None, "signup_at"):
        src.where.append(_time_filter(column, *_clip(plan.time_range, as_of)))
    else:
        src.where.append(_time_filter(column, None, as_of))
    select = src.apply(exp.select(*columns)).order_by(exp.column("user_id", table="users"))
    return select, ctes


def _retention(plan, catalog, segment, as_of, overrides):
    ctes = segment_ctes(catalog, segment, as_of, overrides)
    select = exp.select(*[exp.column(c) for c in segment.columns]).from_(segment.name)
    if plan.time_range:
        start, end = _clip(plan.time_range, as_of)
        start = start.replace(day=1)
        select = select.where(exp.column("cohort_month").between(
            date_literal(start), date_literal(end)))
    if plan.month_number is not None:
        select = select.where(exp.column("month_number").eq(_number(plan.month_number)))
    select = select.order_by(exp.column("cohort_month"), exp.column("month_number"))
    return select, ctes


def month_ends(as_of: date, start: date | None = None) -> list[date]:
    """Month ends from `start` (default: January of the previous year) up to as_of."""
    start = start or date(as_of.year - 1, 1, 1)
    ends, year, month = [], start.year, start.month
    while (year, month) <= (as_of.year, as_of.month):
        end = date(year, month, calendar.monthrange(year, month)[1])
        ends.append(min(end, as_of))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ends


def _history(plan, catalog, segment, as_of, overrides):
    """Segment sizes at every month end: the governed definition computed once per snapshot."""
    start = plan.time_range.start if plan.time_range else None
    end = min(plan.time_range.end, as_of) if plan.time_range else as_of
    ctes: list[tuple[str, exp.Expr]] = []
    parts: list[exp.Select] = []
    selected = plan.segment.selected() if plan.segment else ()
    for snapshot in month_ends(end, start):
        suffix = f"__{snapshot:%Y_%m_%d}"
        ctes.extend(segment_ctes(catalog, segment, snapshot, overrides, suffix))
        part = exp.select(
            date_literal(snapshot).as_("month_end"),
            exp.column(segment.member_column).as_(segment.member_column),
            exp.func("COUNT", exp.Star()).as_("users"),
        ).from_(f"{segment.name}{suffix}").group_by(exp.Literal.number(1),
                                                     exp.Literal.number(2))
        if selected:
            part = part.where(exp.column(segment.member_column).isin(
                *[exp.Literal.string(m) for m in selected]))
        parts.append(part)
    union: exp.Expr = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    select = exp.select("month_end", segment.member_column, "users").from_(
        exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("snapshots"))))
    select = select.order_by(exp.column("month_end"), exp.column(segment.member_column))
    return select, ctes


def _movement(plan, catalog, segment, as_of, overrides):
    """Members at an earlier month end, and which member each of them is in now (as_of)."""
    if plan.time_range is None:
        raise CompileError("A movement question needs the earlier month end, e.g. "
                           "\"at the end of March\".")
    then = min(plan.time_range.end, as_of)
    suffix = f"__{then:%Y_%m_%d}"
    ctes = segment_ctes(catalog, segment, then, overrides, suffix)
    ctes += segment_ctes(catalog, segment, as_of, overrides)
    column = segment.member_column
    before = exp.column(column, table="then_")
    now = exp.column(column, table="now_")
    select = exp.select().from_(exp.to_table(f"{segment.name}{suffix}").as_("then_")).join(
        exp.to_table(segment.name).as_("now_"),
        on=exp.column("user_id", table="now_").eq(exp.column("user_id", table="then_")),
        join_type="left")
    selected = plan.segment.selected() if plan.segment else ()
    if selected:
        select = select.where(before.isin(*[exp.Literal.string(m) for m in selected]))
    if plan.to_members:
        select = select.where(now.isin(*[exp.Literal.string(m) for m in plan.to_members]))
        return select.select(exp.func("COUNT", exp.Star()).as_("users")), ctes
    groups = [date_literal(then).as_("month_end"), before.as_(f"{column}_then"),
              exp.func("COALESCE", now, exp.Literal.string("(none)")).as_(f"{column}_now")]
    select = select.select(*groups, exp.func("COUNT", exp.Star()).as_("users"))
    positions = [exp.Literal.number(i) for i in (1, 2, 3)]
    return select.group_by(*positions).order_by(*positions), ctes


def _definitions_used(plan, catalog, segment, overrides) -> list[DefinitionUsed]:
    used: list[DefinitionUsed] = []
    if segment:
        for seg in reversed(_segment_closure(catalog, segment)):
            used.append(DefinitionUsed(
                seg.name, "segment", seg.version, seg.hash, seg.source, seg.owner, seg.label,
                (",".join(plan.segment.selected()) or None) if seg is segment and plan.segment
                else None,
                dict(overrides.get(seg.name, {}))))
    if plan.intent not in (Intent.RETENTION, Intent.HISTORY, Intent.MOVEMENT, Intent.LIST):
        metric = _metric(plan, catalog)
        used.append(DefinitionUsed(metric.name, "metric", metric.version, metric.hash,
                                   metric.source, metric.owner, metric.label))
    return used
