"""The governed catalog: load, type and validate `semantic_models/*.yml`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from assistant.catalog.holder import CatalogHolder
from assistant.catalog.models import Catalog, Dimension, Member, Metric, Parameter, Segment
from assistant.errors import CatalogError

if TYPE_CHECKING:
    from assistant.errors import Issue

__all__ = ["Catalog", "CatalogHolder", "Dimension", "Member", "Metric", "Parameter", "Segment",
           "load_catalog", "collect_issues"]


def collect_issues(directory: str | Path) -> tuple[Catalog, list[Issue]]:
    """The catalog at `directory` and every issue found in it.

    A flat directory of segq YAML loads as it always has; anything else (a dbt project, a
    Cube folder, a Cortex file, a mix) goes through `assistant.importers`."""
    directory = Path(directory)
    if not directory.exists():
        raise CatalogError(f"Semantic models directory {directory} does not exist. Set "
                           "SEGQ_SEMANTIC_MODELS or `semantic_models` in the config file.")
    # The builder (YAML) and the rules are imported here, not at the top: a process that
    # reads the compiled catalog cache (`catalog/cache.py`) never needs them.
    from assistant.catalog.builder import build_catalog
    from assistant.catalog.rules import run_rules
    from assistant.importers import is_native_directory, load_models

    if is_native_directory(directory):
        catalog, issues = build_catalog(directory)
    else:
        catalog, issues = load_models(directory)
    return catalog, issues + run_rules(catalog)


def load_catalog(directory: str | Path) -> Catalog:
    """Load the catalog or raise CatalogError listing every error with file:line."""
    catalog, issues = collect_issues(directory)
    errors = [i for i in issues if i.level == "error"]
    if errors:
        raise CatalogError(
            f"The semantic models in {directory} have {len(errors)} error(s).", errors
        )
    return catalog
