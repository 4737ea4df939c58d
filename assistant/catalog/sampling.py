"""Values of a dimension that its model does not list, read from the warehouse.

A Cube or dbt model names its dimensions (`city`, `status`, `catastrophe_name`) but rarely
their values, so "orders from Seattle users" had nothing for "Seattle" to be. When a public
categorical dimension declares no values, its distinct values are read once from the
governed table (a few dozen at most, short text only) and become the dimension's values, as if
the data team had listed them; a column with more values than that stays unlisted, and the
question's words for them stay not understood. Native models list their values, so nothing is
read for them.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import TYPE_CHECKING, Protocol

from assistant.catalog.models import Catalog, Dimension, DimensionValue

if TYPE_CHECKING:
    from assistant.executor import Result

log = logging.getLogger(__name__)

MAX_VALUES = 50  # more distinct values than this is an identifier or free text, not a list
MAX_LENGTH = 40
MIN_LENGTH = 2  # "Y", "N" would be read wherever a single letter stands
# A value read from the data that is a calendar unit ("Year", "Month" of an amount-type code)
# would take "our three strongest years" for a filter on it: the words stay the calendar's
# unless the data team lists the value.
CALENDAR_UNITS = frozenset({"day", "days", "week", "weeks", "month", "months", "quarter",
                            "quarters", "year", "years"})


class Reader(Protocol):
    dialect: str

    def execute(self, sql: str, *, row_cap: int | None = None,
                timeout_s: float | None = None) -> Result: ...


def unlisted(catalog: Catalog) -> list[Dimension]:
    """Public categorical dimensions of a governed table that declare no values."""
    return [d for d in catalog.dimensions.values()
            if not d.is_time and not d.values and d.access == "public"
            and d.table in catalog.tables and re.fullmatch(r"\w+", d.column)]


def with_sampled_values(catalog: Catalog, warehouse: Reader) -> Catalog:
    """`catalog` with the distinct values of each unlisted dimension, where they are few."""
    dimensions = dict(catalog.dimensions)
    for dim in unlisted(catalog):
        values = _distinct(dim, warehouse)
        if values:
            dimensions[dim.name] = dataclasses.replace(
                dim, values=tuple(DimensionValue(v, v, ()) for v in values
                                  if v.strip().lower() not in CALENDAR_UNITS))
    if dimensions == catalog.dimensions:
        return catalog
    return dataclasses.replace(catalog, dimensions=dimensions)


def _distinct(dim: Dimension, warehouse: Reader) -> list[str]:
    from sqlglot import exp  # only when a model lists no values: a native one never does

    column = exp.column(dim.column, table=dim.table)
    sql = (exp.select(column.copy()).distinct().from_(exp.to_table(dim.table))
           .where(exp.Not(this=exp.Is(this=column.copy(), expression=exp.Null())))
           .limit(MAX_VALUES + 1).sql(warehouse.dialect))
    try:
        rows = warehouse.execute(sql, row_cap=MAX_VALUES + 1, timeout_s=5.0).rows
    except Exception as exc:  # a missing table or column: the dimension stays unlisted
        log.info("no values read for dimension %s: %s", dim.name, exc)
        return []
    values = [r[0] for r in rows]
    if len(values) > MAX_VALUES or not all(isinstance(v, str) for v in values):
        return []
    if not all(MIN_LENGTH <= len(v.strip()) <= MAX_LENGTH for v in values):
        return []
    return sorted(values)
