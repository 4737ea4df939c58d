"""Small sqlglot builders shared by every compiler module; user text only enters as literals."""

from __future__ import annotations

import logging
import pickle
from datetime import date

import sqlglot
from sqlglot import exp

DIALECT = "duckdb"


def date_literal(value: date) -> exp.Expr:
    # a type built from its enum, not parsed from "DATE" at every call
    return exp.cast(exp.Literal.string(value.isoformat()),
                    exp.DataType.build(exp.DataType.Type.DATE))


def number_literal(value: float | int) -> exp.Expr:
    return exp.Literal.number(value)


# Parsed governed SQL by (text, condition): each fragment is parsed once per process (or
# never, when the compiled catalog cache primes it) and every caller gets its own copy.
_PARSED: dict[tuple[str, bool], exp.Expr] = {}
_PARSED_MAX = 4_096


def parse_fragment(sql: str, *, condition: bool = False) -> exp.Expr:
    """Parse governed SQL written by the data team in YAML (never user text)."""
    tree = _PARSED.get((sql, condition))
    if tree is None and _primed():
        tree = _PARSED.get((sql, condition))
    if tree is None:
        tree = sqlglot.parse_one(sql, read=DIALECT, into=exp.Condition if condition else None)
        for node in tree.walk():  # token positions in YAML text: never read, costly to copy
            node._meta = None
        if len(_PARSED) < _PARSED_MAX:
            _PARSED[(sql, condition)] = tree
    return tree.copy()


def parsed_fragments() -> dict[tuple[str, bool], exp.Expr]:
    """The fragments parsed so far (for the compiled catalog cache)."""
    return dict(_PARSED)


def _primed() -> bool:
    """Fragments the compiled catalog cache read, primed now that one is needed; whether
    there were any."""
    from assistant.catalog.cache import pending_fragments

    blobs = pending_fragments()
    for blob in blobs:
        try:
            prime_fragments(pickle.loads(blob))
        except Exception as exc:  # a damaged blob: those fragments are parsed instead
            logging.getLogger("segq.catalog").info("cached SQL fragments unreadable: %r", exc)
    return bool(blobs)


def prime_fragments(trees: dict[tuple[str, bool], exp.Expr]) -> None:
    """Fragments parsed by an earlier process, as stored in the compiled catalog cache."""
    for key, tree in trees.items():
        if len(_PARSED) < _PARSED_MAX:
            _PARSED.setdefault(key, tree)


# -- parameters -----------------------------------------------------------------------------


def as_date(column: exp.Expr) -> exp.Expr:
    return exp.cast(column, exp.DataType.build(exp.DataType.Type.DATE))


def time_filter(column: exp.Expr, start: date | None, end: date) -> exp.Expr:
    if start is None:
        return as_date(column) <= date_literal(end)
    return as_date(column).between(date_literal(start), date_literal(end))
