"""How the answer is shaped: filters, grouping, ordering, the measure and compared periods.

Each function reads the parsed question and returns one part of the QueryPlan; none of them
decides which segment the question is about (that is `resolve.py`).
"""

from __future__ import annotations

import re

from assistant import messages
from assistant.catalog.models import Catalog, Metric, Segment
from assistant.errors import ClarificationNeeded, Refusal
from assistant.plan import DimensionRef, Filter, Intent, Measure
from assistant.planner.coverage import FUNCTION_WORDS, event_dates
from assistant.planner.lexicon import Sense, vocabulary
from assistant.planner.parsing import (
    Parse,
    PhraseMatch,
    candidate,
    qualifies_next,
    value_candidate,
)
from assistant.planner.patterns import (
    CHOICE,
    COMPARE,
    EXCLUDE,
    GRAIN_WORD,
    GROUP_LEAD,
    HISTORY,
    NEGATIVE,
    ORDER_WORDS,
    RANK_VERB,
    SIGNUP_WORDS,
    SUPERLATIVE,
)
from assistant.planner.text import PEOPLE_NOUNS, normalise, phrase_pattern, same_event
from assistant.planner.timephrases import Found


def measure(
    average: re.Match[str], text: str, catalog: Catalog, segment: Segment | None
) -> tuple[Segment, Measure]:
    """ "Mean PQL score, trial signups only": an aggregate of a column a segment declares."""
    words = average[2].split()
    vocab = vocabulary(catalog)

    def names(column: str) -> bool:
        """The words after "average" are the column ("days inactive", "recency of")."""
        wanted = column.replace("_", " ")
        if phrase_pattern(wanted).fullmatch(average[2]):
            return True
        return (
            len(words) == 2
            and phrase_pattern(wanted).fullmatch(words[0]) is not None
            and words[1] in vocab
        )

    said = [(seg, column) for seg in catalog.segments.values() if seg.entity == "user"
            for column in seg.columns]
    exact = [(seg, column) for seg, column in said if any(  # the column's own or declared words
        phrase_pattern(normalise(w)).fullmatch(average[2]) for w in seg.column_words(column))]
    owners = exact or [(seg, column) for seg, column in said if names(column)]
    if segment is not None:
        owners = [(seg, col) for seg, col in owners if seg is segment]
    if not owners:
        raise Refusal(
            messages.REFUSE_UNGOVERNED.format(thing=f"`{average[0]}`"), f"ungoverned: {average[0]}"
        )
    if len({seg.name for seg, _ in owners}) > 1:
        raise ClarificationNeeded(
            messages.CLARIFY_AMBIGUOUS.format(phrase=average[2]),
            [candidate(catalog, name, None) for name in sorted({s.name for s, _ in owners})],
        )
    seg, column = max(owners, key=lambda o: len(o[1]))
    aggregate = "median" if average[1] == "median" else "avg"
    return seg, Measure(column=column, aggregate=aggregate)


def by_column(p: Parse, segment: Segment | None) -> str | None:
    """ "A histogram of engagement scores", "how many accounts at each recency", "users per days
    inactive value": one row per value of a column the segment declares. Said with "each",
    "every", "distribution of", "histogram of" or "values" (a family's own name after "by" is
    its members)."""
    if segment is None:
        return None
    said_as = [(normalise(w), c) for c in segment.columns for w in segment.column_words(c)]
    for words, column in sorted(said_as, key=lambda x: len(x[0]), reverse=True):
        said = _column_said(words, p.text, declared=words != column.replace("_", " "))
        if said:
            p.claim(said.span(), "segment")
            return column
    return None


def _column_said(words: str, text: str, declared: bool) -> re.Match[str] | None:
    """One row per value of a column said in `words`: "at each recency", "distribution of
    scores", "score values"; a declared phrase also after "by"/"per"/"across" ("split by
    monetary score"), where a bare column name ("by score") is the family's own members."""
    head, phrase = re.escape(words.split()[-1]), re.escape(words)
    by = rf"|\b(?:by|per|across)\s+(?:the\s+|their\s+|each\s+)?{phrase}s?\b" if declared else ""
    return re.search(
        rf"\b(?:(?:at|for|with|per)\s+)?(?:each|every)\s+(?:single\s+)?(?:{phrase}|{head})\b"
        rf"(?:\s+values?)?|\b(?:distribution|histogram|spread)\s+(?:of|across)\s+(?:the\s+|"
        rf"their\s+)?{phrase}s\b|\b{phrase}\s+(?:values|->|distribution|histogram){by}", text)


def new_means_signups(p: Parse, segment: Segment) -> bool:
    """A member named only by a "new ..." phrase, with an explicit period, reads as signups
    in that period; naming the family (*new* beside *lifecycle*) keeps the member."""
    named_family = any(
        s.kind == "segment" and s.name == segment.name for m in p.matches for s in m.senses
    )
    family_words = set(normalise(f"{segment.name} {segment.label}").split())
    via_new = [
        m
        for m in p.matches
        if m.entry.phrase.startswith("new ")
        and any(s.kind == "member" and s.name == segment.name for s in m.senses)
        and not family_words & set(m.entry.phrase.split())  # "the new stage" names the stage
    ]
    return bool(via_new) and not named_family and len(p.matches) >= 1


def compare_periods(*periods: Found) -> tuple[Found, str | None, tuple[Found, ...]]:
    """ "Q2 vs Q3", "Apr, May and Jun": one range, a row for each month/quarter/year when the
    periods are consecutive of one grain; otherwise ("June 2026 vs June 2025", "March or
    January") the periods themselves."""
    ordered = sorted(periods, key=lambda f: f.start)

    def grain(f: Found) -> str | None:
        days = (f.end - f.start).days
        if f.start.day == 1 and 27 <= days <= 30:
            return "month"
        if f.start.day == 1 and f.start.month % 3 == 1 and 88 <= days <= 91:
            return "quarter"
        if f.start.month == 1 and f.start.day == 1 and days >= 364:
            return "year"
        return None

    span = (min(f.span[0] for f in periods), max(f.span[1] for f in periods))
    said = sorted(periods, key=lambda f: f.span[0])  # in the question's order
    whole = Found(ordered[0].start, max(f.end for f in ordered),
                  " vs ".join(f.phrase for f in said), span)
    kinds = {grain(f) for f in ordered}
    pairs = list(zip(ordered, ordered[1:], strict=False))
    if len(kinds) == 1 and None not in kinds and all((b.start - a.end).days == 1
                                                     for a, b in pairs):
        return whole, kinds.pop(), ()
    if any(a.end >= b.start for a, b in pairs):  # overlapping periods can't be told apart
        raise ClarificationNeeded(messages.CLARIFY_COMPARE_PERIODS, [])
    return whole, None, tuple(ordered)


def joined_periods(text: str, first: Found, second: Found) -> bool:
    """Two time phrases side by side: "in June or March", "June 2026 vs June 2025", "Q2 and Q4",
    "March, April" (a list; commas are gone from the normalised text)."""
    a, b = sorted((first, second), key=lambda f: f.span[0])
    gap = text[a.span[1]:b.span[0]]
    return re.fullmatch(r"\s*(,\s*|\s|,?\s*(or|and|vs|versus|compared\s+(to|with)|against|than|"
                        r"relative\s+to|over)\s+)(in\s+|during\s+|for\s+|with\s+|the\s+|to\s+)*",
                        gap) is not None


def top_one(p: Parse, group_by: list[DimensionRef], intent: Intent) -> int | None:
    """ "Which plan holds the largest count of churned accounts?" asks for one plan."""
    one_phrase = len(group_by) == 1 or bool(group_by) and any(  # a label several dimensions
        all(any(s.kind == "dimension" and s.name == g.name for s in m.senses)  # share
            for g in group_by) for m in p.matches)
    if (
        intent == Intent.BREAKDOWN
        and one_phrase
        and SUPERLATIVE.search(p.text)
        and _singular_which(p)
    ):  # singular: "which plan holds", "which source drove"
        return 1
    if intent == Intent.DISTRIBUTION and not group_by and SUPERLATIVE.search(p.text) and \
            _singular_which(p, "segment"):  # "which churn tier is biggest?"
        return 1
    return None


# A count in words of what is ranked ("which three states", "our four strongest months").
SMALL_COUNT = "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"


# "Which plan", and the partitive "which of our plans", "which one of the countries".
PARTITIVE_WHICH = r"\b(which|what)\s+(?:(?:one|ones)\s+)?(?:of\s+(?:the|our|these|those)\s+)?$"


def _singular_which(p: Parse, kind: str = "dimension") -> bool:
    """ "Which <dimension> ..." with the dimension in the singular asks for one of them,
    wherever the question puts it (after a leading clause: "in 2025, which plan led ..."); so
    does a superlative said right before it ("biggest churn tier right now?")."""
    which = re.search(r"\b(which|what|whats)\b", p.text) or SUPERLATIVE.search(p.text)
    if which is None:
        return False
    first = next((m for m in p.matches if m.span[0] >= which.end() and any(
        s.kind == kind for s in m.senses)), None)
    if first is None:
        return False
    if re.fullmatch(r"\s*one\s+of\s+(?:the\s+|our\s+|these\s+|those\s+)?", p.text[
            which.end():first.span[0]]):  # "which one of the countries": one of them
        return True
    if len(p.text[which.end():first.span[0]].split()) > 2:
        return False
    word = p.text[first.span[0]:first.span[1]].split()[-1]
    return not (word.endswith("s") and not word.endswith("ss"))


def order(p: Parse, group_by: list[DimensionRef], intent: Intent,
          ranked: bool = False) -> str | None:
    """ "Which plan earns the biggest revenue?", "top 3 plans": biggest first."""
    if (
        intent not in (Intent.BREAKDOWN, Intent.DISTRIBUTION)
        or not group_by
        and intent != Intent.DISTRIBUTION
    ):
        return None
    best = SUPERLATIVE.search(p.text)
    if best is None:  # "rank the regions by revenue": the most first
        return "desc" if (ranked or RANK_VERB.search(p.text)) and group_by else None
    if any(g.grain for g in group_by) and EACH_PERIOD.search(p.text):
        # "the smallest day of orders in every month": the extreme row within every period, which
        # a ranking of the periods' totals is not
        raise ClarificationNeeded(messages.CLARIFY_EXTREME_WITHIN, [])
    return "desc" if best["desc"] else "asc"


EACH_PERIOD = re.compile(r"\b(each|every|per)\s+(day|week|month|quarter|year)\b")


Senses = list[tuple[PhraseMatch, Sense]]


def metric_name(senses: Senses, segment: Segment | None, catalog: Catalog,
                share: bool = False, dated: bool = False) -> str | None:
    """The metric the question names. Beside a segment, the buyers metric's own name
    ("engaged customers") is the loose word for the segment's people; one of its synonyms
    ("paying customers", "buyers") counts the buyers among them, and so does its name with a
    period not said of signing up ("customers per tier in May"): a period is on the metric's
    own date, and only the buyers metric has a purchase date."""
    population = [m.name for m in catalog.population_metrics()]
    people = population[0] if population else None
    named = [s.name for _, s in senses if s.kind == "metric"] or [  # "trial users": people
        n for m, s in senses if s.kind == "value" and m.entry.phrase.split()[-1] in PEOPLE_NOUNS
        for n in population[:1]]
    # a metric named by a phrase of small words only ("how much did", a declared synonym of
    # a money metric) yields to one the question names with a word of its own ("how much
    # did *tickets* grow")
    def small(phrase: str) -> bool:
        return all(w in FUNCTION_WORDS or w in ("much", "many") for w in phrase.split())

    def loosely(m: PhraseMatch, s: Sense) -> bool:  # a word for people names a count of no
        return small(m.entry.phrase) or all(  # declared role only when nothing else is named
            w in PEOPLE_NOUNS for w in m.entry.phrase.split()) and s.name in catalog.metrics \
            and not catalog.metrics[s.name].role

    loose = {s.name for m, s in senses if s.kind == "metric" and loosely(m, s)} - {
        s.name for m, s in senses if s.kind == "metric" and not loosely(m, s)}
    people_words = {m.name for m in (*catalog.population_metrics(), *catalog.buyer_metrics())}
    measured = [n for n in named if n not in population and n not in loose and
                n not in people_words]  # a figure, not the people who spend
    specific = sorted((n for n in named if n not in population),
                      key=lambda n: n in loose and bool(measured))
    metric = specific[0] if specific else (people if named else None)
    # the people metric named by a word for the figure itself ("signups"), not for the people
    # who might spend (a people noun), is what a loose "how much did … grow" measures
    figure = any(s.kind == "metric" and s.name == people and not small(m.entry.phrase) and
                 m.entry.phrase.split()[-1] not in PEOPLE_NOUNS for m, s in senses)
    if metric in loose and not measured and figure:
        return people
    # "accounts we flag as new: their customers" names the people apart
    people_said = any(s.kind == "metric" and s.name in population for _, s in senses)
    if segment is not None and not share and not people_said and not dated and \
            metric in {m.name for m in catalog.buyer_metrics()} and all(
                m.entry.phrase in (metric, normalise(catalog.metrics[metric].label))
                for m, s in senses if s.name == metric):
        return people  # "engaged customers": the buyers metric's own name, said loosely
    return metric


def buyers(p: Parse, catalog: Catalog, metric: str | None, segment: Segment | None) -> str | None:
    """ "How many folks bought anything during March", "among the trial accounts, who has paid, how
    many": people counted by a purchase are the governed buyers metric (distinct users that
    completed an order), not everyone who has any order row, nor the orders themselves."""
    of_people = metric in catalog.metrics and catalog.metrics[metric].table in (
        catalog.population_table(), *PEOPLE_NOUNS)
    counts_people = metric is None or of_people
    if _counts_members(p, catalog):  # "PQLs that bought something, how many"
        counts_people = True
    elif segment is not None:
        return metric
    if not counts_people or not ORDER_WORDS.search(p.text):
        return metric
    found = catalog.buyer_metrics()
    if len(found) == 1:
        return found[0].name
    if not of_people:
        return metric
    # "how many users bought something" where no definition counts buyers: every user is no
    # answer to it
    raise ClarificationNeeded(messages.CLARIFY_NO_BUYERS, [
        candidate(catalog, m.name, None) for m in catalog.metrics.values()
        if m.table != catalog.population_table()][:4])


def lacking(p: Parse, catalog: Catalog, metric: str | None) -> str | None:
    """ "Enterprise accounts that have not paid yet", "champions without a single order since
    April", "trial accounts not active since Easter": a negation right before
    the words of a people-counting metric (or of another metric on its table, or a verb of
    buying for the one buyers metric) means everyone not among its people."""
    if metric is None or metric not in catalog.metrics:
        return None
    buyers = catalog.buyer_metrics()
    for lacked in catalog.metrics.values():
        if lacked.role == "population" or "DISTINCT" not in lacked.expr.upper() or \
                catalog.metrics[metric].table not in (lacked.table, catalog.population_table()):
            continue
        spans = [m.span for m in p.matches if m.span[0] >= 0 and any(
            s.kind == "metric" and (s.name == lacked.name or (
                (other := catalog.metrics.get(s.name)) is not None
                and other.table == lacked.table)) for s in m.senses)]
        if buyers == [lacked]:
            spans += [w.span() for w in ORDER_WORDS.finditer(p.text)]  # "never ordered"
        if any(NEGATIVE.search(_negation_scope(p, span)) and not _contrast(p, span, catalog)
               for span in spans):
            return lacked.name
    return None


def _contrast(p: Parse, span: tuple[int, int], catalog: Catalog) -> bool:
    """ "buyers, not orders": a bare "not" between two metric phrases sets one name against
    the other (this one, not that), it says nothing about the people. After the people
    themselves ("accounts not active") it is their state."""
    before = p.text[:span[0]]
    said = re.search(r"(?:,\s*|\s)(?:and\s+|but\s+)?not\s+(?:the\s+)?$", before)
    population = {m.name for m in catalog.population_metrics()}
    return said is not None and any(
        p.text[m.span[1]:said.start()].strip(" ,") == "" and any(
            s.kind == "metric" and s.name not in population for s in m.senses)
        for m in p.matches if 0 <= m.span[1] <= said.start())


def _negation_scope(p: Parse, span: tuple[int, int]) -> str:
    """The three words before a phrase, after the governed phrase before it: "never completed
    a" before "purchase", "no" before the order noun, "have never" before "ordered"."""
    start = max([m.span[1] for m in p.matches if 0 <= m.span[1] <= span[0]], default=0)
    return " ".join(p.text[start:span[0]].split()[-3:])


# "Of those, how many have bought", "how many placed": the count's noun left out is the people
# the question is about (not "how many did we sell", whose subject follows).
PEOPLE_DID = re.compile(r"\bhow\s+many\s+(?:of\s+(?:them|those|these)\s+)?(?:(?:have|has|had)\s+"
                        r"(?:ever\s+|already\s+|actually\s+)?)?(?:made|placed|bought|purchased|"
                        r"ordered|spent|completed|paid|converted)\b")


def _counts_members(p: Parse, catalog: Catalog) -> bool:
    """ "How many <segment or people> ...", "what % of <people> ...": the first governed
    words after "how many" (or the share's "of") name people (a segment, a member, the
    population), or the count's noun is left out for the people said before it, so the count
    is of people, whatever they did."""
    asked = re.search(r"\bhow\s+many\b|(?:\b(?:share|percentage|percent|proportion|fraction)|%)"
                      r"\s+of\b", p.text)  # "what % of German users made a purchase"
    if asked is None:
        return False
    population = {m.name for m in catalog.population_metrics()}
    did = PEOPLE_DID.search(p.text)
    if did is not None:  # "how many paid invoices": the participle describes the noun
        return not any(m.span[0] >= did.end() and not p.text[did.end():m.span[0]].strip() and
                       any(s.kind == "metric" and s.name not in population for s in m.senses)
                       for m in p.matches)
    # values describe the people ("how many US pro accounts that ..."): the noun is after
    # them, or in the value's own phrase ("how many trial accounts bought")
    after = described_from(p, asked.end())
    return bool(after) and names_who(p, after[0], population)


def described_from(p: Parse, start: int) -> list[PhraseMatch]:
    """The governed phrases from `start` on, less values that only describe the people named
    after them ("US pro accounts"); a value said with its people ("free users") stays."""
    return [m for m in p.matches if m.span[0] >= start and not (
        all(s.kind == "value" for s in m.senses) and not names_people(p, m))]


def names_who(p: Parse, m: PhraseMatch, people: set[str]) -> bool:
    """Whether a phrase names people: a segment, a member, one of the `people` metrics, or a
    value said with a word for people."""
    return names_people(p, m) or any(
        s.kind in ("segment", "member") or s.kind == "metric" and s.name in people
        for s in m.senses)


def names_people(p: Parse, m: PhraseMatch) -> bool:
    """A value said with a word for people names them: "trial users", "german customers"."""
    said = p.text[m.span[0]:m.span[1]].split()
    return bool(said) and said[-1] in PEOPLE_NOUNS and all(s.kind == "value" for s in m.senses)


def filters(p: Parse, senses: Senses, catalog: Catalog,
            choice: str | None = None) -> list[Filter]:
    """Dimension values named in the question; a phrase that is a value of two dimensions
    ("large customers": an enterprise plan or 1000+ employees) asks which one."""
    values: dict[tuple[str, bool], list[str]] = {}
    last_excluded: tuple[int, bool] = (-10, False)
    for m in p.matches:
        found = [s for s in m.senses if s.kind == "value"]
        if not found:
            continue
        if len({s.name for s in found}) > 1:
            chosen = [s for s in found if choice == f"{s.name}={s.detail}"]
            if not chosen:
                raise ClarificationNeeded(
                    messages.CLARIFY_AMBIGUOUS.format(phrase=m.entry.phrase),
                    [value_candidate(catalog, s.name, s.detail) for s in found],
                )
            found = chosen
        before = p.text[max(0, m.span[0] - 30) : m.span[0]] if m.span[0] >= 0 else ""
        excluded = EXCLUDE.search(before) is not None or (
            last_excluded[1]
            and re.fullmatch(
                r"\s*(the\s+)?(and|or|,|nor)\s+(the\s+)?", p.text[last_excluded[0] : m.span[0]]
            )
            is not None
        )
        last_excluded = (m.span[1], excluded)
        for s in found:
            if s.detail not in values.setdefault((s.name, excluded), []):
                values[(s.name, excluded)].append(s.detail)
    return [Filter(dimension=d, values=tuple(v), exclude=ex) for (d, ex), v in values.items() if v]


WHOLE_OF = re.compile(r"\b(?:across|over)\s+(?:all|every)\s+(?:(?:the|our|of\s+our)\s+)?$")


def _entity_not_grouped(p: Parse, m: PhraseMatch, lead: str) -> bool:
    """An entity that says whose the next dimension is ("customer region"), or the whole of
    what a figure counts ("X over every order"), is no grouping of its own."""
    return qualifies_next(p, m.span[1]) or WHOLE_OF.search(lead) is not None


def _without_each(text: str, lead: str, at: int) -> str:
    """`text` with the "each" that leads the grouping at `at` ("in each country") blanked: it
    says one row per country, not one per value named elsewhere."""
    each = re.search(r"\beach\s+(?:of\s+(?:the|our)\s+)?$", lead)
    if each is None:
        return text
    start = at - len(lead) + each.start()
    return text[:start] + " " * len(each[0]) + text[start + len(each[0]):]


def group_by(
    p: Parse, senses: Senses, catalog: Catalog, metric: str | None, segment: Segment | None,
    grain: re.Match[str] | None, versus_rest: bool = False
) -> list[DimensionRef]:
    groups: list[DimensionRef] = []
    last_end = -10
    text = p.text  # without the "each" that led a grouping ("in each country")
    for m, s in senses:
        if s.kind != "dimension" or m.span[0] < 0:
            continue
        lead = p.text[max(0, m.span[0] - 24) : m.span[0]]
        chained = bool(groups) and re.fullmatch(
            r"\s*(and|&|,|,\s*and|plus)\s*", p.text[last_end : m.span[0]]
        )
        which = re.search(PARTITIVE_WHICH, lead) and SUPERLATIVE.search(p.text) or \
            re.search(rf"{RANK_VERB.pattern}(?:the\s+|our\s+|all\s+)?$", lead)  # "rank the regions"
        ranked = re.search(r"\b(top|bottom|best|worst)\s+(\d+\s+)?$", lead) or (
            re.search(rf"\b(the|our|which|what)\s+(\d+|{SMALL_COUNT})\s+([a-z]+\s+)?$", lead)
            and SUPERLATIVE.search(p.text))
        if catalog.dimensions[s.name].role == "entity" and _entity_not_grouped(p, m, lead):
            continue
        if (
            re.search(rf"{GROUP_LEAD}\s+(the\s+|their\s+|our\s+)?(\w+\s+)?$", lead)
            or chained
            or which
            or ranked
            or re.match(r"\s*(breakdown|split|distribution|mix)\b", p.text[m.span[1] :])
        ):
            dim = catalog.dimensions[s.name]
            if dim.is_time:
                continue
            if all(g.name != s.name for g in groups):
                groups.append(DimensionRef(name=s.name))
                p.used_dimensions.add(s.name)
            last_end = m.span[1]
            text = _without_each(text, lead, m.span[0])
    # "compare free and pro": one row per value (beside "X vs the rest" the comparing word is
    # the segment's, and its values only narrow both sides)
    if (COMPARE.search(text) or CHOICE.search(p.text)) and not versus_rest:
        values: dict[str, set[str]] = {}
        for _, s in senses:
            if s.kind == "value":
                values.setdefault(s.name, set()).add(s.detail)
        groups += [
            DimensionRef(name=d)
            for d, v in values.items()
            if len(v) > 1 and all(g.name != d for g in groups)
        ]
    history = (
        segment is not None
        and segment.history
        and HISTORY.search(p.text)
        and not SIGNUP_WORDS.search(p.text)
        and (metric is None or metric in {m.name for m in catalog.population_metrics()})
    )  # membership at month ends; a metric of the members ("their revenue") is grouped
    if grain and not history and not (segment and segment.entity == "cohort"):
        word = grain[2] or GRAIN_WORD.get(grain[3] or "", "month")
        column = time_column(p, metric, segment, catalog, grouping=grain[1] or "")
        groups.append(DimensionRef(name=column, grain=word))
    return groups


def time_column(p: Parse, metric: str | None, segment: Segment | None, catalog: Catalog,
                grouping: str = "", span: tuple[int, int] | None = None) -> str:
    """The date a time phrase filters: the metric's own time column, unless the question says
    its population *signed up* then ("signed up during Q3", "Q3 signups"; a signup word
    elsewhere in the sentence only names the population, "in Q3, what did organic signups
    spend?")."""
    signup_column = catalog.signup_column()
    own = catalog.metrics[metric].time_column if metric in catalog.metrics else signup_column
    if grouping.strip() == "signup":
        return signup_column
    signups = [m.span() for m in SIGNUP_WORDS.finditer(p.text)]
    if signups and (own == signup_column or span is None or any(
            _adjacent(s, span, p.text) for s in signups)):
        return signup_column
    counts_people = metric is None or own == signup_column
    if grouping.strip() == "order" or (counts_people and ORDER_WORDS.search(p.text)):
        return catalog.order_column() or own
    return _event_date(p, catalog.metrics[metric], catalog, span) \
        if metric in catalog.metrics else own


def _event_date(p: Parse, metric: Metric, catalog: Catalog,
                span: tuple[int, int] | None) -> str:
    """The metric's own date, or another date of its table that the question names by its
    event, in a word no governed phrase claims ("claims *closed* last year", "policies that
    *expired* in May"); two dates named so are the metric's own date (and the words stay
    unexplained, so the question is asked back)."""
    claimed = [m.span for m in p.matches if m.span[0] >= 0]
    said = [w.group() for w in re.finditer(r"[a-z]+", p.text)
            if not any(a <= w.start() < b for a, b in claimed)]
    events = event_dates(metric, catalog)
    named = [key for key, words in events.items()
             if any(same_event(s, w) for s in said for w in words)]
    if not named and span is not None:
        _value_or_event(p, events, span)
    return named[0] if len(named) == 1 else metric.time_column


# A participle said as what happened to the rows ("the tickets were closed in May").
_HAPPENED = re.compile(r"\b(?:was|were|is|are|been|being|got|get|gets)\s+(?:\w+ly\s+)?$")


def _value_or_event(p: Parse, events: dict[str, set[str]], period: tuple[int, int]) -> None:
    """ "Tickets were closed in May" over a table with both a `closed` status and a
    `closed_at` date: the participle names the value and the date's event alike, and which
    one the period is on changes the number, so it is asked back. A period said before it
    ("tickets opened in June were closed") is the opening's."""
    for m in p.matches:
        if m.span[0] < 0 or not m.senses or any(s.kind != "value" for s in m.senses):
            continue
        word = p.text[m.span[0]:m.span[1]]
        dates = [key for key, words in events.items() if any(same_event(word, w) for w in words)]
        if dates and _HAPPENED.search(p.text[:m.span[0]]) and period[0] >= m.span[1]:
            raise ClarificationNeeded(messages.CLARIFY_VALUE_OR_EVENT.format(
                word=word, value=m.senses[0].detail, dimension=m.senses[0].name,
                date=dates[0]), [])


def _adjacent(a: tuple[int, int], b: tuple[int, int], text: str) -> bool:
    """Two spans with at most three words between them."""
    gap = text[a[1]:b[0]] if a[1] <= b[0] else text[b[1]:a[0]]
    return len(gap.split()) <= 3
