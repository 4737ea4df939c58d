"""The `access:` section of the semantic models, typed and validated against the catalog.

Fail closed: every unknown key, group, object, column, attribute or value is an error at its
`file:line`, so a typo can never widen (or silently change) who sees what.
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp
from sqlglot.errors import ParseError

from assistant.access.filters import PLACEHOLDER, parse_filter
from assistant.access.models import MEMBER_KEYS, POLICY_KINDS, AccessPolicy, Group, Members, Policy
from assistant.catalog.yaml_loader import LineDict, LineList
from assistant.errors import Issue
from assistant.messages import did_you_mean

ACCESS_KEYS = {"default_group", "groups", "policies", "contact"}
GROUP_KEYS = {"name", "description", "members", "attributes"}
POLICY_KEYS = {*POLICY_KINDS, "groups", "filter", "description"}
BAD_PLACEHOLDER = re.compile(r"\{\{(?!\s*user\.[A-Za-z_][A-Za-z0-9_]*\s*\}\})")


class AccessBuilder:
    """Collects issues while typing one or more `access:` sections."""

    def __init__(self, catalog: Any, *, complete: bool = True) -> None:
        self.catalog = catalog
        self.complete = complete  # False: a model file did not load, so names may be missing
        self.issues: list[Issue] = []
        self.file = ""

    def where(self, node: Any, key: str | None = None) -> str:
        line = 0
        if isinstance(node, LineDict):
            line = node.line_of(key) if key else node.line
        return f"{self.file}:{line}" if line else self.file

    def error(self, node: Any, message: str, rule: str, key: str | None = None) -> None:
        self.issues.append(Issue("error", message, self.where(node, key), rule))

    def keys(self, node: Any, accepted: set[str], what: str) -> bool:
        if not isinstance(node, dict):
            self.error(node, f"{what} must be a mapping. Accepted keys: "
                       f"{', '.join(sorted(accepted))}.", "access-shape")
            return False
        for key in node:
            if key not in accepted:
                self.error(node, f"{what} has unknown key `{key}`. Accepted keys: "
                           f"{', '.join(sorted(accepted))}.{did_you_mean(str(key), accepted)}",
                           "access-unknown-key", str(key))
        return True

    def words(self, node: dict, key: str, what: str) -> tuple[str, ...]:
        value = node.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or any(isinstance(v, dict | list) for v in value):
            self.error(node, f"`{key}` of {what} must be a list of words. Write it as "
                       f"`{key}: [first, second]`.", "access-shape", key)
            return ()
        return tuple(str(v) for v in value)

    # -- sections -------------------------------------------------------------------------
    def build(self, sections: list[tuple[str, LineDict]]) -> AccessPolicy | None:
        if not sections:
            return None
        if len(sections) > 1:
            self.file = sections[1][0]
            self.error(sections[1][1], f"defines `access` again; it is already defined in "
                       f"{sections[0][0]}. Keep one access section.", "access-duplicate")
        self.file, node = sections[0]
        if not self.keys(node, ACCESS_KEYS, "The `access` section"):
            return None
        groups = self._groups(node)
        default = str(node.get("default_group", ""))
        if default not in groups:
            self.error(node, f"`default_group` `{default}` is not a declared group. Accepted: "
                       f"{', '.join(sorted(groups)) or 'none declared'}."
                       f"{did_you_mean(default, groups)} Everyone no group matches gets its "
                       "rights, so declare it (with no members for least privilege).",
                       "access-unknown-group", "default_group" if default else None)
        policies = self._policies(node, groups)
        return AccessPolicy(groups, default, tuple(policies), self.where(node),
                            str(node.get("contact", "")))

    def _list(self, node: dict, key: str) -> list[LineDict]:
        value = node.get(key)
        if value is None:
            return []
        if not isinstance(value, LineList) or any(not isinstance(v, LineDict) for v in value):
            self.error(node, f"`{key}` of `access` must be a list of mappings.", "access-shape",
                       key)
            return []
        return list(value)

    def _groups(self, node: dict) -> dict[str, Group]:
        groups: dict[str, Group] = {}
        for item in self._list(node, "groups"):
            name = str(item.get("name", ""))
            if not self.keys(item, GROUP_KEYS, f"Group `{name}`"):
                continue
            if not name:
                self.error(item, "A group is missing required key `name`.", "access-shape")
                continue
            if name in groups:
                self.error(item, f"Group `{name}` is declared twice; first at "
                           f"{groups[name].source}.", "access-duplicate")
                continue
            groups[name] = Group(name, str(item.get("description", "")),
                                 self._members(item, name), self._attributes(item, name),
                                 self.where(item))
        return groups

    def _members(self, item: LineDict, name: str) -> Members:
        raw = item.get("members") or {}
        if not self.keys(raw, set(MEMBER_KEYS), f"`members` of group `{name}`"):
            return Members()
        return Members(**{k: tuple(w.lower() if k != "slack_users" else w
                                   for w in self.words(raw, k, f"group `{name}`"))
                          for k in MEMBER_KEYS})

    def _attributes(self, item: LineDict, name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        raw = item.get("attributes") or {}
        if not isinstance(raw, dict):
            self.error(item, f"`attributes` of group `{name}` must map a name to values, e.g. "
                       "`attributes: {regions: [GB, DE]}`.", "access-shape", "attributes")
            return ()
        return tuple((str(k), self.words(raw, k, f"group `{name}`")) for k in raw)

    def _policies(self, node: dict, groups: dict[str, Group]) -> list[Policy]:
        policies = []
        declared = {k for g in groups.values() for k, _ in g.attributes}
        for item in self._list(node, "policies"):
            if not self.keys(item, POLICY_KEYS, "A policy"):
                continue
            kinds = [k for k in POLICY_KINDS if k in item]
            if len(kinds) != 1:
                self.error(item, f"A policy names exactly one of {', '.join(POLICY_KINDS)}; "
                           f"this one names {', '.join(kinds) or 'none'}.", "access-shape")
                continue
            kind, target = kinds[0], str(item[kinds[0]])
            who = self.words(item, "groups", f"the {kind} policy of `{target}`")
            for group in who:
                if group not in groups:
                    self.error(item, f"The {kind} policy of `{target}` names unknown group "
                               f"`{group}`. Accepted: {', '.join(sorted(groups))}."
                               f"{did_you_mean(group, groups)}", "access-unknown-group",
                               "groups")
            if not who:
                self.error(item, f"The {kind} policy of `{target}` grants no `groups`. List "
                           "the groups that may use it.", "access-shape")
            self._target(item, kind, target)
            text = str(item.get("filter", ""))
            if (kind == "rows") != bool(text):
                self.error(item, "`filter` belongs to `rows` policies, and every `rows` policy "
                           "needs one (e.g. `filter: \"country IN {{ user.regions }}\"`).",
                           "access-shape")
            elif text:
                self._filter(item, target, text, declared)
            policies.append(Policy(kind, target, who, self.where(item), text))
        return policies

    def _target(self, item: LineDict, kind: str, target: str) -> None:
        catalog = self.catalog
        names: dict[str, Any] = {"segment": catalog.segments, "metric": catalog.metrics,
                                 "dimension": catalog.dimensions, "rows": catalog.tables}.get(
                                     kind, {})
        if kind == "column":
            names = {f"{t.name}.{c.name}": c for t in catalog.tables.values() for c in t.columns}
        if target not in names and not self.complete:
            return
        if target not in names:
            noun = "table" if kind == "rows" else kind
            self.error(item, f"The {kind} policy names unknown {noun} `{target}`. Accepted: "
                       f"{', '.join(sorted(names))}."
                       f"{did_you_mean(target, names)}", "access-unknown-object", kind)
        elif kind == "rows" and catalog.tables[target].column("user_id") is None:
            self.error(item, f"Table `{target}` has no `user_id`, so its rows cannot say which "
                       "users a principal sees. Accepted: tables with `user_id`.",
                       "access-unknown-object", kind)

    def _filter(self, item: LineDict, table: str, text: str, declared: set[str]) -> None:
        if BAD_PLACEHOLDER.search(text):
            self.error(item, "`filter` has a `{{ … }}` that is not `{{ user.<attribute> }}`.",
                       "access-filter", "filter")
            return
        try:
            tree = parse_filter(text)
        except ParseError as exc:
            self.error(item, f"`filter` is not a valid SQL condition: "
                       f"{str(exc).splitlines()[0]}. Fix the SQL.", "access-filter", "filter")
            return
        for attribute in PLACEHOLDER.findall(text):
            if attribute not in declared:
                self.error(item, f"`filter` uses `user.{attribute}`, which no group declares "
                           f"in `attributes`. Accepted: {', '.join(sorted(declared)) or 'none'}."
                           f"{did_you_mean(attribute, declared)}", "access-filter", "filter")
        columns = {c.name for c in self.catalog.tables[table].columns} if (
            table in self.catalog.tables) else set()
        for column in tree.find_all(exp.Column):
            name = column.name
            if name.startswith("__user_") or not columns:
                continue
            if name not in columns or column.table not in ("", table):
                self.error(item, f"`filter` reads `{column.sql()}`, not a column of `{table}`. "
                           f"Accepted: {', '.join(sorted(columns))}."
                           f"{did_you_mean(name, columns)}", "access-filter", "filter")
        if any(isinstance(n, exp.Query | exp.Subquery | exp.Func | exp.Star)
               for n in tree.walk()):
            self.error(item, "`filter` may only compare columns with values (=, IN, AND, OR, "
                       "NOT, <, >).", "access-filter", "filter")
