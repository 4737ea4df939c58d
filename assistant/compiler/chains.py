"""Governed CTE chains compiled once per (catalog snapshot, segment, as-of, overrides) and kept.

A governed chain is a function of the loaded catalog and of what the plan says about the
segment: its as-of (a date, or the month-end column of a series), its parameter overrides, the
suffix of its names, and for a series its dates. Questions that differ in everything else (the
metric, the filters, the grouping, the limit) read the same chain, and a history of 18 month
ends is ~150 CTEs of placeholders, renames and portable date arithmetic to build. So each
chain is built once and kept; every caller gets its own copy, which it may change in place
(`series.lift` does) without touching the kept one.

A catalog is a loaded snapshot (`Catalog` compares by identity): a reload after any model file
changed is another object, so nothing kept for the old one is ever returned for it.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable

from sqlglot import exp

from assistant.catalog.models import Catalog, Segment

Ctes = list[tuple[str, exp.Expr]]  # (name, body), in dependency order

KEPT = 256
# key -> (the catalog and segment it was built from, the chain or None)
_CHAINS: OrderedDict[str, tuple[Catalog, Segment, Ctes | None]] = OrderedDict()
_LOCK = threading.Lock()


def kept_chain(catalog: Catalog, segment: Segment, parts: tuple[object, ...],
               build: Callable[[], Ctes | None]) -> Ctes | None:
    """A copy of the chain of `segment` for `parts` (plain values, trees by their SQL text),
    kept for this very catalog and segment object, built first when missing; None when
    `build` says the chain cannot be built."""
    key = json.dumps([id(catalog), id(segment), segment.name,
                      *[p.sql() if isinstance(p, exp.Expr) else p for p in parts]],
                     default=str, sort_keys=True)
    with _LOCK:
        kept = _CHAINS.get(key)
        if kept is not None and (kept[0] is not catalog or kept[1] is not segment):
            kept = None
        if kept is not None:
            _CHAINS.move_to_end(key)
    if kept is None:
        kept = (catalog, segment, build())
        with _LOCK:
            _CHAINS[key] = kept
            while len(_CHAINS) > KEPT:
                _CHAINS.popitem(last=False)
    chain = kept[2]
    return None if chain is None else [(name, body.copy()) for name, body in chain]


def forget_chains() -> None:
    """Drop every kept chain."""
    with _LOCK:
        _CHAINS.clear()
