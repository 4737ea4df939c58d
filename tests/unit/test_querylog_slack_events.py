"""The query log claims each Slack delivery once, across every connection and process sharing it."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.querylog import MIGRATIONS, SCHEMA_VERSION, QueryLog

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


def test_of_many_simultaneous_claims_exactly_one_wins(tmp_path: Path) -> None:
    """Each thread has its own QueryLog, so its own connections, as separate processes do."""
    path = tmp_path / "querylog.sqlite3"
    QueryLog(path)
    start = threading.Barrier(20)
    won: list[bool | None] = []

    def claim() -> None:
        log = QueryLog(path)
        start.wait()
        won.append(log.claim_slack_event(KEY))

    threads = [threading.Thread(target=claim) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(won, key=str) == [False] * 19 + [True]


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
