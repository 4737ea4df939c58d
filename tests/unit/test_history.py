"""Definition history that tells the truth, and the version gate of `segq validate`.

Each test works on a copy of the product's models: in a fresh git repository (history from
commits) or in a plain directory (history from the query log's recorded hashes). The edit is
the one from the issue: `engaged_users`'s default goes from 3 to 2 logins a week.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.catalog import load_catalog
from assistant.cli import main
from assistant.history import describe_change, git_root, timeline, version_issues
from assistant.querylog import QueryLog
from tests.workbench_session import REPO, edit_engaged_default, git, models_repo


def record_catalog(log: QueryLog, models: Path) -> None:
    catalog = load_catalog(models)
    log.record_catalog([{"name": o.name, "kind": o.kind, "version": o.version, "hash": o.hash,
                         "source": o.source}
                        for o in (*catalog.segments.values(), *catalog.metrics.values())])


def validate(models: Path, capsys: pytest.CaptureFixture[str], monkeypatch, log: Path) -> tuple[
        int, str]:
    monkeypatch.setenv("SEGQ_QUERY_LOG", str(log))
    code = main(["validate", str(models), "--no-warehouse"])
    return code, capsys.readouterr().out


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return models_repo(tmp_path)


def test_validate_fails_when_a_default_changes_without_a_version_bump(
        repo: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    models = repo / "semantic_models"
    edit_engaged_default(models, 2, bump=False)
    code, out = validate(models, capsys, monkeypatch, tmp_path / "log.sqlite3")
    assert code == 1
    (line,) = [line for line in out.splitlines() if "version-not-bumped" in line or
               "Bump `version`" in line]
    assert line.startswith("engaged_users.yml: error: Definition `engaged_users` changed "
                           "(default of `min_logins_per_week` changed from 3 to 2) since ")
    assert "its version is still 1. Bump `version` to 2" in line


def test_validate_passes_the_same_edit_with_a_version_bump(repo: Path, tmp_path: Path, capsys,
                                                          monkeypatch) -> None:
    models = repo / "semantic_models"
    edit_engaged_default(models, 2, bump=True)
    code, out = validate(models, capsys, monkeypatch, tmp_path / "log.sqlite3")
    assert (code, out.startswith("OK:")) == (0, True)


def test_a_committed_change_without_a_bump_fails_against_the_previous_revision(
        repo: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    models = repo / "semantic_models"
    edit_engaged_default(models, 2, bump=False)
    git(repo, "commit", "-qam", "fewer logins")
    code, out = validate(models, capsys, monkeypatch, tmp_path / "log.sqlite3")
    assert code == 1 and "Definition `engaged_users` changed" in out


def test_wording_changes_need_no_new_version(repo: Path) -> None:
    path = repo / "semantic_models" / "engaged_users.yml"
    path.write_text(path.read_text().replace("synonyms: [engaged users,",
                                             "synonyms: [really engaged users, engaged users,"))
    assert version_issues(repo / "semantic_models") == []


def test_outside_git_the_last_logged_hash_is_the_reference(tmp_path: Path, capsys,
                                                           monkeypatch) -> None:
    models = tmp_path / "models"
    shutil.copytree(REPO / "semantic_models", models)
    assert git_root(models) is None
    log_path = tmp_path / "log.sqlite3"
    record_catalog(QueryLog(log_path), models)
    edit_engaged_default(models, 2, bump=False)
    code, out = validate(models, capsys, monkeypatch, log_path)
    assert code == 1
    assert "Definition `engaged_users` changed (its content) since the query log recorded " \
           "hash" in out
    edit_engaged_default(models, 2, bump=True)
    logged = {e["name"]: e["versions"] for e in QueryLog(log_path).definition_history()}
    assert version_issues(models, logged) == []


def test_lifecycle_stage_history_shows_the_change_through_engaged_users(repo: Path) -> None:
    models = repo / "semantic_models"
    edit_engaged_default(models, 2, bump=True)
    git(repo, "commit", "-qam", "Engaged: 2 logins a week", author="Dana Data <dana@x.org>")
    change = timeline(models, "lifecycle_stage")[-1]
    assert (change.name, change.via, change.revision.author) == (
        "engaged_users", ("engaged_users",), "Dana Data")
    assert (change.version_before, change.version_after, change.logic_changed) == (1, 2, True)
    assert change.words == ("default of `min_logins_per_week` changed from 3 to 2",
                            "version 1 -> 2")
    assert "-    default: 3\n+    default: 2\n" in change.diff
    assert "-  version: 1\n+  version: 2\n" in change.diff
    own = [c for c in timeline(models, "lifecycle_stage") if c.name == "lifecycle_stage"]
    assert [c.words for c in own] == [("added",)]  # its own YAML never changed


def test_segq_log_history_names_the_dependency_that_changed(repo: Path, tmp_path: Path,
                                                             capsys, monkeypatch) -> None:
    models = repo / "semantic_models"
    log = QueryLog(tmp_path / "log.sqlite3")
    record_catalog(log, models)
    edit_engaged_default(models, 2, bump=True)
    git(repo, "commit", "-qam", "Engaged: 2 logins a week", author="Dana Data <dana@x.org>")
    record_catalog(log, models)
    monkeypatch.setenv("SEGQ_QUERY_LOG", str(log.path))
    monkeypatch.setenv("SEGQ_SEMANTIC_MODELS", str(models))
    assert main(["log", "history", "lifecycle_stage", "--diff"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("lifecycle_stage (segment): unchanged itself; changed through "
                          "engaged_users (hash changed 1 time)\n")
    assert "Dana Data: engaged_users (required) v1 -> v2: default of `min_logins_per_week` " \
           "changed from 3 to 2; version 1 -> 2" in out
    assert "      -    default: 3\n      +    default: 2\n" in out


@pytest.mark.parametrize("before, after, words", [
    ({"version": 1, "parameters": [{"name": "weeks", "default": 4, "min": 1, "max": 26}]},
     {"version": 1, "parameters": [{"name": "weeks", "default": 4, "min": 2, "max": 26}]},
     ["min bound of `weeks` changed from 1 to 2", "version unchanged (1)"]),
    ({"version": 1, "stages": [{"name": "a", "sql": "SELECT 1"}]},
     {"version": 2, "stages": [{"name": "a", "sql": "SELECT 2"}]},
     ["version 1 -> 2", "stage `a` SQL changed"]),
    ({"version": 1, "members": [{"name": "high", "when": "x >= 14"}]},
     {"version": 1, "members": [{"name": "high", "when": "x >= 21"}, {"name": "new"}]},
     ["version unchanged (1)", "rule of member `high` changed", "member `new` added"]),
    ({"version": 1, "parameters": [{"name": "t", "default": 80, "min": 0, "max": 100}]},
     {"version": 1}, ["parameter `t` removed", "version unchanged (1)"]),
])
def test_changes_are_described_in_words(before, after, words) -> None:
    assert describe_change(before, after) == words
