"""`segq log to-eval ID...`: logged answers become eval cases that `segq eval` can run."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.cli import main
from assistant.evals import load_cases
from assistant.pipeline import Assistant
from assistant.querylog import QueryLog


@pytest.fixture()
def env(config, monkeypatch: pytest.MonkeyPatch):
    for key, value in {"SEGQ_WAREHOUSE": config.warehouse, "SEGQ_QUERY_LOG": config.query_log,
                       "SEGQ_SEMANTIC_MODELS": config.semantic_models}.items():
        monkeypatch.setenv(key, value)
    return Assistant(config, query_log=QueryLog(config.query_log))


def test_answers_become_cases_with_their_status_definition_or_sql_skeleton(
        env, tmp_path: Path, capsys) -> None:
    asked = [env.ask(q) for q in ("how many at risk users?", "how do we define engaged users?",
                                  "how many engaged users?")]
    out = tmp_path / "from-log.yaml"
    assert main(["log", "to-eval", *(a.id for a in asked), "--out", str(out)]) == 0
    assert "Wrote 3 eval cases" in capsys.readouterr().out
    clarify, define, count = load_cases([out])
    assert (clarify.question, clarify.expect) == ("how many at risk users?", {"status": "clarify"})
    assert define.expect == {"definition": "engaged_users"}
    assert count.expect == {"sql": asked[2].sql}
    assert main(["eval", str(out), "--no-log"]) == 0  # as written, the cases pass


def test_an_unknown_id_writes_nothing_and_says_which(env, tmp_path: Path, capsys) -> None:
    known = env.ask("how many engaged users?").id
    out = tmp_path / "cases.yaml"
    assert main(["log", "to-eval", known, "q_000000000000", "--out", str(out)]) == 1
    assert "`q_000000000000`" in capsys.readouterr().err
    assert not out.exists()
