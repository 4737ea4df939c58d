"""Join paths through declared relationships, never through a guessed key.

A question's metric lives on one table (the base); its dimensions and filters may live on
others. `join_path` finds the shortest chain of declared relationships from the base to the
table a column is on, walking each relationship either way. A hop walked from the one side to
the many side would repeat every base row once per match and multiply the metric (fan-out), so
such a path is refused with the relationship that fans out; no path at all is refused naming
the two tables. Each hop is joined to its table itself when the key is known unique, else to
that table's distinct (key, attribute) rows, so duplicate keys in the data cannot multiply a
metric either.
"""

from __future__ import annotations

from collections import deque

from sqlglot import exp

from assistant import messages
from assistant.catalog.models import Catalog, Relationship
from assistant.errors import Refusal


def _edges(catalog: Catalog, *, fanning: bool) -> dict[str, list[Relationship]]:
    """Table -> relationships walked from it; with `fanning`, hops that fan out too."""
    out: dict[str, list[Relationship]] = {}
    for rel in catalog.relationships:
        for hop in (rel, rel.reversed()):
            if fanning or not hop.fans_out:
                out.setdefault(hop.from_table, []).append(hop)
    return out


def _shortest(edges: dict[str, list[Relationship]], start: str,
              goal: str) -> list[Relationship] | None:
    previous: dict[str, Relationship | None] = {start: None}
    todo = deque([start])
    while todo:
        table = todo.popleft()
        if table == goal:
            path: list[Relationship] = []
            while (hop := previous[table]) is not None:
                path.append(hop)
                table = hop.from_table
            return path[::-1]
        for hop in edges.get(table, []):
            if hop.to_table not in previous:
                previous[hop.to_table] = hop
                todo.append(hop.to_table)
    return None


def join_path(catalog: Catalog, base: str, table: str) -> list[Relationship]:
    """The hops from `base` to `table`; a Refusal naming what is missing when none is safe."""
    path = _shortest(_edges(catalog, fanning=False), base, table)
    if path is not None:
        return path
    fanning = _shortest(_edges(catalog, fanning=True), base, table)
    if fanning is not None:
        hop = next(h for h in fanning if h.fans_out)
        raise Refusal(messages.join_fans_out(base, table, hop.name, hop.from_table,
                                             hop.to_table, hop.source), "join: fan-out")
    raise Refusal(messages.join_missing(base, table), "join: not declared")


def join_condition(hop: Relationship, from_alias: str, to_alias: str) -> exp.Expr:
    """`to.k = from.k AND ...` over the hop's declared key pairs."""
    pairs = [exp.column(b, table=to_alias).eq(exp.column(a, table=from_alias))
             for a, b in hop.keys]
    return exp.and_(*pairs) if len(pairs) > 1 else pairs[0]


def join_source(hop: Relationship, alias: str, columns: list[str]) -> exp.Expr:
    """The hop's table, or its distinct rows of `columns` when its key is not known unique."""
    if hop.unique_key:
        return exp.to_table(hop.to_table).as_(alias)
    inner = exp.select(*[exp.column(c) for c in columns]).from_(hop.to_table).distinct()
    return inner.subquery(alias)
