"""Line-aware YAML loading: every mapping remembers the line of itself and of each key.

Definitions carry `source = "file:line"` from here, so every catalog error and every
answer can point at the exact place a rule is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from assistant.errors import Issue


class LineDict(dict):
    """A mapping that knows where it was written."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _LineLoader(yaml.SafeLoader):
    duplicate_keys: list[tuple[str, int]]


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in result:
            loader.duplicate_keys.append((str(key), line))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path, display: str = "") -> tuple[Any, list[Issue]]:
    """Parse one file; syntax errors and duplicate keys come back as issues, not exceptions."""
    shown = display or str(path)
    text = path.read_text(encoding="utf-8")
    loader = _LineLoader(text)
    loader.duplicate_keys = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        return None, [
            Issue("error", f"is not valid YAML: {problem}. Fix the syntax on this line.",
                  f"{shown}:{line}", "yaml-syntax")
        ]
    finally:
        loader.dispose()
    issues = [
        Issue("error", f"repeats the key `{key}`; the later value would silently win. Keep one.",
              f"{shown}:{line}", "duplicate-key")
        for key, line in loader.duplicate_keys
    ]
    return data, issues
