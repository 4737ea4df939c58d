"""Thread follow-ups: "now by plan", "only enterprise", "what about last quarter?", "show me
the list", planned against the previous plan of the same thread.

A follow-up is a fragment, so it is read in three small steps, each consuming words:
  1. cues: the conversational words around the change ("and", "now", "what about",
     "break that down", "only", "instead") and a request for the rows ("show me the list");
  2. a time phrase (`timephrases.find_time`) and signup words ("last quarter's signups");
  3. whatever is left, planned by the thread's own planner as a question of its own, whose
     coverage pass answers only when it used every word (else it clarifies or refuses).
The fragment's plan is then merged into the previous one: a new segment member, filter on the
same dimension, period or breakdown replaces the old one, everything else is carried over.

A message with no cue that plans on its own to a question naming a segment or a metric is a
new question (None): only fragments and cued messages carry the thread's context. Words none
of the steps consumed are never guessed at: the answer is a clarification that says which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from assistant import messages
from assistant.catalog.models import Catalog
from assistant.describe import population, reading
from assistant.errors import ClarificationNeeded, PlanError, Refusal
from assistant.plan import Intent, QueryPlan, TimeRange
from assistant.planner import PlanOutcome
from assistant.planner.text import normalise
from assistant.planner.timephrases import find_time

_LEAD = re.compile(r"^(?:(?:ok(?:ay)?|and|also|now|then|so|but|great|thanks|cool|right|well|"
                   r"hmm+)\s+)+")
_ABOUT = re.compile(r"^(?:what|how)\s+about\s+(?:for\s+)?")
_BREAK = re.compile(r"\b(?:break|split|group)\s+(?:that|it|this|them|those|these|those users)"
                    r"?\s*(?:down|up|out)?\s*(?=\bby\b)")
_RESTRICT = re.compile(r"(?:^(?:for|among|of)\s+|\s+(?:only|just)$|^(?:only|just)\s+"
                       r"(?:for\s+|the\s+)?)")
_LIST = re.compile(r"^(?:(?:can\s+you\s+|please\s+)?(?:show|give|send)\s+(?:me\s+|us\s+)?"
                   r"(?:the\s+)?(?:list|users|people|names|them|those|these|rows)"
                   r"(?:\s+users)?|(?:the\s+)?list(?:\s+(?:them|those|these|of\s+them|"
                   r"of\s+those|those\s+users|these\s+users))?|who\s+are\s+(?:they|those|these)"
                   r"(?:\s+users)?|which\s+users\s+are\s+(?:they|those|these))$")
_TAIL = re.compile(r"\s+(?:instead|too|as\s+well|please|then)$")
_SIGNUPS = re.compile(r"(?:'s)?\s*\b(?:new\s+)?(?:signups?|sign\s+ups?|who\s+signed\s+up|"
                      r"signed\s+up|that\s+signed\s+up|joiners)\b(?:\s+only)?")
_EDGE_FILLER = {"the", "ones", "those", "these", "them", "in", "for", "of", "only", "just",
                "on", "with", "from", "please", "instead", "'s", "s"}
_QUESTION = re.compile(r"^(?:how|what|which|who|when|where|why|is|are|do|does|list|show|give|"
                       r"count|tell)\b")


@dataclass(frozen=True)
class FollowUp:
    plan: QueryPlan
    carried: str  # what was kept from the thread, and what changed, in words
    confidence: float
    planner: str


def follow_up(question: str, previous: QueryPlan, catalog: Catalog, *, as_of: date,
              planner: Any, choice: str | None = None) -> FollowUp | None:
    """The thread's previous plan changed as `question` asks, or None for a new question.

    Raises ClarificationNeeded when the message reads as a follow-up but some of its words
    were not understood.
    """
    text = normalise(question).strip(" .")
    cued, text = _strip_cues(text)
    wants_list = bool(_LIST.match(text))
    if wants_list:
        text = ""
    time_range, text = _time(text, as_of, catalog)
    rest = _trim(text)
    fragment, name, confidence = _plan_fragment(rest, catalog, as_of, planner, choice)
    if fragment is None and not (wants_list or time_range):
        return None if not cued else _unclear(question, previous, catalog, rest)
    standalone = fragment is not None and (fragment.segment is not None or (
        _names_a_measure(fragment, catalog)))
    if not cued and (standalone or _QUESTION.match(normalise(question))) and not wants_list:
        return None  # a question of its own, asked in the thread
    merged = merge(previous, fragment, time_range=time_range, wants_list=wants_list,
                   catalog=catalog)
    carried = _carried(previous, merged, catalog)
    return FollowUp(merged, carried, confidence, name)


def _trim(text: str) -> str:
    """The words left, without connecting words at either edge ("for the", "only")."""
    words = text.split()
    while words and words[0] in _EDGE_FILLER:
        words.pop(0)
    while words and words[-1] in _EDGE_FILLER:
        words.pop()
    return " ".join(words)


def _strip_cues(text: str) -> tuple[bool, str]:
    """The message without its conversational cues; whether it had any."""
    before = text
    for pattern in (_LEAD, _ABOUT, _LEAD, _BREAK, _TAIL, _RESTRICT, _RESTRICT):
        text = pattern.sub(" ", text).strip()
    return text != before, " ".join(text.split())


def _time(text: str, as_of: date, catalog: Catalog) -> tuple[TimeRange | None, str]:
    found = find_time(text, as_of)
    if found is None:
        return None, text
    rest = (text[: found.span[0]] + " " + text[found.span[1]:]).strip()
    signups = bool(_SIGNUPS.search(rest))
    rest = _SIGNUPS.sub(" ", rest)
    column = catalog.signup_column() or None if signups else None
    return TimeRange(start=found.start, end=found.end, column=column, phrase=found.phrase), (
        " ".join(rest.split()))


def _plan_fragment(rest: str, catalog: Catalog, as_of: date, planner: Any,
                   choice: str | None) -> tuple[QueryPlan | None, str, float]:
    """The leftover words planned as a question of their own (coverage included)."""
    if not rest:
        return None, "thread", 1.0
    outcome: PlanOutcome | None
    try:
        outcome = planner.plan(rest, catalog, as_of=as_of, choice=choice)
    except ClarificationNeeded as unclear:
        # "now by plan": a split that names nothing is a split of the thread's people
        people = catalog.population_metrics()
        if not str(unclear).startswith(messages.clarify_vague([])):
            raise  # asked back for another reason: that question stands
        try:
            outcome = planner.plan(f"{people[0].name} {rest}", catalog, as_of=as_of,
                                   choice=choice) if people else None
        except PlanError:
            outcome = None
        if outcome is None:
            raise unclear from None
    except (Refusal, PlanError):
        return None, "thread", 0.0
    if outcome.plan.intent in (Intent.DEFINITION, Intent.CATALOG):
        return None, outcome.planner, 0.0
    return outcome.plan, outcome.planner, outcome.confidence


def merge(previous: QueryPlan, fragment: QueryPlan | None, *, time_range: TimeRange | None = None,
          wants_list: bool = False, catalog: Catalog | None = None) -> QueryPlan:
    """`previous` with what `fragment` names replacing the same kind of thing."""
    f = fragment or QueryPlan(intent=previous.intent)
    changes: dict[str, Any] = {}
    if f.segment is not None:
        changes["segment"] = f.segment
    if catalog is not None and _names_a_measure(f, catalog):
        changes["metric"] = f.metric
    if f.measure is not None:
        changes["measure"] = f.measure
    if f.excluding:
        changes["excluding"] = (*previous.excluding, *f.excluding)
    filters = {flt.dimension: flt for flt in previous.filters}
    filters.update({flt.dimension: flt for flt in f.filters})
    changes["filters"] = tuple(filters.values())
    overrides = {o.parameter: o for o in previous.overrides}
    overrides.update({o.parameter: o for o in f.overrides})
    changes["overrides"] = tuple(overrides.values())
    period = time_range or f.time_range
    if period is not None:
        column = period.column or _time_column(previous, changes, catalog)
        changes.update(time_range=period.model_copy(update={"column": column}), compared=())
    if f.group_by:
        changes["group_by"] = f.group_by
    merged = previous.model_copy(update=changes)
    return _reshape(merged, wants_list=wants_list, grouped=bool(f.group_by),
                    measured=catalog is not None and _names_a_measure(merged, catalog))


def _time_column(previous: QueryPlan, changes: dict[str, Any],
                 catalog: Catalog | None) -> str | None:
    """A bare period means the metric's own time column, else the one the thread used, else
    the population's signup column (people have no other)."""
    metric = changes.get("metric") or previous.metric
    if catalog is not None and metric is not None and metric.name in catalog.metrics:
        column = catalog.metrics[metric.name].time_column
        if column:
            return column
    if previous.time_range is not None and previous.time_range.column:
        return previous.time_range.column
    return catalog.signup_column() or None if catalog is not None else None


def _names_a_measure(plan: QueryPlan, catalog: Catalog) -> bool:
    """Whether the plan names a metric other than counting the users themselves."""
    population = {m.name for m in catalog.population_metrics()}
    return plan.metric is not None and plan.metric.name not in population


def _reshape(plan: QueryPlan, *, wants_list: bool, grouped: bool, measured: bool) -> QueryPlan:
    """The intent the merged plan asks for: a list, a breakdown, or a count again when the
    only breakdown left is by a dimension now fixed to one value."""
    if wants_list:
        return plan.model_copy(update={"intent": Intent.LIST, "group_by": (), "share": False,
                                       "share_of_metric": False, "metric": None,
                                       "measure": None, "order": None, "limit": None})
    fixed = {flt.dimension for flt in plan.filters if not flt.exclude and len(flt.values) == 1}
    group_by = tuple(d for d in plan.group_by if d.name not in fixed)
    intent = plan.intent
    if grouped and intent in (Intent.COUNT, Intent.METRIC, Intent.LIST):
        intent = Intent.BREAKDOWN
    if intent == Intent.BREAKDOWN and not group_by:
        intent = Intent.METRIC if measured else Intent.COUNT
    return plan.model_copy(update={"group_by": group_by, "intent": intent})


def _carried(previous: QueryPlan, merged: QueryPlan, catalog: Catalog) -> str:
    """"kept users in Lifecycle stage Churned; changed: by plan" — what stayed, what is new."""
    kept = previous.model_copy(update={
        "filters": tuple(f for f in previous.filters if f in merged.filters),
        "time_range": previous.time_range if previous.time_range == merged.time_range else None,
        "compared": (), "excluding": tuple(e for e in previous.excluding
                                           if e in merged.excluding),
    })
    if merged.segment != previous.segment:
        kept = kept.model_copy(update={"segment": None})
    kept_words = population(kept, catalog).replace("`", "")
    changes = _changes(previous, merged, catalog)
    if kept_words == population(QueryPlan(intent=Intent.COUNT), catalog):  # nothing kept
        return messages.FOLLOWUP_CHANGED.format(now=changes)
    return messages.FOLLOWUP_CARRIED.format(kept=kept_words, now=changes)


def _changes(previous: QueryPlan, merged: QueryPlan, catalog: Catalog) -> str:
    parts: list[str] = []
    if merged.segment != previous.segment:
        bare = QueryPlan(intent=Intent.COUNT, segment=merged.segment)
        parts.append(population(bare, catalog).replace("`", ""))
    new_filters = tuple(f for f in merged.filters if f not in previous.filters)
    if new_filters:
        bare = QueryPlan(intent=Intent.COUNT, filters=new_filters)
        parts.append(population(bare, catalog).replace("`", "").removeprefix("users "))
    if merged.time_range != previous.time_range and merged.time_range is not None:
        bare = QueryPlan(intent=Intent.COUNT, time_range=merged.time_range)
        parts.append(population(bare, catalog).removeprefix("users, "))
    if merged.group_by != previous.group_by and merged.group_by:
        labels = [catalog.dimensions[d.name].label.lower() if d.name in catalog.dimensions
                  else d.name for d in merged.group_by]
        parts.append("by " + " and ".join(labels))
    shapes = {Intent.LIST: "as a list", Intent.COUNT: "as one number",
              Intent.METRIC: "as one number"}
    if merged.intent != previous.intent and merged.intent in shapes:
        parts.append(shapes[merged.intent])
    return ", ".join(parts) or "nothing else"


def _unclear(question: str, previous: QueryPlan, catalog: Catalog, rest: str) -> FollowUp:
    words = ", ".join(f'"{w}"' for w in rest.split()) or f'"{question}"'
    raise ClarificationNeeded(
        messages.FOLLOWUP_UNCLEAR.format(previous=reading(previous, catalog).replace("`", ""),
                                         words=words), [])

