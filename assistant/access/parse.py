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
from assistant.catalog.documents import AccessDoc, Document, MembersDoc, PolicyDoc
from assistant.errors import Issue
from assistant.messages import did_you_mean

BAD_PLACEHOLDER = re.compile(r"\{\{(?!\s*user\.[A-Za-z_][A-Za-z0-9_]*\s*\}\})")


class AccessBuilder:
    """Collects issues while typing the `access:` section, validated as an `AccessDoc`."""

    def __init__(self, catalog: Any, *, complete: bool = True) -> None:
        self.catalog = catalog
        self.complete = complete  # False: a model file did not load, so names may be missing
        self.issues: list[Issue] = []

    def error(self, doc: Document, message: str, rule: str, key: str | None = None) -> None:
        self.issues.append(Issue("error", message, doc.at(key), rule))

    # -- sections -------------------------------------------------------------------------
    def build(self, sections: list[AccessDoc]) -> AccessPolicy | None:
        if not sections:
            return None
        if len(sections) > 1:
            self.error(sections[1], f"defines `access` again; it is already defined in "
                       f"{sections[0].file}. Keep one access section.", "access-duplicate")
        doc = sections[0]
        groups = self._groups(doc)
        default = doc.default_group
        if default not in groups:
            self.error(doc, f"`default_group` `{default}` is not a declared group. Accepted: "
                       f"{', '.join(sorted(groups)) or 'none declared'}."
                       f"{did_you_mean(default, groups)} Everyone no group matches gets its "
                       "rights, so declare it (with no members for least privilege).",
                       "access-unknown-group", "default_group" if default else None)
        policies = self._policies(doc, groups)
        return AccessPolicy(groups, default, tuple(policies), doc.at(), doc.contact)

    def _groups(self, doc: AccessDoc) -> dict[str, Group]:
        groups: dict[str, Group] = {}
        for item in doc.groups:
            name = item.name
            if not name:
                self.error(item, "A group is missing required key `name`.", "access-shape")
                continue
            if name in groups:
                self.error(item, f"Group `{name}` is declared twice; first at "
                           f"{groups[name].source}.", "access-duplicate")
                continue
            groups[name] = Group(name, item.description, _members(item.members),
                                 tuple(item.attributes.items()), item.at())
        return groups

    def _policies(self, doc: AccessDoc, groups: dict[str, Group]) -> list[Policy]:
        policies = []
        declared = {k for g in groups.values() for k, _ in g.attributes}
        for item in doc.policies:
            kinds = [k for k in POLICY_KINDS if getattr(item, k) is not None]
            if len(kinds) != 1:
                self.error(item, f"A policy names exactly one of {', '.join(POLICY_KINDS)}; "
                           f"this one names {', '.join(kinds) or 'none'}.", "access-shape")
                continue
            kind, target = kinds[0], str(getattr(item, kinds[0]))
            who = item.groups
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
            text = item.filter
            if (kind == "rows") != bool(text):
                self.error(item, "`filter` belongs to `rows` policies, and every `rows` policy "
                           "needs one (e.g. `filter: \"country IN {{ user.regions }}\"`).",
                           "access-shape")
            elif text:
                self._filter(item, target, text, declared)
            policies.append(Policy(kind, target, who, item.at(), text))
        return policies

    def _target(self, item: PolicyDoc, kind: str, target: str) -> None:
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

    def _filter(self, item: PolicyDoc, table: str, text: str, declared: set[str]) -> None:
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


def _members(doc: MembersDoc | None) -> Members:
    """Members match case-insensitively, except Slack user ids, which are kept as written."""
    if doc is None:
        return Members()
    return Members(**{k: tuple(w if k == "slack_users" else w.lower() for w in getattr(doc, k))
                      for k in MEMBER_KEYS})
