"""An example's data becomes the warehouse: one environment variable is enough to try it.

The shared examples keep their data next to their models (CSV seeds, MetricFlow's YAML table
snapshots). When `SEGQ_SEMANTIC_MODELS` points into such a folder and no warehouse is
configured, segq loads that data into a DuckDB file once, exactly per the folder's README
recipe, and reuses it: the file is keyed by the hashes of the data files, so an edited CSV
makes a new one. A recipe is registered in `RECIPES`:

    Recipe(name, detect(root) -> bool, inputs(root) -> [files], load(con, root))

`find_dataset` looks at the models path and up to three folders above it, so pointing at
`acme-insurance/semantic_models` finds the data of `acme-insurance/`.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import yaml

RECIPE_VERSION = 1  # bump when a recipe's loading changes, so cached files are rebuilt


@dataclass(frozen=True)
class Recipe:
    name: str
    detect: Callable[[Path], bool]
    inputs: Callable[[Path], list[Path]]
    load: Callable[[duckdb.DuckDBPyConnection, Path], None]


@dataclass(frozen=True)
class Dataset:
    recipe: Recipe
    root: Path

    def key(self) -> str:
        """Hash of the recipe and every input file's name and bytes."""
        digest = hashlib.sha256(f"{self.recipe.name}:{RECIPE_VERSION}".encode())
        for path in sorted(self.recipe.inputs(self.root)):
            digest.update(str(path.relative_to(self.root)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()[:16]


def _ident(name: str) -> str:
    """A quoted DuckDB identifier for names that come from the example's own files."""
    return '"' + name.replace('"', '""') + '"'


def _create_from_csv(con: duckdb.DuckDBPyConnection, table: str, path: Path,
                     columns: list[str] | None = None,
                     is_date: Callable[[str], bool] = lambda c: False) -> None:
    """`table` from a CSV with a header row: inferred types, except date columns."""
    header = con.read_csv(str(path), header=True).columns
    dates = {c: "DATE" for c in header if is_date(c)}
    relation = con.read_csv(str(path), header=True, dtype=dates) if dates else con.read_csv(
        str(path), header=True)
    chosen = ", ".join(_ident(c) for c in columns) if columns else "*"
    relation.project(chosen).create(table)


def _day_spine(con: duckdb.DuckDBPyConnection, table: str, column: str, start: date,
               end: date) -> None:
    con.execute(f"CREATE TABLE {_ident(table)} AS SELECT CAST(d AS DATE) AS {_ident(column)} "
                "FROM range(CAST(? AS DATE), CAST(? AS DATE) + INTERVAL 1 DAY, "
                "INTERVAL 1 DAY) AS t(d)", [start.isoformat(), end.isoformat()])


# -- ACME insurance (acme-insurance/README.md, "Loading into DuckDB") -----------------------
def _acme_detect(root: Path) -> bool:
    return (root / "model_to_table.csv").is_file() and (root / "data").is_dir()


def _acme_inputs(root: Path) -> list[Path]:
    return [root / "model_to_table.csv", *sorted((root / "data").glob("*.csv")),
            *sorted((root / "data_refresh").glob("*.csv"))]


def _acme_load(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    with (root / "model_to_table.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        table, source = row["dbt_model"], row["csv_file"]
        if source == "(generated)":  # step 4: the time spine, 2000-01-01..2026-12-31
            _day_spine(con, table, row["columns_selected"], date(2000, 1, 1), date(2026, 12, 31))
        elif "/" in source:  # step 5: the refresh tables, loaded whole
            _create_from_csv(con, table, root / source,
                             is_date=lambda c: c.lower().endswith("_date"))
        else:  # steps 1-3: the model's selected columns, `*_Date` columns as DATE
            _create_from_csv(con, table, root / "data" / source,
                             row["columns_selected"].split(),
                             is_date=lambda c: c.endswith("_Date"))


# -- MetricFlow integration tests: YAML table snapshots, all in one schema ---------------------
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 5x faster
_SNAPSHOT_TYPES = {"TIME": "TIMESTAMP", "STRING": "VARCHAR", "INT": "BIGINT",
                   "FLOAT": "DOUBLE", "BOOLEAN": "BOOLEAN"}


def _snapshot_dir(root: Path) -> Path:
    return root / "source_table_snapshots"


def _snapshots_detect(root: Path) -> bool:
    return _snapshot_dir(root).is_dir()


def _snapshots_inputs(root: Path) -> list[Path]:
    return sorted(_snapshot_dir(root).rglob("*.yaml"))


def _snapshots_load(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    for path in _snapshots_inputs(root):
        with path.open(encoding="utf-8") as handle:
            snapshot: dict[str, Any] = yaml.load(handle, Loader=_FAST_LOADER)["table_snapshot"]
        columns = snapshot["column_definitions"]
        table = _ident(snapshot["table_name"])
        typed = ", ".join(f"{_ident(c['name'])} {_SNAPSHOT_TYPES[c['type']]}" for c in columns)
        con.execute(f"CREATE TABLE {table} ({typed})")
        rows = snapshot.get("rows") or []
        if rows:  # one list per column, unnested side by side: executemany is a row a call
            unnested = ", ".join(f"UNNEST(CAST(? AS {_SNAPSHOT_TYPES[c['type']]}[]))"
                                 for c in columns)
            con.execute(f"INSERT INTO {table} SELECT {unnested}",
                        [[row[i] for row in rows] for i in range(len(columns))])


# -- the `mf tutorial` sample: models are `select * from <name>_seed` --------------------------
def _tutorial_detect(root: Path) -> bool:
    return (root / "seeds").is_dir() and any((root / "seeds").glob("*_seed.csv"))


def _tutorial_inputs(root: Path) -> list[Path]:
    return sorted((root / "seeds").glob("*.csv"))


def _tutorial_load(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    for path in _tutorial_inputs(root):
        model = path.stem.removesuffix("_seed")
        _create_from_csv(con, model, path, is_date=lambda c: c == "ds")
    _day_spine(con, "mf_time_spine", "ds", date(2000, 1, 1), date(2030, 12, 31))


# -- Cortex Analyst quickstart (cortex-analyst/README.md, "Tables and how to load them") -------
# Upstream loads the CSVs positionally into tables it defines, so the column names and types
# are the table definitions', not the CSV headers (`Region` is `sales_region`; `DATE` holds
# timestamps, kept as their date part).
_CORTEX_TABLES = {
    "daily_revenue": ("daily_revenue.csv", (("date", "DATE"), ("revenue", "DOUBLE"),
                                            ("cogs", "DOUBLE"), ("forecasted_revenue", "DOUBLE"),
                                            ("product_id", "INTEGER"), ("region_id", "INTEGER"))),
    "product_dim": ("product.csv", (("product_id", "INTEGER"), ("product_line", "VARCHAR"))),
    "region_dim": ("region.csv", (("region_id", "INTEGER"), ("sales_region", "VARCHAR"),
                                  ("state", "VARCHAR"))),
}


def _cortex_inputs(root: Path) -> list[Path]:
    return [root / "data" / source for source, _ in _CORTEX_TABLES.values()]


def _cortex_detect(root: Path) -> bool:
    return all(p.is_file() for p in _cortex_inputs(root))


def _cortex_load(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    for table, (source, columns) in _CORTEX_TABLES.items():
        # Read every field as text by position, then cast: a timestamp becomes its DATE
        names = [name for name, _ in columns]
        text = {name: "VARCHAR" for name in names}
        relation = con.read_csv(str(root / "data" / source), header=True, names=names,
                                dtype=text)
        relation.project(", ".join(
            f"CAST(CAST({_ident(n)} AS TIMESTAMP) AS DATE) AS {_ident(n)}" if t == "DATE"
            else f"CAST({_ident(n)} AS {t}) AS {_ident(n)}" for n, t in columns)).create(table)


# -- Cube's cube_demo (cube/README.md): each CSV into schema `ecom` ---------------------------
def _cube_detect(root: Path) -> bool:
    return (root / "model").is_dir() and (root / "data").is_dir() and any(
        (root / "data").glob("*.csv")) and any((root / "model").rglob("*.yml"))


def _cube_inputs(root: Path) -> list[Path]:
    return sorted((root / "data").glob("*.csv"))


def _cube_load(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """`ecom.<name>` per CSV, as the README says; the cubes' `sql_table: ECOM.ORDERS` is
    table `orders` to segq, which reads the warehouse's default schema, so each table is also
    a view there."""
    con.execute("CREATE SCHEMA IF NOT EXISTS ecom")
    for path in _cube_inputs(root):
        _create_from_csv(con, f"ecom.{_ident(path.stem)}", path)
        con.execute(f"CREATE VIEW {_ident(path.stem)} AS SELECT * FROM ecom.{_ident(path.stem)}")


RECIPES: list[Recipe] = [
    Recipe("cortex-analyst", _cortex_detect, _cortex_inputs, _cortex_load),
    Recipe("acme-insurance", _acme_detect, _acme_inputs, _acme_load),
    Recipe("mf-tutorial", _tutorial_detect, _tutorial_inputs, _tutorial_load),
    Recipe("cube", _cube_detect, _cube_inputs, _cube_load),
    Recipe("metricflow-snapshots", _snapshots_detect, _snapshots_inputs, _snapshots_load),
]


def find_dataset(models: Path) -> Dataset | None:
    """The example folder holding the data of the models at `models`, if there is one."""
    start = models.resolve()
    folders = [start, *start.parents][:4] if start.is_dir() else [*start.parents][:4]
    for folder in folders:
        for recipe in RECIPES:
            if recipe.detect(folder):
                return Dataset(recipe, folder)
    return None


def ensure_dataset(dataset: Dataset, cache_dir: Path) -> Path:
    """The cached DuckDB file of `dataset`, built first if its data changed or it is new.

    Built under a temporary name and swapped in with `os.replace`, so a reader never sees a
    half-built file and two processes building at once both end with a whole one.
    """
    target = cache_dir / "datasets" / f"{dataset.root.name}-{dataset.key()}.duckdb"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.new")
    partial.unlink(missing_ok=True)
    con = duckdb.connect(str(partial))
    try:
        dataset.recipe.load(con, dataset.root)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(partial, target)
    return target
