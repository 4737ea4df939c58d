"""Which governed segment and member a question is about, or which ones to ask between.

Ambiguity is the catalog's: a phrase whose synonyms sit on members of several segments is
ambiguous unless another phrase of the question names one of those segments.
"""

from __future__ import annotations

import re

from assistant import messages
from assistant.catalog.models import Catalog, Member, Segment
from assistant.errors import ClarificationNeeded
from assistant.planner import whatif
from assistant.planner.lexicon import Sense, build_lexicon
from assistant.planner.parsing import Claim, Number, Parse, PhraseMatch, candidate
from assistant.planner.patterns import (
    CHOICE,
    EXCLUDE,
    GROUP_LEAD,
    IF_CLAUSE,
    NEGATION,
    NEGATIVE,
)
from assistant.planner.text import normalise, phrase_pattern
from assistant.planner.timephrases import Found

Selection = str | tuple[str, ...] | None


def resolve_segment(p: Parse, catalog: Catalog, families: set[str],
                    member_matches: list[PhraseMatch], choice: str | None,
                    numbers: list[Number]) -> tuple[Segment | None, Selection]:
    """Pick the (segment, member) the question is about, or ask which one."""
    clauses = [c.span() for c in IF_CLAUSE.finditer(p.text)]
    outside = IF_CLAUSE.sub(" ", p.text)
    mentions = [
        m for m in p.matches if m.span[0] < 0 or not any(a <= m.span[0] < b for a, b in clauses)
    ]
    if choice:
        seg_name, _, mem_name = choice.partition(":")
        if seg_name in catalog.segments:
            return catalog.segments[seg_name], mem_name or None

    def segs(m: PhraseMatch) -> set[str]:
        return {s.name for s in m.senses if s.kind in ("segment", "member")}

    ruled_out = _ruled_out(p, catalog, mentions)
    mentions = [m for m in mentions if m not in ruled_out]
    context = {
        s.name
        for m in mentions
        if len(segs(m)) == 1
        for s in m.senses
        if s.kind in ("segment", "member")
    }
    chosen: list[Sense] = []
    owners = {seg.name for seg in whatif.param_hits(numbers, catalog)}
    for m in mentions:
        names = segs(m) - {s.name for r in ruled_out for s in r.senses}
        if not names:
            continue
        if len(names) > 1 and names & context:
            names = names & context
        if len(names) > 1 and names & owners:  # "engaged meaning 6 logins weekly"
            names = names & owners
        if len(names) > 1:
            senses = [s for s in m.senses if s.name in names and s.kind in ("segment", "member")]
            unique = list(dict.fromkeys((s.name, s.detail or None) for s in senses))
            raise ClarificationNeeded(
                messages.CLARIFY_AMBIGUOUS.format(phrase=m.entry.phrase),
                [candidate(catalog, n, d) for n, d in unique],
            )
        chosen.extend(s for s in m.senses if s.name in names and s.kind in ("segment", "member"))
    members = [s for s in chosen if s.kind == "member"]
    return _pick(p, catalog, chosen, members, mentions, owners, outside, numbers)


def _pick(p: Parse, catalog: Catalog, chosen: list[Sense], members: list[Sense],
          mentions: list[PhraseMatch], owners: set[str], outside: str,
          numbers: list[Number]) -> tuple[Segment | None, Selection]:
    """One segment among those named, with its members, or a clarification."""
    names = list(dict.fromkeys(s.name for s in chosen))
    if len(names) > 1 and set(names) & owners:  # the what-if's owner is the segment asked about
        names = [n for n in names if n in owners]
        chosen = [s for s in chosen if s.name in owners]
    if len(names) > 1:  # one segment without another (champions, not PQLs)
        without = _negated_segments(p, mentions, set(names))
        kept = [n for n in names if n not in without]
        if without and len(kept) == 1:
            p.excluded = [(n, without[n]) for n in names if n in without]
            names, chosen = kept, [s for s in chosen if s.name in kept]
            members = [s for s in chosen if s.kind == "member"]
        elif not kept and _all_people(catalog, names):  # neither engaged nor PQLs: in none
            p.excluded = [(n, without[n]) for n in names]
            return None, None
        elif not without and _all_people(catalog, names) and _alternatives(p, mentions, names):
            p.any_of = [(n, _one_member(chosen, n)) for n in names]  # "PQLs or champions"
            return None, None
    if len(names) == 1 and not members and catalog.segments[names[0]].entity == "user" and \
            names[0] in _negated_segments(p, mentions, set(names)):
        p.excluded = [(names[0], None)]  # "not a PQL": everyone else
        return None, None
    if len(names) > 1:
        # a required segment named with the one requiring it: keep the outer one, and the
        # required one too when it is named apart from the outer one's member of its name
        outer = [n for n in names if not any(n in catalog.segments[o].requires for o in names)]
        _required_apart(p, catalog, mentions, outer, [n for n in names if n not in outer])
        # "loyal customers that are PQLs too": the first named, within the other
        within = _within(p, catalog, mentions, outer) if len(outer) == 2 else None
        with_member = [n for n in outer if any(s.name == n for s in members)]
        names = [within] if within else with_member or outer or names
        if within is not None:
            chosen = [s for s in chosen if s.name == within]
            members = [s for s in chosen if s.kind == "member"]
    if len(names) > 1:
        raise ClarificationNeeded(
            messages.CLARIFY_AMBIGUOUS.format(phrase=" and ".join(names)),
            [candidate(catalog, n, None) for n in names],
        )
    if names:
        seg = catalog.segments[names[0]]
        return seg, _members_of(p, seg, members, outside)
    # parameters alone can name a segment in a what-if ("a what-if of 7 projects"); outside
    # one, "users with 3 projects" counts users, not the segment that also asks for 3 projects
    owners = {s.name for s in whatif.param_hits(numbers, catalog)}
    if len(owners) == 1 and WHAT_IF.search(p.text):
        return catalog.segments[owners.pop()], None
    return None, None


def _all_people(catalog: Catalog, names: list[str]) -> bool:
    return all(catalog.segments[n].entity == "user" for n in names)


def _one_member(chosen: list[Sense], name: str) -> str | None:
    """The one member of `name` the question names, if it names exactly one."""
    details = {s.detail for s in chosen if s.name == name and s.kind == "member"}
    return details.pop() if len(details) == 1 else None


# What stands between two segments offered as alternatives: "or", "and/or", "either ... or"
ALTERNATIVE = re.compile(r"^\s*,?\s*(?:and\s*/\s*)?or\s+(?:else\s+)?(?:are\s+|is\s+|an?\s+|"
                         r"the\s+|in\s+(?:the\s+)?|at\s+)*$")


# "Trials or champions (or both)": the "or" is inclusive, which a union already is.
INCLUSIVE_OR = re.compile(r"\(?\s*\bor\s+both\b\s*\)?")
# Words asking about each alternative apart (which is bigger, one figure each): no union
WHICH_OF = re.compile(r"\b(vs|versus|compar\w*|against|which|whichever|both|"
                      r"respectively|separately|apart|individually)\b")


def _alternatives(p: Parse, mentions: list[PhraseMatch], names: list[str]) -> bool:
    """Whether the segments are named one after another, each once, joined by "or", in a
    question that does not ask which of them is bigger ("are PQLs or champions more?")."""
    said = sorted((m.span, n) for m in mentions if m.span[0] >= 0
                  for n in {s.name for s in m.senses if s.kind in ("segment", "member")}
                  if n in names)
    if len(said) != len(names) or len({n for _, n in said}) != len(names) or \
            CHOICE.search(p.text) or WHICH_OF.search(INCLUSIVE_OR.sub(" ", p.text)):
        return False
    return all(ALTERNATIVE.match(p.text[a[1]:b[0]])
               for (a, _), (b, _) in zip(said, said[1:], strict=False))


# Words joining two members of one family: alternatives, a list, or two compared side by side.
JOINED_MEMBERS = r"(or|and|plus|vs|versus|against|compared\s+(?:to|with))"


def _members_of(p: Parse, seg: Segment, members: list[Sense], outside: str) -> Selection:
    """The members of the chosen segment the question names, negates or joins with "or"."""
    picked = list(dict.fromkeys(s.detail for s in members if s.name == seg.name))
    complement = _complement(seg, picked, p)
    if complement:  # "buyers that aren't champions", "any tier except medium"
        return complement
    picked = [negated(seg, name, p) for name in picked]
    joined = re.search(rf"\b{JOINED_MEMBERS}\b|\w\s*/\s*\w", outside) is not None and \
        not _negated_list(seg, outside)
    if picked and joined:  # "high or medium", "high / medium / low"
        picked += [
            m.name
            for m in seg.members
            if m.name not in picked
            and any(
                re.search(rf"\b{re.escape(ph)}(?:\s+{JOINED_MEMBERS}\b|\s*/)|"
                          rf"/\s*{re.escape(ph)}\b", outside)
                for ph in {m.name.replace("_", " "), normalise(m.label)}
            )
        ]
    if len(picked) > 1 and joined:
        for name in picked:
            mem = seg.member(name)
            if mem is not None:
                _claim_member_words(p, {mem.name.replace("_", " "), normalise(mem.label)})
        return tuple(picked)
    if picked:
        return picked[0] if len(picked) == 1 else None
    # a family named next to a generic member word: *activated* beside *lifecycle* (not a
    # word of another segment they belong to: "the stage mix of *engaged* users")
    also = {n for n, _ in p.also}
    for m in p.matches:
        if m.span[0] >= 0 and any(s.kind == "segment" and s.name in also for s in m.senses):
            outside = outside.replace(p.text[m.span[0]:m.span[1]], " ")
    named = [mem for mem in seg.members
             if any(phrase_pattern(ph).search(outside) for ph in _member_phrases(mem))]
    listed = [mem for mem in named if len(named) > 1 and any(re.search(
        rf"\b{re.escape(ph)}\s*(?:/|,|\s{JOINED_MEMBERS}\s)|(?:/|,|\s{JOINED_MEMBERS})\s*"
        rf"{re.escape(ph)}\b", outside) for ph in _member_phrases(mem))]
    if len(listed) > 1:  # "tiers: gold, silver / bronze", members said as a list
        for mem in listed:
            _claim_member_words(p, _member_phrases(mem))
        return tuple(mem.name for mem in listed)
    if named:
        _claim_member_words(p, _member_phrases(named[0]))
        return named[0].name
    return None


def _ruled_out(p: Parse, catalog: Catalog, mentions: list[PhraseMatch]) -> list[PhraseMatch]:
    """A family negated as a whole beside a phrase that could be one of its members ("at
    risk", then "the churn kind, not the stage") rules out that reading; it excludes nobody.
    Its words are claimed as said for that, and it is no longer a mention."""
    def family(m: PhraseMatch) -> str | None:
        names = {(s.kind, s.name) for s in m.senses if s.kind in ("segment", "member")}
        kind, name = next(iter(names)) if len(names) == 1 else ("", "")
        return name if kind == "segment" and catalog.segments[name].members else None

    out = []
    for m in mentions:
        name = family(m)
        if m.span[0] < 0 or name is None or not _negated(p, m) or not any(
                _could_be_member_of(p.text[o.span[0]:o.span[1]], name, catalog)
                for o in mentions if o is not m and o.span[0] >= 0):
            continue
        scope = _scope_before(p, m)
        negation = NEGATIVE.search(scope) or EXCLUDE.search(scope)
        start = m.span[0] - len(scope) + (negation.start() if negation else len(scope))
        p.claims.append(Claim((start, m.span[1]), "ruled_out"))
        out.append(m)
    for m in out:
        p.matches.remove(m)
    return out


def _could_be_member_of(said: str, family: str, catalog: Catalog) -> bool:
    """Whether words said for a member hold a phrase of one of `family`'s members."""
    return any(s.kind == "member" and s.name == family and e.pattern.search(said)
               for e in build_lexicon(catalog) for s in e.senses)


def _negated_list(seg: Segment, text: str) -> bool:
    """Members listed after a negative ("gold, not silver / bronze"): the
    list says what the asked member is not, so it joins nothing to it."""
    names = "|".join(re.escape(ph) for mem in seg.members for ph in _member_phrases(mem))
    return re.search(rf"{NEGATIVE.pattern}\s+(?:{names})\s*(?:/|,|\s{JOINED_MEMBERS}\s)",
                     text) is not None


def _member_phrases(mem: Member) -> set[str]:
    return {mem.name.replace("_", " "), normalise(mem.label)}


def _negated(p: Parse, match: PhraseMatch) -> bool:
    """A negation or a word of leaving out within reach before the phrase ("not a PQL",
    "non-PQLs", "other than champions")."""
    scope = _scope_before(p, match)
    return bool(NEGATIVE.search(scope) or EXCLUDE.search(scope))


def against_its_complement(p: Parse, name: str) -> bool:
    """ "PQLs vs non-PQLs", "engaged compared with not engaged users": a segment named once
    plainly and once negated, with a comparison word between the two."""
    mentions = [m for m in p.matches if m.span[0] >= 0 and any(
        s.kind in ("segment", "member") and s.name == name for s in m.senses)]
    negated = [m for m in mentions if _negated(p, m)]
    plain = [m for m in mentions if m not in negated]
    return any(re.search(r"\b(vs|versus|compared\s+(to|with)|against)\b",
                         p.text[min(a.span[1], b.span[1]):max(a.span[0], b.span[0])])
               for a in plain for b in negated)


def _negated_segments(p: Parse, mentions: list[PhraseMatch],
                      names: set[str]) -> dict[str, str | None]:
    """Segments named right after a negation, with the member named, if any."""
    out: dict[str, str | None] = {}
    for m in mentions:
        if m.span[0] < 0 or not _negated(p, m):
            continue
        for sense in m.senses:
            if sense.kind in ("segment", "member") and sense.name in names:
                out[sense.name] = sense.detail or out.get(sense.name)
    return out


WHAT_IF = re.compile(r"\b(what[\s-]+if|if\s+(we|the|you|it|our)|suppose|supposing|imagine|assume|"
                     r"assuming|hypothetically|instead\s+of|would\s+(be|have|qualify|count))\b")


# Two segments joined as alternatives or as a list ("churned and at-risk", "PQLs or engaged")
# are not one inside the other.
COORDINATED = re.compile(r"^\s*(,\s*)?(and|or|&|plus|vs|versus|nor|/)?\s*(the\s+)?$")


# A second family after a breakdown word: one row per member of each, which is not a plan.
BY_FAMILY = re.compile(rf"(?:^|\s){GROUP_LEAD}\s+(?:the\s+|their\s+|each\s+)?$")


def _required_apart(p: Parse, catalog: Catalog, mentions: list[PhraseMatch], outer: list[str],
                    required: list[str]) -> None:
    """ "at-risk engaged accounts": `engaged_users`, which the lifecycle requires, named
    in its own words beside a stage is a second segment the users are also in ("engaged" alone
    beside "stage" is the stage's own name)."""
    if len(outer) != 1 or p.also:
        return
    own = {w for m in catalog.segments[outer[0]].members
           for w in (m.name.replace("_", " "), normalise(m.label))}
    for name in required:
        said = [p.text[m.span[0]:m.span[1]] for m in mentions if m.span[0] >= 0 and any(
            s.kind == "segment" and s.name == name for s in m.senses)]
        if said and catalog.segments[name].entity == "user" and any(w not in own for w in said):
            p.also = [(name, None)]
            return


def _within(p: Parse, catalog: Catalog, mentions: list[PhraseMatch],
            names: list[str]) -> str | None:
    """The subject of "<segment A> who are (also) <segment B>": A, with B kept in `p.also`.

    Only when each segment's words stand together, one segment after the other, and the words
    between them are not a coordination: "engaged users and PQLs" stays a question of which."""
    named: list[tuple[PhraseMatch, str]] = []
    for m in mentions:
        own = {s.name for s in m.senses if s.kind in ("segment", "member")} & set(names)
        if m.span[0] >= 0 and len(own) == 1:
            named.append((m, own.pop()))
    order = list(dict.fromkeys(n for _, n in named))
    if sorted(order) != sorted(names) or [n for _, n in named] != sorted(
            (n for _, n in named), key=order.index):
        return None  # each segment's words together, one after the other
    last_first = max(m.span[1] for m, n in named if n == order[0])
    second = [m for m, n in named if n == order[1]]
    if any(catalog.segments[n].entity != "user" for n in order):
        return None  # only people are in one segment and also in another
    between = p.text[last_first:second[0].span[0]]
    if COORDINATED.match(between):
        return None
    if re.fullmatch(r"\s*as\s+(?:an?\s+)?", between):  # "rank as loyal customers"
        for m, n in named:  # the first words are the verb of being the second, not a segment
            if n == order[0]:
                p.claim(m.span, "segment")
        return order[1]
    member = next((s.detail for m in second for s in m.senses if s.kind == "member"
                   and s.name == order[1]), None)
    # "loyal customers per tier", "PQLs by stage": one member (or a plain segment) broken down
    # by a whole family is that family's distribution among the first one's people
    first = next((s.detail for m, n in named if n == order[0] for s in m.senses
                  if s.kind == "member" and s.name == order[0]), None)
    whole_second = member is None and catalog.segments[order[1]].is_family
    by_family = BY_FAMILY.search(between) is not None or whole_second
    if by_family and whole_second:
        if first is not None or not catalog.segments[order[0]].is_family:
            p.also = [(order[0], first)]
            return order[1]
        p.by_segment = order[1]  # "stages crossed with churn tiers": a row per member pair
        return order[0]
    if by_family:
        raise ClarificationNeeded(
            messages.CLARIFY_BY_FAMILY.format(other=catalog.segments[order[1]].label),
            [candidate(catalog, order[0], None), candidate(catalog, order[1], None)])
    p.also = [(order[1], member)]
    return order[0]


def _claim_member_words(p: Parse, phrases: set[str]) -> None:
    """A member read from its own name next to its family (*engaged* beside *lifecycle*)."""
    for phrase in phrases:
        for m in phrase_pattern(phrase).finditer(p.text):
            p.claims.append(Claim(m.span(), "segment"))


def movement_members(p: Parse, segment: Segment,
                     snapshot: Found) -> tuple[str | None, tuple[str, ...]]:
    """The member named next to the month end is where users were; others, where they are.

    "champions as of July who remain champions": from champions to champions;
    "customers flagged at-risk as of February who became champions": from at_risk.
    """
    mentions = [
        (m.span, s.detail)
        for m in p.matches
        for s in m.senses
        if s.kind == "member" and s.name == segment.name and m.span[0] >= 0
    ]
    if not mentions:
        return None, ()
    a, b = snapshot.span

    def distance(span: tuple[int, int]) -> int:
        return max(a - span[1], span[0] - b, 0)

    earlier = [m for m in mentions if m[0][1] <= a and a - m[0][1] <= 40]
    closest = (
        max(earlier, key=lambda m: m[0][1])
        if earlier
        else min(mentions, key=lambda m: distance(m[0]))
    )
    then = closest[1]
    later = [(span, d) for span, d in mentions if span != closest[0]]
    now = tuple(dict.fromkeys(d for _, d in later))
    negated = any(NEGATION.search(p.text[max(0, span[0] - 16):span[0]]) for span, _ in later) \
        or re.search(r"\b(anymore|no\s+longer)\b", p.text)
    if negated:  # "... no longer among champions": every other member
        excluded = set(now) or {then}
        now = tuple(m.name for m in segment.members if m.name not in excluded)
    elif not now and re.search(r"\bstill\b", p.text):
        now = (then,)
    return then, now


def _complement(seg: Segment, picked: list[str], p: Parse) -> tuple[str, ...]:
    """Every other member when the named ones are left out ("any tier except medium", "each
    stage apart from new and churned") and the family has no `not_` twin of them."""
    if not picked or any(seg.member(f"not_{name}") is not None for name in picked):
        return ()
    if re.search(r"\b(still|now|anymore)\b", p.text):
        return ()
    spans = sorted((m.span, s.detail) for m in p.matches if m.span[0] >= 0 for s in m.senses
                   if s.kind == "member" and s.name == seg.name and s.detail in picked)
    left_out: set[str] = set()
    previous: tuple[int, bool] = (-1, False)
    for (a, b), name in spans:
        out = EXCLUDE.search(p.text[max(0, a - 30):a]) is not None or (previous[1] and re.fullmatch(
            r"\s*(the\s+)?(and|or|,|nor)\s+(the\s+)?", p.text[previous[0]:a]) is not None)
        previous = (b, out)
        if out and name is not None:
            left_out.add(name)
    if not left_out or left_out != set(picked):
        return ()
    return tuple(x.name for x in seg.members if x.name not in left_out)


def negated(seg: Segment, member: str, p: Parse) -> str:
    """ "haven't activated" maps to `not_activated` when the family has one."""
    opposite = f"not_{member}"
    if seg.member(opposite) is None:
        return member
    for m in p.matches:
        named = any(s.kind == "member" and s.detail == member for s in m.senses)
        if named and (NEGATION.search(p.text[max(0, m.span[0] - 16) : m.span[0]])
                      or NEGATIVE.search(_scope_before(p, m))):
            return opposite
    return member


def _scope_before(p: Parse, match: PhraseMatch) -> str:
    """The words between a phrase and the governed phrase or period before it (at most ~5
    words): the reach of a negation ("never got activated", "haven't yet been activated")."""
    start = max([m.span[1] for m in p.matches if 0 <= m.span[1] <= match.span[0]] +
                [c.span[1] for c in p.claims if c.span[1] <= match.span[0]], default=0)
    window = p.text[max(start, match.span[0] - 30) : match.span[0]]
    return window if len(window.split()) <= 5 else ""
