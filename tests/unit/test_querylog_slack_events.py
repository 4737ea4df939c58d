"""The query log claims each Slack delivery once, across every connection and process sharing it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import assistant
from assistant.querylog import MIGRATIONS, SCHEMA_VERSION, QueryLog

REPO = Path(assistant.__file__).resolve().parent.parent
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
KEY = "message:T1:C1:1700000000.000001"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_the_first_claim_wins_and_every_later_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "querylog.sqlite3"

    assert QueryLog(path).claim_slack_event(KEY, event_id="Ev1") is True
    assert QueryLog(path).claim_slack_event(KEY, event_id="Ev1") is False
    assert QueryLog(path).claim_slack_event(KEY, event_id="Ev2") is False  # the DM copy


@pytest.mark.parametrize("shared", [True, False], ids=["one log object", "one per thread"])
def test_of_many_threads_claiming_at_once_exactly_one_wins(tmp_path: Path, shared: bool) -> None:
    path = tmp_path / "querylog.sqlite3"
    one = QueryLog(path)
    start = threading.Barrier(20)
    won: list[bool | None] = []

    def claim() -> None:
        log = one if shared else QueryLog(path)
        start.wait()
        won.append(log.claim_slack_event(KEY))

    threads = [threading.Thread(target=claim) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(won, key=str) == [False] * 19 + [True]


CLAIMER = """
import json, sys, time
from assistant.querylog import QueryLog
path, start = sys.argv[1], float(sys.argv[2])
log = QueryLog(path)
while time.time() < start:
    time.sleep(0.001)
print(json.dumps([k for k in map(str, range(40)) if log.claim_slack_event(k)]))
"""


def test_processes_claiming_the_same_events_at_once_answer_each_exactly_once(
    tmp_path: Path,
) -> None:
    """Four servers sharing one log file, each handed the same 40 deliveries."""
    path = tmp_path / "querylog.sqlite3"
    QueryLog(path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = str(time.time() + 1.0)
    claimers = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, str(path), start], env=env, stdout=subprocess.PIPE
        )
        for _ in range(4)
    ]

    claimed = [json.loads(c.communicate(timeout=120)[0]) for c in claimers]
    every = sorted((k for keys in claimed for k in keys), key=int)
    assert every == [str(k) for k in range(40)]


def test_claims_older_than_a_day_are_forgotten(tmp_path: Path) -> None:
    clock = Clock()
    log = QueryLog(tmp_path / "querylog.sqlite3", clock=clock)
    log.claim_slack_event(KEY)

    clock.now = T0 + timedelta(hours=23)
    assert log.claim_slack_event(KEY) is False
    clock.now = T0 + timedelta(days=1, seconds=1)
    assert log.claim_slack_event(KEY) is True


def test_a_log_that_cannot_be_written_says_so_with_none(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")

    assert QueryLog(blocker / "querylog.sqlite3").claim_slack_event(KEY) is None


def test_a_log_from_before_slack_claims_is_migrated_and_keeps_its_answers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "querylog.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(MIGRATIONS[0])
        conn.execute(
            "INSERT INTO answers (id, created_at, source, question, question_norm, status) "
            "VALUES ('q_old', '2026-01-01T00:00:00.000000+00:00', 'cli', 'Q?', 'q?', 'answered')"
        )
        conn.execute("PRAGMA user_version = 1")

    log = QueryLog(path)

    assert log.claim_slack_event(KEY) is True
    assert log.get("q_old") is not None
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
