"""Gold SQL is a statement like any other: validated, run locked down, and never shown raw PII.

An eval file is code from whoever wrote it, so before a gold query runs it must pass the
validator's rules that make a statement safe (one read-only SELECT, no writes anywhere, governed
tables only, no table functions or file access, no whole-row or alias tricks, allowlisted
functions, governed columns, no restricted column), and it runs on the product's read-only,
locked-down warehouse with its timeout and row cap.

Gold differs from an answer on purpose: it is written over the raw tables, so it needs no
LIMIT and no governed segment CTEs, may use `EXISTS`, and may draw rows from the pure row
generators `range`/`generate_series` (month grids), which read no data. A gold query that
reads a restricted column is an eval error unless the run allows it; then it runs, and every
value drawn from the restricted column is masked wherever a report shows rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sqlglot
from sqlglot import exp
from sqlglot.lineage import lineage
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope

from assistant import messages
from assistant.catalog.models import Catalog
from assistant.errors import ExecutionError, Issue
from assistant.executor import Result
from assistant.validator import SqlContext, check_sql
from assistant.validator.rules import (
    ALLOWED_ANONYMOUS,
    ALLOWED_FUNCTIONS,
    functions_off_allowlist,
    governed_columns_only,
    no_writes_anywhere,
    read_only_select,
    row_or_alias_tricks,
    tables_outside_governed,
)

RESTRICTED_RULE = "restricted-column"  # the rule name governed_columns_only gives PII issues
# Gold is hand-written by people who never see segq's SQL: besides segq's own functions it
# may build intervals from numbers (`to_months(n)`) and list literal dates (`ARRAY[...]`,
# `unnest`) -- pure functions that read no table.
GOLD_FUNCTIONS = frozenset({*ALLOWED_FUNCTIONS, "Exists", "Array", "Explode", "Unnest",
                            "ToDays"})
GOLD_ANONYMOUS = frozenset({*ALLOWED_ANONYMOUS, "to_months", "to_years", "to_weeks",
                            "to_days"})
_GENERATORS = (exp.GenerateSeries,)  # `range(...)` parses to GenerateSeries too


class GoldWarehouse(Protocol):
    """What gold needs from `assistant.executor.Warehouse` (a fake in tests may stand in)."""

    row_cap: int

    def execute(self, sql: str, *, row_cap: int | None = None) -> Result: ...

    def schema(self) -> dict[str, dict[str, str]]: ...


def _data_tables(tree: exp.Expr) -> list[exp.Table]:
    return [t for t in tree.find_all(exp.Table) if not isinstance(t.this, _GENERATORS)]


def gold_tables_only(tree: exp.Expr, ctx: SqlContext) -> Iterator[Issue]:
    """Governed tables and CTEs, or a row generator; any other table source is refused."""
    yield from tables_outside_governed(tree, ctx, _data_tables(tree))


def gold_no_row_or_alias_tricks(tree: exp.Expr, ctx: SqlContext) -> Iterator[Issue]:
    """Alias column lists are refused on data tables; `range(0, 24) AS t(n)` holds none."""
    yield from row_or_alias_tricks(tree, _data_tables(tree))


def gold_functions_only(tree: exp.Expr, ctx: SqlContext) -> Iterator[Issue]:
    yield from functions_off_allowlist(tree, GOLD_FUNCTIONS, GOLD_ANONYMOUS)


GOLD_RULES = (
    read_only_select,
    no_writes_anywhere,
    gold_tables_only,
    gold_no_row_or_alias_tricks,
    gold_functions_only,
    governed_columns_only,
)


@dataclass(frozen=True)
class GoldResult:
    """A gold query's rows, which of its columns hold restricted values, or why it has none."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    masked: frozenset[int] = frozenset()
    error: str = ""

    def shown_rows(self) -> list[tuple[Any, ...]]:
        """The rows as a report may print them."""
        return mask_rows(self.rows, self.masked)

    def masked_values(self) -> set[Any]:
        values = {_hashable(row[i]) for row in self.rows for i in self.masked}
        return values - {None}


def mask_rows(rows: Iterable[Sequence[Any]], masked: Iterable[int]) -> list[tuple[Any, ...]]:
    hidden = set(masked)
    if not hidden:
        return [tuple(r) for r in rows]
    return [
        tuple(messages.MASKED_VALUE if i in hidden else v for i, v in enumerate(row))
        for row in rows
    ]


class GoldQueries:
    """Checks, runs and caches the gold SQL of one eval run, by SQL text."""

    def __init__(
        self, warehouse: GoldWarehouse, catalog: Catalog, *, allow_restricted: bool = False
    ) -> None:
        self.warehouse = warehouse
        self.catalog = catalog
        self.allow_restricted = allow_restricted
        self._cache: dict[str, GoldResult] = {}
        self._live: dict[str, dict[str, str]] | None = None
        restricted = catalog.restricted_columns()
        self._restricted_names = {c.lower() for _, c in restricted} | {
            f"{t}.{c}".lower() for t, c in restricted
        }

    def result(self, sql: str) -> GoldResult:
        if sql not in self._cache:
            self._cache[sql] = self._run(sql)
        return self._cache[sql]

    def _live_schema(self) -> dict[str, dict[str, str]]:
        if self._live is None:
            self._live = self.warehouse.schema()
        return self._live

    def _run(self, sql: str) -> GoldResult:
        # The catalog's schema, not the live one: a declared column the warehouse lacks makes
        # the gold fail on the warehouse, which says so just as clearly.
        ctx = SqlContext(self.catalog, allow_pii=self.allow_restricted)
        issues = [i for i in check_sql(sql, ctx, GOLD_RULES) if i.level == "error"]
        restricted = [i for i in issues if i.rule == RESTRICTED_RULE]
        if restricted:
            return _failed(messages.GOLD_RESTRICTED.format(reason=restricted[0].message))
        if issues:
            rules = ", ".join(sorted({i.rule for i in issues}))
            return _failed(messages.GOLD_REJECTED.format(rules=rules, reason=issues[0].message))
        try:
            result = self.warehouse.execute(sql)
        except ExecutionError as exc:
            return _failed(messages.GOLD_FAILED.format(reason=exc.message.splitlines()[0]))
        if result.truncated:
            return _failed(messages.GOLD_TOO_MANY_ROWS.format(cap=self.warehouse.row_cap))
        masked = self._restricted_outputs(sql, result.columns) if self.allow_restricted else ()
        return GoldResult(result.columns, result.rows, frozenset(masked))

    def _restricted_outputs(self, sql: str, columns: list[str]) -> set[int]:
        """Positions of result columns computed from a restricted column (any lineage).

        When lineage cannot be traced, every column of a query that mentions a restricted
        column is masked: an unreadable report beats a leaked address.
        """
        restricted = self.catalog.restricted_columns()
        live = self._live_schema()
        # The live columns in live order, so that `*` expands as the warehouse returns it.
        schema = {
            t: {c: cols[c] for c in live[t] if c in cols} if t in live else cols
            for t, cols in self.catalog.schema().items()
        }
        everything = set(range(len(columns)))
        try:
            tree = qualify(
                sqlglot.parse_one(sql, read="duckdb"),
                schema=dict[str, object](schema),
                dialect="duckdb",
                validate_qualify_columns=True,
            )
            if not _read_columns(tree) & restricted:
                return set()
            names = tree.named_selects if isinstance(tree, exp.Query) else []
            if len(names) != len(columns):
                return everything
            masked = set()
            for i, name in enumerate(names):
                node = lineage(name, tree, schema=dict[str, object](schema), dialect="duckdb")
                leaves = [n for n in node.walk() if not n.downstream]
                if any(_leaf_column(n) in restricted for n in leaves):
                    masked.add(i)
            return masked
        except Exception:  # lineage is best effort; masking everything is the safe fallback
            return everything

    def masked_answer(self, answer: dict[str, Any], gold: GoldResult | None) -> dict[str, Any]:
        """The answer as reports may show it: a column named like a restricted column, or
        holding a value of the gold's restricted columns, is masked."""
        columns = [str(c) for c in answer.get("columns") or []]
        rows = [list(r) for r in answer.get("rows") or []]
        hidden = {i for i, c in enumerate(columns) if c.lower() in self._restricted_names}
        secrets = gold.masked_values() if gold is not None else set()
        if secrets:
            hidden |= {
                i
                for i in range(len(columns))
                if any(i < len(r) and _hashable(r[i]) in secrets for r in rows)
            }
        if not hidden:
            return answer
        return {**answer, "rows": [list(r) for r in mask_rows(rows, hidden)]}


def _failed(reason: str) -> GoldResult:
    return GoldResult([], [], error=reason)


def _read_columns(tree: exp.Expr) -> set[tuple[str, str]]:
    """Every (table, column) the qualified tree reads, aliases resolved to their tables."""
    read = set()
    for scope in traverse_scope(tree):
        for column in scope.columns:
            source = scope.sources.get(column.table)
            if isinstance(source, exp.Table):
                read.add((source.name, column.name))
    return read


def _leaf_column(node: Any) -> tuple[str, str]:
    source = node.source
    table = source.name if isinstance(source, exp.Table) else ""
    return table, str(node.name).split(".")[-1].strip('"')


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return None
    return value
