"""The adapter interface and the one setting that picks an engine.

`warehouse: postgresql://reader@host/db` -> PostgreSQL, `spark://local/DIR` (local mode over
the Parquet tables in DIR), `spark://HOST:PORT[/DATABASE]` or `sc://HOST:PORT` (a cluster,
through Spark Connect for `sc://`) -> Spark, anything else -> a DuckDB file.
"""

from __future__ import annotations

import re
from typing import Protocol

from assistant.errors import SqlRejected
from assistant.executor import Result

ENGINES = {"duckdb": "duckdb", "postgres": "postgres", "spark": "spark"}  # engine -> dialect
_POSTGRES = re.compile(r"^postgres(ql)?(\+\w+)?://", re.I)
_SPARK = re.compile(r"^(spark|sc)://", re.I)


class Adapter(Protocol):
    """What the pipeline, the evals and `segq validate` need of an engine."""

    dialect: str  # the sqlglot dialect the compiler writes and the validator reads
    timeout_s: float
    row_cap: int

    @property
    def key(self) -> str:
        """Names the warehouse for admission control and messages (never a password)."""
        ...

    def schema(self) -> dict[str, dict[str, str]]:
        """The live schema {table: {column: type}}."""
        ...

    def execute(self, sql: str, *, row_cap: int | None = None,
                timeout_s: float | None = None) -> Result:
        """Run one validated SELECT; at most `row_cap` rows, stopped after the timeout."""
        ...

    def explain(self, sql: str) -> None:
        """Plan `sql` without running it (a dry run for `segq validate`); raise if it fails."""
        ...

    def warm(self) -> None:
        """Open the connection or session now (a JVM takes seconds), not in a question's time."""
        ...

    def close(self) -> None: ...


def engine_of(spec: str) -> str:
    """`duckdb`, `postgres` or `spark`, from the `warehouse` setting alone."""
    if _POSTGRES.match(spec):
        return "postgres"
    if _SPARK.match(spec):
        return "spark"
    return "duckdb"


def dialect_of(spec: str) -> str:
    return ENGINES[engine_of(spec)]


def redacted(spec: str) -> str:
    """The setting without a password, fit for logs and messages."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", spec)


def open_warehouse(spec: str, *, timeout_s: float = 30.0, row_cap: int = 10_000) -> Adapter:
    """The adapter for one `warehouse` setting (opened lazily on its first query)."""
    engine = engine_of(spec)
    if engine == "postgres":
        from assistant.warehouses.postgres import PostgresWarehouse

        return PostgresWarehouse(spec, timeout_s=timeout_s, row_cap=row_cap)
    if engine == "spark":
        from assistant.warehouses.spark import SparkWarehouse

        return SparkWarehouse(spec, timeout_s=timeout_s, row_cap=row_cap)
    from assistant.executor import Warehouse

    return Warehouse(spec, timeout_s=timeout_s, row_cap=row_cap)


def only_select(sql: str, dialect: str) -> None:
    """The adapters' own guard, before the engine sees the text: one SELECT, no writes.

    The validator already checks this for every answer; an engine whose session could
    write (Spark runs DDL the moment it parses it) checks again at its own door.
    """
    from assistant.validator.rules import no_writes_anywhere, read_only_select
    from assistant.validator.runner import SqlContext, check_sql

    ctx = SqlContext(catalog=None, dialect=dialect)  # type: ignore[arg-type]  # rules below read no catalog
    issues = check_sql(sql, ctx, rules=(read_only_select, no_writes_anywhere))
    if issues:
        raise SqlRejected(f"The warehouse runs only one read-only SELECT: {issues[0].message}",
                          issues)
