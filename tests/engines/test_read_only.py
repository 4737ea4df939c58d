"""Nothing segq runs changes PostgreSQL or Spark, and every engine refuses the same SQL.

* The validator's rejection file (`tests/fixtures/validator/rejected.sql`) is checked in each
  engine's dialect: every line is rejected there too, by the same rule.
* Hostile statements handed straight to an adapter (past the validator) are refused at its
  door; on PostgreSQL the server itself refuses a write that looks like a SELECT, even when
  segq connects as the table owner, because every transaction is READ ONLY.
* Every table keeps its row count and checksum: checked here, and again by the `engines`
  fixture once the whole run is over (the eval parity suite asks every hostile question of
  `evals/*.yaml` on both engines).
"""

from __future__ import annotations

from typing import Any

import pytest

from assistant.errors import ExecutionError, SqlRejected
from assistant.validator import SqlContext, check_sql
from assistant.warehouses.postgres import PostgresWarehouse
from tests.compiler_cases import ROW_CAP
from tests.engines.conftest import fingerprints
from tests.unit.test_validator_rejects import rejected_lines

WRITES = [
    "DROP TABLE users",
    "DELETE FROM events",
    "INSERT INTO users (user_id) VALUES (1)",
    "UPDATE users SET plan = 'pro'",
    "CREATE TABLE t AS SELECT * FROM users",
    "WITH d AS (DELETE FROM users RETURNING *) SELECT * FROM d LIMIT 10",
    "TRUNCATE TABLE orders",
    "SELECT 1 LIMIT 1; DROP TABLE users",
]


@pytest.fixture(scope="module")
def before(engines) -> dict[str, Any]:
    return engines["fingerprints"]


@pytest.mark.parametrize("dialect", ["postgres", "spark"])
@pytest.mark.parametrize(("sql", "rule"), rejected_lines(), ids=lambda v: str(v)[:50])
def test_every_statement_of_the_rejection_file_is_rejected_in_each_dialect(catalog, dialect,
                                                                           sql, rule):
    """By the same rule as on DuckDB, or, for DuckDB-only syntax (`ATTACH`, `glob('*')`),
    because the other dialect cannot even parse it."""
    found = {i.rule for i in check_sql(sql, SqlContext(catalog, max_limit=ROW_CAP + 1,
                                                       dialect=dialect)) if i.level == "error"}
    assert rule in found or found == {"parse"}, (dialect, sql, found)


@pytest.mark.parametrize("engine", ["postgres", "spark"])
@pytest.mark.parametrize("sql", WRITES)
def test_an_adapter_refuses_a_write_at_its_door(engines, before, engine, sql):
    with pytest.raises(SqlRejected):
        engines[engine].execute(sql)


def test_postgres_refuses_a_write_inside_a_select_even_for_the_owner(pg_urls, before):
    """`nextval` writes a sequence from inside a SELECT, which is all the door checks; the
    server refuses it because segq's every transaction is READ ONLY, whoever connects."""
    import psycopg

    with psycopg.connect(pg_urls[0], autocommit=True) as con:
        con.execute("CREATE SEQUENCE segq_probe")
    owner = PostgresWarehouse(pg_urls[0])
    try:
        flags = owner.execute("SELECT current_setting('transaction_read_only') AS ro LIMIT 1")
        assert flags.rows == [("on",)]
        with pytest.raises(ExecutionError, match="read-only transaction"):
            owner.execute("SELECT nextval('segq_probe') AS n LIMIT 1")
    finally:
        owner.close()
        with psycopg.connect(pg_urls[0], autocommit=True) as con:
            con.execute("DROP SEQUENCE segq_probe")


def test_the_reader_role_holds_select_only(pg_urls, before):
    import psycopg

    with psycopg.connect(pg_urls[1]) as con, pytest.raises(psycopg.errors.InsufficientPrivilege):
        con.execute("INSERT INTO users (user_id) VALUES (-1)")


@pytest.mark.parametrize("engine", ["postgres", "spark"])
def test_a_query_past_its_timeout_is_stopped_with_a_worded_error(engines, engine):
    heavy = ("SELECT COUNT(*) AS n FROM events AS a CROSS JOIN events AS b "
             "WHERE a.user_id + b.user_id > 0 LIMIT 1")
    with pytest.raises(ExecutionError) as err:
        engines[engine].execute(heavy, timeout_s=0.5)
    assert err.value.details.get("reason") == "timeout"
    assert engines[engine].execute("SELECT COUNT(*) AS n FROM users LIMIT 1").rows[0][0] > 0


def test_no_table_changed_on_postgres_or_spark(pg_urls, spark_url, engines, before):
    assert fingerprints(pg_urls[0], spark_url, engines["spark"]) == before
