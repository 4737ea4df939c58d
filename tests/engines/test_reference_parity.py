"""Every compiler reference test again, on PostgreSQL and on Spark.

The tests are those of `tests/unit/test_compiler_vs_reference.py`, imported as they are: the
compiled SQL runs on the engine under test, in its dialect, and is compared with the
independent reference SQL of SPEC §4, which is DuckDB SQL and so runs on the DuckDB copy of
the same demo. Identical rows on every engine is what "one definition" means.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.test_compiler_vs_reference import *  # noqa: F403 - every reference test, per engine
from tests.unit.test_compiler_vs_reference import Result

# That test builds its own tiny DuckDB world; it has no demo to share with the other engines.
del test_retention_has_a_cell_for_every_month_up_to_as_of_even_without_signups  # noqa: F821, F405 - imported by the * above


class EngineUnderTest:
    """The engine the compiled SQL runs on, and the DuckDB twin the reference SQL runs on."""

    def __init__(self, adapter: Any, reference: Any) -> None:
        self.adapter, self.reference, self.dialect = adapter, reference, adapter.dialect

    def execute(self, sql: str) -> Result:
        return self.adapter.execute(sql)


@pytest.fixture(scope="module", params=["postgres", "spark"])
def wh(request: pytest.FixtureRequest, engines: dict[str, Any]) -> EngineUnderTest:
    return EngineUnderTest(engines[request.param], engines["duckdb"])
