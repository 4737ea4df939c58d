""""Why did X change?": members at two dates, joiners, leavers and net, checked against SQL
written in the test (tests/reference_sql.py, from SPEC §4), and the definition's part when it
changed in between, recomputed with the old definition."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from assistant.cli import main
from assistant.config import load_config
from assistant.pipeline import Assistant
from assistant.querylog import QueryLog
from tests.reference_sql import lifecycle_stage_sql
from tests.workbench_session import edit_engaged_default, git, models_repo

MAY_END, JUNE_END = date(2026, 5, 31), date(2026, 6, 30)


def stage_members(demo_path: Path, as_of: date, stage: str, **params: int) -> set[int]:
    with duckdb.connect(str(demo_path), read_only=True) as conn:
        rows = conn.execute(f"SELECT user_id FROM ({lifecycle_stage_sql(as_of, **params)}) "
                            f"WHERE stage = '{stage}'").fetchall()
    return {r[0] for r in rows}


def expected(before: set[int], after: set[int]) -> dict[str, int]:
    return {"count_start": len(before), "count_end": len(after),
            "joiners": len(after - before), "leavers": len(before - after),
            "net": len(after) - len(before)}


def numbers(change: dict[str, Any]) -> dict[str, int]:
    return {k: change[k] for k in ("count_start", "count_end", "joiners", "leavers", "net")}


def test_why_did_at_risk_grow_since_last_month_clarifies_then_answers_with_the_flows(
        config, demo_path: Path) -> None:
    assistant = Assistant(config, query_log=QueryLog(config.query_log))
    question = "why did at-risk grow since last month?"
    asked = assistant.ask(question)
    assert asked.status == "clarify"
    assert "lifecycle_stage:at_risk" in [c["choice"] for c in asked.candidates]
    answer = assistant.ask(question, choice="lifecycle_stage:at_risk")
    assert answer.status == "answered" and answer.plan is not None
    assert answer.plan["intent"] == "change"
    change = answer.extra["change"]
    assert (change["start"], change["end"]) == ("2026-05-31", "2026-06-30")
    before = stage_members(demo_path, MAY_END, "at_risk")
    after = stage_members(demo_path, JUNE_END, "at_risk")
    assert numbers(change) == expected(before, after)
    assert change["old_definition_count_end"] is None
    assert "did not change between those dates" in answer.message
    assert f"{len(after - before):,} joined and {len(before - after):,} left" in answer.message
    assert [d.name for d in answer.definitions] == ["engaged_users", "lifecycle_stage"]
    logged = QueryLog(config.query_log).get(answer.id)
    assert logged is not None and logged["status"] == "answered"


def test_the_main_movements_are_counted_user_by_user(config, demo_path: Path) -> None:
    answer = Assistant(config).ask("why did lifecycle at-risk users grow since last month?")
    moves = {(m["before"], m["after"]): m["users"] for m in answer.extra["change"]["movements"]}
    with duckdb.connect(str(demo_path), read_only=True) as conn:
        gold = dict(((b, a), n) for b, a, n in conn.execute(f"""
            SELECT coalesce(m.stage, '(not a member)') AS b,
                   coalesce(j.stage, '(not a member)') AS a, count(*)
            FROM ({lifecycle_stage_sql(MAY_END)}) m
            FULL JOIN ({lifecycle_stage_sql(JUNE_END)}) j ON j.user_id = m.user_id
            WHERE (b = 'at_risk') <> (a = 'at_risk') GROUP BY 1, 2""").fetchall())
    assert moves and all(gold[pair] == n for pair, n in moves.items())
    assert max(gold, key=lambda pair: gold[pair]) in moves  # the biggest flow is named


def test_a_definition_change_between_the_dates_is_separated_from_the_data_change(
        demo_path: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    """engaged_users needs 2 logins a week instead of 3 from a commit on 2026-06-15, so
    lifecycle's `engaged` stage moves through its dependency."""
    repo = models_repo(tmp_path, when="2026-05-01T09:00:00+00:00")
    models = repo / "semantic_models"
    edit_engaged_default(models, 2, bump=True)
    git(repo, "commit", "-qam", "Engaged: 2 logins a week", author="Dana Data <dana@x.org>",
        when="2026-06-15T09:00:00+00:00")
    for key, value in {"SEGQ_WAREHOUSE": str(demo_path), "SEGQ_SEMANTIC_MODELS": str(models),
                       "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3")}.items():
        monkeypatch.setenv(key, value)
    assert main(["why", "lifecycle_stage:engaged", "--json"]) == 0
    import json

    answer = json.loads(capsys.readouterr().out)
    change = answer["change"]
    then = stage_members(demo_path, MAY_END, "engaged", min_logins_per_week=3)
    now = stage_members(demo_path, JUNE_END, "engaged", min_logins_per_week=2)
    old_now = stage_members(demo_path, JUNE_END, "engaged", min_logins_per_week=3)
    assert numbers(change) == expected(then, now)
    assert change["old_definition_count_end"] == len(old_now)
    assert change["definition_effect"] == len(now) - len(old_now)
    assert change["data_effect"] == len(old_now) - len(then)
    (changed,) = change["definition_changes"]
    assert changed["name"] == "engaged_users" and changed["via"] == ["engaged_users"]
    assert changed["author"] == "Dana Data" and changed["version_after"] == 2
    assert "default of `min_logins_per_week` changed from 3 to 2" in changed["words"]
    assert "The definition changed in between" in answer["message"]
    assert f"accounts for {len(now) - len(old_now):+,}" in answer["message"]


def test_a_definition_changed_outside_the_dates_is_not_blamed(demo_path: Path,
                                                              tmp_path: Path) -> None:
    repo = models_repo(tmp_path, when="2026-05-01T09:00:00+00:00")
    models = repo / "semantic_models"
    edit_engaged_default(models, 2, bump=True)
    git(repo, "commit", "-qam", "later", when="2026-07-15T09:00:00+00:00")
    config = load_config(environ={"SEGQ_WAREHOUSE": str(demo_path),
                                  "SEGQ_SEMANTIC_MODELS": str(models),
                                  "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3")})
    answer = Assistant(config).ask("why did engaged users change since last month?")
    assert answer.status == "answered"
    assert answer.extra["change"]["definition_changes"] == []
    assert "did not change between those dates (`engaged_users` v2)" in answer.message


@pytest.mark.parametrize("question, start, end", [
    ("what changed in churn risk since May?", "2026-04-30", "2026-06-30"),
    ("why did engaged users drop 15% last week?", "2026-06-21", "2026-06-28"),
    ("why has the number of champions gone up this month?", "2026-05-31", "2026-06-30"),
])
def test_change_questions_compare_the_right_dates(config, question: str, start: str,
                                                   end: str) -> None:
    answer = Assistant(config).ask(question)
    assert answer.status == "answered", answer.message
    change = answer.extra["change"]
    assert (change["start"], change["end"]) == (start, end)


@pytest.mark.parametrize("question", [
    "why did flurbles grow last month?",  # an unknown subject is not a change question
    "why did engaged users grow per seat last month?",  # leftover words are not dropped
])
def test_a_change_question_with_words_it_cannot_place_is_not_answered(config,
                                                                       question: str) -> None:
    answer = Assistant(config).ask(question)
    assert answer.status != "answered"


def test_segq_why_names_an_unknown_segment_and_member(capsys, monkeypatch, config) -> None:
    monkeypatch.setenv("SEGQ_SEMANTIC_MODELS", config.semantic_models)
    monkeypatch.setenv("SEGQ_WAREHOUSE", config.warehouse)
    monkeypatch.setenv("SEGQ_QUERY_LOG", config.query_log)
    assert main(["why", "lifecyle_stage"]) == 2
    assert "Did you mean `lifecycle_stage`?" in capsys.readouterr().err
    assert main(["why", "lifecycle_stage:at_rsk"]) == 2
    assert "Did you mean `at_risk`?" in capsys.readouterr().err


def test_a_stakeholder_asks_in_slack_and_the_reply_names_joiners_and_the_definition(
        config, demo_path: Path) -> None:
    from assistant.render import slack as render
    from assistant.slack_app.answers import Answers

    slack = Answers(Assistant(config, query_log=QueryLog(config.query_log)))
    answer = slack.ask("why did lifecycle at-risk users grow since last month?", user="U1",
                       channel="C1", thread_ts="1.1")
    before = stage_members(demo_path, MAY_END, "at_risk")
    after = stage_members(demo_path, JUNE_END, "at_risk")
    reply = str(render.render_answer(answer).kwargs()["blocks"])
    assert f"{len(after - before):,} joined and {len(before - after):,} left" in reply
    assert "Definition: `lifecycle_stage` (member `at_risk`) v1" in reply
    logged = QueryLog(config.query_log).get(answer.id)
    assert logged is not None and logged["source"] == "slack"


def test_a_family_question_gives_each_members_count_at_both_dates(config,
                                                                  demo_path: Path) -> None:
    answer = Assistant(config).ask("what changed in lifecycle stages since last month?")
    assert answer.status == "answered", answer.message
    by_member = answer.extra["change"]["by_member"]
    for stage in ("new", "not_activated", "churned", "at_risk", "engaged", "activated"):
        assert by_member[stage] == {"start": len(stage_members(demo_path, MAY_END, stage)),
                                    "end": len(stage_members(demo_path, JUNE_END, stage))}
    assert "By member: new " in answer.message
