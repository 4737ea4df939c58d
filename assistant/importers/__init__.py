"""Semantic models data teams already have -> the one typed catalog segq answers from.

`SEGQ_SEMANTIC_MODELS` may point at a native segq directory, a dbt project (MetricFlow
semantic models and metrics), a Cube model folder, a Cortex Analyst YAML file, or a directory
mixing them. `detect.py` classifies every file by content; each format's loader turns its files
into catalog objects that keep their source `file:line`; `merge` joins the parts and reports a
name defined twice. A loader is registered in `LOADERS` under its format name:

    loader(files: list[Path], root: Path) -> tuple[Catalog, list[Issue]]

`root` is what the setting points at (a file's parent for a single file); sources are shown
relative to it, like `semantic_models/claim.yaml:12`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.catalog.models import Catalog
from assistant.errors import Issue
from assistant.importers.detect import (
    CORTEX,
    CUBE,
    DATA,
    DBT,
    METRICFLOW,
    NATIVE,
    UNKNOWN,
    ModelFile,
    is_native_directory,
    model_files,
)

Loader = Callable[[list[Path], Path], tuple[Catalog, list[Issue]]]

__all__ = ["LOADERS", "Loader", "load_models", "merge", "model_files", "is_native_directory",
           "display_path"]


def _native(files: list[Path], root: Path) -> tuple[Catalog, list[Issue]]:
    from assistant.catalog.builder import build_catalog

    catalog, issues = Catalog({}, {}, {}, {}), []
    for directory in sorted({f.parent for f in files}):
        part, found = build_catalog(directory, only=[f for f in files if f.parent == directory])
        catalog, merged = merge(catalog, part)
        issues += found + merged
    return catalog, issues


def _dbt(files: list[Path], root: Path) -> tuple[Catalog, list[Issue]]:
    from assistant.importers.dbt import load_dbt

    return load_dbt(files, root)


def _cube(files: list[Path], root: Path) -> tuple[Catalog, list[Issue]]:
    from assistant.importers.cube import load_cube

    return load_cube(files, root)


def _cortex(files: list[Path], root: Path) -> tuple[Catalog, list[Issue]]:
    from assistant.importers.cortex import load_cortex

    return load_cortex(files, root)


# Format name -> loader. dbt and MetricFlow documents share one loader (one manifest); each
# foreign format registers its loader here.
LOADERS: dict[str, Loader] = {NATIVE: _native, DBT: _dbt, CORTEX: _cortex,
                             CUBE: _cube}
_SHARED = {METRICFLOW: DBT}  # formats read by another format's loader, in one call


def display_path(path: Path, root: Path) -> str:
    """How a source file is shown: relative to the folder the setting points at, with the
    folder's own name first when the setting is a directory (`semantic_models/claim.yaml`)."""
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


def load_models(path: Path) -> tuple[Catalog, list[Issue]]:
    """Every format found at `path`, each through its loader, merged into one catalog."""
    root = path.parent if path.is_file() else path
    files = model_files(path)
    by_format: dict[str, list[Path]] = {}
    issues: list[Issue] = []
    for found in files:
        if found.format == DATA:
            continue
        if found.format == UNKNOWN:
            issues.append(Issue("warning", _unknown_message(found), display_path(found.path, root),
                                "unknown-format"))
            continue
        by_format.setdefault(_SHARED.get(found.format, found.format), []).append(found.path)
    if not by_format:
        issues.append(Issue("error", "contains no semantic model files segq can read (native "
                            "segq YAML, dbt MetricFlow, Cube or Cortex Analyst).", str(path),
                            "no-files"))
    catalog = Catalog({}, {}, {}, {})
    for fmt, paths in sorted(by_format.items()):
        loader = LOADERS.get(fmt)
        if loader is None:
            issues.append(Issue("error", f"is a {fmt} model, which this install of segq cannot "
                                "import yet.", display_path(paths[0], root), "no-loader"))
            continue
        part, found_issues = loader(paths, root)
        catalog, merged = merge(catalog, part)
        issues += found_issues + merged
    catalog = dataclasses.replace(catalog, files=tuple(str(f.path) for f in files),
                                  directory=str(path))
    return catalog, issues


def _unknown_message(found: ModelFile) -> str:
    return ("is not a semantic model segq recognises (native segq: tables/dimensions/metrics/"
            "segments; dbt: semantic_models/metrics; Cube: cubes/views; Cortex Analyst: a "
            "top-level name and tables with base_table); it is skipped.")


def merge(left: Catalog, right: Catalog) -> tuple[Catalog, list[Issue]]:
    """One catalog from two parts; a name defined in both is an error at the second."""
    issues: list[Issue] = []
    seen = {**left.metrics, **left.dimensions, **left.segments}
    values: dict[str, Any] = {}
    for kind in ("tables", "dimensions", "metrics", "segments"):
        mine, theirs = dict(getattr(left, kind)), getattr(right, kind)
        for name, obj in theirs.items():
            first: Any = mine.get(name) or (seen.get(name) if kind != "tables" else None)
            if first is not None:
                issues.append(Issue("error", f"defines `{name}` again; it is already defined "
                                    f"at {first.source}. Names must be unique across the "
                                    "catalog.", obj.source, "duplicate-name"))
                continue
            mine[name] = obj
        values[kind] = mine
    extras: dict[str, Any] = {f.name: _merged_field(getattr(left, f.name), getattr(right, f.name))
              for f in dataclasses.fields(Catalog)
              if f.name not in values and f.name not in ("files", "directory")}
    return dataclasses.replace(left, **values, **extras), issues


def _merged_field(left: object, right: object) -> object:
    """Fields beyond the four object kinds: tuples concatenate, mappings union, else the
    first part that has one (the access policy comes from native files only)."""
    if isinstance(left, tuple) and isinstance(right, tuple):
        return left + right
    if isinstance(left, dict) and isinstance(right, dict):
        return {**left, **right}
    return left if left is not None else right

