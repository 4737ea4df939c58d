"""Question text as the rules planner sees it: normalised, typo-corrected, consumable.

Matching works on a normalised lower-case string; a matched phrase is *consumed*
(replaced by a marker) so one span of the question never means two things.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Iterable

MARK = "\u2022"  # replaces consumed spans; never part of a phrase

STOPWORDS = set("""
a an the of in on at to for from by with and or but is are was were be been being do does
did have has had how many much what which who whom whose where when why can could would
should will shall may might must i we you they it its our their my your me us them this that
these those there here please pls plz thanks thank show give tell list get find see count
number total all any each every per some more most less least than then so as if not no yes
only just also still now currently today ever got gets getting into out up down about over
under between since during through within across among vs versus s re ve ll d m t did doing
am user users people accounts account folks customers customer members member segment
segments group groups breakdown break split broken distribution table report view data us'
let lets let's look value values along around rate r u im i'm whats what's who's how's wanna
want need know like counts count qualifies qualify means meant defined define definition
calculated computed
measured work works working made make makes making someone somebody anyone everyone
calculate compute measure explain describe describes meaning into across after before
again already always never often usually really actually would like love want wants
haven't hasn't didn't don't doesn't isn't aren't wasn't weren't won't can't couldn't
shouldn't wouldn't havent hasnt didnt dont doesnt isnt arent wasnt werent wont cant
hi hey hello morning afternoon evening good team thanks thank thx cheers much so
really appreciate appreciated able putting together board trouble too wondering wonder curious
mind possibly sure kindly pull
suppose supposing imagine assume assuming hypothetically sustained consistently
raise raised raising lower lowered lowering bar bumped bump tighten tightened loosen
loosened stricter looser anymore longer deck slide qbr please kindly
something anything anyone everything somebody considered consider counted classified
labelled labeled right brings bring brought generate generates generated drive drives
came come comes coming via through thru using use used went go goes
quick quickly hey hi hello team overall currently exactly roughly
approximately approx
""".split())

SMALL_NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
TENS = {w: 10 * i for i, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
_SMALL = "|".join(sorted(SMALL_NUMBERS, key=len, reverse=True))
_ONES = "one|two|three|four|five|six|seven|eight|nine"
_TENS = "|".join(TENS)
# A number of tens or hundreds in words ("seventy", "ninety-five", "a hundred and twenty"):
# never anything but a number, so always read as one.
BIG_NUMBER_WORD = re.compile(
    rf"\b(?:(?:a|{_ONES})[\s-]+hundred(?:[\s-]+(?:and[\s-]+)?(?:(?:{_TENS})(?:[\s-]+(?:{_ONES}))?|"
    rf"{_SMALL}))?|(?:{_TENS})(?:[\s-]+(?:{_ONES}))?)\b")


def number_in_words(said: str) -> int:
    """The value of a number said in words: "ninety-five" is 95, "a hundred and ten" 110."""
    total = 0
    for word in re.split(r"[\s-]+", said):
        if word == "hundred":
            total = (total or 1) * 100
        elif word in TENS:
            total += TENS[word]
        elif word in SMALL_NUMBERS:
            total += SMALL_NUMBERS[word]
    return total


COUNTS = {**SMALL_NUMBERS, "a single": 1, "a dozen": 12, "half a dozen": 6}
# A number word counts something only when a unit follows it ("which one?" is no number).
NUMBER_WORD = re.compile(
    rf"\b(half a dozen|a dozen|a single|{_SMALL})\s+(logins?|weeks?|days?|months?|projects?|"
    r"times?|points?|sessions?|orders?|core|feature)\b")
# A cohort month in words: "month three" is month 3.
CELL_NUMBERS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
MONTH_NUMBER_WORD = re.compile(r"\bmonth[\s-]+(" + "|".join(CELL_NUMBERS) + r")\b")
# A number word after a ranking word counts the rows ("top three countries").
# A number word after "instead of" is the value being replaced, with or without its unit
# ("nine logins rather than four").
REPLACED_NUMBER = re.compile(rf"\b(instead\s+of|rather\s+than)\s+({_SMALL})\b")
# English nouns for people: a table named by one of them holds people, and any of them names
# it ("the customer's city" of a `users` table).
PEOPLE_NOUNS = frozenset("""user users customer customers client clients person people buyer
buyers shopper shoppers member members account accounts""".split())
# What follows a count of the things ranked: "(the 3) plans with the highest revenue".
RANKED_AFTER = (r"(?=[a-z]+(?:\s+[a-z]+)?\s+(?:with|by|that|who|which)\s+(?:[a-z]+\s+){0,3}?"
                r"(?:the\s+)?(?:most|"
                r"highest|fewest|lowest|least|biggest|largest|smallest|best|worst)\b)")
RANKED_NUMBER = re.compile(rf"\b(top|bottom|best|worst|highest|lowest)\s+({_SMALL})\b|"
                           rf"\b(the|our)\s+({_SMALL})\s+{RANKED_AFTER}")
WORD = re.compile(r"[a-z0-9][a-z0-9+'.]*[a-z0-9+]|[a-z0-9]")
# Negative contractions typed without the apostrophe ("arent", "doesnt"). "cant" and "wont"
# are left alone: both are words of their own ("cant lose them" names an RFM member).
UNITS = {"wk": "week", "yr": "year", "mth": "month", "hr": "hour", "dy": "day"}
# Unit abbreviations after a number or "per"/"a"/"/" ("3 logins/wk", "2 wks", "per yr").
UNIT_ABBREVIATION = re.compile(r"(?<=[\d/\s])(wk|yr|mth|hr|dy)(s)?\b")
# Written abbreviations of ordinary English words (not of any governed name): spelled out
# before anything reads the question, so the words they stand for are read as usual.
# A noun's abbreviation also stands for its plural with an "s" ("accts", "qtrs").
ABBREVIATIONS = {"pct": "percent", "perc": "percent", "avg": "average", "acct": "account",
                 "acc": "account", "defn": "definition", "def'n": "definition",
                 "dim": "dimension", "approx": "approximately", "num": "number",
                 "yoy": "year over year", "cust": "customer", "stg": "stage", "qtr": "quarter",
                 "cnt": "count", "amt": "amount", "qty": "quantity", "abs": "absolute"}
ABBREVIATION = re.compile(r"\b(" + "|".join(re.escape(a) for a in ABBREVIATIONS) +
                          r")(s?)\b(?!')")
# "who've", "they're", "we'll", "i'm", "they'd": the auxiliary spelled out, so it is read as the
# function word it is. ("n't" stays: negation patterns read it; "'s" may be a possessive.)
CONTRACTION = re.compile(r"(?<=[a-z])'(ve|re|ll|m|d)\b")
CONTRACTED = {"ve": "have", "re": "are", "ll": "will", "m": "am", "d": "would"}
BARE_CONTRACTION = re.compile(
    r"\b(are|is|was|were|do|does|did|have|has|had|could|should|would)nt\b")


# "How did May look": inside a sentence a capital "May" is the month (the modal is written in
# lower case there), so it is read as one even where the lower-case word could be the verb.
CAPITAL_MAY = re.compile(r"\b([a-z0-9]+) May\b(?!\s+(?:I|we|you|they|he|she|it|be)\b)")
# Words after which "may" is read as the month already (timephrases.py).
_BEFORE_A_MONTH = frozenset("""in of for from since by to until till the our and or vs thru mid
early late end start during through versus before after each every this last next""".split())


def _capital_may(m: re.Match[str]) -> str:
    return m[0] if m[1] in _BEFORE_A_MONTH else f"{m[1]} in May"


_MONTH_NAMES = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
                r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
MONTH_DASH_MONTH = re.compile(rf"\b({_MONTH_NAMES})\s*-\s*({_MONTH_NAMES})\b")


@functools.lru_cache(maxsize=8192)  # the catalog's phrases are normalised for every question
def normalise(text: str) -> str:
    """Lower-case, unify quotes and dashes, drop punctuation that never carries meaning."""
    text = CAPITAL_MAY.sub(_capital_may, text)
    text = text.lower().replace("_", " ")  # "at_risk" as people copy it from a table
    text = text.replace("$", " dollars ").replace("\u20ac", " euros ").replace("\u00a3", " pounds ")
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = re.sub(r"[\u2013\u2014]", " - ", text)
    text = re.sub(r"\bonce\b(?=\s+(a|per|every)\s)", "1 time", text)  # "once a day" -> 1 time a day
    text = re.sub(r"\btwice\b", "2 times", text)
    text = re.sub(r"\b(a\s+)?fortnight\b", "2 weeks", text)
    text = BARE_CONTRACTION.sub(lambda m: f"{m[1]}n't", text)
    text = CONTRACTION.sub(lambda m: " " + CONTRACTED[m[1]], text)
    text = re.sub(r"\bw/o\b", "without", text)
    text = ABBREVIATION.sub(lambda m: ABBREVIATIONS[m[1]] + m[2], text)
    text = re.sub(r"(?<=[a-z])\s*\+\s*(?=[a-z])", " and ", text)  # "free+trial", "pro + enterprise"
    text = re.sub(r"\b(\d+)\s?d\b", r"\1 days", text)  # "last 30d"
    text = UNIT_ABBREVIATION.sub(lambda m: UNITS[m[1]] + ("s" if m[2] else ""), text)
    text = re.sub(r"\bw/(?=\s)", "with", text)
    text = BIG_NUMBER_WORD.sub(lambda m: str(number_in_words(m[0])), text)  # "sixty days"
    text = NUMBER_WORD.sub(lambda m: f"{COUNTS[m[1]]} {m[2]}", text)  # "two logins a day"
    text = RANKED_NUMBER.sub(lambda m: f"{m[1] or m[3]} {COUNTS[m[2] or m[4]]} ", text)  # top 3
    text = REPLACED_NUMBER.sub(lambda m: f"{m[1]} {COUNTS[m[2]]}", text)
    text = MONTH_NUMBER_WORD.sub(lambda m: f"month {CELL_NUMBERS[m[1]]}", text)  # "month three"
    text = MONTH_DASH_MONTH.sub(r"\1 to \2", text)  # "jul-dec" is a range, not two months
    text = re.sub(r"(?<=[a-z])-(?=[a-z0-9])|(?<=[0-9])-(?=[a-z])", " ", text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # "1,000+" is one number
    # a particle takes a plural only as the noun of its verb: "sign ups" are signups
    text = re.sub(r"\b([a-z]{2,})\s+(ups|ins|outs|offs)\b",
                  lambda m: m[0] if m[1] in STOPWORDS else m[1] + m[2], text)
    text = re.sub(r"[?!,;:()\"\[\]{}]", " ", text)
    text = re.sub(r"(?<![0-9a-z])\.|\.(?![0-9a-z])", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text


@functools.lru_cache(maxsize=8192)
def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """Whole-word pattern for a normalised phrase; singular and plural both match."""
    parts = [re.escape(w) for w in phrase.split()]
    last = phrase.split()[-1] if parts else ""
    if len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
        parts[-1] = re.escape(last[:-1]) + "s?"
    elif len(last) > 2 and last.endswith("y") and last[-2] not in "aeiou":
        parts[-1] = re.escape(last[:-1]) + "(?:y|ies)"  # city / cities, category / categories
    else:
        parts[-1] = parts[-1] + "s?"
    # a name of three words or more reads in a sentence with an article it leaves out:
    # "cost per shipped parcel" is said "cost per a shipped parcel"
    body = (r"\s+(?:(?:a|an|the)\s+)?" if len(parts) > 2 else r"\s+").join(parts)
    return re.compile(rf"(?<![\w+]){body}(?![\w+])")


def words(text: str) -> list[str]:
    return [w for w in WORD.findall(text) if MARK not in w]


# Question words, the one thing a two-letter word without a vowel is read as ("hw many").
WH_WORDS = frozenset({"how", "who", "why"})


class Corrector:
    """Fixes typos ("chrun", "engagd", "lifecyle") against the catalog's own vocabulary."""

    def __init__(self, vocabulary: Iterable[str], governed: Iterable[str] = (),
                 phrases: Iterable[str] = (), protected: Iterable[str] = ()) -> None:
        self.vocab = {w for w in vocabulary if len(w) >= 3}
        self.governed = frozenset(governed)
        self.protected = frozenset(protected) - self.vocab  # read as they are, never targets
        self._pairs: dict[str, set[str]] = {}  # second word of a two-word phrase -> first words
        for phrase in phrases:
            if len(parts := phrase.split()) == 2:
                self._pairs.setdefault(parts[1], set()).add(parts[0])
        self._long = sorted(w for w in self.vocab if len(w) >= 4 and w.isalpha())
        self._short: dict[int, list[str]] = {}
        for w in sorted(self.vocab | STOPWORDS):
            if len(w) in (3, 4, 5) and w.isalpha():
                self._short.setdefault(len(w), []).append(w)

    def _inflected(self, token: str) -> bool:
        """ "rated", "invited", "logging": a vocabulary word with an ending, not a typo."""
        for ending in ("s", "es", "d", "ed", "ing", "ly", "er", "ers"):
            stem = token[: -len(ending)]
            if ending == "d" and not stem.endswith("e"):
                continue  # "rated" is rate + d; "signd" is no form of "sign"
            if token.endswith(ending) and (stem in self.vocab or stem + "e" in self.vocab):
                return True
        return False

    def _closest(self, token: str) -> str | None:
        """One edit away, or two for a long word and a word of the catalog's own phrases: a
        real word two edits from a cue word ("completed" / "computed") or from a short
        catalog word ("finance" / "france") is not a typo of it."""
        for match in difflib.get_close_matches(token, self._long, n=4, cutoff=0.75):
            allowed = 2 if len(token) >= 8 and match in self.governed else 1
            distance = edit_distance(token, match)
            if match[0] == token[0] and distance <= allowed and not (
                    distance == 2 and (_other_ending(token, match) or _same_ending(token, match))):
                return match
        return None

    def _dropped_letter(self, token: str) -> str | None:
        """A short word typed without one of its vowels ("usrs", "frm", "chrn", "wht"): the
        one vocabulary word it is with the vowel back. Only tokens that are no word of their
        own in plain English: without any vowel or unspeakable, one letter short of a catalog
        word, or three letters short of a question's small word ("hve")."""
        vowels = len(re.findall(r"[aeiouy]", token))
        if vowels > 1:
            return None
        # no English word of four letters has three consonants in a row ("usrs")
        unspeakable = vowels == 0 or re.search(r"[^aeiouy]{3}", token) is not None
        targets = self._short.get(len(token) + 1, ())
        found = {w for w in targets if w[0] == token[0] and (len(token) > 2 or w in WH_WORDS)
                 and (unspeakable or (
                     w in self.governed and w not in STOPWORDS and len(token) > 2) or (
                     len(token) == 3 and w in STOPWORDS))
                 and any(w[i] in "aeiou" and w[:i] + w[i + 1:] == token
                         for i in range(1, len(w)))}
        return found.pop() if len(found) == 1 else None

    def _swapped(self, token: str) -> str | None:
        """A short word with two neighbouring letters typed the wrong way round ("mnay",
        "hwo"): the one vocabulary word it is with them swapped back."""
        found = {w for i in range(1, len(token) - 1)
                 if (w := token[:i] + token[i + 1] + token[i] + token[i + 2:]) in self.vocab
                 or w in STOPWORDS}
        return found.pop() if len(found) == 1 else None

    def correct(self, text: str) -> str:
        out = []
        for token in text.split(" "):
            known = token in self.vocab or token in STOPWORDS or token in self.governed or \
                not token.isalpha()
            if token in self.protected and not known:  # "whole" stays, "forecast" may be
                past = token + "ed"  # a long stem only: "base" is no "based"
                out.append(past if len(token) >= 6 and past in self.governed else token)
            elif len(token) >= 5 and not known:
                out.append(token if self._inflected(token) else self._closest(token) or token)
            elif len(token) in (2, 3, 4) and not known:
                out.append(self._dropped_letter(token) or self._swapped(token) or token)
            else:
                out.append(token)
        return " ".join(self._shortened(out))

    def _shortened(self, tokens: list[str]) -> list[str]:
        """A word cut short before the rest of a two-word governed phrase ("co size", "acq
        channel"): the one phrase word it begins."""
        out = list(tokens)
        for i, token in enumerate(tokens[:-1]):
            if not (2 <= len(token) <= 4 and token.isalpha()) or token in self.vocab:
                continue
            found = {w for w in self._pairs.get(tokens[i + 1], ())
                     if w.startswith(token) and len(w) > len(token)}
            out[i] = found.pop() if len(found) == 1 else token
        return out


def _other_ending(token: str, match: str) -> bool:
    """ "produces" / "product": the same stem with another ending is another word, not a
    typo (a typo two edits away changes letters inside the word too)."""
    stem = len(os.path.commonprefix([token, match]))
    return stem >= min(len(token), len(match)) - 2 and token.endswith(("s", "es", "ed", "ing"))


ENDINGS = ("ing", "ed", "tion", "sion", "ment", "ness", "ly", "ers", "er")


def _same_ending(token: str, match: str) -> bool:
    """ "deciding" / "declining": two words built with one ending and two edits apart in
    their stems are two words, not a typo (a typo of a long word is one slip in it)."""
    return any(token.endswith(e) and match.endswith(e) for e in ENDINGS)


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: a swap of two letters ("chrun") costs one edit."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def same_event(said: str, named: str) -> bool:
    """A word of the question and a word of a date column's name for one event, whatever
    their endings ("closed" and "close", "expired" and "expiration", "completion" and
    "completed", "closing" and "close"); "opened" is no "reopen", "compare" no "completed"."""
    stem = named.removesuffix("e") if len(named) > 4 else named
    common = len(os.path.commonprefix([said, stem]))
    shorter = min(len(said), len(stem))
    return common >= 4 and (common == shorter or common >= max(5, shorter - 3))
