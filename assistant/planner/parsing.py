"""A question being parsed: its text, what has been consumed, and the governed phrases found."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.catalog.models import Catalog, Segment
from assistant.errors import Candidate
from assistant.planner.lexicon import Entry, Sense, build_lexicon
from assistant.planner.text import MARK


@dataclass
class PhraseMatch:
    entry: Entry
    span: tuple[int, int]

    @property
    def senses(self) -> tuple[Sense, ...]:
        return self.entry.senses


@dataclass
class Number:
    value: float
    span: tuple[int, int]
    after: str
    before: str
    strict_above: bool = False
    at_least: bool = False  # "a score no lower than 65", "score >= 65"
    params: list[tuple[int, str, str]] = field(default_factory=list)  # (distance, seg, param)
    spans: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Claim:
    """A span a pass read, and the part of the plan that must use it (see coverage.py)."""

    span: tuple[int, int]
    role: str  # time | snapshot | number | old_value | limit | grain | month_number | segment
    # | signup (a period read on the signup date: "new accounts last week")


@dataclass
class Parse:
    original: str
    text: str  # normalised, typo-corrected
    work: str  # with consumed spans masked
    matches: list[PhraseMatch] = field(default_factory=list)
    used_dimensions: set[str] = field(default_factory=set)
    claims: list[Claim] = field(default_factory=list)
    excluded: list[tuple[str, str | None]] = field(default_factory=list)  # (segment, member)
    also: list[tuple[str, str | None]] = field(default_factory=list)  # within these too
    any_of: list[tuple[str, str | None]] = field(default_factory=list)  # in one of these at least
    by_segment: str | None = None  # a second family whose members are also rows

    def consume(self, span: tuple[int, int]) -> None:
        a, b = span
        self.work = self.work[:a] + MARK * (b - a) + self.work[b:]

    def claim(self, span: tuple[int, int], role: str) -> None:
        """Consume a span for one part of the plan; coverage checks the plan used it."""
        self.consume(span)
        self.claims.append(Claim(span, role))


# Verbs of leaving something out, with their particle: "leaving out Japan" is not a synonym
# of leaving (churning). Masked before matching; coverage reads them as exclusion words.
PHRASAL_EXCLUDE = re.compile(r"\b(leave|leaves|leaving|left)\s+out\b")
# Idioms whose noun is no value or name of the catalog ("on the books" is no product line
# "Books"): masked before matching; coverage reads them with the whole history words.
IDIOMS = re.compile(r"\b(?:on|off)\s+(?:the\s+|our\s+)?books\b|\bby\s+the\s+book\b|"
                    r"\bon\s+(?:file|record)\b")


def match_phrases(p: Parse, catalog: Catalog) -> None:
    """Leftmost-longest matching: at each position the longest governed phrase wins."""
    for pattern in (PHRASAL_EXCLUDE, IDIOMS):
        for m in pattern.finditer(p.work):
            p.consume(m.span())
    found: list[tuple[int, int, Entry]] = []
    for entry in build_lexicon(catalog):
        first = entry.phrase.split()[0]
        if first.removesuffix("y")[:4] not in p.work:  # "city" also matches "cities"
            continue  # cheap pre-check before the regex
        found.extend((m.start(), m.end(), entry) for m in entry.pattern.finditer(p.work))
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    taken_until = -1
    for a, b, entry in found:
        if a < taken_until or _yields(a, b, entry, found):
            continue
        p.matches.append(PhraseMatch(entry, (a, b)))
        p.consume((a, b))
        taken_until = b
    p.matches.sort(key=lambda m: m.span[0])


# A phrase that opens with a question word ("how engaged") or a word that frames any figure
# ("total transactions") is the weaker reading when a phrase starting inside it reaches
# further: "explain how engaged users count" names those users, "the total transaction
# amount" the transaction amount.
WEAK_LEAD = frozenset({"how", "what", "which", "who", "total", "overall"})


def _yields(a: int, b: int, entry: Entry, found: list[tuple[int, int, Entry]]) -> bool:
    if entry.phrase.split()[0] not in WEAK_LEAD:
        return False
    return any(a < a2 < b < b2 for a2, b2, _ in found)


def governed_words(text: str, span: tuple[int, int], catalog: Catalog) -> bool:
    """Whether the words at `span` are part of a phrase the catalog governs: a word a
    built-in list treats as ungoverned, a region or a grain ("profit", "europe", "daily")
    is the catalog's own when one of its names, labels, synonyms or values says it."""
    a, b = span
    return any(m.start() <= a and b <= m.end() for entry in build_lexicon(catalog)
               if entry.phrase.split()[0][:4] in text for m in entry.pattern.finditer(text))


def choice_allows(choice: str, sense: Sense) -> bool:
    seg, _, member = choice.partition(":")
    return sense.name == seg and (not member or sense.detail == member or sense.kind != "member")


def candidate(catalog: Catalog, name: str, member: str | None) -> Candidate:
    obj = catalog.segments.get(name) or catalog.metrics.get(name)
    assert obj is not None
    label, description = obj.label, obj.description
    if member and isinstance(obj, Segment) and obj.member(member):
        m = obj.member(member)
        assert m is not None
        label = f"{obj.label}: {m.label}"
        rule = m.when or ", ".join(f"{c} {lo}-{hi}" for c, lo, hi in m.match) or "otherwise"
        description = f"{m.label} in {obj.label} ({rule})."
    return Candidate(
        name=name,
        kind=obj.kind,
        member=member,
        label=label,
        description=description[:300],
        source=obj.source,
        choice=f"{name}:{member}" if member else name,
    )


def value_candidate(catalog: Catalog, dimension: str, value: str) -> Candidate:
    """A dimension value offered in a clarification; its choice token is `dimension=value`."""
    dim = catalog.dimensions[dimension]
    match = next((v for v in dim.values if v.value == value), None)
    label = f"{dim.label}: {match.label if match else value}"
    return Candidate(name=dimension, kind="dimension", member=value, label=label,
                     description=dim.description, source=dim.source,
                     choice=f"{dimension}={value}")


def qualifies_next(p: Parse, end: int, among: list[PhraseMatch] | None = None) -> bool:
    """An entity said just before another dimension ("by customer region", "the customer's
    country") says whose that dimension is, not a grouping of its own. `among`: only those
    matches (the ones a plan uses) count as the dimension."""
    return any(re.fullmatch(r"(?:'s)?\s+", p.text[end:m.span[0]]) and
               any(s.kind == "dimension" for s in m.senses)
               for m in (p.matches if among is None else among) if m.span[0] > end)
