"""One setting picks the engine; each adapter fails in words when it cannot open.

The PostgreSQL and Spark adapters themselves run against real engines in `tests/engines/`
(`.ci/run` starts them); these tests need neither a server nor Java.
"""

from __future__ import annotations

import socket
from pathlib import Path

import duckdb
import pytest

from assistant.cli import main
from assistant.errors import ConfigError, WarehouseError
from assistant.executor import Warehouse
from assistant.warehouses import dialect_of, engine_of, open_warehouse, redacted
from assistant.warehouses.postgres import PostgresWarehouse
from assistant.warehouses.spark import TABLES, SparkWarehouse


@pytest.mark.parametrize(("spec", "engine"), [
    ("/data/warehouse.duckdb", "duckdb"),
    ("demo.duckdb", "duckdb"),
    ("postgresql://reader@db:5432/analytics", "postgres"),
    ("postgres://reader@db/analytics", "postgres"),
    ("spark://local/data/demo", "spark"),
    ("spark://master:7077/analytics", "spark"),
    ("sc://connect:15002", "spark"),
])
def test_the_warehouse_setting_alone_names_the_engine_and_its_dialect(spec, engine):
    assert engine_of(spec) == engine
    assert dialect_of(spec) == {"duckdb": "duckdb", "postgres": "postgres",
                                "spark": "spark"}[engine]


def test_a_password_never_appears_in_the_warehouse_key():
    adapter = open_warehouse("postgresql://reader:s3cret@db:5432/analytics")
    assert isinstance(adapter, PostgresWarehouse)
    assert "s3cret" not in adapter.key and "reader:***@db" in adapter.key
    assert redacted("/plain/path.duckdb") == "/plain/path.duckdb"


def test_a_duckdb_path_opens_the_embedded_adapter(demo_path: Path):
    adapter = open_warehouse(str(demo_path))
    assert isinstance(adapter, Warehouse) and adapter.dialect == "duckdb"
    assert adapter.execute("SELECT COUNT(*) AS n FROM users LIMIT 1").rows[0][0] == 3_000
    adapter.close()


def test_a_postgres_server_that_is_not_there_is_a_worded_warehouse_error():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    adapter = PostgresWarehouse(f"postgresql://reader:pw@127.0.0.1:{port}/segq")
    with pytest.raises(WarehouseError) as err:
        adapter.execute("SELECT 1 AS one LIMIT 1")
    assert "cannot be opened" in err.value.message and "pw@" not in err.value.message


def test_a_spark_url_without_a_host_is_a_config_error_listing_the_accepted_forms():
    with pytest.raises(ConfigError, match="spark://local/ABSOLUTE/DIR"):
        SparkWarehouse("spark:///nowhere")


def test_demo_build_for_spark_writes_the_same_rows_as_parquet(tmp_path: Path, capsys):
    """The Parquet demo holds exactly the rows of the DuckDB demo of the same size and seed
    (read back here with DuckDB, which needs no Java)."""
    out = tmp_path / "parquet"
    assert main(["demo", "build", "--engine", "spark", "--users", "300", "--out", str(out)]) == 0
    assert "loaded the demo into spark" in capsys.readouterr().out
    duck = tmp_path / "demo.duckdb"
    assert main(["demo", "build", "--users", "300", "--out", str(duck)]) == 0
    con = duckdb.connect(str(duck), read_only=True)
    try:
        for table in TABLES:
            parquet = str(out / f"{table}.parquet")
            differ = con.execute(
                f"SELECT COUNT(*) FROM ((SELECT * FROM {table} EXCEPT ALL "
                f"SELECT * FROM read_parquet('{parquet}')) UNION ALL (SELECT * FROM "
                f"read_parquet('{parquet}') EXCEPT ALL SELECT * FROM {table}))").fetchone()
            assert differ == (0,), table
            assert not (out / f"{table}.parquet").stat().st_mode & 0o222  # read-only file
    finally:
        con.close()


def test_demo_build_for_another_engine_needs_a_target_of_that_engine(tmp_path: Path, capsys):
    assert main(["demo", "build", "--engine", "postgres", "--users", "100"]) != 0
    assert "needs --out" in capsys.readouterr().err
