"""Coverage: every word of a question is used by the plan, or the question is not answered.

The last pass of the rules planner. Earlier passes *claim* spans of the question (a time
phrase, a what-if number and its unit words, a governed phrase); this pass keeps only the
claims the finished plan actually uses, adds the cue words whose meaning the plan carries
("how many" for a count, "not" for an exclusion, "or" for several values), and reports what
is left. Nothing is understood by being on a list: the only words that need no claim are the
closed grammatical classes of English (articles, pronouns, auxiliaries, plain prepositions,
courtesy), and none of those changes a number. Negations, comparatives, conjunctions,
quantifiers, numbers, periods and units are never in that set.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from assistant.catalog.models import Catalog, Metric
from assistant.errors import Candidate
from assistant.plan import Intent, QueryPlan
from assistant.planner.lexicon import Sense
from assistant.planner.money import money_spans
from assistant.planner.parsing import Claim, Parse, PhraseMatch, candidate, qualifies_next
from assistant.planner.patterns import (
    AVERAGE_OF,
    CHANGE_VERB,
    CHOICE,
    COMPARATIVES,
    COMPARE,
    COMPARE_PERIODS,
    COUNT,
    EXCLUDE,
    GROUP_LEAD,
    HISTORY,
    LIST,
    LIST_LOOSE,
    MOVE,
    NEGATIVE,
    ORDER_WORDS,
    RANK_VERB,
    RETENTION,
    SHARE,
    SIGNUP_WORDS,
    SUPERLATIVE,
    WHICH,
)
from assistant.planner.text import PEOPLE_NOUNS, WORD, normalise, same_event

Span = tuple[int, int]

# Closed grammatical classes. A word here can be dropped from any question without changing
# which rows or which number answer it; tests/unit/planner/test_coverage.py pins that no
# negation, comparative, conjunction, quantifier or time word is among them.
FUNCTION_WORDS = frozenset("""
a an the this that these those some any all such
i me my mine myself we us our ours you your yours they them their theirs it its he him his
she her ones someone somebody anyone anybody everyone everybody something anything
of in on at to for from with about into onto among amongst as via
am is are was were be been being do does did doing done have has had having
can could will would shall should may might must
s re ve ll d m
what which who whom whose where when why how whats what's who's how's
there here so just really actually exactly roughly approximately basically
please pls plz thanks thank thx cheers hi hey hello ok okay yes team folks guys quick
i.e ie e.g eg
show give tell get find see pull fetch send check know want need like let lets let's wondering
chart plot graph visualize visualise draw display
wonder curious look looking figure im i'm u r
""".split())

# Words that are never function words, however often they occur: each changes the answer.
MODIFIERS = frozenset("""
not no never nor or and without except excluding other than only more less most least fewer
top bottom first last next previous per each every between since before after until above
below over under
""".split())


@dataclass(frozen=True)
class Leftover:
    words: str
    span: Span


def _uses_time(plan: QueryPlan) -> bool:
    return plan.time_range is not None or any(o.parameter for o in plan.overrides)


def _compared_by(unit: str) -> Callable[[QueryPlan], bool]:
    """ "Week over week": periods compared, or a series by that very unit."""
    return lambda plan: bool(plan.compared) or any(g.grain == unit for g in plan.group_by)


ROLE_USED: dict[str, Callable[[QueryPlan], bool]] = {
    "time": _uses_time,
    "snapshot": lambda plan: plan.time_range is not None,
    "number": lambda plan: bool(plan.overrides) or plan.measure is not None,
    "old_value": lambda plan: bool(plan.overrides),
    "limit": lambda plan: plan.limit is not None,
    "grain": lambda plan: any(g.grain for g in plan.group_by) or plan.intent in (
        Intent.HISTORY, Intent.RETENTION) or plan.averaged_over is not None,
    "average": lambda plan: plan.averaged_over is not None,
    "month_number": lambda plan: plan.month_number is not None,
    "segment": lambda plan: plan.segment is not None,
    "rest": lambda plan: plan.versus_rest,
    "rest_of_values": lambda plan: any(not g.grain for g in plan.group_by),
    "ruled_out": lambda plan: plan.segment is not None,  # "(the loyalty kind, not the plan)"
    **{f"compared_{unit}": _compared_by(unit) for unit in ("week", "month", "quarter")},
}


def sense_used(sense: Sense, plan: QueryPlan, catalog: Catalog) -> bool:
    """Whether the plan uses this reading of a governed phrase."""
    seg = plan.segment
    if sense.kind in ("segment", "member") and any(
            x.name == sense.name and (sense.kind == "segment" or x.member in (None, sense.detail))
            for x in (*plan.excluding, *plan.also_in, *plan.any_of)) or (
            sense.kind == "segment" and sense.name == plan.by_segment):
        return True
    if sense.kind == "segment":
        if seg is None:
            return False
        owner = catalog.segments.get(seg.name)
        return sense.name == seg.name or (owner is not None and sense.name in owner.requires)
    if sense.kind == "member":
        if seg is None or sense.name != seg.name:
            owner = catalog.segments.get(seg.name) if seg else None
            return owner is not None and sense.name in owner.requires
        chosen = set(seg.selected()) | set(plan.to_members)
        if not chosen:
            return False
        return sense.detail in chosen or f"not_{sense.detail}" in chosen or (
            sense.detail not in chosen and len(chosen) > 1) or bool(plan.to_members)
    if sense.kind == "metric":
        if plan.metric is not None and plan.metric.name == sense.name:
            return True
        lacking = catalog.metrics.get(plan.without_metric.name) if plan.without_metric else None
        named = catalog.metrics.get(sense.name)
        if lacking is not None and named is not None and named.table == lacking.table:
            return True  # "never ordered", "no purchases": the people the plan leaves out
        if sense.name in {m.name for m in catalog.population_metrics()}:
            return plan.intent != Intent.DEFINITION
        if sense.name in {m.name for m in catalog.buyer_metrics()}:
            return seg is not None or (plan.metric is not None and catalog.metrics[
                plan.metric.name].time_column == catalog.order_column())
        return False
    if sense.kind == "dimension":
        used = {g.name for g in plan.group_by} | {f.dimension for f in plan.filters}
        if plan.time_range is not None:
            used.add(plan.time_range.column or catalog.signup_column())
        return sense.name in used
    if sense.kind == "value":
        return any(f.dimension == sense.name and sense.detail in f.values for f in plan.filters)
    return False


def _cue_spans(text: str, plan: QueryPlan, catalog: Catalog,
               as_of: date | None = None) -> list[Span]:
    """Spans of shape words whose meaning the plan carries."""
    cues: list[tuple[re.Pattern[str], bool]] = [
        *_period_cues(plan, catalog, as_of),
        (COUNT, plan.intent in (Intent.COUNT, Intent.BREAKDOWN, Intent.DISTRIBUTION,
                                Intent.METRIC, Intent.MOVEMENT, Intent.HISTORY,
                                Intent.RETENTION) or _ranks(plan)),
        (HOW_MUCH, plan.intent in (Intent.METRIC, Intent.BREAKDOWN, Intent.COUNT)
         or _ranks(plan)),  # a ranking that shows each amount
        (LIST, plan.intent == Intent.LIST or bool(plan.group_by)),
        (EVERY, plan.intent == Intent.LIST),
        (WHICH, plan.intent == Intent.LIST or bool(plan.group_by)),
        (LIST_LOOSE, True),
        *_share_cues(plan, catalog),
        (MATRIX_WORDS, plan.intent in (Intent.RETENTION, Intent.MOVEMENT)),
        (CROSS_TAB, plan.intent == Intent.RETENTION or len(plan.group_by) >= 2 or (
            plan.intent == Intent.DISTRIBUTION and bool(plan.group_by or plan.by_segment))),
        (HYPOTHETICAL, bool(plan.overrides)),
        *_segment_cues(plan, catalog),
        (LIGHT_VERBS, True),
        *_manner_cues(plan, catalog),
        (ACCEPTANCE, True),
        (RESTRICTIVE, bool(plan.filters) or plan.segment is not None
         or plan.time_range is not None),
        (SIGNUP_WORDS, _signup_used(plan, catalog)),
        (SIGNUP_ADVERB, _signup_used(plan, catalog)),
        (ORDER_WORDS, _orders_used(plan, catalog)),
        (MOVE, plan.intent == Intent.MOVEMENT or bool(plan.to_members)),
        (WHERE_GO_WORDS, plan.intent == Intent.MOVEMENT or bool(plan.to_members)),
        (HISTORY, plan.intent == Intent.HISTORY or any(g.grain for g in plan.group_by)),
        (BREAKDOWN_WORDS, plan.intent == Intent.HISTORY),
        (RETENTION, plan.intent == Intent.RETENTION),
        (COMPARE_PERIODS, bool(plan.group_by) or bool(plan.compared) or plan.versus_rest),
        (COMPARISON, bool(plan.compared) or any(g.grain for g in plan.group_by)),
        (COMPARE, bool(plan.group_by) or len(_chosen(plan)) > 1 or plan.versus_rest),
        (CHOICE, bool(plan.group_by) or plan.intent == Intent.DISTRIBUTION),
        (SUPERLATIVE, plan.order is not None or plan.limit is not None),
        (FIRST, plan.order is not None),
        (RANK_VERB, plan.order is not None),
        (AVERAGE_OF, plan.measure is not None or plan.averaged_over is not None),
        (ADD_UP, _adds_up(plan, catalog)),
        (BREAKDOWN_WORDS, plan.intent in (Intent.BREAKDOWN, Intent.DISTRIBUTION)
         or _moves_by_member(plan) or bool(plan.group_by or plan.by_column)),
        (GROUPING, bool(plan.group_by) or plan.intent in (Intent.DISTRIBUTION, Intent.HISTORY,
                                                          Intent.RETENTION)
         or _moves_by_member(plan) or _ranks(plan)),
        *_logic_cues(plan, catalog),
    ]
    spans: list[Span] = []
    for pattern, used in cues:
        if used:
            spans.extend(m.span() for m in pattern.finditer(text))
    grains = {str(g.grain) for g in plan.group_by if g.grain}
    spans.extend(m.span() for m in SERIES_POINT.finditer(text) if m[1] in grains)
    if plan.group_by or plan.intent == Intent.DISTRIBUTION:  # the verb and its particle only
        spans.extend(s for m in SPLIT_VERB.finditer(text) for s in (m.span(1), m.span(2)))
    return spans


def _logic_cues(plan: QueryPlan, catalog: Catalog) -> list[tuple[re.Pattern[str], bool]]:
    """Pronouns, negations and conjunctions, by whether the plan carries what they say."""
    return [
        (EACH_ONE, bool(plan.group_by) or plan.intent == Intent.DISTRIBUTION),
        (ACROSS_ALL, not plan.group_by and plan.intent != Intent.DEFINITION),
        (WHICH_ONE, plan.order is not None or plan.intent == Intent.LIST),
        (NEGATIVE, _negates(plan)),
        (EXCLUDE_WORDS, _negates(plan)),
        (UNION, _unions(plan)),
        (CONJUNCTION, _elements(plan) >= 2),
        (DISTINCT, _counts_distinct(plan, catalog)),
    ]


def _manner_cues(plan: QueryPlan, catalog: Catalog) -> list[tuple[re.Pattern[str], bool]]:
    """Words about how the question is asked and the answer given, not about what."""
    return [
        (COURTESY, True),
        (SOCIAL, True),
        (ONE_FIGURE, not plan.group_by and plan.intent in (Intent.COUNT, Intent.METRIC)),
        (WITH_FIGURES, bool(plan.group_by) or _ranks(plan)),
        (AT_LEAST_ONE, _counts_distinct(plan, catalog)),
        (SAME_PERIOD, plan.time_range is not None and not plan.compared),
    ]


def _segment_cues(plan: QueryPlan, catalog: Catalog) -> list[tuple[re.Pattern[str], bool]]:
    """Words about a segment: its members in general, being in it, its size, and membership
    reached by now ("already") or kept until now ("still")."""
    named = plan.segment is not None or bool(plan.excluding or plan.also_in or plan.any_of)
    people = plan.metric is None or plan.metric.name in {
        m.name for m in catalog.population_metrics()}
    family = catalog.segments.get(plan.segment.name) if plan.segment else None
    nouns = frozenset(normalise(w) for m in (*catalog.population_metrics(),
                                             *catalog.buyer_metrics()) for w in (m.name, m.label))
    whole = [(population_words(family.population, nouns), True)] if family and \
        family.population else []  # the people the family classifies, said as the share's whole
    return [
        *whole,
        (FAMILY_HEAD, named),
        (MEMBERSHIP, named or bool(plan.filters)),  # "orders sitting in processing"
        (SIZE, plan.segment is not None and people and plan.intent in (Intent.COUNT,
                                                                       Intent.DISTRIBUTION)),
        (ALREADY, plan.segment is not None and plan.intent not in (Intent.HISTORY,
                                                                    Intent.MOVEMENT)),
        (STILL, plan.intent in (Intent.RETENTION, Intent.MOVEMENT) or bool(plan.to_members)
         or bool(plan.also_in) or _in_state_now(plan) or _active_now(plan, catalog)),
    ]


@functools.lru_cache(maxsize=64)
def population_words(population: str, people: frozenset[str]) -> re.Pattern[str]:
    """A family's `population` as a question may say it: a `people` noun heading it and small
    words anywhere optional, the last word in either number: "members holding a paid plan"
    is also said "holding paid plans" or "members holding any paid plan at all"."""
    head, *rest = normalise(population).split() or ["(?!)"]
    noun = rf"{re.escape(head.removesuffix('s'))}s?"
    if not rest:
        return re.compile(rf"\b{noun}\b")
    small = "|".join(sorted(OPTIONAL_WORDS))
    words = [w for w in rest if w not in OPTIONAL_WORDS] or rest
    body = r"\s+".join(rf"(?:(?:{small})\s+)*{re.escape(w)}" for w in words) + "s?"
    lead = rf"(?:{noun}\s+)?" if head in people else rf"{noun}\s+"
    return re.compile(rf"\b{lead}{body}(?:\s+at\s+all)?\b")


OPTIONAL_WORDS = frozenset({"a", "an", "any", "the", "at", "least", "one", "some"})


def _moves_by_member(plan: QueryPlan) -> bool:
    """Where members went, one row per member they are in now (not the count of those who
    went to named members, which is one number)."""
    return plan.intent == Intent.MOVEMENT and not plan.to_members


def _ranks(plan: QueryPlan) -> bool:
    """People ranked by a metric: "the 5 biggest buying PQLs, ranked by revenue"."""
    return plan.intent == Intent.LIST and plan.metric is not None and plan.order is not None


# The words of a change between two periods: its verbs, nouns and the later period said
# "over" the earlier one ("May over April").
CHANGE_WORDS = re.compile(rf"{CHANGE_VERB.pattern}|\b(?:growth|difference|delta|change|up|down|"
                          rf"over|from|by|more|less|fewer|percent|%|increase|decrease)\b")


def _share_cues(plan: QueryPlan, catalog: Catalog) -> list[tuple[re.Pattern[str], bool]]:
    """Words of a share: the share itself, its whole ("of the entire customer base"), a
    segment's rate, a governed metric that is a share ("which fraction of tickets got
    resolved" of a `resolved_percentage`)."""
    metric = catalog.metrics.get(plan.metric.name) if plan.metric else None
    governed = metric is not None and not plan.group_by and plan.intent == Intent.METRIC and \
        SHARE_NAME.search(normalise(metric.label)) is not None
    return [
        (SHARE, plan.share or plan.intent == Intent.RETENTION or governed),
        (SHARE_NAME, governed),  # "... in percent" of a percentage
        (SHARE_WHOLE, plan.share or not (plan.filters or plan.excluding or plan.also_in
                                          or plan.time_range or plan.signed_up)),
        (SHARE_RATE, plan.share and plan.segment is not None),
        (SHARE_FORM, plan.share or plan.share_of_total or plan.intent == Intent.RETENTION or
         plan.change),  # "growth, as a percentage": the relative change
        (SHARE, plan.change),  # "grew by what percent": the relative change
        (CHANGE_WORDS, plan.change),
    ]


def _period_cues(plan: QueryPlan, catalog: Catalog,
                 as_of: date | None) -> list[tuple[re.Pattern[str], bool]]:
    """Words about the extent of time: the whole history, a total from the beginning, up to
    now."""
    unbounded = _unbounded(plan, catalog)
    return [
        (ALL_TIME, unbounded),
        (AT_SOME_POINT, unbounded or plan.time_range is not None),
        (CUMULATIVE, (unbounded or bool(plan.time_range and plan.time_range.open_start))
         and not any(g.grain for g in plan.group_by)),
        (UP_TO_NOW, unbounded or plan.intent in (Intent.RETENTION, Intent.HISTORY)
         or (plan.time_range is not None and plan.time_range.end == as_of)),
        (AS_OF_NOW, plan.time_range is None or plan.intent == Intent.MOVEMENT
         or _member_now(plan, catalog) or _window_to_now(plan, as_of)),
        (MONDAY_WEEKS, any(g.grain == "week" for g in plan.group_by) or bool(
            plan.time_range and "week" in plan.time_range.phrase)),
        (INCLUSIVE, plan.time_range is not None and not plan.time_range.open_start
         and plan.time_range.start != plan.time_range.end),
    ]


def _window_to_now(plan: QueryPlan, as_of: date | None) -> bool:
    """ "Current weekly actives (last 7 days)": one period that ends at the as-of date."""
    return plan.time_range is not None and plan.time_range.end == as_of and \
        not plan.compared and not any(g.grain for g in plan.group_by)


def _unbounded(plan: QueryPlan, catalog: Catalog) -> bool:
    """No period at all: "revenue of all time". A metric with a governed window ("active")
    still counts over that window, so "ever active" is not what it answers."""
    if plan.time_range is not None or plan.compared or plan.intent in (
            Intent.DEFINITION, Intent.HISTORY, Intent.MOVEMENT):
        return False
    metric = catalog.metrics.get(plan.metric.name) if plan.metric else None
    return metric is None or not metric.default_window_days


# The whole history, no period ("lifetime revenue", "orders ever", "since launch").
ALL_TIME = re.compile(r"\b(ever|all\s+time|overall|lifetime|life\s+time|in\s+total|"
                      r"on\s+(file|record|the\s+books)|(over|across|for)\s+(the\s+)?(whole|entire|"
                      r"full)\s+(time|life)|((over|across|for|in)\s+)?(the\s+|our\s+)?(whole|"
                      r"entire|full)\s+(history|book)(\s+we\s+have)?|"
                      r"(over|across|for|in)\s+all\s+(of\s+)?(the\s+|our\s+)?(data|records|history)"
                      r"(\s+(we|you)\s+have)?|all\s+told|(over|across|of|for)\s+everything"
                      r"(\s+(we|you)\s+have|\s+on\s+(file|record))?|"
                      r"historically|since\s+we\s+(started|launched|began|opened|went\s+live)|"
                      r"since\s+(launch|inception|day\s+one|forever|"
                      r"(the\s+)?(very\s+)?(start|beginning)(?!\s+of)))\b|"
                      # the extent of the data: as far back as it goes, from the beginning of
                      # our records, each month you have data on
                      r"\ball\s+the\s+way\s+back\b|\bas\s+far\s+back\s+as\s+(it|the\s+data|we\s+have)"
                      r"(\s+(goes|go|data))?\b|(\b(to|from|since)\s+)?\bthe\s+(very\s+)?(start|beginning)\s+of"
                      r"\s+(the|our)\s+(data|history|records)\b|\b(we|you)\s+have\s+(any\s+)?(data|records)"
                      r"(\s+(for|on))?\b")
# "Across all policies", "across every order": the whole of what the figure counts, said of
# a plan that does not split it (with a split, "across" leads the grouping).
ACROSS_ALL = re.compile(r"\bacross\s+(?:all|every)\b")
# "at any time during Q3": anywhere in the period (or in all of history).
AT_SOME_POINT = re.compile(r"\bat\s+(some|any)\s+(point|time|stage)\b")
# A total from the beginning ("orders cumulatively through May"); over a grain it would be a
# running total, which no plan computes.
CUMULATIVE = re.compile(r"\b(cumulative|cumulatively|running\s+total)\b")
# Up to the as-of date: "so far", "to date".
UP_TO_NOW = re.compile(r"\b(so\s+far|to\s+date|until\s+now|till\s+now|up\s+to\s+now|"
                       r"up\s+until\s+now|thus\s+far)\b")
DISTINCT = re.compile(r"\b(distinct|unique|individual|different)\b")


def _active_now(plan: QueryPlan, catalog: Catalog) -> bool:
    """ "Still active": a windowed metric read over its window up to the as-of date."""
    metric = catalog.metrics.get(plan.metric.name) if plan.metric else None
    column = plan.time_range.column if plan.time_range else None
    return metric is not None and bool(metric.default_window_days) and column != \
        metric.time_column


def _in_state_now(plan: QueryPlan) -> bool:
    """ "Still among the churned", "still on an enterprise plan": a segment's membership and a
    user's attributes are read as of today, which is what "still" asks of them."""
    return (plan.segment is not None and plan.intent != Intent.HISTORY) or bool(
        plan.filters or plan.excluding)


def _member_now(plan: QueryPlan, catalog: Catalog) -> bool:
    """ "Q1 signups who are engaged now", "orders in Q3 by accounts currently among
    the PQLs": the period picks who signed up or what they did; membership is as of today."""
    named = plan.segment is not None or bool(plan.also_in or plan.excluding or plan.any_of)
    return named and plan.time_range is not None and plan.intent not in (
        Intent.HISTORY, Intent.MOVEMENT, Intent.RETENTION)


def _counts_distinct(plan: QueryPlan, catalog: Catalog) -> bool:
    """ "Unique accounts", "distinct people": the plan counts each person once anyway."""
    metric = catalog.metrics.get(plan.metric.name) if plan.metric else None
    counted = metric is None or "DISTINCT" in metric.expr.upper()
    return counted and plan.intent in (Intent.COUNT, Intent.BREAKDOWN, Intent.METRIC,
                                       Intent.LIST)


# Signing up happens once: "originally signed up", "first joined", "registered back in".
SIGNUP_ADVERB = re.compile(r"\b(?:originally|initially|first)(?=\s+(?:signed|joined|registered)\b)|"
                           r"(?:(?<=\bup\s)|(?<=\bjoined\s)|(?<=\bregistered\s))back(?=\s+in\b)")
# "Every" right before the figure's own noun, with nothing grouped: all of them ("for every"
# is a rate: "for every completed one, how many ...").
EVERY_OF = re.compile(r"(?<!for\s)(?<!per\s)\b(?:each\s+and\s+)?every(?:\s+single)?\s+$")
HOW_MUCH = re.compile(r"\bhow\s+much\b|\bwhat\s+(was|is|were|are)\b")
BREAKDOWN_WORDS = re.compile(r"\b(breakdown|break\s+down|broken\s+(down|out)|break\s+out|"
                             r"split(ting)?\s+(out|up)|split|"
                             r"distribution|mix|sizes?|counts|grouped|group|"
                             # slicing verbs: "cut X by Y", "cross-tabbed by", "how does X vary"
                             r"cut|cuts|cutting|slice[ds]?|slicing|cross[\s-]?tab(?:bed|s)?|"
                             r"pivot(?:ed|s)?|var(?:y|ies|ied)|differ(?:s|ed)?|"
                             r"(?:both|two|the)\s+dimensions)\b")
# A split verb with its object between it and its particle ("break X down", "broke Y out").
SPLIT_VERB = re.compile(r"\b(break|breaking|broke|broken|split|splitting)\b(?:\s+\S+){1,6}?"
                        r"\s+(down|out)\b")
GROUPING = re.compile(rf"\b{GROUP_LEAD}\b")
# "One" as a pronoun, not a number: the tiers and "the size of each one", "which one leads".
EACH_ONE = re.compile(r"\b(?:each|every)\s+one\b")
WHICH_ONE = re.compile(r"\bwhich\s+ones?\b")
EXCLUDE_WORDS = re.compile(EXCLUDE.pattern.rstrip("$").replace(r"\s+(on\s+|in\s+|from\s+|"
                                                               r"at\s+|the\s+|a\s+|an\s+|"
                                                               r"any\s+)*", ""))
# What-if words: they mean "change a parameter", so they are used exactly when the plan
# carries an override.
HYPOTHETICAL = re.compile(
    r"\b(if|what\s+if|suppose|supposing|imagine|assume|assuming|hypothetically|say|instead|"
    r"rather|then|were|would|meant|means|mean|required|require|requires|needed|need|"
    r"counted|count|counts|use|used|using|raise[sd]?|raising|lower(ed|ing)?|bump(ed)?|"
    r"tighten(ed|ing)?|loosen(ed|ing)?|stricter|looser|changed?|moved?|set|bar|enough|kicked\s+in|"
    r"gave|give|giving|allow(ed|ing)?|"
    r"measured|measure|looking\s+back|look\s+back|looked\s+back|lookback|sustained|"
    r"call|called|calling|label(l?ed)?|defined?|treat(ed)?|consider(ed)?|look(ed)?\s+at|"
    r"kick\s+in|flag(ged)?|cutoff|threshold|window|only|drop(ped|s)?|relax(ed|es|ing)?|"
    r"start(ed|s)?|kick(ed|s)\s+in|keep|keeps|keeping|kept|version|scenario|"
    r"hypothetical|loosest|strictest|possible|minimum|maximum|requirement|limit|"
    r"under\s+(that|this|the\s+new|those|these)\s+(rules?|definitions?|scenarios?|"
    r"assumptions?|criteria|bar|cutoff|threshold))\b")
# The order rows come in: "biggest first", "lowest at the top".
FIRST = re.compile(r"(?<=\s)(first|last|on\s+top|at\s+the\s+(top|bottom))\b")
# A list is of everyone it names: "the ids of every cant-lose customer".
EVERY = re.compile(r"\b(every|everyone|everybody)\b")
# A segment's size is its count of people: "the churned stage's size", "tier sizes".
SIZE = re.compile(r"\bsizes?\b")
# Nouns that name a family's members in general ("a churned stage", "score tiers").
FAMILY_HEAD = re.compile(r"\b(segments?|tiers?|stages?|groups?|buckets?|bands?|levels?|"
                         r"categor(y|ies)|class(es)?|members?|models?|terms|framework|"
                         r"scheme|classification)\b")
# Verbs of being in a segment: "customers who sit among champions", "lands within a tier".
MEMBERSHIP = re.compile(r"\b(fall|falls|fell|sit|sits|sitting|stuck|stick|sat|land|lands|landed|"
                        r"belong|belongs|"
                        r"qualify|qualifies|qualified\s+as|count\s+as|counts\s+as|counted\s+as|"
                        r"classified(\s+as)?|considered|labelled|labeled|tagged|flagged(\s+as)?|"
                        r"marked(\s+as)?|currently\s+in|stay|stays|remain|remains|rated|ranked|"
                        r"(come|comes|came|show|shows|showed|end|ends|ended)\s+(out|up)\s+as|"
                        r"clear|clears|cleared|pass|passes|passed|meet|meets|met|"
                        r"(make|makes|made)\s+(it|the\s+cut))\b")
# Verbs with no meaning of their own beside a governed noun ("what revenue does X bring
# in", "what count of trials did marketing get"). They never carry a condition.
LIGHT_VERBS = re.compile(r"\b(generated|brought|driven|produced|earned|spent|placed|paid|"
                         r"bought|purchased|sold)"
                         r"(\s+in)?\s+by\b|"  # the agent of a passive: "generated by champions"
                         r"\b(have|has|had|having|do|does|did|make|makes|made|get|gets|got|"
                         r"book|books|booked|booking|place[sd]?|placing|sell|sells|sold|selling|"
                         r"buy|buys|bought|buying|purchase[sd]?|purchasing|put|puts|putting|"
                         r"accounts?\s+for|accounted\s+for|(?:spend|spent|spending)\s+on|"
                         r"getting|bring|brings|brought|generate[sd]?|generating|drive[sdn]?|earn(?:s|ed)?|"
                         r"receive[sd]?|receiving|"
                         r"driving|produce[sd]?|(?:come|comes|came|coming)(?:\s+(?:through|in))?|"
                         r"give|gives|gave|giving|(?:go|goes|went|gone)(?:\s+through)?|"
                         r"(?:land|lands|landed|landing)(?:\s+in)?|take|took|"
                         r"taken|taking|see|saw|seeing|look|looks|looking|"
                         r"(sit|sits|sitting|sat)\s+in|"
                         r"(end|ends|ended|ending)\s+up|become|becomes|became|"
                         r"becoming)\b")
COURTESY = re.compile(r"\b(good\s+(morning|afternoon|evening)|would\s+you\s+be\s+able\s+to|"
                      r"if\s+it'?s\s+not\s+too\s+much\s+trouble|when\s+you\s+(have|get)\s+"
                      r"a\s+(moment|minute|sec|second|chance)|sorry\s+to\s+bother\s+you|"
                      r"(i'?d|i\s+would|would)\s+(really\s+)?(appreciate|love)|"
                      r"(quick|small)\s+(question|one|ask)|any\s+chance|"
                      r"(i'?m|i\s+am)\s+(trying|wondering|curious)|do\s+you\s+know)\b")
# Greetings, thanks and hedges around a question ("morning all", "thanks in advance",
# "apologies, naive question", "ofc"): how it is asked, never what.
SOCIAL = re.compile(r"\b(?:(?:good\s+)?(?:morning|afternoon|evening)(?:\s+(?:all|team|everyone|"
                    r"folks|y'?all))?|gm|hi\s+(?:all|team|everyone|folks)|thanks?(?:\s+you)?(?:\s+"
                    r"(?:so|very)\s+much)?(?:\s+in\s+advance)?|thx|ty|cheers|ofc|of\s+course|"
                    r"sorry\s+(?:if\s+this\s+is\s+an?\s+)?(?:dumb|silly|stupid|basic|naive)\s+"
                    r"(?:q|question)(?:\s+but)?|sorry\s+for\s+the\s+(?:rush|ping|bother|noise)|"
                    r"(?:dumb|silly|stupid|basic|naive)\s+(?:q|question)(?:\s+but)?|sorry|"
                    r"apologies)\b")
# How the answer should look: "a single total please", "no split" (a single figure), or
# "with the amounts" beside a ranking or a split (each row's figure is shown anyway).
ONE_FIGURE = re.compile(r"\b(?:just\s+)?(?:the\s+)?(?:one|single)\s+(?:\w+\s+)?(?:number|figure|"
                        r"value|total)\b|\bno\s+(?:breakdown|split|detail)\b")
WITH_FIGURES = re.compile(r"\bwith\s+(?:the\s+)?(?:amounts|values|numbers|figures|counts|"
                          r"totals)\b")
# "with at least a single purchase": what a distinct count of buyers already means.
AT_LEAST_ONE = re.compile(r"\bat\s+least\s+(?:one|1|a\s+single)\b")
# The period already named, said again: "bought during that month", "within the year".
SAME_PERIOD = re.compile(r"\b(?:the|that|the\s+same)\s+(?:quarter|month|year|week|period)\b")
# The whole a share is of: "of all our customers", "of the whole population" (the plan's
# denominator is the population or the users the family classifies).
SHARE_WHOLE = re.compile(r"\b(whole\s+|entire\s+)?(user\s+|customer\s+)?(base|population)\b")
# "PQL rate by country": a segment's share of each group.
SHARE_RATE = re.compile(r"\brates?\b")
# Membership reached by now: "have already churned".
ALREADY = re.compile(r"\balready\b")
# "is fine", "would be great": how the asker takes the answer, not what it is.
ACCEPTANCE = re.compile(r"\b(is|are|would\s+be|'?s)\s+(fine|ok|okay|good|great|perfect|enough)\b")
RESTRICTIVE = re.compile(r"\b(only|just|alone|specifically|solely)\b")
STILL = re.compile(r"\bstill\b")
# A noun naming the asked value itself, after what it measures ("the revenue number",
# "signup figures"); "number of" is the count's own phrase.
VALUE_HEAD = re.compile(r"\s+(numbers?|figures?)\b(?!\s+of\b)|[\s-]wise\b")  # "revenue-wise"
# A series said by its points: "a single value per quarter", "a point for each week".
SERIES_POINT = re.compile(r"\b(?:one|1|a|single)\s+(?:numbers?|points?|data\s+points?|values?|"
                          r"figures?|rows?|bars?|lines?)\s+(?:per|for\s+each|each|a|every)\s+"
                          r"(?:calendar\s+)?(day|week|month|quarter|year)\b")
# A noun after a dimension's name that names its values in general ("company size bucket").
DIMENSION_HEAD = re.compile(r"\s+(buckets?|bands?|groups?|categor(y|ies)|tiers?|levels?|"
                            r"brackets?|ranges?|types?|classes?)\b")
# "through" right before a value the plan filters on is a preposition ("found us through a
# referral"), and a series "through" one period runs across that period ("from May through
# June" is read as a range before coverage); neither is a time bound.
THROUGH = re.compile(r"\b(through|thru|throughout)\s+(the\s+)?$")
# A table of two groupings: "tiers x plan", "a matrix of stage by plan", "each cell".
CROSS_TAB = re.compile(r"\b(matrix|grid|cross\s*tab|crosstab|pivot|heatmap|cells?|x|crossed|"
                       r"combos?|combinations?|pairs?|at\s+the\s+same\s+time|(both\s+)?at\s+once|"
                       r"simultaneously|jointly)\b|"
                       r"\u00d7")
MATRIX_WORDS = re.compile(r"\b(matrix|table|grid|heatmap|curves?|full|whole|entire|"
                          r"overall|cohorts?)\b")
# Words of comparing two periods ("were there fewer orders in July than June?").
COMPARISON = re.compile(rf"\b({COMPARATIVES}|"
                        r"drop|dropped|grow|grew|growth|increase[ds]?|decrease[ds]?|differ|"
                        r"difference|changed?|compare[ds]?|comparing|than|(go|goes|went|gone|going)\s+(up|down)|"
                        r"(rise|rose|risen|fall|fell|fallen)|moved?|shift(ed)?|"
                        r"up\s+or\s+down|down\s+or\s+up)\b")  # "was June up or down"
# The words of "where did <who> go": only they, never the words in between.
WHERE_GO_WORDS = re.compile(r"\b(where|go|gone|end\s+up|ended\s+up|land|landed)\b")
UNION = re.compile(r"\b(or|either|nor|and/or|combined|together|taken\s+together)\b")
CONJUNCTION = re.compile(r"\b(and|plus|both|also|but|&)\b")
# "Mon-Sun weeks": how every week is counted already (weeks start on Monday).
MONDAY_WEEKS = re.compile(r"\b(mon|monday)\s*(-|to|through|thru)?\s*(sun|sunday)(\s+weeks?)?\b|"
                          r"\bweeks?\s+(starting|beginning|that\s+start)\s+(on\s+)?(a\s+)?"
                          r"(mon|monday)s?\b")
# A range said to keep both its ends ("from Q1 to Q3 inclusive").
INCLUSIVE = re.compile(r"\b(inclusive|inclusively|both\s+(ends|months|dates)\s+included)\b")
# How a share is written out: "as fractions", "as a percentage".
SHARE_FORM = re.compile(r"\bas\s+(a\s+)?(fractions?|percent|percentages?|decimals?|ratios?|"
                        r"proportions?)\b")
AS_OF_NOW = re.compile(r"\b(now|rn|atm|currently|current|today|right\s+now|at\s+the\s+moment|"
                       r"as\s+of\s+today|at\s+present|presently)\b")


def _own_words(text: str, plan: QueryPlan, catalog: Catalog) -> list[Span]:
    """Words of the used segment's own name and label ("medium engagement *score* band"), and
    of the used metric's own rule ("revenue from *completed orders*")."""
    own = _metric_words(plan, catalog) | _time_words(plan, catalog) | _table_words(plan, catalog)
    own |= {w for w in WORD.findall(text) for t in _event_words(plan, catalog)
            if same_event(w, t)}  # "closed" of the claim_close_date the period is on
    segment = catalog.segments.get(plan.segment.name) if plan.segment else None
    if segment is None:
        own -= FUNCTION_WORDS | MODIFIERS
        return [m.span() for m in WORD.finditer(text) if m.group() in own]
    own |= set(segment.name.split("_")) | set(normalise(segment.label).split())
    for name in (*_chosen(plan), *plan.to_members):  # "'high' at 25 days inactive"
        member = segment.member(name.removeprefix("not_"))
        if member is not None:
            own |= set(member.name.split("_")) | set(normalise(member.label).split())
    if plan.intent in (Intent.RETENTION, Intent.LIST):  # words of the columns it shows
        own |= {w for column in segment.columns for w in column.split("_")}
    own -= FUNCTION_WORDS | MODIFIERS
    return [m.span() for m in WORD.finditer(text) if m.group() in own]


def _currency_words(text: str, plan: QueryPlan, catalog: Catalog) -> list[Span]:
    """ "Gross sales in dollars" when the metric says it is in USD ("Transaction Amount
    (USD)"): the unit the metric is already in. A currency the metric does not state is a
    conversion nothing here makes, so it stays unexplained."""
    metric = catalog.metrics.get(plan.metric.name) if plan.metric else None
    return money_spans(text, metric) if metric is not None else []


def _table_words(plan: QueryPlan, catalog: Catalog) -> set[str]:
    """The name of the table a used dimension is on ("Seattle *users*", "*product* category"):
    whose attribute it is, which the plan's join already says."""
    used = [catalog.dimensions.get(n) for n in (*(g.name for g in plan.group_by),
                                                 *(f.dimension for f in plan.filters))]
    tables = {d.table for d in used if d is not None}
    words = {w for t in tables for w in (t, t.removesuffix("s"), f"{t.removesuffix('s')}'s")}
    if words & PEOPLE_NOUNS:  # a table of people is named by any word for people
        words |= PEOPLE_NOUNS | {f"{w}'s" for w in PEOPLE_NOUNS}
    return words


SHARE_NAME = re.compile(r"\b(share|percentage|percent|proportion|fraction|rate|ratio)\b|%")
# Words of a date column's name that say no event ("claim_open_date": the event is "open").
DATE_NAME_WORDS = frozenset({"date", "dates", "time", "at", "on", "ts", "timestamp", "datetime",
                             "dt", "day"})


def event_dates(metric: Metric, catalog: Catalog) -> dict[str, set[str]]:
    """The other dates of a metric's own table, each by the words of its name that say its
    event (`claim_close_date` of a claim count: "close"), keyed as the plan names a time
    column: MetricFlow's dimension name for a dbt metric, the column otherwise."""
    own_words = set(metric.table.split("_")) | set(metric.name.split("_"))
    out: dict[str, set[str]] = {}
    for key, dim in catalog.other_dates(metric).items():
        words = set(key.split("_")) - DATE_NAME_WORDS - own_words - FUNCTION_WORDS
        if DATE_NAME_WORDS & set(dim.column.split("_")) and words:
            out[key] = words
    return out


def _event_words(plan: QueryPlan, catalog: Catalog) -> set[str]:
    """The event words of the date a period or a grain is on, when it is another date of the
    metric's table than its own."""
    metric = catalog.metrics.get(plan.metric.name) if plan.metric else None
    if metric is None:
        return set()
    columns = {g.name for g in plan.group_by if g.grain}
    columns |= {plan.time_range.column} if plan.time_range and plan.time_range.column else set()
    return {w for key, words in event_dates(metric, catalog).items() if key in columns
            for w in words}


def _time_words(plan: QueryPlan, catalog: Catalog) -> set[str]:
    """The words of the time column a period or a grain is on ("tickets *opened* in March",
    "by the *created date*"): naming the date the plan already filters or groups by."""
    columns = {g.name for g in plan.group_by if g.grain}
    if plan.time_range is not None and plan.time_range.column:
        columns.add(plan.time_range.column)
    words: set[str] = {"date", "dates"} if columns else set()
    for column in columns:
        words |= set(column.split("_"))
        dim = catalog.dimensions.get(column)
        words |= set(normalise(dim.label).split()) if dim else set()
    return words


# Asking for a sum in verbs: "add up premium", "tot up the cost", "sum it up".
ADD_UP = re.compile(r"\b(?:add(?:s|ed|ing)?\s+(?:it\s+|them\s+|that\s+)?up|tot\s+up|"
                    r"sum(?:s|med|ming)?(?:\s+(?:it\s+|them\s+)?up)?|tally)\b")


def _adds_up(plan: QueryPlan, catalog: Catalog) -> bool:
    """Whether the plan's figure is a sum: a SUM expression, or a metric its own label calls
    a total (a dbt metric, whose expression MetricFlow keeps)."""
    metric = catalog.metrics.get(plan.metric.name) if plan.metric else None
    if metric is None or plan.measure is not None or plan.averaged_over is not None:
        return False
    summed = re.fullmatch(r"\s*sum\s*\([^()]*\)\s*", metric.expr, flags=re.I) is not None
    return summed or not metric.expr and "total" in normalise(metric.label).split()


def _metric_words(plan: QueryPlan, catalog: Catalog) -> set[str]:
    """The metric's label, the table it reads, its own aggregate and the values its row filter
    keeps: words that restate the rule the plan already applies ("completed orders" of
    revenue, "the sum of revenue")."""
    metric = catalog.metrics.get(plan.metric.name) if plan.metric else None
    if metric is None or plan.intent == Intent.DEFINITION:
        return set()
    literals = re.findall(r"'([^']*)'", metric.filter)
    own = set(normalise(" ".join([metric.label, *literals])).split()) | {metric.table}
    aggregate = re.fullmatch(r"\s*(sum|avg|count)\s*\([^()]*\)\s*", metric.expr, flags=re.I)
    if aggregate is not None and plan.measure is None:
        own |= {"sum": {"sum"}, "avg": {"average", "mean"}, "count": {"count"}}[
            aggregate[1].lower()]
    return own | {w + "s" for w in own} | {w.rstrip("s") for w in own} | {
        w[:-1] + "ies" for w in own if w.endswith("y")}  # "policy" of the "policies"


def _chosen(plan: QueryPlan) -> tuple[str, ...]:
    return plan.segment.selected() if plan.segment else ()


def _signup_used(plan: QueryPlan, catalog: Catalog) -> bool:
    signup = catalog.signup_column()
    column = plan.time_range.column if plan.time_range else None
    grouped = any(g.name == signup for g in plan.group_by)
    # everyone who ever signed up is every person: a count of the population with no period
    everyone = plan.intent == Intent.COUNT and _unbounded(plan, catalog) and \
        plan.metric is not None and plan.metric.name in {
            m.name for m in catalog.population_metrics()}
    return (plan.time_range is not None and column in (None, signup)) or grouped or \
        plan.intent == Intent.RETENTION or plan.signed_up is not None or everyone


def _orders_used(plan: QueryPlan, catalog: Catalog) -> bool:
    if plan.without_metric is not None:
        return True
    if plan.time_range is not None and plan.time_range.column == catalog.order_column():
        return True
    if any(g.name == catalog.order_column() for g in plan.group_by):
        return True
    metric = catalog.metrics.get(plan.metric.name) if plan.metric else None
    segment = catalog.segments.get(plan.segment.name) if plan.segment else None
    order_tables = {m.table for m in catalog.buyer_metrics()}
    return (metric is not None and metric.table in order_tables) or (
        segment is not None and segment.entity == "customer")


def _negates(plan: QueryPlan) -> bool:
    if any(f.exclude for f in plan.filters) or plan.excluding or plan.without_metric or \
            plan.versus_rest:
        return True
    chosen = _chosen(plan)
    # "January-end champions who stopped being champions": the members they moved to
    # leave the first out; "still champions" negates nothing
    moved_out = bool(plan.to_members) and not set(chosen) & set(plan.to_members)
    return any(m.startswith("not_") for m in chosen + plan.to_members) or len(chosen) > 1 or (
        moved_out)


def _unions(plan: QueryPlan) -> bool:
    return (any(len(f.values) > 1 for f in plan.filters) or len(_chosen(plan)) > 1
            or len(plan.to_members) > 1 or len(plan.any_of) > 1 or len(plan.excluding) > 1
            or len(plan.compared) > 1
            or any(g.grain for g in plan.group_by) and plan.time_range is not None)


def _elements(plan: QueryPlan) -> int:
    return (len(plan.filters) + len(plan.group_by) + (plan.segment is not None)
            + (plan.time_range is not None) + (plan.metric is not None) + len(plan.overrides)
            + len(_chosen(plan)) + (plan.measure is not None) + len(plan.excluding)
            + len(plan.also_in) + len(plan.any_of))


def _inside(span: Span, spans: Iterable[Span]) -> bool:
    return any(a <= span[0] and span[1] <= b for a, b in spans)


def leftovers(p: Parse, plan: QueryPlan, catalog: Catalog,
              claims: list[Claim], as_of: date | None = None) -> list[Leftover]:
    """Words of the question that nothing in the plan accounts for, in question order."""
    covered: list[Span] = [c.span for c in claims if (
        _signup_used(plan, catalog) if c.role == "signup"
        else ROLE_USED[c.role](plan))]
    if any(g.grain for g in plan.group_by):  # "daily orders through Q3": across Q3
        for c in claims:
            lead = THROUGH.search(p.text[:c.span[0]]) if c.role == "time" else None
            covered.extend([lead.span()] if lead and c.span in covered else [])
    unused, used = [], []
    for m in p.matches:
        if m.span[0] >= 0 and any(sense_used(s, plan, catalog) for s in m.senses):
            covered.append(m.span)
            used.append(m)
            if any(s.kind == "value" for s in m.senses):  # "found us through a referral"
                lead = THROUGH.search(p.text[:m.span[0]])
                covered.extend([lead.span()] if lead else [])
            heads = [DIMENSION_HEAD] * any(s.kind in ("dimension", "value")  # "the 1-10
                                           for s in m.senses) + [  # bucket", "plan tier"
                VALUE_HEAD] * any(s.kind in ("metric", "segment") for s in m.senses)
            for head in (h.match(p.text, m.span[1]) for h in heads):  # "the revenue number"
                covered.extend([head.span()] if head else [])
        elif m.span[0] >= 0:
            unused.append(m)
    covered += [m.span for m in unused if _whose(m, used, p, catalog)]
    if not any(g.grain is None for g in plan.group_by):  # "the sum of every booking": all
        covered += [lead.span() for m in used if any(s.kind == "metric" for s in m.senses) and (
            lead := EVERY_OF.search(p.text, 0, m.span[0])) is not None]
    covered.extend(_cue_spans(p.text, plan, catalog, as_of))
    covered.extend(_own_words(p.text, plan, catalog))
    covered.extend(_currency_words(p.text, plan, catalog))
    out: list[Leftover] = []
    for token in WORD.finditer(p.text):  # words of unused phrases are checked one by one
        word = token.group().strip("'.")
        span = token.span()
        if word.endswith("'s"):  # "this year's": the possessive belongs to its noun
            span, word = (span[0], span[1] - 2), word[:-2]
        if _inside(span, covered):
            continue
        if word in FUNCTION_WORDS and word not in MODIFIERS:
            continue
        out.append(Leftover(word, token.span()))
    for m in unused:  # a governed phrase made only of small words ("US") still names something
        tokens = [t.strip("'.") for t in WORD.findall(p.text[m.span[0]:m.span[1]])]
        if tokens and all(t in FUNCTION_WORDS for t in tokens) and not _inside(m.span, covered):
            out.append(Leftover(p.text[m.span[0]:m.span[1]], m.span))
    out.extend(_other_metrics(p.text, unused, used, plan))
    out.sort(key=lambda o: o.span)
    return _merge(out, p.text)


def _whose(m: PhraseMatch, used: list[PhraseMatch], p: Parse, catalog: Catalog) -> bool:
    """An entity said just before a dimension the plan uses ("by customer region") says whose
    that dimension is: the plan reads it through that entity."""
    entity = any(s.kind == "dimension" and s.name in catalog.dimensions and
                 catalog.dimensions[s.name].role == "entity" for s in m.senses)
    return entity and qualifies_next(p, m.span[1], used)


def _other_metrics(text: str, unused: list[PhraseMatch], used: list[PhraseMatch],
                   plan: QueryPlan) -> list[Leftover]:
    """A second metric the plan does not compute, coordinated with the one it does
    ("refunded orders and *all orders*", "revenue plus *order count*"): its words may each
    be accounted for one by one (a shape word, the used metric's own table), but a metric
    phrase joined to the used one by "and", "plus" or a comma asks for another figure."""
    if plan.metric is None or plan.intent == Intent.DEFINITION:
        return []
    named = [m.span for m in used if any(
        s.kind == "metric" and s.name == plan.metric.name for s in m.senses)]
    out = []
    for m in unused:
        if not m.senses or any(s.kind != "metric" or s.name == plan.metric.name
                               for s in m.senses):
            continue
        if any(COORDINATED.fullmatch(text[min(a[1], m.span[1]):max(a[0], m.span[0])])
               for a in named if a[1] <= m.span[0] or m.span[1] <= a[0]):
            out.append(Leftover(text[m.span[0]:m.span[1]], m.span))
    return out


# What stands between two coordinated noun phrases: a conjunction and at most two words.
COORDINATED = re.compile(r"\s*(?:,\s*)?(?:and|plus|&|as\s+well\s+as|along\s+with|together\s+with|"
                         r"alongside|,)\s*(?:[\w'-]+\s+){0,2}")


def _merge(items: list[Leftover], text: str) -> list[Leftover]:
    """Adjacent leftover words read as one phrase: "or April", not "or", "April"."""
    merged: list[Leftover] = []
    for item in items:
        if merged and re.fullmatch(r"\s*", text[merged[-1].span[1]:item.span[0]]):
            last = merged[-1]
            merged[-1] = Leftover(text[last.span[0]:item.span[1]], (last.span[0], item.span[1]))
        else:
            merged.append(item)
    return merged


def closest_readings(catalog: Catalog, plan: QueryPlan) -> list[Candidate]:
    """The governed definitions the understood part of a question used, offered as choices."""
    if plan.segment is not None and plan.segment.name in catalog.segments:
        return [candidate(catalog, plan.segment.name, plan.segment.member)]
    if plan.metric is not None and plan.metric.name in catalog.metrics:
        return [candidate(catalog, plan.metric.name, None)]
    return []


__all__ = ["Claim", "FUNCTION_WORDS", "MODIFIERS", "Leftover", "closest_readings", "leftovers",
           "sense_used"]
