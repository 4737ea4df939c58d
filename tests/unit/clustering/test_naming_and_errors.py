"""Suggested member names, and the fit's worded refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.cli import main
from assistant.clustering.naming import suggest
from tests.unit.clustering.world import build_world


def test_names_come_from_the_strongest_centroid_features() -> None:
    names = suggest([
        {"session_minutes": 1.8, "active_days": 1.2, "page_views": 0.1},
        {"session_minutes": -0.9, "active_days": -0.7, "page_views": -0.6},
        {"session_minutes": 0.2, "active_days": -0.1, "page_views": 0.3},
    ])
    assert names == [("high_session_minutes", "High session minutes, high active days"),
                     ("low_session_minutes", "Low session minutes, low active days"),
                     ("typical", "Typical")]


def test_suggested_names_stay_unique() -> None:
    names = [n for n, _ in suggest([{"a": 2.0, "b": 1.0}, {"a": 1.5, "b": -1.0},
                                    {"a": 1.0, "b": -0.9}])]
    assert names == ["high_a", "high_a_low_b", "high_a_low_b_2"]


@pytest.fixture()
def world_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    world = build_world(tmp_path / "w")
    monkeypatch.setenv("SEGQ_WAREHOUSE", str(world["warehouse"]))
    monkeypatch.setenv("SEGQ_SEMANTIC_MODELS", str(world["models"]))
    monkeypatch.setenv("SEGQ_QUERY_LOG", str(tmp_path / "log.sqlite3"))
    return world


def test_fitting_a_segment_without_a_cluster_block_is_refused_in_words(
    world_env: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (world_env["models"] / "usage_clusters.yml").read_text()
    plain = text.split("    member_column: cluster")[0]
    (world_env["models"] / "usage_clusters.yml").write_text(plain)
    assert main(["cluster", "fit", "usage_clusters"]) == 2
    err = capsys.readouterr().err
    assert "has no `cluster:` block, so there is nothing to fit" in err
    assert "Traceback" not in err


def test_fitting_an_unknown_segment_lists_the_cluster_segments(
    world_env: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cluster", "fit", "usage_cluster"]) == 2
    assert "no segment `usage_cluster` to fit. Cluster segments: usage_clusters" in (
        capsys.readouterr().err)


def test_a_k_outside_the_range_is_refused(world_env: dict,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    before = (world_env["models"] / "usage_clusters.yml").read_text()
    assert main(["cluster", "fit", "usage_clusters", "--k", "9"]) == 2
    assert "`--k 9` is outside the K-Means range 2..5" in capsys.readouterr().err
    assert (world_env["models"] / "usage_clusters.yml").read_text() == before
