"""Plain-language definition cards, from the catalog, with parameter values filled in.

"*At risk* (Lifecycle stage): activated users inactive 14–29 days · owner lifecycle-analytics
· v1". A card is what a marketer reads in an answer's context, in a clarification's options
and behind "Show definition"; the YAML and SQL stay one click further. The words come from
each segment's and member's `summary` in the YAML, whose `{parameter}` placeholders (also
`{parameter - 1}` and `{parameter:.0%}`) are filled with the values the answer used, what-if
overrides included. A definition without a summary falls back to its label and description.
"""

from __future__ import annotations

import re
from typing import Any

_PLACEHOLDER = re.compile(r"\{(\w+)(?:\s*([-+])\s*(\d+))?(?::([^{}]+))?\}")
MAX_CARD = 400


def fill(template: str, values: dict[str, float]) -> str:
    """`template` with each known `{name}`, `{name - 1}`, `{name:.0%}` replaced."""

    def one(match: re.Match[str]) -> str:
        name, sign, amount, spec = match.groups()
        if name not in values:
            return match.group(0)
        value = float(values[name])
        if sign:
            value = value + int(amount) if sign == "+" else value - int(amount)
        if spec:
            try:
                return format(value, spec)
            except ValueError:
                return match.group(0)
        return f"{int(value)}" if value.is_integer() else f"{value:g}"

    return _PLACEHOLDER.sub(one, template)


def parameter_values(segment: Any, overrides: dict[str, float] | None = None) -> dict[str, float]:
    values = {p.name: float(p.default) for p in segment.parameters}
    values.update({k: float(v) for k, v in (overrides or {}).items() if k in values})
    return values


def rule(catalog: Any, name: str, member: str | None = None,
         overrides: dict[str, float] | None = None) -> str:
    """The plain-language rule alone: "activated users inactive 30+ days"."""
    segment = catalog.segments.get(name)
    if segment is not None:
        values = parameter_values(segment, overrides)
        found = segment.member(member) if member else None
        if found is not None:
            return fill(found.summary, values) if found.summary else (found.description or "")
        return fill(segment.summary, values) if segment.summary else segment.description
    metric = catalog.metrics.get(name)
    if metric is not None:
        return str(metric.description)
    dimension = catalog.dimensions.get(name)
    return str(dimension.description) if dimension is not None else ""


def title(catalog: Any, name: str, member: str | None = None) -> str:
    """"At risk (Lifecycle stage)", "Engaged users", "Revenue"."""
    obj = catalog.segments.get(name) or catalog.metrics.get(name) or catalog.dimensions.get(name)
    if obj is None:
        return name
    found = obj.member(member) if member and hasattr(obj, "member") else None
    return f"{found.label} ({obj.label})" if found else str(obj.label)


def card(catalog: Any, name: str, member: str | None = None,
         overrides: dict[str, float] | None = None, *, version: int | None = None) -> str:
    """The whole card in mrkdwn: title, rule, owner, version, any what-if values."""
    obj = catalog.segments.get(name) or catalog.metrics.get(name)
    heading = _escape(title(catalog, name, member))
    parts = [f"*{heading}*: {_escape(rule(catalog, name, member, overrides))}"]
    owner = getattr(obj, "owner", "")
    if owner:
        parts.append(f"owner {_escape(owner)}")
    shown_version = version if version is not None else getattr(obj, "version", None)
    if shown_version:
        parts.append(f"v{shown_version}")
    if overrides and obj is not None and hasattr(obj, "parameter"):
        changed = []
        for key, value in overrides.items():
            param = obj.parameter(key)
            label = param.label if param else key
            governed = f" instead of {param.coerce(param.default)}" if param else ""
            changed.append(f"{label} = {value:g}{governed}")
        parts.append("*what-if: " + "; ".join(_escape(c) for c in changed) + "*")
    text = " · ".join(parts)
    return text if len(text) <= MAX_CARD else text[: MAX_CARD - 1] + "…"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
