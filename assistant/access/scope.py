"""What one principal may see, decided from the catalog's access policy alone.

- `scoped_catalog`: the catalog as the planner sees it: hidden segments, metrics and
  dimensions are gone, so no clarification, listing or synonym can offer or name them.
- `denials`: the governed objects a plan names that the principal may not use.
- `readable_restricted` / `unreadable_columns`: restricted (PII) columns, per principal.
- `row_condition`: the row filter of the principal's groups, bound to its attributes, as a
  sqlglot condition on a `user_id` column (attribute values enter only as literals).

Visibility: an object with policies is visible to the groups they list; an object without is
visible to everyone unless it is `access: restricted` (then to nobody). Several groups add up.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from assistant import messages
from assistant.access.filters import parse_filter
from assistant.access.models import AccessPolicy, Principal
from assistant.catalog.models import Catalog, Table
from assistant.errors import Refusal
from assistant.plan import QueryPlan

if TYPE_CHECKING:  # sqlglot is imported where a row condition is built, not to scope a plan
    from sqlglot import exp


def may_use(catalog: Catalog, principal: Principal, kind: str, name: str) -> bool:
    policy = catalog.access
    obj = _object(catalog, kind, name)
    if obj is None:
        return True  # not governed at all: the compiler says so in its own words
    if kind == "dimension" and (obj.table, obj.column) in unreadable_columns(catalog,
                                                                             principal):
        return False
    restricted = getattr(obj, "access", "public") == "restricted"
    if policy is None:
        return not restricted
    rules = policy.for_object(kind, name)
    if not rules and kind == "dimension" and restricted:
        # over a restricted column: visible to whoever may read the column (checked above)
        return (obj.table, obj.column) in catalog.restricted_columns()
    if not rules:
        return not restricted
    return any(set(p.groups) & set(principal.groups) for p in rules)


def _object(catalog: Catalog, kind: str, name: str) -> Any:
    objects: dict[str, dict[str, Any]] = {"segment": catalog.segments,
                                          "metric": catalog.metrics,
                                          "dimension": catalog.dimensions}
    return objects.get(kind, {}).get(name)


def unreadable_columns(catalog: Catalog, principal: Principal) -> set[tuple[str, str]]:
    """Restricted columns this principal may not read (all of them without a grant)."""
    restricted = catalog.restricted_columns()
    policy = catalog.access
    if policy is None:
        return restricted
    return {(t, c) for t, c in restricted
            if not any(set(p.groups) & set(principal.groups)
                       for p in policy.for_object("column", f"{t}.{c}"))}


_SCOPED: OrderedDict[tuple[int, tuple[str, ...]], tuple[Catalog, Catalog]] = OrderedDict()
_SCOPED_LOCK = threading.Lock()
SCOPED_KEPT = 64


def scoped_catalog(catalog: Catalog, principal: Principal) -> Catalog:
    """The catalog with everything hidden from `principal` removed (what the planner sees).

    One scoped view per (catalog snapshot, groups), kept, so planners that cache per catalog
    (the rules planner's spelling corrector) build once per view, not once per question.
    """
    key = (id(catalog), tuple(sorted(principal.groups)))
    with _SCOPED_LOCK:
        kept = _SCOPED.get(key)
        if kept is not None and kept[0] is catalog:
            _SCOPED.move_to_end(key)
            return kept[1]
    scoped = _scoped(catalog, principal)
    with _SCOPED_LOCK:
        _SCOPED[key] = (catalog, scoped)
        while len(_SCOPED) > SCOPED_KEPT:
            _SCOPED.popitem(last=False)
    return scoped


def _scoped(catalog: Catalog, principal: Principal) -> Catalog:
    if catalog.access is None and not any(
            s.access == "restricted" for s in catalog.segments.values()):
        return catalog
    segments = {n: s for n, s in catalog.segments.items()
                if may_use(catalog, principal, "segment", n)}
    segments = {n: s for n, s in segments.items() if all(r in segments for r in s.requires)}
    hidden = unreadable_columns(catalog, principal)
    granted = catalog.restricted_columns() - hidden
    if segments == catalog.segments and not granted and all(
            may_use(catalog, principal, k, n) for k, names in (
                ("metric", catalog.metrics), ("dimension", catalog.dimensions)) for n in names):
        return catalog  # nothing hidden: the planner keeps its caches for the full catalog

    def table(t: Table) -> Table:
        cols = tuple(dataclasses.replace(c, access="public") if (t.name, c.name) in granted
                     else c for c in t.columns)
        return dataclasses.replace(t, columns=cols)

    return dataclasses.replace(
        catalog, segments=segments,
        metrics={n: m for n, m in catalog.metrics.items()
                 if may_use(catalog, principal, "metric", n)},
        dimensions={n: d for n, d in catalog.dimensions.items()
                    if may_use(catalog, principal, "dimension", n)},
        tables={n: table(t) for n, t in catalog.tables.items()})


def plan_objects(plan: QueryPlan) -> list[tuple[str, str]]:
    """(kind, name) of every governed object a plan names."""
    named: list[tuple[str, str]] = []
    if plan.segment is not None:
        named.append(("segment", plan.segment.name))
    named += [("segment", r.name) for r in plan.excluding]
    if plan.metric is not None:
        named.append(("metric", plan.metric.name))
    named += [("dimension", d.name) for d in plan.group_by]
    named += [("dimension", f.dimension) for f in plan.filters]
    return named


def denials(plan: QueryPlan, catalog: Catalog, principal: Principal) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for kind, name in plan_objects(plan):
        if not may_use(catalog, principal, kind, name) and (kind, name) not in seen:
            seen.append((kind, name))
    return seen


def check_plan(plan: QueryPlan, catalog: Catalog, principal: Principal) -> None:
    """Raise a final, worded `denied` Refusal when the plan names what the principal may not use."""
    denied = denials(plan, catalog, principal)
    if denied:
        kind, name = denied[0]
        raise Refusal(access_denied_message(catalog, principal, kind, name),
                      f"access: {kind} {name}", final=True, denied=True)


def access_denied_message(catalog: Catalog, principal: Principal, kind: str, name: str) -> str:
    policy = catalog.access
    rules = policy.for_object(kind, name) if policy else []
    obj = _object(catalog, kind, name)
    if not rules and policy and kind == "dimension" and obj is not None:
        rules = policy.for_object("column", f"{obj.table}.{obj.column}")  # who may read it
    allowed = sorted({g for p in rules for g in p.groups})
    owner = getattr(obj, "owner", "")
    return messages.access_denied(kind, name, allowed, list(principal.groups),
                                  contact=(policy.contact if policy else "") or owner)


def row_condition(catalog: Catalog, principal: Principal,
                  user_id: exp.Expr) -> exp.Expr | None:
    """`user_id IN (SELECT user_id FROM t WHERE <filter>)` per filtered table, ANDed; None
    when no row policy limits this principal. A filter over an attribute the principal lacks
    is a denial (fail closed), and an attribute with no values matches no rows."""
    policy = catalog.access
    if policy is None:
        return None
    from sqlglot import exp

    conditions = []
    for table in sorted({p.target for p in policy.policies if p.kind == "rows"}):
        condition = _table_condition(policy, table, principal)
        if condition is None:
            continue
        inner = exp.select(exp.column("user_id", table=table)).from_(table).where(condition)
        conditions.append(user_id.copy().isin(query=inner))
    return exp.and_(*conditions) if conditions else None


def _table_condition(policy: AccessPolicy, table: str, principal: Principal) -> exp.Expr | None:
    from sqlglot import exp

    rules = [p for p in policy.policies if p.kind == "rows" and p.target == table]
    mine = [p for p in rules if set(p.groups) & set(principal.groups)]
    covered = {g for p in rules for g in p.groups}
    if any(g not in covered for g in principal.groups):
        return None  # a group of this principal sees every row of the table
    bound = [bind_filter(p.filter, table, principal) for p in mine]
    return exp.or_(*bound) if len(bound) > 1 else bound[0]


def bind_filter(text: str, table: str, principal: Principal) -> exp.Expr:
    """The policy filter with the principal's attribute values as literals, columns qualified."""
    from sqlglot import exp

    tree = parse_filter(text)

    def bind(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and node.name.startswith("__user_"):
            return _values(node.name, principal, single=True)
        if isinstance(node, exp.Column):
            return exp.column(node.name, table=table)
        if isinstance(node, exp.In) and len(node.expressions) == 1 and isinstance(
                node.expressions[0], exp.Column) and node.expressions[0].name.startswith(
                    "__user_"):
            values = _values(node.expressions[0].name, principal, single=False)
            if isinstance(values, exp.Boolean):
                return values
            return exp.In(this=exp.column(node.this.name, table=table),
                          expressions=list(values.expressions))
        return node

    return tree.transform(bind)


def _values(placeholder: str, principal: Principal, *, single: bool) -> exp.Expr:
    from sqlglot import exp

    name = placeholder.removeprefix("__user_").removesuffix("__")
    values = principal.attribute(name)
    if values is None:
        raise Refusal(messages.access_missing_attribute(name, list(principal.groups)),
                      f"access: attribute {name}", final=True, denied=True)
    if not values:
        return exp.false()
    if single:
        if len(values) != 1:
            return exp.false()
        return exp.Literal.string(values[0])
    return exp.Tuple(expressions=[exp.Literal.string(v) for v in values])
