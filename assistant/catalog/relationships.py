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

from assistant.catalog.documents import RelationshipDoc
from assistant.catalog.models import Catalog, Relationship, Table
from assistant.errors import Issue
from assistant.messages import did_you_mean


def relationship(doc: RelationshipDoc) -> Relationship:
    """One item of `relationships:`, already validated (keys, type) as a document."""
    return Relationship(doc.name, doc.from_, doc.to, tuple((k.from_, k.to) for k in doc.keys),
                        doc.type, doc.at(), doc.unique_key)


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
