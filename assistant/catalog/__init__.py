"""The governed catalog: load, type and validate `semantic_models/*.yml`."""

from __future__ import annotations

from pathlib import Path

from assistant.catalog.builder import build_catalog
from assistant.catalog.holder import CatalogHolder
from assistant.catalog.models import Catalog, Dimension, Member, Metric, Parameter, Segment
from assistant.catalog.rules import run_rules
from assistant.errors import CatalogError, Issue

__all__ = ["Catalog", "CatalogHolder", "Dimension", "Member", "Metric", "Parameter", "Segment",
           "load_catalog", "collect_issues"]


def collect_issues(directory: str | Path) -> tuple[Catalog, list[Issue]]:
    directory = Path(directory)
    if not directory.is_dir():
        raise CatalogError(f"Semantic models directory {directory} does not exist. Set "
                           "SEGQ_SEMANTIC_MODELS or `semantic_models` in the config file.")
    catalog, issues = build_catalog(directory)
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
