"""Validate a line-aware YAML mapping against a document model; word each error at its line.

Pydantic says where a value is wrong as a path (`segments, 2, parameters, 0, defualt`). This
module walks that path through the document models and the line-aware YAML together, so each
error names the object (``Parameter `weeks` of segment `engaged_users` ``), says what is wrong
and what is accepted (the model's keys, a `Literal`'s values, "did you mean"), and points at
the `file:line` of the key or item. Issues keep the rules the hand-written checks had
(`unknown-key`, `missing-key`, `bad-value`, `bad-access`, `shape`, `type`, `bounds`).

After reporting, the offending values are pruned and the rest validated again, so one typo
costs one issue: an unknown key is dropped, a bad value falls back to its default (an `access`
value to `restricted`, so a typo can only hide), and an object missing a required key is left
out, as the builder always did.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from assistant.catalog.documents import Document, accepted_keys
from assistant.catalog.reporter import kind_of
from assistant.catalog.yaml_loader import LineDict, LineList
from assistant.errors import Issue
from assistant.messages import did_you_mean

D = TypeVar("D", bound=Document)
_GONE = object()  # a pruned value, removed from its mapping or list


@dataclass(frozen=True)
class _Step:
    """A document on the path to an error: its model, its YAML, where it starts in the path."""

    model: type[Document]
    raw: Any
    start: int
    listed: bool  # an item of a list (`A member`), not a single value (`The cluster`)


@dataclass(frozen=True)
class _Located:
    steps: list[_Step]
    final: Any  # the annotation at the end of the path
    parent: Any  # the annotation of the value holding the last path element


def validate_document(model: type[D], data: Any, file: str, *,
                      rename: Callable[[tuple[int | str, ...], str], str] | None = None,
                      attempts: int = 8) -> tuple[D | None, list[Issue]]:
    """`data` as a `model`, and an issue per problem; None only when nothing could be kept.

    `rename(loc, rule)` may give a part of the document its own rules (the access section's
    are `access-unknown-key`, ...)."""
    issues: list[Issue] = []
    for attempt in range(attempts):
        try:
            return model.model_validate(data, context={"file": file}), issues
        except ValidationError as exc:
            errors = exc.errors()
        errors = [e for e in errors if not _inside(e, errors)]
        located = [(error, _locate(model, data, error["loc"])) for error in errors]
        if attempt == 0:  # later rounds only meet what pruning left (an object missing a key)
            for error, where in located:
                rule, message, line = _word(error, where, file)
                issues.append(Issue("error", message, f"{file}:{line}" if line else file,
                                    rename(error["loc"], rule) if rename else rule))
        for error, where in located:
            path, value = _prune_at(error, where)
            if not path:
                return None, issues
            data = _replaced(data, path, value)
        data = _swept(data)
    return None, issues


def _inside(error: ErrorDetails, errors: list[ErrorDetails]) -> bool:
    """A list's length error that only counts the items already reported as wrong."""
    loc = error["loc"]
    return error["type"] in ("too_short", "too_long") and any(
        len(e["loc"]) > len(loc) and e["loc"][:len(loc)] == loc for e in errors)


# -- walking the path ------------------------------------------------------------------------


def _strip(annotation: Any) -> Any:
    """The type under `Annotated[...]` and `X | None`."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            annotation = members[0] if len(members) == 1 else annotation
            if len(members) != 1:
                return annotation
        else:
            return annotation


def _is_document(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Document)


def _locate(model: type[Document], data: Any, loc: tuple[int | str, ...]) -> _Located:
    steps = [_Step(model, data, 0, False)]
    annotation: Any = model
    parent: Any = None
    raw = data
    for index, elem in enumerate(loc):
        parent, annotation = annotation, _strip(annotation)
        if _is_document(annotation):
            field = next((f for name, f in annotation.model_fields.items()
                          if (f.alias or name) == elem), None)
            if field is None:
                return _Located(steps, None, annotation)
            annotation = field.annotation
        elif get_origin(annotation) is tuple and isinstance(elem, int):
            args = get_args(annotation)
            annotation = args[0] if len(args) == 2 and args[1] is Ellipsis else (
                args[elem] if elem < len(args) else None)
        elif get_origin(annotation) is dict:
            annotation = get_args(annotation)[1]
        else:
            return _Located(steps, None, parent)
        raw = _child(raw, elem)
        if _is_document(_strip(annotation)):
            steps.append(_Step(_strip(annotation), raw, index + 1, isinstance(elem, int)))
    return _Located(steps, annotation, parent)


def _child(raw: Any, elem: int | str) -> Any:
    if isinstance(raw, dict):
        return raw.get(elem)
    if isinstance(raw, list) and isinstance(elem, int) and elem < len(raw):
        return raw[elem]
    return None


def _owner(where: _Located, loc: tuple[int | str, ...]) -> _Step:
    """The innermost document that holds the wrong key or value."""
    return [s for s in where.steps if s.start < len(loc) or s.start == 0][-1]


def _line(raw: Any, path: tuple[int | str, ...]) -> int:
    line = raw.line if isinstance(raw, LineDict | LineList) else 0
    for elem in path:
        if isinstance(raw, LineDict) and elem in raw:
            line, raw = raw.line_of(str(elem)), raw[elem]
        elif isinstance(raw, LineList) and isinstance(elem, int) and elem < len(raw):
            line, raw = raw.line_at(elem), raw[elem]
        else:
            break
    return line


def _name(step: _Step) -> str:
    raw = step.raw if isinstance(step.raw, dict) else {}
    value = raw.get("name", raw.get("value", raw.get("question")))
    return str(value) if isinstance(value, str | int | float) and value != "" else ""


def phrase(steps: list[_Step], file: str) -> str:
    """How a message names the object: ``Member `high` of segment `churn_risk` ``."""
    if len(steps) == 1:
        return f"Model file `{file.rsplit('/', 1)[-1]}`"
    step, outer = steps[-1], steps[1:-1]
    kind, name = step.model.kind, _name(step)
    if kind == "column" and name and outer and _name(outer[-1]):
        return f"Column `{_name(outer[-1])}.{name}`"
    if name:
        text = f"{kind.capitalize()} `{name}`"
    else:
        text = f"{'An' if kind[0] in 'aeiou' else 'A'} {kind}" if step.listed else f"The {kind}"
    if not outer:
        return text
    parent = phrase(steps[:-1], file)
    return f"{text} of {parent[0].lower()}{parent[1:]}"


# -- wording -----------------------------------------------------------------------------------


def _shown(path: tuple[int | str, ...]) -> str:
    return str(path[0]) + "".join(f"[{e}]" if isinstance(e, int) else f".{e}" for e in path[1:])


def _word(error: ErrorDetails, where: _Located, file: str) -> tuple[str, str, int]:
    """(rule, message, line) of one pydantic error."""
    loc, kind, value = error["loc"], error["type"], error["input"]
    owner = _owner(where, loc)
    steps = where.steps[:where.steps.index(owner) + 1]
    path = loc[owner.start:]
    line = _line(owner.raw, path)
    who = phrase(steps, file)
    of = f"of {who[0].lower()}{who[1:]}"
    key = str(path[0]) if path else ""
    shown = _shown(path) if path else key
    target = next((s for s in where.steps if s.start == len(loc) and s.start), None)
    if kind == "extra_forbidden":
        accepted = accepted_keys(owner.model)
        hint = did_you_mean(key, accepted)
        if len(steps) == 1:
            return ("unknown-key", f"has unknown top-level key `{key}`. Accepted: "
                    f"{', '.join(accepted)}.{hint}", line)
        return ("unknown-key", f"{who} has unknown key `{key}`. Accepted keys: "
                f"{', '.join(accepted)}.{hint}", line)
    if kind == "missing" and len(path) == 1:
        return "missing-key", f"{who} is missing required key `{key}`.", owner.raw.line
    if kind == "literal_error":
        accepted = [str(a) for a in get_args(_strip(where.final))]
        what = key[:-1] if len(path) > 1 and key.endswith("s") else key
        return ("bad-access" if key == "access" else "bad-value",
                f"{who} has {what} `{value}`. Accepted: {', '.join(accepted)}."
                f"{did_you_mean(str(value), accepted)}", line)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if target is not None and isinstance(path[-1], int):
            return ("shape", f"An item of `{_shown(path[:-1])}` {of} must be a "
                    f"{target.model.kind}, got "
                    f"{kind_of(value)}. Accepted: a mapping (`- name: ...` and its keys). "
                    "Rewrite this item.", line)
        keys = f" Accepted keys: {', '.join(accepted_keys(target.model))}." if target else ""
        return "shape", f"`{shown}` {of} must be a mapping, got {kind_of(value)}.{keys}", line
    if kind in ("tuple_type", "list_type") or (
            kind == "string_type" and _words(where.parent) and isinstance(path[-1], int)):
        if kind == "string_type":
            listed, got = _shown(path[:-1]), f"; item {int(path[-1]) + 1} is {kind_of(value)}"
        else:
            listed, got = shown, f", got {kind_of(value)}"
        if _words(where.final) or _words(where.parent):
            return ("shape", f"`{listed}` {of} must be a list of words{got}. Write it as "
                    f"`{listed}: [first, second]`.", line)
        args = get_args(_strip(where.final))
        item = _strip(args[0]) if args else None
        noun = f"{item.kind}s" if item is not None and _is_document(item) else "values"
        return "shape", f"`{shown}` {of} must be a list of {noun}, got {kind_of(value)}.", line
    if kind == "string_type":
        return "shape", f"`{shown}` {of} must be text, got {kind_of(value)}.", line
    if kind in ("number_type", "int_type", "int_from_float", "bool_type"):
        expected = {"number_type": "a finite number such as 14 or 0.5",
                    "bool_type": "true or false"}.get(kind, "a whole number such as 14")
        return "type", f"`{shown}` {of} must be {expected}, got {value!r}.", line
    context = error.get("ctx", {})
    for bound, words in (("ge", "at least"), ("gt", "above"), ("le", "at most"),
                         ("lt", "below")):
        if bound in context:
            return ("bounds", f"{who} has `{shown}: {value}`; it must be {words} "
                    f"{context[bound]}.", line)
    if kind == "too_short" or (kind == "missing" and isinstance(path[-1], int)):
        if not value:
            return "missing-key", f"{who} has no `{shown}`; list at least one.", line
        return "shape", f"`{_shown(path[:-1]) if kind == 'missing' else shown}` {of} has " \
            "too few items.", line
    if kind == "too_long":
        return "shape", f"`{shown}` {of} has too many items ({len(value)}).", line
    return "shape", f"`{shown}` {of} cannot be read: {error['msg']}.", line


def _words(annotation: Any) -> bool:
    """A list of words (`synonyms`, `columns`, `requires`, ...)."""
    annotation = _strip(annotation)
    return get_origin(annotation) is tuple and get_args(annotation) == (str, Ellipsis)


# -- pruning -----------------------------------------------------------------------------------


def _prune_at(error: ErrorDetails, where: _Located) -> tuple[tuple[int | str, ...], Any]:
    """Where to prune after `error`, and what to put there (`_GONE`: remove it)."""
    loc = error["loc"]
    if error["type"] == "missing" and isinstance(loc[-1], str):  # the object cannot be built
        return loc[:_owner(where, loc).start], _GONE
    if error["type"] == "missing":  # a short fixed-length list: its default
        return loc[:-1], _GONE
    if error["type"] == "literal_error" and loc[-1] == "access" and _is_literal(where.final):
        return loc, "restricted"
    return loc, _GONE


def _is_literal(annotation: Any) -> bool:
    return get_origin(_strip(annotation)) is Literal


def _replaced(node: Any, path: tuple[int | str, ...], value: Any) -> Any:
    """A copy of `node` with the value at `path` replaced, keeping every line."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict) and head in node:
        copy = _copy_dict(node, node.items())
        copy[head] = _replaced(node[head], rest, value)
        return copy
    if isinstance(node, list) and isinstance(head, int) and head < len(node):
        items = list(node)
        items[head] = _replaced(node[head], rest, value)
        return _copy_list(node, items, getattr(node, "item_lines", None))
    return node


def _swept(node: Any) -> Any:
    """`node` without the pruned values."""
    if isinstance(node, dict):
        return _copy_dict(node, ((k, _swept(v)) for k, v in node.items() if v is not _GONE))
    if isinstance(node, list):
        lines = getattr(node, "item_lines", None)
        kept = [i for i, v in enumerate(node) if v is not _GONE]
        return _copy_list(node, [_swept(node[i]) for i in kept],
                          [lines[i] for i in kept if i < len(lines)] if lines else None)
    return node


def _copy_dict(node: dict[Any, Any], items: Any) -> dict[Any, Any]:
    copy = LineDict(items) if isinstance(node, LineDict) else dict(items)
    if isinstance(node, LineDict) and isinstance(copy, LineDict):
        copy.line, copy.key_lines = node.line, node.key_lines
    return copy


def _copy_list(node: list[Any], items: list[Any], lines: list[int] | None) -> list[Any]:
    if not isinstance(node, LineList):
        return items
    copy = LineList(items)
    copy.line, copy.item_lines = node.line, lines if lines is not None else node.item_lines
    return copy
