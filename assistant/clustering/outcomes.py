"""Do the clusters predict different outcomes? One test per declared outcome.

Binary outcomes (retained, converted) get a chi-square test of independence on the
cluster x outcome table and Cramér's V; amounts (revenue) get Kruskal-Wallis across clusters
and epsilon-squared (H / (n - 1)). An outcome *separates* the clusters when the test is
significant at `ALPHA` and the effect is at least small (`MIN_EFFECT`): with thousands of
users a trivial difference is significant, so the p-value alone would flag tidy noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2_contingency, kruskal

ALPHA = 0.01
MIN_EFFECT = {"cramers_v": 0.1, "epsilon_squared": 0.01}
MIN_GROUP = 5  # clusters smaller than this are left out of a test


@dataclass(frozen=True)
class OutcomeTest:
    outcome: str
    label: str
    binary: bool
    test: str  # chi-square | kruskal-wallis
    statistic: float
    p_value: float
    effect: str  # cramers_v | epsilon_squared
    effect_size: float
    per_cluster: tuple[tuple[int, int, float], ...]  # (cluster, users measured, rate or mean)

    @property
    def separates(self) -> bool:
        return self.p_value < ALPHA and self.effect_size >= MIN_EFFECT[self.effect]

    def to_dict(self) -> dict[str, object]:
        return {"test": self.test, "statistic": round(self.statistic, 4),
                "p_value": float(f"{self.p_value:.3g}"), "effect": self.effect,
                "effect_size": round(self.effect_size, 4), "separates": self.separates}


def outcome_test(name: str, label: str, binary: bool, labels: np.ndarray,
                 values: np.ndarray) -> OutcomeTest:
    measured = ~np.isnan(values)
    labels, values = labels[measured], values[measured]
    groups = [(int(c), values[labels == c]) for c in sorted(set(labels.tolist()))]
    groups = [(c, v) for c, v in groups if len(v) >= MIN_GROUP]
    per_cluster = tuple((c, len(v), float(np.mean(v))) for c, v in groups)
    n = sum(len(v) for _, v in groups)
    if binary:
        stat, p, effect = _chi_square([(v > 0) for _, v in groups], n)
        return OutcomeTest(name, label, True, "chi-square", stat, p, "cramers_v", effect,
                           per_cluster)
    stat, p, effect = _kruskal([v for _, v in groups], n)
    return OutcomeTest(name, label, False, "kruskal-wallis", stat, p, "epsilon_squared", effect,
                       per_cluster)


def _chi_square(groups: list[np.ndarray], n: int) -> tuple[float, float, float]:
    table = np.array([[int(g.sum()), int(len(g) - g.sum())] for g in groups])
    if len(groups) < 2 or (table.sum(axis=0) == 0).any():
        return 0.0, 1.0, 0.0  # one group, or everyone (or no one) had the outcome
    stat, p, _, _ = chi2_contingency(table, correction=False)
    return float(stat), float(p), float(np.sqrt(stat / n))


def _kruskal(groups: list[np.ndarray], n: int) -> tuple[float, float, float]:
    if len(groups) < 2 or len(np.unique(np.concatenate(groups))) < 2:
        return 0.0, 1.0, 0.0  # every value equal: nothing can separate
    stat, p = kruskal(*groups)
    return float(stat), float(p), float(stat / (n - 1))
