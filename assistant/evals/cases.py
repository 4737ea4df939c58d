"""Eval suites as files: cases with gold expectations, read strictly enough to be scorable.

A suite is YAML so the data team can add a question without touching code; every case keeps
its `file:line`, so a failing case in a report can be found and fixed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import ConfigError

KINDS = ("sql", "status", "definition")
STATUSES = ("answered", "clarify", "refused", "error")


@dataclass(frozen=True)
class EvalCase:
    """One question and what a correct answer must look like."""

    id: str
    question: str
    kind: str  # sql | status | definition
    expect: dict[str, Any] = field(hash=False)
    family: str
    source: str  # file:line, so a failing case can be found and fixed
    tags: tuple[str, ...] = ()


def load_cases(paths: Sequence[Path]) -> list[EvalCase]:
    """Read cases from files and directories (`*.yaml`/`*.yml`, sorted), in that order.

    Unknown keys are ignored so suites can carry notes and tags; anything that would make a case
    unscorable (bad YAML, no id, no expectation, a repeated id) raises `ConfigError` naming the
    file and line.
    """
    cases: list[EvalCase] = []
    seen: dict[str, str] = {}
    for file in _case_files(paths):
        for case in _load_file(file):
            if case.id in seen:
                raise ConfigError(
                    f"{case.source}: eval case id `{case.id}` is already used at "
                    f"{seen[case.id]}. Give each case a unique id.",
                    file=str(file),
                )
            seen[case.id] = case.source
            cases.append(case)
    return cases


def _case_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(f"Eval file `{path}` does not exist.", file=str(path))
    return files


def _load_file(file: Path) -> list[EvalCase]:
    text = file.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(
            f"{file}:{line}: eval file is not valid YAML: {problem}.", file=str(file), line=line
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}:1: eval file is not valid YAML: {exc}.", file=str(file)) from exc
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise ConfigError(
            f"{file}:1: an eval file must be a list of cases (`- id: ...`).", file=str(file)
        )
    return [
        _parse_case(item, file, item_node.start_mark.line + 1)
        for item, item_node in zip(data, node.value, strict=True)
    ]


def _parse_case(item: Any, file: Path, line: int) -> EvalCase:
    where = f"{file}:{line}"

    def fail(problem: str) -> ConfigError:
        return ConfigError(f"{where}: {problem}", file=str(file), line=line)

    if not isinstance(item, dict):
        raise fail("an eval case must be a mapping with `id`, `question` and `expect`.")
    for key in ("id", "question"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise fail(f"eval case has no `{key}` (a non-empty string).")
    expect = item.get("expect")
    if not isinstance(expect, dict):
        expect = {}
    kinds = [k for k in ("sql", "definition", "status") if k in expect]
    if len(kinds) != 1:
        raise fail(
            f"eval case `{item['id']}` needs `expect` with exactly one of `sql`, `status`, "
            "`definition`, e.g. `expect: {status: clarify}`."
        )
    key = kinds[0]
    value = expect[key]
    if not isinstance(value, str) or not value.strip():
        raise fail(f"eval case `{item['id']}`: `expect.{key}` must be a non-empty string.")
    if key == "status" and value not in STATUSES:
        raise fail(
            f"eval case `{item['id']}` expects status `{value}`. Accepted: {', '.join(STATUSES)}."
        )
    kind = "sql" if key == "sql" else key
    tags = item.get("tags") or ()
    return EvalCase(
        id=item["id"],
        question=item["question"],
        kind=kind,
        expect={key: value},
        family=str(item.get("family") or _derived_family(kind, value, file)),
        source=where,
        tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (str(tags),),
    )


def _derived_family(kind: str, value: str, file: Path) -> str:
    """Without an explicit family: the definition asked about, the status, or the file name."""
    if kind == "definition":
        return value
    if kind == "status":
        return value
    return file.stem
