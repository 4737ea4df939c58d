"""Row-level access: the principal's row filter injected into the question's outer SELECT.

Governed segment CTEs are computed over every user, as the definitions say (a percentile or a
cohort means the same for everyone); the filter then limits which users the answer is about,
on the `user_id` of the outer query's base table. A statement whose rows are not users
(cohort tables, month-end history) cannot be limited that way, so it is refused: fail closed.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from assistant import messages
from assistant.catalog.models import Catalog
from assistant.errors import Refusal

RowFilter = Callable[[exp.Expr], exp.Expr | None]  # user_id column -> condition (or None)


def base_user_id(select: exp.Select, catalog: Catalog) -> exp.Column | None:
    """`<alias>.user_id` of the outer query's base table, when it is a governed table with one."""
    from_ = select.args.get("from_")
    source = from_.this if isinstance(from_, exp.From) else None
    if not isinstance(source, exp.Table) or source.name not in catalog.tables:
        return None
    if catalog.tables[source.name].column("user_id") is None:
        return None
    return exp.column("user_id", table=source.alias_or_name)


def restrict_rows(select: exp.Select, catalog: Catalog, row_filter: RowFilter) -> exp.Select:
    """`select` with the row filter ANDed into its WHERE; a Refusal where it cannot apply."""
    probe = row_filter(exp.column("user_id"))
    if probe is None:
        return select
    user_id = base_user_id(select, catalog)
    if user_id is None:
        raise Refusal(messages.ACCESS_ROWS_WHOLE, "access: rows", final=True, denied=True)
    condition = row_filter(user_id)
    assert condition is not None
    return select.where(condition)
