"""`segq cluster fit` on planted worlds (see world.py): it finds the planted groups when they
differ in outcomes, flags the separation, and says so when they do not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from assistant.catalog import load_catalog
from assistant.clustering import report
from assistant.clustering.choose import SEPARATES, TIDY_USELESS
from assistant.clustering.fit import FitResult, fit_clusters
from assistant.executor import Warehouse
from tests.unit.clustering.world import AS_OF, build_world

ARI_BOUND = 0.9  # the acceptance bound: adjusted Rand index vs the planted groups


def _fit(world: dict) -> FitResult:
    catalog = load_catalog(world["models"])
    warehouse = Warehouse(world["warehouse"])
    try:
        return fit_clusters(catalog, "usage_clusters", warehouse, AS_OF)
    finally:
        warehouse.close()


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, FitResult]:
    world = build_world(tmp_path_factory.mktemp("planted"))
    return world, _fit(world)


@pytest.fixture(scope="module")
def equal(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, FitResult]:
    world = build_world(tmp_path_factory.mktemp("equal"), equal_outcomes=True)
    return world, _fit(world)


def _planted_labels(world: dict, result: FitResult, rows: np.ndarray) -> list[str]:
    ids = result.data.user_ids[result.sample][rows]
    return [world["planted"][int(uid)] for uid in ids]


def test_planted_groups_are_found_by_the_governed_kmeans(planted) -> None:
    world, result = planted
    chosen = result.chosen
    assert chosen is not None and chosen.method == "kmeans"
    assert chosen.params["k"] == 3
    ari = adjusted_rand_score(_planted_labels(world, result, chosen.rows), chosen.labels)
    assert ari > ARI_BOUND


def test_planted_retention_difference_is_flagged_as_separation(planted) -> None:
    _, result = planted
    chosen = result.chosen
    assert chosen is not None and chosen.verdict == SEPARATES
    retained = next(t for t in chosen.tests if t.outcome == "retained")
    assert retained.separates and retained.p_value < 0.001 and retained.effect_size > 0.5
    rates = sorted(rate for _, _, rate in retained.per_cluster)
    assert rates[0] < 0.2 and rates[-1] > 0.8  # the planted 10% and 90%
    assert "Best separation of outcomes:" in report.text(result)


def test_ward_and_dbscan_are_compared_beside_kmeans(planted) -> None:
    _, result = planted
    methods = {c.method for c in result.candidates}
    assert methods == {"kmeans", "dbscan", "ward"}
    ward3 = next(c for c in result.candidates if c.name == "ward k=3")
    assert adjusted_rand_score(_planted_labels(planted[0], result, ward3.rows),
                               ward3.labels) > ARI_BOUND


def test_groups_with_equal_outcomes_are_reported_tidy_but_useless(equal) -> None:
    _, result = equal
    kmeans3 = next(c for c in result.candidates if c.name == "kmeans k=3")
    assert kmeans3.silhouette is not None and kmeans3.silhouette > 0.5  # clearly tidy
    assert kmeans3.verdict == TIDY_USELESS
    assert not any(t.separates for t in kmeans3.tests)
    assert result.chosen is None and result.best is None
    text = report.text(result)
    assert "No candidate separates the declared outcomes" in text
    assert "Tidy but useless" in text and "kmeans k=3" in text.split("Tidy but useless")[1]


def test_the_png_report_is_written(planted, tmp_path: Path) -> None:
    _, result = planted
    path = report.write_png(result, tmp_path / "report.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
