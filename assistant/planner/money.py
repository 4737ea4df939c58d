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

from assistant import messages
from assistant.catalog.models import Catalog, Metric
from assistant.errors import ClarificationNeeded
from assistant.planner.lexicon import Entry, Sense, build_lexicon
from assistant.planner.parsing import Parse, PhraseMatch, candidate
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


VALUE_WORDS = frozenset({"amount", "amounts", "value", "values"})


def _is_amount(metric: Metric) -> bool:
    """A metric labelled an amount or a value ("orders total amount"), not a rate of two, nor
    a count labelled a total ("Total Transactions")."""
    words = set(normalise(metric.label).split()) | set(metric.name.split("_"))
    return bool(words & VALUE_WORDS) and not words & RATE_WORDS


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
    # Mexico" of a Mexico-only cancellations metric), unless the metric is named for that value
    # (the dollars of the quick-buy kind: its weeks without one are zero, not missing); a
    # count or another name they matched yields
    own = {w.rstrip("s") for w in normalise(catalog.metrics[name].label).split()}
    values = [m for m in p.matches if overlaps(m) and all(s.kind == "value" for s in m.senses)
              and not {w.rstrip("s") for w in m.entry.phrase.split()} <= own]
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


# What a thing earned, asked of the thing itself: "what have the bookings brought in", "how
# much have bookings generated". The thing named is the subject, the figure asked is money.
EARNED = re.compile(r"\b(?:what|how\s+much)\s+(?:did|do|does|has|have|had|will|would)\s+"
                    r"(?P<subject>[\w' ]{1,40}?)\s+(?:bring|brought|rake[ds]?|raked|pull(?:ed)?)"
                    r"\s+in\b|\b(?:what|how\s+much)\s+(?:did|do|does|has|have|had|will|would)\s+"
                    r"(?P<agent>[\w' ]{1,40}?)\s+(?:generate[ds]?|earn(?:s|ed)?|make|made)\b")
COUNT_WORDS = frozenset({"count", "counts", "number", "numbers", "of"})


def earned_by(p: Parse, catalog: Catalog) -> None:
    """ "What have the bookings brought in since May": when the only figure the question names
    is a count, and it is what did the earning, the answer is the money those rows brought,
    never their count. The one money metric of the same thing (its label's words, less "count":
    "bookings total amount" beside "bookings count") replaces it; otherwise it is asked back
    with the money metrics to choose from."""
    said = EARNED.search(p.text)
    if said is None:
        return
    a, b = said.span("subject") if said.group("subject") is not None else said.span("agent")
    named = [(m, s) for m in p.matches for s in m.senses if s.kind == "metric" and m.span[0] >= 0]
    inside = [(m, s) for m, s in named if a <= m.span[0] and m.span[1] <= b]
    counted = catalog.metrics.get(inside[0][1].name) if inside else None
    if counted is None or len(inside) != len(named) or not _counts_rows(counted):
        return
    money = _money_besides(counted, catalog)
    same = _amount_of(counted, money) or [
        m for m in money if m.table == counted.table]  # the one money figure of its table
    if len(same) != 1:
        raise ClarificationNeeded(
            messages.CLARIFY_EARNED.format(thing=p.text[a:b].strip()),
            [candidate(catalog, m.name, None) for m in money[:6]])
    match = inside[0][0]
    p.matches = [m for m in p.matches if m is not match]
    p.matches.append(PhraseMatch(Entry(match.entry.phrase, (Sense("metric", same[0].name),)),
                                 match.span))
    p.matches.sort(key=lambda m: m.span[0])


def _counts_rows(metric: Metric) -> bool:
    """A count of rows or of keys: `COUNT(*)`, `COUNT(x)`, a sum of ones."""
    return metric.aggregate == "count" or re.fullmatch(
        r"\s*(?:count\s*\(.*\)|sum\s*\(\s*1\s*\))\s*", metric.expr, flags=re.I | re.S) is not None


def _sums_money(metric: Metric) -> bool:
    """An amount of money: in a currency, labelled an amount, or a sum of a column — not an
    average or a rate of two amounts."""
    words = set(normalise(metric.label).split()) | set(metric.name.split("_"))
    if words & (RATE_WORDS | {"average", "avg", "mean", "per"}) or _counts_rows(metric):
        return False
    summed = re.fullmatch(r"\s*sum\s*\(\s*[\w.]+\s*\)\s*", metric.expr, flags=re.I)
    return bool(currencies_of(metric)) or bool(words & VALUE_WORDS) or summed is not None or \
        metric.aggregate == "sum"


def _money_besides(counted: Metric, catalog: Catalog) -> list[Metric]:
    """The catalog's amounts of money other than `counted`."""
    return [m for m in catalog.metrics.values() if m is not counted and _sums_money(m)]


def _amount_of(counted: Metric, money: list[Metric]) -> list[Metric]:
    """The money metrics named like a count, less its count words ("orders total amount" of
    "orders count", "Transaction Amount (USD)" of "Transactions")."""
    own = {w.rstrip("s") for w in _distinctive(counted) - COUNT_WORDS}
    return [m for m in money if own and {w.rstrip("s") for w in _distinctive(m)} == own]


VOLUME = re.compile(r"\s*volumes?\b")


def volume_of(p: Parse, catalog: Catalog) -> None:
    """ "Booking volume for Q3": where a thing has both a count and an amount of money of
    the same name, its "volume" is either; the question is asked back with both. A currency
    said ("dollar volume") already chose the amount."""
    if _said_currencies(p.text):
        return
    for m in p.matches:
        counted = next((catalog.metrics[s.name] for s in m.senses if s.kind == "metric"
                        and s.name in catalog.metrics), None)
        if counted is None or m.span[0] < 0 or not _counts_rows(counted) or \
                VOLUME.match(p.text, m.span[1]) is None:
            continue
        amounts = _amount_of(counted, _money_besides(counted, catalog))
        if amounts:
            raise ClarificationNeeded(
                messages.CLARIFY_VOLUME.format(thing=p.text[m.span[0]:m.span[1]]),
                [candidate(catalog, x.name, None) for x in (counted, *amounts)])
