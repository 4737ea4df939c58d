"""Declared joins between governed tables: the `relationships:` section and column `references`.

```yaml
relationships:
  - name: line_items_to_orders
    from: line_items
    to: orders
    keys: [{from: order_id, to: id}]
    type: many_to_one            # many_to_one | one_to_many | one_to_one
    unique_key: true             # optional: the `to` columns are unique in the data
```
A column `references: users.user_id` declares the same as a `many_to_one` relationship named
`<table>.<column>`, with `unique_key` when the referenced column is that table's primary key.
The compiler joins only through these; the validator accepts only these.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from assistant.catalog.models import RELATIONSHIP_TYPES, Catalog, Relationship, Table
from assistant.errors import Issue
from assistant.messages import did_you_mean

if TYPE_CHECKING:
    from assistant.catalog.builder import _Builder

KEY_KEYS = {"from", "to"}


def relationship(b: _Builder, node: Any) -> Relationship | None:
    """One item of `relationships:`, checked key by key; None when it cannot be used."""
    name = str(node.get("name", "?")) if isinstance(node, dict) else "?"
    if not b.check_keys(node, "relationship", name):
        return None
    kind = str(node["type"])
    if kind not in RELATIONSHIP_TYPES:
        b.error(node, f"Relationship `{name}` has type `{kind}`. Accepted: "
                f"{', '.join(RELATIONSHIP_TYPES)}.{did_you_mean(kind, RELATIONSHIP_TYPES)}",
                "bad-value", "type")
        return None
    keys = []
    for item in b.items(node, "keys", "key", f"relationship `{name}`"):
        unknown = sorted(str(k) for k in item if k not in KEY_KEYS)
        if unknown or not set(item) >= KEY_KEYS:
            b.error(item, f"A key of relationship `{name}` must be `{{from: <column of "
                    f"{node['from']}>, to: <column of {node['to']}>}}`; got keys "
                    f"{', '.join(str(k) for k in item)}.", "shape")
            continue
        keys.append((str(item["from"]), str(item["to"])))
    if not keys:
        b.error(node, f"Relationship `{name}` declares no `keys`. Add `keys: [{{from: ..., "
                "to: ...}]`.", "missing-key", "keys")
        return None
    unique = node.get("unique_key", False)
    if not isinstance(unique, bool):
        b.error(node, f"`unique_key` of relationship `{name}` must be true or false.", "type",
                "unique_key")
        unique = False
    return Relationship(name, str(node["from"]), str(node["to"]), tuple(keys), kind,
                        b.where(node), unique)


def from_references(tables: Iterable[Table]) -> list[Relationship]:
    """The many-to-one relationship each column `references: table.column` declares."""
    by_name = {t.name: t for t in tables}
    out = []
    for table in by_name.values():
        for column in table.columns:
            if not column.references or "." not in column.references:
                continue
            target, target_column = column.references.split(".", 1)
            referenced = by_name.get(target)
            unique = referenced is not None and referenced.primary_key == target_column
            out.append(Relationship(f"{table.name}.{column.name}", table.name, target,
                                    ((column.name, target_column),), "many_to_one",
                                    table.source, unique))
    return out


def relationships_resolve(catalog: Catalog) -> Iterator[Issue]:
    """Both tables of every relationship are governed and have the key columns."""
    for rel in catalog.relationships:
        for side, table_name, columns in (("from", rel.from_table, [a for a, _ in rel.keys]),
                                          ("to", rel.to_table, [b for _, b in rel.keys])):
            table = catalog.tables.get(table_name)
            if table is None:
                yield Issue("error", f"Relationship `{rel.name}` joins unknown table "
                            f"`{table_name}` (`{side}`). Accepted: "
                            f"{', '.join(sorted(catalog.tables))}."
                            f"{did_you_mean(table_name, catalog.tables)}", rel.source)
                continue
            names = [c.name for c in table.columns]
            for column in columns:
                if column not in names:
                    yield Issue("error", f"Relationship `{rel.name}` joins on unknown column "
                                f"`{table_name}.{column}`. Accepted: {', '.join(names)}."
                                f"{did_you_mean(column, names)}", rel.source)


def relationship_names_unique(catalog: Catalog) -> Iterator[Issue]:
    seen: dict[str, str] = {}
    for rel in catalog.relationships:
        if rel.name in seen:
            yield Issue("error", f"Relationship `{rel.name}` is declared again; it is already "
                        f"declared at {seen[rel.name]}.", rel.source, "duplicate-name")
        seen.setdefault(rel.name, rel.source)
