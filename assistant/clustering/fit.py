"""The fit, in order: read, sample, transform and scale, cluster, test outcomes, choose."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

import numpy as np

from assistant.catalog.models import Catalog, ClusterSpec, Segment
from assistant.clustering.candidates import Candidate, all_candidates
from assistant.clustering.choose import best_separating, governed_choice, verdict
from assistant.clustering.data import FitData, is_binary, read_fit_data
from assistant.clustering.outcomes import outcome_test
from assistant.errors import FitError
from assistant.warehouses import Adapter

MIN_USERS = 50


@dataclass
class FitResult:
    segment: Segment
    as_of: date
    data: FitData
    sample: np.ndarray  # row indices into data, shuffled
    mean: np.ndarray
    scale: np.ndarray
    candidates: list[Candidate]
    chosen: Candidate | None  # the K-Means model to govern
    best: Candidate | None  # the best-separating candidate of any family
    seed: int
    data_seconds: float = 0.0  # reading features and outcomes from the warehouse

    @property
    def spec(self) -> ClusterSpec:
        assert self.segment.cluster is not None
        return self.segment.cluster


def transform(spec: ClusterSpec, features: np.ndarray) -> np.ndarray:
    """The per-feature transform the compiler applies in SQL (ln(1 + x) for `log1p`)."""
    out = np.array(features, dtype=float, copy=True)
    for j, feature in enumerate(spec.features):
        if feature.transform == "log1p":
            out[:, j] = np.log(1.0 + np.maximum(out[:, j], 0.0))
    return out


def fit_clusters(catalog: Catalog, name: str, warehouse: Adapter, as_of: date, *,
                 sample: int | None = None, seed: int = 0, k: int | None = None) -> FitResult:
    seg = catalog.segments.get(name)
    if seg is None:
        clusters = [s.name for s in catalog.segments.values() if s.is_cluster]
        raise FitError(f"There is no segment `{name}` to fit. Cluster segments: "
                       f"{', '.join(clusters) or '(none: add a `cluster:` block)'}.")
    started = time.perf_counter()
    data = read_fit_data(catalog, seg, warehouse, as_of)
    data_seconds = time.perf_counter() - started
    spec = seg.cluster
    assert spec is not None
    if len(data.user_ids) < MIN_USERS:
        raise FitError(f"Only {len(data.user_ids)} users have features as of "
                       f"{data.feature_as_of}; a fit needs at least {MIN_USERS}.")
    rows = np.random.default_rng(seed).permutation(len(data.user_ids))[:sample or spec.sample]
    x = transform(spec, data.features[rows])
    mean = np.round(x.mean(axis=0), 6)
    scale = np.round(np.where(x.std(axis=0) > 1e-9, x.std(axis=0), 1.0), 6)
    z = (x - mean) / scale
    candidates = all_candidates(z, spec.k_min, spec.k_max, seed)
    for candidate in candidates:
        for outcome in spec.outcomes:
            values = data.outcomes[outcome.name][rows][candidate.rows]
            candidate.tests.append(outcome_test(
                outcome.name, outcome.label, is_binary(catalog.metrics[outcome.metric]),
                candidate.labels, values))
        candidate.verdict = verdict(candidate)
    chosen = governed_choice(candidates, k)
    if k is not None and chosen is None:
        raise FitError(f"`--k {k}` is outside the K-Means range {spec.k_min}..{spec.k_max} of "
                       f"`{seg.name}` ({spec.source}).")
    return FitResult(seg, as_of, data, rows, mean, scale, candidates, chosen,
                     best_separating(candidates), seed, data_seconds)
