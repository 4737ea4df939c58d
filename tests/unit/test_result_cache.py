"""The result cache: a repeated question on unchanged data and models answers from stored rows,
says so, and is recomputed as soon as the warehouse or a model file changes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from assistant.access.models import Identity
from assistant.cli import main
from assistant.config import load_config
from assistant.pipeline import Assistant
from assistant.querylog import QueryLog
from assistant.render.slack import render_answer
from assistant.resultcache import FILE_NAME
from tests.conftest import MODELS

COUNT = "how many users do we have?"
CHAMPIONS = "how many champions?"


def hand_count(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return int(con.execute("SELECT count(*) FROM users").fetchone()[0])


@pytest.fixture()
def world(demo_path: Path, tmp_path: Path) -> dict[str, Path]:
    """A warehouse and models of this test's own, so it may change both."""
    warehouse = tmp_path / "demo.duckdb"
    shutil.copy(demo_path, warehouse)
    models = tmp_path / "models"
    shutil.copytree(MODELS, models)
    return {"warehouse": warehouse, "models": models, "log": tmp_path / "log.sqlite3"}


def assistant(world: dict[str, Path], **env: str) -> Assistant:
    """A new Assistant each time, as each `segq ask` is a new process."""
    config = load_config(environ={"SEGQ_WAREHOUSE": str(world["warehouse"]),
                                  "SEGQ_SEMANTIC_MODELS": str(world["models"]),
                                  "SEGQ_QUERY_LOG": str(world["log"]), **env})
    return Assistant(config, query_log=QueryLog(config.query_log))


def test_a_repeated_question_answers_the_same_rows_from_the_cache(world):
    first = assistant(world).ask(COUNT)
    again = assistant(world).ask(COUNT)
    assert first.status == again.status == "answered"
    assert first.cached_at is None and again.cached_at is not None
    assert again.rows == first.rows == [[hand_count(world["warehouse"])]]
    assert again.sql == first.sql and again.message == first.message
    shown = again.to_dict()
    assert shown["cached"] is True and shown["cached_at"] == again.cached_at
    assert first.to_dict()["cached"] is False


def test_the_same_assistant_answers_a_repeat_from_the_cache_with_the_same_definitions(world):
    bot = assistant(world)
    first, again = bot.ask(CHAMPIONS), bot.ask(CHAMPIONS)
    assert again.cached_at is not None and again.rows == first.rows
    assert again.definitions == first.definitions and again.sql == first.sql


def test_the_query_log_records_every_asking_also_the_cached_one(world):
    assistant(world).ask(COUNT)
    cached = assistant(world).ask(COUNT)
    assert cached.cached_at is not None
    recorded = QueryLog(world["log"]).list(limit=10)
    assert [r["id"] for r in recorded].count(cached.id) == 1
    assert sum(r["question"] == COUNT for r in recorded) == 2


def test_a_changed_warehouse_is_recomputed(world):
    before = assistant(world).ask(COUNT)
    with duckdb.connect(str(world["warehouse"])) as con:
        con.execute("DELETE FROM users WHERE user_id IN (SELECT user_id FROM users LIMIT 7)")
    after = assistant(world).ask(COUNT)
    assert after.cached_at is None
    assert after.rows == [[hand_count(world["warehouse"])]] == [[before.rows[0][0] - 7]]


def test_a_swapped_warehouse_file_is_recomputed(world, tmp_path):
    assistant(world).ask(COUNT)
    other = tmp_path / "other.duckdb"
    shutil.copy(world["warehouse"], other)
    with duckdb.connect(str(other)) as con:
        con.execute("DELETE FROM users WHERE user_id IN (SELECT user_id FROM users LIMIT 3)")
    other.replace(world["warehouse"])
    after = assistant(world).ask(COUNT)
    assert after.cached_at is None and after.rows == [[hand_count(world["warehouse"])]]


def test_a_changed_model_file_is_recomputed_even_when_its_sql_is_the_same(world):
    first = assistant(world).ask(CHAMPIONS)
    rfm = world["models"] / "rfm_segment.yml"
    rfm.write_text(rfm.read_text() + "\n# reviewed\n")
    after = assistant(world).ask(CHAMPIONS)
    assert after.sql == first.sql and after.cached_at is None and after.rows == first.rows
    assert assistant(world).ask(CHAMPIONS).cached_at is not None


def test_the_cache_is_off_by_setting_and_by_flag(world, monkeypatch, capsys):
    assistant(world).ask(COUNT)
    assert assistant(world, SEGQ_RESULT_CACHE="off").ask(COUNT).cached_at is None
    monkeypatch.setenv("SEGQ_WAREHOUSE", str(world["warehouse"]))
    monkeypatch.setenv("SEGQ_SEMANTIC_MODELS", str(world["models"]))
    monkeypatch.setenv("SEGQ_QUERY_LOG", str(world["log"]))
    monkeypatch.delenv("SEGQ_CONFIG", raising=False)
    monkeypatch.delenv("SEGQ_CACHE_DIR", raising=False)  # the cache beside the world's log
    assert main(["ask", COUNT, "--json", "--no-cache"]) == 0
    assert json.loads(capsys.readouterr().out)["cached"] is False
    assert main(["ask", COUNT]) == 0
    assert "From the result cache" in capsys.readouterr().out


def test_a_corrupt_cache_file_is_an_ordinary_answer_and_then_a_fresh_cache(world):
    first = assistant(world)
    first.ask(COUNT)
    assert first.results is not None
    first.results.close()  # as when its process ends
    store = world["log"].parent / FILE_NAME
    store.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    answer = assistant(world).ask(COUNT)
    assert answer.status == "answered" and answer.cached_at is None
    assert answer.rows == [[hand_count(world["warehouse"])]]
    assert assistant(world).ask(COUNT).cached_at is not None


def test_the_cache_folder_can_be_set(world, tmp_path):
    folder = tmp_path / "caches"
    assistant(world, SEGQ_CACHE_DIR=str(folder)).ask(COUNT)
    assert (folder / FILE_NAME).exists() and not (world["log"].parent / FILE_NAME).exists()
    assert assistant(world, SEGQ_CACHE_DIR=str(folder)).ask(COUNT).cached_at is not None


def hand_count_in(path: Path, countries: tuple[str, ...]) -> int:
    marks = ", ".join("?" for _ in countries)
    with duckdb.connect(str(path), read_only=True) as con:
        return int(con.execute(f"SELECT count(*) FROM users WHERE country IN ({marks})",
                               list(countries)).fetchone()[0])


def test_askers_with_different_row_access_never_get_each_others_rows(world):
    emea = Identity("slack", "U0EMEA001", slack_groups=("cs-emea",))
    americas = Identity("slack", "U0AMER001", slack_groups=("cs-americas",))
    for _ in range(2):  # the second round is answered from the cache, each its own rows
        seen = {who: assistant(world).ask(COUNT, source="slack", identity=identity)
                for who, identity in (("emea", emea), ("americas", americas))}
    assert seen["emea"].cached_at is not None and seen["americas"].cached_at is not None
    assert seen["emea"].rows == [[hand_count_in(world["warehouse"], ("GB", "DE", "FR", "NL"))]]
    assert seen["americas"].rows == [[hand_count_in(world["warehouse"], ("US", "CA", "BR"))]]


def test_the_slack_reply_says_it_came_from_the_cache(world):
    assistant(world).ask(COUNT, source="slack", user="U1")
    cached = assistant(world).ask(COUNT, source="slack", user="U1")
    reply = json.dumps(render_answer(cached).blocks)
    assert cached.cached_at is not None and "From the result cache" in reply


def test_a_repeat_finds_its_validated_sql_and_rows_without_compiling(world, monkeypatch):
    """The plan answered before leads to its SQL and rows: nothing is compiled again."""
    from assistant import compiler

    first = assistant(world).ask(CHAMPIONS)

    def no_compiling(*args, **kwargs):
        raise AssertionError("a repeated question compiled its plan again")

    monkeypatch.setattr(compiler, "compile_plan", no_compiling)
    again = assistant(world).ask(CHAMPIONS)
    assert again.status == "answered" and again.cached_at is not None
    assert (again.rows, again.sql, again.definitions) == (first.rows, first.sql,
                                                          first.definitions)


def test_the_same_asker_in_another_group_gets_that_groups_rows_not_the_stored_ones(world):
    before = Identity("slack", "U0MOVED01", slack_groups=("cs-emea",))
    moved = Identity("slack", "U0MOVED01", slack_groups=("cs-americas",))
    assistant(world).ask(COUNT, source="slack", identity=before)
    after = assistant(world).ask(COUNT, source="slack", identity=moved)
    assert after.cached_at is None
    assert after.rows == [[hand_count_in(world["warehouse"], ("US", "CA", "BR"))]]


def test_a_changed_warehouse_compiles_and_runs_the_plan_again(world, monkeypatch):
    """A stored plan's SQL is never run from the store: with no rows stored for this data,
    the plan is compiled and validated again, then run."""
    from assistant import compiler

    assistant(world).ask(COUNT)
    with duckdb.connect(str(world["warehouse"])) as con:
        con.execute("DELETE FROM users WHERE user_id IN (SELECT user_id FROM users LIMIT 5)")
    compiled = []
    real = compiler.compile_plan
    monkeypatch.setattr(compiler, "compile_plan", lambda *a, **k: compiled.append(1) or real(
        *a, **k))
    after = assistant(world).ask(COUNT)
    assert compiled and after.cached_at is None
    assert after.rows == [[hand_count(world["warehouse"])]]


def test_a_damaged_stored_plan_is_an_ordinary_answer(world):
    first = assistant(world)
    first.ask(COUNT)
    assert first.results is not None
    with first.results._lock:
        first.results._run("UPDATE plans SET definitions = ?", (b"not a pickle",), write=True)
    answer = assistant(world).ask(COUNT)
    assert answer.status == "answered" and answer.rows == [[hand_count(world["warehouse"])]]
