"""Turn line-aware YAML into typed catalog objects, strictly.

Unknown keys are errors (a typo such as `decline_ration` must not be silently ignored);
every problem is collected so `segq validate` can list them all at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant import messages
from assistant.access.models import ACCESS_VALUES
from assistant.catalog.cluster_builder import centroid, cluster_spec
from assistant.catalog.models import (
    Catalog,
    Column,
    Dimension,
    DimensionValue,
    Example,
    Member,
    Metric,
    Parameter,
    Relationship,
    Segment,
    Stage,
    Table,
)
from assistant.catalog.relationships import from_references, relationship
from assistant.catalog.yaml_loader import LIMITS, LineDict, LineList, LoadLimits, load_yaml
from assistant.errors import Issue
from assistant.messages import did_you_mean

TOP_KEYS = {"tables", "dimensions", "metrics", "segments", "access", "relationships"}
KEYS: dict[str, tuple[set[str], set[str]]] = {  # object kind -> (required, optional)
    "table": ({"name", "columns"}, {"description", "primary_key"}),
    "column": ({"name", "type"}, {"access", "references", "description"}),
    "dimension": ({"name", "table", "column"},
                  {"label", "description", "synonyms", "values", "type", "grains", "role",
                   "access"}),
    "value": ({"value"}, {"label", "synonyms"}),
    "metric": ({"name", "table", "expr"},
               {"label", "description", "owner", "version", "filter", "time_column",
                "default_window_days", "synonyms", "role", "windows", "restated_by"}),
    "segment": ({"name", "stages"},
                {"label", "description", "owner", "version", "access", "entity", "synonyms",
                 "parameters", "requires", "where", "columns", "member_column", "members",
                 "history", "fitted", "examples", "rank_by", "restated_by", "summary",
                 "cluster"}),
    "parameter": ({"name", "default", "min", "max"},
                  {"label", "synonyms", "description", "role", "unit"}),
    "member": ({"name"},
               {"label", "description", "synonyms", "when", "match", "summary", "centroid"}),
    "stage": ({"name", "sql"}, set()),
    "example": ({"question", "plan"}, set()),
    "window": ({"days", "synonyms"}, set()),
    "relationship": ({"name", "from", "to", "keys", "type"}, {"unique_key", "description"}),
}
# Roles tell the planner what an object is for, so no planner code names a catalog object.
ROLES: dict[str, tuple[str, ...]] = {
    "metric": ("population", "buyers"),
    "dimension": ("geography",),
    "parameter": ("window", "threshold"),
}


def content_hash(raw: Any) -> str:
    """Stable short hash of a definition's content, shown with every answer."""
    text = json.dumps(raw, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class _Builder:
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

    def check_keys(self, node: Any, kind: str, name: str) -> bool:
        if not isinstance(node, dict):
            self.error(node, f"{kind.capitalize()} {name} must be a mapping, got "
                       f"{type(node).__name__}.", "shape")
            return False
        required, optional = KEYS[kind]
        accepted = required | optional
        for key in node:
            if key not in accepted:
                self.error(node, f"{kind.capitalize()} `{name}` has unknown key `{key}`. "
                           f"Accepted keys: {', '.join(sorted(accepted))}."
                           f"{did_you_mean(str(key), accepted)}", "unknown-key", key)
        for key in sorted(required - set(node)):
            self.error(node, f"{kind.capitalize()} `{name}` is missing required key `{key}`.",
                       "missing-key")
        return not (required - set(node))

    def access_value(self, node: dict, what: str) -> str:
        """`access:` of a column or segment; anything but the accepted values is an error and
        reads as `restricted`, so a typo can only ever hide, never show."""
        value = str(node.get("access", "public"))
        if value not in ACCESS_VALUES:
            self.error(node, f"{what} has access `{value}`. Accepted: "
                       f"{', '.join(ACCESS_VALUES)}.{did_you_mean(value, ACCESS_VALUES)}",
                       "bad-access", "access")
            return "restricted"
        return value

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
                                         f"{kind}, got {_kind_of(item)}. Accepted: a mapping "
                                         "(`- name: ...` and its keys). Rewrite this item.",
                                         self.where_item(value, index), "shape"))
        return [item for item in value if isinstance(item, LineDict)]

    def strings(self, node: dict, key: str) -> tuple[str, ...]:
        value = node.get(key) or []
        if isinstance(value, str | int | float):
            value = [value]
        if not isinstance(value, list) or any(isinstance(v, dict | list) for v in value):
            self.error(node, f"`{key}` must be a list of words, got {_kind_of(value)}. Write it "
                       f"as `{key}: [first, second]`.", "shape", key)
            return ()
        return tuple(str(v) for v in value)

    def mapping(self, node: dict, key: str, owner: str) -> dict[str, Any]:
        value = node.get(key) or {}
        if not isinstance(value, dict):
            self.error(node, f"`{key}` of {owner} must be a mapping, got {_kind_of(value)}.",
                       "shape", key)
            return {}
        return _plain(value)

    def number(self, node: dict, key: str, owner: str, default: Any = None) -> Any:
        value = node.get(key)
        if value is None:
            return default
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(
                value):
            self.error(node, f"`{key}` of {owner} must be a number, got {value!r}. Write a "
                       "finite number such as 14 or 0.5.", "type", key)
            return default
        return value

    # -- objects --------------------------------------------------------------------------
    def table(self, node: LineDict) -> Table | None:
        name = str(node.get("name", "?")) if isinstance(node, dict) else "?"
        if not self.check_keys(node, "table", name):
            return None
        columns = []
        for col in self.items(node, "columns", "column", f"table `{name}`"):
            if self.check_keys(col, "column", str(col.get("name", "?"))):
                columns.append(Column(str(col["name"]), str(col["type"]),
                                      self.access_value(col, f"Column `{name}.{col['name']}`"),
                                      str(col.get("references", ""))))
        return Table(name, str(node.get("description", "")), str(node.get("primary_key", "")),
                     tuple(columns), self.where(node))

    def dimension(self, node: LineDict) -> Dimension | None:
        name = str(node.get("name", "?")) if isinstance(node, dict) else "?"
        if not self.check_keys(node, "dimension", name):
            return None
        values = []
        for v in self.items(node, "values", "value", f"dimension `{name}`"):
            if self.check_keys(v, "value", str(v.get("value", "?"))):
                values.append(DimensionValue(str(v["value"]), str(v.get("label", v["value"])),
                                             self.strings(v, "synonyms")))
        kind = str(node.get("type", "categorical"))
        if kind not in {"categorical", "time"}:
            self.error(node, f"Dimension `{name}` has type `{kind}`. Accepted: categorical, time.",
                       "bad-value", "type")
        grains = self.strings(node, "grains")
        for grain in grains:
            if grain not in {"day", "week", "month", "quarter", "year"}:
                self.error(node, f"Dimension `{name}` has unknown grain `{grain}`. Accepted: "
                           "day, week, month, quarter, year.", "bad-value", "grains")
        return Dimension(name, str(node.get("label", name)), str(node.get("description", "")),
                         str(node["table"]), str(node["column"]), kind,
                         self.strings(node, "synonyms"), tuple(values), grains,
                         self.where(node), content_hash(node),
                         role=self.role(node, "dimension", name),
                         access=self.access_value(node, f"Dimension `{name}`"))

    def metric(self, node: LineDict) -> Metric | None:
        name = str(node.get("name", "?")) if isinstance(node, dict) else "?"
        if not self.check_keys(node, "metric", name):
            return None
        return Metric(name, str(node.get("label", name)), str(node.get("description", "")),
                      str(node.get("owner", "")), int(self.number(node, "version", name, 1)),
                      str(node["table"]), str(node["expr"]), str(node.get("filter", "")),
                      str(node.get("time_column", "")),
                      self.number(node, "default_window_days", name),
                      self.strings(node, "synonyms"), self.where(node), content_hash(node),
                      role=self.role(node, "metric", name), windows=self.windows(node, name),
                      restated_by=self.restatements(node, f"metric `{name}`", ()))

    def segment(self, node: LineDict) -> Segment | None:
        name = str(node.get("name", "?")) if isinstance(node, dict) else "?"
        if not self.check_keys(node, "segment", name):
            return None
        owner = f"segment `{name}`"
        params = [p for p in (self.parameter(p, name)
                              for p in self.items(node, "parameters", "parameter", owner)) if p]
        stages = []
        for s in self.items(node, "stages", "stage", owner):
            if self.check_keys(s, "stage", str(s.get("name", "?"))):
                sql_line = s.line_of("sql") + (1 if "\n" in str(s["sql"]).strip() else 0)
                stages.append(Stage(str(s["name"]), str(s["sql"]), self.where(s), sql_line))
        members = [m for m in (self.member(m, name)
                               for m in self.items(node, "members", "member", owner)) if m]
        examples = []
        for e in self.items(node, "examples", "example", owner):
            if self.check_keys(e, "example", str(e.get("question", "?"))):
                examples.append(Example(str(e["question"]), _plain(e["plan"]), self.where(e)))
        entity = str(node.get("entity", "user"))
        if entity not in {"user", "cohort"}:
            self.error(node, f"Segment `{name}` has entity `{entity}`. Accepted: user, cohort.",
                       "bad-value", "entity")
        if members and not node.get("member_column"):
            self.error(node, f"Segment `{name}` has members but no `member_column`. Add "
                       "`member_column: <name of the tier column>`.", "missing-key")
        return Segment(
            name=name, label=str(node.get("label", name)),
            description=" ".join(str(node.get("description", "")).split()),
            owner=str(node.get("owner", "")), version=int(self.number(node, "version", name, 1)),
            access=self.access_value(node, f"Segment `{name}`"), entity=entity,
            synonyms=self.strings(node, "synonyms"), parameters=tuple(params),
            requires=self.strings(node, "requires"), stages=tuple(stages),
            where=" ".join(str(node.get("where", "")).split()),
            columns=self.strings(node, "columns"), member_column=str(node.get("member_column", "")),
            members=tuple(members), history=str(node.get("history", "")),
            fitted=self.mapping(node, "fitted", owner), examples=tuple(examples),
            source=self.where(node), file=self.file, hash=content_hash(node),
            where_source=self.where(node, "where"),
            rank_by=self.rank_by(node, name),
            restated_by=self.restatements(node, owner, tuple(p.name for p in params)),
            summary=" ".join(str(node.get("summary", "")).split()),
            cluster=cluster_spec(self, node["cluster"], name) if "cluster" in node else None,
        )

    def restatements(self, node: LineDict, owner: str, parameters: tuple[str, ...]
                     ) -> tuple[tuple[tuple[str, ...], ...], ...]:
        """`restated_by: [[finished onboarding | completed onboarding, "{min_projects}"]]`."""
        raw = node.get("restated_by")
        if raw is None:
            return ()
        shape = (f"`restated_by` of {owner} must be a list of restatements, each a list of "
                 "parts such as [finished onboarding | completed onboarding, \"{param}\"].")
        if not isinstance(raw, list) or not all(
                isinstance(r, list) and r and all(isinstance(part, str) for part in r)
                for r in raw):
            self.error(node, shape, "shape", "restated_by")
            return ()
        out = []
        for restatement in raw:
            parts = tuple(tuple(a.strip() for a in part.split("|") if a.strip())
                          for part in restatement)
            for part in parts:
                slot = part[0][1:-1] if len(part) == 1 and part[0].startswith("{") else None
                if slot is not None and slot not in parameters:
                    self.error(node, f"`restated_by` of {owner} names the parameter `{slot}`, "
                               f"which it does not declare. Accepted: "
                               f"{', '.join(parameters) or '(none)'}."
                               f"{did_you_mean(slot, set(parameters))}", "bad-value",
                               "restated_by")
            out.append(parts)
        return tuple(out)

    def rank_by(self, node: LineDict, segment: str) -> str:
        column = str(node.get("rank_by", ""))
        columns = self.strings(node, "columns")
        if column and column not in columns:
            self.error(node, f"Segment `{segment}` ranks by `{column}`, which is not one of its "
                       f"columns. Accepted: {', '.join(columns) or '(no columns declared)'}."
                       f"{did_you_mean(column, set(columns))}", "bad-value", "rank_by")
        return column

    def role(self, node: LineDict, kind: str, name: str) -> str:
        role = str(node.get("role", ""))
        if role and role not in ROLES[kind]:
            self.error(node, f"The {kind} `{name}` has role `{role}`. Accepted: "
                       f"{', '.join(ROLES[kind])}.{did_you_mean(role, set(ROLES[kind]))}",
                       "bad-value", "role")
        return role

    def windows(self, node: LineDict, metric: str) -> tuple[tuple[int, tuple[str, ...]], ...]:
        """`windows: [{days: 7, synonyms: [wau]}]`: the metric named over another window."""
        out = []
        for w in self.items(node, "windows", "window", f"metric `{metric}`"):
            if self.check_keys(w, "window", metric):
                days = int(self.number(w, "days", f"a window of metric `{metric}`", 0))
                if days < 1:
                    self.error(w, f"A window of metric `{metric}` has {days} days; a window "
                               "is at least 1 day.", "bounds", "days")
                out.append((days, self.strings(w, "synonyms")))
        return tuple(out)

    def parameter(self, node: Any, segment: str) -> Parameter | None:
        name = str(node.get("name", "?")) if isinstance(node, dict) else "?"
        if not self.check_keys(node, "parameter", name):
            return None
        owner = f"parameter `{name}` of `{segment}`"
        default = self.number(node, "default", owner, 0)
        lo, hi = self.number(node, "min", owner, 0), self.number(node, "max", owner, 0)
        if lo > hi:
            self.error(node, f"Parameter `{name}` of `{segment}` has min {lo} above max {hi}.",
                       "bounds", "min")
        elif not lo <= default <= hi:
            self.error(node, f"Parameter `{name}` of `{segment}` has default {default} outside "
                       f"its bounds {lo}..{hi}. Change the default or the bounds.",
                       "default-out-of-bounds", "default")
        return Parameter(name, str(node.get("label", name)), default, lo, hi,
                         self.strings(node, "synonyms"), self.where(node),
                         role=self.role(node, "parameter", name),
                         unit=str(node.get("unit", "")))

    def member(self, node: Any, segment: str) -> Member | None:
        name = str(node.get("name", "?")) if isinstance(node, dict) else "?"
        if not self.check_keys(node, "member", name):
            return None
        match: list[tuple[str, int, int]] = []
        raw_match = node.get("match")
        if raw_match is not None:
            if not isinstance(raw_match, dict):
                self.error(node, f"`match` of member `{name}` must map column -> [min, max].",
                           "shape", "match")
            else:
                for col, bounds in raw_match.items():
                    if (not isinstance(bounds, list) or len(bounds) != 2
                            or not all(isinstance(b, int) for b in bounds)):
                        self.error(node, f"`match.{col}` of member `{name}` must be "
                                   "[min, max] integers.", "shape", "match")
                        continue
                    match.append((str(col), bounds[0], bounds[1]))
        when = " ".join(str(node.get("when", "")).split())
        rules = [bool(when), raw_match is not None, "centroid" in node]
        if sum(rules) != 1:
            self.error(node, f"Member `{name}` of `{segment}` needs exactly one of `when` "
                       "(a condition), `match` (a lookup-table row) or `centroid` (a cluster "
                       "member).", "member-rule")
        return Member(name, str(node.get("label", name)), str(node.get("description", "")),
                      self.strings(node, "synonyms"), when, tuple(match), self.where(node),
                      self.where(node, "when"), " ".join(str(node.get("summary", "")).split()),
                      centroid(self, node, name))


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "nothing" if value is None else f"the value {str(value)[:40]!r}"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def build_catalog(directory: Path, limits: LoadLimits = LIMITS, *,
                  only: list[Path] | None = None) -> tuple[Catalog, list[Issue]]:
    """Load every `*.yml`/`*.yaml` under `directory` (or the `only` files of it, when a
    directory mixes formats); return the catalog and all issues."""
    builder = _Builder()
    tables: dict[str, Table] = {}
    dimensions: dict[str, Dimension] = {}
    metrics: dict[str, Metric] = {}
    segments: dict[str, Segment] = {}
    files = sorted(only if only is not None
                   else [*directory.glob("*.yml"), *directory.glob("*.yaml")])
    if not files:
        builder.issues.append(Issue("error", "contains no *.yml semantic model files.",
                                    str(directory), "no-files"))
    seen: dict[str, str] = {}
    declared: list[Relationship] = []
    access_sections: list[tuple[str, LineDict]] = []
    unread = 0  # files that did not load: their objects are missing, not misnamed
    for path in files:
        builder.file = f"{directory.name}/{path.name}"  # shown as e.g. semantic_models/x.yml:12
        data, issues = load_yaml(path, display=builder.file, top_keys=TOP_KEYS, limits=limits)
        builder.issues.extend(issues)
        if data is None:
            unread += 1
            continue
        for key in data:
            if key not in TOP_KEYS:
                builder.error(data, f"has unknown top-level key `{key}`. Accepted: "
                              f"{', '.join(sorted(TOP_KEYS))}.{did_you_mean(str(key), TOP_KEYS)}",
                              "unknown-key", key)
        if "access" in data:
            if isinstance(data["access"], LineDict):
                access_sections.append((builder.file, data["access"]))
            else:
                builder.error(data, "`access` must be a mapping with keys contact, "
                              "default_group, groups, policies.", "access-shape", "access")
        for node in builder.items(data, "relationships", "relationship",
                                  f"model file `{path.name}`"):
            rel = relationship(builder, node)
            if rel is not None:
                declared.append(rel)
        sections: list[tuple[str, dict, Callable[[Any], Any]]] = [
            ("tables", tables, builder.table), ("dimensions", dimensions, builder.dimension),
            ("metrics", metrics, builder.metric), ("segments", segments, builder.segment),
        ]
        for key, target, make in sections:
            for node in builder.items(data, key, key[:-1], f"model file `{path.name}`"):
                try:
                    obj = make(node)
                except Exception as exc:  # a shape no check foresaw still gets its line
                    builder.error(node, messages.definition_unreadable(key[:-1], exc), "shape")
                    continue
                if obj is None:
                    continue
                if obj.name in target or (key != "tables" and obj.name in seen):
                    first = target[obj.name].source if obj.name in target else seen[obj.name]
                    builder.error(node, f"defines `{obj.name}` again; it is already defined at "
                                  f"{first}. Names must be unique across the catalog.",
                                  "duplicate-name")
                    continue
                target[obj.name] = obj
                if key != "tables":
                    seen[obj.name] = obj.source
    catalog = Catalog(tables, dimensions, metrics, segments,
                      tuple(str(f) for f in files), str(directory),
                      relationships=(*declared, *from_references(tables.values())))
    from assistant.access.parse import AccessBuilder  # it reads the loader's LineDict types

    access = AccessBuilder(catalog, complete=unread == 0)
    policy = access.build(access_sections)
    if policy is not None:
        catalog = dataclasses.replace(catalog, access=policy)
    return catalog, builder.issues + access.issues
