"""Every exception a question can end in, as the typed `Failure` its answer carries.

One mapping, so that what a user reads is decided here and nowhere else: worded messages
pass through, raw text (DuckDB's, an exception's repr, a crashed rule's) is replaced by a
worded message with the reference id and kept as `detail` for the query log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant import messages
from assistant.answer import Failure
from assistant.errors import (
    CompileError,
    ConfigError,
    ExecutionError,
    PlanError,
    QuestionTimeout,
    Refusal,
    SegqError,
    SqlRejected,
    WarehouseBusy,
    WarehouseError,
)

if TYPE_CHECKING:
    from assistant.access.models import Principal
    from assistant.catalog.models import Catalog


def failure_of(exc: SegqError, ref: str) -> Failure:
    """The Failure of `exc` for the answer with reference `ref`."""
    reason = str(exc.details.get("reason") or "")
    if isinstance(exc, Refusal):
        kind = "denied" if exc.details.get("denied") else "refused"
        return Failure(kind, exc.message, (exc.reason,), f"refused: {exc.reason}")
    if isinstance(exc, SqlRejected):
        return _rejected(exc)
    if isinstance(exc, ExecutionError) and reason == "timeout" or isinstance(
            exc, QuestionTimeout):
        stage = exc.details.get("stage")
        return Failure("timeout", exc.message, (reason,) if reason else (),
                       f"{type(exc).__name__}({reason}{', ' + stage if stage else ''})")
    if isinstance(exc, ExecutionError):
        return Failure("warehouse", messages.QUERY_FAILED_WORDED.format(ref=ref),
                       (reason,) if reason else (), exc.message)
    if isinstance(exc, WarehouseError):
        return Failure("warehouse", messages.WAREHOUSE_UNAVAILABLE.format(ref=ref), (),
                       exc.message)
    if isinstance(exc, WarehouseBusy):
        return Failure("busy", exc.message, (reason,) if reason else (), "WarehouseBusy(busy)")
    kinds: tuple[tuple[type[SegqError], str], ...] = (
        (CompileError, "compile"), (ConfigError, "config"), (PlanError, "plan"))
    kind = next((k for cls, k in kinds if isinstance(exc, cls)), "internal")
    if kind == "internal":
        return internal_failure(exc, ref)
    return Failure(kind, exc.message, (reason,) if reason else (),
                   f"{type(exc).__name__}: {exc.message}")


def _rejected(exc: SqlRejected) -> Failure:
    rules = tuple(sorted({i.rule for i in exc.issues}))
    worded = [i for i in exc.issues if not i.message.startswith("rule crashed")]
    first = worded[0].message if worded else "a check could not finish."
    detail = " | ".join(f"[{i.rule}] {i.message}" for i in exc.issues)
    return Failure("rejected", messages.sql_rejected(rules, first), rules, detail)


ACCESS_RULES = {"restricted-column", "plan_within_access", "row_filter_applied"}


def denied_by_validator(exc: SegqError, catalog: Catalog, principal: Principal) -> SegqError:
    """A rejection for access rules only is a worded, final `denied` refusal, not an error."""
    if not isinstance(exc, SqlRejected) or not exc.issues or not {
            i.rule for i in exc.issues} <= ACCESS_RULES:
        return exc
    policy = catalog.access
    contact = policy.contact if policy else ""
    first = exc.issues[0]
    if first.rule == "restricted-column":
        column = first.message.split("`")[1] if "`" in first.message else "a restricted column"
        message = messages.access_restricted_column(column, list(principal.groups), contact)
    else:
        message = messages.access_denied_plain(list(principal.groups), contact)
    return Refusal(message, f"access: {first.rule}", final=True, denied=True)


def internal_failure(exc: BaseException, ref: str) -> Failure:
    return Failure("internal", messages.INTERNAL_ERROR.format(ref=ref), (),
                   f"internal: {exc!r}"[:2000])
