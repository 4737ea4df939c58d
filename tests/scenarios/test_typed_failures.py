"""Failures reach every surface as their typed, worded Failure; raw text only reaches the log.

World: a copy of the demo warehouse whose `users` table lost its `plan` column, so DuckDB
itself raises a Binder Error (with the SQL and a caret) for any question grouped by plan.
"""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from assistant.cli import main
from assistant.querylog import QueryLog
from assistant.render import slack as slack_render

QUESTION = "how many users per plan?"
RAW = ("Binder", "plan", "LINE", "^")


@pytest.fixture()
def broken(config, demo_path, tmp_path, monkeypatch):
    path = tmp_path / "broken.duckdb"
    shutil.copy(demo_path, path)
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE users DROP COLUMN plan")
    con.close()
    for key, value in {"SEGQ_WAREHOUSE": str(path),
                       "SEGQ_SEMANTIC_MODELS": config.semantic_models,
                       "SEGQ_QUERY_LOG": config.query_log}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SEGQ_CONFIG", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return config.replace(warehouse=str(path))


def test_a_warehouse_error_is_worded_in_json_with_its_kind_and_the_raw_text_is_only_logged(
        broken, capsys):
    assert main(["ask", QUESTION, "--json"]) == 1
    answer = json.loads(capsys.readouterr().out)

    assert answer["status"] == "error"
    assert answer["failure"] == {"kind": "warehouse", "message": answer["message"],
                                 "rules": ["BinderException"]}
    assert answer["message"].startswith("The warehouse could not run the query for this question")
    assert answer["id"] in answer["message"]
    assert "Binder Error" not in json.dumps({k: v for k, v in answer.items() if k != "sql"})
    logged = QueryLog(broken.query_log).get(answer["id"])
    assert logged is not None
    assert logged["error"].startswith("warehouse(BinderException): The warehouse could not run")
    assert "Binder Error" in logged["error"]
    assert logged["failure"] == answer["failure"]


def test_terminal_text_shows_the_worded_message_and_reference_only(broken, capsys):
    assert main(["ask", QUESTION]) == 1
    out = capsys.readouterr().out

    assert "The warehouse could not run the query for this question" in out
    assert "Binder" not in out and "Referenced column" not in out


def test_the_slack_reply_of_the_same_failure_is_the_worded_message(broken, capsys):
    from assistant.cli.ask import build_assistant

    answer = build_assistant(broken).ask(QUESTION, source="slack", user="U1")
    message = slack_render.render_answer(answer)

    shown = json.dumps(message.kwargs())
    assert answer.failure is not None and answer.failure.kind == "warehouse"
    assert "Binder" not in shown and answer.id in shown
    assert "could not run the query for this question" in shown
