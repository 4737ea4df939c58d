"""Whether a compiled CTE has at most one row per `user_id`, read from its tree alone.

A count of a segment's members is `COUNT(*)` when the segment's CTE provably holds each user
once, and `COUNT(DISTINCT user_id)` otherwise; the DISTINCT aggregate was ~10% of a 1M-user
count. The proof is structural and conservative (anything else answers "no"):

* `GROUP BY user_id` (one key, projected as `user_id`), or `SELECT DISTINCT user_id`;
* otherwise no aggregate and no GROUP BY/DISTINCT, a FROM that is a governed table whose
  primary key is `user_id` or a CTE proven the same way, and joins (inner or left) only to
  such sources on `x.user_id = y.user_id`. Window functions and WHERE keep rows unique.

The same proof lets a question's `COUNT(DISTINCT t.pk)` count rows (`counts_rows_once`): when
`t` is the FROM table and `pk` its declared primary key (trusted unique, as for member
counts above), and every join meets at most one row, each `pk` is on one row only.
"""

from __future__ import annotations

from sqlglot import exp

from assistant.catalog.models import Catalog


def one_row_per_user(name: str, ctes: dict[str, exp.Expr], catalog: Catalog) -> bool:
    body = ctes.get(name)
    if not isinstance(body, exp.Select):
        return False
    user_id = _projected_user_id(body)
    if user_id is None:
        return False
    groups = body.args.get("group")
    if groups is not None:
        keys = groups.expressions
        return len(keys) == 1 and isinstance(keys[0], exp.Column) and keys[0] == user_id
    if body.args.get("distinct") is not None:
        return len(body.expressions) == 1
    if any(isinstance(node, exp.AggFunc) and not isinstance(node.parent, exp.Window)
           for node in body.find_all(exp.AggFunc)):
        return False
    from_ = body.args.get("from_")
    if not isinstance(from_, exp.From) or not _unique_source(from_.this, ctes, catalog):
        return False
    joins = body.args.get("joins") or []
    if user_id.table not in ("", from_.this.alias_or_name) or joins and not user_id.table:
        return False  # a left-joined side's user_id may be NULL on many rows
    seen = {from_.this.alias_or_name}
    for join in joins:
        if not _unique_join(join, seen, ctes, catalog):
            return False
        seen.add(join.this.alias_or_name)
    return True


def _projected_user_id(body: exp.Select) -> exp.Column | None:
    for projection in body.expressions:
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        if projection.alias_or_name == "user_id" and isinstance(inner, exp.Column):
            return inner if inner.name == "user_id" else None
    return None


def _unique_source(source: exp.Expr, ctes: dict[str, exp.Expr], catalog: Catalog) -> bool:
    if not isinstance(source, exp.Table) or source.args.get("db"):
        return False
    if source.name in ctes:
        return one_row_per_user(source.name, ctes, catalog)
    table = catalog.tables.get(source.name)
    return table is not None and table.primary_key == "user_id"


def _unique_join(join: exp.Join, seen: set[str], ctes: dict[str, exp.Expr],
                 catalog: Catalog) -> bool:
    """A join to a unique source on its user_id = the user_id of a source joined before."""
    if join.side not in ("", "LEFT") or join.kind not in ("", "INNER", "OUTER"):
        return False
    on, alias = join.args.get("on"), join.this.alias_or_name
    if not isinstance(on, exp.EQ):
        return False
    sides = (on.this, on.expression)
    if not all(isinstance(side, exp.Column) and side.name == "user_id" for side in sides):
        return False
    tables = {side.table for side in sides}
    return (alias in tables and len(tables) == 2 and (tables - {alias}) <= seen
            and _unique_source(join.this, ctes, catalog))


def counts_rows_once(select: exp.Select, counted: exp.Expr, ctes: dict[str, exp.Expr],
                     catalog: Catalog) -> bool:
    """Whether `counted` (a column) names one row of `select`'s FROM/JOIN per value: it is
    the FROM table's primary key, and each join is on the whole key of a source unique on
    it (a table whose key a relationship declares unique, a CTE's proven one row per user),
    so none repeats a row. WHERE, GROUP BY and semi-joins in WHERE only drop or group rows."""
    from_ = select.args.get("from_")
    if not isinstance(counted, exp.Column) or not isinstance(from_, exp.From):
        return False
    base = from_.this
    table = catalog.tables.get(base.name) if isinstance(base, exp.Table) else None
    if (table is None or base.args.get("db") or base.name in ctes
            or counted.table != base.alias_or_name or table.primary_key != counted.name):
        return False
    seen = {base.alias_or_name}
    for join in select.args.get("joins") or []:
        if not _joins_one_row(join, seen, ctes, catalog):
            return False
        seen.add(join.this.alias_or_name)
    return True


def _joins_one_row(join: exp.Join, seen: set[str], ctes: dict[str, exp.Expr],
                   catalog: Catalog) -> bool:
    """An inner or left join on `alias.key = earlier.column`, `alias` unique on `key`."""
    if join.side not in ("", "LEFT") or join.kind not in ("", "INNER", "OUTER"):
        return False
    source, on = join.this, join.args.get("on")
    alias = source.alias_or_name
    if not isinstance(source, exp.Table) or source.args.get("db") or not isinstance(on, exp.EQ):
        return False
    sides = [on.this, on.expression]
    if not all(isinstance(side, exp.Column) for side in sides):
        return False
    mine = [side for side in sides if side.table == alias]
    other = [side for side in sides if side.table in seen and side.table != alias]
    if len(mine) != 1 or len(other) != 1:
        return False
    key = mine[0].name
    if source.name in ctes:
        return key == "user_id" and one_row_per_user(source.name, ctes, catalog)
    return any(r.to_table == source.name and r.unique_key and r.type == "many_to_one"
               and [b for _, b in r.keys] == [key] for r in catalog.relationships)
