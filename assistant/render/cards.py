"""Plain-language definition cards, from the catalog, with parameter values filled in.

"*At risk* (Lifecycle stage): activated users inactive 14–29 days · owner lifecycle-analytics
· v1". A card is what a marketer reads in an answer's context, in a clarification's options
and behind "Show definition"; the YAML and SQL stay one click further. The words come from
each segment's and member's `summary` in the YAML, whose `{parameter}` placeholders (also
`{parameter - 1}` and `{parameter:.0%}`) are filled with the values the answer used, what-if
overrides included. A member without a summary is worded from its rule instead: the SQL
condition with parameter values filled in and operators in words, plus, for first-match
families, the earlier members it comes after ("days inactive at least 14, and not New, Not
activated or Churned"), so two definitions never read the same.
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


_WORDS = ((r">=", " at least "), (r"<=", " at most "), (r"<>|!=", " is not "),
          (r">", " over "), (r"<", " under "), (r"=", " is "), (r"\*", " × "))


def worded(condition: str, values: dict[str, float]) -> str:
    """A member's SQL condition in words: ":high_inactive_days" becomes its value."""
    text = re.sub(r":as_of\b", "the as-of date", condition)
    text = re.sub(r":(\w+)", lambda m: fill("{" + m.group(1) + "}", values), text)
    for pattern, words in _WORDS:
        text = re.sub(pattern, words, text)
    text = re.sub(r"\bNOT\b", "not", re.sub(r"\b(AND|OR)\b", lambda m: m.group(1).lower(),
                                               text))
    return " ".join(text.replace("_", " ").split())


def _member_rule(segment: Any, member: Any, values: dict[str, float]) -> str:
    summary = getattr(member, "summary", "")
    if summary:
        return fill(summary, values)
    if member.when and member.when.strip().upper() != "TRUE":
        own = worded(member.when, values)
    elif member.match:
        own = ", ".join(f"{c} score {lo}–{hi}" if lo != hi else f"{c} score {lo}"
                        for c, lo, hi in member.match)
    else:
        own = "everyone else"
    names = [m.name for m in segment.members]
    earlier = [m.label for m in segment.members[: names.index(member.name)]]
    if earlier and own != "everyone else":
        own += ", and not " + (" or ".join(earlier) if len(earlier) < 3 else
                               ", ".join(earlier[:-1]) + " or " + earlier[-1])
    elif earlier:
        own = "everyone not " + (", ".join(earlier[:-1]) + " or " + earlier[-1]
                                 if len(earlier) > 1 else earlier[0])
    return own


def rule(catalog: Any, name: str, member: str | None = None,
         overrides: dict[str, float] | None = None) -> str:
    """The plain-language rule alone: "activated users inactive 30+ days"."""
    segment = catalog.segments.get(name)
    if segment is not None:
        values = parameter_values(segment, overrides)
        found = segment.member(member) if member else None
        if found is not None:
            return _member_rule(segment, found, values)
        summary = getattr(segment, "summary", "")
        return fill(summary, values) if summary else segment.description
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
