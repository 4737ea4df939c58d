"""Questions about a definition's rule, asked in words of the rule itself.

"Are trial accounts part of the PQL rule?", "which features weigh most in the score?": a
question (not a request for a number) about one governed definition whose other words all
occur in that definition's own text — its description, rule summaries, labels, parameters,
SQL identifiers — asks for the rule itself. The vocabulary comes from the catalog, so a data team
that describes its definitions well gets these answered; nothing here names a definition.
"""

from __future__ import annotations

import re

from assistant.catalog.models import Catalog, Metric, Segment
from assistant.plan import Intent, MetricRef, QueryPlan, SegmentRef
from assistant.planner.patterns import COUNT, LIST, RULE_VERB, SHARE, SUPERLATIVE

# The forms of a question (not of a request): "does …", "is …", "what …", "how …".
QUESTION_FORM = re.compile(r"^(do|does|did|is|are|was|were|can|could|should|would|will|what|"
                           r"whats|what's|which|how|hows|how's|who|why)\b")
# Verbs that ask whether something is part of a rule ("does X include Y", "what do we call").
RULE_ASKING = re.compile(rf"^({RULE_VERB}|includ\w*|exclud\w*|count\w*|cover\w*|mean\w*|"
                         r"call\w*|requir\w*|need\w*|qualif\w*|consider\w*|affect\w*|"
                         r"matter\w*|factor\w*|decid\w*|go|goes|went)$")
TOKEN = re.compile(r"[a-z]+")
# "the mean error of ...": the statistic, a figure asked for, not what a rule means.
THE_MEAN = re.compile(r"\b(?:the|a|our|its)\s+mean\s+[a-z]")
# A question about one hypothetical person ("is a trial user with 3 projects a PQL?",
# "would someone with no logins be churned?") asks what the rule says, not for a number.
# ... but not a request to a colleague: "can someone pull ...", "could anyone split ...".
ONE_PERSON = re.compile(r"^(is|would|does|do|can|could|will|should)\s+(a|an|someone|somebody|"
                        r"anyone|anybody|one)\b(?!\s+(?:please\s+|pls\s+)?(?:pull|split|get|give|"
                        r"send|share|check|run|tell|show|grab|help|break|look|find|export|post)\b)")


def stem(word: str) -> str:
    """A crude English stem, enough to meet "refunded" and "refunds" at "refund"."""
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _segment_text(segment: Segment) -> list[str]:
    parts = [segment.label, segment.description, segment.summary, segment.where]
    parts += [s.sql for s in segment.stages]
    for member in segment.members:
        parts += [member.label, member.description, member.summary, member.when]
    for param in segment.parameters:
        parts += [param.label, param.unit, *param.synonyms]
    return parts


def _metric_text(metric: Metric) -> list[str]:
    return [metric.label, metric.description, metric.expr, metric.filter]


def vocabulary(parts: list[str]) -> set[str]:
    return {stem(w) for part in parts for w in TOKEN.findall(part.lower().replace("_", " "))}


def one_person_question(plan: QueryPlan, text: str) -> QueryPlan | None:
    """The rule of the segment named by a question about one hypothetical person."""
    if plan.segment is None or not ONE_PERSON.match(text) or COUNT.search(text) or \
            LIST.search(text) or plan.group_by:
        return None
    return QueryPlan(intent=Intent.DEFINITION, segment=SegmentRef(
        name=plan.segment.name, member=plan.segment.member))


def rule_question(plan: QueryPlan, catalog: Catalog, text: str,
                  left: list[str]) -> QueryPlan | None:
    """The definition plan when `left` (words the data plan did not use) are all words of
    the rule of the one definition the question names; else None."""
    if not QUESTION_FORM.match(text) or COUNT.search(text) or LIST.search(text) or \
            SHARE.search(text) or SUPERLATIVE.search(text) or THE_MEAN.search(text):
        return None  # a number is asked for
    if plan.share or plan.filters or plan.group_by or plan.time_range or plan.overrides or \
            plan.limit or plan.excluding or plan.also_in or plan.measure:
        return None
    segment = catalog.segments.get(plan.segment.name) if plan.segment else None
    metric = catalog.metrics.get(plan.metric.name) if plan.metric else None
    population = {m.name for m in catalog.population_metrics()}
    if segment is not None:
        words = vocabulary(_segment_text(segment))
        target = QueryPlan(intent=Intent.DEFINITION, segment=SegmentRef(
            name=segment.name, member=plan.segment.member if plan.segment else None))
    elif metric is not None and metric.name not in population:
        words = vocabulary(_metric_text(metric))
        target = QueryPlan(intent=Intent.DEFINITION, metric=MetricRef(name=metric.name))
    else:
        return None
    if any(re.search(rf"\b(?:our|my)\s+{re.escape(phrase)}\b", text) for phrase in left):
        return None  # "the error of *our revenue forecast*": our data, so a number is asked for
    tokens = [t for phrase in left for t in TOKEN.findall(phrase)]
    if tokens and all(stem(t) in words or RULE_ASKING.match(t) for t in tokens):
        return target
    return None


__all__ = ["one_person_question", "rule_question", "stem", "vocabulary"]
