"""`segq validate` keeps a cluster artifact whole. Each test copies the models with the
committed example, breaks one thing, and expects exactly one error worded to fix it."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from assistant.catalog import collect_issues
from assistant.catalog.check import plan_issues
from assistant.compiler import compile_plan
from assistant.errors import CompileError, Issue
from assistant.plan import Intent, QueryPlan, SegmentRef

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "clusters" / "behaviour_clusters.yml"


@pytest.fixture()
def models(tmp_path: Path) -> Path:
    target = tmp_path / "models"
    shutil.copytree(REPO / "semantic_models", target)
    shutil.copy(EXAMPLE, target / EXAMPLE.name)
    return target


def edit(models: Path, old: str, new: str) -> None:
    path = models / EXAMPLE.name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def issues(models: Path, level: str = "error") -> list[Issue]:
    return [i for i in collect_issues(models)[1] if i.level == level]


def only(found: list[Issue]) -> Issue:
    assert len(found) == 1, [str(i) for i in found]
    return found[0]


def test_the_committed_example_is_valid(models: Path) -> None:
    assert issues(models) == [] and issues(models, "warning") == []


def test_a_centroid_missing_a_feature_is_named(models: Path) -> None:
    edit(models, "          page_views: 0.857534\n", "")
    issue = only(issues(models))
    assert "centroid of member `active_spenders`" in issue.message
    assert "missing page_views" in issue.message
    assert issue.source.startswith("models/behaviour_clusters.yml:")


def test_scaling_without_a_feature_is_an_error(models: Path) -> None:
    edit(models, "page_views: [", "page_viewz: [")
    found = [i.message for i in issues(models)]
    assert any("`fitted.scaling.page_views`" in m for m in found)
    assert any("scales `page_viewz`, which is not a cluster feature" in m
               and "Did you mean `page_views`?" in m for m in found)


def test_an_unknown_outcome_metric_is_named_with_a_suggestion(models: Path) -> None:
    edit(models, "metric: active_users,", "metric: active_user,")
    issue = only(issues(models))
    assert "uses unknown metric `active_user`" in issue.message
    assert "Did you mean `active_users`?" in issue.message


def test_an_unknown_key_in_the_cluster_block_is_an_error(models: Path) -> None:
    edit(models, "      k: [3, 6]\n", "      k: [3, 6]\n      samples: 10\n")
    issue = only(issues(models))
    assert "has unknown key `samples`" in issue.message and "Did you mean `sample`?" in (
        issue.message)


def test_a_removed_member_breaks_k(models: Path) -> None:
    text = (models / EXAMPLE.name).read_text()
    start = text.index("      - name: casual_browsers")
    end = text.index("    fitted:")
    (models / EXAMPLE.name).write_text(text[:start] + text[end:])
    issue = only(issues(models))
    assert "fitted with k=6 but has 5 members" in issue.message


def test_an_unknown_among_value_is_named(models: Path) -> None:
    edit(models, "plan: [free, trial]", "plan: [free, trail]")
    issue = only(issues(models))
    assert "among plan `trail`" in issue.message and "Did you mean `trial`?" in issue.message


def test_an_unfitted_spec_warns_and_its_questions_are_refused_in_words(models: Path) -> None:
    text = (models / EXAMPLE.name).read_text()
    start = text.index("    members:")
    (models / EXAMPLE.name).write_text(text[:start])
    catalog, found = collect_issues(models)
    assert [i for i in found if i.level == "error"] == []
    warning = only([i for i in found if i.level == "warning"])
    assert "is not fitted yet" in warning.message
    assert "segq cluster fit behaviour_clusters" in warning.message
    plan = QueryPlan(intent=Intent.COUNT, segment=SegmentRef(name="behaviour_clusters"))
    with pytest.raises(CompileError, match="is not fitted"):
        compile_plan(plan, catalog, date(2026, 6, 30), row_cap=10)
    assert plan_issues(catalog, date(2026, 6, 30), None) == []


def test_a_stage_named_like_the_distance_cte_is_refused(models: Path) -> None:
    edit(models, "      - name: breadth\n", "      - name: distances\n")
    edit(models, "LEFT JOIN breadth AS b", "LEFT JOIN distances AS b")
    issue = only(issues(models))
    assert "has a stage named `distances`" in issue.message
