"""Every exception a question can end in, as the typed `Failure` its answer carries.

One mapping, so that what a user reads is decided here and nowhere else: worded messages
pass through, raw text (DuckDB's, an exception's repr, a crashed rule's) is replaced by a
worded message with the reference id and kept as `detail` for the query log.
"""

from __future__ import annotations

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


def internal_failure(exc: BaseException, ref: str) -> Failure:
    return Failure("internal", messages.INTERNAL_ERROR.format(ref=ref), (),
                   f"internal: {exc!r}"[:2000])
