"""The planner and compiler stay made of small passes: no function over 60 lines, and no
catalog object named in their code (the catalog's roles say what each object is for)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from assistant.catalog import load_catalog

PACKAGE = Path(__file__).resolve().parents[2] / "assistant"
MODULES = sorted([*(PACKAGE / "planner").glob("*.py"), *(PACKAGE / "compiler").glob("*.py")])


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_function_is_longer_than_sixty_lines(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [(node.name, node.end_lineno - node.lineno + 1) for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.end_lineno - node.lineno + 1 > 60]
    assert not long, f"{path.name}: {long}"


def test_the_planner_names_no_metric_segment_or_parameter_of_the_demo_catalog() -> None:
    catalog = load_catalog(PACKAGE.parent / "semantic_models")
    params = [p for s in catalog.segments.values() for p in s.parameters]
    words_of_roles = {p.role for p in params} | {p.unit for p in params}  # "threshold", "weeks"
    names = {*catalog.metrics, *catalog.segments, *(p.name for p in params)} - words_of_roles
    found = []
    for path in sorted((PACKAGE / "planner").glob("*.py")):
        code = path.read_text(encoding="utf-8")
        found += [(path.name, name) for name in names
                  if re.search(rf"""["']{re.escape(name)}["']""", code)]
    assert not found


def test_the_fixed_refusal_text_names_no_definition_so_it_leaks_none() -> None:
    """Who may see which definition depends on access; the list comes from "what can I ask?"."""
    from assistant import messages

    catalog = load_catalog(PACKAGE.parent / "semantic_models")
    labels = [o.label.lower() for o in (*catalog.segments.values(), *catalog.metrics.values())]
    text = messages.REFUSE_OFF_TOPIC.lower()
    assert not [label for label in labels if label in text]
