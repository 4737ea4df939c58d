"""The offline rules planner: catalog vocabulary + time phrases -> QueryPlan, or an honest no.

Order of questions it asks of a sentence:
  1. Is it a request to change data, for personal data, or off-topic?  -> refuse
  2. Does it ask what something means, or what can be asked?           -> definition/catalog
  3. Which governed objects does it name (longest phrase first)?       -> segment/member,
     metric, filters, group-by, time range, what-if overrides
  4. Does a phrase fit several segments with nothing to tell them apart? -> clarify
  5. How much of the sentence did we understand?                        -> confidence
It never guesses between definitions: ambiguity comes from the catalog's own synonyms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from assistant import messages
from assistant.catalog.models import Catalog, Segment
from assistant.errors import Candidate, ClarificationNeeded, Refusal
from assistant.plan import (
    DimensionRef,
    Filter,
    Intent,
    MetricRef,
    Override,
    QueryPlan,
    SegmentRef,
    TimeRange,
)
from assistant.planner import PlanOutcome
from assistant.planner.lexicon import GENERIC, Entry, Sense, build_lexicon, vocabulary
from assistant.planner.text import MARK, Corrector, normalise, phrase_pattern, words
from assistant.planner.timephrases import find_time, snapshot_phrase

WRITE = re.compile(
    r"\b(delete|drop|truncate|insert|update|alter|remove|modify|grant|revoke|merge into|"
    r"overwrite|wipe|erase|purge|deactivate|ban|unsubscribe|refund)\b|\bcreate\s+(a\s+)?"
    r"(table|view|index|user|segment)\b|\bset\s+\w+\s+to\b|\bchange\s+(the\s+)?plan\b|"
    r"\bignore\s+(all\s+)?(previous|prior|above)\s+instructions\b")
ACTION = re.compile(r"\b(send|email|e mail|notify|message|text|call)\s+(an?\s+)?(email\s+)?"
                    r"(to\s+)?(all|them|every|these|those|the|our)\b")
PII = re.compile(r"\b(e ?mails?|email address(es)?|phone( numbers?)?|home address(es)?|"
                 r"ip address(es)?|passwords?|ssn|social security|credit cards?|"
                 r"(first|last|full) names?|postal address(es)?|contact details)\b")
OFF_TOPIC = re.compile(
    r"\b(weather|forecast|temperature|salar(y|ies)|payroll|wages?|stock|share price|"
    r"poem|joke|song|story|recipe|capital of|world cup|football|soccer|election|president|"
    r"bitcoin|crypto|horoscope|translate|movie|news|lottery|meaning of life)\b")
UNGOVERNED = re.compile(
    r"\b(lifetime value|ltv|clv|cac|acquisition cost|nps|net promoter|csat|margin|margins|"
    r"profit|profits|cost|costs|conversion rate|conversions?|arpu|mrr|arr|bounce rate|"
    r"click through|clicks|ctr|impressions|tickets?|support tickets|refund rate|refunds|"
    r"session length|time spent|downloads|installs|employees count|headcount|"
    r"page views|pageviews|logins count|number of logins|sessions count|number of sessions)\b")
DEFINITION = re.compile(
    r"\b(tell\s+me\s+about|difference\s+between)\b|\bhow\s+(do|does|did|would|should)\s+(we|you|they|i|one|segq)\s+(define|calculate|"
    r"compute|measure|count|determine|decide|score|work out)\b|"
    r"\bhow\s+(is|are|was|were)\b.*\b(defined|calculated|computed|measured|determined|"
    r"scored|decided|assigned|worked out|built)\b|"
    r"\bwhat\s+(is|are|s)\s+(the\s+)?(definition|meaning|rule|rules|logic|formula|criteria)\b|"
    r"\bwhat\s+(counts|qualifies)\s+as\b|\bwhat\s+(does|do)\b.*\bmean\b|"
    r"\bwhat\s+makes\s+(someone|somebody|a\s+user|a\s+customer|users?|customers?|an?)\b|"
    r"^(explain|define|describe)\b|\b(definition|meaning)\s+of\b|\bwhat\s+is\s+meant\s+by\b")
WHAT_IS = re.compile(r"^(what|whats)\s+(?:(is|are|s)\s+)?(?:(a|an|the)\s+)?(?P<rest>.+)$")
CATALOG = re.compile(
    r"\bwhat\s+(segments|metrics|definitions|dimensions|questions|kinds? of questions|data)\b|"
    r"\bwhat\s+can\s+(i|you|we)\s+ask\b|\bwhat\s+do\s+you\s+know\b|^help\b|"
    r"\b(list|show)\s+(me\s+)?(all\s+)?(the\s+)?(available\s+)?(segments|metrics|definitions)"
    r"\s*$|\bwhich\s+(segments|metrics|definitions)\b|\bwhat\s+can\s+you\s+(do|answer)\b")
COUNT = re.compile(r"\b(how\s+many|number\s+of|count|counts|total|how\s+big|size\s+of|sizes|"
                   r"n\s+of)\b")
LIST = re.compile(r"\b(list|who\s+are|who\s+is|who's|whos|which\s+(users|customers|accounts|"
                  r"ones|people|leads|of\s+our)|show\s+(me\s+)?(the\s+|all\s+|our\s+)?"
                  r"(users|customers|accounts|people|leads|members|ids)|export|user\s+ids|"
                  r"give\s+me\s+(the\s+|a\s+)?(list|users|customers|ids|accounts)|"
                  r"names\s+of|who\s+(has|have|made|signed))\b")
NEGATION = re.compile(r"(\bnot|n't|\bnever|\bno|\byet\s+to)\s+(yet\s+)?(been\s+)?$")
COMPARATIVE = re.compile(r"(above|over|more\s+than|greater\s+than|higher\s+than|>)\s*$")
COMPARE = re.compile(r"\b(compare|compared|comparing|vs|versus|respectively|separately|each)\b")
SUPERLATIVE = re.compile(r"\b(?P<desc>most|highest|top|biggest|largest|best|max|maximum)\b|"
                         r"\b(?P<asc>least|lowest|fewest|smallest|worst|min|minimum)\b")
WHICH = re.compile(r"^(which|who)\b")
LIST_LOOSE = re.compile(r"^(show|give|find|get|pull)\b")
DISTRIBUTION = re.compile(r"\b(each|every|per|distribution|breakdown|break\s+down|split|"
                          r"broken\s+down|by\s+(stage|tier|segment|rfm|lifecycle)|sizes|"
                          r"counts|mix|tiers|stages|segments)\b")
HISTORY = re.compile(r"\b(each|every|per)\s+month(\s+end)?\b|\bmonth\s+ends?\b|"
                     r"\bmonth\s+by\s+month\b|\bover\s+time\b|\btrend(s|ed)?\b|\bhistor(y|ical)\b|"
                     r"\bend\s+of\s+each\b|\bmonthly\b")
RETENTION = re.compile(r"\b(retention|retained|retain|retaining|cohort|cohorts|came\s+back|"
                       r"stick\s+around|stuck\s+around)\b")
GROUP_LEAD = r"(?:by|per|each|every|across|for\s+each|for\s+every|split\s+by|broken\s+down\s+by" \
             r"|break\s+down\s+by|breakdown\s+by|grouped\s+by|by\s+their)"
GRAIN = re.compile(rf"\b{GROUP_LEAD}\s+(?:the\s+)?(signup\s+|order\s+|cohort\s+)?"
                   r"(day|week|month|quarter|year)s?\b|\b(daily|weekly|monthly|quarterly|yearly|"
                   r"annually|annual)\b")
GRAIN_WORD = {"daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter",
              "yearly": "year", "annually": "year", "annual": "year"}
WHERE_GO = re.compile(r"\bwhere\s+(did|do|have)\b.*\b(go|gone|end\s+up|land)\b")
MOVE = re.compile(r"\b(still|now|became|become|becoming|moved|move|moving|went|turned|"
                  r"transitioned|migrated|ended\s+up|are\s+they|today|currently)\b")
MONTH_NUMBER = re.compile(r"\bmonth\s*(\d{1,2})\b|\b(\d{1,2})(?:st|nd|rd|th)?\s+months?\s+"
                          r"(?:after|since|from|in|later)\b|\b(first|second|third|fourth|fifth|"
                          r"sixth)\s+month\b|\bafter\s+(\d{1,2})\s+months?\b|\bin\s+month\s+(\d+)")
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}
LIMIT = re.compile(r"\b(top|first|limit(?:\s+to)?)\s+(\d{1,6})\b")
NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(\s*%|\s+percent)?(?![\w+]|-\d)")
OLD_VALUE = re.compile(r"(instead\s+of|rather\s+than|not|vs|versus|from)\s+$")
AT_LEAST = re.compile(r"(or\s+more|or\s+above|or\s+higher|\+|and\s+up)\b|^\s*$")
ORDER_WORDS = re.compile(r"\b(ordered|bought|purchased|placed\s+(an\s+)?orders?|"
                         r"made\s+(a\s+)?purchases?)\b")
SIGNUP_WORDS = re.compile(r"\b(signed\s+up|sign\s+ups?|signups?|joined|registered|"
                          r"new\s+signups|cohorts?)\b")
IF_CLAUSE = re.compile(r"\bif\s+(?:the\s+)?(?:\w+\s+){0,4}?(?:meant|means|was|were|is|"
                       r"required|needed|had)\b")
COUNTRY_CODES = re.compile(r"\b(US|GB|UK|DE|FR|IN|BR|CA|AU|JP|NL)\b")


@dataclass
class _Match:
    entry: Entry
    span: tuple[int, int]

    @property
    def senses(self) -> tuple[Sense, ...]:
        return self.entry.senses


@dataclass
class _Number:
    value: float
    span: tuple[int, int]
    after: str
    before: str
    strict_above: bool = False  # "above 70": a whole-number threshold becomes 71
    params: list[tuple[int, str, str]] = field(default_factory=list)  # (distance, seg, param)
    spans: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class _Parse:
    original: str
    text: str  # normalised, typo-corrected
    work: str  # with consumed spans masked
    matches: list[_Match] = field(default_factory=list)
    used_dimensions: set[str] = field(default_factory=set)

    def consume(self, span: tuple[int, int]) -> None:
        a, b = span
        self.work = self.work[:a] + MARK * (b - a) + self.work[b:]


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
        text = self._corrector(catalog).correct(normalise(question))
        p = _Parse(question, text, text)
        self._guard(p)
        if CATALOG.search(text):
            return PlanOutcome(QueryPlan(intent=Intent.CATALOG), 0.95, self.name)
        definition = self._definition(p, catalog, choice)
        if definition is not None:
            return definition
        return self._data_question(p, catalog, as_of, choice)

    def _corrector(self, catalog: Catalog) -> Corrector:
        key = id(catalog)
        if key not in self._correctors:
            self._correctors[key] = Corrector(vocabulary(catalog))
        return self._correctors[key]

    # -- 1. refusals ----------------------------------------------------------------------
    def _guard(self, p: _Parse) -> None:
        if WRITE.search(p.text) or ACTION.search(p.text):
            raise Refusal(messages.REFUSE_WRITE, "write request")
        pii = PII.search(p.text)
        if pii and not self.allow_pii:
            raise Refusal(messages.REFUSE_PII.format(column="email" if "mail" in pii[0]
                                                     else pii[0]), "restricted column")
        if OFF_TOPIC.search(p.text):
            raise Refusal(messages.REFUSE_OFF_TOPIC, "off topic")
        ungoverned = UNGOVERNED.search(p.text)
        if ungoverned and not DEFINITION.search(p.text):
            raise Refusal(messages.REFUSE_UNGOVERNED.format(thing=f"`{ungoverned[0]}`"),
                          f"ungoverned: {ungoverned[0]}")

    # -- 2. definitions -------------------------------------------------------------------
    def _definition(self, p: _Parse, catalog: Catalog, choice: str | None) -> PlanOutcome | None:
        match_what = WHAT_IS.match(p.text)
        asks = DEFINITION.search(p.text) is not None
        if not asks and match_what:
            rest = match_what["rest"]
            probe = _Parse(p.original, rest, rest)
            self._match_phrases(probe, catalog)
            leftovers = [w for w in words(probe.work) if w not in {"our", "we", "segq"}]
            named = [s for m in probe.matches for s in m.senses]
            is_segment = any(s.kind in ("segment", "member") for s in named)
            article = match_what[3]
            if named and not leftovers and (article in ("a", "an", None) or is_segment):
                asks = bool(article != "the" or is_segment)
        if not asks:
            return None
        probe = _Parse(p.original, p.text, p.text)
        self._match_phrases(probe, catalog)
        senses = [s for m in probe.matches for s in m.senses]
        if choice:
            senses = [s for s in senses if _choice_allows(choice, s)] or senses
        ranked = ([s for s in senses if s.kind in ("segment", "member")]
                  + [s for s in senses if s.kind == "metric" and s.name != "users"]
                  + [s for s in senses if s.kind == "metric"])
        if not ranked:
            raise Refusal(messages.REFUSE_OFF_TOPIC, "unknown definition")
        segments = {s.name for s in ranked if s.kind in ("segment", "member")}
        families = {s.name for s in ranked if s.kind == "segment"}
        if len(segments) > 1 and not (segments & families and len(segments & families) == 1):
            raise ClarificationNeeded(
                messages.CLARIFY_AMBIGUOUS.format(phrase=probe.matches[0].entry.phrase),
                [_candidate(catalog, name, None) for name in sorted(segments)])
        top = ranked[0]
        if segments:
            name = (segments & families or segments).pop()
            member = next((s.detail for s in ranked if s.kind == "member" and s.name == name),
                          None)
            plan = QueryPlan(intent=Intent.DEFINITION, segment=SegmentRef(name=name,
                                                                          member=member))
        else:
            plan = QueryPlan(intent=Intent.DEFINITION, metric=MetricRef(name=top.name))
        return PlanOutcome(plan, 0.9, self.name)

    # -- 3. data questions ----------------------------------------------------------------
    def _match_phrases(self, p: _Parse, catalog: Catalog) -> None:
        """Leftmost-longest matching: at each position the longest governed phrase wins."""
        found: list[tuple[int, int, Entry]] = []
        for entry in build_lexicon(catalog):
            if entry.phrase.split()[0][:4] not in p.work:
                continue  # cheap pre-check before the regex
            found.extend((m.start(), m.end(), entry) for m in entry.pattern.finditer(p.work))
        found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
        taken_until = -1
        for a, b, entry in found:
            if a < taken_until:
                continue
            p.matches.append(_Match(entry, (a, b)))
            p.consume((a, b))
            taken_until = b
        p.matches.sort(key=lambda m: m.span[0])

    def _data_question(self, p: _Parse, catalog: Catalog, as_of: date,
                       choice: str | None) -> PlanOutcome:
        text = p.text
        snapshot = snapshot_phrase(text, as_of)
        if snapshot:
            p.consume(snapshot.span)
        found = find_time(p.work, as_of) if not snapshot else None
        if found:
            p.consume(found.span)
            if (MOVE.search(text) or WHERE_GO.search(text) or
                    p.text[found.span[1]:found.span[1] + 2] == "'s"):
                snapshot, found = found, None
        as_of_snapshot = found is not None and not SIGNUP_WORDS.search(text) and not \
            ORDER_WORDS.search(text)
        month_number = self._month_number(p)
        limit = None
        if (m := LIMIT.search(p.work)) is not None:
            limit = int(m[2])
            p.consume(m.span())
        numbers = self._numbers(p, catalog)
        param_spans = [span for n in numbers for span in n.spans]
        masked = p.work
        for a, b in param_spans:
            masked = masked[:a] + MARK * (b - a) + masked[b:]
        grain = GRAIN.search(masked)
        if grain and grain[3] and re.match(r"\s+active\b", masked[grain.end():]):
            grain = None  # "monthly active users" names the metric
        if grain:
            p.consume(grain.span())
        self._country_codes(p)
        self._match_phrases(p, catalog)
        # words that belong to a what-if value ("30 days inactive") name no segment
        p.matches = [m for m in p.matches if not any(
            a <= m.span[0] and m.span[1] <= b for a, b in param_spans)]

        senses = [(m, s) for m in p.matches for s in m.senses]
        families = {s.name for _, s in senses if s.kind == "segment"}
        member_matches = [m for m in p.matches if any(s.kind == "member" for s in m.senses)]
        segment, member = self._resolve_segment(p, catalog, families, member_matches, choice,
                                                numbers)
        if segment is None and RETENTION.search(text):
            segment, member = catalog.segments.get("cohort_retention"), None
        overrides = self._overrides(numbers, catalog, segment, p)
        if segment and member is None and "threshold" in {o.parameter for o in overrides}:
            member = self._at_least_member(segment, numbers)

        metric = self._metric(senses, segment)
        if as_of_snapshot and segment is not None and segment.history and \
                metric in (None, "users") and found is not None:
            snapshot, found = found, None  # "champions in January": membership then
        filters = self._filters(p, senses, catalog)
        group_by = self._group_by(p, senses, catalog, metric, segment, grain)
        intent = self._intent(p, segment, member, metric, group_by, snapshot is not None,
                              catalog)
        time_range = None
        to_members: tuple[str, ...] = ()
        if intent == Intent.MOVEMENT and segment is not None:
            member, to_members = self._movement_members(p, segment, snapshot)
        if snapshot and intent in (Intent.HISTORY, Intent.MOVEMENT):
            time_range = TimeRange(start=snapshot.start, end=snapshot.end, phrase=snapshot.phrase)
        elif found:
            time_range = TimeRange(start=found.start, end=found.end,
                                   column=self._time_column(p, metric, segment),
                                   phrase=found.phrase)
        recognised = bool(segment or filters or group_by or (metric and metric != "users")
                          or any(s.kind in ("metric", "dimension") for _, s in senses))
        if not recognised:
            raise Refusal(messages.REFUSE_OFF_TOPIC, "nothing governed recognised")
        several = member if isinstance(member, tuple) else ()
        member = None if several else member
        plan = QueryPlan(
            intent=intent,
            segment=SegmentRef(name=segment.name, member=member, members=several)
            if segment else None,
            metric=MetricRef(name=metric) if metric and intent not in (
                Intent.LIST, Intent.RETENTION, Intent.HISTORY) else None,
            group_by=tuple(group_by) if intent not in (Intent.RETENTION, Intent.HISTORY) else (),
            filters=tuple(filters) if intent not in (Intent.RETENTION, Intent.HISTORY) else (),
            time_range=time_range,
            overrides=tuple(overrides),
            month_number=month_number if intent == Intent.RETENTION else None,
            to_members=to_members,
            limit=limit if intent == Intent.LIST else None,
            order=self._order(p, group_by, intent),
        )
        confidence = self._confidence(p, catalog, plan)
        if confidence < self.min_confidence:
            known = [_candidate(catalog, segment.name, member)] if segment else []
            if known:
                raise ClarificationNeeded(messages.LOW_CONFIDENCE, known)
            raise Refusal(messages.LOW_CONFIDENCE, "low confidence")
        return PlanOutcome(plan, confidence, self.name)

    # -- pieces ---------------------------------------------------------------------------
    def _month_number(self, p: _Parse) -> int | None:
        if not RETENTION.search(p.text):
            return None
        m = MONTH_NUMBER.search(p.work)
        if not m:
            return None
        p.consume(m.span())
        raw = m[1] or m[2] or m[4] or m[5]
        return int(raw) if raw else ORDINALS[m[3]]

    def _numbers(self, p: _Parse, catalog: Catalog) -> list[_Number]:
        """Numbers that may be what-if values, with the parameters whose words sit next to them.

        The parameter words are consumed here, so "30 days inactive" is a cutoff, not the
        `inactive` member of some segment.
        """
        found: list[_Number] = []
        for m in list(NUMBER.finditer(p.work)):
            before = p.work[max(0, m.start() - 60):m.start()]
            if OLD_VALUE.search(before):
                p.consume(m.span())
                continue
            value = float(m[1]) / (100 if m[2] else 1)
            after = p.work[m.end():m.end() + 50]
            number = _Number(value, m.span(), after, before)
            for seg in catalog.segments.values():
                for param in seg.parameters:
                    for syn in {*param.synonyms, param.label, param.name.replace("_", " ")}:
                        pattern = phrase_pattern(normalise(syn))
                        hit = pattern.search(after)
                        if hit and hit.start() <= 25:
                            number.params.append((hit.start(), seg.name, param.name))
                            number.spans.append((m.end() + hit.start(), m.end() + hit.end()))
                        hits = list(pattern.finditer(before))
                        if hits and len(before) - hits[-1].end() <= 20 and \
                                COMPARATIVE.search(normalise(syn)):
                            number.strict_above = True  # "a score above 70"
                        if hits and len(before) - hits[-1].end() <= 20:
                            offset = m.start() - len(before)
                            number.params.append((len(before) - hits[-1].end(), seg.name,
                                                  param.name))
                            number.spans.append((offset + hits[-1].start(),
                                                 offset + hits[-1].end()))
            if number.params:
                p.consume(number.span)
                found.append(number)
        return found

    def _country_codes(self, p: _Parse) -> None:
        if p.original.upper() == p.original:
            return
        for code in COUNTRY_CODES.findall(p.original):
            value = {"UK": "GB"}.get(code, code)
            p.matches.append(_Match(Entry(code.lower(), phrase_pattern(code.lower()),
                                          (Sense("value", "country", value),)), (-1, -1)))
            for m in phrase_pattern(code.lower()).finditer(p.work):
                p.consume(m.span())

    def _resolve_segment(self, p, catalog, families, member_matches, choice, numbers):
        """Pick the (segment, member) the question is about, or ask which one."""
        clauses = [c.span() for c in IF_CLAUSE.finditer(p.text)]
        outside = IF_CLAUSE.sub(" ", p.text)
        mentions = [m for m in p.matches if m.span[0] < 0 or not any(
            a <= m.span[0] < b for a, b in clauses)]
        if choice:
            seg_name, _, mem_name = choice.partition(":")
            if seg_name in catalog.segments:
                return catalog.segments[seg_name], mem_name or None

        def segs(m: _Match) -> set[str]:
            return {s.name for s in m.senses if s.kind in ("segment", "member")}

        context = {s.name for m in mentions if len(segs(m)) == 1 for s in m.senses
                   if s.kind in ("segment", "member")}
        chosen: list[Sense] = []
        for m in mentions:
            names = segs(m)
            if not names:
                continue
            if len(names) > 1 and names & context:
                names = names & context
            if len(names) > 1:
                senses = [s for s in m.senses if s.name in names and s.kind in
                          ("segment", "member")]
                unique = list(dict.fromkeys((s.name, s.detail or None) for s in senses))
                raise ClarificationNeeded(
                    messages.CLARIFY_AMBIGUOUS.format(phrase=m.entry.phrase),
                    [_candidate(catalog, n, d) for n, d in unique])
            chosen.extend(s for s in m.senses if s.name in names and s.kind in
                          ("segment", "member"))
        members = [s for s in chosen if s.kind == "member"]
        names = list(dict.fromkeys(s.name for s in chosen))
        if len(names) > 1:
            # a required segment named with the one requiring it: keep the outer one
            outer = [n for n in names if not any(n in catalog.segments[o].requires
                                                  for o in names)]
            with_member = [n for n in outer if any(s.name == n for s in members)]
            names = with_member or outer or names
        if len(names) > 1:
            raise ClarificationNeeded(
                messages.CLARIFY_AMBIGUOUS.format(phrase=" and ".join(names)),
                [_candidate(catalog, n, None) for n in names])
        if names:
            seg = catalog.segments[names[0]]
            picked = list(dict.fromkeys(s.detail for s in members if s.name == seg.name))
            picked = [self._negated(seg, name, p) for name in picked]
            if picked and re.search(r"\b(or|and|plus)\b", outside):
                picked += [m.name for m in seg.members if m.name not in picked and any(
                    re.search(rf"\b{re.escape(ph)}\s+(or|and|plus)\b", outside)
                    for ph in {m.name.replace("_", " "), normalise(m.label)})]
            if len(picked) > 1 and re.search(r"\b(or|and|plus)\b", outside):
                return seg, tuple(picked)
            if picked:
                return seg, picked[0] if len(picked) == 1 else None
            # a family named next to a generic member word: "the new lifecycle stage"
            for mem in seg.members:
                phrases = {mem.name.replace("_", " "), normalise(mem.label)}
                if any(phrase_pattern(ph).search(outside) for ph in phrases):
                    return seg, mem.name
            return seg, None
        # parameters alone can name a segment: "if we required 5 projects"
        owners = {s.name for s in self._param_hits(numbers, catalog, None)}
        if len(owners) == 1:
            return catalog.segments[owners.pop()], None
        return None, None

    @staticmethod
    def _movement_members(p: _Parse, segment: Segment, snapshot) -> tuple[object, tuple]:
        """The member named next to the month end is where users were; others, where they are.

        "champions at the end of May are still champions": from champions to champions;
        "customers at risk at the end of April who are now champions": from at_risk.
        """
        mentions = [(m.span, s.detail) for m in p.matches for s in m.senses
                    if s.kind == "member" and s.name == segment.name and m.span[0] >= 0]
        if not mentions:
            return None, ()
        a, b = snapshot.span

        def distance(span: tuple[int, int]) -> int:
            return max(a - span[1], span[0] - b, 0)

        earlier = [m for m in mentions if m[0][1] <= a and a - m[0][1] <= 40]
        closest = max(earlier, key=lambda m: m[0][1]) if earlier else min(
            mentions, key=lambda m: distance(m[0]))
        then = closest[1]
        now = tuple(dict.fromkeys(d for span, d in mentions if span != closest[0]))
        if not now and re.search(r"\bstill\b", p.text):
            now = (then,)
        return then, now

    @staticmethod
    def _order(p: _Parse, group_by: list[DimensionRef], intent: Intent) -> str | None:
        """"Which country brings the most revenue?": biggest first."""
        if intent not in (Intent.BREAKDOWN, Intent.DISTRIBUTION) or not group_by and \
                intent != Intent.DISTRIBUTION:
            return None
        best = SUPERLATIVE.search(p.text)
        if best is None:
            return None
        return "desc" if best["desc"] else "asc"

    @staticmethod
    def _negated(seg: Segment, member: str, p: _Parse) -> str:
        """"haven't activated" is the `not_activated` member when the family has one."""
        opposite = f"not_{member}"
        if seg.member(opposite) is None:
            return member
        for m in p.matches:
            if any(s.kind == "member" and s.detail == member for s in m.senses):
                before = p.text[max(0, m.span[0] - 16):m.span[0]]
                if NEGATION.search(before):
                    return opposite
        return member

    @staticmethod
    def _param_hits(numbers: list[_Number], catalog: Catalog, scope) -> list[Segment]:
        return [catalog.segments[seg] for n in numbers for _, seg, _ in n.params]

    def _overrides(self, numbers: list[_Number], catalog: Catalog, segment: Segment | None,
                   p: _Parse) -> list[Override]:
        if segment is None or not numbers:
            return []
        scope = {s.name: s for s in
                 [catalog.segments[r] for r in segment.requires] + [segment]}
        out: dict[str, Override] = {}
        for number in numbers:
            options = []
            for distance, seg_name, param_name in number.params:
                if seg_name not in scope:
                    continue
                near = number.before + " " + number.after
                affinity = 0 if self._member_affinity(param_name, scope[seg_name], near) else 1
                options.append((affinity, distance, seg_name, param_name))
            if options:
                _, _, seg_name, param_name = min(options)
                param = scope[seg_name].parameter(param_name)
                value = number.value
                if number.strict_above and param is not None and param.is_integer \
                        and value.is_integer():
                    value += 1
                out[param_name] = Override(parameter=param_name, value=value,
                                           segment=seg_name)
            elif not any(seg_name in scope for _, seg_name, _ in number.params):
                _, owner, param_name = min(number.params)
                raise ClarificationNeeded(
                    messages.CLARIFY_PARAMETER.format(value=number.value, parameter=param_name,
                                                      owner=owner, segment=segment.name),
                    [_candidate(catalog, segment.name, None), _candidate(catalog, owner, None)])
        return list(out.values())

    @staticmethod
    def _member_affinity(param: str, seg: Segment, before: str) -> bool:
        for member in seg.members:
            if param.startswith(member.name + "_"):
                words_ = {member.name.replace("_", " "), normalise(member.label)}
                return any(phrase_pattern(w).search(before) for w in words_)
        return False

    @staticmethod
    def _at_least_member(segment: Segment, numbers: list[_Number]) -> str | None:
        if not segment.members:
            return None
        for number in numbers:
            if number.strict_above or AT_LEAST.match(number.after[:15]) or \
                    AT_LEAST.search(number.after[:12]):
                return segment.members[0].name
        return None

    @staticmethod
    def _metric(senses, segment: Segment | None) -> str | None:
        named = [s.name for _, s in senses if s.kind == "metric"]
        specific = [n for n in named if n != "users"]
        metric = specific[0] if specific else ("users" if named else None)
        if segment is not None and metric == "customers":
            return "users"
        return metric

    @staticmethod
    def _filters(p: _Parse, senses, catalog: Catalog) -> list[Filter]:
        values: dict[str, list[str]] = {}
        for _, s in senses:
            if s.kind == "value" and s.detail not in values.setdefault(s.name, []):
                values[s.name].append(s.detail)
        return [Filter(dimension=d, values=tuple(v)) for d, v in values.items() if v]

    def _group_by(self, p: _Parse, senses, catalog, metric, segment,
                  grain: re.Match[str] | None) -> list[DimensionRef]:
        groups: list[DimensionRef] = []
        last_end = -10
        for m, s in senses:
            if s.kind != "dimension" or m.span[0] < 0:
                continue
            lead = p.text[max(0, m.span[0] - 24):m.span[0]]
            chained = bool(groups) and re.fullmatch(r"\s*(and|&|,|,\s*and|plus)\s*",
                                                    p.text[last_end:m.span[0]])
            which = re.search(r"\b(which|what)\s+$", lead) and SUPERLATIVE.search(p.text)
            if re.search(rf"{GROUP_LEAD}\s+(the\s+|their\s+|our\s+)?(\w+\s+)?$", lead) or \
                    chained or which or \
                    re.match(r"\s*(breakdown|split|distribution|mix)\b", p.text[m.span[1]:]):
                dim = catalog.dimensions[s.name]
                if dim.is_time:
                    continue
                if all(g.name != s.name for g in groups):
                    groups.append(DimensionRef(name=s.name))
                    p.used_dimensions.add(s.name)
                last_end = m.span[1]
        if COMPARE.search(p.text):  # "compare pro and enterprise": one row per value
            values: dict[str, set[str]] = {}
            for _, s in senses:
                if s.kind == "value":
                    values.setdefault(s.name, set()).add(s.detail)
            groups += [DimensionRef(name=d) for d, v in values.items()
                       if len(v) > 1 and all(g.name != d for g in groups)]
        history = segment is not None and segment.history and HISTORY.search(p.text) and \
            not SIGNUP_WORDS.search(p.text)
        if grain and not history and not (segment and segment.entity == "cohort"):
            word = grain[2] or GRAIN_WORD.get(grain[3] or "", "month")
            column = self._time_column(p, metric, segment, grouping=grain[1] or "")
            groups.append(DimensionRef(name=column, grain=word))
        return groups

    @staticmethod
    def _time_column(p: _Parse, metric: str | None, segment: Segment | None,
                     grouping: str = "") -> str:
        if grouping.strip() == "signup" or SIGNUP_WORDS.search(p.text):
            return "signup_at"
        ordering = metric in (None, "users") and ORDER_WORDS.search(p.text)
        if grouping.strip() == "order" or ordering:
            return "ordered_at"
        return {"revenue": "ordered_at", "orders": "ordered_at", "customers": "ordered_at",
                "average_order_value": "ordered_at", "active_users": "event_at"}.get(
                    metric or "users", "signup_at")

    def _intent(self, p, segment, member, metric, group_by, snapshot, catalog) -> Intent:
        text = p.text
        if segment is not None and segment.entity == "cohort":
            return Intent.RETENTION
        if segment is not None and segment.history and snapshot and (
                MOVE.search(text) or WHERE_GO.search(text)):
            return Intent.MOVEMENT
        if segment is not None and segment.history and (snapshot or HISTORY.search(text)) \
                and not SIGNUP_WORDS.search(text) and not any(
                    g.name == "signup_at" for g in group_by):
            return Intent.HISTORY
        family_whole = segment is not None and segment.is_family and member is None
        wants_count = COUNT.search(text) is not None
        if (LIST.search(text) or WHICH.search(text)) and not wants_count and not family_whole \
                and not group_by:
            return Intent.LIST
        if family_whole:
            return Intent.DISTRIBUTION
        if group_by:
            return Intent.BREAKDOWN
        if metric and metric != "users":
            return Intent.METRIC
        if (LIST_LOOSE.search(text) or LIMIT.search(text)) and not wants_count \
                and segment is not None:
            return Intent.LIST
        return Intent.COUNT

    @staticmethod
    def _confidence(p: _Parse, catalog: Catalog, plan: QueryPlan) -> float:
        """How much of the sentence is explained by what the plan uses.

        Unknown content words, numbers nothing used, and dimensions named but not used
        ("how many employees") each lower it; a plan that only found the word "users"
        can't afford any of them.
        """
        vocab = vocabulary(catalog)
        unknown = [w for w in words(p.work) if w not in vocab and not w[0].isdigit()
                   and len(w) > 2]
        stray_numbers = [w for w in words(p.work) if w[0].isdigit()]
        unused_dims = {s.name for m in p.matches for s in m.senses if s.kind == "dimension"
                       and m.span[0] >= 0} - p.used_dimensions - {"signup_at"}
        unused_dims -= {f.dimension for f in plan.filters}
        penalty = 0.25 * len(unknown) + 0.5 * len(stray_numbers) + 0.5 * len(unused_dims)
        weak = plan.segment is None and not plan.filters and not plan.group_by and \
            plan.time_range is None and (plan.metric is None or plan.metric.name == "users")
        if weak and penalty:
            penalty = 1.0
        return max(0.0, 1.0 - penalty)


def _choice_allows(choice: str, sense: Sense) -> bool:
    seg, _, member = choice.partition(":")
    return sense.name == seg and (not member or sense.detail == member or sense.kind != "member")


def _candidate(catalog: Catalog, name: str, member: str | None) -> Candidate:
    obj = catalog.segments.get(name) or catalog.metrics.get(name)
    assert obj is not None
    label, description = obj.label, obj.description
    if member and isinstance(obj, Segment) and obj.member(member):
        m = obj.member(member)
        assert m is not None
        label = f"{obj.label}: {m.label}"
        rule = m.when or ", ".join(f"{c} {lo}-{hi}" for c, lo, hi in m.match) or "otherwise"
        description = f"{m.label} in {obj.label} ({rule})."
    return Candidate(name=name, kind=obj.kind, member=member, label=label,
                     description=description[:300], source=obj.source,
                     choice=f"{name}:{member}" if member else name)


__all__ = ["RulesPlanner", "GENERIC"]
