"""Eval suites as files: cases with gold expectations, read strictly enough to be scorable.

A suite is YAML so the data team can add a question without touching code; every case keeps
its `file:line`, so a failing case in a report can be found and fixed.
"""

from __future__ import annotations

import dataclasses
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
    # The suite's own models and as-of date (a suite over a foreign model, e.g. a dbt project);
    # empty: the configured ones.
    semantic_models: str = ""
    as_of: str = ""

    @property
    def setup(self) -> tuple[str, str]:
        """What the case needs the assistant configured with: (semantic_models, as_of)."""
        return self.semantic_models, self.as_of


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
    suite: dict[str, Any] = {}
    if isinstance(data, dict) and isinstance(node, yaml.MappingNode):
        suite, data, node = _suite_header(data, node, file)
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise ConfigError(
            f"{file}:1: an eval file must be a list of cases (`- id: ...`), or a mapping with "
            "`cases:` and the suite's `semantic_models:` / `as_of:`.", file=str(file)
        )
    return [
        dataclasses.replace(_parse_case(item, file, item_node.start_mark.line + 1), **suite)
        for item, item_node in zip(data, node.value, strict=True)
    ]


SUITE_KEYS = ("semantic_models", "as_of", "cases", "description")


def _suite_header(data: dict, node: yaml.MappingNode,
                  file: Path) -> tuple[dict[str, Any], Any, Any]:
    """A suite over its own models: `semantic_models` (a path relative to the suite file, e.g.
    a dbt project) and `as_of`, then `cases:`; returns them, the cases and their node."""
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    for key in data:
        if key not in SUITE_KEYS:
            raise ConfigError(f"{file}:{lines.get(str(key), 1)}: unknown suite key `{key}`. "
                              f"Accepted: {', '.join(SUITE_KEYS)}.", file=str(file))
    suite: dict[str, Any] = {}
    if data.get("semantic_models"):
        models = (file.parent / str(data["semantic_models"])).resolve()
        if not models.exists():
            line = lines["semantic_models"]
            raise ConfigError(f"{file}:{line}: the suite's semantic_models `{models}` does not "
                              "exist (the path is relative to the suite file).",
                              file=str(file), line=line)
        suite["semantic_models"] = str(models)
    if data.get("as_of"):
        suite["as_of"] = str(data["as_of"])
    cases = next((v for k, v in node.value if k.value == "cases"), None)
    return suite, data.get("cases"), cases


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
