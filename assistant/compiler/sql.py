"""Small sqlglot builders shared by every compiler module; user text only enters as literals."""

from __future__ import annotations

from datetime import date

import sqlglot
from sqlglot import exp

DIALECT = "duckdb"


def date_literal(value: date) -> exp.Expr:
    return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))


def number_literal(value: float | int) -> exp.Expr:
    return exp.Literal.number(value)


def parse_fragment(sql: str, *, condition: bool = False) -> exp.Expr:
    """Parse governed SQL written by the data team in YAML (never user text)."""
    return sqlglot.parse_one(sql, read=DIALECT, into=exp.Condition if condition else None)


# -- parameters -----------------------------------------------------------------------------


def as_date(column: exp.Expr) -> exp.Expr:
    return exp.cast(column, exp.DataType.build("DATE"))


def time_filter(column: exp.Expr, start: date | None, end: date) -> exp.Expr:
    if start is None:
        return as_date(column) <= date_literal(end)
    return as_date(column).between(date_literal(start), date_literal(end))
