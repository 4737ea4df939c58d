"""QueryPlan + Catalog -> one sqlglot SELECT, built with builders, in staged CTEs.

Each governed segment compiles to CTEs `<segment>__<stage>` (its YAML stages, in order)
and a final CTE `<segment>` with `user_id`, the segment's columns and its member column.
The question-specific part (filters, grouping, the metric) is a SELECT over those CTEs and
the warehouse tables. User text only ever enters as literals; identifiers all come from
the catalog.
"""

from assistant.compiler.question import Compiled, compile_plan
from assistant.compiler.segments import resolve_overrides, segment_ctes
from assistant.compiler.snapshots import month_ends
from assistant.compiler.sql import DIALECT, date_literal, parse_fragment

__all__ = [
    "DIALECT",
    "Compiled",
    "compile_plan",
    "date_literal",
    "month_ends",
    "parse_fragment",
    "resolve_overrides",
    "segment_ctes",
]
