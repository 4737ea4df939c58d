"""What the paired benchmarks share: another revision's files, and one warm compile + validate.

Imported by the benchmark scripts from their own directory; `assistant` is imported when a
function runs, so a worker whose `sys.path` starts with another revision times that one.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def export_revision(ref: str, into: Path) -> Path:
    """The files of `ref` (`git archive`) in the new directory `into`."""
    into.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def compile_validate_ms(assistant: Any, plan: Any, principal: Any) -> tuple[float, str]:
    """One compile of `plan` and validation of its SQL, as `Assistant.ask` runs them: the
    milliseconds taken, and the SQL."""
    from assistant.compiler import compile_plan
    from assistant.validator import SqlContext, validate_sql

    catalog, config = assistant.catalog, assistant.config
    started = time.perf_counter()
    sql = compile_plan(plan, catalog, config.as_of, row_cap=config.row_cap).sql()
    validate_sql(sql, SqlContext(catalog, plan, max_limit=config.row_cap + 1,
                                 principal=principal, as_of=config.as_of))
    return (time.perf_counter() - started) * 1000, sql
