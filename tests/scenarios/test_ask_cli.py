"""`segq ask` end to end: question -> answer on the demo warehouse -> terminal/JSON + log."""

from __future__ import annotations

import json

import pytest

from assistant.cli import main
from assistant.querylog import QueryLog

SPEC_KEYS = {"question", "status", "message", "plan", "sql", "definitions", "columns", "rows",
             "row_count", "truncated", "candidates", "timings_ms"}
README_QUESTION = "Show me users in the at-risk lifecycle stage who signed up in Q1"


@pytest.fixture()
def env(config, monkeypatch):
    monkeypatch.setenv("SEGQ_WAREHOUSE", config.warehouse)
    monkeypatch.setenv("SEGQ_SEMANTIC_MODELS", config.semantic_models)
    monkeypatch.setenv("SEGQ_QUERY_LOG", config.query_log)
    monkeypatch.delenv("SEGQ_CONFIG", raising=False)
    monkeypatch.delenv("SEGQ_PLANNER", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return config


def ask_json(capsys, *args: str) -> dict:
    assert main(["ask", *args, "--json"]) in (0, 1)
    return json.loads(capsys.readouterr().out)


def test_readme_question_prints_users_count_and_the_definition_with_version_and_line(env,
                                                                                      capsys):
    assert main(["ask", README_QUESTION]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert "users in Lifecycle stage `At risk`" in first and "2026-01-01 to 2026-03-31" in first
    count = int(first.split()[0].replace(",", ""))
    assert count > 0
    assert "user_id" in out and "at_risk" in out
    assert "Definition: lifecycle_stage member `at_risk` v1" in out
    assert "semantic_models/lifecycle_stage.yml:2" in out


def test_json_answer_has_every_spec_key_and_per_stage_timings(env, capsys):
    answer = ask_json(capsys, README_QUESTION)
    assert answer.keys() >= SPEC_KEYS
    assert answer["status"] == "answered"
    assert set(answer["timings_ms"]) == {"plan", "compile", "validate", "execute", "total"}
    lifecycle = answer["definitions"][0]
    assert (lifecycle["name"], lifecycle["version"]) == ("lifecycle_stage", 1)
    assert lifecycle["source"].endswith("lifecycle_stage.yml:2") and len(lifecycle["hash"]) == 12
    assert answer["row_count"] == len(answer["rows"])
    assert all(row[answer["columns"].index("stage")] == "at_risk" for row in answer["rows"])


def test_every_status_has_the_same_answer_shape(env, capsys):
    for question, status in [("how many engaged users do we have?", "answered"),
                             ("how many at risk users?", "clarify"),
                             ("what's the weather in Paris?", "refused")]:
        answer = ask_json(capsys, question)
        assert answer.keys() >= SPEC_KEYS
        assert answer["status"] == status


def test_clarification_lists_candidates_and_a_choice_answers_with_it(env, capsys):
    answer = ask_json(capsys, "how many at risk users?")
    choices = [c["choice"] for c in answer["candidates"]]
    assert "rfm_segment:at_risk" in choices
    chosen = ask_json(capsys, "how many at risk users?", "--choice", "rfm_segment:at_risk")
    assert chosen["status"] == "answered"
    assert chosen["definitions"][0]["name"] == "rfm_segment"


def test_overrides_are_echoed_with_the_definition(env, capsys):
    answer = ask_json(capsys, "if engaged meant 5 logins a week, how many engaged users?")
    assert answer["definitions"][0]["overrides"] == {"min_logins_per_week": 5}
    assert "min_logins_per_week=5" in answer["message"]


def test_out_of_bounds_what_if_is_an_error_that_names_the_bounds(env, capsys):
    answer = ask_json(capsys, "if engaged meant 80 logins a week, how many engaged users?")
    assert answer["status"] == "error"
    assert "outside its bounds 1..50" in answer["message"]


def test_every_answer_is_logged_with_its_definitions(env, capsys):
    ask_json(capsys, README_QUESTION)
    ask_json(capsys, "delete churned users")
    log = QueryLog(env.query_log)
    rows = log.list(limit=10)
    assert {r["status"] for r in rows} == {"answered", "refused"}
    answered = next(r for r in rows if r["status"] == "answered")
    full = log.get(answered["id"])
    assert full["source"] == "cli" and full["sql"].startswith("WITH")
    assert full["definitions"][0]["name"] == "lifecycle_stage"
    assert full["definitions"][0]["version"] == 1


def test_query_command_runs_a_plan_given_by_flags(env, capsys):
    code = main(["query", "--intent", "breakdown", "--metric", "revenue", "--by", "plan",
                 "--json"])
    answer = json.loads(capsys.readouterr().out)
    assert code == 0 and answer["columns"] == ["plan", "revenue"] and answer["row_count"] == 4


def test_query_command_prints_sql_in_another_dialect(env, capsys):
    assert main(["query", "--segment", "engaged_users", "--dialect", "snowflake"]) == 0
    assert "engaged_users" in capsys.readouterr().out


def test_eval_command_reports_pass_rate_and_fails_below_min_pass(env, capsys, tmp_path):
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- id: count-users\n  question: how many users do we have?\n"
        "  expect: {sql: \"SELECT count(*) FROM users\"}\n"
        "- id: weather\n  question: what's the weather in Paris?\n  expect: {status: refused}\n"
        "- id: wrong-on-purpose\n  question: how many users do we have?\n"
        "  expect: {sql: \"SELECT 1\"}\n")
    assert main(["eval", str(cases), "--min-pass", "0.5"]) == 0
    assert "2/3" in capsys.readouterr().out
    assert main(["eval", str(cases), "--min-pass", "0.9"]) == 1
    capsys.readouterr()
    assert main(["eval", str(cases), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["total"] == 3
    assert {"id", "question", "passed", "expected", "answer"} <= report["cases"][0].keys()
    stats = QueryLog(env.query_log).stats(source="eval")
    assert stats["total"] == 9  # three eval runs of three cases, each logged with source eval
    assert len(stats["eval_runs"]) == 3


def test_validate_passes_on_the_shipped_models(env, capsys):
    assert main(["validate"]) == 0
    assert "OK:" in capsys.readouterr().out
