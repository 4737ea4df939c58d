"""The orchestrator: question -> plan -> compile -> validate -> execute -> Answer (+ log).

Surfaces (CLI, Slack, evals) call `Assistant.ask`; it never raises for a user's question.
Every outcome, including failures, becomes an Answer with a status and is logged.

Three guards keep one question from costing the service:
- **One deadline per question** (`question_timeout_s`) covers plan, compile, validate and
  execute. Plan, compile and validate run in a worker thread waited on for the time left; past
  it the answer is a worded error and the thread is abandoned (Python cannot stop a thread).
- **Bounds**: a question over `max_question_chars`, or a plan over the sizes in `plan.py`, is
  a worded error that names the size, never the value.
- **Admission control**: at most `max_concurrent_queries` queries run on one warehouse file at
  once, across every Assistant in the process; beyond that the answer is "busy, try again".

Nothing untrusted is echoed: a time phrase from any planner but the rules planner that is not
the user's own words is replaced by one made from its dates, and the llm planner's
clarifications and refusals are reworded from the catalog, so no text a model wrote reaches a
user or the log.
"""

from __future__ import annotations

import calendar
import getpass
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError

from assistant import messages
from assistant.access.identity import principal_for
from assistant.access.models import Identity, Principal
from assistant.access.scope import check_plan, row_condition, scoped_catalog
from assistant.answer import Answer, DefinitionUsed
from assistant.catalog import Catalog, CatalogHolder
from assistant.catalog.cache import code_stamp, load_cached
from assistant.config import Config
from assistant.describe import sentence
from assistant.errors import (
    ClarificationNeeded,
    PlanError,
    QuestionTimeout,
    Refusal,
    SegqError,
    WarehouseBusy,
)
from assistant.executor import Result, Warehouse
from assistant.failures import denied_by_validator, failure_of, internal_failure
from assistant.gate import denial_probe, policy_screen
from assistant.plan import MAX_NAME, Intent, QueryPlan, TimeRange
from assistant.planner.followup import FollowUp, follow_up
from assistant.resultcache import ResultCache, cache_key, duckdb_version, files_hash
from assistant.warehouses import Adapter, dialect_of, engine_of, open_warehouse
from assistant.workers import run_in_worker

if TYPE_CHECKING:  # the compiler and validator (sqlglot) load when a plan is compiled, so
    from sqlglot import exp  # a question answered from the result cache never imports them

log = logging.getLogger("segq")
T = TypeVar("T")


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


class _Deadline:
    """The one time budget of a question, shared by its stages."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds
        self.stage = ""  # the stage running now; a worker may move on to the next one

    def at(self, stage: str) -> None:
        self.check(stage)
        self.stage = stage

    def remaining(self) -> float:
        return self._end - time.monotonic()

    def extend(self, seconds: float) -> None:
        self._end += seconds

    def check(self, stage: str) -> float:
        """The seconds left; a QuestionTimeout when none are."""
        left = self.remaining()
        if left <= 0:
            raise self._expired(stage)
        return left

    def run(self, stage: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn` in a worker thread (`workers.py`), waited on for the time left; abandoned
        past the deadline."""
        left = self.check(stage)
        self.stage = stage
        future = run_in_worker(fn, *args, **kwargs)
        try:
            return future.result(timeout=left)
        except FutureTimeout:
            if future.done():  # the stage itself raised TimeoutError
                raise
            raise self._expired(self.stage) from None

    def _expired(self, stage: str) -> QuestionTimeout:
        log.warning("question deadline of %g s passed during %s; the stage was abandoned",
                    self.seconds, stage)
        return QuestionTimeout(messages.question_timeout(self.seconds), reason="deadline",
                               stage=stage)


class _Memo:
    """A small thread-safe LRU map of memo key -> (catalog, sql, definitions)."""

    SIZE = 512

    def __init__(self) -> None:
        self._items: OrderedDict[str, tuple[Catalog, str, tuple[DefinitionUsed, ...]]] = (
            OrderedDict())
        self._lock = threading.Lock()

    def get(self, key: str | None, catalog: Catalog) -> Any:
        """The entry made with this very catalog, else None."""
        if key is None:
            return None
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
        return item if item[0] is catalog else None

    def put(self, key: str | None, item: tuple[Catalog, str, tuple[DefinitionUsed, ...]]) -> None:
        if key is None:
            return
        with self._lock:
            self._items[key] = item
            while len(self._items) > self.SIZE:
                self._items.popitem(last=False)


# Admission control: query slots per warehouse file, shared by every Assistant in the process.
_SLOTS: dict[str, threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


def query_slots(warehouse: str | Path, size: int) -> threading.BoundedSemaphore:
    """The slots of one warehouse file; the first Assistant to ask sets how many there are."""
    spec = str(warehouse)
    key = spec if engine_of(spec) != "duckdb" else str(Path(spec).resolve())
    with _SLOTS_LOCK:
        if key not in _SLOTS:
            _SLOTS[key] = threading.BoundedSemaphore(size)
        return _SLOTS[key]


# -- nothing untrusted is echoed ------------------------------------------------------------
def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def period_phrase(start: date, end: date) -> str:
    """Words for a date range made from the dates alone: "March 2026", "Q1 2026", "2026"."""
    def month_end(year: int, month: int) -> date:
        return date(year, month, calendar.monthrange(year, month)[1])

    if start.day == 1 and start.year == end.year:
        if end == month_end(start.year, start.month):
            return f"{calendar.month_name[start.month]} {start.year}"
        if start.month % 3 == 1 and end == month_end(start.year, start.month + 2):
            return f"Q{start.month // 3 + 1} {start.year}"
        if start.month == 1 and end == date(start.year, 12, 31):
            return str(start.year)
    return f"{start.isoformat()} to {end.isoformat()}"


def trusted_phrases(plan: QueryPlan, question: str) -> QueryPlan:
    """Time phrases that are the user's own words stay; any other is made from its dates."""
    asked = _normalised(question)

    def trusted(tr: TimeRange) -> TimeRange:
        if _normalised(tr.phrase) in asked:
            return tr
        return tr.model_copy(update={"phrase": period_phrase(tr.start, tr.end)})

    changes: dict[str, Any] = {}
    if plan.time_range is not None:
        changes["time_range"] = trusted(plan.time_range)
    if plan.compared:
        changes["compared"] = tuple(trusted(tr) for tr in plan.compared)
    return plan.model_copy(update=changes) if changes else plan


def _raised_by_llm(exc: BaseException) -> bool:
    """Whether the llm planner raised `exc` (also when the auto planner passed it on)."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__") == "assistant.planner.llm":
            return True
        tb = tb.tb_next
    return False


def _reworded(exc: PlanError) -> PlanError:
    """An llm planner outcome in words from the catalog and messages.py, none from the model."""
    if isinstance(exc, ClarificationNeeded):
        labels = " or ".join(f"*{c.label}*" for c in exc.candidates)
        message = (messages.CLARIFY_CHOICES.format(labels=labels) if exc.candidates
                   else messages.LOW_CONFIDENCE)
        return ClarificationNeeded(message, exc.candidates)
    if isinstance(exc, Refusal):
        from assistant.planner.llm import REFUSALS

        canned = {text for text, _ in REFUSALS.values()} | {messages.LOW_CONFIDENCE}
        message = exc.message if exc.message in canned else messages.LOW_CONFIDENCE
        return Refusal(message, reason=exc.reason.split(":", 1)[0], final=exc.final)
    if exc.details.get("reason") == "llm_plan_rejected":  # its text quotes the model's names
        return PlanError(messages.LLM_NO_PLAN, reason="llm_plan_rejected")
    return exc


def _invalid_plan(exc: ValidationError) -> PlanError:
    """A plan over its bounds in words: where and what limit, never the value itself."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "plan"
    return PlanError(messages.plan_too_large(where, first["msg"]), reason="plan_invalid")


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container without a passwd entry)
        return "unknown"


def _example_warehouse(config: Config) -> Path | None:
    """The DuckDB file of the example the semantic models belong to (built on first use)."""
    models = Path(config.semantic_models)
    if models.resolve() == Path(_default_models()).resolve():
        return None
    from assistant.config import CACHE_DIR
    from assistant.importers.datasets import ensure_dataset, find_dataset  # YAML, DuckDB loaders

    dataset = find_dataset(models)
    if dataset is None:
        return None
    log.debug("using the data of %s as the warehouse (built once per change of its files)",
             dataset.root)
    return ensure_dataset(dataset, CACHE_DIR)


def _default_models() -> str:
    from assistant.config import SETTINGS

    return str(next(s.default for s in SETTINGS if s.name == "semantic_models"))


class Assistant:
    """Answers questions from governed definitions; one instance serves many threads."""

    def __init__(self, config: Config, *, catalog: Catalog | None = None,
                 warehouse: Adapter | None = None, planner: Any = None,
                 query_log: Any = None) -> None:
        self.config = config
        # A catalog passed in is fixed; one loaded from the config follows edits to its files.
        self._catalogs = CatalogHolder(config.semantic_models, loader=partial(
            load_cached, cache_dir=config.cache_path)) if catalog is None else None
        self._catalog = catalog
        self._warehouse = warehouse
        self._planner = planner
        self.query_log = query_log
        self._results: ResultCache | None = None
        self._hashed: tuple[Catalog, str] | None = None
        self._sampled: tuple[Catalog, Catalog] | None = None  # (as loaded, with values)
        self._code: str | None = None  # segq's code stamp, part of a plan's cache key
        # Validated SQL per plan and asker (kept while the result cache is on): a repeated
        # question skips compile and validate; an entry is used only with its own catalog.
        self._validated: _Memo = _Memo()

    @property
    def catalog(self) -> Catalog:
        if self._catalogs is not None:
            return self._with_values(self._catalogs.current())
        assert self._catalog is not None
        return self._catalog

    def _with_values(self, catalog: Catalog) -> Catalog:
        """The loaded catalog with the values its dimensions do not list, read once from
        the warehouse (catalog/sampling.py); a native catalog lists them all."""
        from assistant.catalog.sampling import unlisted, with_sampled_values

        if self._sampled is not None and self._sampled[0] is catalog:
            return self._sampled[1]
        sampled = with_sampled_values(catalog, self.warehouse) if unlisted(catalog) else catalog
        self._sampled = (catalog, sampled)
        return sampled

    # -- parts built on first use, so `segq validate` or a definition question stays fast --
    @property
    def dialect(self) -> str:
        """The SQL dialect of the configured engine; known without opening it."""
        if self._warehouse is not None:
            return self._warehouse.dialect
        return dialect_of(self.config.warehouse)

    @property
    def warehouse(self) -> Adapter:
        if self._warehouse is None and engine_of(self.config.warehouse) != "duckdb":
            warehouse = open_warehouse(self.config.warehouse,
                                       timeout_s=self.config.query_timeout_s,
                                       row_cap=self.config.row_cap)
            warehouse.warm()  # a Spark JVM starts here, not in the first question's time
            self._warehouse = warehouse
        if self._warehouse is None:
            path = Path(self.config.warehouse)
            if self.config.uses_default_demo:  # an example's own data, if the models have one
                path = _example_warehouse(self.config) or path
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
    def principal(self, catalog: Catalog, source: str, user: str | None,
                  identity: Identity | None) -> Principal:
        """Who the answer is for: the surface's identity, else the CLI login or Slack user."""
        if identity is None:
            if source == "slack":
                identity = Identity("slack", user or "")
            else:
                identity = Identity("cli", self.config.cli_user or _login())
        return principal_for(catalog.access, identity)

    def ask(self, question: str, *, source: str = "cli", user: str | None = None,
            channel: str | None = None, thread_ts: str | None = None,
            choice: str | None = None, previous: QueryPlan | None = None,
            identity: Identity | None = None) -> Answer:
        """Answer one plain-language question; never raises for the user's input.

        `previous` is the plan answered before in the same conversation (a Slack thread): a
        follow-up ("now by plan") is planned as a change to it (`planner/followup.py`).
        `identity` is who asked, as the surface knows it (docs/access.md).
        """
        clock = _Clock()
        deadline = _Deadline(self.config.question_timeout_s)
        planner_name, confidence = getattr(self.planner, "name", "rules"), None
        plan: QueryPlan | None = None
        catalog = self.catalog  # one snapshot per question, even if a reload lands meanwhile
        principal = self.principal(catalog, source, user, identity)
        limit = self.config.max_question_chars
        shown = question[:limit]  # all that answers and the log ever hold of the question
        if choice is not None and len(choice) > 2 * MAX_NAME + 1:
            choice = None  # longer than any governed segment:member, so it chooses nothing
        try:
            if len(question) > limit:
                raise PlanError(messages.question_too_long(len(question), limit),
                                reason="question_too_long")
            with clock.stage("plan"):
                visible = scoped_catalog(catalog, principal)  # the planner offers only these
                if planner_name != "rules":
                    deadline.run("plan", policy_screen, question, visible, self.config)
                followed = None if previous is None else deadline.run(
                    "plan", follow_up, question, previous, visible, as_of=self.config.as_of,
                    planner=self.planner, choice=choice)
                outcome = followed or deadline.run("plan", self._plan, question, catalog,
                                                   visible, principal, choice)
            planner_name, confidence = outcome.planner, outcome.confidence
            plan = outcome.plan
            if outcome.planner != "rules":  # the rules planner's phrases are made by its code
                plan = trusted_phrases(plan, question)
            answer = self._answer_plan(shown, plan, clock, catalog, deadline, principal)
            aside: tuple[str, ...] = () if isinstance(outcome, FollowUp) else outcome.set_aside
            if aside and answer.status == "answered":  # said, so nothing is hidden
                answer.message += " " + messages.set_aside(aside)
                answer.extra["set_aside"] = list(aside)
            if followed is not None:
                answer.extra["carried"] = followed.carried
        except PlanError as exc:
            answer = self._failure(shown, _reworded(exc) if _raised_by_llm(exc) else exc, plan)
        except SegqError as exc:
            answer = self._failure(shown, exc, plan)
        except ValidationError as exc:  # a planner built a plan over its bounds
            answer = self._failure(shown, _invalid_plan(exc), plan)
        except Exception as exc:  # never let a stack trace reach a user
            log.error("internal error answering %r: %r", shown[:200], exc)
            log.debug("traceback", exc_info=True)
            answer = Answer(shown, "error", "")
            answer.failure = internal_failure(exc, answer.id)
            answer.message = answer.failure.message
        answer.planner, answer.confidence = planner_name, confidence
        answer.principal = principal
        return self._finish(answer, clock, source=source, user=user, channel=channel,
                            thread_ts=thread_ts)

    def _plan(self, question: str, catalog: Catalog, visible: Catalog, principal: Principal,
              choice: str | None) -> Any:
        """The planner over the principal's view, after the denial probe: a question that
        asks for something hidden is refused in words rather than answered with a guess."""
        if visible is not catalog:
            denial_probe(question, catalog, principal, self.config, choice)
        return self.planner.plan(question, visible, as_of=self.config.as_of, choice=choice)

    def run_plan(self, plan: QueryPlan, *, question: str = "", source: str = "cli",
                 record: bool = True, user: str | None = None,
                 identity: Identity | None = None,
                 principal: Principal | None = None) -> Answer:
        """Answer a structured QueryPlan directly (`segq query`, a Slack re-run); `record=False`
        keeps a surface's own look-up (member counts next to a clarification) out of the log."""
        clock = _Clock()
        deadline = _Deadline(self.config.question_timeout_s)
        shown = question[:self.config.max_question_chars]
        catalog = self.catalog
        principal = principal or self.principal(catalog, source, user, identity)
        try:
            answer = self._answer_plan(shown or plan.intent.value, plan, clock, catalog,
                                       deadline, principal)
        except SegqError as exc:
            answer = self._failure(shown, exc, plan)
        answer.planner, answer.principal = "plan", principal
        if not record:
            answer.timings_ms = {**answer.timings_ms, **clock.done()}
            answer.as_of = self.config.as_of.isoformat()
            return answer
        return self._finish(answer, clock, source=source, user=user)

    def _finish(self, answer: Answer, clock: _Clock, **where: Any) -> Answer:
        """Every stage gets a timing (0 when it did not run); then the answer is logged."""
        answer.timings_ms = {**answer.timings_ms, **clock.done()}
        answer.as_of = answer.as_of or self.config.as_of.isoformat()
        for stage in ("plan", "compile", "validate", "execute"):
            answer.timings_ms.setdefault(stage, 0.0)
        self._log(answer, **where)
        return answer

    # -- stages -------------------------------------------------------------------------
    def _answer_plan(self, question: str, plan: QueryPlan, clock: _Clock,
                     catalog: Catalog, deadline: _Deadline, principal: Principal) -> Answer:
        check_plan(plan, catalog, principal)  # a worded, final `denied` refusal
        if plan.intent == Intent.DEFINITION:
            from assistant.definitions import definition_answer

            return definition_answer(question, plan, catalog)
        if plan.intent == Intent.CATALOG:
            from assistant.definitions import catalog_answer

            return catalog_answer(question, scoped_catalog(catalog, principal))
        if plan.intent == Intent.CHANGE:  # "why did at-risk grow?": assistant/changes.py
            from sqlglot import exp

            from assistant.changes import change_answer

            if row_condition(catalog, principal, exp.column("user_id")) is not None:
                raise Refusal(messages.ACCESS_ROWS_WHOLE, "access: rows", final=True,
                              denied=True)  # it compares whole segments, every user's rows
            with clock.stage("execute"):
                return deadline.run("execute", change_answer, question, plan, catalog,
                                    self.warehouse, self.config.semantic_models)
        answer = Answer(question, "error", "", plan=plan.to_dict())
        cap = min(plan.limit or self.config.row_cap, self.config.row_cap)
        memo = self._memo_key(plan, catalog, principal)
        with clock.stage("execute"):
            stored = self._stored_answer(memo, cap, catalog)
        try:
            if stored is not None:  # asked before on this very data: nothing to compile
                answer.sql, answer.definitions, result, answer.cached_at = stored
            else:  # compile and validate share one worker thread: a thread each cost more
                deadline.run("compile", self._prepare, answer, plan, clock, catalog, deadline,
                             principal, memo)
                with clock.stage("execute"):
                    result, answer.cached_at = self._rows(answer.sql or "", cap, deadline,
                                                          catalog)
        except SegqError as exc:
            if deadline.stage == "compile":
                raise
            failed = self._failure(question, denied_by_validator(exc, catalog, principal), plan)
            failed.sql, failed.definitions = answer.sql, answer.definitions
            return failed
        undated = _undated_series(plan, catalog, result.rows)
        if undated is not None:  # one NULL period is no series: asked back, never answered
            failed = self._failure(question, ClarificationNeeded(undated, []), plan)
            failed.sql, failed.definitions = answer.sql, answer.definitions
            return failed
        answer.status = "answered"
        answer.columns, answer.rows = result.columns, [list(r) for r in result.rows]
        answer.row_count, answer.truncated = result.row_count, result.truncated
        answer.message = sentence(plan, catalog, result)
        return answer

    def _prepare(self, answer: Answer, plan: QueryPlan, clock: _Clock, catalog: Catalog,
                 deadline: _Deadline, principal: Principal, memo: str | None) -> None:
        """The plan's SQL (compiled, or validated for this asker before) on `answer`, then
        validated; runs in the question's worker thread."""
        from assistant.compiler import compile_plan
        from assistant.validator import SqlContext, validate_sql

        def rows(user_id: exp.Expr) -> exp.Expr | None:
            return row_condition(catalog, principal, user_id)

        known = self._validated.get(memo, catalog)
        with clock.stage("compile"):
            if known is not None:  # this plan's SQL, validated for this asker before
                sql, definitions = known[1], list(known[2])
            else:
                compiled = compile_plan(plan, catalog, self.config.as_of,
                                        row_cap=self.config.row_cap, row_filter=rows)
                sql, definitions = compiled.sql(self.dialect), compiled.definitions
        answer.sql, answer.definitions = sql, definitions
        deadline.at("validate")
        with clock.stage("validate"):
            if known is None:
                validate_sql(sql, SqlContext(
                    catalog, plan, max_limit=self.config.row_cap + 1,
                    allow_pii=self.config.allow_pii, dialect=self.dialect,
                    principal=principal, as_of=self.config.as_of))
                self._validated.put(memo, (catalog, sql, tuple(definitions)))
                store, key = self.results, self._plan_key(memo)
                if store is not None and key is not None:
                    store.put_plan(key, sql, definitions)

    # -- the result cache (assistant/resultcache.py) --------------------------------------
    @property
    def results(self) -> ResultCache | None:
        """The shared store of results; None when the result cache is off."""
        if not self.config.result_cache:
            return None
        if self._results is None:
            self._results = ResultCache(self.config.cache_path)
        return self._results

    def _catalog_hash(self, catalog: Catalog) -> str:
        seen = self._hashed
        if seen is None or seen[0] is not catalog:
            seen = self._hashed = (catalog, files_hash(catalog.files))
        return seen[1]

    def _memo_key(self, plan: QueryPlan, catalog: Catalog, principal: Principal) -> str | None:
        """What makes a plan's validated SQL the same again; None when caching is off."""
        if not self.config.result_cache:
            return None
        return json.dumps([plan.to_dict(), self._catalog_hash(catalog), principal.to_dict(),
                           self.config.as_of, self.dialect, self.config.row_cap,
                           self.config.allow_pii], default=str, sort_keys=True)

    def _plan_key(self, memo: str | None) -> str | None:
        """A plan's key in the result cache's `plans`: its memo key and segq's code stamp."""
        if memo is None:
            return None
        if self._code is None:
            self._code = code_stamp()
        return hashlib.sha256(f"{self._code}|{memo}".encode()).hexdigest()

    def _result_key(self, sql: str, cap: int, catalog: Catalog) -> str | None:
        """The rows' key in the result cache; None when nothing is cached for this engine."""
        warehouse = self.warehouse
        version = duckdb_version(warehouse.path) if isinstance(warehouse, Warehouse) else None
        if version is None:
            return None
        return cache_key(sql, cap=cap, warehouse=version, catalog=self._catalog_hash(catalog),
                         as_of=self.config.as_of.isoformat())

    def _stored_answer(self, memo: str | None, cap: int, catalog: Catalog) -> Any:
        """(sql, definitions, rows, computed at) when this plan was answered for this asker
        on this very data before, found without compiling; else None."""
        store, key = self.results, self._plan_key(memo)
        known = store.get_plan(key) if store is not None and key is not None else None
        rows_key = self._result_key(known[0], cap, catalog) if known is not None else None
        hit = store.get(rows_key) if store is not None and rows_key is not None else None
        if known is None or hit is None:
            return None
        return known[0], known[1], Result(hit.columns, hit.rows, hit.truncated, 0.0), \
            hit.computed_at

    def _rows(self, sql: str, cap: int, deadline: _Deadline,
              catalog: Catalog) -> tuple[Result, str | None]:
        """The query's rows, from the result cache when this SQL ran on this very data
        before; also when they were computed (None: just now)."""
        store = self.results
        key = self._result_key(sql, cap, catalog) if store is not None else None
        if store is None or key is None:
            return self._execute(sql, cap, deadline), None
        hit = store.get(key)
        if hit is not None:
            return Result(hit.columns, hit.rows, hit.truncated, 0.0), hit.computed_at
        result = self._execute(sql, cap, deadline)
        store.put(key, sql, result.columns, result.rows, result.truncated)
        return result, None

    def _execute(self, sql: str, cap: int, deadline: _Deadline) -> Result:
        """Run in one of the warehouse's query slots, within what is left of the deadline.

        The query is interrupted when the question's time is up (or at `query_timeout_s`, if
        that comes first).
        """
        opened = time.monotonic()
        warehouse = self.warehouse
        deadline.extend(time.monotonic() - opened)  # a first-use demo build is not the question's
        deadline.check("execute")
        size = self.config.max_concurrent_queries
        slots = query_slots(warehouse.key, size)
        if not slots.acquire(timeout=max(0.0, min(self.config.queue_wait_s,
                                                  deadline.remaining()))):
            log.warning("warehouse %s is busy: all %d query slots are taken", warehouse.key,
                        size)
            raise WarehouseBusy(messages.WAREHOUSE_BUSY, reason="busy")
        try:
            deadline.check("execute")
            result = warehouse.execute(sql, row_cap=cap, timeout_s=deadline.remaining())
        finally:
            slots.release()
        deadline.check("execute")
        return result

    def _failure(self, question: str, exc: SegqError, plan: QueryPlan | None = None) -> Answer:
        answer = Answer(question, exc.status, exc.message, plan=plan.to_dict() if plan else None)
        if isinstance(exc, ClarificationNeeded):
            answer.candidates = [c.to_dict() for c in exc.candidates]
        else:
            answer.failure = failure_of(exc, answer.id)
            answer.message = answer.failure.message
            if answer.failure.kind == "denied":
                answer.status = "refused"
        return answer

    def _log(self, answer: Answer, **where: Any) -> None:
        if self.query_log is None:
            return
        try:
            self.query_log.record(answer.log_dict(), **where)
        except Exception:  # logging never breaks an answer
            log.warning("could not write answer %s to the query log", answer.id, exc_info=True)


def _undated_series(plan: QueryPlan, catalog: Catalog, rows: list[Any]) -> str | None:
    """What to ask back when a series by a date has rows but not one of them has that date
    (a model whose default date is empty for every row): not a period, so not an answer."""
    for i, ref in enumerate(plan.group_by):
        if ref.grain is None or not rows or any(row[i] is not None for row in rows):
            continue
        metric = catalog.metrics.get(plan.metric.name) if plan.metric else None
        column = ref.name if ref.name in catalog.dimensions else (
            metric.time_column if metric else ref.name)
        others = sorted(d.label for d in catalog.dimensions.values() if d.is_time and (
            metric is None or d.table == metric.table) and d.column != column and
            d.name != column)
        return messages.undated_series(column, str(ref.grain), others)
    return None

