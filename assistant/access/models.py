"""Who may see what, as typed values: groups, their members and attributes, policies, principals.

This module imports nothing else from the package, so the catalog can hold an `AccessPolicy`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

POLICY_KINDS = ("segment", "metric", "dimension", "column", "rows")
ACCESS_VALUES = ("public", "restricted")
MEMBER_KEYS = ("cli_users", "slack_users", "emails", "domains", "slack_groups")
ANYONE = "*"  # in `cli_users`: whoever runs segq in a terminal


@dataclass(frozen=True)
class Members:
    """How people become members of a group; each list is matched exactly (case-insensitive)."""

    cli_users: tuple[str, ...] = ()
    slack_users: tuple[str, ...] = ()  # Slack user ids (U…)
    emails: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()  # the part after @ of the Slack profile email
    slack_groups: tuple[str, ...] = ()  # Slack user group handles or ids (S…)


@dataclass(frozen=True)
class Group:
    name: str
    description: str
    members: Members
    attributes: tuple[tuple[str, tuple[str, ...]], ...]  # e.g. (("regions", ("GB", "DE")),)
    source: str


@dataclass(frozen=True)
class Policy:
    """`groups` may use `target` (a segment, metric, dimension, `table.column`, or for `rows`
    a table whose rows those groups see only where `filter` holds)."""

    kind: str
    target: str
    groups: tuple[str, ...]
    source: str
    filter: str = ""


@dataclass(frozen=True)
class AccessPolicy:
    groups: dict[str, Group]
    default_group: str
    policies: tuple[Policy, ...]
    source: str
    contact: str = ""  # whom to ask for access, shown in every denial

    def for_object(self, kind: str, target: str) -> list[Policy]:
        return [p for p in self.policies if p.kind == kind and p.target == target]


@dataclass(frozen=True)
class Identity:
    """Who asked, as the surface knows it: a CLI login or a Slack user and their profile."""

    surface: str  # "cli" | "slack" | "eval"
    user: str
    email: str = ""
    slack_groups: tuple[str, ...] = ()

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2].lower() if "@" in self.email else ""


@dataclass(frozen=True)
class Principal:
    """The access subject an answer is computed for."""

    id: str  # "slack:U0123", "cli:alice"
    groups: tuple[str, ...]
    attributes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    unrestricted: bool = False  # no access policy is declared: every public object
    email: str = field(default="", compare=False)

    def attribute(self, name: str) -> tuple[str, ...] | None:
        return next((values for key, values in self.attributes if key == name), None)

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "groups": list(self.groups),
                "attributes": {k: list(v) for k, v in self.attributes}}


OPEN = Principal("open", ("*",), unrestricted=True)  # the catalog declares no access policy
