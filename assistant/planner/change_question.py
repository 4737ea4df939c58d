""""Why did at-risk grow 15% last week?", "what changed in churn risk since May?": questions
about a change in a segment between two dates, recognised before the data-question passes.

The question must be wholly one of these shapes, and every word is accounted for here or by
the planner itself, so coverage holds: the lead words and verb are claimed by the pattern,
the period by `find_time` (nothing may be left of it), and the subject by planning
"how many SUBJECT" with the rules planner, whose own coverage pass must use every word of it
(so "why did flurbles grow last month" is not recognised: it falls through to the normal
passes, which say what they did not understand). A subject that is ambiguous ("at risk")
raises the planner's clarification, and the choice then resolves it as for any question.

The comparison dates, from the period found:
  "since last month|week|quarter|year"  -> that period's end .. as_of
  "since May", "since 2026-05-01"        -> the day before it starts .. as_of
  "last week", "in May", "this month"    -> the day before it starts .. its end
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING

from assistant.plan import Intent, QueryPlan, TimeRange
from assistant.planner.text import normalise
from assistant.planner.timephrases import find_time

if TYPE_CHECKING:
    from assistant.catalog.models import Catalog
    from assistant.planner import PlanOutcome
    from assistant.planner.rules import RulesPlanner

_VERBS = (r"grow|grown|grew|growing|increase|increased|rise|risen|rose|jump|jumped|spike|spiked|"
          r"go up|gone up|went up|drop|dropped|fall|fallen|fell|shrink|shrunk|shrank|decline|"
          r"declined|decrease|decreased|go down|gone down|went down|change|changed|move|moved|"
          r"shift|shifted")
_WHY = re.compile(rf"^(?:why|how come)\s+(?:did|has|have|had|is|are|was|were|does|do)\s+"
                  rf"(?:the\s+)?(?:number\s+of\s+)?(?P<subject>.+?)\s+(?:{_VERBS})"
                  rf"(?:\s+(?:by\s+)?(?:about\s+)?(?P<pct>\d+(?:\.\d+)?)\s*(?:%|percent))?"
                  rf"\s+(?P<when>.+?)\s*\??$")
_WHAT = re.compile(r"^what\s+(?:has\s+|have\s+)?changed\s+(?:in|for|about|with)\s+(?:the\s+)?"
                   r"(?P<subject>.+?)\s+(?P<when>(?:since|over|during|in|this|last)\b.*?)\s*\??$")
_CLOSED_LAST = re.compile(r"^(?:last|previous|prior)\s+(?:week|month|quarter|year)$")
_LEAD = re.compile(r"^(?:since|over|during|in|within|across)\s+(?:the\s+)?")


def comparison_dates(when: str, as_of: date) -> tuple[date, date, str] | None:
    """(start, end, phrase) for the period words, or None unless they are all a period."""
    since = when.startswith("since ")
    found = find_time(when, as_of, bounded=False)  # "since" is read here, as a change from
    if found is None:
        return None
    rest = (when[: found.span[0]] + " " + when[found.span[1]:]).strip()
    if rest and _LEAD.sub("", rest + " ").strip():
        return None
    phrase = found.phrase.removeprefix("since ").strip()
    if since and _CLOSED_LAST.match(phrase):
        return found.end, as_of, when
    if since or "since" in found.phrase:
        return found.start - timedelta(days=1), as_of, when
    return found.start - timedelta(days=1), min(found.end, as_of), when


def recognise(question: str, catalog: Catalog, rules: RulesPlanner, *, as_of: date,
              choice: str | None = None) -> PlanOutcome | None:
    """A CHANGE plan when the whole question asks why a segment changed; else None.

    Raises the rules planner's ClarificationNeeded when the subject is ambiguous.
    """
    from assistant.errors import ClarificationNeeded, PlanError
    from assistant.planner import PlanOutcome

    text = normalise(question)
    match = _WHY.match(text) or _WHAT.match(text)
    if not match:
        return None
    dates = comparison_dates(match["when"], as_of)
    if dates is None:
        return None
    start, end, phrase = dates
    try:
        subject = rules.plan(f"how many {match['subject']}", catalog, as_of=as_of,
                             choice=choice).plan
    except ClarificationNeeded as exc:
        if "could mean" in exc.message:  # ambiguous, not unknown: ask which one
            raise
        return None
    except PlanError:
        return None
    if subject.segment is None or subject.intent not in (Intent.COUNT, Intent.DISTRIBUTION) \
            or subject.filters or subject.time_range or subject.overrides or subject.group_by \
            or subject.excluding:
        return None
    plan = QueryPlan(intent=Intent.CHANGE, segment=subject.segment,
                     time_range=TimeRange(start=start, end=end, phrase=phrase))
    return PlanOutcome(plan, 1.0, "rules")
