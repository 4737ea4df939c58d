"""`segq eval --compare RUN_A RUN_B`: the new failures and fixes between two logged runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from tests.workbench_session import eval_run


@pytest.fixture()
def runs(config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """Run 1: the engaged gold is wrong, weather expects refused. Run 2: the engaged gold is
    right, weather expects clarify (so it now fails)."""
    first = eval_run(tmp_path, config, Path(config.query_log), first=True, logins=12)
    second = eval_run(tmp_path, config, Path(config.query_log), first=False, logins=12)
    monkeypatch.setenv("SEGQ_QUERY_LOG", config.query_log)
    return first, second


def test_compare_lists_new_failures_and_fixes_and_fails_on_a_new_failure(runs, capsys) -> None:
    capsys.readouterr()
    assert main(["eval", "--compare", *runs, "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert [c["eval_case"] for c in result["regressions"]] == ["weather"]
    assert [c["eval_case"] for c in result["fixes"]] == ["engaged-count"]


def test_compare_the_other_way_round_swaps_failures_and_fixes(runs, capsys) -> None:
    capsys.readouterr()
    assert main(["eval", "--compare", runs[1], runs[0]]) == 1  # engaged-count regresses
    out = capsys.readouterr().out
    assert "New failures (1):\n  engaged-count:" in out and "Fixes (1):\n  weather:" in out


def test_an_unknown_run_is_named(runs, capsys) -> None:
    assert main(["eval", "--compare", runs[0], "eval_nope"]) == 2
    assert "Eval run `eval_nope` is not in the query log" in capsys.readouterr().err
