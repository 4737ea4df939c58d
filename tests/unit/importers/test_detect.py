"""Which loader reads a file is decided by its content, and a directory may mix formats.

    models/
      metrics.yml         native segq: tables / dimensions / metrics
      dbt/claims.yml      dbt MetricFlow: semantic_models + metrics with type_params
      cube/orders.yml     Cube: cubes
      revenue.yaml        Cortex Analyst: a top-level name and tables with base_table
"""

from __future__ import annotations

from pathlib import Path

from assistant.catalog import collect_issues
from assistant.importers import load_models
from assistant.importers.detect import (
    CORTEX,
    CUBE,
    DATA,
    DBT,
    METRICFLOW,
    NATIVE,
    UNKNOWN,
    classify,
    is_native_directory,
)

NATIVE_YAML = """\
tables:
  - name: orders
    primary_key: order_id
    columns:
      - {name: order_id, type: BIGINT}
      - {name: amount, type: DOUBLE}
metrics:
  - name: revenue
    table: orders
    expr: SUM(amount)
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_each_format_is_recognised_by_its_keys(tmp_path: Path) -> None:
    cases = {
        "native.yml": (NATIVE_YAML, NATIVE),
        "sm.yml": ("semantic_models:\n  - name: claim\n    model: ref('claim')\n", DBT),
        "dbt_metrics.yml": ("metrics:\n  - name: claims\n    type: simple\n"
                            "    type_params: {measure: claims}\n", DBT),
        "mf.yaml": ("---\nmetric:\n  name: bookings\n---\nsemantic_model:\n  name: b\n",
                    METRICFLOW),
        "cube.yml": ("cubes:\n  - name: orders\n    sql_table: orders\n", CUBE),
        "cortex.yaml": ("name: revenue\ntables:\n  - name: daily\n    base_table: {table: t}\n",
                        CORTEX),
        "snapshot.yaml": ("table_snapshot:\n  table_name: t\n", DATA),
        "dbt_project.yml": ("name: x\nversion: '1.0'\n", DATA),
        "notes.yml": ("- just\n- a list\n", UNKNOWN),
    }
    for name, (text, expected) in cases.items():
        assert classify(write(tmp_path / name, text)) == expected, name


def test_a_flat_native_directory_loads_as_before(tmp_path: Path) -> None:
    write(tmp_path / "m.yml", NATIVE_YAML)
    assert is_native_directory(tmp_path)
    catalog, issues = collect_issues(tmp_path)
    assert list(catalog.metrics) == ["revenue"]
    assert catalog.metrics["revenue"].source == f"{tmp_path.name}/m.yml:8"


def test_native_files_in_a_mixed_folder_keep_their_lines_and_others_are_named(
        tmp_path: Path) -> None:
    write(tmp_path / "native" / "m.yml", NATIVE_YAML)
    write(tmp_path / "notes.yml", "- just\n- a list\n")
    assert not is_native_directory(tmp_path)
    catalog, issues = load_models(tmp_path)
    assert catalog.metrics["revenue"].source == "native/m.yml:8"
    assert [(i.level, i.source, i.rule) for i in issues] == [
        ("warning", f"{tmp_path.name}/notes.yml", "unknown-format")]


def test_a_name_defined_in_two_folders_is_an_error_at_the_second(tmp_path: Path) -> None:
    write(tmp_path / "a" / "m.yml", NATIVE_YAML)
    write(tmp_path / "b" / "m.yml", NATIVE_YAML.split("metrics:")[0].replace("orders", "o2")
          + "metrics:" + NATIVE_YAML.split("metrics:")[1].replace("orders", "o2"))
    catalog, issues = load_models(tmp_path)
    duplicate = [i for i in issues if i.rule == "duplicate-name"]
    assert len(duplicate) == 1
    assert duplicate[0].source == "b/m.yml:8"
    assert "already defined at a/m.yml:8" in duplicate[0].message
    assert set(catalog.tables) == {"orders", "o2"}


def test_a_folder_with_nothing_readable_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "dbt_project.yml", "name: x\n")
    _, issues = load_models(tmp_path)
    assert [i.rule for i in issues if i.level == "error"] == ["no-files"]
