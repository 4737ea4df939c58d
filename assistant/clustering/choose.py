"""Verdicts per candidate, and which K-Means model becomes the governed segment.

- `separates`: at least one declared outcome differs across its clusters (significant and at
  least a small effect; see outcomes.py).
- `tidy but useless`: a good silhouette (>= `TIDY`) but no outcome separates.
- `no structure`: neither; `no clusters`: fewer than two clusters (DBSCAN can find one).

Separation score = the mean over the outcomes of an effect on one scale: Cramér's V as it is,
and the square root of epsilon-squared (a variance share, like V squared), so 0.1 is a small
effect for both. The governed model is the tidiest
(highest silhouette) K-Means candidate that separates and scores within `NEAR_BEST` of the
best-separating K-Means candidate: splitting real clusters further adds little separation and
costs silhouette, so this picks the planted k rather than the largest.
"""

from __future__ import annotations

import math

from assistant.clustering.candidates import Candidate
from assistant.clustering.outcomes import OutcomeTest

TIDY = 0.25
NEAR_BEST = 0.9
SEPARATES, TIDY_USELESS, NO_STRUCTURE, NO_CLUSTERS = (
    "separates", "tidy but useless", "no structure", "no clusters")


def separation_score(candidate: Candidate) -> float:
    if not candidate.tests:
        return 0.0
    return sum(effect_on_one_scale(t) for t in candidate.tests) / len(candidate.tests)


def effect_on_one_scale(test: OutcomeTest) -> float:
    return test.effect_size if test.effect == "cramers_v" else math.sqrt(max(test.effect_size,
                                                                             0.0))


def verdict(candidate: Candidate) -> str:
    if candidate.n_clusters < 2:
        return NO_CLUSTERS
    if any(t.separates for t in candidate.tests):
        return SEPARATES
    if candidate.silhouette is not None and candidate.silhouette >= TIDY:
        return TIDY_USELESS
    return NO_STRUCTURE


def best_separating(candidates: list[Candidate]) -> Candidate | None:
    """The candidate of any family that separates best; near-equal scores go to the tidier."""
    separating = [c for c in candidates if c.verdict == SEPARATES]
    return max(separating, default=None, key=lambda c: (
        round(separation_score(c), 2), c.silhouette if c.silhouette is not None else -1.0))


def governed_choice(candidates: list[Candidate], k: int | None = None) -> Candidate | None:
    """The K-Means candidate to write: `k` if asked, else the rule in the module docstring."""
    kmeans = [c for c in candidates if c.method == "kmeans"]
    if k is not None:
        return next((c for c in kmeans if c.params["k"] == k), None)
    separating = [c for c in kmeans if c.verdict == SEPARATES]
    if not separating:
        return None
    best = max(separation_score(c) for c in separating)
    near = [c for c in separating if separation_score(c) >= NEAR_BEST * best]
    return max(near, key=lambda c: c.silhouette if c.silhouette is not None else -1.0)
