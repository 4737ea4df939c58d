"""Where a number came from, in words that travel with it: as-of date, definition, filters.

A chart forwarded out of its thread, or a CSV opened a month later, must still say which
governed definition (name, version, hash) produced it, over which users and periods, and as
of which date. These helpers word that once for every surface: the Slack reply's context, the
chart's title, the CSV's header comment and the file names.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from assistant.answer import Answer, DefinitionUsed

MAX_STEM = 80  # characters of a file name before its as-of date and id


def as_of_words(iso: str | None) -> str:
    """"as of 30 Jun 2026" from an ISO date ("" when unknown)."""
    if not iso:
        return ""
    try:
        day = date.fromisoformat(iso[:10])
    except ValueError:
        return ""
    return f"as of {day.day} {day:%b %Y}"


def plan_title(answer: Answer, catalog: Any = None) -> str:
    """What the answer is, in words: "The number of users in Lifecycle stage Churned by plan"."""
    if catalog is not None and isinstance(answer.plan, dict) and answer.plan.get("intent"):
        from assistant.describe import reading
        from assistant.plan import QueryPlan

        try:
            words = reading(QueryPlan.model_validate(answer.plan), catalog)
        except (ValueError, KeyError):  # a plan the current catalog no longer knows
            words = ""
        if words:
            return (words[0].upper() + words[1:]).replace("`", "")
    return answer.message.replace("`", "").rstrip(".") or answer.question


def definition_words(d: DefinitionUsed) -> str:
    """`lifecycle_stage` (member churned) v1, hash 1a2b3c, semantic_models/x.yml:2"""
    member = f" (member {d.member})" if d.member else ""
    overrides = ", ".join(f"{k} = {v:g}" for k, v in d.overrides.items())
    return (
        f"{d.name}{member} v{d.version}, hash {d.hash}, {d.source}"
        + (f", what-if {overrides}" if overrides else "")
    )


def filters_words(plan: dict[str, Any] | None) -> str:
    """The plan's filters and period, e.g. "plan = enterprise; signup_at 2026-01-01..2026-03-31"."""
    if not isinstance(plan, dict):
        return ""
    parts = []
    for f in plan.get("filters") or []:
        sign = "not in" if f.get("exclude") else "="
        parts.append(f"{f.get('dimension')} {sign} {' or '.join(map(str, f.get('values') or []))}")
    def named(ref: dict[str, Any]) -> str:
        return f"{ref.get('name')}" + (f" {ref['member']}" if ref.get("member") else "")

    for key, words in (("excluding", "not in"), ("also_in", "also in")):
        for ref in plan.get(key) or []:
            parts.append(f"{words} {named(ref)}")
    if plan.get("any_of"):
        parts.append("in " + " or ".join(named(ref) for ref in plan["any_of"]))
    tr = plan.get("time_range")
    if isinstance(tr, dict):
        column = tr.get("column") or "period"
        parts.append(f"{column} {tr.get('start')}..{tr.get('end')}")
    return "; ".join(parts)


def csv_comment(answer: Answer, catalog: Any = None) -> list[str]:
    """The lines of a CSV's header comment (each starts with "# ")."""
    lines = [
        f"segq answer {answer.id}: {plan_title(answer, catalog)}",
        as_of_words(answer.as_of) or "as of: unknown",
        *(f"definition {definition_words(d)}" for d in answer.definitions),
    ]
    filters = filters_words(answer.plan)
    lines.append(f"filters: {filters or 'none'}")
    lines.append(f"question: {' '.join(answer.question.split())}")
    return ["# " + line.replace("\n", " ") for line in lines]


def file_name(answer: Answer, extension: str, catalog: Any = None) -> str:
    """A name that says what the file is: "users-in-lifecycle-stage-churned-by-plan_as-of-
    2026-06-30_q_ab12.csv"."""
    title = plan_title(answer, catalog).lower()
    title = re.sub(r"^(the number of|a list of) ", "", title)
    stem = re.sub(r"[^a-z0-9]+", "-", title).strip("-")[:MAX_STEM].strip("-") or "segq"
    as_of = f"_as-of-{answer.as_of[:10]}" if answer.as_of else ""
    return f"{stem}{as_of}_{answer.id}.{extension}"


def chart_caption(answer: Answer) -> str:
    """The chart's second title line: as-of date and the definitions behind it."""
    parts = [as_of_words(answer.as_of)]
    parts += [f"{d.label or d.name} v{d.version} ({d.hash})" for d in answer.definitions[:3]]
    parts.append(f"segq {answer.id}")
    return " · ".join(p for p in parts if p)


def cached_words(computed_at: str) -> str:
    """"From the result cache: the same query on unchanged data, computed 2 Dec 2026 20:31 UTC"."""
    try:
        when = datetime.fromisoformat(computed_at)
        stamp = f"{when.day} {when:%b %Y %H:%M} UTC"
    except ValueError:
        stamp = computed_at
    return f"From the result cache: the same query on unchanged data, computed {stamp}."
