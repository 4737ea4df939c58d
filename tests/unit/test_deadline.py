"""One deadline per question, bounds on what a question and a plan may hold, and admission
control: each ends in a worded `error` answer that is logged, never in a hang or a stack trace.

The world: the session's 3,000-user demo warehouse and the governed models; "how many engaged
users do we have?" is a question the rules planner answers with one count.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant import compiler
from assistant.errors import PlanError
from assistant.pipeline import Assistant, query_slots
from assistant.plan import MAX_FILTER_VALUES, Filter, Intent, QueryPlan, SegmentRef
from assistant.planner import PlanOutcome
from assistant.querylog import QueryLog

QUESTION = "how many engaged users do we have?"


def make(config, catalog, **changes) -> Assistant:
    config = config.replace(**changes)
    return Assistant(config, catalog=catalog, query_log=QueryLog(config.query_log))


def logged(assistant: Assistant, answer_id: str) -> dict:
    record = assistant.query_log.get(answer_id)
    assert record is not None, "every answer is logged"
    return record


def log_bytes(config) -> bytes:
    """Everything the query log holds on disk (the database and its write-ahead log)."""
    db = Path(config.query_log)
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


class StubPlanner:
    """A planner that hands the pipeline a fixed outcome, or raises while planning."""

    name = "stub"

    def __init__(self, make_plan) -> None:
        self.make_plan = make_plan

    def plan(self, question, catalog, *, as_of, choice=None) -> PlanOutcome:
        return PlanOutcome(self.make_plan(), 1.0, self.name)


# -- one deadline per question -----------------------------------------------------------------


def test_a_compile_slower_than_the_deadline_stops_at_it_with_a_worded_logged_error(
        config, catalog, monkeypatch):
    real_compile = compiler.compile_plan

    def slow_compile(*args, **kwargs):
        time.sleep(3)
        return real_compile(*args, **kwargs)

    monkeypatch.setattr(compiler, "compile_plan", slow_compile)
    assistant = make(config, catalog, question_timeout_s=1.0)
    started = time.monotonic()
    answer = assistant.ask(QUESTION)
    elapsed = time.monotonic() - started

    assert answer.status == "error"
    assert 1.0 <= elapsed < 2.0, "the answer comes at the deadline, not when compile ends"
    assert answer.message.startswith("This question took longer than 1 s to answer")
    assert "Try a narrower question" in answer.message
    assert answer.sql is None and answer.rows == []
    record = logged(assistant, answer.id)
    assert record["status"] == "error"
    assert record["error"].startswith("timeout(deadline): QuestionTimeout(deadline, compile)")


def test_a_planner_slower_than_the_deadline_is_stopped_too(config, catalog):
    def slow_plan() -> QueryPlan:
        time.sleep(3)
        return QueryPlan(intent=Intent.COUNT, segment=SegmentRef(name="engaged_users"))

    assistant = make(config, catalog, question_timeout_s=1.0)
    assistant._planner = StubPlanner(slow_plan)
    started = time.monotonic()
    answer = assistant.ask(QUESTION)

    assert time.monotonic() - started < 2.0
    assert answer.status == "error" and "longer than 1 s" in answer.message


def test_a_question_within_its_deadline_is_answered_with_every_stage_timed(config, catalog):
    answer = make(config, catalog, question_timeout_s=30.0).ask(QUESTION)

    assert answer.status == "answered"
    assert set(answer.timings_ms) == {"plan", "compile", "validate", "execute", "total"}


# -- bounds --------------------------------------------------------------------------------------


def test_an_oversized_question_is_a_worded_error_that_stores_only_its_first_characters(
        config, catalog):
    assistant = make(config, catalog)
    question = "how many engaged users " + "Zq" * 1_000_000  # 2 MB

    answer = assistant.ask(question)

    assert answer.status == "error"
    assert answer.message == (
        "Your question is 2,000,023 characters long. Accepted: up to 2,000 characters. "
        "Ask one question at a time, in fewer words.")
    assert len(answer.question) == 2_000
    assert len(logged(assistant, answer.id)["question"]) == 2_000
    assert log_bytes(config).count(b"ZqZq") < 2_000, "the 2 MB question never reaches the log"


def test_a_plan_with_more_filter_values_than_allowed_is_a_worded_error_without_the_values(
        config, catalog):
    def huge_filter() -> QueryPlan:
        return QueryPlan(intent=Intent.COUNT, segment=SegmentRef(name="engaged_users"),
                         filters=(Filter(dimension="country",
                                         values=tuple(f"Atlantis{i}" for i in range(200_000))),))

    assistant = make(config, catalog)
    assistant._planner = StubPlanner(huge_filter)

    answer = assistant.ask(QUESTION)

    assert answer.status == "error"
    assert answer.message.startswith(
        "The query plan is too large or malformed at `values`: Tuple should have at most "
        f"{MAX_FILTER_VALUES} items")
    assert "Ask a narrower question" in answer.message
    assert "Atlantis" not in answer.message
    assert b"Atlantis" not in log_bytes(config)


@pytest.mark.parametrize("field, value", [
    ("group_by", [{"name": "country"}] * 6),
    ("compared", [{"start": "2026-01-01", "end": "2026-01-31"}] * 25),
    ("overrides", [{"parameter": "min_logins_per_week", "value": 3}] * 21),
    ("excluding", [{"name": "pql"}] * 17),
    ("to_members", ["at_risk"] * 33),
])
def test_every_plan_list_has_a_bound(field, value) -> None:
    with pytest.raises(ValueError, match="at most"):
        QueryPlan.model_validate({"intent": "count", field: value})


def test_a_time_phrase_longer_than_200_characters_is_refused_by_the_plan() -> None:
    with pytest.raises(ValueError, match="at most 200 characters"):
        QueryPlan.model_validate({"intent": "count", "time_range": {
            "start": "2026-01-01", "end": "2026-03-31", "phrase": "q" * 201}})


# -- admission control -----------------------------------------------------------------------------


def test_with_every_query_slot_taken_the_answer_is_busy_and_logged(config, catalog, caplog):
    assistant = make(config, catalog, queue_wait_s=0.05)
    slots = query_slots(config.warehouse, config.max_concurrent_queries)
    taken = 0
    while slots.acquire(blocking=False):
        taken += 1
    try:
        answer = assistant.ask(QUESTION)
    finally:
        for _ in range(taken):
            slots.release()

    assert answer.status == "error"
    assert answer.message == ("The warehouse is busy answering other questions right now. "
                              "Try again in a moment.")
    assert logged(assistant, answer.id)["error"] == "busy(busy): WarehouseBusy(busy)"
    assert "is busy: all 4 query slots are taken" in caplog.text
    assert assistant.ask(QUESTION).status == "answered", "a released slot is used again"


def test_assistants_on_one_warehouse_share_its_query_slots(config, catalog):
    first, second = make(config, catalog), make(config, catalog)
    assert query_slots(first.config.warehouse, 4) is query_slots(second.config.warehouse, 4)


def test_an_error_raised_while_planning_is_still_the_planners_answer(config, catalog):
    def unplannable() -> QueryPlan:
        raise PlanError("worded by the planner", reason="test")

    assistant = make(config, catalog)
    assistant._planner = StubPlanner(unplannable)

    answer = assistant.ask(QUESTION)
    assert (answer.status, answer.message) == ("error", "worded by the planner")
