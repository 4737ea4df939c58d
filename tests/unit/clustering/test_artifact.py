"""The governed cluster segment: written by the fit, assigned in SQL exactly as scikit-learn
predicts, asked about through the normal pipeline, and kept whole by `segq validate`."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from assistant.catalog import collect_issues, load_catalog
from assistant.catalog.check import deep_check
from assistant.cli import main
from assistant.clustering.artifact import write_artifact
from assistant.clustering.fit import fit_clusters
from assistant.config import load_config
from assistant.executor import Warehouse
from assistant.pipeline import Assistant
from tests.unit.clustering.helpers import predict, sql_assignment
from tests.unit.clustering.world import AS_OF, build_world


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The planted world with `usage_clusters` fitted and its heaviest member renamed `heavy`."""
    world = build_world(tmp_path_factory.mktemp("fitted"))
    warehouse = Warehouse(world["warehouse"])
    result = fit_clusters(load_catalog(world["models"]), "usage_clusters", warehouse, AS_OF)
    path = world["models"] / "usage_clusters.yml"
    write_artifact(result, path)
    data = yaml.safe_load(path.read_text())
    members = data["segments"][0]["members"]
    heaviest = max(members, key=lambda m: m["centroid"]["session_minutes"])
    heaviest.update(name="heavy", label="Heavy users", synonyms=["heavy cluster"])
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    world.update(path=path, warehouse_obj=warehouse, result=result)
    yield world
    warehouse.close()


def _config(world: dict, tmp_path: Path):
    return load_config(environ={"SEGQ_WAREHOUSE": str(world["warehouse"]),
                                "SEGQ_SEMANTIC_MODELS": str(world["models"]),
                                "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3")})


def test_the_fit_writes_a_new_version_with_centroids_scaling_and_quality(fitted) -> None:
    seg = load_catalog(fitted["models"]).segments["usage_clusters"]
    assert seg.version == 2
    assert len(seg.members) == 3 and all(len(m.centroid) == 3 for m in seg.members)
    assert set(seg.fitted["scaling"]) == {"session_minutes", "page_views", "active_days"}
    assert seg.fitted["fit_as_of"] == "2026-06-30" and seg.fitted["verdict"] == "separates"
    assert seg.fitted["separation"]["retained"]["separates"] is True


def test_the_written_segment_validates_against_the_warehouse(fitted) -> None:
    catalog, issues = collect_issues(fitted["models"])
    issues += deep_check(catalog, fitted["warehouse_obj"], AS_OF)
    assert [i for i in issues if i.level == "error"] == []


def test_sql_assignment_of_every_user_equals_sklearn_predict(fitted) -> None:
    catalog = load_catalog(fitted["models"])
    rows = sql_assignment(catalog, fitted["warehouse_obj"], "usage_clusters", AS_OF)
    assert len(rows) == 600 and len({r[-1] for r in rows}) == 3
    assert [r[-1] for r in rows] == predict(fitted["path"], "usage_clusters",
                                            [r[:-1] for r in rows])


def test_a_planner_question_counts_the_members_the_sql_assigns(fitted, tmp_path: Path) -> None:
    catalog = load_catalog(fitted["models"])
    rows = sql_assignment(catalog, fitted["warehouse_obj"], "usage_clusters", AS_OF)
    expected = Counter(r[-1] for r in rows)["heavy"]
    answer = Assistant(_config(fitted, tmp_path)).ask("how many users are in the heavy cluster?")
    assert answer.status == "answered", answer.message
    assert answer.rows == [[expected]] and expected > 150
    card = answer.definitions[0]
    assert (card.name, card.member, card.version) == ("usage_clusters", "heavy", 2)
    assert card.fit.startswith("fitted 2026-06-30, K-Means k=3 on 600 users, silhouette 0.")
    assert "separates retained (V 0." in card.fit


def test_refitting_keeps_the_edited_names_and_bumps_the_version(fitted, tmp_path: Path) -> None:
    models = tmp_path / "models"
    shutil.copytree(fitted["models"], models)
    result = fit_clusters(load_catalog(models), "usage_clusters", fitted["warehouse_obj"], AS_OF)
    _, version, names = write_artifact(result, models / "usage_clusters.yml")
    seg = load_catalog(models).segments["usage_clusters"]
    assert version == 3 and seg.version == 3
    assert "heavy" in names and seg.member("heavy").label == "Heavy users"
    assert seg.member("heavy").synonyms == ("heavy cluster",)


def test_cli_fit_prints_the_report_and_writes_the_segment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(tmp_path / "cli")
    monkeypatch.setenv("SEGQ_WAREHOUSE", str(world["warehouse"]))
    monkeypatch.setenv("SEGQ_SEMANTIC_MODELS", str(world["models"]))
    monkeypatch.setenv("SEGQ_QUERY_LOG", str(tmp_path / "log.sqlite3"))
    code = main(["cluster", "fit", "usage_clusters", "--report", str(tmp_path / "r.png")])
    out = capsys.readouterr().out
    assert code == 0
    assert "Governed model: kmeans k=3" in out and "wrote `usage_clusters` version 2" in out
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"
    assert load_catalog(world["models"]).segments["usage_clusters"].version == 2


def test_cli_fit_writes_nothing_when_no_model_separates_outcomes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(tmp_path / "cli", equal_outcomes=True)
    before = (world["models"] / "usage_clusters.yml").read_text()
    monkeypatch.setenv("SEGQ_WAREHOUSE", str(world["warehouse"]))
    monkeypatch.setenv("SEGQ_SEMANTIC_MODELS", str(world["models"]))
    monkeypatch.setenv("SEGQ_QUERY_LOG", str(tmp_path / "log.sqlite3"))
    code = main(["cluster", "fit", "usage_clusters"])
    out = capsys.readouterr().out
    assert code == 1
    assert "statistically tidy but operationally useless" in out and "Nothing written" in out
    assert (world["models"] / "usage_clusters.yml").read_text() == before
