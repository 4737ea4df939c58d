"""`evals/check_gold.py` reads a mapping-form suite (its own `semantic_models:`, `as_of:` and
`cases:`) and runs its gold on that example's own data, loaded as `segq eval` loads it: here the
Cortex Analyst quickstart, whose `daily_revenue` has one row per day, 2022-11-09 .. 2024-11-07.
A gold query that returns nothing is a failure, as one that errors is.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
ROOT = REPO.parent / "shared" / "external" / "cortex-analyst"
if not ROOT.is_dir():
    ROOT = Path("/work/shared/external/cortex-analyst")
pytestmark = pytest.mark.skipif(not ROOT.is_dir(), reason="shared/external is not checked out")


def _check_gold():
    spec = importlib.util.spec_from_file_location("check_gold", REPO / "evals" / "check_gold.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_mapping_suite_runs_on_its_example_data_and_an_empty_gold_fails(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    models = os.path.relpath(ROOT / "revenue_timeseries.yaml", tmp_path)  # relative to the suite
    suite = tmp_path / "cortex.yaml"
    suite.write_text(
        f"semantic_models: {models}\nas_of: 2024-11-07\ncases:\n"
        "  - id: days\n    question: how many days of revenue?\n"
        "    expect: {sql: \"SELECT COUNT(*) FROM daily_revenue\"}\n"
        "  - id: before-the-data\n    question: revenue in 1999?\n"
        "    expect: {sql: \"SELECT SUM(revenue) FROM daily_revenue\n"
        "                     WHERE date < DATE '2000-01-01'\"}\n"
        "  - id: weather\n    question: what's the weather?\n    expect: {status: refused}\n")

    code = _check_gold().main([str(suite), "--cache-dir", str(tmp_path / "cache"), "-v"])

    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines[0].startswith("cortex.yaml:days: (730,) (")
    assert lines[1].startswith("cortex.yaml:before-the-data: (None,) (")
    assert lines[2] == "FAIL  cortex.yaml:before-the-data: EMPTY [(None,)]"
    warehouse = next((tmp_path / "cache" / "datasets").glob("cortex-analyst-*.duckdb"))
    assert lines[3:] == [f"2 gold queries on {warehouse}: 1 failed or empty"]  # no demo built
