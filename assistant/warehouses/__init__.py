"""The engines segq reads, behind one small interface: DuckDB (the default), PostgreSQL, Spark.

The `warehouse` setting picks one: a DuckDB file path, `postgresql://…`, or `spark://…` /
`sc://…` (see `docs/engines.md`). Every adapter opens the warehouse read-only in its own way,
runs one validated SELECT with a timeout and a row cap, and describes its schema for
`segq validate`; the compiler emits SQL in the adapter's `dialect`.
"""

from assistant.warehouses.base import (
    Adapter,
    Result,
    dialect_of,
    engine_of,
    open_warehouse,
    redacted,
)

__all__ = ["Adapter", "Result", "dialect_of", "engine_of", "open_warehouse", "redacted"]
