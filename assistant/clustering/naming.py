"""Suggested member names from each centroid's strongest features (in standard deviations).

A centroid at +1.8 sd of session minutes and +1.2 sd of active days is suggested as
`high_session_minutes` labelled "High session minutes, high active days"; one within
`TYPICAL` sd of the mean on every feature is "typical". Names stay unique. They are only
suggestions: the data team renames members in the YAML, and a refit keeps those names for
the centroids that stayed put (see artifact.py).
"""

from __future__ import annotations

import re

TYPICAL = 0.5


def _words(feature: str, z: float) -> str:
    return f"{'high' if z > 0 else 'low'} {feature.replace('_', ' ')}"


def suggest(centroids: list[dict[str, float]]) -> list[tuple[str, str]]:
    """(name, label) per centroid, in order."""
    out: list[tuple[str, str]] = []
    taken: set[str] = set()
    for centre in centroids:
        strong = sorted((f for f in centre if abs(centre[f]) >= TYPICAL),
                        key=lambda f: -abs(centre[f]))[:2]
        phrases = [_words(f, centre[f]) for f in strong] or ["typical"]
        label = ", ".join(phrases)
        label = label[0].upper() + label[1:]
        name = _slug(phrases[0])
        if name in taken and len(phrases) > 1:
            name = _slug(f"{phrases[0]} {phrases[1]}")
        base, n = name, 2
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        taken.add(name)
        out.append((name, label))
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
