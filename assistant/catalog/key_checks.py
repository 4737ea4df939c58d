"""`segq validate` against the data: do the declared relationships' keys hold?

The one side of a `many_to_one` (both sides of a `one_to_one`) should have one row per key.
Where the warehouse has several, a literal join would multiply every figure (Cortex's
`region_dim` has one row per state of a region). segq joins such a table through its distinct
(key, attribute) rows, so this is a warning; it is an error when the relationship says
`unique_key: true` (then the table itself is joined), and for a dimension that has several
values per key (a distinct row per value would still repeat a metric row).
"""

from __future__ import annotations

from sqlglot import exp

from assistant.catalog.models import Catalog, Relationship
from assistant.errors import Issue, SegqError
from assistant.warehouses import Adapter


def _one_sides(rel: Relationship) -> list[tuple[str, tuple[str, ...]]]:
    sides = {"many_to_one": [(rel.to_table, tuple(b for _, b in rel.keys))],
             "one_to_many": [(rel.from_table, tuple(a for a, _ in rel.keys))]}
    both = [(rel.to_table, tuple(b for _, b in rel.keys)),
            (rel.from_table, tuple(a for a, _ in rel.keys))]
    return sides.get(rel.type, both)


def _most_per_key(warehouse: Adapter, table: str, keys: tuple[str, ...],
                  value: str | None = None) -> int:
    """The most rows (or distinct `value`s) any one key has in `table`."""
    counted = (exp.func("COUNT", exp.Distinct(expressions=[exp.column(value)])) if value
               else exp.func("COUNT", exp.Star()))
    inner = (exp.select(counted.as_("n")).from_(table)
             .group_by(*[exp.column(k) for k in keys]))
    outer = exp.select(exp.func("MAX", exp.column("n"))).from_(inner.subquery("per_key"))
    result = warehouse.execute(outer.sql(warehouse.dialect), row_cap=1)
    return int(result.rows[0][0] or 0) if result.rows else 0


def _key_issues(catalog: Catalog, warehouse: Adapter, rel: Relationship, table: str,
                keys: tuple[str, ...]) -> list[Issue]:
    most = _most_per_key(warehouse, table, keys)
    if most <= 1:
        return []
    shown = ", ".join(keys)
    issues = [Issue(
        "error" if rel.unique_key else "warning",
        f"Relationship `{rel.name}` is declared {rel.type} but `{table}` has up to {most} rows "
        f"per `{shown}` in the warehouse: a literal join would multiply every figure by up to "
        f"{most}. " + ("It says `unique_key: true`, so segq joins the table itself: fix the "
                       "data or drop `unique_key`." if rel.unique_key else
                       "segq joins its distinct (key, attribute) rows instead."),
        rel.source, "fan-out")]
    for dim in catalog.dimensions.values():
        if dim.table == table and dim.column not in keys and not rel.unique_key:
            values = _most_per_key(warehouse, table, keys, dim.column)
            if values > 1:
                issues.append(Issue(
                    "error", f"Dimension `{dim.name}` has up to {values} values per `{shown}` "
                    f"in `{table}`, so relationship `{rel.name}` would count a row once per "
                    "value. Make the key unique or declare the dimension on another table.",
                    dim.source, "fan-out"))
    return issues


def relationship_key_issues(catalog: Catalog, warehouse: Adapter) -> list[Issue]:
    issues: list[Issue] = []
    live = warehouse.schema()
    for rel in catalog.relationships:
        for table, keys in _one_sides(rel):
            if table not in live or any(k not in live[table] for k in keys):
                continue  # schema drift is reported by schema_matches
            try:
                issues += _key_issues(catalog, warehouse, rel, table, keys)
            except SegqError as exc:
                issues.append(Issue("error", f"Relationship `{rel.name}`'s keys could not be "
                                    f"checked on the warehouse: {exc.message}", rel.source,
                                    "fan-out"))
    return issues
