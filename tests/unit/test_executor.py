"""The Warehouse is the last line of defence: read-only and locked down even if validation
were bypassed, interrupted past its timeout, capped in rows, and it follows a rebuilt file.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.demo import build_demo
from assistant.errors import ExecutionError
from assistant.executor import Warehouse


@pytest.fixture(scope="module")
def wh(demo_path: Path) -> Iterator[Warehouse]:
    warehouse = Warehouse(demo_path, timeout_s=30.0, row_cap=25)
    yield warehouse
    warehouse.close()


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE t AS SELECT 1 AS x",
        "CREATE TABLE memory.main.t AS SELECT 1 AS x",  # the catalog it is attached from
        "INSERT INTO users (user_id) VALUES (-1)",
        "DELETE FROM users",
        "DROP TABLE users",
        "COPY (SELECT 1) TO '{tmp}/out.csv'",
        "COPY users TO '{tmp}/users.parquet' (FORMAT parquet)",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM glob('/etc/*')",
        "ATTACH '{tmp}/other.duckdb' AS other",
        "SET memory_limit = '64GB'",
        "SET enable_external_access = true",
        "RESET lock_configuration",
        "PRAGMA threads = 8",
        "INSTALL httpfs",
        "LOAD httpfs",
    ],
)
def test_the_warehouse_refuses_writes_files_and_settings_without_the_validator(wh, tmp_path, sql):
    with pytest.raises(ExecutionError) as err:
        wh.execute(sql.format(tmp=tmp_path))
    assert err.value.details["reason"] != "timeout"
    assert not list(tmp_path.iterdir())  # nothing was written
    assert wh.execute("SELECT count(*) FROM users").rows == [(3_000,)]


def test_a_query_past_the_timeout_is_interrupted_and_the_warehouse_still_answers(demo_path):
    warehouse = Warehouse(demo_path, timeout_s=0.2)
    try:
        with pytest.raises(ExecutionError) as err:
            warehouse.execute("SELECT count(*) FROM events AS a, events AS b")
        assert err.value.details["reason"] == "timeout"
        assert "0.2 s" in err.value.message
        assert warehouse.execute("SELECT count(*) FROM users").rows == [(3_000,)]
    finally:
        warehouse.close()


def test_what_is_left_of_a_questions_time_stops_a_query_before_the_warehouse_timeout(demo_path):
    warehouse = Warehouse(demo_path, timeout_s=30)
    try:
        started = time.monotonic()
        with pytest.raises(ExecutionError) as err:
            warehouse.execute("SELECT count(*) FROM events AS a, events AS b", timeout_s=0.3)
        assert err.value.details["reason"] == "timeout"
        assert time.monotonic() - started < 10
        assert "0.3 s" in err.value.message
    finally:
        warehouse.close()


def test_the_row_cap_returns_exactly_cap_rows_and_marks_truncated(wh):
    result = wh.execute("SELECT user_id FROM users ORDER BY user_id")
    assert result.truncated
    assert result.row_count == 25
    assert [r[0] for r in result.rows] == list(range(1, 26))


def test_a_per_query_row_cap_overrides_the_default(wh):
    result = wh.execute("SELECT user_id FROM users", row_cap=3)
    assert (result.truncated, result.row_count) == (True, 3)


def test_exactly_cap_rows_is_not_truncated(wh):
    result = wh.execute("SELECT user_id FROM users LIMIT 25")
    assert (result.truncated, result.row_count) == (False, 25)
    assert result.columns == ["user_id"]


def test_a_warehouse_file_replaced_atomically_is_read_on_the_next_query(demo_path, tmp_path):
    """`segq demo build` swaps the file with os.replace; a long-running Warehouse follows."""
    live = tmp_path / "live.duckdb"
    shutil.copy(demo_path, live)
    warehouse = Warehouse(live)
    try:
        assert warehouse.execute("SELECT count(*) FROM users").rows == [(3_000,)]
        rebuilt = tmp_path / "rebuilt" / "demo.duckdb"
        build_demo(rebuilt, users=200, seed=7)
        os.replace(rebuilt, live)
        assert warehouse.execute("SELECT count(*) FROM users").rows == [(200,)]
    finally:
        warehouse.close()
