"""Three clustering families side by side on the same scaled sample.

K-Means over the spec's range of k (the only family that can become governed SQL: its
centroids assign any user in the warehouse), DBSCAN over a small eps x min_samples grid, and
agglomerative clustering with Ward linkage cut at the same k. Silhouette is computed on a
sample of the sample (it is quadratic), without DBSCAN's noise points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import DBSCAN, KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

DBSCAN_GRID = ((0.3, 10), (0.5, 10), (0.5, 25), (1.0, 10), (1.0, 25), (1.5, 25))
WARD_MAX = 4_000  # Ward keeps an n x n distance matrix: 4,000 users is 64 MB
SILHOUETTE_SAMPLE = 2_000


@dataclass
class Candidate:
    name: str
    method: str  # kmeans | dbscan | ward
    params: dict[str, Any]
    labels: np.ndarray  # one per row of the rows it was fitted on, -1 is DBSCAN noise
    rows: np.ndarray  # indices into the sample
    silhouette: float | None
    model: KMeans | None = None
    tests: list[Any] = field(default_factory=list)  # outcomes.OutcomeTest, filled later
    verdict: str = ""

    @property
    def n_clusters(self) -> int:
        return len({int(v) for v in self.labels if v >= 0})

    @property
    def noise_share(self) -> float:
        return float(np.mean(self.labels < 0)) if len(self.labels) else 0.0


def silhouette(z: np.ndarray, labels: np.ndarray, seed: int) -> float | None:
    keep = labels >= 0
    kept = labels[keep]
    if len(set(kept.tolist())) < 2 or len(set(kept.tolist())) >= len(kept):
        return None
    size = min(SILHOUETTE_SAMPLE, int(keep.sum()))
    return float(silhouette_score(z[keep], kept, sample_size=size, random_state=seed))


def kmeans_candidates(z: np.ndarray, k_min: int, k_max: int, seed: int) -> list[Candidate]:
    rows = np.arange(len(z))
    out = []
    for k in range(k_min, min(k_max, len(z) - 1) + 1):
        model = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(z)
        labels = model.labels_.astype(int)
        out.append(Candidate(f"kmeans k={k}", "kmeans", {"k": k}, labels, rows,
                             silhouette(z, labels, seed), model))
    return out


def dbscan_candidates(z: np.ndarray, seed: int) -> list[Candidate]:
    rows = np.arange(len(z))
    out = []
    for eps, min_samples in DBSCAN_GRID:
        labels = DBSCAN(eps=eps, min_samples=min_samples).fit_predict(z).astype(int)
        out.append(Candidate(f"dbscan eps={eps:g} min={min_samples}", "dbscan",
                             {"eps": eps, "min_samples": min_samples}, labels, rows,
                             silhouette(z, labels, seed)))
    return out


def ward_candidates(z: np.ndarray, k_min: int, k_max: int, seed: int) -> list[Candidate]:
    rows = np.arange(min(len(z), WARD_MAX))  # the sample is already shuffled
    tree = linkage(z[rows], method="ward")
    out = []
    for k in range(k_min, min(k_max, len(rows) - 1) + 1):
        labels = fcluster(tree, t=k, criterion="maxclust").astype(int) - 1
        out.append(Candidate(f"ward k={k}", "ward", {"k": k}, labels, rows,
                             silhouette(z[rows], labels, seed)))
    return out


def all_candidates(z: np.ndarray, k_min: int, k_max: int, seed: int) -> list[Candidate]:
    # One BLAS/OpenMP thread: on a busy two-core machine K-Means' thread pool spun 150x
    # slower than a single thread on a few thousand users (12 s against 0.08 s).
    with threadpool_limits(limits=1):
        return [*kmeans_candidates(z, k_min, k_max, seed), *dbscan_candidates(z, seed),
                *ward_candidates(z, k_min, k_max, seed)]
