"""Issues at `file:line` while reading line-aware YAML by hand (the foreign importers' formats).

Native segq files are validated against their document models instead (`documents.py`).
"""

from __future__ import annotations

from typing import Any

from assistant.catalog.yaml_loader import LineDict, LineList
from assistant.errors import Issue


def kind_of(value: Any) -> str:
    """How a message names a value of the wrong shape."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "nothing" if value is None else f"the value {str(value)[:40]!r}"


class LineReporter:
    """Collects issues for one file at a time (`file`), each at its mapping's or key's line."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.file = ""

    def where(self, node: Any, key: str | None = None) -> str:
        line = 0
        if isinstance(node, LineDict):
            line = node.line_of(key) if key else node.line
        return f"{self.file}:{line}" if line else self.file

    def where_item(self, items: Any, index: int) -> str:
        line = items.line_at(index) if isinstance(items, LineList) else 0
        return f"{self.file}:{line}" if line else self.file

    def error(self, node: Any, message: str, rule: str, key: str | None = None) -> None:
        self.issues.append(Issue("error", message, self.where(node, key), rule))

    def items(self, node: Any, key: str, kind: str, owner: str) -> list[LineDict]:
        """The mappings listed under `key`; anything else listed there is an error at its line."""
        value = node.get(key) if isinstance(node, dict) else None
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(node, f"`{key}` of {owner} must be a list of {kind}s.", "shape", key)
            return []
        for index, item in enumerate(value):
            if not isinstance(item, LineDict):
                self.issues.append(Issue("error", f"An item of `{key}` of {owner} must be a "
                                         f"{kind}, got {kind_of(item)}. Accepted: a mapping "
                                         "(`- name: ...` and its keys). Rewrite this item.",
                                         self.where_item(value, index), "shape"))
        return [item for item in value if isinstance(item, LineDict)]

    def strings(self, node: dict[str, Any], key: str) -> tuple[str, ...]:
        value = node.get(key) or []
        if isinstance(value, str | int | float):
            value = [value]
        if not isinstance(value, list) or any(isinstance(v, dict | list) for v in value):
            self.error(node, f"`{key}` must be a list of words, got {kind_of(value)}. Write it "
                       f"as `{key}: [first, second]`.", "shape", key)
            return ()
        return tuple(str(v) for v in value)
