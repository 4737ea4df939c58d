"""An example folder's data becomes a cached DuckDB warehouse, exactly per its recipe.

    example/
      models/transactions.yml      (what SEGQ_SEMANTIC_MODELS points at)
      seeds/transactions_seed.csv  id,amount,ds   -> table `transactions`, `ds` a DATE
    snapshots/source_table_snapshots/t.yaml   MetricFlow snapshot -> typed table `t`
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from assistant.importers.datasets import ensure_dataset, find_dataset

ACME = Path(__file__).resolve().parents[4] / "shared" / "external" / "acme-insurance"


def tutorial(tmp_path: Path, rows: str = "t1,10.5,2022-03-01\nt2,4.5,2022-03-02\n") -> Path:
    (tmp_path / "example" / "models").mkdir(parents=True)
    (tmp_path / "example" / "seeds").mkdir()
    (tmp_path / "example" / "seeds" / "transactions_seed.csv").write_text(
        "id,amount,ds\n" + rows)
    return tmp_path / "example" / "models"


def rows(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_seeds_next_to_the_models_become_tables_named_by_their_model(tmp_path: Path) -> None:
    dataset = find_dataset(tutorial(tmp_path))
    assert dataset is not None and dataset.recipe.name == "mf-tutorial"
    path = ensure_dataset(dataset, tmp_path / "cache")
    assert rows(path, "SELECT SUM(amount), MIN(ds) FROM transactions") == [
        (15.0, __import__("datetime").date(2022, 3, 1))]
    assert rows(path, "SELECT typeof(ds) FROM transactions LIMIT 1") == [("DATE",)]


def test_the_warehouse_is_reused_until_a_data_file_changes(tmp_path: Path) -> None:
    models = tutorial(tmp_path)
    first = ensure_dataset(find_dataset(models), tmp_path / "cache")  # type: ignore[arg-type]
    again = ensure_dataset(find_dataset(models), tmp_path / "cache")  # type: ignore[arg-type]
    assert again == first
    (tmp_path / "example" / "seeds" / "transactions_seed.csv").write_text(
        "id,amount,ds\nt1,1.0,2022-03-01\n")
    changed = ensure_dataset(find_dataset(models), tmp_path / "cache")  # type: ignore[arg-type]
    assert changed != first
    assert rows(changed, "SELECT SUM(amount) FROM transactions") == [(1.0,)]


def test_metricflow_snapshots_load_with_their_declared_types(tmp_path: Path) -> None:
    folder = tmp_path / "itests" / "source_table_snapshots" / "m"
    folder.mkdir(parents=True)
    (folder / "t.yaml").write_text(
        "table_snapshot:\n  table_name: fct_visits\n  column_definitions:\n"
        "    - {name: user_id, type: STRING}\n    - {name: ds, type: TIME}\n"
        "    - {name: n, type: INT}\n    - {name: ok, type: BOOLEAN}\n"
        "  rows:\n    - [u1, '2020-01-01', 3, true]\n    - [u2, '2020-01-02', null, false]\n")
    (tmp_path / "itests" / "semantic_manifests").mkdir()
    dataset = find_dataset(tmp_path / "itests" / "semantic_manifests")
    assert dataset is not None and dataset.recipe.name == "metricflow-snapshots"
    path = ensure_dataset(dataset, tmp_path / "cache")
    assert rows(path, "SELECT user_id, CAST(ds AS DATE)::VARCHAR, n, ok FROM fct_visits "
                "ORDER BY 1") == [("u1", "2020-01-01", 3, True), ("u2", "2020-01-02", None, False)]
    assert rows(path, "SELECT typeof(ds), typeof(n) FROM fct_visits LIMIT 1") == [
        ("TIMESTAMP", "BIGINT")]


def test_a_folder_without_data_has_no_dataset(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert find_dataset(tmp_path / "a" / "b") is None


@pytest.mark.skipif(not ACME.is_dir(), reason="the shared ACME example is not on this machine")
def test_acme_loads_per_its_readme_row_counts_and_date_columns(tmp_path: Path) -> None:
    dataset = find_dataset(ACME / "semantic_models")
    assert dataset is not None and dataset.root.resolve() == ACME.resolve()  # may be a link
    path = ensure_dataset(dataset, tmp_path / "cache")
    counts = {"claim": 2, "claim_amount": 8, "claim_coverage": 2, "policy": 2,
              "policy_amount": 12, "policy_coverage_detail": 6, "premium": 6,
              "agreement_party_role": 4, "party": 30, "fire_claim": 820,
              "claim_policy_bridge": 2, "policy_holder_policy": 2, "policy_premium_detail": 6}
    for table, expected in counts.items():
        assert rows(path, f"SELECT COUNT(*) FROM {table}") == [(expected,)], table
    assert rows(path, "SELECT typeof(Claims_Made_Date), typeof(Policy_Number) FROM claim, policy "
                "LIMIT 1") == [("DATE", "BIGINT")]
    assert rows(path, "SELECT COUNT(*), MIN(date_day)::VARCHAR, MAX(date_day)::VARCHAR FROM "
                "metricflow_time_spine") == [(9862, "2000-01-01", "2026-12-31")]
    assert rows(path, "SELECT Agreement_Type_Code FROM agreement ORDER BY 1") == [(1,), (2,)]
