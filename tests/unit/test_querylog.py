"""The query log records every answer durably and answers the data team's review questions."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import assistant
from assistant.answer import Answer, DefinitionUsed, Failure
from assistant.errors import ConfigError
from assistant.querylog import SCHEMA_VERSION, QueryLog, normalise_question

REPO = Path(assistant.__file__).resolve().parent.parent
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


class Clock:
    """A settable clock, so `created_at`, `since` and run order are exact in tests."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def definition(name: str = "engaged_users", hash: str = "a1b2c3d4e5f6", **changes: Any):
    values: dict[str, Any] = {
        "name": name,
        "kind": "segment",
        "version": 1,
        "hash": hash,
        "source": f"semantic_models/{name}.yml:3",
        "owner": "data-team",
        "label": name.replace("_", " ").title(),
    }
    values.update(changes)
    return DefinitionUsed(**values)


def answer(question: str = "How many engaged users?", status: str = "answered", **changes):
    """An `Answer.to_dict()` as the pipeline hands it to the log."""
    values: dict[str, Any] = {
        "question": question,
        "status": status,
        "message": "There are 42 engaged users.",
        "plan": {"intent": "count", "segment": {"name": "engaged_users", "member": None}},
        "sql": "SELECT COUNT(*) AS users FROM users LIMIT 10000",
        "definitions": [definition()],
        "columns": ["users"],
        "rows": [[42]],
        "row_count": 1,
        "timings_ms": {"plan": 1.5, "compile": 2.0, "validate": 0.5, "execute": 9.0, "total": 13.0},
        "planner": "rules",
        "confidence": 0.92,
    }
    detail = changes.pop("error", None)
    if detail is not None:
        changes["failure"] = Failure("warehouse", "The warehouse could not run it.", (), detail)
    values.update(changes)
    return Answer(**values).log_dict()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def log(tmp_path: Path, clock: Clock) -> QueryLog:
    return QueryLog(tmp_path / "logs" / "querylog.sqlite3", clock=clock)


def raw(log: QueryLog, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(log.path) as conn:
        return conn.execute(sql).fetchall()


# -- recording ---------------------------------------------------------------------------


def test_every_field_of_an_answer_round_trips_except_the_rows(log: QueryLog) -> None:
    recorded = answer(
        definitions=[
            definition(overrides={"min_logins_per_week": 5.0}),
            definition("lifecycle_stage", "ffee00112233", member="at_risk", version=3),
        ],
        candidates=[{"name": "churn_risk", "member": "high", "choice": "churn_risk.high"}],
        truncated=True,
        row_count=10_000,
    )
    assert log.record(recorded, source="slack", user="U1", channel="C1", thread_ts="17.5")

    stored = log.get(recorded["id"])

    assert stored is not None
    assert {k: v for k, v in recorded.items() if k != "rows"} == {
        k: stored[k] for k in recorded if k != "rows"
    }
    assert "rows" not in stored
    assert (stored["source"], stored["user"], stored["channel"], stored["thread_ts"]) == (
        "slack",
        "U1",
        "C1",
        "17.5",
    )
    assert stored["intent"] == "count"
    assert stored["timing_total_ms"] == 13.0
    assert stored["created_at"] == "2026-06-01T09:00:00.000000+00:00"


def test_rows_are_never_written_to_the_file(log: QueryLog) -> None:
    log.record(answer(rows=[["secret-row-value-7f3a"]]), source="cli")

    data = b"".join(p.read_bytes() for p in log.path.parent.iterdir())

    assert b"secret-row-value-7f3a" not in data


def test_a_failed_question_keeps_its_reason_and_the_sql_that_failed(log: QueryLog) -> None:
    failed = answer(
        status="error",
        message="Something went wrong on my side. Reference `q_x`.",
        error="ExecutionError: query ran longer than 30 s",
        row_count=0,
        rows=[],
    )
    log.record(failed, source="slack")

    stored = log.get(failed["id"])

    assert stored is not None
    assert stored["status"] == "error"
    assert stored["error"] == "warehouse: ExecutionError: query ran longer than 30 s"
    assert stored["sql"] == failed["sql"]


def test_eval_verdicts_are_recorded_with_their_run_and_case(log: QueryLog) -> None:
    recorded = answer()
    log.record(
        recorded, source="eval", eval_run="run-7", eval_case="engaged-count", eval_passed=False
    )

    stored = log.get(recorded["id"])

    assert stored is not None
    assert (stored["eval_run"], stored["eval_case"], stored["eval_passed"]) == (
        "run-7",
        "engaged-count",
        False,
    )


def test_recording_the_same_id_again_replaces_it_and_keeps_its_first_time(
    log: QueryLog, clock: Clock
) -> None:
    first = answer(status="error", error="boom")
    log.record(first, source="cli")
    clock.advance(minutes=5)
    log.record({**first, "status": "answered", "error": None, "definitions": []}, source="cli")

    stored = log.get(first["id"])

    assert stored is not None
    assert (stored["status"], stored["error"], stored["definitions"]) == ("answered", None, [])
    assert stored["created_at"] == "2026-06-01T09:00:00.000000+00:00"
    assert raw(log, "SELECT count(*) FROM answers") == [(1,)]


def test_thread_is_attached_after_posting(log: QueryLog) -> None:
    recorded = answer()
    log.record(recorded, source="slack", user="U1")

    assert log.set_thread(recorded["id"], "C9", "1719.001")
    assert not log.set_thread("q_unknown", "C9", "1")
    stored = log.get(recorded["id"])
    assert stored is not None
    assert (stored["channel"], stored["thread_ts"]) == ("C9", "1719.001")


def test_each_user_has_one_vote_per_answer_and_the_latest_wins(log: QueryLog) -> None:
    recorded = answer()
    log.record(recorded, source="slack")

    assert log.add_feedback(recorded["id"], "up", "U1")
    assert log.add_feedback(recorded["id"], "down", "U1")
    assert log.add_feedback(recorded["id"], "up", "U2")

    stored = log.get(recorded["id"])
    assert stored is not None
    assert [(f["user"], f["value"]) for f in stored["feedback"]] == [("U1", "down"), ("U2", "up")]


def test_feedback_on_an_unknown_answer_or_with_an_unknown_value_is_refused(log: QueryLog) -> None:
    recorded = answer()
    log.record(recorded, source="slack")

    assert not log.add_feedback("q_unknown", "up", "U1")
    assert not log.add_feedback(recorded["id"], "meh", "U1")
    assert raw(log, "SELECT count(*) FROM feedback") == [(0,)]


# -- schema ------------------------------------------------------------------------------


def test_opening_creates_parent_directories_in_wal_mode_at_the_latest_schema(
    tmp_path: Path,
) -> None:
    log = QueryLog(tmp_path / "a" / "b" / "log.sqlite3")

    assert log.path.is_file()
    assert raw(log, "PRAGMA journal_mode") == [("wal",)]
    assert raw(log, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_opening_twice_migrates_once_and_keeps_the_records(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    recorded = answer()
    QueryLog(path).record(recorded, source="cli")

    again = QueryLog(path)

    assert again.get(recorded["id"]) is not None
    assert raw(again, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_a_log_from_a_newer_segq_is_not_written_to(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    QueryLog(path)
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")

    assert not QueryLog(path).record(answer(), source="cli")
    with pytest.raises(ConfigError, match="newer than this segq knows"):
        QueryLog(path).list()


# -- a failing log never breaks an answer ------------------------------------------------


def test_an_unserialisable_answer_returns_false_and_leaves_no_half_record(
    log: QueryLog, caplog: pytest.LogCaptureFixture
) -> None:
    broken = answer(definitions=[definition(), definition("churn_risk", "c0ffee")])
    broken["definitions"][1]["overrides"] = {"decline_ratio": object()}

    with caplog.at_level(logging.WARNING, logger="assistant.querylog"):
        assert log.record(broken, source="cli") is False

    assert log.get(broken["id"]) is None
    assert raw(log, "SELECT count(*) FROM answer_definitions") == [(0,)]
    assert raw(log, "SELECT count(*) FROM definition_versions") == [(0,)]
    assert "could not record answer" in caplog.text


def test_a_file_that_is_not_a_database_makes_writes_return_false(tmp_path: Path) -> None:
    path = tmp_path / "querylog.sqlite3"
    path.write_text("this is not sqlite\n" * 100)

    log = QueryLog(path)

    assert log.record(answer(), source="cli") is False
    assert log.record_catalog([{"name": "x", "hash": "1"}]) is False
    assert log.add_feedback("q_1", "up", "U1") is False


def test_a_log_that_cannot_be_created_makes_writes_return_false(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")

    log = QueryLog(blocker / "querylog.sqlite3")

    assert log.record(answer(), source="cli") is False


def test_reading_a_log_that_cannot_be_opened_says_which_setting_to_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")

    with pytest.raises(ConfigError, match="SEGQ_QUERY_LOG"):
        QueryLog(blocker / "querylog.sqlite3").list()


# -- concurrency -------------------------------------------------------------------------

WRITER = """
import sys, time
from assistant.answer import Answer
from assistant.querylog import QueryLog
path, tag, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
while time.time() < start:
    time.sleep(0.001)
log = QueryLog(path)
failed = 0
for i in range(200):
    a = Answer(question=f"{tag} question {i}", status="answered", message="ok")
    failed += not log.record(a.to_dict(), source="cli", user=tag)
sys.exit(failed)
"""


def test_two_processes_writing_200_records_each_at_once_lose_none(tmp_path: Path) -> None:
    path = tmp_path / "shared" / "querylog.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = str(time.time() + 1.0)  # both open (and migrate) the fresh file at the same moment
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, start], env=env)
        for tag in ("p1", "p2")
    ]

    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    log = QueryLog(path)
    assert raw(log, "SELECT user, count(DISTINCT id) FROM answers GROUP BY user") == [
        ("p1", 200),
        ("p2", 200),
    ]


def test_threads_sharing_one_log_object_lose_no_records(log: QueryLog) -> None:
    def write(tag: str) -> None:
        for i in range(25):
            log.record(answer(f"{tag} {i}"), source="slack", user=tag)

    threads = [threading.Thread(target=write, args=(f"t{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert raw(log, "SELECT count(*) FROM answers") == [(200,)]


# -- review queries ----------------------------------------------------------------------


def test_list_is_newest_first_and_every_filter_narrows_it(log: QueryLog, clock: Clock) -> None:
    churn = definition("churn_risk", "c0ffee123456", member="high")
    ids = []
    for question, status, source, user, defs in [
        ("How many engaged users?", "answered", "cli", None, [definition()]),
        ("high churn risk users in DE", "answered", "slack", "U1", [churn]),
        ("what's 100% of the weather?", "refused", "slack", "U2", []),
        ("revenue by planet", "error", "slack", "U1", []),
    ]:
        recorded = answer(question, status, definitions=defs)
        log.record(recorded, source=source, user=user)
        ids.append(recorded["id"])
        clock.advance(days=1)

    def found(**filters: Any) -> list[str]:
        return [a["id"] for a in log.list(**filters)]

    assert found() == ids[::-1]
    assert found(limit=2) == [ids[3], ids[2]]
    assert found(status="refused") == [ids[2]]
    assert found(source="cli") == [ids[0]]
    assert found(user="U1") == [ids[3], ids[1]]
    assert found(definition="churn_risk") == [ids[1]]
    assert found(definition="c0ffee") == [ids[1]]
    assert found(text="CHURN") == [ids[1]]
    assert found(text="100%") == [ids[2]]
    assert found(text="%") == [ids[2]]
    assert found(since=T0 + timedelta(days=2)) == [ids[3], ids[2]]
    assert found(since=datetime(2026, 6, 3, 9, 0)) == [ids[3], ids[2]]  # naive means UTC
    assert found(source="slack", user="U1", status="error") == [ids[3]]
    assert log.list(definition="churn_risk")[0]["definitions"] == [
        {
            "name": "churn_risk",
            "kind": "segment",
            "version": 1,
            "hash": "c0ffee123456",
            "member": "high",
        }
    ]


def test_questions_differing_only_in_case_and_spacing_are_one_question() -> None:
    assert normalise_question("  How many\tENGAGED  users? ") == "how many engaged users?"


@pytest.fixture
def known_log(log: QueryLog, clock: Clock) -> QueryLog:
    """Ten answers from people and four eval cases, one minute apart.

    cli:   "How many engaged users?" answered x2 ("how many  ENGAGED users?" once), 100/300 ms
    slack: "how many engaged users?" answered 200 ms, up-voted by U1 and U2
           "how many at risk users?" clarify x2, 50 ms, down-voted by U3
           "what's the weather in Paris?" refused 5 ms
           "revenue by planet" error x2, 900 ms and 20 ms
           "revenue by country" answered 400 ms
    eval:  run r1: 2 cases, 1 passed (refused, clarify); run r2: 2 cases, 2 passed (answered)
    """

    def add(question, status, ms, source="slack", **extra):
        recorded = answer(question, status, timings_ms={"total": ms})
        log.record(recorded, source=source, **extra)
        clock.advance(minutes=1)
        return recorded["id"]

    add("How many engaged users?", "answered", 100, "cli")
    add("how many  ENGAGED users?", "answered", 300, "cli")
    liked = add("how many engaged users?", "answered", 200)
    add("how many at risk users?", "clarify", 50)
    disliked = add("how many at risk users?", "clarify", 50)
    add("what's the weather in Paris?", "refused", 5)
    add("revenue by planet", "error", 900)
    add("revenue by planet", "error", 20)
    add("revenue by country", "answered", 400)
    add("what's the weather in Paris?", "refused", 1, "eval", eval_run="r1", eval_passed=True)
    add("how many at risk users?", "clarify", 1, "eval", eval_run="r1", eval_passed=False)
    clock.advance(hours=1)
    add("revenue by country", "answered", 2, "eval", eval_run="r2", eval_passed=True)
    add("revenue by country", "answered", 2, "eval", eval_run="r2", eval_passed=True)
    log.add_feedback(liked, "up", "U1")
    log.add_feedback(liked, "up", "U2")
    log.add_feedback(disliked, "down", "U3")
    return log


def test_stats_give_exact_rates_per_status_and_source(known_log: QueryLog) -> None:
    stats = known_log.stats()

    assert stats["total"] == 13
    assert stats["by_status"] == {
        "answered": {"count": 6, "rate": 6 / 13},
        "clarify": {"count": 3, "rate": 3 / 13},
        "refused": {"count": 2, "rate": 2 / 13},
        "error": {"count": 2, "rate": 2 / 13},
    }
    assert stats["by_source"] == {"slack": 7, "eval": 4, "cli": 2}
    assert stats["feedback"] == {"up": 2, "down": 1}


def test_top_questions_group_by_normalised_text_and_leave_out_eval_cases(
    known_log: QueryLog,
) -> None:
    top = known_log.stats(top=3)["top_questions"]

    assert [(q["question"], q["count"]) for q in top] == [
        ("how many engaged users?", 3),
        ("how many at risk users?", 2),
        ("revenue by planet", 2),
    ]


def test_top_unanswered_is_the_backlog_of_clarify_refused_and_error(known_log: QueryLog) -> None:
    backlog = known_log.stats()["top_unanswered"]

    assert [(q["question"], q["count"], q["last_status"]) for q in backlog] == [
        ("how many at risk users?", 2, "clarify"),
        ("revenue by planet", 2, "error"),
        ("what's the weather in paris?", 1, "refused"),
    ]


def test_slowest_answers_are_ordered_by_total_time(known_log: QueryLog) -> None:
    slowest = known_log.stats(top=3)["slowest"]

    assert [(a["question"], a["timing_total_ms"]) for a in slowest] == [
        ("revenue by planet", 900.0),
        ("revenue by country", 400.0),
        ("how many  ENGAGED users?", 300.0),
    ]


def test_eval_runs_report_pass_rate_in_time_order(known_log: QueryLog) -> None:
    runs = known_log.stats(source="eval")["eval_runs"]

    assert [(r["eval_run"], r["cases"], r["passed"], r["pass_rate"]) for r in runs] == [
        ("r1", 2, 1, 0.5),
        ("r2", 2, 2, 1.0),
    ]


def test_stats_for_eval_alone_include_eval_questions_in_the_top_lists(
    known_log: QueryLog,
) -> None:
    stats = known_log.stats(source="eval")

    assert stats["total"] == 4
    assert stats["top_questions"][0] == {
        "question": "revenue by country",
        "count": 2,
        "last_seen": "2026-06-01T10:12:00.000000+00:00",
        "last_id": stats["top_questions"][0]["last_id"],
    }


def test_stats_since_counts_only_later_answers(known_log: QueryLog) -> None:
    stats = known_log.stats(since=T0 + timedelta(minutes=6), source="slack")

    assert stats["total"] == 3
    assert {k: v["count"] for k, v in stats["by_status"].items()} == {
        "answered": 1,
        "clarify": 0,
        "refused": 0,
        "error": 2,
    }


def test_stats_of_an_empty_log_are_zero_not_an_error(log: QueryLog) -> None:
    stats = log.stats()

    assert stats["total"] == 0
    assert stats["by_status"]["answered"] == {"count": 0, "rate": 0.0}
    assert stats["top_questions"] == stats["eval_runs"] == []


def test_definition_history_shows_both_hashes_and_which_answers_used_each(
    log: QueryLog, clock: Clock
) -> None:
    before = [answer(definitions=[definition(hash="old0001")]) for _ in range(2)]
    for recorded in before:
        log.record(recorded, source="slack")
        clock.advance(days=1)
    after = answer(definitions=[definition(hash="new0002", version=2)])
    log.record(after, source="slack")
    log.record(
        answer("revenue?", definitions=[definition("revenue", "r1", kind="metric")]), source="cli"
    )

    (history,) = log.definition_history("engaged_users")

    assert history["changed"] is True
    assert history["kind"] == "segment"
    assert [
        (v["version"], v["hash"], v["answers"], v["answer_ids"], v["first_used"], v["last_used"])
        for v in history["versions"]
    ] == [
        (
            1,
            "old0001",
            2,
            [before[1]["id"], before[0]["id"]],
            "2026-06-01T09:00:00.000000+00:00",
            "2026-06-02T09:00:00.000000+00:00",
        ),
        (
            2,
            "new0002",
            1,
            [after["id"]],
            "2026-06-03T09:00:00.000000+00:00",
            "2026-06-03T09:00:00.000000+00:00",
        ),
    ]
    assert [h["name"] for h in log.definition_history()] == ["engaged_users", "revenue"]


def test_a_catalog_hash_change_shows_before_anyone_asks(log: QueryLog, clock: Clock) -> None:
    catalog = [
        {"name": "churn_risk", "kind": "segment", "version": 1, "hash": "aaa", "source": "c.yml:1"}
    ]
    assert log.record_catalog(catalog)
    clock.advance(days=1)
    log.record_catalog(catalog)
    clock.advance(days=1)
    log.record_catalog([{**catalog[0], "version": 2, "hash": "bbb", "source": "c.yml:4"}])

    (history,) = log.definition_history("churn_risk")

    assert [
        (v["hash"], v["first_seen"][:10], v["last_seen"][:10], v["answers"])
        for v in history["versions"]
    ] == [
        ("aaa", "2026-06-01", "2026-06-02", 0),
        ("bbb", "2026-06-03", "2026-06-03", 0),
    ]


def test_export_writes_csv_rows_oldest_first_with_definitions_flattened(
    known_log: QueryLog,
) -> None:
    out = io.StringIO()

    count = known_log.export("csv", out, status="error")

    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert count == len(rows) == 2
    assert [r["timing_total_ms"] for r in rows] == ["900.0", "20.0"]
    assert rows[0]["definitions"] == "engaged_users v1 a1b2c3d4e5f6"
    assert json.loads(rows[0]["plan"])["intent"] == "count"


def test_export_jsonl_carries_the_full_record_of_get(known_log: QueryLog) -> None:
    out = io.StringIO()

    known_log.export("jsonl", out, source="cli")

    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["question"] for r in records] == [
        "How many engaged users?",
        "how many  ENGAGED users?",
    ]
    assert records[0] == known_log.get(records[0]["id"])


def test_export_in_an_unknown_format_names_the_accepted_ones(log: QueryLog) -> None:
    with pytest.raises(ConfigError, match="Accepted: csv, jsonl"):
        log.export("xlsx", io.StringIO())
