"""The orchestrator: question -> plan -> compile -> validate -> execute -> Answer (+ log).

Surfaces (CLI, Slack, evals) call `Assistant.ask`; it never raises for a user's question.
Every outcome, including failures, becomes an Answer with a status and is logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant import messages
from assistant.answer import Answer
from assistant.catalog import Catalog, CatalogHolder
from assistant.compiler import compile_plan
from assistant.config import Config
from assistant.describe import sentence
from assistant.errors import ClarificationNeeded, PlanError, Refusal, SegqError
from assistant.executor import Warehouse
from assistant.plan import Intent, QueryPlan
from assistant.validator import SqlContext, validate_sql

log = logging.getLogger("segq")


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._start = time.perf_counter()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = (time.perf_counter() - started) * 1000

    def done(self) -> dict[str, float]:
        self.timings["total"] = (time.perf_counter() - self._start) * 1000
        return self.timings


class Assistant:
    """Answers questions from governed definitions; one instance serves many threads."""

    def __init__(self, config: Config, *, catalog: Catalog | None = None,
                 warehouse: Warehouse | None = None, planner: Any = None,
                 query_log: Any = None) -> None:
        self.config = config
        # A catalog passed in is fixed; one loaded from the config follows edits to its files.
        self._catalogs = CatalogHolder(config.semantic_models) if catalog is None else None
        self._catalog = catalog
        self._warehouse = warehouse
        self._planner = planner
        self.query_log = query_log

    @property
    def catalog(self) -> Catalog:
        if self._catalogs is not None:
            return self._catalogs.current()
        assert self._catalog is not None
        return self._catalog

    # -- parts built on first use, so `segq validate` or a definition question stays fast --
    @property
    def warehouse(self) -> Warehouse:
        if self._warehouse is None:
            path = Path(self.config.warehouse)
            if self.config.uses_default_demo and not path.exists():
                from assistant.demo import ensure_demo

                log.info("building the demo warehouse (%s users) at %s; first use only",
                         f"{self.config.demo_users:,}", path)
                ensure_demo(path, users=self.config.demo_users)
            self._warehouse = Warehouse(path, timeout_s=self.config.query_timeout_s,
                                        row_cap=self.config.row_cap)
        return self._warehouse

    @property
    def planner(self) -> Any:
        if self._planner is None:
            from assistant.planner import make_planner

            self._planner = make_planner(self.config)
        return self._planner

    # -- entry points ---------------------------------------------------------------------
    def ask(self, question: str, *, source: str = "cli", user: str | None = None,
            channel: str | None = None, thread_ts: str | None = None,
            choice: str | None = None) -> Answer:
        """Answer one plain-language question; never raises for the user's input."""
        clock = _Clock()
        planner_name, confidence = getattr(self.planner, "name", "rules"), None
        plan: QueryPlan | None = None
        catalog = self.catalog  # one snapshot per question, even if a reload lands meanwhile
        try:
            with clock.stage("plan"):
                outcome = self.planner.plan(question, catalog, as_of=self.config.as_of,
                                            choice=choice)
            planner_name, confidence, plan = outcome.planner, outcome.confidence, outcome.plan
            answer = self._answer_plan(question, plan, clock, catalog)
        except SegqError as exc:
            answer = self._failure(question, exc, plan)
        except Exception as exc:  # never let a stack trace reach a user
            log.error("internal error answering %r: %r", question, exc)
            log.debug("traceback", exc_info=True)
            answer = Answer(question, "error", "", error=f"internal: {exc!r}")
            answer.message = messages.INTERNAL_ERROR.format(ref=answer.id)
        answer.planner, answer.confidence = planner_name, confidence
        return self._finish(answer, clock, source=source, user=user, channel=channel,
                            thread_ts=thread_ts)

    def run_plan(self, plan: QueryPlan, *, question: str = "", source: str = "cli") -> Answer:
        """Answer a structured QueryPlan directly (`segq query`)."""
        clock = _Clock()
        try:
            answer = self._answer_plan(question or plan.intent.value, plan, clock, self.catalog)
        except SegqError as exc:
            answer = self._failure(question, exc, plan)
        answer.planner = "plan"
        return self._finish(answer, clock, source=source)

    def _finish(self, answer: Answer, clock: _Clock, **where: Any) -> Answer:
        """Every stage gets a timing (0 when it did not run); then the answer is logged."""
        answer.timings_ms = {**answer.timings_ms, **clock.done()}
        for stage in ("plan", "compile", "validate", "execute"):
            answer.timings_ms.setdefault(stage, 0.0)
        self._log(answer, **where)
        return answer

    # -- stages -------------------------------------------------------------------------
    def _answer_plan(self, question: str, plan: QueryPlan, clock: _Clock,
                     catalog: Catalog) -> Answer:
        if plan.intent == Intent.DEFINITION:
            from assistant.definitions import definition_answer

            return definition_answer(question, plan, catalog)
        if plan.intent == Intent.CATALOG:
            from assistant.definitions import catalog_answer

            return catalog_answer(question, catalog)
        answer = Answer(question, "error", "", plan=plan.to_dict())
        with clock.stage("compile"):
            compiled = compile_plan(plan, catalog, self.config.as_of,
                                    row_cap=self.config.row_cap)
            sql = compiled.sql()
        answer.sql, answer.definitions = sql, compiled.definitions
        try:
            with clock.stage("validate"):
                validate_sql(sql, SqlContext(
                    catalog, plan, compiled.governed_ctes,
                    max_limit=self.config.row_cap + 1, allow_pii=self.config.allow_pii))
            with clock.stage("execute"):
                cap = min(plan.limit or self.config.row_cap, self.config.row_cap)
                result = self.warehouse.execute(sql, row_cap=cap)
        except SegqError as exc:
            failed = self._failure(question, exc, plan)
            failed.sql, failed.definitions = sql, compiled.definitions
            return failed
        answer.status = "answered"
        answer.columns, answer.rows = result.columns, [list(r) for r in result.rows]
        answer.row_count, answer.truncated = result.row_count, result.truncated
        answer.message = sentence(plan, catalog, result)
        return answer

    def _failure(self, question: str, exc: SegqError, plan: QueryPlan | None = None) -> Answer:
        answer = Answer(question, exc.status, exc.message, plan=plan.to_dict() if plan else None)
        if isinstance(exc, ClarificationNeeded):
            answer.candidates = [c.to_dict() for c in exc.candidates]
        elif isinstance(exc, Refusal):
            answer.error = f"refused: {exc.reason}"
        elif not isinstance(exc, PlanError):
            reason = exc.details.get("reason") or type(exc).__name__
            issues = exc.details.get("issues") or []
            rules = ",".join(sorted({i.rule for i in issues}))
            answer.error = f"{type(exc).__name__}({reason}{': ' + rules if rules else ''}): " + (
                exc.message)
        return answer

    def _log(self, answer: Answer, **where: Any) -> None:
        if self.query_log is None:
            return
        try:
            self.query_log.record(answer.to_dict(), **where)
        except Exception:  # logging never breaks an answer
            log.warning("could not write answer %s to the query log", answer.id, exc_info=True)
