"""A governed segment -> its CTE chain: YAML stages in order, then one CTE named after it.

Placeholders (`:as_of`, parameters, fitted weights) become literals in the tree (`:as_of` may
instead be a date expression: the month-end column of a series, `compiler/series.py`), stage names
become `<segment>__<stage>`, and required segments are compiled first, so the lifecycle
stage `engaged` reads the very `engaged_users` definition.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from sqlglot import exp

from assistant import messages
from assistant.catalog.models import Catalog, Segment
from assistant.compiler.chains import kept_chain
from assistant.compiler.clusters import distances, nearest_member
from assistant.compiler.portable import portable
from assistant.compiler.sql import date_literal, number_literal, parse_fragment
from assistant.errors import CompileError
from assistant.plan import QueryPlan

Overrides = dict[str, dict[str, float | int]]  # segment -> parameter -> what-if value
Ctes = list[tuple[str, exp.Expr]]  # (name, body), in dependency order


def resolve_overrides(
    plan: QueryPlan, catalog: Catalog, segment: Segment | None
) -> Overrides:
    """Assign each override to the segment declaring it and check its bounds."""
    scope = segment_closure(catalog, segment) if segment else []
    resolved: Overrides = {}
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
            raise CompileError(
                messages.override_out_of_bounds(
                    param.name, override.value, owner.name, param.min, param.max
                )
            )
        if param.is_integer and not float(override.value).is_integer():
            raise CompileError(
                f"Override `{param.name}`={override.value:g} for `{owner.name}` "
                "must be a whole number."
            )
        resolved.setdefault(owner.name, {})[param.name] = param.coerce(override.value)
    return resolved


def segment_closure(catalog: Catalog, segment: Segment) -> list[Segment]:
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
    as_of: date | exp.Expr,
    overrides: Overrides | None = None,
    suffix: str = "",
) -> Ctes:
    """Every CTE of `segment` and the segments it requires, in dependency order: built once
    per (catalog snapshot, segment, as-of, overrides, suffix), a copy each call (`chains.py`)."""
    overrides = overrides or {}
    chain = kept_chain(catalog, segment, ("segment", as_of, overrides, suffix),
                       lambda: _segment_ctes(catalog, segment, as_of, overrides, suffix))
    assert chain is not None  # a one-date chain is always built (or raises)
    return chain


def _segment_ctes(catalog: Catalog, segment: Segment, as_of: date | exp.Expr,
                  overrides: Overrides, suffix: str) -> Ctes:
    ctes: Ctes = []
    for seg in segment_closure(catalog, segment):
        ctes.extend(_own_ctes(catalog, seg, as_of, overrides.get(seg.name, {}), suffix))
    return ctes


def stage_names(seg: Segment, suffix: str = "") -> dict[str, str]:
    """Each YAML stage of `seg` -> the name of its CTE."""
    return {stage.name: f"{seg.name}__{stage.name}{suffix}" for stage in seg.stages}


def stage_at(seg: Segment, stage: str, as_of: date, overrides: Overrides | None = None,
             suffix: str = "") -> exp.Expr:
    """One YAML stage of `seg` compiled as of `as_of`, as `segment_ctes` compiles it."""
    prepare = _preparer(seg, _values(seg, as_of, (overrides or {}).get(seg.name, {})), suffix)
    return prepare(next(s.sql for s in seg.stages if s.name == stage))


def _values(seg: Segment, as_of: date | exp.Expr,
            overrides: dict[str, float | int]) -> dict[str, exp.Expr]:
    """What each placeholder of `seg`'s SQL stands for."""
    values: dict[str, exp.Expr] = {
        "as_of": as_of if isinstance(as_of, exp.Expr) else date_literal(as_of)}
    for param in seg.parameters:
        values[param.name] = number_literal(param.coerce(overrides.get(param.name, param.default)))
    if seg.fitted and not seg.is_cluster:
        values["weighted_score"] = _weighted_score(seg)
    return values


def _preparer(seg: Segment, values: dict[str, exp.Expr], suffix: str) -> _Prepare:
    """Governed SQL of `seg` -> its tree: placeholders replaced, stages and required segments
    renamed to their CTEs (each keeping its name as its alias)."""
    renames = stage_names(seg, suffix)
    renames.update({ref: f"{ref}{suffix}" for ref in seg.requires})

    def prepare(sql: str, condition: bool = False) -> exp.Expr:
        tree = portable(_placeholders_replaced(parse_fragment(sql, condition=condition), values))
        for table in tree.find_all(exp.Table):
            if table.name in renames and not table.db:
                alias = table.alias or table.name
                table.set("this", exp.to_identifier(renames[table.name]))
                table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        return tree

    return prepare


def _own_ctes(
    catalog: Catalog, seg: Segment, as_of: date | exp.Expr, overrides: dict[str, float | int],
    suffix: str,
) -> Ctes:
    prepare = _preparer(seg, _values(seg, as_of, overrides), suffix)
    renames = stage_names(seg, suffix)
    ctes = [(renames[stage.name], prepare(stage.sql)) for stage in seg.stages]
    last_name = renames[seg.stages[-1].name]
    if seg.is_cluster and seg.members:  # raises a worded error when not fitted
        ctes.append((f"{seg.name}__distances{suffix}", distances(seg, last_name)))
        last_name = f"{seg.name}__distances{suffix}"
    last = exp.to_table(last_name)
    if seg.entity == "cohort":
        final = exp.select(*[exp.column(c) for c in seg.columns]).from_(last)
    else:
        final = exp.select(exp.column("user_id"), *[exp.column(c) for c in seg.columns])
        final = final.from_(last)
        if seg.members:
            final = final.select(_member_case(seg, prepare).as_(seg.member_column, copy=False),
                                 copy=False)
        if seg.where:  # trees built here are this call's own: extended in place
            final = final.where(prepare(seg.where, condition=True), copy=False)
    ctes.append((f"{seg.name}{suffix}", final))
    return ctes


# sqlglot's own rule (`exp.replace_placeholders`): a value that is an operator, put where an
# operand stands, is parenthesised, so `:weeks * 7` keeps its meaning for a value `-2`.
_OPERATORS = (exp.AtTimeZone, exp.Between, exp.Binary, exp.BitwiseNot, exp.In, exp.Neg, exp.Not)


def _placeholders_replaced(tree: exp.Expr, values: dict[str, exp.Expr]) -> exp.Expr:
    """`:name` placeholders -> their values, in place (`tree` is the caller's own copy;
    `exp.replace_placeholders` would copy the whole tree first), each value copied."""
    def put(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Placeholder) or not node.this or node.name not in values:
            return node
        value = values[node.name].copy()
        parent = node.parent
        operand = (node.arg_key == "this" if isinstance(parent, exp.Bracket | exp.In)
                   else isinstance(parent, _OPERATORS))
        if operand and isinstance(value, _OPERATORS) and not isinstance(value, exp.Dot):
            return exp.Paren(this=value)
        return value

    return tree.transform(put, copy=False)


class _Prepare(Protocol):
    """`_own_ctes`'s `prepare`: governed SQL -> a tree with placeholders and stages resolved."""

    def __call__(self, sql: str, condition: bool = False) -> exp.Expr: ...


def _member_case(seg: Segment, prepare: _Prepare) -> exp.Expr:
    if seg.is_cluster:
        return nearest_member(seg)
    case = exp.Case()
    for member in seg.members:
        if member.match:
            cond: exp.Expr = exp.and_(
                *[
                    exp.column(col).between(number_literal(lo), number_literal(hi))
                    for col, lo, hi in member.match
                ]
            )
        elif member.when.upper() == "TRUE" or not member.match and not member.when:
            return case.else_(exp.Literal.string(member.name), copy=False)
        else:
            cond = prepare(member.when, condition=True)
        case = case.when(cond, exp.Literal.string(member.name), copy=False)
    return case


def _weighted_score(seg: Segment) -> exp.Expr:
    weights = seg.fitted.get("weights") or {}
    terms = [
        exp.Mul(this=exp.column(name), expression=number_literal(round(float(w), 6)))
        for name, w in sorted(weights.items())
    ]
    if not terms:
        return number_literal(0)
    total: exp.Expr = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return exp.paren(total) if len(terms) > 1 else total
