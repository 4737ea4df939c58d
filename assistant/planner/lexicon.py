"""The rules planner's vocabulary, built only from the catalog.

Every phrase a stakeholder might use (names, labels, synonyms, dimension values,
parameter synonyms) maps to one or more *senses*. A phrase with senses in several
segments is exactly what makes a question ambiguous, so the catalog's owners control
ambiguity in YAML by where they put a synonym.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from assistant.catalog.cache import derived
from assistant.catalog.models import Catalog
from assistant.planner.places import place_names
from assistant.planner.text import PEOPLE_NOUNS, STOPWORDS, normalise, phrase_pattern


@dataclass(frozen=True)
class Sense:
    kind: str  # segment | member | metric | dimension | value | parameter
    name: str  # segment / metric / dimension name
    detail: str = ""  # member name, dimension value, parameter name, metric "window:<days>"

    @property
    def window_days(self) -> int | None:
        """The window a metric phrase names ("wau" -> 7), if it names one."""
        return int(self.detail[7:]) if self.detail.startswith("window:") else None


@dataclass(frozen=True)
class Entry:
    """A phrase and its senses. Its pattern is compiled when first matched, not with the
    lexicon: the matcher's pre-check skips most of the catalog's hundreds of phrases, and a
    compiled pattern would be compiled again by every process reading the catalog cache."""

    phrase: str
    senses: tuple[Sense, ...]

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return phrase_pattern(self.phrase)

    def __getstate__(self) -> dict[str, Any]:  # pickled without a compiled pattern
        return {"phrase": self.phrase, "senses": self.senses}


def _variants(text: str) -> set[str]:
    base = normalise(text.replace("_", " "))
    return {base} if base else set()


def build_lexicon(catalog: Catalog) -> tuple[Entry, ...]:
    """All phrases, longest first, so the most specific reading wins."""
    known: tuple[Entry, ...] | None = derived(catalog, "lexicon")  # compiled catalog cache
    return known if known is not None else _build_lexicon(catalog)


@lru_cache(maxsize=8)
def _build_lexicon(catalog: Catalog) -> tuple[Entry, ...]:
    senses: dict[str, list[Sense]] = {}

    def add(phrases: set[str], sense: Sense) -> None:
        for phrase in phrases:
            if re.fullmatch(r"[\d\s.]+", phrase):  # a bare number is a what-if value or a
                continue  # limit, never a name (a value "1000+" or "1-10" still is)
            if sense not in senses.setdefault(phrase, []):
                senses[phrase].append(sense)

    for seg in catalog.segments.values():
        add(_variants(seg.name) | _variants(seg.label) | _all(seg.synonyms),
            Sense("segment", seg.name))
        # a column's declared words name the segment whose column it is ("recency score")
        add(_all(tuple(w for _, words in seg.column_synonyms for w in words)),
            Sense("segment", seg.name))
        for member in seg.members:
            own = _variants(member.name) | _variants(member.label)
            if not member.alone:  # `alone: false`: "high" names it only beside its family
                own -= _variants(member.name)
            add(own | _all(member.synonyms), Sense("member", seg.name, member.name))
    for metric in catalog.metrics.values():
        add(_variants(metric.name) | _variants(metric.label) | _all(metric.synonyms),
            Sense("metric", metric.name))
        for days, names in metric.windows:  # "wau": the metric over 7 days
            add(_all(names), Sense("metric", metric.name, f"window:{days}"))
    for dim in catalog.dimensions.values():
        if dim.role == "entity":  # named only where nothing else is (_add_entities)
            continue
        add(_variants(dim.name) | _variants(dim.label) | _all(dim.synonyms),
            Sense("dimension", dim.name))
        for value in dim.values:
            phrases = _all(value.synonyms) | _variants(value.label)
            if len(value.value) > 2:  # two-letter codes only count when written in capitals
                phrases |= _variants(value.value)
            add(phrases, Sense("value", dim.name, value.value))
    _add_bare_names(catalog, senses)
    _add_place_names(catalog, senses)
    for name, phrase in [(m.name, ph) for m in catalog.metrics.values()
                         for ph in _variants(m.label) | _variants(m.name)]:
        for short in _initialisms(phrase):  # "aov" for "average order value"
            if short not in senses and short not in STOPWORDS:
                senses[short] = [Sense("metric", name)]  # only where nothing else is
    _add_spelled_out(catalog, senses)
    _add_table_heads(catalog, senses)
    _add_people_nouns(catalog, senses)
    for dim in catalog.dimensions.values():  # "country" for "customer country" of customers
        owner = dim.table.removesuffix("s")
        for phrase in _variants(dim.label):
            bare = phrase.removeprefix(f"{owner} ")
            if bare != phrase and bare not in senses and bare not in IDENTIFIER_NOUNS:
                senses[bare] = [Sense("dimension", dim.name)]  # only where nothing else is
    _add_entities(catalog, senses)
    entries = [Entry(p, tuple(s)) for p, s in senses.items()]
    entries.sort(key=lambda e: (-len(e.phrase.split()), -len(e.phrase)))
    return tuple(entries)


# Nouns that name an identifier of whatever precedes them ("policy number", "product id"):
# alone they say which kind of thing only beside its owner, so "number" names no dimension.
IDENTIFIER_NOUNS = frozenset({"number", "numbers", "id", "ids", "identifier", "code", "codes",
                              "key", "name", "names", "no"})
SMALL_WORDS = frozenset({"of", "the", "and", "per", "to", "a", "an", "in", "on", "for", "by"})


def _initialisms(phrase: str) -> set[str]:
    """The initials of a name of three words or more, with and without its small words
    ("gross merchandise value": "gmv"); a name of fewer words has none."""
    words = phrase.split()
    if len(words) < 3 or not all(w.isalpha() for w in words):
        return set()
    content = [w for w in words if w not in SMALL_WORDS]
    return {"".join(w[0] for w in ws) for ws in (words, content) if len(ws) >= 3}


def _add_bare_names(catalog: Catalog, senses: dict[str, list[Sense]]) -> None:
    """A metric's name without the words that frame it, only where nothing else is."""
    # "premium" for a metric named "total premium"; "loss reserve" for "loss reserve amount";
    # "profit" for "daily profit"
    # (when two words or more remain: "loss amount" is not "loss"); only where nothing else is
    for metric in catalog.metrics.values():
        for phrase in _variants(metric.name) | _variants(metric.label):
            amount = re.sub(r" amounts?$", "", phrase.removeprefix("total "))
            graded = re.sub(r"^(?:daily|weekly|monthly) ", "", phrase)  # "daily profit"
            for bare in (phrase.removeprefix("total "),
                         amount if len(amount.split()) > 1 else phrase, graded):
                if bare != phrase and bare not in senses and \
                        not re.fullmatch(r"[\d\s.]+", bare):
                    senses[bare] = [Sense("metric", metric.name)]


def _add_place_names(catalog: Catalog, senses: dict[str, list[Sense]]) -> None:
    """A country or state kept as a bare code ("MX", "us-ny") by what people call it, only
    where nothing else is: a city the data names "New York" keeps the name."""
    for dim in catalog.dimensions.values():
        kind_words = set(dim.name.split("_")) | set(normalise(dim.label).split())
        for value in dim.values:
            if value.synonyms or value.label != value.value:
                continue  # the data team said what it is called
            sense = Sense("value", dim.name, value.value)
            code = senses.get(normalise(value.value), [])
            if code and sense not in code:
                continue  # the code itself names another dimension's value here
            for name in place_names(kind_words, value.value):
                if name not in senses:
                    senses[name] = [sense]
                elif sense not in senses[name] and all(
                        s.kind == "value" and s.detail == value.value for s in senses[name]):
                    senses[name].append(sense)


def _add_table_heads(catalog: Catalog, senses: dict[str, list[Sense]]) -> None:
    """The last word of a table's name of several words ("items" of `line_items`) names what
    the table's own name names, when no other table ends in it and nothing else is that word."""
    tables = set(catalog.tables) | {m.table for m in catalog.metrics.values() if m.table}
    for table in tables:
        words = table.lower().split("_")
        head, phrase = words[-1], " ".join(words)
        if len(words) < 2 or len(head) < 4 or head in senses or head in STOPWORDS or \
                any(o != table and o.lower().split("_")[-1] == head for o in tables):
            continue
        named = senses.get(phrase, [])
        if named and all(s.kind == "metric" for s in named):
            senses[head] = list(named)


def _add_people_nouns(catalog: Catalog, senses: dict[str, list[Sense]]) -> None:
    """ "How many clients in each city" over a model whose people are its `users`: a table
    named by a word for people is named by every such word, only where nothing else is (a
    model that governs one of those words keeps its own)."""
    tables = set(catalog.tables) | {m.table for m in catalog.metrics.values() if m.table}
    people = [t for t in tables if t.lower() in PEOPLE_NOUNS and t.lower() in senses]
    if len(people) != 1 or not all(s.kind == "metric" for s in senses[people[0].lower()]):
        return
    for noun in sorted(PEOPLE_NOUNS):
        senses.setdefault(noun, list(senses[people[0].lower()]))


def _add_entities(catalog: Catalog, senses: dict[str, list[Sense]]) -> None:
    """A foreign model's entity by its name, with and without an identifier noun ("catastrophe"
    of `catastrophe_identifier`), only where no phrase of either number is: it names the
    entity's one name dimension when its model has one ("by catastrophe" is by catastrophe
    name, as a thing is shown by its name), else the entity's key ("by customer")."""
    taken = {_singular(phrase) for phrase in senses}
    named: dict[str, set[Sense]] = {}
    for dim in [d for d in catalog.dimensions.values() if d.role == "entity"]:
        names = [n for n, d in catalog.dimensions.items() if n.startswith(f"{dim.name}__")
                 and not d.is_time and n.endswith("_name")]
        sense = Sense("dimension", names[0] if len(names) == 1 else dim.name)
        words = dim.label.split()
        bare = " ".join(words[:-1]) if len(words) > 1 and words[-1] in IDENTIFIER_NOUNS else ""
        for phrase in {dim.label, bare} - {""}:
            named.setdefault(_singular(phrase), set()).add(sense)
    for phrase, found in named.items():  # two entities of one name ("party") name neither
        if phrase not in taken and len(found) == 1:
            senses[phrase] = list(found)


def _singular(phrase: str) -> str:
    """The phrase with its last word in the singular, as `phrase_pattern` matches both."""
    if phrase.endswith("ies"):
        return phrase[:-3] + "y"
    return phrase[:-1] if phrase.endswith("s") and not phrase.endswith("ss") else phrase


def _add_spelled_out(catalog: Catalog, senses: dict[str, list[Sense]]) -> None:
    """ "gross merchandise value" for a metric named "gmv", as its description spells it;
    only where nothing else is."""
    for metric in catalog.metrics.values():
        for word in {w for ph in _variants(metric.name) | _variants(metric.label)
                     for w in ph.split()}:
            for spelled in _spelled_out(word, metric.description or ""):
                if spelled not in senses:
                    senses[spelled] = [Sense("metric", metric.name)]


def _spelled_out(word: str, description: str) -> set[str]:
    """Runs of words in a definition's description whose initials spell one word of its
    name ("gmv" described as "gross merchandise value of orders"): the name said in full."""
    if not 3 <= len(word) <= 6 or not word.isalpha():
        return set()
    words = normalise(description).split()
    out = set()
    for i in range(len(words) - len(word) + 1):
        run = words[i:i + len(word)]
        if "".join(w[0] for w in run) == word and run[0] not in SMALL_WORDS and \
                run[-1] not in SMALL_WORDS and all(w.isalpha() for w in run):
            out.add(" ".join(run))
    return out


def _all(phrases: tuple[str, ...]) -> set[str]:
    out: set[str] = set()
    for p in phrases:
        out |= _variants(p)
    return out


# Numbers and ordinals in words are words, never typos of another ("three" is no "there").
NUMBER_WORDS = frozenset("""
zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety
hundred thousand million dozen first second third fourth fifth sixth seventh eighth ninth
tenth eleventh twelfth
""".split())


def vocabulary(catalog: Catalog) -> frozenset[str]:
    """Words the typo corrector may correct towards."""
    known: frozenset[str] | None = derived(catalog, "vocabulary")  # compiled catalog cache
    return known if known is not None else _vocabulary(catalog)


@lru_cache(maxsize=8)
def _vocabulary(catalog: Catalog) -> frozenset[str]:
    from assistant.planner.coverage import FUNCTION_WORDS, MODIFIERS
    from assistant.planner.text import STOPWORDS

    words: set[str] = set(STOPWORDS) | FUNCTION_WORDS | MODIFIERS | NUMBER_WORDS
    for entry in build_lexicon(catalog):
        words.update(entry.phrase.split())
    for seg in catalog.segments.values():
        for param in seg.parameters:
            for syn in (*param.synonyms, param.label):
                words.update(normalise(syn).split())
    restatements = [*(s.restated_by for s in catalog.segments.values()),
                    *(m.restated_by for m in catalog.metrics.values())]
    for restatement in (r for rs in restatements for r in rs):  # "invited" is no typo
        words.update(w for part in restatement for alt in part for w in normalise(alt).split())
    words.update("""
retention retained cohort cohorts month months week weeks quarter quarters year years day
days daily weekly monthly quarterly yearly annual signup signups signed joined define
definition defined mean means meaning explain calculated computed count list show many much
number total breakdown distribution each every since between last this previous trend
history over time end change changed still became become moved now were what which who
average revenue tier tiers stage stages segment segments threshold cutoff inactivity
inactive window meant required require instead logins login projects project score points
ratio decline ordered ordering bought buying purchased purchasing placed spent spending
signing joining churning activating engaging average avg mean median typical minimum
maximum percentage percent share proportion fraction core action actions activity active
compare compared comparing comparison versus against relative excluding except outside other
stack stacks stacked logic rule rules formula criteria weights weighting behind
""".split())
    words.update(n.lower() for n in (*calendar.month_name[1:], *calendar.day_name))  # "aprli"
    return frozenset(words)


def words_of(pattern: re.Pattern[str], shortest: int = 3) -> set[str]:
    """The words a pattern spells out (its escapes, \\b, \\s, \\w, are no words)."""
    return set(re.findall(rf"[a-z]{{{shortest},}}", re.sub(r"\\[a-zA-Z]", " ", pattern.pattern)))


@lru_cache(maxsize=1)
def pattern_words() -> frozenset[str]:
    """Every word the planner's own patterns read ("over our *whole* history"): a word the
    planner understands is no typo of another ("whole" is not "whose"), though it may be
    said for a catalog word it is the stem of ("forecast" for a model's "forecasted")."""
    from assistant.planner import coverage, passes, patterns, shaping, timephrases

    found: set[str] = set()
    for module in (patterns, coverage, passes, shaping, timephrases):
        for value in vars(module).values():
            if isinstance(value, re.Pattern):
                found |= words_of(value)
    return frozenset(found)
