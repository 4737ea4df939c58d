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
from datetime import date, timedelta

from assistant import messages
from assistant.catalog.models import Catalog, Segment
from assistant.describe import reading
from assistant.errors import ClarificationNeeded, Refusal
from assistant.plan import (
    DimensionRef,
    Intent,
    MetricRef,
    Override,
    QueryPlan,
    SegmentRef,
    TimeRange,
)
from assistant.planner import PlanOutcome, resolve, shaping, whatif
from assistant.planner.coverage import closest_readings, leftovers
from assistant.planner.lexicon import Entry, Sense, vocabulary
from assistant.planner.parsing import (
    Claim,
    Parse,
    PhraseMatch,
    candidate,
    choice_allows,
    match_phrases,
)
from assistant.planner.patterns import (
    ACTION,
    AVERAGE_OF,
    CATALOG,
    CLAUSE_BREAK,
    COMPARE_PERIODS,
    COUNT,
    COUNTRY_CODES,
    DATA_WORDS,
    DEFINITION,
    DISTRIBUTION,
    EXPLICIT_LIST,
    GRAIN,
    HISTORY,
    HOW_MUCH_OR_MANY,
    LIMIT,
    LIST,
    LIST_LOOSE,
    MONTH_NUMBER,
    MOVE,
    NUMBER,
    OFF_TOPIC,
    ORDER_WORDS,
    ORDINALS,
    PII,
    REGION,
    RETENTION,
    SHARE,
    SIGNUP_WORDS,
    TIME_LEAD,
    UNGOVERNED,
    VAGUE_QUESTION,
    VAGUE_TIME,
    WHAT_IS,
    WHERE_GO,
    WHICH,
    WHOLE_MATRIX,
    WINDOW_DAYS,
    WINDOW_WORD,
    writes,
)
from assistant.planner.text import MARK, Corrector, normalise, phrase_pattern, words
from assistant.planner.timephrases import Found, find_time, snapshot_phrase


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
        full = self._corrector(catalog).correct(normalise(question))
        main = self._main_clauses(question, catalog)
        text = full if main == question else self._corrector(catalog).correct(normalise(main))
        p = Parse(question, text, text)
        if writes(question) or ACTION.search(text):  # actions only in the question itself
            raise Refusal(messages.REFUSE_WRITE, "write request", final=True)
        self._guard(Parse(question, full, full))
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
    def _main_clauses(self, question: str, catalog: Catalog) -> str:
        """Drop clauses that name nothing governed and ask nothing ("for Monday's board slides:
        list ...", "... ? planning a thank-you email"): context, not part of the question.
        Clauses with a governed phrase, a parameter's words, "list" or "how many" stay."""
        clauses = [c.strip() for c in CLAUSE_BREAK.split(question) if c and c.strip()]
        if len(clauses) < 2:
            return question
        kept = []
        for clause in clauses:
            text = self._corrector(catalog).correct(normalise(clause))
            probe = Parse(clause, text, text)
            match_phrases(probe, catalog)
            what_if = NUMBER.search(text) is not None and any(
                phrase_pattern(normalise(syn)).search(text)
                    for seg in catalog.segments.values() for param in seg.parameters
                for syn in (*param.synonyms, param.label))
            if probe.matches or LIST.search(text) or COUNT.search(text) or what_if:
                kept.append(clause)
        return " ".join(kept) if kept else question

    def _guard(self, p: Parse) -> None:
        """Personal data, off-topic and ungoverned requests anywhere in the question."""
        pii = PII.search(p.text)
        if pii and not self.allow_pii:
            raise Refusal(messages.REFUSE_PII.format(column="email" if "mail" in pii[0]
                                                     else pii[0]), "restricted column",
                          final=True)
        if OFF_TOPIC.search(p.text):
            raise Refusal(messages.REFUSE_OFF_TOPIC, "off topic")
        ungoverned = UNGOVERNED.search(p.text)
        if ungoverned and not DEFINITION.search(p.text):
            raise Refusal(messages.REFUSE_UNGOVERNED.format(thing=f"`{ungoverned[0]}`"),
                          f"ungoverned: {ungoverned[0]}")

    # -- 2. definitions -------------------------------------------------------------------
    def _definition(self, p: Parse, catalog: Catalog, choice: str | None) -> PlanOutcome | None:
        match_what = WHAT_IS.match(p.text)
        asks = DEFINITION.search(p.text) is not None
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
        owner = self._parameter_owner(p, catalog)
        if not asks and owner is None:
            return None
        probe = Parse(p.original, p.text, p.text)
        match_phrases(probe, catalog)
        senses = [s for m in probe.matches for s in m.senses]
        if owner is not None and not any(s.kind in ("segment", "member") for s in senses):
            plan = QueryPlan(intent=Intent.DEFINITION, segment=SegmentRef(name=owner))
            return PlanOutcome(plan, 0.9, self.name)
        if choice:
            senses = [s for s in senses if choice_allows(choice, s)] or senses
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
                [candidate(catalog, name, None) for name in sorted(segments)])
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

    @staticmethod
    def _shared_year(first: Found, second: Found, as_of: date) -> Found:
        """A year written once after two periods ("the first or second half of 2024") belongs
        to both."""
        year = re.search(r"\b(20\d\d)\b", second.phrase)
        if first.span[0] > second.span[0] or year is None or re.search(r"\b20\d\d\b",
                                                                      first.phrase):
            return first
        again = find_time(f"{first.phrase} {year[1]}", as_of)
        return Found(again.start, again.end, first.phrase, first.span) if again else first

    @staticmethod
    def _metric_window(p: Parse, catalog: Catalog, as_of: date) -> Found | None:
        """"Daily actives", "7-day active users": a metric with a default window, read
        over the window its adjective names (the last 1, 7, 30 or N days)."""
        for match in p.matches:
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

    @staticmethod
    def _parameter_owner(p: Parse, catalog: Catalog) -> str | None:
        """"How many projects must a PQL have?", "what's our churn cutoff?": a
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

    # -- 3. data questions ----------------------------------------------------------------
    def _data_question(self, p: Parse, catalog: Catalog, as_of: date,
                       choice: str | None) -> PlanOutcome:
        text = p.text
        snapshot = snapshot_phrase(text, as_of)
        if snapshot:
            p.claim(snapshot.span, "time")
        found = find_time(p.work, as_of) if not snapshot else None
        compared_grain = None
        compared: tuple[Found, ...] = ()
        if found:
            p.claim(found.span, "time")
            lead = TIME_LEAD.search(p.text, 0, found.span[0])
            if lead:
                p.claims.append(Claim(lead.span(), "time"))
            second = find_time(p.work, as_of)
            if second is not None and not (COMPARE_PERIODS.search(text) or
                                           shaping.joined_periods(text, found, second)):
                second = None  # another period elsewhere: coverage will call it out
            if second is not None:
                p.claim(second.span, "time")
                found = self._shared_year(found, second, as_of)
                found, compared_grain, compared = shaping.compare_periods(found, second)
            elif (MOVE.search(text) or WHERE_GO.search(text) or
                    p.text[found.span[1]:found.span[1] + 2] == "'s"):
                snapshot, found = found, None
        as_of_snapshot = found is not None and not SIGNUP_WORDS.search(text) and not \
            ORDER_WORDS.search(text)
        if VAGUE_QUESTION.search(text):
            raise ClarificationNeeded(messages.CLARIFY_VAGUE, [])
        vague = VAGUE_TIME.search(text)
        if found is None and snapshot is None and vague:
            raise ClarificationNeeded(messages.CLARIFY_PERIOD.format(phrase=vague[0]), [])
        region = REGION.search(text)
        if region:
            countries = catalog.dimensions.get("country")
            accepted = ", ".join(f"{v.label} ({v.value})" for v in countries.values) \
                if countries else ""
            raise ClarificationNeeded(messages.CLARIFY_REGION.format(
                region=region[0], accepted=accepted), [])
        average = AVERAGE_OF.search(text)
        month_number = self._month_number(p)
        limit = None
        if (m := LIMIT.search(p.work)) is not None:
            limit = int(m[2])
            p.claim(m.span(), "limit")
        numbers = whatif.numbers(p, catalog)
        param_spans = [span for n in numbers for span in n.spans]
        masked = p.work
        for a, b in param_spans:
            masked = masked[:a] + MARK * (b - a) + masked[b:]
        grain = next((g for g in GRAIN.finditer(masked)  # "daily actives" is a metric
                      if not (g[3] and re.match(r"\s+actives?\b", masked[g.end():]))), None)
        if grain:
            p.claim(grain.span(), "grain")
        self._country_codes(p)
        match_phrases(p, catalog)
        # words that belong to a what-if value ("45 days inactive") name no segment
        p.matches = [m for m in p.matches if not any(
            a <= m.span[0] and m.span[1] <= b for a, b in param_spans)]
        metric_window = self._metric_window(p, catalog, as_of)
        if metric_window is not None and found is None and snapshot is None:
            found = metric_window

        senses = [(m, s) for m in p.matches for s in m.senses]
        families = {s.name for _, s in senses if s.kind == "segment"}
        member_matches = [m for m in p.matches if any(s.kind == "member" for s in m.senses)]
        segment, member = resolve.resolve_segment(p, catalog, families, member_matches, choice,
                                                numbers)
        if segment is None and RETENTION.search(text):
            segment, member = catalog.segments.get("cohort_retention"), None
        signups_of_period = False
        if found is not None and segment is not None and shaping.new_means_signups(p, segment):
            signups_of_period = True
            for match in p.matches:  # "new users this month" are this month's signups
                if match.entry.phrase.startswith("new ") and match.span[0] >= 0:
                    p.claims.append(Claim(match.span, "time"))
            segment, member = None, None
        measure = None
        if average:
            segment, measure = shaping.measure(average, text, catalog, segment)
        overrides = whatif.overrides(numbers, catalog, segment, p)
        window = self._window_override(found, segment, text)
        if window is not None:  # "logging in 3 times weekly across the past 6 weeks"
            overrides.append(window)
            found = None
        if segment and member is None and "threshold" in {o.parameter for o in overrides}:
            member = whatif.at_least_member(segment, numbers)

        metric = shaping.metric_name(senses, segment, share=SHARE.search(p.text) is not None)
        metric = shaping.buyers(p, catalog, metric, segment)
        current = snapshot or found
        if segment is not None and segment.history and current is not None and \
                current.start >= as_of:  # "champions today" is membership now, as of as_of
            snapshot = found = None
        if snapshot is not None and found is None and not (segment and segment.history):
            snapshot, found = None, snapshot  # "last quarter's signups": a plain period
        if as_of_snapshot and segment is not None and segment.history and \
                metric in (None, "users") and found is not None:
            snapshot, found = found, None  # "champions in January": membership then
        filters = shaping.filters(p, senses, catalog, choice)
        group_by = shaping.group_by(p, senses, catalog, metric, segment, grain)
        if compared_grain is not None or compared:
            if segment is not None and segment.history and metric in (None, "users"):
                raise ClarificationNeeded(messages.CLARIFY_COMPARE_PERIODS, [])
            if segment is None and metric in (None, "users") and not filters and \
                    not SIGNUP_WORDS.search(text):
                raise ClarificationNeeded(messages.CLARIFY_COMPARE_WHAT, [])
            column = shaping.time_column(p, metric, segment, catalog)
            if compared_grain is not None:
                group_by = [g for g in group_by if g.grain is None] + [
                    DimensionRef(name=column, grain=compared_grain)]
        intent = self._intent(p, segment, member, metric, group_by, snapshot is not None,
                              catalog)
        if measure is not None:
            intent, metric = (Intent.BREAKDOWN if group_by else Intent.METRIC), None
        if compared and intent not in (Intent.COUNT, Intent.METRIC, Intent.BREAKDOWN):
            raise ClarificationNeeded(messages.CLARIFY_COMPARE_PERIODS, [])
        time_range = None
        to_members: tuple[str, ...] = ()
        moving = snapshot is not None and segment is not None and bool(segment.history) and (
            intent == Intent.MOVEMENT or intent == Intent.LIST)
        if moving and segment is not None and snapshot is not None:
            member, to_members = resolve.movement_members(p, segment, snapshot)
        if snapshot and (intent in (Intent.HISTORY, Intent.MOVEMENT) or moving):
            time_range = TimeRange(start=snapshot.start, end=snapshot.end, phrase=snapshot.phrase)
        elif found:
            time_range = TimeRange(start=found.start, end=found.end,
                                   column=shaping.time_column(p, metric, segment, catalog,
                                                              span=found.span),
                                   phrase=found.phrase)
        recognised = bool(segment or filters or group_by or (metric and metric != "users")
                          or signups_of_period
                          or any(s.kind in ("metric", "dimension") for _, s in senses))
        if not recognised:
            if DATA_WORDS.search(text) or COUNT.search(text):  # "how many?": in scope, but what?
                raise ClarificationNeeded(messages.CLARIFY_VAGUE, [])
            raise Refusal(messages.REFUSE_OFF_TOPIC, "nothing governed recognised")
        wants_share = SHARE.search(p.text) is not None and intent in (
            Intent.COUNT, Intent.BREAKDOWN, Intent.METRIC) and (
                segment is None or segment.entity == "user")
        share_of_metric = wants_share and segment is None and \
            self._metric_is_the_part(p, metric, catalog)
        unsupported = intent not in (Intent.RETENTION, Intent.DEFINITION, Intent.CATALOG)
        if SHARE.search(p.text) and unsupported and not wants_share or wants_share and \
                segment is None and not filters and not share_of_metric:
            raise Refusal(messages.REFUSE_SHARE, "share without a part and a whole")
        if intent in (Intent.RETENTION, Intent.HISTORY) and filters:
            raise ClarificationNeeded(messages.CLARIFY_NOT_FILTERABLE.format(
                what=segment.label if segment else "this"), [])
        if intent == Intent.RETENTION and time_range is None and month_number is None and \
                not choice and not WHOLE_MATRIX.search(text):
            raise ClarificationNeeded(messages.CLARIFY_RETENTION,
                                      [candidate(catalog, segment.name, None)] if segment else [])
        several = member if isinstance(member, tuple) else ()
        member = None if several else member
        plan = QueryPlan(
            intent=intent,
            segment=SegmentRef(name=segment.name, member=member, members=several)
            if segment else None,
            excluding=tuple(SegmentRef(name=n, member=m) for n, m in p.excluded)
            if segment else (),
            measure=measure,
            metric=MetricRef(name=metric) if metric and intent not in (
                Intent.LIST, Intent.RETENTION, Intent.HISTORY) else None,
            group_by=tuple(group_by) if intent not in (Intent.RETENTION, Intent.HISTORY) else (),
            filters=tuple(filters) if intent not in (Intent.RETENTION, Intent.HISTORY) else (),
            time_range=time_range,
            overrides=tuple(overrides),
            compared=tuple(TimeRange(start=f.start, end=f.end, column=time_range.column,
                                     phrase=f.phrase) for f in compared) if time_range else (),
            month_number=month_number if intent == Intent.RETENTION else None,
            to_members=to_members,
            limit=limit if intent == Intent.LIST or limit and group_by
            else shaping.top_one(p, group_by, intent),
            order=shaping.order(p, group_by, intent, ranked=limit is not None),
            share=wants_share,
            share_of_metric=share_of_metric,
        )
        left = leftovers(p, plan, catalog, p.claims)
        if left:
            raise ClarificationNeeded(
                messages.not_understood(reading(plan, catalog), [w.words for w in left]),
                closest_readings(catalog, plan))
        restated = [o for o in plan.overrides if whatif.is_default(o, catalog)]
        if restated:  # "at 3 logins weekly" restates the governed rule: no what-if
            plan = plan.model_copy(update={"overrides": tuple(
                o for o in plan.overrides if o not in restated)})
        return PlanOutcome(plan, 1.0, self.name)

    # -- pieces ---------------------------------------------------------------------------
    def _month_number(self, p: Parse) -> int | None:
        if not RETENTION.search(p.text):
            return None
        m = MONTH_NUMBER.search(p.work)
        if not m:
            return None
        p.claim(m.span(), "month_number")
        raw = m[1] or m[2] or m[4] or m[5] or m[6]
        return int(raw) if raw else ORDINALS[m[3]]

    def _country_codes(self, p: Parse) -> None:
        if p.original.upper() == p.original:
            return
        for code in COUNTRY_CODES.findall(p.original):
            value = {"UK": "GB"}.get(code, code)
            entry = Entry(code.lower(), phrase_pattern(code.lower()),
                          (Sense("value", "country", value),))
            spans = [m.span() for m in entry.pattern.finditer(p.work)]
            p.matches.append(PhraseMatch(entry, spans[0] if spans else (-1, -1)))
            for span in spans:
                p.consume(span)

    @staticmethod
    def _window_override(found: Found | None, segment: Segment | None,
                         text: str) -> Override | None:
        """"Across the past 6 weeks" is the `weeks` parameter of a segment that has one, not a
        signup period, when the question doesn't talk about signing up."""
        if found is None or segment is None or segment.parameter("weeks") is None or \
                SIGNUP_WORDS.search(text):
            return None
        weeks = re.search(r"(\d+)\s+weeks?$", found.phrase)
        if weeks is None:
            return None
        return Override(parameter="weeks", value=float(weeks[1]), segment=segment.name)

    @staticmethod
    def _metric_is_the_part(p: Parse, metric: str | None, catalog: Catalog) -> bool:
        """"What % of accounts on pro were active?": a users-counting metric named after the
        filters is the part; "share of actives that have pro" is the other way."""
        if metric is None or metric == "users" or metric not in catalog.metrics:
            return False
        if not re.match(r"COUNT\(DISTINCT", catalog.metrics[metric].expr.upper()):
            return False
        spans = {s.kind: m.span[0] for m in p.matches for s in m.senses if m.span[0] >= 0
                 and (s.kind == "value" or (s.kind == "metric" and s.name == metric))}
        return "value" not in spans or spans.get("metric", -1) > spans["value"]

    def _intent(self, p: Parse, segment: Segment | None, member: resolve.Selection,
                metric: str | None, group_by: list[DimensionRef], snapshot: bool,
                catalog: Catalog) -> Intent:
        text = p.text
        if segment is not None and segment.entity == "cohort":
            return Intent.RETENTION
        if segment is not None and segment.history and snapshot and (
                MOVE.search(text) or WHERE_GO.search(text)):
            if (LIST.search(text) or WHICH.search(text)) and not COUNT.search(text):
                return Intent.LIST  # which users moved: compiled as a movement listing
            return Intent.MOVEMENT
        if segment is not None and segment.history and (snapshot or HISTORY.search(text)) \
                and not SIGNUP_WORDS.search(text) and not any(
                    g.name == "signup_at" for g in group_by):
            return Intent.HISTORY
        family_whole = segment is not None and segment.is_family and member is None
        wants_count = COUNT.search(text) is not None or re.search(
            r"\bhow\s+(much|many)\b", text) is not None  # a quantity is never a list
        if SHARE.search(text) and not family_whole and metric in (None, "users", "customers"):
            return Intent.BREAKDOWN if group_by else Intent.COUNT  # "what % of ... who ..."
        measured = metric is not None and metric in catalog.metrics and \
            catalog.metrics[metric].table != "users" and "DISTINCT" not in \
            catalog.metrics[metric].expr.upper()  # revenue, orders: a number, not people
        if (LIST.search(text) or WHICH.search(text)) and not wants_count and not family_whole \
                and not group_by and not (measured and not EXPLICIT_LIST.search(text)):
            return Intent.LIST
        if family_whole and not wants_count and not DISTRIBUTION.search(text) and \
                not group_by and not snapshot and segment is not None and re.search(
                    rf"\b{re.escape(normalise(segment.label))}s\b", text):
            return Intent.LIST  # "the pql scores among trial accounts": each member's own value
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


__all__ = ["RulesPlanner"]
