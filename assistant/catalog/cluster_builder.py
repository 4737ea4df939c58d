"""The `cluster:` block of a segment and its members' `centroid`s, as runtime values.

A cluster segment is an ordinary governed segment whose stages compute one row of features per
user; `cluster:` says which columns are features (and how each is transformed), which governed
metrics are the outcomes the clusters must separate, and what `segq cluster fit` searches. The
fitted part (scaling, quality, separation) lives in `fitted:`, each member carries its centroid.
Keys, types and bounds are the document models' (`ClusterDoc`, `documents.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.catalog.documents import ClusterDoc, MemberDoc
from assistant.catalog.models import ClusterFeature, ClusterOutcome, ClusterSpec

if TYPE_CHECKING:
    from assistant.catalog.builder import _Builder


def cluster_spec(b: _Builder, doc: ClusterDoc, segment: str) -> ClusterSpec:
    k_min, k_max = doc.k
    if k_min > k_max:
        b.error(doc, f"`k` of the cluster of segment `{segment}` is [{k_min}, {k_max}]; it must "
                "be `[min, max]` with min <= max (the numbers of clusters K-Means tries).",
                "bounds", "k")
        k_min, k_max = k_max, k_min
    features = tuple(ClusterFeature(f.name, f.transform) for f in doc.features)
    outcomes = tuple(ClusterOutcome(o.name, o.metric, o.label or o.name, tuple(o.among.items()))
                     for o in doc.outcomes)
    return ClusterSpec(features, outcomes, doc.outcome_window_days, k_min, k_max, doc.sample,
                       doc.at())


def centroid(doc: MemberDoc) -> tuple[tuple[str, float], ...]:
    return tuple((feature, float(value)) for feature, value in (doc.centroid or {}).items())
