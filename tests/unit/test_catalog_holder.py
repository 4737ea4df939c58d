"""A long-running process (the Slack bot) follows edits to the models, and survives bad ones.

The holder checks the files at most every `check_every_s` (a fake clock here): a valid edit
is served from the next check; a broken edit is logged once with `file:line` while the last
valid catalog keeps answering; the fix is picked up like any other edit.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from assistant.catalog import CatalogHolder
from assistant.errors import CatalogError

MODELS = Path(__file__).resolve().parents[2] / "semantic_models"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def models(tmp_path: Path) -> Path:
    target = tmp_path / "semantic_models"
    shutil.copytree(MODELS, target)
    return target


def rewrite(path: Path, old: str, new: str) -> None:
    """Edit a file and move its mtime on, as an editor saving a second later would."""
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_valid_edit_is_served_after_the_next_check(models):
    clock = Clock()
    holder = CatalogHolder(models, check_every_s=2, clock=clock)
    first = holder.current()
    rewrite(models / "engaged_users.yml", "label: Engaged users", "label: Highly engaged users")
    assert holder.current() is first  # not checked yet
    clock.now = 2
    assert holder.current().segments["engaged_users"].label == "Highly engaged users"


def test_unchanged_files_are_not_reloaded(models):
    clock = Clock()
    holder = CatalogHolder(models, check_every_s=1, clock=clock)
    first = holder.current()
    clock.now = 10
    assert holder.current() is first


def test_a_broken_edit_keeps_the_last_valid_catalog_and_logs_its_issues_once(models, caplog):
    clock = Clock()
    holder = CatalogHolder(models, check_every_s=1, clock=clock)
    first = holder.current()
    (models / "engagement_score.yml").write_text("")
    clock.now = 1
    with caplog.at_level(logging.ERROR, logger="segq.catalog"):
        assert holder.current() is first
        clock.now = 2
        assert holder.current() is first
    assert "engagement_score" in first.segments
    assert [i.source for i in holder.issues] == ["semantic_models/engagement_score.yml:1"]
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 1
    assert "Still serving the catalog loaded before" in logged[0]
    assert "semantic_models/engagement_score.yml:1: error:" in logged[0]


def test_the_fix_of_a_broken_edit_is_picked_up(models):
    clock = Clock()
    holder = CatalogHolder(models, check_every_s=1, clock=clock)
    path = models / "engaged_users.yml"
    rewrite(path, "GROUP BY user_id", "GROUP BY user_id (")
    clock.now = 1
    holder.current()
    assert holder.issues and holder.issues[0].rule == "sql-parse"
    rewrite(path, "GROUP BY user_id (", "GROUP BY user_id")
    clock.now = 2
    assert "engaged_users" in holder.current().segments
    assert holder.issues == []


def test_a_removed_directory_keeps_serving_the_last_catalog(models):
    clock = Clock()
    holder = CatalogHolder(models, check_every_s=1, clock=clock)
    first = holder.current()
    shutil.rmtree(models)
    clock.now = 1
    assert holder.current() is first
    assert holder.issues


def test_a_broken_catalog_at_start_fails_with_every_issue(models):
    (models / "engagement_score.yml").write_text("")
    with pytest.raises(CatalogError) as err:
        CatalogHolder(models)
    assert [i.rule for i in err.value.issues] == ["empty-file"]


def test_the_assistant_answers_from_the_reloaded_catalog(models, config):
    from assistant.pipeline import Assistant

    assistant = Assistant(config.replace(semantic_models=str(models)))
    assert assistant.catalog.segments["engaged_users"].label == "Engaged users"
    rewrite(models / "engaged_users.yml", "label: Engaged users", "label: Highly engaged users")
    assistant._catalogs.check_every_s = 0  # type: ignore[union-attr]  # check at once
    answer = assistant.ask("how do we define engaged users?")
    assert answer.status == "answered"
    assert answer.message.startswith("Highly engaged users (`engaged_users` v1")


def test_an_assistant_given_a_catalog_keeps_it(catalog, config):
    from assistant.pipeline import Assistant

    assert Assistant(config, catalog=catalog).catalog is catalog
