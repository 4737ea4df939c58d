"""The one canonical answer shape (SPEC §5) that every surface renders and the log records."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

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

    def to_dict(self) -> dict[str, Any]:
        return {
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
    error: str | None = None  # internal reason, for the log; never shown raw to Slack users
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. definition text, catalog listing

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
            "error": self.error,
        }


def json_value(value: Any) -> Any:
    """Rows hold DuckDB values; JSON gets numbers as numbers and dates as ISO text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value
