"""Rebuilding the warehouse under a running bot (`segq demo build --out SAME_PATH`).

A user notices nothing: questions asked during a rebuild are answered, from the old file or
the new one, never with "connection is busy"; the next question after a rebuild sees the new
data; two rebuilds at once never publish a half-written file, and the CLI says in one line
why a build did not run.

Two tiny worlds alternate at one path:

    world  users  seed
    A      500    1
    B      600    2

Every expected answer is counted straight from a separate copy of each world with plain
DuckDB SQL, never through segq.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from assistant import demo
from assistant.cli import main
from assistant.config import load_config
from assistant.demo import build_demo, build_lock
from assistant.errors import WarehouseError
from assistant.executor import Warehouse
from assistant.pipeline import Assistant
from tests.conftest import MODELS

WORLDS = {"A": (500, 1), "B": (600, 2)}
TABLES = ("users", "sessions", "events", "orders")
# Metric questions: cheap to plan, so five threads leave the rebuilds some CPU.
QUESTIONS = {
    "how many users signed up in Q1?":
        "SELECT count(*) FROM users "
        "WHERE CAST(signup_at AS DATE) BETWEEN DATE '2026-01-01' AND DATE '2026-03-31'",
    "how many users are on the pro plan?": "SELECT count(*) FROM users WHERE plan = 'pro'",
    "how many users are from Germany?": "SELECT count(*) FROM users WHERE country = 'DE'",
    "how many orders were there in 2025?":
        "SELECT count(*) FROM orders WHERE status = 'completed' "
        "AND CAST(ordered_at AS DATE) BETWEEN DATE '2025-01-01' AND DATE '2025-12-31'",
    "how many customers do we have?":
        "SELECT count(DISTINCT user_id) FROM orders WHERE status = 'completed'",
}  # fmt: skip
FIRST_QUESTION = next(iter(QUESTIONS))
PAUSE_S = 0.1  # between one thread's questions: a busy bot that leaves rebuilds some CPU


@dataclass(frozen=True)
class World:
    name: str
    path: Path  # a copy kept aside, never served
    answers: dict[str, int]  # question -> expected count
    rows: tuple[int, ...]  # row counts of TABLES


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, World]:
    """Each world built once on its own path and counted there with plain DuckDB."""
    built = {}
    for name, (users, seed) in WORLDS.items():
        path = tmp_path_factory.mktemp(f"world-{name}") / "demo.duckdb"
        build_demo(path, users=users, seed=seed)
        with duckdb.connect(str(path), read_only=True) as con:
            answers = {q: con.execute(sql).fetchone()[0] for q, sql in QUESTIONS.items()}
        built[name] = World(name, path, answers, table_rows(path))
    assert built["A"].answers[FIRST_QUESTION] != built["B"].answers[FIRST_QUESTION]
    return built


def build(path: Path, world: str, **kwargs: float) -> demo.DemoStats:
    users, seed = WORLDS[world]
    return build_demo(path, users=users, seed=seed, **kwargs)


def table_rows(path: Path) -> tuple[int, ...]:
    """Row counts of the four tables, read through a fresh instance (no per-path cache)."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{path}' AS w (READ_ONLY)")
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() "
                                            "WHERE database_name = 'w'").fetchall()}
        assert tables == set(TABLES)
        return tuple(con.execute(f"SELECT count(*) FROM w.{t}").fetchone()[0] for t in TABLES)
    finally:
        con.close()


def leftovers(path: Path) -> list[str]:
    """Whatever a build left in the directory besides the served file and its lock."""
    return sorted(p.name for p in path.parent.iterdir()
                  if p.name not in {path.name, f"{path.name}.lock"})


def held_deleted_copies(path: Path) -> int:
    """Replaced copies of `path` this process still holds open (their disk space is not freed)."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        pytest.skip("needs /proc to see open files")
    held = 0
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(path)) and target.endswith("(deleted)"):
            held += 1
    return held


@pytest.fixture()
def live(tmp_path: Path, worlds: dict[str, World]) -> Path:
    """The served file, holding world A to begin with."""
    path = tmp_path / "served" / "demo.duckdb"
    path.parent.mkdir()
    shutil.copy(worlds["A"].path, path)
    return path


@pytest.fixture()
def warehouse(live: Path) -> Iterator[Warehouse]:
    wh = Warehouse(live)
    yield wh
    wh.close()


# --- answering while the file is swapped ---------------------------------------------------


def test_five_threads_answer_correctly_through_20_rebuilds_of_the_same_path(
    live: Path, tmp_path: Path, worlds: dict[str, World]
) -> None:
    """No answer fails during rebuilds; each equals world A's or B's count; after each
    rebuild the next question sees the new world."""
    config = load_config(environ={"SEGQ_WAREHOUSE": str(live),
                                  "SEGQ_SEMANTIC_MODELS": str(MODELS),
                                  "SEGQ_QUERY_LOG": str(tmp_path / "querylog.sqlite3")})
    assistant = Assistant(config)
    assistant.warehouse  # noqa: B018 - opened once before the threads share it
    stop = threading.Event()
    answered: list[tuple[str, str, object, str]] = []

    def ask_until_stopped(offset: int) -> None:
        questions = list(QUESTIONS)
        i = offset
        while True:
            question = questions[i % len(questions)]
            try:
                answer = assistant.ask(question)
                why = answer.failure.log_line() if answer.failure else ""
                answered.append((question, answer.status, answer.rows, why))
            except Exception as exc:  # the assertion below names it
                answered.append((question, "raised", None, repr(exc)))
            i += 1
            if stop.wait(PAUSE_S):
                return

    threads = [threading.Thread(target=ask_until_stopped, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    try:
        for n in range(20):
            world = worlds["B" if n % 2 == 0 else "A"]
            build(live, world.name)
            assert assistant.ask(FIRST_QUESTION).rows == [[world.answers[FIRST_QUESTION]]]
    finally:
        stop.set()
        for thread in threads:
            thread.join()

    failed = [a for a in answered if a[1] != "answered"]
    assert failed == []
    wrong = [(q, rows) for q, _, rows, _ in answered
             if rows not in ([[worlds["A"].answers[q]]], [[worlds["B"].answers[q]]])]
    assert wrong == []
    assert len(answered) >= 5
    assert held_deleted_copies(live) == 0


def test_a_query_in_flight_finishes_on_the_old_file_while_new_queries_read_the_new_one(
    live: Path, warehouse: Warehouse, worlds: dict[str, World]
) -> None:
    """The reader is held open by hand (the private `_reading`) so the overlap is certain."""
    count_users = "SELECT count(*) FROM users"
    with warehouse._reading() as in_flight:
        build(live, "B")
        assert warehouse.execute(count_users).rows == [(600,)]
        assert in_flight.execute(count_users).fetchall() == [(500,)]
        assert held_deleted_copies(live) == 1  # the old copy stays open for its reader
    assert held_deleted_copies(live) == 0
    assert warehouse.execute(count_users).rows == [(600,)]


def test_closing_the_warehouse_with_a_query_in_flight_lets_that_query_finish(
    warehouse: Warehouse,
) -> None:
    with warehouse._reading() as in_flight:
        warehouse.close()
        assert in_flight.execute("SELECT count(*) FROM users").fetchall() == [(500,)]
    assert warehouse.execute("SELECT count(*) FROM users").rows == [(500,)]


def test_a_raw_cursor_keeps_reading_its_file_across_a_swap(
    live: Path, warehouse: Warehouse
) -> None:
    raw = warehouse.cursor()
    try:
        build(live, "B")
        assert warehouse.execute("SELECT count(*) FROM users").rows == [(600,)]
        assert raw.execute("SELECT count(*) FROM users").fetchall() == [(500,)]
        with pytest.raises(duckdb.Error):
            raw.execute("SET enable_external_access = true")
    finally:
        raw.close()


def test_a_swapped_in_file_that_is_not_a_warehouse_is_a_worded_error(
    live: Path, warehouse: Warehouse, tmp_path: Path
) -> None:
    assert warehouse.execute("SELECT count(*) FROM users").rows == [(500,)]
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"not a duckdb file\n" * 1000)
    os.replace(garbage, live)
    with pytest.raises(WarehouseError) as err:
        warehouse.execute("SELECT count(*) FROM users")
    assert err.value.message.startswith(f"Warehouse {live} cannot be opened (")
    assert "rebuild it with `segq demo build`" in err.value.message
    build(live, "B")
    assert warehouse.execute("SELECT count(*) FROM users").rows == [(600,)]


def test_a_missing_warehouse_file_is_a_worded_error(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError) as err:
        Warehouse(tmp_path / "nowhere.duckdb").execute("SELECT 1")
    assert "does not exist. Build the demo with `segq demo build`" in err.value.message


# --- builds of one path ------------------------------------------------------------------


def test_a_build_refused_by_a_running_build_says_so_and_leaves_the_served_file_whole(
    live: Path, worlds: dict[str, World]
) -> None:
    with build_lock(live, wait_s=0), pytest.raises(WarehouseError) as err:
        build(live, "B", wait_s=0.1)
    assert err.value.message.startswith(f"Another build of {live} is running (waited 0.1 s")
    assert table_rows(live) == worlds["A"].rows
    assert leftovers(live) == []


def test_two_builds_of_one_path_at_once_take_turns_and_a_reader_only_sees_whole_files(
    live: Path, worlds: dict[str, World]
) -> None:
    """Both builds start together; each either runs (the second after the first) or is
    refused in words. A reader polling the path meanwhile always finds all four tables with
    the row counts of world A or B."""
    start = threading.Barrier(3)
    outcomes: dict[str, object] = {}
    seen: list[object] = []
    done = threading.Event()

    def builder(world: str) -> None:
        start.wait()
        try:
            outcomes[world] = build(live, world)
        except Exception as exc:  # the assertion below names it
            outcomes[world] = exc

    def reader() -> None:
        start.wait()
        while True:
            try:
                seen.append(table_rows(live))
            except Exception as exc:  # the assertion below names it
                seen.append(repr(exc))
            if done.is_set():
                return

    threads = [threading.Thread(target=builder, args=(w,)) for w in ("A", "B")]
    poller = threading.Thread(target=reader)
    for thread in (*threads, poller):
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    poller.join()

    for outcome in outcomes.values():
        if isinstance(outcome, Exception):
            assert isinstance(outcome, WarehouseError), repr(outcome)
            assert outcome.message.startswith(f"Another build of {live} is running")
    built = [w for w, o in outcomes.items() if isinstance(o, demo.DemoStats)]
    assert built
    assert table_rows(live) in {worlds[w].rows for w in built}
    assert seen and set(seen) <= {worlds["A"].rows, worlds["B"].rows}
    assert leftovers(live) == []


def test_a_build_that_fails_leaves_the_served_file_and_no_half_written_copy(
    live: Path, worlds: dict[str, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "_build_statements",
                        lambda users, seed: ["CREATE TABLE users AS SELECT 1 AS user_id",
                                             "SELECT * FROM no_such_table"])
    with pytest.raises(WarehouseError) as err:
        build(live, "B")
    assert err.value.message.startswith(f"The demo build of {live} failed (CatalogException: ")
    assert "is unchanged and the half-written copy was removed" in err.value.message
    assert table_rows(live) == worlds["A"].rows
    assert leftovers(live) == []


def test_a_build_killed_midway_leaves_a_staging_directory_the_next_build_removes(
    live: Path, worlds: dict[str, World]
) -> None:
    abandoned = live.parent / f".{live.name}.build-killed"
    abandoned.mkdir()
    (abandoned / live.name).write_bytes(b"half written")
    build(live, "B")
    assert table_rows(live) == worlds["B"].rows
    assert leftovers(live) == []


def test_ensure_demo_waits_for_a_running_build_and_uses_its_file(
    tmp_path: Path, worlds: dict[str, World]
) -> None:
    """A bot's first question while `segq demo build` runs waits for it, then builds nothing."""
    path = tmp_path / "demo.duckdb"
    results: list[bool] = []
    with build_lock(path, wait_s=0):  # stands in for the build already running
        waiter = threading.Thread(target=lambda: results.append(demo.ensure_demo(path)))
        waiter.start()
        waiter.join(timeout=0.3)
        assert waiter.is_alive()  # no file yet, so it can only be waiting for the lock
        shutil.copy(worlds["A"].path, tmp_path / "staged")
        os.replace(tmp_path / "staged", path)  # the running build publishes its file
    waiter.join()
    assert results == [False]
    assert table_rows(path) == worlds["A"].rows


# --- the CLI -------------------------------------------------------------------------------


def test_segq_demo_build_refused_by_a_running_build_prints_one_line_and_exits_2(
    live: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with build_lock(live, wait_s=0):
        code = main(["demo", "build", "--out", str(live), "--users", "200", "--wait", "0"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"segq: Another build of {live} is running")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_segq_demo_build_that_fails_prints_one_line_and_exits_2(
    live: Path, worlds: dict[str, World], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(demo, "_build_statements", lambda users, seed: ["SELECT nonsense("])
    code = main(["demo", "build", "--out", str(live), "--users", "200"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"segq: The demo build of {live} failed (ParserException: ")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert table_rows(live) == worlds["A"].rows
