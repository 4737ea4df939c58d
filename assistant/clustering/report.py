"""The fit report: one row per candidate, the verdicts, and a PNG of the same comparison.

The table says for every candidate how tidy it is (silhouette) and how well it separates the
declared outcomes (the strongest test), then in words which candidate separates outcomes best,
which are tidy but useless, and which K-Means model is written as the governed segment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.clustering.candidates import Candidate
from assistant.clustering.choose import SEPARATES, TIDY_USELESS, separation_score
from assistant.clustering.fit import FitResult
from assistant.clustering.outcomes import OutcomeTest

EFFECT_SYMBOL = {"cramers_v": "V", "epsilon_squared": "eps2"}


def _p(p: float) -> str:
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def _test_cell(test: OutcomeTest) -> str:
    mark = "*" if test.separates else ""
    return f"{EFFECT_SYMBOL[test.effect]}={test.effect_size:.2f} {_p(test.p_value)}{mark}"


def rows(result: FitResult) -> tuple[list[str], list[list[Any]]]:
    outcomes = [o.name for o in result.spec.outcomes]
    columns = ["candidate", "clusters", "noise", "silhouette", *outcomes, "score", "verdict"]
    table = []
    for c in result.candidates:
        sil = "-" if c.silhouette is None else f"{c.silhouette:.3f}"
        table.append([c.name, c.n_clusters, f"{c.noise_share:.0%}", sil,
                      *[_test_cell(t) for t in c.tests], f"{separation_score(c):.2f}",
                      c.verdict])
    return columns, table


def summary(result: FitResult) -> list[str]:
    lines = []
    best = result.best
    if best is None:
        lines.append("No candidate separates the declared outcomes: the clusters are at best "
                     "statistically tidy but operationally useless.")
    else:
        strongest = max(best.tests, key=lambda t: t.effect_size)
        lines.append(f"Best separation of outcomes: {best.name} (strongest on {strongest.label}, "
                     f"{_test_cell(strongest).rstrip('*')}).")
    tidy = [c.name for c in result.candidates if c.verdict == TIDY_USELESS]
    if tidy:
        lines.append(f"Tidy but useless (silhouette >= 0.25, no outcome separates): "
                     f"{', '.join(tidy)}.")
    chosen = result.chosen
    if chosen is not None:
        lines.append(f"Governed model: {chosen.name} (silhouette {chosen.silhouette or 0:.3f}); "
                     "its centroids become the nearest-centroid SQL of the segment.")
        if best is not None and best.method != "kmeans":
            lines.append(f"{best.name} separates a little better but has no centroids to assign "
                         "users in SQL; K-Means is what can be governed.")
    return lines


def per_cluster(result: FitResult, names: list[str] | None = None) -> list[str]:
    chosen = result.chosen
    if chosen is None:
        return []
    lines = ["", f"Outcomes by cluster of {chosen.name} (later window "
             f"{result.data.outcome_window[0]} to {result.data.outcome_window[1]}):"]
    for cluster in range(chosen.n_clusters):
        label = names[cluster] if names else f"cluster {cluster}"
        parts = []
        for test in chosen.tests:
            value = next((v for c, _, v in test.per_cluster if c == cluster), None)
            if value is not None:
                parts.append(f"{test.outcome} {value:.1%}" if test.binary
                             else f"{test.outcome} {value:,.2f}")
        size = int((chosen.labels == cluster).sum())
        lines.append(f"  {label:<28} {size:>6,} users  " + ", ".join(parts))
    return lines


def text(result: FitResult, names: list[str] | None = None) -> str:
    from assistant.render.terminal import table

    columns, body = rows(result)
    head = (f"Fit of `{result.segment.name}`: features as of {result.data.feature_as_of}, "
            f"outcomes {result.data.outcome_window[0]} to {result.data.outcome_window[1]}, "
            f"{len(result.sample):,} of {len(result.data.user_ids):,} users sampled. "
            "(* = separates: p < 0.01 and at least a small effect)")
    return "\n".join([head, "", table(columns, body, limit=len(body)), "", *summary(result),
                      *per_cluster(result, names)])


def _colour(candidate: Candidate) -> str:
    return {SEPARATES: "#2b8a3e", TIDY_USELESS: "#e8590c"}.get(candidate.verdict, "#868e96")


def write_png(result: FitResult, path: Path) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = [c.name for c in result.candidates]
    figure = Figure(figsize=(11, 0.32 * len(names) + 1.6), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    tidy_ax, sep_ax = figure.subplots(1, 2, sharey=True)
    colours = [_colour(c) for c in result.candidates]
    positions = list(range(len(names)))
    tidy_ax.barh(positions, [c.silhouette or 0.0 for c in result.candidates], color=colours)
    tidy_ax.axvline(0.25, color="#495057", linestyle="--", linewidth=1)
    tidy_ax.set_yticks(positions, names)
    tidy_ax.invert_yaxis()
    tidy_ax.set_xlabel("silhouette (tidiness)")
    sep_ax.barh(positions, [separation_score(c) for c in result.candidates], color=colours)
    sep_ax.axvline(0.1, color="#495057", linestyle="--", linewidth=1)
    sep_ax.set_xlabel("outcome separation (mean effect size; 0.1 = small)")
    figure.suptitle(f"{result.segment.name}: green separates outcomes, orange is tidy but "
                    "useless, grey neither")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path
