"""A data question as a pipeline of small named passes over one typed draft.

Like sqlglot's optimizer `RULES`, each pass reads what the earlier ones found and adds one
kind of knowledge; `PASSES` is their order:

    periods      time phrases, snapshots and compared periods      (claims time spans)
    guards       vague questions and vague regions                 (clarify early)
    numbers      limits, month numbers, what-if numbers, grains    (claims numbers)
    senses       governed phrases of the catalog, metric windows
    subject      which segment and member the question is about
    what_ifs     overrides, measures, window overrides
    quantity     the asked quantity binds the metric; which date a period filters
    shape        filters, group-by, compared periods, intent, time range
    scope        something governed was asked, shares, what a shape cannot filter
    build        the QueryPlan
    coverage     every claimed word is used by the plan, or the question gets a clarification

A pass either fills fields of the draft or raises `ClarificationNeeded` / `Refusal`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from assistant import messages
from assistant.catalog.models import Catalog, Restatements, Segment
from assistant.describe import reading
from assistant.errors import ClarificationNeeded, Refusal
from assistant.plan import (
    DimensionRef,
    Filter,
    Intent,
    Measure,
    MetricRef,
    Override,
    QueryPlan,
    SegmentRef,
    TimeGrain,
    TimeRange,
)
from assistant.planner import resolve, shaping, whatif
from assistant.planner.coverage import (
    ACCEPTANCE,
    COURTESY,
    FUNCTION_WORDS,
    HOW_MUCH,
    LIGHT_VERBS,
    SHARE_NAME,
    Leftover,
    closest_readings,
    leftovers,
)
from assistant.planner.lexicon import Entry, Sense, build_lexicon
from assistant.planner.money import earned_by, money_metric, verb_metric, volume_of
from assistant.planner.parsing import (
    Claim,
    Number,
    Parse,
    PhraseMatch,
    candidate,
    governed_words,
    match_phrases,
)
from assistant.planner.patterns import (
    AVERAGE_OF,
    CHANGE_NOUN,
    CHANGE_VERB,
    CHOICE,
    COMPARE_PERIODS,
    COUNT,
    COUNTRY_CODES,
    DATA_WORDS,
    DISTRIBUTION,
    EXPLICIT_LIST,
    GRAIN,
    GRAIN_WORD,
    GROUP_LEAD,
    HISTORY,
    IF_CLAUSE,
    LIMIT,
    LIST,
    LIST_LOOSE,
    MONTH_NUMBER,
    MOVE,
    NOT_A_PERIOD,
    ON_AVERAGE,
    ONE_RANKED,
    ORDER_WORDS,
    ORDINALS,
    PERIOD_OVER,
    RANK_VERB,
    RATE_OF_CHANGE,
    REGION,
    REST,
    RETENTION,
    SAME_LAST_YEAR,
    SHARE,
    SIGNUP_WORDS,
    SUPERLATIVE,
    TIME_LEAD,
    TREND,
    VAGUE_QUESTION,
    VAGUE_TIME,
    WHERE_GO,
    WHICH,
    WHICH_N,
    WHOLE_MATRIX,
    WINDOW_DAYS,
    WINDOW_WORD,
)
from assistant.planner.rule_questions import one_person_question, rule_question
from assistant.planner.text import MARK, SMALL_NUMBERS, STOPWORDS, WORD, normalise, phrase_pattern
from assistant.planner.timephrases import (
    PERIOD_BEFORE,
    Found,
    ends_of,
    find_time,
    period_before,
    preceding,
    snapshot_phrase,
)

Senses = list[tuple[PhraseMatch, Sense]]
WINDOW_GRAIN = ("daily", "weekly", "monthly")


@dataclass
class Draft:
    """Everything the passes have learnt about one data question so far."""

    p: Parse
    catalog: Catalog
    as_of: date
    choice: str | None
    snapshot: Found | None = None  # membership at a date ("champions in January")
    snapshot_said: bool = False  # said as a date of membership ("as of last quarter")
    found: Found | None = None  # the period the question filters
    compared: tuple[Found, ...] = ()
    compared_grain: str | None = None
    change: bool = False  # the change between the two compared periods
    as_of_snapshot: bool = False
    month_number: int | None = None
    limit: int | None = None
    numbers: list[Number] = field(default_factory=list)
    param_spans: list[tuple[int, int]] = field(default_factory=list)
    grain: re.Match[str] | None = None
    senses: Senses = field(default_factory=list)
    segment: Segment | None = None
    member: resolve.Selection = None
    signups_of_period: bool = False
    measure: Measure | None = None
    by_column: str | None = None  # one row per value of the segment's column
    share_governed: bool = False  # the share asked is a governed metric of its own
    ranked: bool = False  # people ranked by a metric ("the top 8 PQLs by order count")
    versus_rest: bool = False  # the segment's people against everyone else, a row each
    overrides: list[Override] = field(default_factory=list)
    metric: str | None = None
    filters: list[Filter] = field(default_factory=list)
    group_by: list[DimensionRef] = field(default_factory=list)
    intent: Intent = Intent.COUNT
    time_range: TimeRange | None = None
    to_members: tuple[str, ...] = ()
    wants_share: bool = False
    share_of_metric: bool = False
    share_of_total: bool = False
    without: str | None = None  # a people-counting metric the people are not counted by
    share_of_segment: bool = False
    signed_up: Found | None = None  # the users' signup period beside the metric's own
    averaged_over: str | None = None  # the grain a metric's figures are averaged over
    order: str | None = None  # "asc" | "desc" when a pass ranks the rows itself
    plan: QueryPlan | None = None

    @property
    def text(self) -> str:
        return self.p.text

    def population(self, metric: str | None) -> bool:
        """No metric, or one that counts the population itself: a question about people."""
        return metric is None or metric in {m.name for m in self.catalog.population_metrics()}


# -- periods ----------------------------------------------------------------------------------
def periods(d: Draft) -> None:
    """Time phrases: the period, a snapshot date, or two compared periods."""
    p, text = d.p, d.text
    d.snapshot = snapshot_phrase(text, d.as_of)
    d.snapshot_said = d.snapshot is not None
    if d.snapshot:
        p.claim(d.snapshot.span, "time")
    said = SAME_LAST_YEAR.search(p.work)  # before "last year" is read as a period of its own
    if said is not None:
        p.claim(said.span(), "time")
    before = PERIOD_BEFORE.search(p.work)  # before "quarter" reads alone
    if before is not None:
        p.claim(before.span("said"), "time")
    over = PERIOD_OVER.search(p.work)  # "week over week": against the week before
    if over is not None:
        p.claim(over.span(), f"compared_{_over_unit(over)}")
    first = find_time(p.work, d.as_of) if not d.snapshot else None
    found = _past_today(p, first, d.as_of)  # the today set aside, if one was
    today_said = first.span if first is not None and found is not first else (0, 0)
    if found:
        p.claim(found.span, "time")
        lead = TIME_LEAD.search(p.text, 0, found.span[0])
        if lead:
            p.claims.append(Claim(lead.span(), "time"))
        _restatements_of(p, found, d.as_of)
        found, earlier = _earlier(p, found, d.as_of, said, before, over)
        second = earlier or find_time(p.work, d.as_of)
        if second is not None and earlier is None and not (COMPARE_PERIODS.search(text) or over or
                                       SAME_LAST_YEAR.search(text) or
                                       shaping.joined_periods(text, found, second)):
            cohort = _signup_period(p, found, second)
            if cohort is not None:  # "AOV in May, customers that joined in February"
                p.claim(second.span, "time")
                d.signed_up, found = cohort
            second = None  # else another period elsewhere: coverage will call it out
        if second is not None:
            p.claim(second.span, "time")
            if earlier is None:
                found, second = _year_of_both(p, found, second, d.as_of)
                found, second = _shared_year(found, second, d.as_of)
            every = _more_periods(p, d.as_of, [found, second])  # "apr, may and jun"
            every = _scoped_by_year(p, d.as_of, every)
            found, d.compared_grain, d.compared = shaping.compare_periods(*every)
        elif (CHANGE_VERB.search(text) or (COMPARE_PERIODS.search(text) or CHANGE_NOUN.search(
                text)) and found.phrase.startswith("between")) and (
                ends := ends_of(found, d.as_of)) is not None:
            # "did AOV climb from March to May", "how did X compare between Q1 and Q3":
            # the two ends compared, not the range between
            found, d.compared_grain, d.compared = shaping.compare_periods(*ends)
        elif (_moves(text, today_said) or WHERE_GO.search(text) or
                p.text[found.span[1]:found.span[1] + 2] == "'s") and not _dates_buying(p, found):
            d.snapshot, found = found, None
    d.found = found
    d.as_of_snapshot = found is not None and not SIGNUP_WORDS.search(text) and not \
        ORDER_WORDS.search(text)


def _past_today(p: Parse, found: Found | None, as_of: date) -> Found | None:
    """Today beside a past period (the PQLs of today who placed orders in May) says whose
    membership, as every segment is today's; the past period is what is measured."""
    if found is None or found.start < as_of:
        return found
    a, b = found.span
    other = find_time(p.work[:a] + " " * (b - a) + p.work[b:], as_of)
    if other is None or other.start >= as_of:
        return found
    p.claim(found.span, "time")
    return other


def _moves(text: str, today: tuple[int, int]) -> bool:
    """A word of movement ("still", "now") other than the today that says whose membership."""
    return any(not (today[0] <= m.start() < today[1]) for m in MOVE.finditer(text))


def _dates_buying(p: Parse, found: Found) -> bool:
    """A period just after a verb of buying ("still ordered ... in May") dates the buying,
    not a membership at the period's end."""
    return any(0 <= found.span[0] - m.end() <= 24 for m in ORDER_WORDS.finditer(p.text))


def _more_periods(p: Parse, as_of: date, said: list[Found]) -> list[Found]:
    """The periods read, with further ones joined to them ("July, September or November"); a year
    written only on the last one is the year of all ("Q1, Q2 and Q3 2025")."""
    every = list(said)
    while (nxt := find_time(p.work, as_of)) is not None and any(
            shaping.joined_periods(p.text, prev, nxt) for prev in every):
        p.claim(nxt.span, "time")
        every.append(nxt)
    if len(every) == len(said):
        return every
    last = max(every, key=lambda f: f.span[0])
    if not WRITTEN_YEAR.search(last.phrase) or any(
            WRITTEN_YEAR.search(f.phrase) for f in every if f is not last):
        return every
    return [f if f is last else _in_year(f, last.start.year, as_of) for f in every]


def _scoped_by_year(p: Parse, as_of: date, every: list[Found]) -> list[Found]:
    """A year said once beside compared periods that have none of their own ("for 2025:
    march against april") is the year of each of them, not one more period compared."""
    years = [f for f in every if YEAR_ONLY.fullmatch(f.phrase)]
    if not years and (year := find_time(p.work, as_of)) is not None and \
            YEAR_ONLY.fullmatch(year.phrase):
        years = [year]
    rest = [f for f in every if f not in years]
    if len(years) != 1 or len(rest) < 2 or any(
            WRITTEN_YEAR.search(f.phrase) or (f.end - f.start).days > 200 for f in rest):
        return every
    p.claim(years[0].span, "time")
    return [_in_year(f, years[0].start.year, as_of) for f in rest]


def _in_year(found: Found, year: int, as_of: date) -> Found:
    """`found` read again in `year` ("Q1" of "Q1, Q2 and Q3 2025"), said as it was."""
    again = find_time(f"{found.phrase} {year}", as_of)
    return found if again is None else Found(again.start, again.end, found.phrase, found.span)


def _over_unit(over: re.Match[str]) -> str:
    """The unit of "week over week" or of its abbreviation ("MoM": month)."""
    if over["unit"]:
        return over["unit"]
    return {"w": "week", "m": "month", "q": "quarter"}[over["abbr"][0]]


def _signup_period(p: Parse, a: Found, b: Found) -> tuple[Found, Found] | None:
    """Of two periods, the one said with a signup word ("joined in February", "February
    registrations", "the cohort of February") picks the users; the other is the period of
    what is measured."""
    def signup(f: Found) -> bool:
        before = p.text[max(0, f.span[0] - 22):f.span[0]]
        after = p.text[f.span[1]:f.span[1] + 12]
        return bool(re.search(rf"{SIGNUP_WORDS.pattern}\s+(?:\w+\s+)?$", before) or
                    re.match(rf"\s*(?:'s\s+)?{SIGNUP_WORDS.pattern}", after))
    marked = [f for f in (a, b) if signup(f)]
    if len(marked) != 1:
        return None
    other = b if marked[0] is a else a
    return marked[0], other


def _year_earlier(p: Parse, found: Found, as_of: date, said: re.Match[str]) -> Found:
    """ "Q3 against that quarter a year before", "April, year on year": the same dates
    a year before `found`, as the period it is compared with."""
    year = find_time(p.work, as_of)
    if year is not None and YEAR_ONLY.fullmatch(year.phrase) and \
            year.start <= found.start and found.end <= year.end:
        p.claim(year.span, "time")  # the period's own year, said again
    start, end = (_a_year_before(x) for x in (found.start, found.end))
    return Found(start, end, "the same period a year earlier", said.span())


def _period_before_same_last_year(p: Parse, found: Found, as_of: date,
                                  said: re.Match[str]) -> Found:
    """A period, then "the same ... a year before", then dates that spell that earlier period
    out (in brackets, say): the period compared is the one said first; the dates after it,
    when they are exactly a year before it, say the earlier period again and are claimed."""
    first: Found | None = found
    later: Found | None = None
    if found.span[0] >= said.end():
        first, later = find_time(p.work, as_of), found
        if first is None or first.span[1] > said.start():
            return found
    elif (nxt := find_time(p.work, as_of)) is not None and nxt.span[0] >= said.end():
        later = nxt
    if first is None or later is None or (later.start, later.end) != (
            _a_year_before(first.start), _a_year_before(first.end)):
        return found  # other dates: left for the comparison or coverage to read
    p.claim(first.span, "time")
    p.claim(later.span, "time")
    return first


def _earlier(p: Parse, found: Found, as_of: date, said: re.Match[str] | None,
             before: re.Match[str] | None,
             over: re.Match[str] | None) -> tuple[Found, Found | None]:
    """The period and the one it is compared with when words say which ("the same quarter
    last year", "the month before", "week over week"); else no earlier one."""
    if said:
        found = _period_before_same_last_year(p, found, as_of, said)
    earlier = _year_earlier(p, found, as_of, said) if said else period_before(
        found, before) if before else preceding(
        found, _over_unit(over), over.span()) if over else None
    if earlier is not None:  # "YoY: H2 2025 against H2 2024": both periods named too
        return _both_named(p, found, earlier, as_of, over if not said else None)
    return found, earlier


def _both_named(p: Parse, found: Found, earlier: Found, as_of: date,
                over: re.Match[str] | None) -> tuple[Found, Found]:
    """ "Year-over-year, H2 2025 against H2 2024", "MoM, June over May": the compared
    periods are also named, in either order; the one named besides is claimed, and the later
    of the two is the period compared with the one before it."""
    def before(later: Found) -> Found | None:
        return preceding(later, _over_unit(over), over.span()) if over else Found(
            _a_year_before(later.start), _a_year_before(later.end), earlier.phrase, earlier.span)

    def same(a: Found | None, b: Found) -> bool:
        return a is not None and (a.start, a.end) == (b.start, b.end)

    if found.ends is not None and same(before(found.ends[1]), found.ends[0]):
        return found.ends[1], found.ends[0]  # "YoY, Q1 2025 to Q1 2026": the range's two ends
    named = find_time(p.work, as_of)
    if named is not None and same(named, earlier):
        p.claim(named.span, "time")
        return found, replace(earlier, phrase=named.phrase)
    if named is not None and same(before(named), found):
        p.claim(named.span, "time")  # the earlier one was said first
        return named, found
    return found, earlier


def _a_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _restatements_of(p: Parse, found: Found, as_of: date) -> None:
    """Periods that say `found` again in other words ("Q2 (april to june)", "the
    past fortnight (14 days)"): consecutive periods that together cover exactly `found`."""
    work, spans, covered = p.work, [], found.start
    while (again := find_time(work, as_of)) is not None:
        if again.start != covered or again.end > found.end:
            break
        spans.append(again.span)
        work = work[:again.span[0]] + MARK * (again.span[1] - again.span[0]) + \
            work[again.span[1]:]
        covered = again.end + timedelta(days=1)
        if again.end == found.end:
            for span in spans:
                p.claim(span, "time")
            return


def _year_of_both(p: Parse, first: Found, second: Found, as_of: date) -> tuple[Found, Found]:
    """A year said once after two compared periods ("june against july of 2025",
    "Q3 or Q4 last year") is the year of both."""
    year = find_time(p.work, as_of)
    if year is None or not YEAR_ONLY.fullmatch(year.phrase) or \
            year.span[0] < max(first.span[1], second.span[1]):
        return first, second
    if any(WRITTEN_YEAR.search(f.phrase) for f in (first, second)):
        return first, second
    again = [find_time(f"{f.phrase} {year.start.year}", as_of) for f in (first, second)]
    if again[0] is None or again[1] is None or not all(
            year.start <= g.start and g.end <= year.end for g in again if g):
        return first, second
    p.claim(year.span, "time")
    return (Found(again[0].start, again[0].end, first.phrase, first.span),
            Found(again[1].start, again[1].end, second.phrase, second.span))


# A period that is only a year: "this year", "of last year", "in 2025".
YEAR_ONLY = re.compile(r"(?:(?:in|of|for|during)\s+)?(?:(?:this|last|previous|prior|current)\s+"
                       r"year|20\d\d)")


def _shared_year(first: Found, second: Found, as_of: date) -> tuple[Found, Found]:
    """A year written once, on the later of two periods ("the first or second half of 2024",
    "march vs april of last year"), belongs to both."""
    early, late = sorted((first, second), key=lambda f: f.span[0])
    if not WRITTEN_YEAR.search(late.phrase) or WRITTEN_YEAR.search(early.phrase):
        return first, second
    again = find_time(f"{early.phrase} {late.start.year}", as_of)
    if again is None or (again.start, again.end) == (late.start, late.end):
        return first, second  # "Q1 vs Q1 last year": the year tells them apart
    early = Found(again.start, again.end, early.phrase, early.span)
    return (early, late) if early.span == first.span else (late, early)


WRITTEN_YEAR = re.compile(r"\b20\d\d\b|'\d\d\b|\byear\b")


# -- guards -----------------------------------------------------------------------------------
def guards(d: Draft) -> None:
    """Questions too vague to plan, and regions the catalog does not declare."""
    text = d.text
    if VAGUE_QUESTION.search(text):
        raise ClarificationNeeded(messages.clarify_vague(_examples(d.catalog)), [])
    vague = VAGUE_TIME.search(text)
    if d.found is None and d.snapshot is None and vague:
        raise ClarificationNeeded(messages.CLARIFY_PERIOD.format(phrase=vague[0]), [])
    region = next((m for m in REGION.finditer(text)
                   if not governed_words(text, m.span(), d.catalog)), None)
    geography = d.catalog.geography()
    if region and geography is not None:  # without one, the region is a word not understood
        accepted = ", ".join(f"{v.label} ({v.value})" for v in geography.values)
        raise ClarificationNeeded(messages.CLARIFY_REGION.format(
            region=region[0], accepted=accepted), [])


def _examples(catalog: Catalog) -> list[str]:
    """What a vague question could ask for, in the catalog's words: metrics, then segments."""
    metrics = [m.label.lower() for m in catalog.metrics.values()]
    return metrics[:4] + [s.label.lower() for s in catalog.segments.values()][:2]


# -- numbers ----------------------------------------------------------------------------------
def numbers(d: Draft) -> None:
    """Limits, cohort month numbers, what-if numbers and the time grain."""
    p = d.p
    d.month_number = _month_number(p)
    if (m := LIMIT.search(p.work)) is not None:
        d.limit = int(m[2] or m[4])
        p.claim(m.span(), "limit")
    elif (m := WHICH_COUNT.search(p.work)) is not None and SUPERLATIVE.search(p.text, m.end()):
        d.limit = _count(m["n"])  # "which 4 regions hold the most", "what two plans earn least"
        p.claim(m.span("n"), "limit")
    _window_said(d)
    d.numbers = whatif.numbers(p, d.catalog)
    d.param_spans = [span for n in d.numbers for span in n.spans] + \
        whatif.restated_rules(p, d.catalog)
    masked = p.work
    for a, b in d.param_spans:
        masked = masked[:a] + MARK * (b - a) + masked[b:]
    d.grain = next((g for g in GRAIN.finditer(masked)  # "daily actives" is a metric
                    if not (g[3] and re.match(r"\s+actives?\b", masked[g.end():]))
                    and not (g[3] and governed_words(masked, g.span(), d.catalog))), None)
    if d.grain is None and d.found is None and not d.snapshot:  # no period to compare with
        d.grain = UNIT_OVER_UNIT.search(p.text)  # "signups, year over year": by year
    if d.grain:
        p.claim(d.grain.span(), "grain")
        said = re.search(rf"\b{_grain_unit(d.grain)}\s+$", p.work[:d.grain.start()])
        if said is not None and d.grain[2]:  # "week by week": the unit said on both sides
            p.claim(said.span(), "grain")
        for again in GRAIN.finditer(p.work):  # "weekly signups, by signup week": said twice
            if _grain_unit(again) == _grain_unit(d.grain):
                p.claim(again.span(), "grain")


# A metric's window said as a noun: "a 50-day window (not the default 30)", "a window of
# 14 days", "a 90 day lookback".
WINDOW_SAID = re.compile(
    r"\b(?:(?:an?|the|our)\s+)?(?:(?:usual|default|standard|normal|governed|current)\s+)?"
    r"(?P<days>\d{1,3})[\s-]*days?\s+(?:window|look[\s-]?back)\b"
    r"(?P<old>\s+(?:instead\s+of|rather\s+than|not)\s+(?:(?:the|our)\s+)?(?:(?:usual|default|"
    r"standard|normal|governed|current|regular)\s+)?(?P<was>\d{1,3})(?:[\s-]*days?)?)?|"
    r"\b(?:an?\s+|the\s+)?window\s+of\s+(?P<of>\d{1,3})\s+days?\b")


def _window_said(d: Draft) -> None:
    """ "Actives, with a 50-day window rather than the standard 30": the window of
    the one metric named that has a default window, when no segment (whose own window a
    what-if would change) is named; the default said beside it is only restated."""
    said = WINDOW_SAID.search(d.p.work)
    if said is None or d.found is not None or d.snapshot is not None:
        return
    lexicon = [e for e in build_lexicon(d.catalog) if e.pattern.search(d.text)]
    if any(s.kind in ("segment", "member") for e in lexicon for s in e.senses):
        return
    windowed = {m.name: m.default_window_days for e in lexicon for s in e.senses
                if s.kind == "metric" and (m := d.catalog.metrics.get(s.name)) is not None
                and m.default_window_days}
    if len(windowed) != 1 or said["was"] and int(said["was"]) not in windowed.values():
        return
    days = int(said["days"] or said["of"])
    span = said.span()
    d.found = Found(d.as_of - timedelta(days=days - 1), d.as_of, f"the last {days} days", span)
    d.p.claim(span, "time")
    lead = re.search(r"\b(?:using|use|with|over|on|in|across|for)\s+$", d.text[:span[0]])
    if lead is not None:
        d.p.claim(lead.span(), "time")


# "Year over year", "month on month" with no period named: a series of that unit, in the
# groups of GRAIN (the unit is the second; the first and third stay empty).
UNIT_OVER_UNIT = re.compile(r"\b()(year|quarter|month|week)[\s-]+(?:over|on)[\s-]+\2\b()")


def _grain_unit(match: re.Match[str]) -> str:
    return match[2] or GRAIN_WORD[match[3]]


def _month_number(p: Parse) -> int | None:
    """The cohort month a retention question selects; said twice ("4 months on, i.e. month
    4") it must agree, or the question is unclear."""
    if not RETENTION.search(p.text):
        return None
    found = list(MONTH_NUMBER.finditer(p.work))
    values = {_month_value(m) for m in found}
    if len(values) != 1:
        return None  # none, or two different months: coverage calls the words out
    for m in found:
        p.claim(m.span(), "month_number")
    return values.pop()


def _month_value(m: re.Match[str]) -> int:
    if m["zero"]:
        return 0
    raw = m[1] or m[2] or m[4] or m[5] or m[6]
    return int(raw) if raw else ORDINALS[m[3]]


# -- senses -----------------------------------------------------------------------------------
def senses(d: Draft) -> None:
    """The catalog's governed phrases, country codes, and a metric's window adjective."""
    p = d.p
    _country_codes(p, d.catalog)
    match_phrases(p, d.catalog)
    money_metric(p, d.catalog)
    verb_metric(p, d.catalog)
    earned_by(p, d.catalog)
    volume_of(p, d.catalog)
    _ranking_superlative(p, d.catalog)
    # words that belong to a what-if value ("45 days inactive") name no segment
    p.matches = [m for m in p.matches if not any(
        a <= m.span[0] and m.span[1] <= b for a, b in d.param_spans)]
    _restatements(d)
    _member_beside_family(p, d.catalog)
    _verbs_not_values(p)
    window = _metric_window(p, d.catalog, d.as_of)
    if window is not None and d.found is None and d.snapshot is None:
        d.found = window
    elif window is not None and d.grain is None and d.found is not None and \
            (d.found.end - d.found.start).days + 1 > (window.end - window.start).days + 1:
        # "daily actives over a fortnight", "WAU over the past quarter": a row each day (the
        # window's own unit) of a longer period
        d.grain = GRAIN.search(p.text, window.span[0], window.span[1] + 1) \
            if window.phrase in WINDOW_GRAIN else _window_unit(window)
    elif window is None and d.grain is None and d.found is not None:
        d.grain = _own_window_grain(p, d.catalog, d.found)
    d.senses = [(m, s) for m in p.matches for s in m.senses]


# An auxiliary and its subject: the next word is the clause's verb ("did the west region
# book", "do trial users generate").
AUX_SUBJECT = re.compile(r"\b(?:did|do|does|will|would|can|could)\s+(?:\S+\s+){1,3}$")


def _verbs_not_values(p: Parse) -> None:
    """A value named by a light verb ("Books", "Sales") said as the verb after an auxiliary
    and its subject ("how much did Asia book") is the verb, not the value."""
    p.matches = [m for m in p.matches if not (
        all(s.kind == "value" for s in m.senses) and m.span[0] >= 0
        and LIGHT_VERBS.fullmatch(p.text[m.span[0]:m.span[1]]) is not None
        and AUX_SUBJECT.search(p.text[:m.span[0]]) is not None)]


def _member_beside_family(p: Parse, catalog: Catalog) -> None:
    """ "other than at-risk lifecycle members": a word that names another segment, said right
    before a family that has a member of that name, is that member of the family."""
    for i, match in enumerate(p.matches):
        if match.span[0] < 0 or any(s.kind == "member" for s in match.senses):
            continue
        said = p.text[match.span[0]:match.span[1]]
        nxt = next((m for m in p.matches if m.span[0] >= match.span[1] and
                    not p.text[match.span[1]:m.span[0]].strip()), None)
        families = [catalog.segments[s.name] for s in (nxt.senses if nxt else ())
                    if s.kind == "segment" and s.name in catalog.segments]
        owned = [(f.name, m.name) for f in families for m in f.members
                 if said in {m.name.replace("_", " "), normalise(m.label)}]
        if len(owned) == 1:
            entry = Entry(match.entry.phrase, (Sense("member", owned[0][0], owned[0][1]),))
            p.matches[i] = PhraseMatch(entry, match.span)


# One period of a grain asked for by a superlative: "which month saw the largest order count".
WHICH_PERIOD = re.compile(r"\b(?:which|what)\s+(?:single\s+)?(?P<unit>day|date|week|month|quarter|"
                          r"year)\b")


# A superlative said of a period itself: "the best month", "our biggest revenue quarter".
PERIOD_NOUN = re.compile(r"\s*(?P<unit>day|week|month|quarter|year)\b(?!\s*(?:over|on)\b)")


# A count of periods ranked by a figure: "top 3 months", "our two busiest weeks", "the 5
# slowest days" (a ranking word must say which end: "top", "bottom" or a superlative).
RANKED_PERIODS = re.compile(
    rf"\b(?:(?P<lead>top|best|bottom|worst)\s+)?(?P<n>\d{{1,3}}|{shaping.SMALL_COUNT})\s+"
    rf"(?:(?P<sup>{re.sub(r'[?]P<[a-z]+>', '?:', SUPERLATIVE.pattern)})\s+)?"
    r"(?P<unit>day|week|month|quarter|year)s\b")


# A count of the groups ranked, said after the question word; a superlative later says
# which end ("which 4 regions hold the most accounts", "what three plans earned the least").
WHICH_COUNT = re.compile(
    rf"\b(?:which|what)\s+(?P<n>\d{{1,3}}|{shaping.SMALL_COUNT})\b{NOT_A_PERIOD}")


def _ranked_periods(text: str) -> tuple[re.Match[str], str] | None:
    """A count of periods with the end it ranks from ("asc" for "bottom 3", "two slowest")."""
    for m in RANKED_PERIODS.finditer(text):
        if m["lead"] or m["sup"]:
            said = SUPERLATIVE.fullmatch(m["sup"] or m["lead"])
            low = m["lead"] in ("bottom", "worst") or said is not None and said["asc"]
            return m, "asc" if low else "desc"
        later = SUPERLATIVE.search(text, m.end())  # "which 3 weeks saw the biggest signups"
        if later is not None and re.search(r"\b(?:which|what)\s+$", text[:m.start()]):
            return m, "asc" if later["asc"] else "desc"
    return None


def _count(said: str) -> int:
    return int(said) if said.isdigit() else SMALL_NUMBERS[said]


def _superlative_period(p: Parse) -> re.Match[str] | None:
    """A superlative that heads a period noun, with at most a governed metric phrase
    between them ("biggest revenue month", "best week for signups"): one period of that
    grain is asked for. A period noun already read as a time phrase ("last month") is not."""
    for sup in SUPERLATIVE.finditer(p.work):
        at = sup.end()
        metric = next((m for m in p.matches if m.span[0] >= at and not p.work[at:m.span[0]].strip()
                       and any(s.kind == "metric" for s in m.senses)), None)
        noun = PERIOD_NOUN.match(p.work, metric.span[1] if metric else at)
        if noun is not None:
            return noun
    return None


def _trend_grain(p: Parse, trend: re.Match[str], found: Found | None) -> re.Match[str] | None:
    """ "AOV trending since March", "orders over time": a metric's trend without a grain is
    read per month, or per week or day over a period too short for months; the answer says
    which."""
    days = (found.end - found.start).days + 1 if found else 10_000
    unit = "month" if days > 62 else "week" if days > 14 else "day"
    p.claim(trend.span(), "grain")
    return GRAIN.fullmatch(f"by {unit}")


def _window_unit(window: Found) -> re.Match[str] | None:
    """The grain a declared window abbreviation stands for: a day (DAU) or a week (WAU)."""
    unit = {1: "day", 7: "week"}.get((window.end - window.start).days + 1)
    return GRAIN.fullmatch(f"by {unit}") if unit else None


def _own_window_grain(p: Parse, catalog: Catalog, found: Found) -> re.Match[str] | None:
    """A windowed metric whose own governed phrase holds a window adjective ("monthly active
    users") over a longer named period is read per that window: a row for every month of the
    year, not one distinct count over all of it. So is a metric whose name holds the adjective
    (a model's `daily_revenue`) over a period longer than its unit: whichever the name means,
    the words ask for the figure of each day."""
    days = (found.end - found.start).days + 1
    for match in p.matches:
        grain = GRAIN.search(p.text, match.span[0], match.span[1]) if match.span[0] >= 0 \
            else None
        if grain is None or grain[0] not in WINDOW_GRAIN:
            continue
        unit = {"daily": 1, "weekly": 7, "monthly": 31}[grain[0]]
        if any(s.kind == "metric" and (m := catalog.metrics.get(s.name)) is not None and
               (m.default_window_days or unit) < days for s in match.senses):
            return grain  # a metric named "daily revenue" over a week: a row each day
    return None


# "Which <group> *has the most* <people>": the superlative ranks the rows by count.
HAS_THE = re.compile(r"\b(has|have|had|with|gets?|got|brings?|brought|produces?|produced|"
                     r"drives?|sees?|saw)\s+(the\s+)$")
RANKING_WORD = re.compile(r"^(most|fewest|least)\s")


def _ranking_superlative(p: Parse, catalog: Catalog) -> None:
    """A governed phrase that starts with the superlative of a "which <group> has the most"
    question ("most engaged") gives that word back to the ranking and is matched again."""
    if not WHICH.search(p.text):
        return
    for m in list(p.matches):
        a, b = m.span
        said = p.text[a:b]
        if a < 0 or not RANKING_WORD.match(said) or not HAS_THE.search(p.text[:a]):
            continue
        p.matches.remove(m)
        word_end = a + len(said.split()[0])
        p.work = p.work[:a] + MARK * (word_end - a) + p.text[word_end:b] + p.work[b:]
        match_phrases(p, catalog)


def _restatements(d: Draft) -> None:
    """A definition's rule said in words (`restated_by` in the YAML): every part of one
    restatement said names the definition (onboarded + invited colleagues + built 4 projects
    is a PQL question with min_projects=4); parts said next to the definition's own name
    are understood as restating it. A phrase read as a restatement is not also a filter
    (inviting colleagues is not the Referral channel)."""
    p, catalog = d.p, d.catalog
    senses = [s for m in p.matches for s in m.senses]
    named = {s.name for s in senses}
    population = {m.name for m in catalog.population_metrics()}
    free = {  # nothing else of the kind is named, so a whole restatement may name it
        "segment": not any(s.kind in ("segment", "member") for s in senses),
        "metric": not any(s.kind == "metric" and s.name not in population for s in senses)}
    bound = {(seg, param) for n in d.numbers for _, seg, param in n.params}
    objects: list[tuple[str, str, Restatements]] = [
        *(("segment", s.name, s.restated_by) for s in catalog.segments.values()),
        *(("metric", m.name, m.restated_by) for m in catalog.metrics.values())]
    taken: list[tuple[int, int]] = []
    for kind, name, restatements in objects:  # first, parts said beside the name
        if name in named:
            for restatement in restatements:
                spans, _ = _said(p, restatement, name, bound, taken)
                _read_as(p, spans, Sense(kind, name))
                taken.extend(spans)
    whole = [(kind, name, spans) for kind, name, restatements in objects if free[kind]
             and name not in named for r in restatements
             for spans, complete in [_said(p, r, name, bound, taken)] if complete and spans]
    for kind, name, spans in whole:  # then whole restatements, unless two owners share words
        if not any(other != name and _overlap(spans, others) for _, other, others in whole):
            _read_as(p, spans, Sense(kind, name))


def _joined(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Parts of one restatement joined by a comma, "and" or "or" read as one phrase."""
    out: list[tuple[int, int]] = []
    for span in sorted(spans):
        if out and re.fullmatch(r"[\s,]*(?:and|or|and/or|plus|&)?[\s,]*(?:then\s+)?",
                                text[out[-1][1]:span[0]]):
            out[-1] = (out[-1][0], span[1])
        else:
            out.append(span)
    return out


def _overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    return any(x[0] < y[1] and y[0] < x[1] for x in a for y in b)


def _said(p: Parse, parts: tuple[tuple[str, ...], ...], owner: str,
          bound: set[tuple[str, str]], taken: list[tuple[int, int]]
          ) -> tuple[list[tuple[int, int]], bool]:
    """Spans of the parts the question says, and whether it says all of them."""
    spans, complete = [], True
    for part in parts:
        if len(part) == 1 and part[0].startswith("{"):
            complete &= (owner, part[0][1:-1]) in bound
            continue
        hits = [m.span() for alt in part for m in phrase_pattern(normalise(alt)).finditer(p.text)
                if not any(m.start() < b and a < m.end() for a, b in taken)]
        if hits:
            spans.append(min(hits))
        else:
            complete = False
    return spans, complete


def _read_as(p: Parse, spans: list[tuple[int, int]], sense: Sense) -> None:
    if not spans:
        return
    spans = _joined(p.text, spans)
    phrase = p.text[spans[0][0]:spans[0][1]]
    entry = Entry(phrase, (sense,))
    p.matches = [m for m in p.matches if not any(
        m.span[0] < b and a < m.span[1] for a, b in spans)]
    for span in spans:
        p.matches.append(PhraseMatch(entry, span))
        p.consume(span)
    p.matches.sort(key=lambda m: m.span[0])


def _country_codes(p: Parse, catalog: Catalog) -> None:
    """Upper-case two-letter codes ("US", "DE") of the geography dimension's values."""
    geography = catalog.geography()
    if geography is None or p.original.upper() == p.original:
        return
    declared = {v.value.upper() for v in geography.values}
    for code in COUNTRY_CODES.findall(p.original):
        value = {"UK": "GB"}.get(code, code)
        if value not in declared:
            continue
        entry = Entry(code.lower(), (Sense("value", geography.name, value),))
        spans = [m.span() for m in entry.pattern.finditer(p.work)]
        p.matches.append(PhraseMatch(entry, spans[0] if spans else (-1, -1)))
        for span in spans:
            p.consume(span)


def _metric_window(p: Parse, catalog: Catalog, as_of: date) -> Found | None:
    """"Daily actives", "a 7-day active count": a metric with a default window, read
    over the window its adjective names (the last 1, 7, 30 or N days)."""
    for match in p.matches:
        named = next((s.window_days for s in match.senses if s.window_days), None)
        if named is not None and match.span[0] >= 0:
            phrase = "today" if named == 1 else f"the last {named} days"
            return Found(as_of - timedelta(days=named - 1), as_of, phrase, match.span)
        windowed = [s for s in match.senses if s.kind == "metric" and
                    (metric := catalog.metrics.get(s.name)) is not None and
                    metric.default_window_days]
        if not windowed or match.span[0] < 0:
            continue
        word = WINDOW_WORD.search(p.text, 0, match.span[0])
        if word is None:
            continue
        days = int(word[2]) if word[2] else WINDOW_DAYS[word[1]]
        p.claim(word.span(), "time")
        start = as_of - timedelta(days=days - 1)
        return Found(start, as_of, word[0].strip(), word.span())
    return None


# -- subject ----------------------------------------------------------------------------------
def subject(d: Draft) -> None:
    """Which segment (and member) the question is about."""
    p = d.p
    families = {s.name for _, s in d.senses if s.kind == "segment"}
    member_matches = [m for m in p.matches if any(s.kind == "member" for s in m.senses)]
    d.segment, d.member = resolve.resolve_segment(p, d.catalog, families, member_matches,
                                                  d.choice, d.numbers)
    if d.segment is None and RETENTION.search(d.text):
        d.segment, d.member = d.catalog.retention_segment(), None
        if d.segment is not None:  # now named: its rule's words restate it
            for restatement in d.segment.restated_by:
                spans, _ = _said(p, restatement, d.segment.name, set(), [])
                _read_as(p, spans, Sense("segment", d.segment.name))
    _against_the_rest(d)
    if d.segment is None and d.found is not None:
        _new_people(d)
    if (d.found is not None or d.grain is not None) and d.segment is not None and \
            shaping.new_means_signups(p, d.segment):
        d.signups_of_period = True
        for match in p.matches:  # "new users this month" are this month's signups
            if match.entry.phrase.startswith("new ") and match.span[0] >= 0:
                p.claims.append(Claim(match.span, "signup"))
        d.segment, d.member = None, None


def _against_the_rest(d: Draft) -> None:
    """ "Order count of PQLs against everybody else", "PQLs vs non-PQLs": the segment's
    people and the others, one row each."""
    p = d.p
    if d.segment is None and len(p.excluded) == 1 and not p.also and \
            resolve.against_its_complement(p, p.excluded[0][0]):
        name, member = p.excluded[0]
        d.segment, d.member, p.excluded, d.versus_rest = d.catalog.segments[name], member, [], True
        return
    rest = REST.search(d.text)
    if d.segment is None or rest is None or p.excluded or p.also:
        return
    named = [m.span[1] for m in p.matches if 0 <= m.span[1] <= rest.start() and any(
        s.kind in ("segment", "member") and s.name == d.segment.name for s in m.senses)]
    # the rest of whom: right after the segment ("champions vs the rest"), not after a value
    # or a period ("champions in Japan vs the rest" is no comparison this reads)
    if named and re.fullmatch(r"\s*(users|customers|accounts|people|folks)?\s*",
                              d.text[max(named):rest.start()]):
        p.claim(rest.span(), "rest")
        d.versus_rest = True


def _new_people(d: Draft) -> None:
    """ "New accounts last week": people called new in a period are that period's signups."""
    population = {m.name for m in d.catalog.population_metrics()}
    for match in d.p.matches:
        if match.span[0] >= 0 and any(s.kind == "metric" and s.name in population
                                      for s in match.senses):
            new = re.search(r"\bnew\s+$", d.p.text[:match.span[0]])
            if new:
                d.p.claims.append(Claim(new.span(), "signup"))


# -- what-ifs ---------------------------------------------------------------------------------
def _in_metric_name(d: Draft, at: int) -> bool:
    """Whether the word at `at` is part of a metric's own name ("average policy size")."""
    return any(m.span[0] <= at < m.span[1] and any(s.kind == "metric" for s in m.senses)
               for m in d.p.matches)


def _averaged_metric(d: Draft, average: re.Match[str]) -> PhraseMatch | None:
    """"Average absolute error" where the metric named right after the word is itself an
    average (AVG(...)): the word restates the metric's own aggregation."""
    if average[1] == "median":
        return None
    return next((m for m in d.p.matches if m.span[0] == average.start(2) and any(
        s.kind == "metric" and _is_an_average(d, s.name) for s in m.senses)), None)


def _is_an_average(d: Draft, name: str) -> bool:
    """Whether the governed metric `name` is itself an average (`AVG(...)`)."""
    metric = d.catalog.metrics.get(name)
    return metric is not None and metric.expr.upper().startswith("AVG(")


def _average_per_period(d: Draft, average: re.Match[str] | None) -> bool:
    """ "Mean weekly <metric> this year", "<metric> per day on average": a metric named with
    a grain of its own time, averaged over the periods of the question's period."""
    said = average if average is not None and average[1] != "median" else ON_AVERAGE.search(
        d.text)
    if said is None or d.grain is None or d.grain[1] or d.measure is not None:
        return False  # (a grain "by signup month" splits people; it averages no period)
    adverb = said.re is ON_AVERAGE  # "on average" stands apart from the metric it averages
    near = (said.start(), said.end()) if adverb else (said.start(2), said.end())
    metrics = [m for m, s in d.senses if s.kind == "metric" and near[0] <= m.span[0] <= near[1]
               and not _is_an_average(d, s.name)]
    if not metrics and not adverb:
        return False
    if d.found is None:
        raise ClarificationNeeded(messages.AVERAGE_NEEDS_PERIOD, [])
    d.averaged_over, d.grain = _grain_unit(d.grain), None
    if d.found.end > d.as_of:  # "in 2026" on 30 June: averaged over the months so far
        d.found = replace(d.found, end=d.as_of)
    d.p.claim(said.span() if adverb else said.span(1), "average")
    return True


def what_ifs(d: Draft) -> None:
    """Averages of a segment's column, what-if overrides and a window given as a period."""
    average = AVERAGE_OF.search(d.text)
    named = _averaged_metric(d, average) if average else None
    if _average_per_period(d, average):
        pass  # "average monthly revenue": each month's figure, averaged over the months
    elif average and named is not None:  # "average absolute error": the word is the metric's
        d.p.matches[d.p.matches.index(named)] = PhraseMatch(named.entry,
                                                            (average.start(1), named.span[1]))
        d.p.consume(average.span(1))
        d.senses = [(m, s) for m in d.p.matches for s in m.senses]
    elif average and not _in_metric_name(d, average.start()):
        d.segment, d.measure = shaping.measure(average, d.text, d.catalog, d.segment)
    d.overrides = whatif.overrides(d.numbers, d.catalog, d.segment, d.p)
    _owner_is_no_selection(d)
    _owners_in_the_if(d)
    window = None if _metric_in_period(d) else _window_override(d.found, d.segment, d.text)
    if window is not None:  # "logging in 3 times weekly across the past 6 weeks"
        d.overrides.append(window)
        d.found = None
    bar = d.segment.parameter_with_role("threshold") if d.segment else None
    if d.segment and d.member is None and bar is not None and \
            bar.name in {o.parameter for o in d.overrides}:
        d.member = whatif.at_least_member(d.segment, d.numbers) or whatif.passes_it(
            d.p, d.segment)
    elif d.segment and d.member is None and bar is not None and d.segment.members:
        passed = whatif.passes_the_bar(d.p, bar)  # "accounts clearing the scoring bar"
        if passed is not None:
            d.p.claim(passed, "segment")
            d.member = d.segment.members[0].name


def _owners_in_the_if(d: Draft) -> None:
    """ "tier sizes if low risk began at 10 idle days": a member named in the what-if clause whose
    own rule the what-if changes is the rule's name there."""
    changed = {o.parameter for o in d.overrides if d.segment and o.segment == d.segment.name}
    clauses = [c.span() for c in IF_CLAUSE.finditer(d.p.text)]
    for m in d.p.matches:
        if m.span[0] >= 0 and any(a <= m.span[0] < b for a, b in clauses) and any(
                s.kind == "member" and d.segment is not None and s.name == d.segment.name and
                any(p.startswith(s.detail + "_") for p in changed) for s in m.senses):
            d.p.claim(m.span, "number")


def _owner_is_no_selection(d: Draft) -> None:
    """ "tier sizes with a low-risk bar of 9 days": a member said once, right before
    the words of the rule being changed, names that rule, not the rows asked for."""
    if not isinstance(d.member, str) or d.member not in whatif.rule_owners(
            d.numbers, d.catalog, d.segment):
        return
    said = [m for m in d.p.matches if m.span[0] >= 0 and any(
        s.kind == "member" and s.detail == d.member for s in m.senses)]
    member = next((m for m in d.segment.members if m.name == d.member), None) \
        if d.segment else None
    if len(said) != 1 or member is None:
        return
    patterns = [said[0].entry.pattern, *(phrase_pattern(w) for w in {
        member.name.replace("_", " "), normalise(member.label)})]
    end = said[0].span[1]
    compound = any(not d.p.text[end:a].strip() for n in d.numbers for a, _ in n.spans if a >= end)
    if compound and len({x.start() for pat in patterns for x in pat.finditer(d.p.text)}) == 1:
        d.p.claim(said[0].span, "number")
        d.member = None


def _metric_in_period(d: Draft) -> bool:
    """ "Revenue in May from PQLs": a metric with a time column of its own is
    named, so the period is when it happened, never the segment's window."""
    people = {m.name for m in d.catalog.population_metrics()}
    for _, sense in d.senses:
        metric = d.catalog.metrics.get(sense.name) if sense.kind == "metric" else None
        if metric is not None and metric.name not in people and metric.time_column:
            return True
    return False


def _window_override(found: Found | None, segment: Segment | None,
                     text: str) -> Override | None:
    """"Across the past 6 weeks" is the window parameter of a segment counted in weeks, not
    a signup period, when the question doesn't talk about signing up."""
    window = segment.parameter_with_role("window") if segment else None
    if found is None or segment is None or window is None or window.unit != "weeks" or \
            SIGNUP_WORDS.search(text):
        return None
    weeks = re.search(r"(?:(\d+)\s+weeks?|(?:last|past)\s+week)$", found.phrase)
    if weeks is None:
        return None
    return Override(parameter=window.name, value=float(weeks[1] or 1), segment=segment.name)


# -- quantity ---------------------------------------------------------------------------------
def quantity(d: Draft) -> None:
    """The asked quantity binds the metric; a period becomes a snapshot or a plain range."""
    d.metric = shaping.metric_name(d.senses, d.segment, d.catalog, share=_asks_share(d),
                                   dated=d.found is not None and d.signed_up is None
                                   and not SIGNUP_WORDS.search(d.text))
    d.metric = shaping.buyers(d.p, d.catalog, d.metric, d.segment)
    d.without = shaping.lacking(d.p, d.catalog, d.metric)
    if d.without is not None:  # "pro users who never ordered": people, not among the buyers
        d.metric = next((m.name for m in d.catalog.population_metrics()), d.metric)
    segment, current = d.segment, d.snapshot or d.found
    # "this morning's churned users": a period as a possessive names a segment's members now
    possessive = current is not None and d.text[current.span[1]:].startswith("'s ")
    if current is not None and current.start >= d.as_of and (
            segment is not None and (segment.history or possessive) or d.population(d.metric)
            and not d.signups_of_period and not SIGNUP_WORDS.search(d.text)
            and not re.search(r"\bnew\b", d.text)):  # "new users today" are today's signups
        d.snapshot = d.found = None  # "engaged users today" is membership now, as of as_of
    measured = d.metric is not None and not d.population(d.metric)
    if d.snapshot is not None and d.found is None and (
            not (segment and segment.history) or measured and not d.snapshot_said):
        # signups of a named quarter, "2025 revenue from today's hibernating": a plain period
        d.snapshot, d.found = None, d.snapshot
    if d.as_of_snapshot and segment is not None and segment.history and \
            d.population(d.metric) and d.found is not None and d.without is None:
        d.snapshot, d.found = d.found, None  # "champions in January": membership then


# -- shape ------------------------------------------------------------------------------------
def shape(d: Draft) -> None:
    """Filters, grouping, compared periods, the intent and the time range."""
    p, catalog = d.p, d.catalog
    d.filters = shaping.filters(p, d.senses, catalog, d.choice)
    named = any(s.kind == "metric" for _, s in d.senses)  # "any trend?" names nothing
    if d.grain is None and named and (d.segment is None or not d.population(d.metric)) and \
            (trend := TREND.search(p.work)) is not None:  # a segment's trend is its history
        d.grain = _trend_grain(p, trend, d.found)
    if d.grain is None and named and (ranked := _ranked_periods(p.text)) is not None:
        p.claim(ranked[0].span(), "grain")  # "top 3 months by revenue", "two busiest weeks"
        d.grain = GRAIN.fullmatch(f"by {ranked[0]['unit']}")
        d.limit, d.order = _count(ranked[0]["n"]), ranked[1]
    if d.grain is None and named and SUPERLATIVE.search(d.text) and \
            (which := WHICH_PERIOD.search(p.work) or _superlative_period(p)) is not None:
        p.claim(which.span("unit"), "grain")  # "which week saw most", "our best month"
        d.grain = GRAIN.fullmatch(f"by {'day' if which['unit'] == 'date' else which['unit']}")
        d.limit = d.limit or 1
    d.group_by = shaping.group_by(p, d.senses, catalog, d.metric, d.segment, d.grain,
                                  d.versus_rest)
    _value_against_the_rest(d)
    d.by_column = shaping.by_column(p, d.segment) if d.measure is None else None
    if d.compared_grain is not None or d.compared:
        _compared_shape(d)
    _people_ranked(d)
    d.intent = _intent(d)
    _the_one_chosen(d)
    if d.measure is not None:
        d.intent, d.metric = (Intent.BREAKDOWN if d.group_by else Intent.METRIC), None
    if d.compared and d.intent not in (Intent.COUNT, Intent.METRIC, Intent.BREAKDOWN):
        raise ClarificationNeeded(messages.CLARIFY_COMPARE_PERIODS, [])
    if d.intent == Intent.RETENTION:
        _cohort_size(d)
        _ranked_cohorts(d)
    _time_range(d)


def _value_against_the_rest(d: Draft) -> None:
    """ "Refunded against all the rest": one value of a dimension that has two, against the
    rest, is the dimension's two values, a row each."""
    rest = REST.search(d.text)
    if rest is None or d.segment is not None or d.group_by or len(d.filters) != 1:
        return
    one = d.filters[0]
    dim = d.catalog.dimensions.get(one.dimension)
    if one.exclude or len(one.values) != 1 or dim is None or len(dim.values) != 2:
        return
    said = [m.span for m in d.p.matches if 0 <= m.span[1] <= rest.start() and any(
        s.kind == "value" and s.name == dim.name for s in m.senses)]
    if said and re.fullmatch(r"\s*", d.text[max(b for _, b in said):rest.start()]):
        d.filters, d.group_by = [], [DimensionRef(name=dim.name)]
        for span in (*said, rest.span()):
            d.p.claim(span, "rest_of_values")


def _people_ranked(d: Draft) -> None:
    """ "Top 3 loyal customers by AOV", "the top 25 buyers by revenue in Q1", "which 4
    trial accounts ordered most often", "whose is our single largest account by AOV": the people the
    limit counts (a segment, a member, the population or the buyers), each with a measured
    metric named after "by" or beside a superlative, ranked by it."""
    anchor = _rank_anchor(d)
    if anchor is None or d.group_by or d.compared or d.measure is not None:
        return
    start, limit, who = anchor
    people = {m.name for m in (*d.catalog.population_metrics(), *d.catalog.buyer_metrics())}
    agent = _agent_noun(d, start, people)
    after = shaping.described_from(d.p, start)  # "top 5 pro US customers"
    named = bool(after) and shaping.names_who(d.p, after[0], people)
    if not named and not ((who or agent) and after):  # "who paid us most": everyone
        return
    by = re.search(rf"\b{GROUP_LEAD}\s+", d.text[after[0].span[1]:]) if named else None
    at = after[0].span[1] + by.end() if by else -1
    measured = agent or next((s.name for m in after[int(named):] if 0 <= m.span[0] - at <= 12
                              or _beside_superlative(d.text, m.span) for s in m.senses
                              if s.kind == "metric" and s.name not in people), None)
    if measured is None:
        return
    d.metric = measured
    if d.limit is None:
        d.limit = limit
    if d.segment is not None and d.segment.is_family and d.member is None:
        d.order = _limit_direction(d.text)  # "the top 3 tiers by revenue": members, ranked
    else:
        d.ranked = True


def _the_one_chosen(d: Draft) -> None:
    """ "Bigger PQL counts on free or on trial?", "who ordered more, BR or JP?": of the values or
    members named, the one that has more (or fewer) -- a single row, like "which ... most"."""
    choice = CHOICE.search(d.text)
    if choice is None or d.limit is not None or d.compared or any(g.grain for g in d.group_by) \
            or not (d.intent == Intent.DISTRIBUTION or d.intent == Intent.BREAKDOWN and d.group_by):
        return  # "higher AOV in Q1 or Q3?" compares periods: both are shown
    d.limit = 1
    d.order = "asc" if choice[1] in ("fewer", "less", "lower", "smaller", "worse") else "desc"


def _rank_anchor(d: Draft) -> tuple[int, int, bool] | None:
    """Where the ranked people are named from, how many are asked for and whether a
    question word ("who") stands for them; None when nothing asks for a ranking."""
    said = [m.end() for m in (LIMIT.search(d.text), RANK_VERB.search(d.text)) if m]
    if said and d.limit is not None:
        return min(said), d.limit, False
    if not SUPERLATIVE.search(d.text):
        return None
    if (which := WHICH_N.search(d.text)) is not None:
        d.p.claim(which.span(), "limit")
        return which.end(), int(which[1]), False
    ones = list(ONE_RANKED.finditer(d.text))
    for one in ones:
        d.p.claim(one.span(), "limit")
    if ones:
        return ones[0].end(), 1, ones[0].start() == 0
    return None


def _agent_noun(d: Draft, start: int, people: set[str]) -> str | None:
    """The doers of a measured metric's verb right after a ranking word ("the top 10
    spenders"): people ranked by that metric. The word is read as that metric's phrase."""
    agent = re.match(r"\s*(?:the\s+)?(?:biggest\s+|largest\s+)?([a-z]+?)ers\b", d.text[start:])
    if agent is None:
        return None
    stem = agent[1]
    entry = next((e for e in build_lexicon(d.catalog) if e.phrase in (stem, stem + "e")), None)
    metric = next((s.name for s in entry.senses if s.kind == "metric" and s.name not in people),
                  None) if entry else None
    if metric is not None and entry is not None:
        span = (start + agent.start(1), start + agent.end())
        d.p.matches.append(PhraseMatch(entry, span))
        d.p.matches.sort(key=lambda m: m.span[0])
    return metric


def _beside_superlative(text: str, span: tuple[int, int]) -> bool:
    """A metric phrase right before or after a superlative ("spent the most", "the highest
    revenue")."""
    before = re.search(r"\b(?:the\s+)?(?:most|highest|biggest|largest|least|lowest|"
                       r"smallest)\s+$", text[:span[0]])
    after = re.match(r"\s+(?:the\s+)?(?:most|highest|least|lowest)\b", text[span[1]:])
    return before is not None or after is not None


def _rank_order(d: Draft) -> str | None:
    """People ranked by a metric: the most first, unless the limit says the bottom."""
    return _limit_direction(d.text) if d.ranked else None


def _limit_direction(text: str) -> str | None:
    """The order a limit asks for: "asc" for "bottom 3", else "desc" ("top 5", "first 10");
    None without a limit."""
    limit = LIMIT.search(text)
    if limit is None:  # "which 3 accounts spent the least": the superlative says
        best = SUPERLATIVE.search(text) if WHICH_N.search(text) or ONE_RANKED.search(text) \
            else None
        return None if best is None else "asc" if best["asc"] else "desc"
    said = SUPERLATIVE.fullmatch(limit[1]) if limit[1] else SUPERLATIVE.search(text, limit.end())
    # "first", "limit": no direction, the most first; "the 5 X with the fewest": its superlative
    return "asc" if said is not None and said["asc"] else "desc"


def _cohort_size(d: Draft) -> None:
    """The size of a cohort ("how large is the July cohort") is on month 0's row; a
    question about keeping people (retained, rate, share, still, later) is not about size."""
    asks_size = re.search(r"\bhow\s+(big|large)\b|\bsizes?\b|\bhow\s+many\s+(users|people|"
                          r"accounts|signups|customers)\s+(were\s+|are\s+)?in\b", d.text)
    about_keeping = re.search(r"\b(retention|retained|retain|rate|share|percent|still|later|"
                              r"active|came\s+back|(?<!cohort\s)months?)\b|%", d.text)
    if asks_size and not about_keeping and d.month_number is None and d.found is not None:
        d.month_number = 0
        d.p.claim(asks_size.span(), "month_number")  # the size is month 0's row


def _ranked_cohorts(d: Draft) -> None:
    """"Whose cohort kept most in month 3?": cohorts ranked by the segment's
    `rank_by` column at one month number, the best one (or the top N) kept."""
    best = SUPERLATIVE.search(d.text)
    if best is None or d.segment is None or not d.segment.rank_by:
        return
    if d.month_number is None:  # best at which month? each month ranks them differently
        raise ClarificationNeeded(messages.CLARIFY_RETENTION,
                                  [candidate(d.catalog, d.segment.name, None)])
    d.order = "desc" if best["desc"] else "asc"
    which_one = re.search(r"\bwhich\s+(?:one|1)\b", d.text)
    if which_one:
        d.p.claim(which_one.span(), "limit")
    d.limit = d.limit or 1


def _compared_shape(d: Draft) -> None:
    """Two periods side by side need something to compare, grouped by the periods' grain."""
    if d.segment is not None and d.segment.history and d.population(d.metric):
        raise ClarificationNeeded(messages.CLARIFY_COMPARE_PERIODS, [])
    if d.segment is None and d.population(d.metric) and not d.filters and \
            not SIGNUP_WORDS.search(d.text):
        raise ClarificationNeeded(messages.CLARIFY_COMPARE_WHAT, [])
    column = shaping.time_column(d.p, d.metric, d.segment, d.catalog)
    if d.compared_grain is not None:
        d.group_by = [g for g in d.group_by if g.grain is None] + [
            DimensionRef(name=column, grain=d.compared_grain)]


def _time_range(d: Draft) -> None:
    segment, snapshot = d.segment, d.snapshot
    moving = snapshot is not None and segment is not None and bool(segment.history) and (
        d.intent == Intent.MOVEMENT or d.intent == Intent.LIST)
    if moving and segment is not None and snapshot is not None:
        d.member, d.to_members = resolve.movement_members(d.p, segment, snapshot)
    if snapshot and (d.intent in (Intent.HISTORY, Intent.MOVEMENT) or moving):
        d.time_range = TimeRange(start=snapshot.start, end=snapshot.end, phrase=snapshot.phrase)
    elif d.found:
        column = shaping.time_column(d.p, d.metric, segment, d.catalog, span=d.found.span)
        _no_event_period(d, column)
        if d.without is not None and (column != d.catalog.signup_column()
                                      or not SIGNUP_WORDS.search(d.text)):
            column = d.catalog.metrics[d.without].time_column or column  # "no orders in May"
        if d.signed_up is not None:  # the other period is the signups': this one the metric's
            own = d.catalog.metrics[d.metric].time_column if d.metric in d.catalog.metrics \
                else None
            if not own or own == d.catalog.signup_column():
                raise ClarificationNeeded(messages.CLARIFY_TWO_SIGNUP_PERIODS, [])
            column = own
        d.time_range = TimeRange(start=d.found.start, end=d.found.end, column=column,
                                 phrase=d.found.phrase)
    elif d.signed_up is not None:
        raise ClarificationNeeded(messages.CLARIFY_TWO_SIGNUP_PERIODS, [])


# The subject and auxiliary of a clause whose verb follows ("did we lose", "users we lost",
# "who churned", "that have left").
VERB_SUBJECT = re.compile(r"(?:\b(?:did|do|does|have|has|had)\s+(?:we|they|you|i)|"
                          r"\b(?:who|that|we|they)(?:\s+(?:have|has|had))?)\s+$")
PERIOD_LEAD = re.compile(r"\s*(?:(?:in|during|over|within|since|at|by)\s+)?(?:the\s+)?")


def _no_event_period(d: Draft, column: str) -> None:
    """A member named by a verb its period dates ("how many did we lose in the spring",
    "users who churned in March") asks when they became members, which membership now cannot say;
    filtering them by signup date instead would answer another question, so it is asked."""
    people = {m.name for m in d.catalog.population_metrics()}
    if d.found is None or column != d.catalog.signup_column() or SIGNUP_WORDS.search(d.text) \
            or d.metric is not None and d.metric not in people:
        return
    for m in d.p.matches:
        member = next((s for s in m.senses if s.kind == "member"), None)
        if member is None or m.span[0] < 0 or m.span[1] > d.found.span[0] or \
                not VERB_SUBJECT.search(d.p.text[:m.span[0]]) or \
                not PERIOD_LEAD.fullmatch(d.p.text[m.span[1]:d.found.span[0]]):
            continue
        seg = d.catalog.segments[member.name]
        label = next((x.label for x in seg.members if x.name == member.detail), member.detail)
        raise ClarificationNeeded(messages.CLARIFY_EVENT_PERIOD.format(
            label=label, said=d.p.text[m.span[0]:d.found.span[1]],
            period=f"{d.found.start:%Y-%m-%d} to {d.found.end:%Y-%m-%d}"),
            [candidate(d.catalog, member.name, member.detail)])


def _intent(d: Draft) -> Intent:
    text, segment, metric, group_by = d.text, d.segment, d.metric, d.group_by
    snapshot = d.snapshot is not None
    if segment is not None and segment.entity == "cohort":
        return Intent.RETENTION
    if segment is not None and segment.history and snapshot and (
            MOVE.search(text) or WHERE_GO.search(text)):
        if (LIST.search(text) or WHICH.search(text)) and not COUNT.search(text):
            return Intent.LIST  # which users moved: compiled as a movement listing
        return Intent.MOVEMENT
    signup_column = d.catalog.signup_column()
    if segment is not None and segment.history and (snapshot or HISTORY.search(text)) \
            and d.population(metric) and not SIGNUP_WORDS.search(text) and not any(
                g.name == signup_column for g in group_by):
        return Intent.HISTORY
    if d.ranked:
        return Intent.LIST
    family_whole = segment is not None and segment.is_family and d.member is None
    wants_count = COUNT.search(text) is not None or re.search(
        r"\bhow\s+(much|many)\b", text) is not None  # a quantity is never a list
    people = d.population(metric) or metric in {m.name for m in d.catalog.buyer_metrics()}
    if _asks_share(d) and not family_whole and people:
        return Intent.BREAKDOWN if group_by else Intent.COUNT  # "which percentage of ... who ..."
    if (LIST.search(text) or WHICH.search(text)) and not wants_count and not family_whole \
            and not group_by and not (_measured(d) and not EXPLICIT_LIST.search(text)):
        return Intent.LIST
    if family_whole and not wants_count and not DISTRIBUTION.search(text) and \
            not group_by and not snapshot and segment is not None and re.search(
                rf"\b{re.escape(normalise(segment.label))}s\b", text):
        return Intent.LIST  # "the pql scores among trial accounts": each member's own value
    if family_whole or _per_member(d):
        return Intent.DISTRIBUTION
    if group_by:
        return Intent.BREAKDOWN
    if not d.population(metric):
        return Intent.METRIC
    if (LIST_LOOSE.search(text) or LIMIT.search(text)) and not wants_count \
            and segment is not None:
        return Intent.LIST
    return Intent.COUNT


def _per_member(d: Draft) -> bool:
    """Several members asked for one row each: "tiers other than healthy, by tier", "each
    RFM segment but hibernating" (a breakdown word, or a grouping word before the family)."""
    segment = d.segment
    if segment is None or not isinstance(d.member, tuple) or len(d.member) < 2:
        return False
    lead = re.compile(rf"(?:^|\s){GROUP_LEAD}\s+(?:the\s+|their\s+)?$")
    if COMPARE_PERIODS.search(d.text) and not d.compared or CHOICE.search(d.text):
        return True  # "champions vs hibernating", "more loyal or new customers?"
    return (DISTRIBUTION.search(d.text) is not None and not d.group_by) or any(
        m.span[0] >= 0 and lead.search(d.text[:m.span[0]]) is not None
        for m in d.p.matches if any(s.kind == "segment" and s.name == segment.name
                                    for s in m.senses))


def _measured(d: Draft) -> bool:
    """Revenue, orders: a metric that is a number, not a count of people."""
    metric = d.catalog.metrics.get(d.metric or "")
    population = {m.table for m in d.catalog.population_metrics()}
    return metric is not None and metric.table not in population and \
        "DISTINCT" not in metric.expr.upper()


# -- scope ------------------------------------------------------------------------------------
def scope(d: Draft) -> None:
    """Something governed was asked; shares have a part and a whole; shapes that cannot be
    filtered are not."""
    _recognised(d)
    _shares(d)
    segment = d.segment
    people = d.catalog.population_table()  # a cohort is narrowed by who its people are
    if d.intent in (Intent.HISTORY, Intent.RETENTION) and any(
            d.catalog.dimensions[f.dimension].table != people for f in d.filters
            if f.dimension in d.catalog.dimensions):
        raise ClarificationNeeded(messages.CLARIFY_NOT_FILTERABLE.format(
            what=segment.label if segment else "this"), [])
    if d.intent == Intent.RETENTION and d.time_range is None and d.month_number is None and \
            not d.choice and not WHOLE_MATRIX.search(d.text):
        raise ClarificationNeeded(messages.CLARIFY_RETENTION,
                                  [candidate(d.catalog, segment.name, None)] if segment else [])


# How a business is doing, with nothing named: a data question too vague to plan.
VAGUE_DATA = re.compile(r"\b(grow|growing|growth|grew|trend|trending|up\s+or\s+down|biggest|"
                        r"busiest|best|worst|performing|performance|pipeline|momentum|"
                        r"kpis?|going\s+up|going\s+down)\b")


def _recognised(d: Draft) -> None:
    measured = any(s.kind in ("metric", "segment", "member") or shaping.names_people(d.p, m)
                   for m, s in d.senses)  # "the channel with most pro users"
    signups = any(s.kind == "dimension" and s.name == d.catalog.signup_column()
                  for _, s in d.senses)  # a split of the signup column counts people
    if d.group_by and not measured and d.segment is None and (
            SUPERLATIVE.search(d.text) or not (COUNT.search(d.text) or signups or
                                               SIGNUP_WORDS.search(d.text))):
        # "best channels in Q3": ranked by what? "Q2 split by plan": split what? Nothing
        # measured or counted was named
        raise ClarificationNeeded(messages.clarify_vague(_examples(d.catalog)), [])
    if d.grain is not None and not measured and not (d.segment or d.filters) and not any(
            s.kind == "dimension" for _, s in d.senses) and not SIGNUP_WORDS.search(d.text):
        # "the monthly numbers please": a grain says how to split, not what is measured
        raise ClarificationNeeded(messages.clarify_vague(_examples(d.catalog)), [])
    recognised = bool(d.segment or d.filters or d.group_by or not d.population(d.metric)
                      or d.signups_of_period
                      or any(s.kind in ("metric", "dimension") for _, s in d.senses))
    if recognised and not measured and not d.catalog.population_metrics():
        # "how many per region?" over a model that counts no people: a count of which rows?
        raise ClarificationNeeded(messages.clarify_vague(_examples(d.catalog)), [])
    if recognised:
        return
    unknown = _unknown_words(d)
    if unknown and not DATA_WORDS.search(d.text) and not VAGUE_DATA.search(d.text):
        # "how many tickets were escalated?": a quantity of something nothing governs
        raise Refusal(messages.REFUSE_UNGOVERNED.format(thing=f"`{' '.join(unknown[:3])}`"),
                      f"not modeled: {' '.join(unknown)}")
    if DATA_WORDS.search(d.text) or COUNT.search(d.text) or VAGUE_DATA.search(d.text) or \
            d.found is not None or d.grain is not None:  # "how many?", "are we growing?",
        # "what about Q1?": in scope, but what?
        raise ClarificationNeeded(messages.clarify_vague(_examples(d.catalog)), [])
    raise Refusal(messages.REFUSE_OFF_TOPIC, "nothing governed recognised")


def _unknown_words(d: Draft) -> list[str]:
    """Content words of a question in which nothing governed was recognised: what it asks
    about, once the question's own form (how many, list, which, periods) is set aside. None
    when one of them is a word of a governed phrase said alone ("the amount"): vague, not
    unknown."""
    work = d.p.work
    for form in (COUNT, HOW_MUCH, LIST, LIST_LOOSE, WHICH, SUPERLATIVE, GRAIN, PERIOD_OVER,
                 LIGHT_VERBS, COURTESY, ACCEPTANCE, TREND):
        work = form.sub(" ", work)
    said = _as_said(d.p)
    content = [w for w in WORD.findall(work) if w.isalpha() and len(w) > 2
               and w not in FUNCTION_WORDS and w not in STOPWORDS]
    governed = _governed_words(d.catalog)  # "the amount", "sessions" alone are vague
    return [] if any(w in governed for w in content) else [said.get(w, w) for w in content]


def _asks_share(d: Draft) -> bool:
    """A share word outside every metric's own name: "completed percentage" names a metric
    (a model's `completed_percentage`), "what percentage of trial users" asks for a share."""
    named = [m.span for m, s in d.senses if s.kind == "metric"]
    return any(not any(a <= hit.start() < b for a, b in named) for hit in SHARE.finditer(d.text))


def _shares(d: Draft) -> None:
    _governed_share(d)
    share = _asks_share(d) and not d.share_governed
    unsigned = SIGNUP_WORDS.sub(" ", d.text)  # "signed up" is no "up"
    amount = share or CHANGE_AMOUNT.search(d.text) is not None or \
        RATE_OF_CHANGE.search(d.text) is not None  # "did X grow? the % change" wants its size
    if (d.compared or d.compared_grain) and (GROWTH.search(unsigned) and amount or (
            HOW_MANY_MORE.search(d.text)) or CHANGE_NOUN.search(d.text) and (
                amount or not YES_NO.match(d.text))):
        # "orders: how many percent up, May against April?", "revenue growth between two quarters":
        # the change between the periods, not a share of their total ("did X grow" alone
        # is answered with both periods side by side)
        _change_between(d)
        share = False
    d.wants_share = share and (d.intent in (Intent.COUNT, Intent.BREAKDOWN, Intent.METRIC) or
                               _members_of_the_whole(d)) and (
        d.segment is None or d.segment.entity == "user")
    d.share_of_total = d.wants_share and (_rows_of_the_metric(d) or
                                          d.intent == Intent.DISTRIBUTION)
    d.share_of_metric = d.wants_share and d.segment is None and not d.share_of_total and \
        _metric_is_the_part(d)
    d.share_of_segment = d.wants_share and _segment_is_the_whole(d)
    unsupported = d.intent not in (Intent.RETENTION, Intent.DEFINITION, Intent.CATALOG)
    if share and unsupported and not d.wants_share or d.wants_share and \
            d.segment is None and not d.filters and not d.share_of_metric and \
            not d.share_of_total:
        raise Refusal(messages.REFUSE_SHARE, "share without a part and a whole")


# A change between periods asked as a rate: "percent growth", "% change", "fell by what %":
# the verbs of change, or a bare "up"/"down".
GROWTH = re.compile(rf"{CHANGE_VERB.pattern}|\b(?:up|down)\b")
# The size of a change asked for: "how much did it grow", "by what fraction", "how many more".
# A question answered yes or no ("was there a drop in May vs April?"): both periods show it.
YES_NO = re.compile(r"^(?:was|were|is|are|did|do|does|has|have|had|any)\b")
HOW_MANY_MORE = re.compile(r"\bhow\s+(?:much|many)\s+(?:more|less|fewer)\b")
CHANGE_AMOUNT = re.compile(r"\bhow\s+(?:much|many|far|big)\b|\bby\s+(?:how\s+much|what)\b")


def _change_between(d: Draft) -> None:
    """The change from one period to the next: of exactly two periods, with no other
    grouping (each group's change would be a table of changes, not planned here)."""
    periods = len(d.compared) if d.compared else _periods_in(d)
    others = [g for g in d.group_by if g.grain is None]
    if periods != 2 or others or d.measure is not None or d.segment is not None and \
            d.population(d.metric) and d.segment.history:
        raise ClarificationNeeded(messages.CLARIFY_GROWTH, [])
    d.change = True


def _periods_in(d: Draft) -> int:
    """How many periods of the compared grain the range covers."""
    if d.found is None or d.compared_grain is None:
        return 0
    months = (d.found.end.year - d.found.start.year) * 12 + d.found.end.month - \
        d.found.start.month + 1
    return {"month": months, "quarter": -(-months // 3), "year": d.found.end.year -
            d.found.start.year + 1}.get(d.compared_grain, 0)


def _governed_share(d: Draft) -> None:
    """ "The completed fraction of orders" over a model that already governs the
    "completed percentage": the share asked of one filtered value is that metric, whose words
    (a share word and the value's) name it, not a share computed here."""
    if not _asks_share(d) or len(d.filters) != 1 or len(d.filters[0].values) != 1 or \
            d.filters[0].exclude or d.segment is not None:
        return
    value = normalise(d.filters[0].values[0].replace("_", " "))
    found = [m for m in d.catalog.metrics.values()
             if SHARE_NAME.search(normalise(m.label)) and phrase_pattern(value).search(
                 normalise(m.label))]
    if len(found) != 1:
        return
    d.metric, d.filters, d.share_governed = found[0].name, [], True  # its label's words


def _members_of_the_whole(d: Draft) -> bool:
    """ "Each churn tier's share", "what % sit in each stage": every member of a family as a
    fraction of all of them. A family's members split its population (the rules take the
    first match, the last is "otherwise"), so their sum is the whole: only when every member
    is a row (none picked out) and no other grouping splits the rows."""
    return d.intent == Intent.DISTRIBUTION and d.segment is not None and \
        d.segment.is_family and not d.member and not d.group_by and d.by_column is None and \
        d.p.by_segment is None


def _rows_of_the_metric(d: Draft) -> bool:
    """ "Every country's share of orders in Q2", "what share of buyers sits in each plan":
    the metric named right after the share word is the whole, and each group of users a part
    of it. ("Which fraction of accounts ordered, per country" is each plan's own rate instead.)"""
    if not d.group_by or d.filters or d.p.also or d.p.excluded:
        return False
    share = SHARE.search(d.text)
    if share is None:
        return False
    after = [(m, s) for m, s in d.senses if m.span[0] >= share.end()
             and s.kind in ("metric", "dimension", "value", "segment", "member")]
    if not after:
        return False
    first = min(m.span[0] for m, _ in after)
    if d.segment is not None:  # "PQLs per plan, as a fraction of every PQL"
        # (a whole family named before one of its members, "per plan, the part of its RFM
        # base sitting in champions", is each row's own whole: the member's rate there)
        whole_family = d.member is not None and all(
            s.kind == "segment" for m, s in after
            if m.span[0] == first and s.name == d.segment.name)
        return not whole_family and any(s.kind in ("segment", "member") and
                                        s.name == d.segment.name
                                        for m, s in after if m.span[0] == first)
    named = {s.name for m, s in after if m.span[0] == first and s.kind == "metric"}
    return bool(d.metric in named or d.metric is None and named & {
        m.name for m in d.catalog.population_metrics()})


def _segment_is_the_whole(d: Draft) -> bool:
    """ "Which fraction of loyal customers have medium risk?", "PQLs based in Germany, as a %":
    the segment named first is the whole and what follows it the part; "the fraction of free
    accounts that are PQLs" is the other way round (the value first)."""
    if d.segment is None or d.segment.entity != "user":
        return False
    if d.p.also or d.p.excluded and not d.filters:
        return True
    if not d.filters:
        return False
    share = SHARE.search(d.text)  # "with a cutoff of 65, which % of Y pass":
    after = _first_named(d, share.start()) if share else None  # the words after the share
    return after if after is not None else bool(_first_named(d, 0))  # word say which is which


def _first_named(d: Draft, start: int) -> bool | None:
    """From `start` on, whether the segment is named before the last filter's value (None
    when neither is named there)."""
    assert d.segment is not None and d.filters
    name, dimension = d.segment.name, d.filters[-1].dimension
    named = [m.span[0] for m in d.p.matches if m.span[0] >= start and any(
        s.kind in ("segment", "member") and s.name == name for s in m.senses)]
    values = [m.span[0] for m in d.p.matches if m.span[0] >= start and any(
        s.kind == "value" and s.name == dimension for s in m.senses)]
    if not values:
        return None if not named else False
    if not named and start > 0:  # "of everyone in X, what share are Y": X said before
        return any(m.span[0] < start and any(s.kind in ("segment", "member") and s.name == name
                                             for s in m.senses) for m in d.p.matches)
    return bool(named) and min(named) < min(values)


def _metric_is_the_part(d: Draft) -> bool:
    """"What % of accounts on pro were active?": a users-counting metric named after the
    filters is the part; "share of actives that have pro" is the other way."""
    metric = d.metric
    if d.population(metric) or metric not in d.catalog.metrics:
        return False
    if not re.match(r"COUNT\(DISTINCT", d.catalog.metrics[metric].expr.upper()):
        return False
    spans = {s.kind: m.span[0] for m in d.p.matches for s in m.senses if m.span[0] >= 0
             and (s.kind == "value" or (s.kind == "metric" and s.name == metric))}
    if [m.name for m in d.catalog.buyer_metrics()] == [metric]:  # "% of pro users ordered"
        said = [w.start() for w in ORDER_WORDS.finditer(d.text)]
        spans["metric"] = max([spans.get("metric", -1), *said])
    return "value" not in spans or spans.get("metric", -1) > spans["value"]


# -- build ------------------------------------------------------------------------------------
def build(d: Draft) -> None:
    """The QueryPlan: each shape keeps only the parts it can use."""
    _one_reading_each(d)
    intent, segment = d.intent, d.segment
    several = d.member if isinstance(d.member, tuple) else ()
    member = None if several or isinstance(d.member, tuple) else d.member
    tabular = intent not in (Intent.RETENTION, Intent.HISTORY)
    d.plan = QueryPlan(
        intent=intent,
        segment=SegmentRef(name=segment.name, member=member, members=several)
        if segment else None,
        excluding=tuple(SegmentRef(name=n, member=m) for n, m in d.p.excluded),
        also_in=tuple(SegmentRef(name=n, member=m) for n, m in d.p.also),
        any_of=tuple(SegmentRef(name=n, member=m) for n, m in d.p.any_of),
        without_metric=MetricRef(name=d.without) if d.without else None,
        measure=d.measure,
        by_segment=d.p.by_segment if intent == Intent.DISTRIBUTION else None,
        versus_rest=d.versus_rest,
        change=d.change,
        by_column=d.by_column if intent in (Intent.COUNT, Intent.DISTRIBUTION,
                                            Intent.BREAKDOWN) else None,
        metric=MetricRef(name=d.metric) if d.metric and (d.ranked or intent not in (
            Intent.LIST, Intent.RETENTION, Intent.HISTORY)) else None,
        averaged_over=TimeGrain(d.averaged_over) if d.averaged_over else None,
        group_by=tuple(d.group_by) if tabular else (),
        filters=tuple(d.filters) if tabular or intent in (Intent.RETENTION, Intent.HISTORY)
        else (),
        time_range=d.time_range,
        overrides=tuple(d.overrides),
        compared=tuple(TimeRange(start=f.start, end=f.end, column=d.time_range.column,
                                 phrase=f.phrase) for f in d.compared) if d.time_range else (),
        month_number=d.month_number if intent == Intent.RETENTION else None,
        to_members=d.to_members,
        limit=d.limit if intent == Intent.LIST or d.limit and (d.group_by or d.order)
        else shaping.top_one(d.p, d.group_by, intent),
        order=d.order or _rank_order(d) or shaping.order(d.p, d.group_by, intent,
                                                         ranked=d.limit is not None),
        share=d.wants_share,
        share_of_metric=d.share_of_metric,
        share_of_total=d.share_of_total,
        share_of_segment=d.share_of_segment,
        signed_up=TimeRange(start=d.signed_up.start, end=d.signed_up.end,
                            column=d.catalog.signup_column(), phrase=d.signed_up.phrase)
        if d.signed_up else None,
    )


def _one_reading_each(d: Draft) -> None:
    """Of the dimensions one phrase names ("policy number" of three tables), a dbt metric is
    grouped by the one MetricFlow reaches first, so the plan and its answer name that one."""
    metric = d.catalog.metrics.get(d.metric or "")
    if metric is None or metric.engine != "metricflow" or len(d.group_by) < 2:
        return
    from assistant.importers.metricflow import one_reading_each

    kept = set(one_reading_each([g.name for g in d.group_by], d.catalog, metric))
    d.group_by = [g for g in d.group_by if g.name in kept]


# -- coverage ---------------------------------------------------------------------------------
def coverage(d: Draft) -> None:
    """Every claimed word must be used by the plan; a restated default is no what-if."""
    assert d.plan is not None
    left = leftovers(d.p, d.plan, d.catalog, d.p.claims, d.as_of)
    about_rule = rule_question(d.plan, d.catalog, d.text, [w.words for w in left]) \
        if left else one_person_question(d.plan, d.text)
    if about_rule is not None:  # "are cancelled orders part of AOV?"
        d.plan = about_rule
        return
    if left:
        said = _as_said(d.p)
        grouping = _unmodeled_grouping(d, left)
        if grouping is not None:  # "premium by broker region": nothing governed to split by
            thing = " ".join(said.get(w, w) for w in grouping.split(" "))
            raise Refusal(messages.REFUSE_UNGOVERNED.format(thing=f"`{thing}`"),
                          f"not modeled: {thing}")
        raise ClarificationNeeded(
            messages.not_understood(reading(d.plan, d.catalog), [
                " ".join(said.get(w, w) for w in x.words.split(" ")) for x in left]),
            closest_readings(d.catalog, d.plan))
    restated = [o for o in d.plan.overrides if whatif.is_default(o, d.catalog)]
    if restated:  # "at 3 logins weekly" restates the governed rule: no what-if
        d.plan = d.plan.model_copy(update={"overrides": tuple(
            o for o in d.plan.overrides if o not in restated)})


# Words that split a figure into groups; "per" is not one of them: "orders per seat" is a
# ratio, asked back rather than refused.
SPLIT_LEAD = re.compile(r"(?:by|(?:split|broken\s+(?:down|out)|break\s+(?:down|out)|breakdown|"
                        r"grouped)\s+by)(?:\s+|$)")


def _unmodeled_grouping(d: Draft, left: list[Leftover]) -> str | None:
    """The words after a grouping word ("by", "split by") that nothing governed
    reads, when they are what the question is split by: no dimension or segment of the
    catalog, so a refusal names what is not modeled instead of asking to rephrase."""
    for i, item in enumerate(left):
        lead = SPLIT_LEAD.match(item.words)
        if lead is None:
            continue
        thing = item.words[lead.end():]
        later = left[i + 1] if i + 1 < len(left) else None
        gap = d.p.text[item.span[1]:later.span[0]].split() if later else []
        if not thing and later is not None and all(w in FUNCTION_WORDS for w in gap):
            thing = later.words  # "by the week of ...": the small words between are no name
        if thing and any(w not in FUNCTION_WORDS and not w.isdigit() and w not in
                         _governed_words(d.catalog) for w in thing.split()):
            return thing  # "by segment" names governed words vaguely: that is asked back
    return None


def _governed_words(catalog: Catalog) -> set[str]:
    """Every word of a governed phrase and of a table's name ("sessions"): words the
    catalog knows, so said alone they are vague rather than not modeled."""
    tables = {w for name in catalog.tables for w in name.lower().split("_")}
    return {w for e in build_lexicon(catalog) for w in e.phrase.split()} | tables | {
        f"{w}s" for w in tables} | {w.removesuffix("s") for w in tables}


def _as_said(p: Parse) -> dict[str, str]:
    """Typo-corrected words back to the asker's own ("state", not the "stage" it was read
    as), so a clarification names what was not understood as it was written."""
    original, read = normalise(p.original).split(" "), p.text.split(" ")
    if len(original) != len(read):
        return {}
    return {now: then for then, now in zip(original, read, strict=True) if then != now}


PASSES: tuple[Callable[[Draft], None], ...] = (
    periods, guards, numbers, senses, subject, what_ifs, quantity, shape, scope, build,
    coverage,
)


def plan_data_question(p: Parse, catalog: Catalog, as_of: date,
                       choice: str | None) -> QueryPlan:
    """Run every pass over a fresh draft and return the plan they built."""
    draft = Draft(p, catalog, as_of, choice)
    for step in PASSES:
        step(draft)
    assert draft.plan is not None
    return draft.plan


__all__ = ["PASSES", "Draft", "plan_data_question"]
