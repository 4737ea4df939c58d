"""What-if values: numbers next to a declared parameter's words become bounded overrides.

"a what-if of 6 logins weekly" -> 6 as engaged_users' weekly login minimum. Parameter words
are found before segments are resolved, so "45 days inactive" is read as a cutoff and never
as the `inactive` member of some segment.
"""

from __future__ import annotations

import re

from assistant import messages
from assistant.catalog.models import Catalog, Parameter, Segment
from assistant.errors import ClarificationNeeded
from assistant.plan import Override
from assistant.planner.parsing import Claim, Number, Parse, candidate
from assistant.planner.patterns import (
    AT_LEAST,
    BOUND_BEFORE,
    COMPARATIVE,
    COUNTING_VERB,
    NUMBER,
    OLD_VALUE,
    PREPOSITION_BEFORE,
    UNIT,
    UNIT_ONLY,
)
from assistant.planner.text import normalise, phrase_pattern


def numbers(p: Parse, catalog: Catalog) -> list[Number]:
    """Numbers that may be what-if values, with the parameters whose words sit next to them.

    The parameter words are consumed here, so "45 days inactive" is a cutoff, not the
    `inactive` member of some segment.
    """
    found: list[Number] = []
    for m in list(NUMBER.finditer(p.work)):
        before = p.work[max(0, m.start() - 60) : m.start()]
        if _old_value(p, m, before):
            continue
        value = float(m[1]) / (100 if m[2] else 1)
        number = Number(value, m.span(), p.work[m.end() : m.end() + 50], before)
        for seg in catalog.segments.values():
            for param in seg.parameters:
                for syn in {*param.synonyms, param.label, param.name.replace("_", " ")}:
                    for phrase in _in_other_units(normalise(syn), param.unit):
                        _near(number, seg.name, param.name, phrase)
        if number.params:
            _claim_value(p, number)
            _restated_value(p, number, catalog)
            found.append(number)
    return found


def _in_other_units(phrase: str, unit: str) -> tuple[str, ...]:
    """A duration parameter's words in either unit: "days idle" is also said
    "weeks idle" (the value is converted to the parameter's unit, see `_in_unit`)."""
    if unit not in ("days", "weeks"):
        return (phrase,)
    other = re.sub(r"\bdays?\b", lambda m: m[0].replace("day", "week"), phrase) \
        if unit == "days" else re.sub(r"\bweeks?\b", lambda m: m[0].replace("week", "day"),
                                      phrase)
    return (phrase,) if other == phrase else (phrase, other)


def _old_value(p: Parse, m: re.Match[str], before: str) -> bool:
    """ "Instead of 14", "rather than 4 weeks": the governed value being replaced."""
    old = OLD_VALUE.search(before)
    if not old:
        return False
    offset = m.start() - len(before)
    p.claim(m.span(), "old_value")
    p.claims.append(Claim((offset + old.start(), m.end()), "old_value"))
    unit = UNIT.match(p.work, m.end())
    if unit:
        p.claims.append(Claim(unit.span(), "old_value"))
    return True


def _near(number: Number, segment: str, param: str, phrase: str) -> None:
    """Record `param` when its phrase sits just after the number or just before it."""
    pattern = phrase_pattern(phrase)
    end = number.span[1]
    hit = pattern.search(number.after)
    if hit and hit.start() <= 25:
        number.params.append((hit.start(), segment, param))
        number.spans.append((end + hit.start(), end + hit.end()))
    hits = list(pattern.finditer(number.before))
    if not hits or len(number.before) - hits[-1].end() > 28:
        return
    if COMPARATIVE.search(phrase):
        number.strict_above = True  # "a score above 70": 71 for whole numbers
    if re.search(r">=|at least|at or above", phrase):
        number.at_least = True
    offset = number.span[0] - len(number.before)
    number.params.append((len(number.before) - hits[-1].end(), segment, param))
    number.spans.append((offset + hits[-1].start(), offset + hits[-1].end()))


def _claim_value(p: Parse, number: Number) -> None:
    """The number, its parameter words, and the words that frame it as a value."""
    p.claim(number.span, "number")
    p.claims.extend(Claim(span, "number") for span in number.spans)
    start = number.span[0]
    for lead_pattern in (PREPOSITION_BEFORE, BOUND_BEFORE, COUNTING_VERB):
        lead = lead_pattern.search(p.text, 0, start)  # "built no fewer than 6 projects"
        if lead:
            p.claims.append(Claim(lead.span(), "number"))
            start = lead.start() if lead_pattern is BOUND_BEFORE else start
    unit = UNIT.match(p.work, number.span[1])  # "21 day activation period"
    if unit:
        p.claims.append(Claim(unit.span(), "number"))
    bound = AT_LEAST.match(p.work, number.span[1])
    if bound and bound.end() > bound.start():
        p.claims.append(Claim(bound.span(), "number"))


def _restated_value(p: Parse, number: Number, catalog: Catalog) -> None:
    """ "(keeping the same 4 weeks)": a word for the governed value before a number that is
    that value says the rule is kept as it is."""
    lead = DEFAULT_WORD.search(p.work, 0, number.span[0])
    if lead is None:
        return
    defaults = {param.default for _, seg, name in number.params
                if (param := catalog.segments[seg].parameter(name)) is not None}
    if number.value in defaults:
        p.claim(lead.span(), "number")


DEFAULT_WORD = re.compile(r"\b(normal|usual|standard|default|current|governed|regular|existing|"
                          r"same|official)\s+$")


def restated_rules(p: Parse, catalog: Catalog) -> list[tuple[int, int]]:
    """ "With the usual weekly-logins bar": a parameter named with a word for its
    governed value and no number of its own restates the rule; it changes nothing."""
    spans = []
    for seg in catalog.segments.values():
        for param in seg.parameters:
            for syn in {*param.synonyms, param.label}:
                for hit in phrase_pattern(normalise(syn)).finditer(p.work):
                    lead = DEFAULT_WORD.search(p.work, 0, hit.start())
                    if lead is None or NUMBER.match(p.work, hit.end()):
                        continue
                    span = (lead.start(), hit.end())
                    p.claim(span, "segment")
                    spans.append(span)
    return spans


PASSING = re.compile(r"\b(clear|clears|cleared|clearing|hit|hits|hitting|meet|meets|met|"
                     r"meeting|pass|passes|passed|passing|reach|reaches|reached|make|makes|"
                     r"made|exceed|exceeds|exceeded|cross|crosses|crossed|above|over|beat|"
                     r"beats)\s+(?:[a-z]+\s+){0,3}$")


def passes_the_bar(p: Parse, bar: Parameter) -> tuple[int, int] | None:
    """ "Accounts clearing the scoring bar": the qualifying bar named with a verb of
    passing it and no number is the governed bar; the span of verb and bar words."""
    for syn in sorted({*bar.synonyms, bar.label}, key=len, reverse=True):
        for hit in phrase_pattern(normalise(syn)).finditer(p.text):
            verb = PASSING.search(p.text, max(0, hit.start() - 40), hit.start())
            between = p.text[verb.end():hit.start()] if verb else ""
            if verb and not NUMBER.search(between) and not NUMBER.match(p.text, hit.end() + 1):
                return verb.start(), hit.end()
    return None


# A verb of passing with the bar just set as its object: "how many make it", "who'd clear it".
PASSES_IT = re.compile(r"\b(?:clear|clears|pass|passes|make|makes|meet|meets|reach|reaches|"
                       r"qualify|qualifies)\s+(?:it|that|the\s+cut)\b|\bqualify\b|\bqualifies\b")


def passes_it(p: Parse, segment: Segment) -> str | None:
    """With the qualifying bar changed, people said to pass it are the family's first
    member (the one the bar lets in); the span of the verb is consumed."""
    said = PASSES_IT.search(p.text)
    if said is None or not segment.members:
        return None
    p.claim(said.span(), "segment")
    return segment.members[0].name


def is_default(override: Override, catalog: Catalog) -> bool:
    """An override equal to the governed default changes nothing."""
    owner = catalog.segments.get(override.segment or "")
    param = owner.parameter(override.parameter) if owner else None
    return param is not None and param.default == override.value


def param_hits(numbers: list[Number], catalog: Catalog) -> list[Segment]:
    return [catalog.segments[seg] for n in numbers for _, seg, _ in n.params]


def overrides(
    numbers: list[Number], catalog: Catalog, segment: Segment | None, p: Parse
) -> list[Override]:
    if segment is None or not numbers:
        return []
    scope = {s.name: s for s in [catalog.segments[r] for r in segment.requires] + [segment]}
    out: dict[str, Override] = {}
    for number in numbers:
        options = []
        for distance, seg_name, param_name in number.params:
            if seg_name not in scope:
                continue
            near = number.before + " " + number.after
            affinity = 0 if member_affinity(param_name, scope[seg_name], near) else 1
            # "an activation window of two weeks": a duration goes to the *_days parameter
            # the question names, not to a parameter that is itself counted in weeks
            duration = re.match(r"\s*(days?|weeks?)\b", number.after) is not None
            in_days = _unit(scope[seg_name], param_name) == "days"
            named = 0 if duration and in_days and _named(
                scope[seg_name], param_name, p.text) else 1
            options.append((named, affinity, distance, seg_name, param_name))
        owned = _member_parameter(number, scope)
        chosen = owned[:2] if owned else (min(options)[3:] if options else None)
        if chosen:
            seg_name, param_name = chosen
            _other_members_word(number, scope[seg_name], param_name, catalog)
            param = scope[seg_name].parameter(param_name)
            value = _in_unit(number, param)
            if (
                number.strict_above
                and param is not None
                and param.is_integer
                and value.is_integer()
            ):
                value += 1
            out[param_name] = Override(parameter=param_name, value=value, segment=seg_name)
        elif not any(seg_name in scope for _, seg_name, _ in number.params):
            _, owner, param_name = min(number.params)
            raise ClarificationNeeded(
                messages.CLARIFY_PARAMETER.format(
                    value=number.value, parameter=param_name, owner=owner, segment=segment.name
                ),
                [candidate(catalog, segment.name, None), candidate(catalog, owner, None)],
            )
    return list(out.values())


DAYS_IN = {"day": 1, "days": 1, "week": 7, "weeks": 7}


def _in_unit(number: Number, param: Parameter | None) -> float:
    """The number in the parameter's own unit: "two weeks" of a window in days is 14, "21
    days" of a window in weeks is 3; a duration that is no whole number of the parameter's
    unit ("10 days" of weeks) is not guessed at."""
    said = re.match(r"\s*(days?|weeks?)\b", number.after)
    if param is None or said is None or param.unit not in DAYS_IN:
        return number.value
    days = number.value * DAYS_IN[said[1]]
    value = days / DAYS_IN[param.unit]
    if not value.is_integer() and param.is_integer:
        raise ClarificationNeeded(messages.CLARIFY_UNIT.format(
            value=f"{number.value:g} {said[1]}", parameter=param.label, unit=param.unit), [])
    return value


def rule_owners(numbers: list[Number], catalog: Catalog, segment: Segment | None) -> set[str]:
    """Members named only as the owner of the rule a what-if changes ("a low-risk bar of 6
    days")."""
    if segment is None:
        return set()
    scope = {s.name: s for s in [catalog.segments[r] for r in segment.requires] + [segment]}
    return {owned[2] for n in numbers if (owned := _member_parameter(n, scope))
            and owned[0] == segment.name}


def _member_parameter(number: Number,
                      scope: dict[str, Segment]) -> tuple[str, str, str] | None:
    """ "an at-risk cutoff of 12 days", "a low-risk bar of 6 days": a duration said right
    after (or right before) a member's name sets the parameter of that member's own rule that
    is counted in days or weeks, whichever parameter the other words name."""
    said = re.match(r"\s*(days?|weeks?)\b", number.after)
    if said is None:
        return None
    # or right after the duration: "9 days for the low-risk bar"
    close = number.before[-60:] + " " + number.after[said.end():said.end() + 30]
    hits = {
        (seg.name, param.name, member.name)
        for seg in scope.values() for member in seg.members for param in seg.parameters
        if param.name.startswith(member.name + "_") and param.unit in DAYS_IN and any(
            phrase_pattern(w).search(close)
            for w in {member.name.replace("_", " "), normalise(member.label)})
    }
    return hits.pop() if len(hits) == 1 else None


def _unit(seg: Segment, param_name: str) -> str:
    param = seg.parameter(param_name)
    return param.unit if param else ""


def _named(seg: Segment, param_name: str, text: str) -> bool:
    """The question names the parameter by its own words (e.g. "activation window"), not
    only by a unit that several parameters share ("weeks")."""
    param = seg.parameter(param_name)
    if param is None:
        return False
    phrases = {said for s in (*param.synonyms, param.label)  # "weeks to activate" as well
               for said in _in_other_units(normalise(s), param.unit)}
    return any(not UNIT_ONLY.match(ph) and phrase_pattern(ph).search(text) for ph in phrases)


def _other_members_word(number: Number, seg: Segment, param: str, catalog: Catalog) -> None:
    """ "the medium-tier cutoff": a member named right before the value's words
    that is not the member the parameter belongs to (`high_inactive_days`) asks about
    another rule; say so rather than change the wrong one."""
    owner = next((m for m in seg.members if param.startswith(m.name + "_")), None)
    if owner is None:
        return
    close = number.before[-45:]
    for member in seg.members:
        words_ = {member.name.replace("_", " "), normalise(member.label)}
        if member is not owner and any(phrase_pattern(w).search(close) for w in words_):
            raise ClarificationNeeded(
                messages.CLARIFY_OTHER_MEMBER.format(
                    value=number.value, parameter=param, owner=owner.label, member=member.label),
                [candidate(catalog, seg.name, None)])


def member_affinity(param: str, seg: Segment, before: str) -> bool:
    for member in seg.members:
        if param.startswith(member.name + "_"):
            words_ = {member.name.replace("_", " "), normalise(member.label)}
            return any(phrase_pattern(w).search(before) for w in words_)
    return False


def at_least_member(segment: Segment, numbers: list[Number]) -> str | None:
    if not segment.members:
        return None
    for number in numbers:
        if (
            number.strict_above
            or number.at_least
            or AT_LEAST.match(number.after[:15])
            or AT_LEAST.search(number.after[:12])
        ):
            return segment.members[0].name
    return None
