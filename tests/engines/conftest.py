"""The engine parity suite: the same demo in DuckDB, PostgreSQL and Spark, shared by every test.

Run by `.ci/run` as its own step (`SEGQ_ENGINE_TESTS=1 python -m pytest -q tests/engines`);
the main suite leaves this directory out (see tests/conftest.py). One PostgreSQL server and
one Spark session serve the whole run; the demo is the 3,000-user seed-42 build of the main
suite, loaded into the other two engines by the same loaders `segq demo build --engine` uses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.executor import Warehouse
from assistant.warehouses.loaders import export_parquet, load_postgres
from assistant.warehouses.postgres import PostgresWarehouse
from assistant.warehouses.spark import TABLES, SparkWarehouse
from tests.engines.servers import READER, java_present, postgres_server

CAP = 100_000


@pytest.fixture(scope="session")
def pg_urls(demo_path: Path) -> Iterator[tuple[str, str]]:
    """(owner URL, reader URL) of a real server holding the demo."""
    with postgres_server() as (owner, reader):
        load_postgres(demo_path, owner, read_role=READER)
        yield owner, reader


@pytest.fixture(scope="session")
def spark_url(tmp_path_factory: pytest.TempPathFactory, demo_path: Path) -> str:
    java_present()
    directory = tmp_path_factory.mktemp("spark") / "demo"
    export_parquet(demo_path, directory)
    return f"spark://local{directory}"


@pytest.fixture(scope="session")
def engines(demo_path: Path, pg_urls: tuple[str, str], spark_url: str) -> Iterator[dict[str, Any]]:
    """One adapter per engine over the same demo rows, as segq itself opens them."""
    opened: dict[str, Any] = {
        "duckdb": Warehouse(demo_path, row_cap=CAP),
        "postgres": PostgresWarehouse(pg_urls[1], row_cap=CAP, timeout_s=120),
        "spark": SparkWarehouse(spark_url, row_cap=CAP, timeout_s=300),
    }
    for adapter in opened.values():
        adapter.warm()
    before = fingerprints(pg_urls[0], spark_url, opened["spark"])
    opened["fingerprints"] = before
    yield opened
    # After every test of the run (hostile questions and statements included): no write.
    after = fingerprints(pg_urls[0], spark_url, opened["spark"])
    for adapter in (opened["duckdb"], opened["postgres"], opened["spark"]):
        adapter.close()
    assert after == before, "a table of PostgreSQL or Spark changed during the engine suite"


def fingerprints(owner_url: str, spark_url: str, spark: SparkWarehouse) -> dict[str, Any]:
    return {"postgres": postgres_fingerprint(owner_url),
            "spark": spark_fingerprint(spark_url, spark)}


def postgres_fingerprint(owner_url: str) -> dict[str, tuple[int, str]]:
    """Row count and an md5 of every row, in key order, for each demo table."""
    import psycopg

    with psycopg.connect(owner_url) as con:
        return {t: con.execute(f"SELECT count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY "
                               f"x::text), '')) FROM {t} AS x").fetchone()
                for t in TABLES}


def spark_fingerprint(url: str, adapter: SparkWarehouse) -> dict[str, tuple[int, str]]:
    """Row count (through Spark) and the sha256 of each table's Parquet file."""
    directory = Path(url.removeprefix("spark://local"))
    return {t: (adapter.execute(f"SELECT COUNT(*) FROM {t} LIMIT 1").rows[0][0],
                hashlib.sha256((directory / f"{t}.parquet").read_bytes()).hexdigest())
            for t in TABLES}
