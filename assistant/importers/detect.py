"""What kind of semantic-model file is this? Decided by content, not by file name.

A directory that `SEGQ_SEMANTIC_MODELS` points at may hold several formats side by side (a dbt
project next to a Cube model folder, a native segq file, a single Cortex Analyst YAML). Each
YAML file is classified by its top-level keys (and, where two formats share a key, by the keys
of its first item), so a loader only ever sees the files it understands.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

NATIVE = "native"
DBT = "dbt"  # dbt MetricFlow: `semantic_models:` / `metrics:` lists (dbt project YAML)
METRICFLOW = "metricflow"  # MetricFlow's own documents: `semantic_model:`, `metric:`, ...
CUBE = "cube"
CORTEX = "cortex"
DATA = "data"  # part of a project but not a definition: dbt_project.yml, table snapshots
UNKNOWN = "unknown"

_SKIP_DIRS = {".git", "target", "dbt_packages", "node_modules", "logs", "__pycache__",
              ".venv"}
_NATIVE_KEYS = {"tables", "dimensions", "metrics", "segments", "access", "relationships"}
_DBT_KEYS = {"semantic_models", "saved_queries", "version", "models", "sources", "seeds",
             "snapshots", "exposures", "macros", "analyses", "unit_tests", "data_tests"}
_METRICFLOW_KEYS = {"semantic_model", "metric", "project_configuration", "saved_query",
                    "mf_config_schema"}
_DATA_KEYS = {"table_snapshot", "name_and_version"}


@dataclass(frozen=True)
class ModelFile:
    path: Path
    format: str


def classify(path: Path) -> str:
    """The format of one YAML file, from its parsed top level (plain PyYAML: cheap, no lines)."""
    if path.name in ("dbt_project.yml", "dbt_project.yaml", "packages.yml", "profiles.yml"):
        return DATA
    from assistant.catalog.yaml_loader import load_yaml_documents

    # The bounded loader: a hostile file (an alias bomb, deep nesting) is refused, not expanded
    docs, issues = load_yaml_documents(path)
    if issues and _is_cube_template(path):
        return CUBE  # Cube renders its model files with Jinja first; its loader does too
    if issues or not docs:
        return UNKNOWN  # the loader of the directory's main format reports it with its line
    keys = {str(k) for d in docs for k in d}
    if keys & _DATA_KEYS:
        return DATA
    if keys <= _METRICFLOW_KEYS:
        return METRICFLOW
    if keys & {"cubes", "views"}:
        return CUBE
    first = docs[0]
    if "tables" in first and ("name" in first or _first_item_has(first, "tables", "base_table")):
        return CORTEX
    if keys & {"semantic_models"} or (keys & _DBT_KEYS and not keys & _NATIVE_KEYS - {"metrics"}):
        return DBT
    if "metrics" in keys and _first_item_has(first, "metrics", "type_params", "type"):
        return DBT
    if keys <= _NATIVE_KEYS:
        return NATIVE
    return UNKNOWN


def _is_cube_template(path: Path) -> bool:
    """A Jinja template whose rendering has a top-level `cubes:` or `views:` key."""
    from assistant.catalog.yaml_loader import load_yaml_text
    from assistant.importers.cube_jinja import is_template, render

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if not is_template(text):
        return False
    rendered, issues = render(text, path.name)
    data, found = load_yaml_text(rendered, path.name) if not issues or all(
        i.level != "error" for i in issues) else (None, [])
    return data is not None and bool({str(k) for k in data} & {"cubes", "views"})


def _first_item_has(doc: dict, key: str, *wanted: str) -> bool:
    items = doc.get(key)
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        return False
    return any(w in items[0] for w in wanted)


def yaml_files(root: Path) -> Iterator[Path]:
    """Every `*.yml`/`*.yaml` under `root`, sorted, skipping build output and virtualenvs."""
    found: list[Path] = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        found.extend(Path(current) / f for f in files if f.endswith((".yml", ".yaml")))
    yield from sorted(found)


def model_files(path: Path) -> list[ModelFile]:
    """The definition files of `path` (a file or a directory), each with its format."""
    if path.is_file():
        return [ModelFile(path, classify(path))]
    return [ModelFile(p, classify(p)) for p in yaml_files(path)]


def is_native_directory(path: Path) -> bool:
    """A flat directory of segq YAML only: loaded exactly as before importers existed."""
    if not path.is_dir():
        return False
    if any(p.is_dir() and not p.name.startswith(".") and p.name not in _SKIP_DIRS
           and any(p.glob("*.y*ml")) for p in path.iterdir()):
        return False
    files = [*path.glob("*.yml"), *path.glob("*.yaml")]
    return all(classify(f) in (NATIVE, UNKNOWN) for f in files)
