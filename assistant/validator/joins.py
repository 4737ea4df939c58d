"""The validator's join rule: a statement may join tables only as the catalog declares.

Each JOIN outside the governed CTEs (which are checked whole against their compilation) must
be an equality on the key columns of one declared relationship between the two tables it
joins, in either direction, or the `user_id` join of a governed CTE (a segment's rows are
users), or exactly a join of the statement the validator compiled itself from the plan
(MetricFlow joins dbt entities through its own subqueries). A join on other columns, a cross
join, a comma join or a USING join is refused, so a number never comes from a guessed join.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from assistant.errors import Issue
from assistant.validator.runner import SqlContext


def _inside_governed(node: exp.Expr, ctx: SqlContext) -> bool:
    cte = node.find_ancestor(exp.CTE)
    while cte is not None:
        if cte.alias_or_name in ctx.expected_ctes:
            return True
        cte = cte.find_ancestor(exp.CTE)
    return False


def _source_table(source: exp.Expr, ctes: set[str]) -> tuple[str, str]:
    """(kind, name) of a FROM/JOIN source: a governed table, a CTE, or something else."""
    if isinstance(source, exp.Table):
        return ("cte" if source.name in ctes else "table"), source.name
    if isinstance(source, exp.Subquery) and isinstance(source.this, exp.Select):
        inner = source.this
        from_ = inner.args.get("from_")
        if isinstance(from_, exp.From) and isinstance(from_.this, exp.Table) and not inner.args.get(
                "joins"):
            return _source_table(from_.this, ctes)
    return "other", source.sql("duckdb")[:60]


def _sources(select: exp.Select, ctes: set[str]) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    from_ = select.args.get("from_")
    nodes = [from_.this] if isinstance(from_, exp.From) else []
    nodes += [j.this for j in select.args.get("joins") or []]
    for node in nodes:
        out[node.alias_or_name] = _source_table(node, ctes)
    return out


def _pairs(on: exp.Expr) -> list[tuple[exp.Column, exp.Column]] | None:
    """The column pairs of an equality conjunction; None when it is anything else."""
    parts = list(on.flatten()) if isinstance(on, exp.And) else [on]
    pairs = []
    for part in parts:
        if not (isinstance(part, exp.EQ) and isinstance(part.this, exp.Column)
                and isinstance(part.expression, exp.Column)):
            return None
        pairs.append((part.this, part.expression))
    return pairs


def _declared(ctx: SqlContext, keys: set[tuple[str, str, str, str]]) -> bool:
    """Whether `keys` ((table, column, table, column) equalities) are one relationship's."""
    written = {frozenset({(t1, c1), (t2, c2)}) for t1, c1, t2, c2 in keys}
    return any(
        written == {frozenset({(rel.from_table, a), (rel.to_table, b)}) for a, b in rel.keys}
        for rel in ctx.catalog.relationships
    )


def _join_issue(join: exp.Join, sources: dict[str, tuple[str, str]],
                ctx: SqlContext) -> str | None:
    right = join.this.alias_or_name
    on = join.args.get("on")
    if on is None or join.args.get("using"):
        return f"The join of `{right}` has no ON condition on declared keys."
    pairs = _pairs(on)
    if not pairs or any(not a.table or not b.table for a, b in pairs):
        return (f"The join of `{right}` is not an equality of qualified key columns; only "
                "declared relationships may join tables.")
    kinds = {sources.get(c.table, ("other", c.table))[0] for pair in pairs for c in pair}
    if "other" in kinds or not all(right in (a.table, b.table) for a, b in pairs):
        return f"The join of `{right}` reads a source that is not a governed table or CTE."
    if "cte" in kinds:
        if all(a.name == "user_id" and b.name == "user_id" for a, b in pairs):
            return None
        return f"A governed definition may only be joined on `user_id`; `{right}` is not."
    keys = {(sources[a.table][1], a.name, sources[b.table][1], b.name) for a, b in pairs}
    if _declared(ctx, keys):
        return None
    shown = " AND ".join(f"{t1}.{c1} = {t2}.{c2}" for t1, c1, t2, c2 in sorted(keys))
    return (f"The join `{shown}` is not a declared relationship of the semantic model; only "
            "declared relationships may join tables.")


def governed_joins_only(tree: exp.Expr, ctx: SqlContext) -> Iterator[Issue]:
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for select in tree.find_all(exp.Select):
        joins = select.args.get("joins") or []
        if not joins or _inside_governed(select, ctx):
            continue
        sources = _sources(select, ctes)
        for join in joins:
            if join.sql(ctx.dialect) in ctx.governed_joins:
                continue  # exactly a join of the statement compiled here from the plan
            issue = _join_issue(join, sources, ctx)
            if issue:
                yield Issue("error", issue, rule="governed_joins_only")
