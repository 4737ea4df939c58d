"""One exception root for segq, a shallow tree by pipeline stage.

    SegqError                      status  -> answer status
    ├── ConfigError                error   bad setting or environment value
    ├── CatalogError               error   semantic models do not load or validate
    ├── PlanError                  -        the question could not become a QueryPlan
    │   ├── ClarificationNeeded    clarify  several governed objects fit
    │   └── Refusal                refused  outside the catalog, a change request, PII
    ├── CompileError               error   a QueryPlan names something the catalog lacks
    ├── SqlRejected                error   the validator refused a statement (rule named)
    ├── ExecutionError             error   DuckDB failed or the query timed out
    ├── WarehouseError             error   the warehouse file is missing or unreadable
    ├── QuestionTimeout            error   the question's deadline passed (stage named)
    ├── WarehouseBusy              error   every query slot of the warehouse is taken
    └── FitError                   error   `segq cluster fit` cannot fit (no cluster spec, too
                                           few users, nothing to write)

This module imports nothing else from the package so that every stage can raise
without import cycles. Errors carry structured fields; their text is built in
`messages.py` so user-facing wording is reviewed as one set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class SegqError(Exception):
    """Root of every error segq raises on purpose."""

    status = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ConfigError(SegqError):
    """A setting is missing, malformed or out of bounds."""


@dataclass(frozen=True)
class Issue:
    """One problem found by a validation rule, with where it is and how to fix it."""

    level: str  # "error" | "warning"
    message: str
    source: str = ""  # "file:line" or an object name
    rule: str = ""

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return f"{where}{self.level}: {self.message}"


class CatalogError(SegqError):
    """The semantic models do not load; `issues` lists every problem at once."""

    def __init__(self, message: str, issues: list[Issue] | None = None) -> None:
        super().__init__(message, issues=issues or [])
        self.issues: list[Issue] = issues or []


class PlanError(SegqError):
    """The question could not be turned into a QueryPlan."""


@dataclass(frozen=True)
class Candidate:
    """One governed object a question might mean, offered in a clarification."""

    name: str
    kind: str
    member: str | None
    label: str
    description: str
    source: str
    choice: str  # token that answers the original question with this candidate

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "member": self.member,
            "label": self.label,
            "description": self.description,
            "source": self.source,
            "choice": self.choice,
        }


class ClarificationNeeded(PlanError):
    status = "clarify"

    def __init__(self, message: str, candidates: list[Candidate]) -> None:
        super().__init__(message, candidates=candidates)
        self.candidates = candidates


class Refusal(PlanError):
    status = "refused"

    def __init__(self, message: str, reason: str, *, final: bool = False,
                 denied: bool = False) -> None:
        super().__init__(message, reason=reason, denied=denied)
        self.reason = reason
        self.final = final  # policy (write, personal data, injection): no other planner may undo it
        self.denied = denied  # the asker's access policy, not the question, is why


class CompileError(SegqError):
    """A QueryPlan refers to an object or parameter the catalog does not have."""


class SqlRejected(SegqError):
    """The SQL validator refused a statement; nothing was executed."""

    def __init__(self, message: str, issues: list[Issue]) -> None:
        super().__init__(message, issues=issues)
        self.issues = issues


class ExecutionError(SegqError):
    """DuckDB raised, or the query ran past its timeout."""


class WarehouseError(SegqError):
    """The warehouse cannot be opened."""


class QuestionTimeout(SegqError):
    """The question's one deadline (plan, compile, validate, execute together) passed."""


class WarehouseBusy(SegqError):
    """Admission control: the warehouse already runs as many queries as it may."""


class FitError(SegqError):
    """A fitted definition cannot be fitted or written as asked."""
