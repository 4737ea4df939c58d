"""A policy's row filter as a tree: what answering a question needs of the `access:` section.

Kept apart from `parse.py` (which types the section as it loads, from the YAML loader's line
-aware nodes) so a question answered from the compiled catalog cache loads no YAML code.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp

PLACEHOLDER = re.compile(r"\{\{\s*user\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def placeholder_column(attribute: str) -> str:
    return f"__user_{attribute}__"


def parse_filter(text: str) -> exp.Expr:
    """The filter with each `{{ user.x }}` as a placeholder column, to be bound per principal."""
    import sqlglot  # only where a row filter applies: a result-cache hit never parses one
    from sqlglot import exp

    sql = PLACEHOLDER.sub(lambda m: f"({placeholder_column(m[1])})", text)
    tree = sqlglot.parse_one(sql, read="duckdb", into=exp.Condition)
    return tree
