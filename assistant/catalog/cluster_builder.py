"""The `cluster:` block of a segment and its members' `centroid`s, read as strictly as the rest.

A cluster segment is an ordinary governed segment whose stages compute one row of features per
user; `cluster:` says which columns are features (and how each is transformed), which governed
metrics are the outcomes the clusters must separate, and what `segq cluster fit` searches. The
fitted part (scaling, quality, separation) lives in `fitted:`, each member carries its centroid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.catalog.models import ClusterFeature, ClusterOutcome, ClusterSpec

if TYPE_CHECKING:
    from assistant.catalog.builder import _Builder

CLUSTER_KEYS = {"features", "outcomes", "outcome_window_days", "k", "sample"}
FEATURE_KEYS = {"name", "transform"}
OUTCOME_KEYS = {"name", "metric", "label", "among"}
TRANSFORMS = ("none", "log1p")
DEFAULT_WINDOW, DEFAULT_K, DEFAULT_SAMPLE = 30, (2, 8), 5000


def cluster_spec(b: _Builder, node: Any, segment: str) -> ClusterSpec | None:
    owner = f"`cluster` of segment `{segment}`"
    if not isinstance(node, dict):
        b.error(node, f"{owner} must be a mapping with keys {', '.join(sorted(CLUSTER_KEYS))}.",
                "shape")
        return None
    _unknown_keys(b, node, CLUSTER_KEYS, owner)
    features = tuple(f for f in (_feature(b, node, item, segment)
                                 for item in _list(b, node, "features", owner)) if f)
    outcomes = tuple(o for o in (_outcome(b, item, segment)
                                 for item in b.items(node, "outcomes", "outcome", owner)) if o)
    if not features:
        b.error(node, f"{owner} lists no `features`. Add `features: [column, ...]` naming "
                "columns of the segment's last stage.", "missing-key", "features")
    window = b.number(node, "outcome_window_days", owner, DEFAULT_WINDOW)
    if not (isinstance(window, int) and 1 <= window <= 365):
        b.error(node, f"`outcome_window_days` of {owner} must be a whole number of days "
                "1..365.", "bounds", "outcome_window_days")
        window = DEFAULT_WINDOW
    k_min, k_max = _k_range(b, node, owner)
    sample = b.number(node, "sample", owner, DEFAULT_SAMPLE)
    if not (isinstance(sample, int) and 100 <= sample <= 1_000_000):
        b.error(node, f"`sample` of {owner} must be a whole number 100..1000000 (users fitted "
                "on).", "bounds", "sample")
        sample = DEFAULT_SAMPLE
    return ClusterSpec(features, outcomes, int(window), k_min, k_max, int(sample), b.where(node))


def centroid(b: _Builder, node: Any, member: str) -> tuple[tuple[str, float], ...]:
    raw = node.get("centroid")
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not raw:
        b.error(node, f"`centroid` of member `{member}` must map each feature to a number (its "
                "scaled value), e.g. `centroid: {session_minutes: 1.2, active_days: 0.8}`.",
                "shape", "centroid")
        return ()
    values = []
    for feature in raw:
        number = b.number(raw, feature, f"`centroid` of member `{member}`")
        if number is not None:
            values.append((str(feature), float(number)))
    return tuple(values)


def _unknown_keys(b: _Builder, node: dict, accepted: set[str], owner: str) -> None:
    from assistant.messages import did_you_mean

    for key in node:
        if key not in accepted:
            b.error(node, f"{owner[0].upper()}{owner[1:]} has unknown key `{key}`. Accepted keys: "
                    f"{', '.join(sorted(accepted))}.{did_you_mean(str(key), accepted)}",
                    "unknown-key", key)


def _list(b: _Builder, node: dict, key: str, owner: str) -> list[Any]:
    value = node.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        b.error(node, f"`{key}` of {owner} must be a list.", "shape", key)
        return []
    return value


def _feature(b: _Builder, parent: dict, item: Any, segment: str) -> ClusterFeature | None:
    if isinstance(item, str):
        return ClusterFeature(item)
    if not isinstance(item, dict) or "name" not in item:
        b.error(parent, f"A feature of segment `{segment}` must be a column name or "
                "`{name: column, transform: log1p}`.", "shape", "features")
        return None
    name = str(item["name"])
    _unknown_keys(b, item, FEATURE_KEYS, f"feature `{name}` of `{segment}`")
    transform = str(item.get("transform", "none"))
    if transform not in TRANSFORMS:
        b.error(item, f"Feature `{name}` of `{segment}` has transform `{transform}`. Accepted: "
                f"{', '.join(TRANSFORMS)}.", "bad-value", "transform")
        transform = "none"
    return ClusterFeature(name, transform)


def _outcome(b: _Builder, item: Any, segment: str) -> ClusterOutcome | None:
    name = str(item.get("name", "?"))
    owner = f"outcome `{name}` of `{segment}`"
    _unknown_keys(b, item, OUTCOME_KEYS, owner)
    for key in ("name", "metric"):
        if key not in item:
            b.error(item, f"{owner[0].upper()}{owner[1:]} is missing required key `{key}`.",
                    "missing-key")
            return None
    among = []
    for dim, values in b.mapping(item, "among", owner).items():
        listed = values if isinstance(values, list) else [values]
        among.append((str(dim), tuple(str(v) for v in listed)))
    return ClusterOutcome(name, str(item["metric"]), str(item.get("label", name)), tuple(among))


def _k_range(b: _Builder, node: dict, owner: str) -> tuple[int, int]:
    raw = node.get("k", list(DEFAULT_K))
    if (isinstance(raw, list) and len(raw) == 2 and all(isinstance(v, int) for v in raw)
            and 2 <= raw[0] <= raw[1] <= 20):
        return int(raw[0]), int(raw[1])
    b.error(node, f"`k` of {owner} must be `[min, max]` whole numbers with 2 <= min <= max <= "
            "20 (the numbers of clusters K-Means tries).", "bounds", "k")
    return DEFAULT_K
