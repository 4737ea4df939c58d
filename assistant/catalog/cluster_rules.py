"""`segq validate` rules for cluster segments: the artifact `segq cluster fit` writes must be
whole (every feature scaled, every member a centroid over exactly those features) and its
spec must name governed things (feature columns, outcome metrics, dimension values)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from assistant.catalog.models import Catalog, Segment
from assistant.errors import Issue
from assistant.messages import did_you_mean


def centroids_belong_to_clusters(catalog: Catalog) -> Iterator[Issue]:
    for seg in catalog.segments.values():
        if seg.is_cluster:
            continue
        for member in seg.members:
            if member.centroid:
                yield Issue("error", f"Member `{member.name}` of `{seg.name}` has a `centroid`, "
                            "but the segment has no `cluster:` block. Remove the centroid or "
                            "declare the cluster features.", member.source)


def cluster_spec_names_governed_objects(catalog: Catalog) -> Iterator[Issue]:
    for seg in catalog.segments.values():
        if seg.cluster is None:
            continue
        spec = seg.cluster
        if any(stage.name == "distances" for stage in seg.stages):
            yield Issue("error", f"Cluster segment `{seg.name}` has a stage named `distances`, "
                        "the name of the CTE the compiler adds for the nearest centroid. Rename "
                        "the stage.", seg.source)
        for feature in spec.features:
            if feature.name not in seg.columns:
                yield Issue("error", f"Cluster feature `{feature.name}` of `{seg.name}` is not in "
                            f"the segment's `columns`. Accepted: {', '.join(seg.columns)}."
                            f"{did_you_mean(feature.name, seg.columns)}", spec.source)
        for kind, names in (("feature", [f.name for f in spec.features]),
                            ("outcome", [o.name for o in spec.outcomes])):
            if len(set(names)) != len(names):
                yield Issue("error", f"Segment `{seg.name}` repeats a cluster {kind} name.",
                            spec.source)
        for outcome in spec.outcomes:
            yield from _outcome_issues(catalog, seg, outcome.name, outcome.metric, outcome.among)


def _outcome_issues(catalog: Catalog, seg: Segment, name: str, metric: str,
                    among: tuple[tuple[str, tuple[str, ...]], ...]) -> Iterator[Issue]:
    assert seg.cluster is not None
    where = seg.cluster.source
    if metric not in catalog.metrics:
        yield Issue("error", f"Outcome `{name}` of `{seg.name}` uses unknown metric `{metric}`. "
                    f"Accepted: {', '.join(catalog.metrics)}."
                    f"{did_you_mean(metric, catalog.metrics)}", where)
    elif not catalog.metrics[metric].time_column:
        yield Issue("error", f"Outcome `{name}` of `{seg.name}` uses metric `{metric}`, which has "
                    "no `time_column`, so it cannot be measured in the window after the fit.",
                    where)
    for dim_name, values in among:
        dim = catalog.dimensions.get(dim_name)
        if dim is None:
            yield Issue("error", f"Outcome `{name}` of `{seg.name}` is measured among unknown "
                        f"dimension `{dim_name}`. Accepted: {', '.join(catalog.dimensions)}."
                        f"{did_you_mean(dim_name, catalog.dimensions)}", where)
            continue
        known = [v.value for v in dim.values]
        for value in values:
            if known and value not in known:
                yield Issue("error", f"Outcome `{name}` of `{seg.name}` is measured among "
                            f"{dim_name} `{value}`, which is not a value of `{dim_name}`. "
                            f"Accepted: {', '.join(known)}.{did_you_mean(value, known)}", where)


def cluster_artifact_is_whole(catalog: Catalog) -> Iterator[Issue]:
    for seg in catalog.segments.values():
        if seg.cluster is None:
            continue
        if not seg.members:
            yield Issue("warning", f"Cluster segment `{seg.name}` is not fitted yet: it has no "
                        "members, so questions about it are refused. Run "
                        f"`segq cluster fit {seg.name}`.",
                        seg.source, "not-fitted")
            continue
        features = [f.name for f in seg.cluster.features]
        yield from _scaling_issues(seg, seg.fitted.get("scaling"), features)
        k = seg.fitted.get("k")
        if k is not None and k != len(seg.members):
            yield Issue("error", f"Cluster segment `{seg.name}` was fitted with k={k} but has "
                        f"{len(seg.members)} members. Each member is one centroid: restore the "
                        "removed members or refit.", seg.source)
        for member in seg.members:
            if member.when or member.match:
                yield Issue("error", f"Member `{member.name}` of cluster segment `{seg.name}` "
                            "has a `when` or `match`; cluster members are assigned by their "
                            "`centroid` only.", member.source)
            have = [f for f, _ in member.centroid]
            missing = [f for f in features if f not in have]
            extra = [f for f in have if f not in features]
            if missing or extra:
                yield Issue("error", f"The centroid of member `{member.name}` of `{seg.name}` "
                            f"does not cover exactly the cluster features: missing "
                            f"{', '.join(missing) or 'none'}, unknown {', '.join(extra) or 'none'}."
                            f" Accepted: {', '.join(features)}.", member.source)


def _scaling_issues(seg: Segment, scaling: Any, features: list[str]) -> Iterator[Issue]:
    if not isinstance(scaling, dict):
        yield Issue("error", f"Cluster segment `{seg.name}` has members but no `fitted.scaling` "
                    "(feature: [mean, scale]). Run `segq cluster fit` to write it.", seg.source)
        return
    for feature in features:
        pair = scaling.get(feature)
        ok = (isinstance(pair, list) and len(pair) == 2
              and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair)
              and pair[1] > 0)
        if not ok:
            yield Issue("error", f"`fitted.scaling.{feature}` of `{seg.name}` must be [mean, "
                        f"scale] numbers with scale above 0, got {pair!r}.", seg.source)
    for feature in scaling:
        if feature not in features:
            yield Issue("error", f"`fitted.scaling` of `{seg.name}` scales `{feature}`, which is "
                        f"not a cluster feature. Accepted: {', '.join(features)}."
                        f"{did_you_mean(str(feature), features)}", seg.source)


RULES = (centroids_belong_to_clusters, cluster_spec_names_governed_objects,
         cluster_artifact_is_whole)
