"""The offline rules planner: catalog vocabulary + time phrases -> QueryPlan, or an honest no.

Order of questions it asks of a sentence:
  1. Is it a request to change data, for personal data, or off-topic?  -> refuse
  2. Does it ask what something means, or what can be asked?           -> definition/catalog
  3. Which governed objects does it name (longest phrase first)?       -> segment/member,
     metric, filters, group-by, time range, what-if overrides
  4. Does a phrase fit several segments with nothing to tell them apart? -> clarify
  5. Which part of the sentence did we understand?                        -> confidence
It never guesses between definitions: ambiguity comes from the catalog's own synonyms.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from datetime import date

from assistant import messages
from assistant.catalog.models import Catalog
from assistant.errors import ClarificationNeeded, Refusal
from assistant.plan import (
    Intent,
    MetricRef,
    QueryPlan,
    SegmentRef,
)
from assistant.planner import PlanOutcome
from assistant.planner.change_question import recognise as recognise_change
from assistant.planner.coverage import FUNCTION_WORDS
from assistant.planner.lexicon import (
    SMALL_WORDS,
    Sense,
    build_lexicon,
    pattern_words,
    vocabulary,
    words_of,
)
from assistant.planner.parsing import (
    Parse,
    candidate,
    choice_allows,
    governed_words,
    match_phrases,
)
from assistant.planner.passes import plan_data_question
from assistant.planner.patterns import (
    ASKING_ASIDE,
    CATALOG,
    CHANGE_ASKED,
    CLAUSE_BREAK,
    COMPARE_PERIODS,
    COUNT,
    COUNTRY_CODES,
    DEFINITION,
    DEFINITION_ASIDE,
    HOW_MUCH_OR_MANY,
    INJECTION,
    INTENT_CLAUSE,
    LIST,
    NUMBER,
    OFF_TOPIC,
    PURPOSE,
    RAW_SQL,
    REQUESTER,
    REQUESTER_OF_IT,
    SPEAKER,
    SPEAKER_LEAD,
    TREND,
    UNGOVERNED,
    USUAL_DEFINITION,
    WALK_THROUGH,
    WHAT_IS,
    acts,
    pii_requested,
    writes,
)
from assistant.planner.text import STOPWORDS, Corrector, normalise, phrase_pattern, words
from assistant.planner.timephrases import NUMBER_WORDS, Found, find_time

# One word before a colon that opens the question ("Finance: ...", "Partnerships: ...").
HEADING = re.compile(r"^\s*([\w'&/-]+)\s*:\s*(?=\S)")
# Words a definition's clause may not drop when its figure is read without it.
DEFINITION_KEEPS = re.compile(r"\b(not|no|never|only|without|except|excluding)\b|n't\b")
# The closed classes of words that narrow or negate who is counted, or say how it is
# aggregated or compared; an opening part holding one is part of the question ("except for
# the lapsed ones, ...", "typically, ...").
NARROWING = re.compile(r"\b(who|whom|whose|that|which|where|when|if|unless|only|ones|those|"
                       r"these|them|they|people|with|without|except|excluding|not|no|never|"
                       r"but|than|average|avg|mean|median|typical|typically|per|each|every|all|"
                       r"total|sum|rate|percent|share|most|least|top|bottom|best|worst|more|"
                       r"less|fewer|versus|vs|or|same|new|first|last)\b|n't\b")


def _asks(text: str) -> bool:
    """Whether a clause asks for something: a list, a count or a definition."""
    return bool(LIST.search(text) or COUNT.search(text) or DEFINITION.search(text))


def _only_periods(text: str, as_of: date) -> bool:
    """A clause that is nothing but periods ("revenue — june vs july") is part of the
    question; one with other words ("planning to email them before friday") is context."""
    found = find_time(text, as_of)
    if found is None:
        return False
    rest = text[:found.span[0]] + " " + text[found.span[1]:]
    second = find_time(rest, as_of)
    if second is not None:
        rest = rest[:second.span[0]] + " " + rest[second.span[1]:]
    return all(w in FUNCTION_WORDS or COMPARE_PERIODS.fullmatch(w) or w in ("and", "or")
               for w in rest.split())


def _said_elsewhere(found: Found, rest: str, as_of: date) -> bool:
    """The same period is in the rest of the question: this clause only repeats it."""
    other = find_time(normalise(rest), as_of)
    return other is not None and (other.start, other.end) == (found.start, found.end)


# What the asker wants to learn ("see", "know", "check"), as against what they will do.
INFORMATION_VERB = re.compile(r"\s*(?:see|know|get|have|look|check|compare|pull|find|track|"
                              r"view|understand|break|split|measure|confirm)\b", re.IGNORECASE)


# A count asked for ("how many", "the current headcount"), and any figure asked for in a
# clause of its own ("what's the ...", "give me ...", or a count).
_COUNT_ASK = (r"how\s+many|number\s+of|how\s+big|size\s+of|(?:a|the|today'?s|current|latest)"
              r"\s+(?:number|figure|count|total|headcount)")
COUNT_ASK = re.compile(rf"\b(?:{_COUNT_ASK})\b")
DATA_ASK = re.compile(r"\b(?:what(?:'s|s|\s+is|\s+was|\s+are|\s+were)|how\s+much|show\s+me|"
                      rf"give\s+me|list|{_COUNT_ASK})\b")


def _apart(question: str, cue: str, ask: str, cue_first: bool) -> bool:
    """Whether a definition's cue and a figure's ask stand in clauses of their own: a
    punctuation mark or an "and" between them, as the question was typed."""
    low = question.lower()
    first, second = (cue, ask) if cue_first else (ask, cue)
    a = low.find(first.split()[0])
    b = low.find(second.split()[0], a + len(first.split()[0])) if a >= 0 else -1
    return b > a >= 0 and re.search(r"[,;?.!:\u2014\u2013]|\s-\s|\band\b", low[a:b]) is not None


def _one_subject(probe: Parse, cue: tuple[int, int], catalog: Catalog) -> None:
    """A definition asked beside a figure about something else ("what's a PQL, and how many
    champions are there?") is two questions: asked back, not answered as one of them."""
    people = {m.name for m in catalog.population_metrics()}  # people counted are no subject
    subjects = [m for m in probe.matches if any(
        s.kind in ("segment", "member", "metric") and s.name not in people for s in m.senses)]
    inside = {(s.kind, s.name) for m in subjects if cue[0] <= m.span[0] < cue[1]
              for s in m.senses}
    outside = {(s.kind, s.name) for m in subjects if not cue[0] <= m.span[0] < cue[1]
               for s in m.senses}
    if inside and outside and not {n for _, n in inside} & {n for _, n in outside}:
        defined = next(m.entry.phrase for m in subjects if cue[0] <= m.span[0] < cue[1])
        counted = next(m.entry.phrase for m in subjects if not cue[0] <= m.span[0] < cue[1])
        raise ClarificationNeeded(messages.CLARIFY_TWO_SUBJECTS.format(
            defined=defined, counted=counted), [])


def _whole_family(probe: Parse, families: set[str], catalog: Catalog) -> str | None:
    """ "Define RFM segments: what sets champions apart?": the one family
    every named word belongs to (itself, one of its members, a segment it requires), when one
    of its members is said too, is the one a definition question is about."""
    mentioned = [m for m in probe.matches if any(s.kind in ("segment", "member")
                                              for s in m.senses)]
    whole = [f for f in sorted(families) if all(any(
        s.name == f or s.name in catalog.segments[f].requires for s in m.senses)
        for m in mentioned) and any(s.kind == "member" and s.name == f for m in mentioned
                                    for s in m.senses)]
    return whole[0] if len(whole) == 1 else None


def _stems(text: str) -> set[str]:
    """Content words of a text, cut to a crude stem ("completion" meets "completed")."""
    return {w[:6] if len(w) > 6 else w.removesuffix("s") for w in re.findall(r"[a-z]+", text)
            if w not in STOPWORDS and w not in FUNCTION_WORDS}


# What goes into a figure: the definition asked about is the figure named after these words.
PART_OF_WHOLE = re.compile(r"\b(?:count(?:s|ed)?\s+(?:toward|towards|into)|go(?:es)?\s+into|"
                           r"(?:included|counted|contained)\s+in|part\s+of|make(?:s)?\s+up|"
                           r"feed(?:s)?\s+into|contribute(?:s)?\s+to)\b")
# The words of the definition cue ("how is X defined"), not of the thing it asks about: the
# cue's match may span the thing, so the cue's own words are dropped, not the span, unless
# a metric's name says them.
_CUE_WORDS = frozenset(words_of(DEFINITION, shortest=2))


def set_aside(question: str, main: str) -> tuple[str, ...]:
    """The runs of words of `question` that its main clauses leave out, as said, without
    those made only of small words and greetings ("hey", "thanks")."""
    said = re.findall(r"[\w'’-]+", question)
    kept = re.findall(r"[\w'’-]+", main)
    runs = []
    matcher = difflib.SequenceMatcher(a=[w.lower() for w in said], b=[w.lower() for w in kept],
                                      autojunk=False)
    for tag, a, b, _, _ in matcher.get_opcodes():
        words = said[a:b]
        if tag in ("delete", "replace") and any(
                w.lower() not in FUNCTION_WORDS and not COURTESY_WORD.fullmatch(w.lower())
                for w in words):
            runs.append(" ".join(words))
    return tuple(runs)


COURTESY_WORD = re.compile(r"hey|hi|hello|morning|afternoon|thanks|thank|pls|please|cheers|ty|"
                           r"thx|quick|q|question|here|folks|team|all|y'?all|so|much|very|lot|"
                           r"sorry|ok|okay|-+")


def _asks_definition(p: Parse, catalog: Catalog, as_of: date) -> bool:
    """Whether the question asks what something means rather than for its figure."""
    match_what = WHAT_IS.match(p.text)
    weak = DEFINITION_ASIDE.search(p.text) is not None or WALK_THROUGH.search(p.text) is not None
    asks = DEFINITION.search(p.text) is not None or (
        weak and NUMBER.search(p.text) is None and find_time(p.text, as_of) is None)
    if not asks and match_what:
        rest = match_what["rest"]
        probe = Parse(p.original, rest, rest)
        match_phrases(probe, catalog)
        leftovers = [w for w in words(probe.work) if w not in {"our", "we", "segq"}]
        named = [s for m in probe.matches for s in m.senses]
        is_segment = any(s.kind in ("segment", "member") for s in named)
        article = match_what[3]
        ours = re.match(r"(our|my|the\s+current|current)\b", rest) is not None
        if named and not leftovers and (article in ("a", "an", None) or is_segment):
            # "what is revenue?" asks what it means; "what's our revenue?" asks for the number
            asks = bool((article != "the" and not ours) or (is_segment and not ours))
    return asks


def _defined_senses(p: Parse, probe: Parse) -> list[Sense]:
    """The senses a definition question names; of "do refunded orders count toward
    revenue?" those after the words of belonging: it is about the whole, not its parts."""
    senses = [s for m in probe.matches for s in m.senses]
    whole = PART_OF_WHOLE.search(p.text)
    after = [s for m in probe.matches if whole is not None and m.span[0] >= whole.end()
             for s in m.senses]
    return after or senses


def _best_described(text: str, catalog: Catalog, named: str) -> str:
    """The metric a definition question is about: the one its matched phrase names, unless
    another one's name holds every word said of that one and more of the question's words,
    a word fewer metrics share weighing more (a question about the delivery lag of an order
    is not about the `orders` its last word names). Words said in full count for a name's
    initials ("North America" for the "NA" of "transaction amount in NA")."""
    said = {m.name: " ".join((m.name.replace("_", " "), normalise(m.label),
                              *map(normalise, m.synonyms))) for m in catalog.metrics.values()}
    owned = {w for words in said.values() for w in words.split()}
    kept = [w for w in text.split() if w not in _CUE_WORDS or w in owned]
    asked = _stems(" ".join(kept))
    runs = [kept[i:i + n] for n in (2, 3) for i in range(len(kept) - n + 1)]
    asked |= {"".join(w[0] for w in run) for run in runs
              if all(w.isalpha() and w not in SMALL_WORDS for w in run)} & owned
    own = {name: _stems(words) for name, words in said.items()}
    spread = {w: sum(w in words for words in own.values()) for w in asked}
    scores = {name: sum(1 / spread[w] for w in asked & words) for name, words in own.items()}
    wider = [n for n in own if asked & own[named] <= own[n] and scores[n] > scores[named] + 1e-9]
    best = max((scores[n] for n in wider), default=0.0)
    top = [n for n in wider if scores[n] == best]
    return top[0] if len(top) == 1 else named


# A calendar unit anywhere in a lead clause may say how the rest is counted ("month over
# month", "weekly", "per quarter"), so such a clause is never only context.
CALENDAR_UNIT = re.compile(r"\b(?:days?|weeks?|months?|quarters?|years?|daily|weekly|monthly|"
                           r"quarterly|yearly|annual(?:ly)?)\b")


class RulesPlanner:
    """Deterministic planner over the catalog's own vocabulary."""

    name = "rules"

    def __init__(self, *, min_confidence: float = 0.6, allow_pii: bool = False) -> None:
        self.min_confidence = min_confidence
        self.allow_pii = allow_pii
        self._correctors: dict[int, Corrector] = {}

    # -- entry point ----------------------------------------------------------------------
    def plan(self, question: str, catalog: Catalog, *, as_of: date,
             choice: str | None = None) -> PlanOutcome:
        main = self._main_clauses(question, catalog, as_of)
        outcome = self._plan(question, main, catalog, as_of=as_of, choice=choice)
        aside = set_aside(question, main) if main != question else ()
        return replace(outcome, set_aside=aside) if aside else outcome

    def _plan(self, question: str, main: str, catalog: Catalog, *, as_of: date,
              choice: str | None = None) -> PlanOutcome:
        full = self._corrector(catalog).correct(normalise(question))
        text = full if main == question else self._corrector(catalog).correct(normalise(main))
        p = Parse(question, text, text)
        if writes(question, lambda clause: self._sets_parameter(clause, catalog)):
            raise Refusal(messages.REFUSE_WRITE, "write request", final=True)
        if acts(question):  # actions only in the question itself
            raise Refusal(messages.REFUSE_ACTION, "action request", final=True)
        if INJECTION.search(full) or RAW_SQL.search(question):
            raise Refusal(messages.REFUSE_INSTRUCTIONS, "instructions or raw sql", final=True)
        self._guard(Parse(question, full, full), catalog)
        self._heading_value(question, catalog)
        if CATALOG.search(text):
            return PlanOutcome(QueryPlan(intent=Intent.CATALOG), 0.95, self.name)
        definition = self._definition(p, catalog, choice, as_of)
        head = self._definition_clause(p, catalog, as_of)  # a clause of its own: the whole cue
        if definition is not None or head:
            counted = self._counted_too(p, catalog, head)
            if counted is not None:  # a definition, then its count in a clause of its own
                try:  # its answer is the figure, or what of it was not understood
                    return self._data_question(counted, catalog, as_of, choice)
                except ClarificationNeeded:
                    if COUNT_ASK.search(counted.text) or definition is None:
                        raise  # the definition alone leaves the figure asked for unanswered
        if definition is not None:
            return definition
        change = recognise_change(question, catalog, self, as_of=as_of, choice=choice)
        if change is not None:  # "why did at-risk grow since May?" (planner/change_question.py)
            return change
        return self._data_question(p, catalog, as_of, choice)

    def _corrector(self, catalog: Catalog) -> Corrector:
        key = id(catalog)
        if key not in self._correctors:
            phrases = [e.phrase for e in build_lexicon(catalog)]
            governed = {w for phrase in phrases for w in phrase.split()}
            self._correctors[key] = Corrector(vocabulary(catalog), governed, phrases,
                                              protected=pattern_words())
        return self._correctors[key]

    # -- 1. refusals ----------------------------------------------------------------------
    def _main_clauses(self, question: str, catalog: Catalog, as_of: date) -> str:
        """Drop clauses that name nothing governed and ask nothing ("for Monday's board slides:
        list ...", "... ? planning a thank-you email"): context, not part of the question.
        Clauses with a governed phrase, a parameter's words, "list", "how many" or a question
        about a definition ("how's that defined?") stay."""
        said = [c.strip() for c in CLAUSE_BREAK.split(question) if c and c.strip()]
        said = self._without_intent(said, catalog, as_of)
        clauses = [self._without_purpose(REQUESTER_OF_IT.sub(" ", REQUESTER.sub(
            "", self._without_aside(self._without_lead_context(SPEAKER_LEAD.sub("", c), catalog,
                                                               as_of), catalog))), catalog)
                   for c in said]
        if len(clauses) < 2:
            return clauses[0] if clauses else question
        kept = []
        for clause in [c for c in clauses if not SPEAKER.match(c) and not
                       USUAL_DEFINITION.match(c)]:
            probe = self._probe(clause, catalog)
            text = probe.text
            what_if = NUMBER.search(text) is not None and any(
                phrase_pattern(normalise(syn)).search(text)
                    for seg in catalog.segments.values() for param in seg.parameters
                for syn in (*param.synonyms, param.label))
            asks = _asks(text)
            # a period is never context ("AOV per plan - people who ordered over the past 45
            # days", "X: this month against the one before"): it limits the answer, so
            # coverage must see it (what the asker will do then was set aside above)
            dated = (found := find_time(text, as_of)) is not None and not _said_elsewhere(
                found, question.replace(clause, " "), as_of)  # "again for Q4 - ... in Q4"
            # upper-case codes of the geography's values ("FR vs JP") name governed values
            coded = catalog.geography() is not None and question.upper() != question and \
                COUNTRY_CODES.search(clause) is not None
            if probe.matches or asks or what_if or dated or coded or _only_periods(text, as_of) \
                    or CHANGE_ASKED.search(text):  # "and the % change?": the shape asked
                kept.append(clause)
        return " ".join(kept) if kept else question

    def _sets_parameter(self, clause: str, catalog: Catalog) -> bool:
        """ "lower the login minimum to 4", "set min_projects to two": a number said
        for a governed parameter (its name, label or a synonym) is a what-if."""
        text = normalise(clause.replace("_", " "))
        said = NUMBER.search(text) is not None or any(w in NUMBER_WORDS for w in text.split())
        stored = re.search(r"\b(tables?|columns?|rows?|records?|warehouse|database|db|save|"
                           r"saved|persist|permanent|permanently|for\s+good|from\s+now\s+on)\b",
                           text)  # kept: a change, not a what-if
        return said and stored is None and any(
            phrase_pattern(normalise(name)).search(text)
            for seg in catalog.segments.values() for param in seg.parameters
            for name in (param.name.replace("_", " "), param.label, *param.synonyms))

    def _probe(self, clause: str, catalog: Catalog) -> Parse:
        text = self._corrector(catalog).correct(normalise(clause))
        probe = Parse(clause, text, text)
        match_phrases(probe, catalog)
        return probe

    def _without_intent(self, clauses: list[str], catalog: Catalog, as_of: date) -> list[str]:
        """Clauses and comma-parts after the first that say what the asker will do or thinks
        ("we plan to phone them all friday", "looks like a win-back roster") are context when
        every governed phrase in them is also in the rest of the question, and a period in
        them is not the question's only one."""
        parts = [(i, part) for i, clause in enumerate(clauses)
                 for part in ([clause] if i else []) + re.split(r",\s+", clause)[1:]]
        for i, part in reversed(parts):
            intent = INTENT_CLAUSE.match(part)
            if intent is None:
                continue
            rest = " ".join(clauses).replace(part, " ")  # the asker ("sales wants to") aside
            mine, others = self._probe(part[intent.end():], catalog), self._probe(rest, catalog)
            senses = {(s.kind, s.name, s.detail) for m in others.matches for s in m.senses} | {
                ("metric", m.name, "") for m in catalog.population_metrics()}  # "them", people
            # a period of what they will do ("ring them friday") is theirs; one of what
            # they want to see ("want to see it for Q2") limits the answer
            timed = find_time(mine.text, as_of) is not None and \
                INFORMATION_VERB.match(part[intent.end():]) is not None
            if not timed and not NUMBER.search(part) and all((s.kind, s.name, s.detail) in senses
                                                      for m in mine.matches for s in m.senses):
                clauses[i] = clauses[i].replace(part, " ").strip(" ,")
        return [c for c in clauses if c]

    def _heading_value(self, question: str, catalog: Catalog) -> None:
        """ "Resellers: revenue by month": one word before a colon that opens the question
        and names a dimension's value by a synonym may be the asker's team or a filter on
        that value; asked back rather than guessed either way. The value's own name or label
        ("Phones: ...") is the value."""
        heading = HEADING.match(question)
        if heading is None or SPEAKER.match(heading[1]):
            return
        probe = self._probe(heading[1], catalog)
        senses = [s for m in probe.matches for s in m.senses]
        if len(probe.matches) != 1 or not senses or any(s.kind != "value" for s in senses):
            return
        dim = catalog.dimensions.get(senses[0].name)
        own = {normalise(n) for v in (dim.values if dim else ()) if v.value == senses[0].detail
               for n in (v.value, v.label)}
        if probe.text.strip() not in own:  # "Phones:" names the value itself
            value = next((f"{v.label} ({dim.label})" for v in dim.values
                          if v.value == senses[0].detail), senses[0].detail) if dim \
                else senses[0].detail
            raise ClarificationNeeded(messages.CLARIFY_HEADING.format(
                heading=heading[1].strip(), value=value), [])

    def _without_lead_context(self, clause: str, catalog: Catalog, as_of: date) -> str:
        """The clause without an opening comma-part about the asker ("purely out of
        curiosity as a copywriter, ..."): it names nothing governed, asks nothing, holds no number,
        period or word that could narrow who is counted ("who", "only", "not", "those"), and
        the rest of the clause asks on its own."""
        lead, comma, rest = clause.partition(",")
        if not comma or not rest.strip():
            return clause
        probe = self._probe(lead, catalog)
        governed = self._corrector(catalog).governed  # "high / low, how many each": members
        if any(w in governed and w not in ("just", "only") for w in probe.text.split()):
            return clause
        asks = _asks(probe.text)
        narrows = NARROWING.search(probe.text) or NUMBER.search(probe.text) or find_time(
            probe.text, as_of) is not None or CALENDAR_UNIT.search(probe.text) or \
            TREND.search(probe.text)  # "month over month, ..." says how it is counted
        if probe.matches or asks or narrows:
            return clause
        if not _asks(self._probe(rest, catalog).text):
            return clause
        return rest.strip()

    def _without_aside(self, clause: str, catalog: Catalog) -> str:
        """The clause without a hedge about the asking before its "but" ("not sure if I
        should ask here, but ..."), unless the hedge names something counted or kept."""
        aside = ASKING_ASIDE.match(clause)
        if aside is None:
            return clause
        probe = self._probe(aside[0], catalog)
        if any(s.kind != "dimension" for m in probe.matches for s in m.senses):
            return clause
        return clause[aside.end():]

    def _without_purpose(self, clause: str, catalog: Catalog) -> str:
        """The clause without what the answer is for ("for the renewal memo", "for the
        weekly sync"), unless those words name a segment, member, value or dimension: "for the
        enterprise review" may be a filter, so it stays and coverage asks."""
        for match in reversed(list(PURPOSE.finditer(clause))):
            probe = self._probe(match[0], catalog)
            if not any(s.kind != "metric" for m in probe.matches for s in m.senses):
                clause = (clause[:match.start()] + " " + clause[match.end():]).strip()
        return clause

    def _guard(self, p: Parse, catalog: Catalog) -> None:
        """Personal data, off-topic and ungoverned requests anywhere in the question (a word
        the catalog governs, like a model's own `profit`, is not ungoverned)."""
        pii = pii_requested(p.text)
        if pii and not self.allow_pii:
            raise Refusal(messages.REFUSE_PII.format(column="email" if "mail" in pii[0]
                                                     else pii[0]), "restricted column",
                          final=True)
        off = OFF_TOPIC.search(p.text)
        if off and not governed_words(p.text, off.span(), catalog) and not any(
                w.startswith(off[0]) for e in build_lexicon(catalog)
                for w in e.phrase.split()):  # a model's own "forecasted revenue"
            raise Refusal(messages.REFUSE_OFF_TOPIC, "off topic")
        ungoverned = next((m for m in UNGOVERNED.finditer(p.text)
                           if not governed_words(p.text, m.span(), catalog)), None)
        if ungoverned and not DEFINITION.search(p.text):
            raise Refusal(messages.REFUSE_UNGOVERNED.format(thing=f"`{ungoverned[0]}`"),
                          f"ungoverned: {ungoverned[0]}")

    # -- 2. definitions -------------------------------------------------------------------
    def _definition(self, p: Parse, catalog: Catalog, choice: str | None,
                    as_of: date) -> PlanOutcome | None:
        owner = self._parameter_owner(p, catalog)
        if not _asks_definition(p, catalog, as_of) and owner is None:
            return None
        probe = Parse(p.original, p.text, p.text)
        match_phrases(probe, catalog)
        senses = _defined_senses(p, probe)
        if owner is not None and not any(s.kind in ("segment", "member") for s in senses):
            plan = QueryPlan(intent=Intent.DEFINITION, segment=SegmentRef(name=owner))
            return PlanOutcome(plan, 0.9, self.name)
        if choice:
            senses = [s for s in senses if choice_allows(choice, s)] or senses
        population = {m.name for m in catalog.population_metrics()}
        ranked = ([s for s in senses if s.kind in ("segment", "member")]
                  + [s for s in senses if s.kind == "metric" and s.name not in population]
                  + [s for s in senses if s.kind == "metric"])
        if not ranked:
            raise Refusal(messages.REFUSE_OFF_TOPIC, "unknown definition")
        people = population | {m.name for m in catalog.buyer_metrics()}  # nouns for people
        first = next((s for s in senses if s.kind in ("segment", "member") or
                      s.kind == "metric" and s.name not in people), None)
        named_segment = any(s.kind in ("segment", "member") for s in senses)
        if named_segment and first is not None and first.kind == "metric":  # asked about first
            plan = QueryPlan(intent=Intent.DEFINITION, metric=MetricRef(name=first.name))
            return PlanOutcome(plan, 0.9, self.name)
        segments = {s.name for s in ranked if s.kind in ("segment", "member")}
        families = {s.name for s in ranked if s.kind == "segment"}
        if len(segments) > 1 and (whole := _whole_family(probe, segments & families, catalog)):
            segments = families = {whole}
        if len(segments) > 1 and not (segments & families and len(segments & families) == 1):
            raise ClarificationNeeded(
                messages.CLARIFY_AMBIGUOUS.format(phrase=probe.matches[0].entry.phrase),
                [candidate(catalog, name, None) for name in sorted(segments)])
        if segments:
            name = (segments & families or segments).pop()
            member = next((s.detail for s in ranked if s.kind == "member" and s.name == name),
                          None)
            plan = QueryPlan(intent=Intent.DEFINITION, segment=SegmentRef(name=name,
                                                                          member=member))
        else:
            name = _best_described(p.text, catalog, ranked[0].name)
            plan = QueryPlan(intent=Intent.DEFINITION, metric=MetricRef(name=name))
        return PlanOutcome(plan, 0.9, self.name)

    def _definition_clause(self, p: Parse, catalog: Catalog,
                           as_of: date) -> list[re.Match[str]]:
        """A clause, as typed, that alone asks what something is ("what is X, precisely - and
        the count?"): the whole clause is then the definition's cue."""
        for head in re.split(r"[,;?!:\u2014\u2013]|\s-\s", p.original):
            text = self._corrector(catalog).correct(normalise(head))
            found = re.search(rf"(?<![\w']){re.escape(text)}(?![\w'])", p.text) if text else None
            if found is None or text == p.text:
                continue
            strong = WHAT_IS.match(text) or DEFINITION.search(text) or (  # a weak sign only
                DEFINITION_ASIDE.search(text) and re.match(r"(what|how|which|who)\b", text))
            if not strong or DEFINITION_KEEPS.search(text):
                continue
            try:  # "how's it computed" alone names nothing: not a definition of its own
                alone = self._definition(Parse(head, text, text), catalog, None, as_of)
            except (Refusal, ClarificationNeeded):
                continue
            if alone is not None:
                return [found]
        return []

    @staticmethod
    def _counted_too(p: Parse, catalog: Catalog, head: list[re.Match[str]]) -> Parse | None:
        """A question about a definition that also asks, in a clause of its own, for a figure
        (", and what is the headcount?", "... and then the number of them"): the figure,
        read without the definition's cue words and the joint between the clauses; its
        answer carries the definition used."""
        cues = head + [m for m in DEFINITION.finditer(p.text)
                       if not head or m.start() >= head[0].end()]
        if not cues:  # "..., what counts as X?" is no figure
            return None
        cue = cues[0]
        count = next((m for m in DATA_ASK.finditer(p.text)
                      if not any(c.start() <= m.start() < c.end() for c in cues)
                      and not re.search(r"\b(?:not|no|never|without)\s+$", p.text[:m.start()])),
                     None)  # "its rule, not the figure" asks for no figure
        if count is None:
            return None
        lo, hi = sorted((cue.end() if cue.start() < count.start() else count.end(),
                         count.start() if cue.start() < count.start() else cue.start()))
        if not _apart(p.original, p.text[cue.start():cue.end()], count[0], cue.start() <
                      count.start()):
            return None
        probe = Parse(p.original, p.text, p.text)
        match_phrases(probe, catalog)
        if not probe.matches:
            return None
        _one_subject(probe, (cue.start(), cue.end()), catalog)
        joint = re.search(r"\band\b(?:\s+also\b)?", p.text[lo:hi])
        cut = [(lo + joint.start(), lo + joint.end())] if joint else []
        # the cue, less the names said in it
        start = cue.start()
        for a, b in sorted(m.span for m in probe.matches if cue.start() <= m.span[0] < cue.end()):
            cut.append((start, a))
            start = b
        cut.append((start, cue.end()))
        text = p.text
        for a, b in sorted(cut, reverse=True):
            text = text[:a] + " " + text[b:]
        text = re.sub(r"\s+", " ", text).strip()
        return Parse(p.original, text, text)

    @staticmethod
    def _parameter_owner(p: Parse, catalog: Catalog) -> str | None:
        """"How many projects must a PQL have?", "what is the churn cutoff?": a
        question about a declared parameter's value, with no value of its own, asks for the
        definition that owns it."""
        asks_value = re.search(r"\bwhat('?s|\s+is|\s+are|\s+was)\b", p.text)
        asks_bar = HOW_MUCH_OR_MANY.search(p.text) and re.search(
            r"\b(need|needs|required|require|requires|have\s+to|has\s+to|must|take|takes)\b",
            p.text)
        if NUMBER.search(p.text) or not (asks_value or asks_bar):
            return None
        owners = {seg.name for seg in catalog.segments.values() for param in seg.parameters
                  for syn in (*param.synonyms, param.label)
                  if len(normalise(syn).split()) > 1 and phrase_pattern(normalise(syn)).search(
                      p.text)}
        return owners.pop() if len(owners) == 1 else None

    # -- 3. data questions: the passes of planner/passes.py ---------------------------------
    def _data_question(self, p: Parse, catalog: Catalog, as_of: date,
                       choice: str | None) -> PlanOutcome:
        return PlanOutcome(plan_data_question(p, catalog, as_of, choice), 1.0, self.name)


__all__ = ["RulesPlanner"]
