"""Line-aware, bounded YAML loading: every mapping remembers the line of itself and of each key.

Definitions carry `source = "file:line"` from here, so every catalog error and every
answer can point at the exact place a rule is written.

Every process that answers questions loads these files, so a hostile or broken file must fail
fast and in words, never hang or raise: its size is checked before it is read, its bytes before
they are parsed, and its node graph (depth, aliases, size once aliases are expanded) while it is
composed, before any Python object is built. libyaml parses when it is installed (about five
times faster); the composer that enforces the limits is the same either way.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent, Event
from yaml.nodes import MappingNode, Node
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from assistant import messages
from assistant.errors import Issue


@dataclass(frozen=True)
class LoadLimits:
    """What one model file may hold. The real models use at most 6 KB, 600 values, depth 9 and
    no aliases. Each limit leaves ample room and bounds a file's load: composing costs tens of
    microseconds per value, so it is the value budget that keeps the worst file within limits
    loading in about a quarter of a second with libyaml (under a second without)."""

    max_file_bytes: int = 256_000
    max_depth: int = 32
    max_aliases: int = 100
    max_nodes: int = 5_000  # values (scalars, lists, mappings), counted with aliases expanded


LIMITS = LoadLimits()

_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)  # exactly the characters YAML 1.1 (and PyYAML's reader) refuses


class LineDict(dict):
    """A mapping that knows where it was written."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A sequence that knows the line of each item, so a misshapen item can be pointed at."""

    line: int = 0
    item_lines: list[int]

    def line_at(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _LimitExceeded(ComposerError):
    def __init__(self, rule: str, message: str, mark: Any) -> None:
        super().__init__(None, None, message, mark)
        self.rule = rule


class _BoundedComposer(Composer):
    """PyYAML's composer with a budget: depth, aliases and expanded node count are checked
    as each node is composed, so an alias bomb stops after a few thousand nodes instead of
    expanding to a billion later (in `_plain`, hashing, or anything else that walks it)."""

    limits: LoadLimits
    display: str
    peek_event: Callable[[], Event]  # from the parser this composer is mixed with

    def start_budget(self, limits: LoadLimits, display: str) -> None:
        self.limits, self.display = limits, display
        self.depth = self.deepest = self.nodes = self.aliases = 0
        self.expanded: dict[int, tuple[int, int]] = {}  # id(anchored node) -> (nodes, depth)

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()
        mark = event.start_mark
        if isinstance(event, AliasEvent):
            self.aliases += 1
            if self.aliases > self.limits.max_aliases:
                raise _LimitExceeded("alias-limit", messages.yaml_too_many_aliases(
                    self.display, self.limits.max_aliases), mark)
            node = super().compose_node(parent, index)
            if id(node) not in self.expanded:
                raise _LimitExceeded("recursive-alias", messages.yaml_recursive_alias(
                    self.display, str(event.anchor)), mark)
            nodes, depth = self.expanded[id(node)]
            self._spend(nodes, self.depth + depth, mark)
            return node
        before, outer_deepest = self.nodes, self.deepest
        self._spend(1, self.depth + 1, mark)
        self.deepest = self.depth + 1
        self.depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        if getattr(event, "anchor", None) is not None:
            self.expanded[id(node)] = (self.nodes - before, self.deepest - self.depth)
        self.deepest = max(outer_deepest, self.deepest)
        return node

    def _spend(self, nodes: int, depth: int, mark: Any) -> None:
        self.nodes += nodes
        self.deepest = max(self.deepest, depth)
        if depth > self.limits.max_depth:
            raise _LimitExceeded("nesting-limit", messages.yaml_too_deep(
                self.display, self.limits.max_depth), mark)
        if self.nodes > self.limits.max_nodes:
            raise _LimitExceeded("node-limit", messages.yaml_too_many_nodes(
                self.display, self.limits.max_nodes, expanded=self.aliases > 0), mark)


class _LineConstructor(SafeConstructor):
    duplicate_keys: list[tuple[str, int]]

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date 2026-13-45
            raise ConstructorError(None, None, f"cannot read this value ({exc})",
                                   node.start_mark) from None


def _construct_mapping(loader: _LineConstructor, node: MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            raise ConstructorError(None, None, "a key must be a plain value, not a list or "
                                   "mapping", key_node.start_mark) from None
        if key in result:
            loader.duplicate_keys.append((str(key), line))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_sequence(loader: _LineConstructor, node: yaml.SequenceNode) -> LineList:
    # Built in one step: recursive structures were refused while composing.
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


# The stubs type `add_constructor` for the stock Loader classes only; this mixin works the same.
_LineConstructor.add_constructor(  # type: ignore[type-var]
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineConstructor.add_constructor(  # type: ignore[type-var]
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class _PyLoader(Reader, Scanner, Parser, _BoundedComposer, _LineConstructor, Resolver):
    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        _BoundedComposer.__init__(self)
        _LineConstructor.__init__(self)
        Resolver.__init__(self)


_Loader: Any = _PyLoader
if yaml.__with_libyaml__:  # else PyYAML was built without libyaml: pure Python, same limits
    from yaml._yaml import CParser

    class _CLoader(_BoundedComposer, CParser, _LineConstructor, Resolver):
        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            _BoundedComposer.__init__(self)
            _LineConstructor.__init__(self)
            Resolver.__init__(self)

    _Loader = _CLoader


def load_yaml(path: Path, display: str = "", *, top_keys: Collection[str] = (),
              limits: LoadLimits = LIMITS) -> tuple[LineDict | None, list[Issue]]:
    """Parse one model file into a mapping; every way it can fail is an issue at `file:line`.

    An empty file or one whose top level is not a mapping is an error, never skipped: its
    definitions would otherwise vanish and their questions go to whatever else matches.
    """
    shown = display or str(path)

    def issue(line: int, message: str, rule: str) -> tuple[None, list[Issue]]:
        return None, [Issue("error", message, f"{shown}:{line}", rule)]

    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return issue(1, messages.yaml_not_a_file(shown), "file-type")
        if info.st_size > limits.max_file_bytes:
            return issue(1, messages.yaml_too_large(shown, info.st_size, limits.max_file_bytes),
                         "file-size")
        with path.open("rb") as handle:
            raw = handle.read(limits.max_file_bytes + 1)
    except OSError as exc:
        return issue(1, messages.yaml_unreadable(shown, exc), "file-unreadable")
    if len(raw) > limits.max_file_bytes:  # grew since stat
        return issue(1, messages.yaml_too_large(shown, len(raw), limits.max_file_bytes),
                     "file-size")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(raw, exc.start)
        return issue(line, messages.yaml_not_utf8(shown, raw[exc.start], line, column),
                     "encoding")
    return load_yaml_text(text, shown, top_keys=top_keys, limits=limits)


def load_yaml_text(text: str, shown: str, *, top_keys: Collection[str] = (),
                   limits: LoadLimits = LIMITS) -> tuple[LineDict | None, list[Issue]]:
    """`load_yaml` of text already read (a rendered template), with the same limits."""

    def issue(line: int, message: str, rule: str) -> tuple[None, list[Issue]]:
        return None, [Issue("error", message, f"{shown}:{line}", rule)]

    if len(text.encode("utf-8")) > limits.max_file_bytes:
        return issue(1, messages.yaml_too_large(shown, len(text), limits.max_file_bytes),
                     "file-size")
    bad = _NON_PRINTABLE.search(text)
    if bad:
        line, column = _position(text, bad.start())
        return issue(line, messages.yaml_control_character(shown, bad.group(), line, column),
                     "control-character")

    loader = _Loader(text)
    loader.start_budget(limits, shown)
    loader.duplicate_keys = []
    try:
        node = loader.get_single_node()
        if node is None:
            return issue(1, messages.yaml_empty(shown, top_keys), "empty-file")
        if not isinstance(node, MappingNode):
            return issue(node.start_mark.line + 1,
                         messages.yaml_not_a_mapping(shown, node.id, top_keys), "shape")
        data = loader.construct_document(node)
    except _LimitExceeded as exc:
        return issue(_line(exc), exc.problem or "", exc.rule)
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context or "invalid YAML"
        if "nesting depth" in problem:  # libyaml's own guard, met before ours in flow syntax
            return issue(_line(exc), messages.yaml_too_deep(shown, limits.max_depth),
                         "nesting-limit")
        return issue(_line(exc), messages.yaml_syntax(shown, problem), "yaml-syntax")
    except yaml.YAMLError as exc:  # a reader error without a mark
        return issue(1, messages.yaml_syntax(shown, str(exc).splitlines()[0]), "yaml-syntax")
    finally:
        loader.dispose()
    issues = [
        Issue("error", f"repeats the key `{key}`; the later value would silently win. Keep one.",
              f"{shown}:{line}", "duplicate-key")
        for key, line in loader.duplicate_keys
    ]
    return data, issues


def _line(exc: yaml.MarkedYAMLError) -> int:
    mark = exc.problem_mark or exc.context_mark
    return mark.line + 1 if mark else 1


def _position(text: str | bytes, offset: int) -> tuple[int, int]:
    """1-based (line, column) of `offset`; for bytes, the column counts bytes."""
    before = text[:offset] if isinstance(text, str) else text[:offset].decode("latin-1")
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def load_yaml_documents(path: Path, display: str = "", *,
                        limits: LoadLimits = LIMITS) -> tuple[list[LineDict], list[Issue]]:
    """A `---`-separated file (MetricFlow's manifest documents) as line-aware mappings, with
    the same limits as `load_yaml`; each document's lines are lines of the file."""
    shown = display or str(path)
    try:
        if path.stat().st_size > limits.max_file_bytes:
            return [], [Issue("error", messages.yaml_too_large(shown, path.stat().st_size,
                                                               limits.max_file_bytes),
                              f"{shown}:1", "file-size")]
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Issue("error", f"cannot be read ({exc}).", f"{shown}:1", "file-unreadable")]
    loader = _Loader(text)
    loader.start_budget(limits, shown)
    loader.duplicate_keys = []
    docs: list[LineDict] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if isinstance(node, MappingNode):
                docs.append(loader.construct_document(node))
            elif node is not None:
                return docs, [Issue("error", messages.yaml_not_a_mapping(shown, node.id, ()),
                                    f"{shown}:{node.start_mark.line + 1}", "shape")]
    except _LimitExceeded as exc:
        return docs, [Issue("error", exc.problem or "", f"{shown}:{_line(exc)}", exc.rule)]
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context or "invalid YAML"
        return docs, [Issue("error", messages.yaml_syntax(shown, problem),
                            f"{shown}:{_line(exc)}", "yaml-syntax")]
    except yaml.YAMLError as exc:  # a reader error (a control character) has no mark
        return docs, [Issue("error", messages.yaml_syntax(shown, str(exc).splitlines()[0]),
                            f"{shown}:1", "yaml-syntax")]
    finally:
        loader.dispose()
    return docs, [Issue("error", f"repeats the key `{key}`; the later value would silently "
                        "win. Keep one.", f"{shown}:{line}", "duplicate-key")
                  for key, line in loader.duplicate_keys]
