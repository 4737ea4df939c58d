"""Every public eval case answers the same on DuckDB, PostgreSQL and Spark.

For each case of `evals/*.yaml` (not the held-out `evals/fresh/`): the question is asked
through the whole pipeline on each engine, with the SQL compiled for and validated in that
engine's dialect. The answers must agree with DuckDB's: the same status, and for an answer
the same columns and the same rows by the SPEC §5 comparison. Cases with gold SQL are also
scored against the gold (run on DuckDB, where it is written): an engine passes exactly the
cases DuckDB passes. Clarify, refuse (hostile questions: writes, PII, off-topic) and
definition cases must get the same status everywhere.

Spark takes a second or more per query, so each engine runs every distinct SQL text once
(many questions compile to the same statement) through `Memo`, which only remembers what
the real adapter returned; the statements of DuckDB's plans are compiled for each engine up
front and run two at a time (Spark plans one query per core), and each test then waits for
its own.
"""

from __future__ import annotations

import glob
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from assistant.compiler import compile_plan
from assistant.config import load_config
from assistant.evals import GoldQueries, load_cases
from assistant.evals.compare import compare_results
from assistant.executor import Result
from assistant.pipeline import Assistant
from assistant.plan import QueryPlan
from tests.conftest import MODELS, REPO

CASES = load_cases(sorted(Path(p) for p in glob.glob(str(REPO / "evals" / "*.yaml"))))
OTHER_ENGINES = ("postgres", "spark")


class Memo:
    """The engine's adapter, answering a SQL text it already ran (or is running) from that run."""

    def __init__(self, adapter: Any) -> None:
        self.adapter = adapter
        self.dialect = adapter.dialect
        self.key = adapter.key
        self.timeout_s, self.row_cap = adapter.timeout_s, adapter.row_cap
        self._runs: dict[tuple[str, int | None], Future[Result]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"memo-{self.dialect}")

    def prefetch(self, sql: str, row_cap: int | None) -> None:
        with self._lock:
            if (sql, row_cap) not in self._runs:
                self._runs[(sql, row_cap)] = self._pool.submit(self.adapter.execute, sql,
                                                               row_cap=row_cap)

    def execute(self, sql: str, *, row_cap: int | None = None,
                timeout_s: float | None = None) -> Result:
        self.prefetch(sql, row_cap)
        return self._runs[(sql, row_cap)].result()

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)

    def warm(self) -> None:
        self.adapter.warm()


@pytest.fixture(scope="module")
def assistants(engines: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[dict[str, Assistant]]:
    log_dir = tmp_path_factory.mktemp("querylog")
    made = {}
    for name in ("duckdb", *OTHER_ENGINES):
        adapter = engines[name]
        config = load_config(environ={
            "SEGQ_WAREHOUSE": str(getattr(adapter, "path", adapter.key)),
            "SEGQ_SEMANTIC_MODELS": str(MODELS),
            "SEGQ_QUERY_LOG": str(log_dir / f"{name}.sqlite3"),
            # Spark plans a large statement in seconds on a busy 2-core box; the question
            # deadline is a service guard, not what this suite measures.
            "SEGQ_QUESTION_TIMEOUT": "600",
            "SEGQ_QUERY_TIMEOUT": "600",
        })
        made[name] = Assistant(config, warehouse=Memo(adapter))
    yield made
    for assistant in made.values():
        assistant.warehouse.close()


@pytest.fixture(scope="module")
def duckdb_answers(assistants: dict[str, Assistant]) -> dict[str, dict[str, Any]]:
    answers = {c.id: assistants["duckdb"].ask(c.question, source="eval").to_dict()
               for c in CASES}
    for engine in OTHER_ENGINES:  # start the other engines on the same plans, two at a time
        assistant = assistants[engine]
        config, memo = assistant.config, assistant.warehouse
        for answer in answers.values():
            if answer["status"] != "answered" or not answer.get("sql"):
                continue
            plan = QueryPlan.model_validate(answer["plan"])
            compiled = compile_plan(plan, assistant.catalog, config.as_of, row_cap=config.row_cap)
            cap = min(plan.limit or config.row_cap, config.row_cap)
            memo.prefetch(compiled.sql(memo.dialect), cap)
    return answers


@pytest.fixture(scope="module")
def gold(engines: dict[str, Any], assistants: dict[str, Assistant]) -> GoldQueries:
    return GoldQueries(engines["duckdb"], assistants["duckdb"].catalog)


def _passes(answer: dict[str, Any], case: Any, gold: GoldQueries) -> bool:
    result = gold.result(case.expect["sql"])
    return answer["status"] == "answered" and not result.error and compare_results(
        answer["columns"], answer["rows"], result.columns, result.rows)


def test_the_suite_covers_every_public_case_with_gold_sql():
    with_gold = [c for c in CASES if c.kind == "sql"]
    assert len(with_gold) > 600  # evals/*.yaml, not evals/fresh/
    assert not any("fresh" in c.source for c in CASES)


@pytest.mark.parametrize("engine", OTHER_ENGINES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_the_answer_is_the_same_on_every_engine(assistants, duckdb_answers, gold, engine, case):
    expected = duckdb_answers[case.id]
    got = assistants[engine].ask(case.question, source="eval").to_dict()
    assert got["status"] == expected["status"], (got["message"], expected["message"])
    if expected["status"] != "answered" or case.kind != "sql" and not expected["columns"]:
        return
    assert got["columns"] == expected["columns"]
    assert got["row_count"] == expected["row_count"]
    assert compare_results(got["columns"], got["rows"], expected["columns"], expected["rows"]), (
        got["sql"], got["rows"][:5], expected["rows"][:5])
    if case.kind == "sql":
        assert _passes(got, case, gold) == _passes(expected, case, gold)
