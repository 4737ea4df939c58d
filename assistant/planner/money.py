"""Money words: a figure named by the currency it is in ("booking dollars", "the dollar
amount refunded", "what money went back to Spanish buyers").

A metric is in a currency when its own name, label or description says so ("Transaction
Amount (USD)", `cancellations` described as "the total USD value of the transactions that
were cancelled"). A currency word then names, together with the other words of the question,
the one money metric whose distinctive label words are all said ("cancelled" for
"Cancellations", whatever the ending). "Value" and "amount" work alike for a metric labelled
an amount or a value ("the value of our shipments"). Nothing here is a synonym: the words come
from the catalog, and a currency word is only ever read as the unit a metric already states.
A verb of selling or spending (`verb_metric`) names the one figure the catalog itself calls
"sales" or "spend", only when nothing else in the question names a figure.
"""

from __future__ import annotations

import re

from assistant.catalog.models import Catalog, Metric
from assistant.planner.lexicon import Entry, Sense, build_lexicon
from assistant.planner.parsing import Parse, PhraseMatch
from assistant.planner.text import STOPWORDS, WORD, normalise, same_event

Span = tuple[int, int]

# Each currency by its code, and the words that name it; "money" or "cash" names any currency.
# A currency word's noun ("dollar value", "dollar amount") is part of saying the unit.
_NOUN = r"(?:\s+(?:values?|amounts?|figures?))?"
CURRENCIES = {"usd": re.compile(rf"\b(?:us\s+)?(?:dollars?|usd|bucks){_NOUN}\b"),
              "eur": re.compile(rf"\b(?:euros?|eur){_NOUN}\b"),
              "gbp": re.compile(rf"\b(?:pounds?\s+sterling|pounds?|gbp|sterling){_NOUN}\b")}
CURRENCY_NAMES = {"usd": ("usd", "dollar"), "eur": ("eur", "euro"), "gbp": ("gbp", "pound")}
ANY_CURRENCY = re.compile(rf"\b(?:money|cash){_NOUN}\b")
# Label words that say "an amount of" rather than which amount.
AMOUNT_WORDS = frozenset({"amount", "amounts", "value", "values", "total", "sum"})
RATE_WORDS = frozenset({"rate", "ratio", "share", "percentage", "percent", "proportion"})


def currencies_of(metric: Metric) -> set[str]:
    """The currency codes a metric's own name, label or description states it in."""
    own = re.findall(r"[a-z]+", " ".join([metric.name, metric.label, metric.description])
                     .lower().replace("_", " "))
    if RATE_WORDS & (set(normalise(metric.label).split()) | set(metric.name.split("_"))):
        return set()  # a rate of two amounts is no amount
    return {code for code, names in CURRENCY_NAMES.items()
            if any(w.startswith(names) for w in own)}


# "The combined value of our shipments", "the amount of refunds": an amount, in any unit.
AMOUNT_SAID = re.compile(r"\b(?:values?|amounts?)\b")


def _is_amount(metric: Metric) -> bool:
    """A metric labelled an amount or a value ("orders total amount"), not a rate of two."""
    words = set(normalise(metric.label).split()) | set(metric.name.split("_"))
    return bool(words & AMOUNT_WORDS) and not words & RATE_WORDS


def money_spans(text: str, metric: Metric) -> list[Span]:
    """Where `text` says the unit `metric` is already in ("in dollars", "money")."""
    codes = currencies_of(metric)
    patterns = [CURRENCIES[code] for code in codes] + [ANY_CURRENCY] * bool(codes)
    patterns += [AMOUNT_SAID] * _is_amount(metric)  # "the value of our shipments"
    return [m.span() for pattern in patterns for m in pattern.finditer(text)]


def _said_currencies(text: str) -> set[str]:
    """The currencies the question names; every currency for "money"."""
    if ANY_CURRENCY.search(text):
        return set(CURRENCIES)
    return {code for code, pattern in CURRENCIES.items() if pattern.search(text)}


def _distinctive(metric: Metric) -> set[str]:
    """The label words that say which amount it is: not the unit, not "amount" or "total"."""
    words = set(normalise(re.sub(r"\([^)]*\)", " ", metric.label)).split())
    return {w for w in words if w not in STOPWORDS and w not in AMOUNT_WORDS
            and not any(p.fullmatch(w) for p in (*CURRENCIES.values(), ANY_CURRENCY))}


def _word_spans(text: str, words: set[str]) -> list[Span] | None:
    """Where each of `words` is said, whatever its ending; None when one is not said."""
    spans: list[Span] = []
    for word in words:
        found = [m.span() for m in WORD.finditer(text)
                 if m.group() in (word, f"{word}s") or same_event(m.group(), word)]
        if not found:
            return None
        spans.extend(found)
    return spans


def money_metric(p: Parse, catalog: Catalog) -> None:
    """Read a currency word (or "value", "amount") with the words naming one money metric as
    that metric, in place of a count or a value those words matched ("transaction dollars":
    the amount, not the count of transactions). Does nothing when a money metric is already
    named, or when no single metric's words are all said."""
    said = _said_currencies(p.text)
    amount = AMOUNT_SAID.search(p.text) is not None

    def money(metric: Metric) -> bool:
        return bool(currencies_of(metric) & said) or amount and _is_amount(metric)

    if not said and not amount or any(s.kind == "metric" and s.name in catalog.metrics and
                                      money(catalog.metrics[s.name]) for m in p.matches
                                      for s in m.senses):
        return
    found = []
    for metric in catalog.metrics.values():
        words = _distinctive(metric)
        spans = _word_spans(p.text, words) if words and money(metric) else None
        if spans:
            found.append((len(words), metric.name, spans))
    found.sort(key=lambda f: -f[0])
    if not found or (len(found) > 1 and found[1][0] == found[0][0]):
        return
    _, name, spans = found[0]

    def overlaps(m: PhraseMatch) -> bool:
        return any(a < m.span[1] and m.span[0] < b for a, b in spans)

    # a value those words name stays a filter the metric's own rule repeats ("customers in
    # Mexico" of "Cancellations in Mexico"); a count or another name they matched yields
    values = [m for m in p.matches if overlaps(m) and all(s.kind == "value" for s in m.senses)]
    p.matches = [m for m in p.matches if not overlaps(m) or m in values]
    for span in spans:
        entry = Entry(p.text[span[0]:span[1]], (Sense("metric", name),))
        p.matches.append(PhraseMatch(entry, span))
        p.consume(span)
    p.matches.sort(key=lambda m: m.span[0])


# Verbs whose noun a catalog may name its figure by ("what did Asia sell": its sales).
VERB_NOUNS = {"sales": re.compile(r"\b(?:sell|sells|sold|selling)\b"),
              "spend": re.compile(r"\b(?:spend|spends|spent|spending)\b")}


def verb_metric(p: Parse, catalog: Catalog) -> None:
    """A verb of selling or spending names the one figure the catalog calls "sales" or
    "spend", when the question names no figure otherwise."""
    if any(s.kind == "metric" for m in p.matches for s in m.senses):
        return
    for noun, verb in VERB_NOUNS.items():
        entry = next((e for e in build_lexicon(catalog) if e.phrase == noun), None)
        if entry is None or len(entry.senses) != 1 or entry.senses[0].kind != "metric":
            continue
        for said in verb.finditer(p.work):
            p.matches.append(PhraseMatch(entry, said.span()))
            p.consume(said.span())
    p.matches.sort(key=lambda m: m.span[0])
