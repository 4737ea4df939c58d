"""The month-end history plans of `tests/unit/test_history_series.py` on PostgreSQL and Spark.

Both forms of the orders scan run on each engine in its dialect (one SELECT per month end,
and orders joined with the VALUES list of month ends), against the plain RFM reference run
once per month end on the engine's DuckDB twin of the same demo.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.engines.test_reference_parity import EngineUnderTest
from tests.unit.test_history_series import (  # noqa: F401 - the fixture, rerun per engine
    scan_form,
    test_history_rows_are_the_reference_computed_at_each_month_end,
)


@pytest.fixture(scope="module", params=["postgres", "spark"])
def wh(request: pytest.FixtureRequest, engines: dict[str, Any]) -> EngineUnderTest:
    return EngineUnderTest(engines[request.param], engines["duckdb"])
