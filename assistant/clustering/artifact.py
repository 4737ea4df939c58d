"""The chosen K-Means model, written as a versioned cluster segment.

The segment's file is rewritten from its parsed content (so comments in that file are not
kept; keep notes in `description`), with `members` (one per centroid, its centroid in scaled
units), `fitted` (scaling, fit dates, silhouette, separation per outcome) and `version` + 1.
On a refit, a new centroid within `KEEP_DISTANCE` scaled units of an old member's centroid
keeps that member's name, label, synonyms and description: the data team's names survive.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from assistant.clustering.fit import FitResult
from assistant.clustering.naming import suggest
from assistant.errors import FitError

KEEP_DISTANCE = 1.0
HEADER = ("# Cluster segment: `segq cluster fit` rewrites `members` and `fitted` and bumps "
          "`version`.\n# Rename members (name, label, synonyms) freely; a refit keeps the "
          "names of centroids that stay put.\n")


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # list items indented under their key


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _flow_if_flat(dumper: yaml.SafeDumper, value: Any) -> yaml.Node:
    """Short mappings and lists of scalars on one line (centroids, scaling, synonyms)."""
    items = list(value.values() if isinstance(value, dict) else value)
    flat = (all(not isinstance(v, dict | list) and "\n" not in str(v) for v in items)
            and len(str(value)) <= 120)
    if isinstance(value, dict):
        return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=flat)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value,
                                     flow_style=flat and bool(value))


_Dumper.add_representer(str, _str)
_Dumper.add_representer(dict, _flow_if_flat)
_Dumper.add_representer(list, _flow_if_flat)


def _raw(result: FitResult, z_centre: np.ndarray) -> np.ndarray:
    return z_centre * result.scale + result.mean


def _old_names(old: dict[str, Any], result: FitResult) -> list[tuple[np.ndarray, dict]]:
    """Old members with their centroids in transformed (unscaled) units."""
    scaling = (old.get("fitted") or {}).get("scaling") or {}
    names = [f.name for f in result.spec.features]
    out = []
    for member in old.get("members") or []:
        centre = member.get("centroid") or {}
        if set(centre) != set(names) or set(scaling) != set(names):
            continue
        out.append((np.array([centre[f] * scaling[f][1] + scaling[f][0] for f in names]),
                    member))
    return out


def members(result: FitResult, old: dict[str, Any]) -> list[dict[str, Any]]:
    chosen = result.chosen
    assert chosen is not None and chosen.model is not None
    names = [f.name for f in result.spec.features]
    centres = chosen.model.cluster_centers_
    suggested = suggest([dict(zip(names, c, strict=True)) for c in centres])
    previous = _old_names(old, result)
    pairs = sorted(((float(np.linalg.norm((_raw(result, c) - p) / result.scale)), i, j)
                    for i, c in enumerate(centres) for j, (p, _) in enumerate(previous)))
    kept: dict[int, dict] = {}
    used: set[int] = set()
    for distance, i, j in pairs:
        if distance < KEEP_DISTANCE and i not in kept and j not in used:
            kept[i] = previous[j][1]
            used.add(j)
    taken = {m["name"] for m in kept.values()}
    out = []
    for i, centre in enumerate(centres):
        name, label = suggested[i]
        while i not in kept and name in taken:
            name += "_new"
        prior = kept.get(i, {})
        member = {"name": prior.get("name", name), "label": prior.get("label", label),
                  "description": _description(result, i, prior.get("description", "")),
                  "synonyms": list(prior.get("synonyms") or []),
                  "centroid": {f: round(float(v), 6) for f, v in zip(names, centre, strict=True)}}
        taken.add(member["name"])
        out.append(member)
    return out


def _description(result: FitResult, cluster: int, prior: str) -> str:
    """Keep the data team's own text; replace the `At fit:` sentence with the new numbers."""
    chosen = result.chosen
    assert chosen is not None
    own = re.sub(r"\s*At fit \(.*$", "", prior or "", flags=re.S).strip()
    size = int((chosen.labels == cluster).sum())
    parts = [f"{size:,} of {len(chosen.labels):,} sampled users"]
    for test in chosen.tests:
        value = next((v for c, _, v in test.per_cluster if c == cluster), None)
        if value is not None:
            parts.append(f"{test.label} {value:.1%}" if test.binary else
                         f"{test.label} {value:,.2f} per user")
    return (own + " " if own else "") + f"At fit ({result.as_of}): " + "; ".join(parts) + "."


def fitted_block(result: FitResult) -> dict[str, Any]:
    chosen = result.chosen
    assert chosen is not None
    names = [f.name for f in result.spec.features]
    return {
        "method": "kmeans", "k": int(chosen.params["k"]), "seed": result.seed,
        "fit_as_of": result.as_of.isoformat(),
        "feature_as_of": result.data.feature_as_of.isoformat(),
        "outcome_window": [d.isoformat() for d in result.data.outcome_window],
        "sample": len(result.sample),
        "scaling": {f: [float(m), float(s)] for f, m, s in
                    zip(names, result.mean, result.scale, strict=True)},
        "silhouette": round(float(chosen.silhouette or 0.0), 4),
        "verdict": chosen.verdict,
        "separation": {t.outcome: t.to_dict() for t in chosen.tests},
    }


def write_artifact(result: FitResult, source: Path,
                   out: Path | None = None) -> tuple[Path, int, list[str]]:
    """Write the fitted segment into `out` (default: its own file); return the path, the new
    version and the member names (kept or suggested), in cluster order."""
    if result.chosen is None:
        raise FitError(f"No K-Means candidate of `{result.segment.name}` separates the declared "
                       "outcomes, so there is no model worth governing. Add or change features, "
                       "or pass `--k N` to write one anyway.")
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    node = next(s for s in data["segments"] if s.get("name") == result.segment.name)
    node["members"] = members(result, node)
    node["fitted"] = fitted_block(result)
    node["version"] = int(node.get("version", 1)) + 1
    target = out or source
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    target.write_text(HEADER + text, encoding="utf-8")
    return target, int(node["version"]), [m["name"] for m in node["members"]]
