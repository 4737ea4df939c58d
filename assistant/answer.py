"""The one canonical answer shape (SPEC §5) that every surface renders and the log records."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from assistant.access.models import Principal

STATUSES = ("answered", "clarify", "refused", "error")
STAGES = ("plan", "compile", "validate", "execute", "total")


@dataclass(frozen=True)
class DefinitionUsed:
    """Proof of which governed definition produced an answer."""

    name: str
    kind: str  # segment | metric | dimension
    version: int
    hash: str
    source: str  # file:line
    owner: str = ""
    label: str = ""
    member: str | None = None
    overrides: dict[str, float] = field(default_factory=dict)
    fit: str = ""  # fitted definitions (cluster segments): fit date, quality, separation

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "version": self.version,
            "hash": self.hash,
            "source": self.source,
            "owner": self.owner,
            "label": self.label,
            "member": self.member,
            "overrides": dict(self.overrides),
        }
        if self.fit:  # only fitted definitions carry it, so other answers keep their shape
            out["fit"] = self.fit
        return out


FAILURE_KINDS = (
    "refused",    # outside the catalog, a change request, personal data, an injection
    "denied",     # the asker's access policy does not cover what the question needs
    "plan",       # the question could not become a plan (too long, too large, no llm plan)
    "compile",    # the plan names something the catalog lacks
    "rejected",   # the SQL validator refused the statement (rules named)
    "timeout",    # the question's deadline or the query's timeout passed
    "busy",       # every query slot of the warehouse is taken
    "warehouse",  # the warehouse could not run the query or cannot be opened
    "config",     # a setting is missing or malformed (e.g. no llm configured)
    "internal",   # a bug: something raised that no stage expected
)


@dataclass(frozen=True)
class Failure:
    """Why an answer is not an answer, typed so that no surface parses text.

    `message` is worded for the person who asked (messages.py grammar) and is all that any
    surface shows, with the answer's reference id. `detail` (raw exception or warehouse text,
    every validator issue) goes to the query log only.
    """

    kind: str
    message: str
    rules: tuple[str, ...] = ()
    detail: str = ""

    def __post_init__(self) -> None:
        if self.kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {self.kind!r}")

    def to_dict(self) -> dict[str, Any]:
        """What users and --json see: never the detail."""
        return {"kind": self.kind, "message": self.message, "rules": list(self.rules)}

    def log_line(self) -> str:
        """The query log's `error` column: kind, rules, then the detail."""
        head = f"{self.kind}({','.join(self.rules)})" if self.rules else self.kind
        return f"{head}: {self.detail}" if self.detail else head


def new_reference() -> str:
    """Short id shown to users next to errors and stored in the query log."""
    return "q_" + uuid.uuid4().hex[:12]


@dataclass
class Answer:
    question: str
    status: str
    message: str
    plan: dict[str, Any] | None = None
    sql: str | None = None
    definitions: list[DefinitionUsed] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    row_count: int = 0
    truncated: bool = False
    candidates: list[dict[str, Any]] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    id: str = field(default_factory=new_reference)
    planner: str = ""
    confidence: float | None = None
    failure: Failure | None = None  # set for refused and error answers
    as_of: str | None = None  # ISO date the data was read as of (config `as_of`)
    principal: Principal | None = None  # whom the answer was computed for (access policy)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. definition text, catalog listing
    cached_at: str | None = None  # rows from the result cache: when they were computed (UTC)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown answer status {self.status!r}")

    def to_dict(self) -> dict[str, Any]:
        """SPEC §5 keys first, then the log-facing extras; values are JSON-safe."""
        return {
            "question": self.question,
            "status": self.status,
            "message": self.message,
            "plan": self.plan,
            "sql": self.sql,
            "definitions": [d.to_dict() for d in self.definitions],
            "columns": list(self.columns),
            "rows": [[json_value(v) for v in row] for row in self.rows],
            "row_count": self.row_count,
            "truncated": self.truncated,
            "candidates": list(self.candidates),
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
            "id": self.id,
            "planner": self.planner,
            "confidence": self.confidence,
            "failure": self.failure.to_dict() if self.failure else None,
            "as_of": self.as_of,
            "principal": self.principal.to_dict() if self.principal else None,
            "cached": self.cached_at is not None,
            "cached_at": self.cached_at,
        }

    def log_dict(self) -> dict[str, Any]:
        """`to_dict` plus what only the data team reads: the failure's detail."""
        return {**self.to_dict(), "error": self.failure.log_line() if self.failure else None,
                "principal": self.principal.id if self.principal else None,
                "groups": list(self.principal.groups) if self.principal else []}


def json_value(value: Any) -> Any:
    """Rows hold DuckDB values; JSON gets numbers as numbers and dates as ISO text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value
