"""Time phrases resolved against as_of (SPEC §4).

A quarter or month named without a year is the latest one that has started by as_of;
"last month/quarter" is the previous calendar one; weeks start on Monday.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
YEAR_RE = r"(?:20\d\d|'\d\d)"
ORDINAL_Q = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3,
             "4th": 4, "last": 4}
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "thirty": 30, "sixty": 60,
                "ninety": 90}


OPEN = date.min  # no lower bound (assistant.plan.OPEN_START)


@dataclass(frozen=True)
class Found:
    start: date
    end: date
    phrase: str
    span: tuple[int, int]
    ends: tuple[Found, Found] | None = None  # the two periods a range was joined from


def _year(text: str | None, default: int) -> int:
    if not text:
        return default
    return 2000 + int(text[1:]) if text.startswith("'") else int(text)


def month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def quarter_range(year: int, quarter: int) -> tuple[date, date]:
    start = date(year, 3 * quarter - 2, 1)
    return start, month_range(year, 3 * quarter)[1]


def latest_month(month: int, as_of: date) -> int:
    """The year of the latest `month` that has started by as_of."""
    return as_of.year if month <= as_of.month else as_of.year - 1


HALVES = {"h1": 1, "first": 1, "1st": 1, "front": 1, "h2": 2, "second": 2, "2nd": 2, "back": 2,
          "latter": 2}


def half_range(year: int, half: int) -> tuple[date, date]:
    """H1 = January..June, H2 = July..December."""
    return (date(year, 1, 1), date(year, 6, 30)) if half == 1 else (date(year, 7, 1),
                                                                     date(year, 12, 31))


def latest_half(half: int, as_of: date) -> int:
    return as_of.year if half == 1 or as_of.month >= 7 else as_of.year - 1


def latest_quarter(quarter: int, as_of: date) -> int:
    return as_of.year if 3 * quarter - 2 <= as_of.month else as_of.year - 1


def _shift_month(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _n(text: str) -> int:
    return NUMBER_WORDS.get(text) or int(text)


N_RE = r"(\d+|" + "|".join(NUMBER_WORDS) + ")"
MONTH_YEAR = rf"({MONTH_RE})\b(?:\s+(?:of\s+)?({YEAR_RE}))?"


Resolver = Callable[[re.Match[str]], tuple[date, date]]


# A number followed by what it counts is no day of the month: "for june? 1 point per week".
COUNTED = (r"(?!\s+(?:points?|numbers?|rows?|values?|figures?|logins?|projects?|orders?|users?|"
           r"customers?|people|accounts?|days?|weeks?|months?|years?|times?|sessions?)\b)")


def _day(tag: str) -> str:
    """A calendar day: "march 3rd", "nov 28 2025", "the 3rd of march", "28 november"."""
    return (rf"(?:(?P<{tag}m>{MONTH_RE})\s+(?P<{tag}d>\d{{1,2}})(?:st|nd|rd|th)?\b{COUNTED}"
            rf"|(?:the\s+)?(?P<{tag}e>\d{{1,2}})(?:(?:st|nd|rd|th)\s+(?:of\s+)?|\s+)"
            rf"(?P<{tag}n>{MONTH_RE})\b)(?:\s+(?P<{tag}y>{YEAR_RE})\b)?")


DAY_END = (rf"(?:{_day('b')}|(?P<bd0>\d{{1,2}})(?:st|nd|rd|th)?(?:\s+(?P<by0>{YEAR_RE}))?\b)")
RANGE_WORD = r"(?:to|through|thru|until|till|and|-)"


def _day_of(m: re.Match[str], tag: str, year: str | None, as_of: date,
            month: int | None = None) -> date:
    """The day a `_day(tag)` group names; without a year, the latest one by as_of."""
    name = m.group(f"{tag}m") or m.group(f"{tag}n")
    month = MONTHS[name] if name else month
    day = int(m.group(f"{tag}d") or m.group(f"{tag}e"))
    assert month is not None
    if year is None:
        return date(as_of.year if (month, day) <= (as_of.month, as_of.day) else as_of.year - 1,
                    month, day)
    return date(_year(year, as_of.year), month, day)


def _day_range(m: re.Match[str], as_of: date) -> tuple[date, date]:
    """ "mar 2 to mar 9 2026", "apr 3 and 17": a year written once belongs to both days."""
    year = m.group("ay") or m.group("by") or m.group("by0")
    if m.group("bd0"):
        start = _day_of(m, "a", year, as_of)
        end = start.replace(day=int(m.group("bd0")))
    else:
        start = _day_of(m, "a", year, as_of)
        end = _day_of(m, "b", m.group("by") or year, as_of)
    if end < start and not m.group("ay"):
        start = start.replace(year=start.year - 1)  # "dec 20 to jan 5 2026"
    return start, end


def _last_n(n: int, unit: str, as_of: date) -> tuple[date, date]:
    """The last N days/weeks/months/years up to as_of, as_of included."""
    unit = unit.rstrip("s")
    if unit == "day":
        return as_of - timedelta(days=n - 1), as_of
    if unit == "week":
        return as_of - timedelta(days=7 * n - 1), as_of
    if unit == "month":  # calendar months back: the past 2 months of 2026-05-31 = Apr 1..
        back = _shift_month(as_of.replace(day=1), -n)
        day = min(as_of.day, calendar.monthrange(back.year, back.month)[1])
        return back.replace(day=day) + timedelta(days=1), as_of
    return date(as_of.year - n, as_of.month, as_of.day) + timedelta(days=1), as_of


def _day_patterns(as_of: date) -> list[tuple[str, Resolver]]:
    """Calendar days and ranges of days, before anything that reads a month or a year."""

    def day(m: re.Match[str]) -> date:
        return _day_of(m, "a", m.group("ay"), as_of)

    return [
        (rf"\b(?:from\s+|between\s+)?{_day('a')}\s+{RANGE_WORD}\s+{DAY_END}",
         lambda m: _day_range(m, as_of)),
        (rf"\bweek\s+(?:starting|beginning|commencing|of)\s+(?:on\s+)?(?:(?:monday|mon)\s+)?"
         rf"{_day('a')}",
         lambda m: (day(m), day(m) + timedelta(days=6))),
        (rf"\bsince\s+{_day('a')}", lambda m: (day(m), as_of)),
        (rf"\b(?:on\s+)?{_day('a')}", lambda m: (day(m), day(m))),
        (r"\b(?:on\s+)?(20\d\d)-(\d\d)-(\d\d)\b",
         lambda m: (date(int(m[1]), int(m[2]), int(m[3])),) * 2),
    ]


def _patterns(as_of: date) -> list[tuple[str, Resolver]]:
    """(regex, resolver) pairs, most specific first."""
    return [*_day_patterns(as_of), *_named_periods(as_of), *_whole_units(as_of),
            *_unit_so_far(as_of), *_relative_periods(as_of)]


def _unit_so_far(as_of: date) -> list[tuple[str, Resolver]]:
    """From the beginning of the current year (quarter, month) up to as_of: the bound's own
    words before it ("since", "from the beginning of") are read by the bound."""
    def start(unit: str) -> date:
        if unit == "year":
            return date(as_of.year, 1, 1)
        return quarter_range(as_of.year, (as_of.month - 1) // 3 + 1)[0] if unit == "quarter" \
            else as_of.replace(day=1)
    return [(r"(?:(?<=\bstart\sof\s)|(?<=\bbeginning\sof\s))the\s+(year|quarter|month)\b",
             lambda m: (start(m[1]), as_of))]


def _whole_units(as_of: date) -> list[tuple[str, Resolver]]:
    """ "The previous 4 complete months", "the prior two full weeks": whole calendar months
    (weeks) before the current one, which is still running."""
    return [
        (rf"\b(?:in\s+|over\s+|during\s+|for\s+)?(?:the\s+)?(?:last|past|"
         rf"previous|prior)\s+(?:{N_RE}\s+)?(?:full|complete|completed|whole|calendar)\s+"
         rf"(months?|weeks?)\b",
         lambda m: _full_units(_n(m[1]) if m[1] else 1, m[2], as_of)),
    ]


def _month_of(name: str, year: str | None, as_of: date) -> tuple[date, date]:
    """A month named in words; without a year, the latest one that has started by as_of."""
    month = MONTHS[name]
    return month_range(_year(year, latest_month(month, as_of)), month)


def _relative_year(word: str, as_of: date) -> str:
    """ "last year" / "this year" as the year it names."""
    return str(as_of.year - 1 if word in ("last", "previous", "prior") else as_of.year)


REL_YEAR = r"(?:of\s+)?(last|previous|prior|this)\s+year\b"


def _full_units(n: int, unit: str, as_of: date) -> tuple[date, date]:
    """The `n` whole calendar months or Monday weeks before the one `as_of` is in."""
    if unit.startswith("month"):
        first = as_of.replace(day=1)
        return _shift_month(first, -n), first - timedelta(days=1)
    monday = as_of - timedelta(days=as_of.weekday())
    return monday - timedelta(days=7 * n), monday - timedelta(days=1)


def _last_named_month(name: str, as_of: date) -> tuple[date, date]:
    """ "Last november": the latest such month before the current one."""
    month = MONTHS[name]
    year = as_of.year if month < as_of.month else as_of.year - 1
    return month_range(year, month)


def _named_periods(as_of: date) -> list[tuple[str, Resolver]]:
    """Months, quarters, halves and their ranges, named in words or ISO."""

    def month_of(m: str, y: str | None) -> tuple[date, date]:
        return _month_of(m, y, as_of)

    def year(word: str) -> int:
        return int(_relative_year(word, as_of))

    return [
        (rf"\bq([1-4])\s+{REL_YEAR}", lambda m: quarter_range(year(m[2]), int(m[1]))),
        (rf"\b(h1|h2|first\s+half|second\s+half|back\s+half|front\s+half)\s+{REL_YEAR}",
         lambda m: half_range(year(m[2]), HALVES[m[1].split()[0]])),
        (rf"\b({MONTH_RE})\s+{REL_YEAR}", lambda m: month_of(m[1], _relative_year(m[2], as_of))),
        (r"\b(\d{4}-\d\d-\d\d)\s+(?:to|through|until|and|-)\s+(\d{4}-\d\d-\d\d)\b",
         lambda m: (date.fromisoformat(m[1]), date.fromisoformat(m[2]))),
        (r"\b(20\d\d)-(0[1-9]|1[0-2])\b(?!-\d)",  # "a 2024-11 cohort"
         lambda m: month_range(int(m[1]), int(m[2]))),
        (rf"\bbetween\s+{MONTH_YEAR}\s+and\s+{MONTH_YEAR}",
         lambda m: (month_of(m[1], m[2] or m[4])[0], month_of(m[3], m[4])[1])),
        (rf"\bfrom\s+{MONTH_YEAR}\s+(?:to|through|until|till)\s+{MONTH_YEAR}",
         lambda m: (month_of(m[1], m[2] or m[4])[0], month_of(m[3], m[4])[1])),
        (rf"\b{MONTH_YEAR}\s+(?:to|through|thru|-)\s+{MONTH_YEAR}",
         lambda m: (month_of(m[1], m[2] or m[4])[0], month_of(m[3], m[4])[1])),
        (rf"\bsince\s+(?:the\s+start\s+of\s+|the\s+beginning\s+of\s+)?{MONTH_YEAR}",
         lambda m: (month_of(m[1], m[2])[0], as_of)),
        (rf"\bsince\s+(?:the\s+start\s+of\s+)?last\s+({MONTH_RE})\b",
         lambda m: (_last_named_month(m[1], as_of)[0], as_of)),
        (rf"\b(?:in\s+|during\s+)?last\s+({MONTH_RE})\b(?!\s*{YEAR_RE})",
         lambda m: _last_named_month(m[1], as_of)),
        (r"\b(?:(?:the\s+)?(?:calendar|full|whole|entire)\s+year\s+(?:of\s+)?|"
         r"(?:all|the\s+whole|the\s+entirety)\s+of\s+)(20\d\d)\b",
         lambda m: (date(int(m[1]), 1, 1), date(int(m[1]), 12, 31))),
        (r"\bsince\s+(\d{4}-\d\d-\d\d)", lambda m: (date.fromisoformat(m[1]), as_of)),
        (rf"\bsince\s+q([1-4])(?:\s+({YEAR_RE}))?",
         lambda m: (quarter_range(_year(m[2], latest_quarter(int(m[1]), as_of)),
                                  int(m[1]))[0], as_of)),
        (rf"\b(h1|h2|first\s+half|second\s+half|1st\s+half|2nd\s+half|back\s+half|front\s+half|"
         rf"latter\s+half)(?:\s+(?:of\s+)?"
         rf"({YEAR_RE}))?\b",
         lambda m: half_range(_year(m[2], latest_half(HALVES[m[1].split()[0]], as_of)),
                              HALVES[m[1].split()[0]])),
        (rf"\bq([1-4])\s*(?:of\s+)?({YEAR_RE})?",
         lambda m: quarter_range(_year(m[2], latest_quarter(int(m[1]), as_of)), int(m[1]))),
        (rf"\b({YEAR_RE})\s*q([1-4])\b",
         lambda m: quarter_range(_year(m[1], as_of.year), int(m[2]))),
        (rf"\b({YEAR_RE})\s+(?:ytd|year\s+to\s+date|to\s+date|so\s+far)\b|"
         rf"\b(?:ytd|year\s+to\s+date)\s+(?:of\s+|in\s+)?({YEAR_RE})\b",
         lambda m: _year_to_date(_year(m[1] or m[2], as_of.year), as_of)),
        (rf"\b(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter(?:\s+(?:of\s+)?({YEAR_RE}))?",
         lambda m: quarter_range(
             _year(m[2], latest_quarter(ORDINAL_Q[m[1]], as_of)), ORDINAL_Q[m[1]])),
    ]


def _year_to_date(year: int, as_of: date) -> tuple[date, date]:
    """ "2026 YTD": that year up to as_of's day of the year; for an earlier year ("2025 to
    date" beside "2026 to date") the same stretch of that year."""
    end = min(_day_in_year(as_of, year), as_of)
    return date(year, 1, 1), end


def _day_in_year(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


# "2025", "calendar 2025", "the 2025 calendar year": the year, January to December
CALENDAR_YEAR = r"\b(?:calendar\s+(?:year\s+)?)?(20\d\d)\b(?:\s+calendar(?:\s+year)?\b)?"


def _relative_periods(as_of: date) -> list[tuple[str, Resolver]]:
    """This/last week, month, quarter and year, the last N units, and bare names last."""
    month_start = as_of.replace(day=1)
    quarter_now = (as_of.month - 1) // 3 + 1

    def month_of(m: str, y: str | None) -> tuple[date, date]:
        return _month_of(m, y, as_of)

    def last_n(n: int, unit: str) -> tuple[date, date]:
        return _last_n(n, unit, as_of)

    return [
        (r"\b(?:last|previous|prior|past)\s+quarter\b",
         lambda m: quarter_range(*((as_of.year, quarter_now - 1) if quarter_now > 1
                                   else (as_of.year - 1, 4)))),
        (r"\b(?:this|current)\s+quarter\b|\bquarter\s+to\s+date\b|\bqtd\b",
         lambda m: (quarter_range(as_of.year, quarter_now)[0], as_of)),
        (r"\b(?:last|previous|prior)\s+month\b",
         lambda m: month_range(_shift_month(month_start, -1).year,
                               _shift_month(month_start, -1).month)),
        (r"\b(?:this|current)\s+month\b|\bmonth\s+to\s+date\b|\bmtd\b",
         lambda m: (month_start, as_of)),
        (r"\b(?:this|current)\s+year\b|\byear\s+to\s+date\b|\bytd\b|\bso\s+far\s+this\s+year\b",
         lambda m: (date(as_of.year, 1, 1), as_of)),
        (r"\b(?:last|previous|prior)\s+year\b",
         lambda m: (date(as_of.year - 1, 1, 1), date(as_of.year - 1, 12, 31))),
        (r"\b(?:last|previous|prior)\s+week\b",
         lambda m: (as_of - timedelta(days=as_of.weekday() + 7),
                    as_of - timedelta(days=as_of.weekday() + 1))),
        (r"\b(?:this|current)\s+week\b",
         lambda m: (as_of - timedelta(days=as_of.weekday()), as_of)),
        (rf"\b(?:in\s+|over\s+|during\s+|within\s+)?(?:the\s+)?(?:last|past|previous|trailing)"
         rf"\s+{N_RE}\s+(days?|weeks?|months?|years?)\b",
         lambda m: last_n(_n(m[1]), m[2])),
        (r"\b(?:in\s+|over\s+)?(?:the\s+|this\s+)?(?:last|past)\s+(day|week|month|year)\b",
         lambda m: last_n(1, m[1])),
        (r"\byesterday\b", lambda m: (as_of - timedelta(days=1), as_of - timedelta(days=1))),
        (r"\btoday\b", lambda m: (as_of, as_of)),
        (r"\b(?:in|during|for|of|from|throughout)\s+(20\d\d)\b",
         lambda m: (date(int(m[1]), 1, 1), date(int(m[1]), 12, 31))),
        (rf"\b(?:in|during|for|of|from|since|by|end\s+of|start\s+of)\s+{MONTH_YEAR}",
         lambda m: month_of(m[1], m[2])),
        (rf"\b({MONTH_RE})\s+({YEAR_RE})\b", lambda m: month_of(m[1], m[2])),
        (r"\b(january|february|march|april|june|july|august|september|october|november|"
         r"december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b(?!\s*\d)",
         lambda m: month_of(m[1], None)),
        # "may" is a verb too: a month only beside another period it is compared or ranged with
        (rf"\b(may)\b(?=\s+(?:vs|versus|or|and|to|over|through|thru|-|compared\s+(?:to|with))\s+"
         rf"(?:the\s+)?(?:(?:{MONTH_RE}|q[1-4]|h[12]|20\d\d|last|this)\b|\u2022))",
         lambda m: month_of(m[1], None)),
        (r"(?:(?<=\bvs\s)|(?<=\bor\s)|(?<=\bto\s)|(?<=\bthru\s)|(?<=\bversus\s)|(?<=\bthrough\s)|"
         r"(?<=\s-\s)|(?<=\bwith\s)|(?<=\band\s))(may)\b(?!\s+(?:i|we|you|be|have|not|need|want|"
         r"also|help|ask)\b)",
         lambda m: month_of(m[1], None)),
        # a month opens a noun phrase ("may signups"); a modal inverts its subject ("may I")
        (r"(?:^|(?<=\bthe\s)|(?<=\bour\s)|(?<=\bin\s)|(?<=\bduring\s))(may)\b(?!\s+(?:i|we|you|"
         r"they|he|she|it|one|this|that|these|those|someone|somebody|anyone|be|have|not|also)\b)",
         lambda m: month_of(m[1], None)),
        (CALENDAR_YEAR, lambda m: (date(int(m[1]), 1, 1), date(int(m[1]), 12, 31))),
    ]


def _atom(text: str, as_of: date, anchor: str = "") -> Found | None:
    """The most specific single period in text. `anchor` "^" keeps only one that starts the
    text, "$" only one that ends it."""
    for pattern, resolve in _patterns(as_of):
        body = f"^(?:{pattern})" if anchor == "^" else f"(?:{pattern})$" if anchor else pattern
        match = re.search(body, text)
        if match:
            try:
                start, end = resolve(match)
            except ValueError:  # "feb 30": not a calendar day, so not this phrase
                continue
            if "since" in match[0] and end < start:
                continue
            return Found(start, end, match[0].strip(), match.span())
    return None


# Two periods joined into one range: "jan - jun", "q1 through q3", "from march to may".
# Either end may be said as a bound: "from the beginning of 2024 to the close of October".
RANGE_JOIN = re.compile(r"^\s*(?:-|to|through|thru|until|till|up\s+to|up\s+until)\s+"
                        r"(?:the\s+(?:end|close|last\s+day)\s+(?:of\s+)?)?")
# A bound before a period: what it keeps of the timeline around that period.
# (The period's own words may hold the "of": "prior to the beginning" + "of 2024".)
BEFORE = re.compile(r"\b(?:before|prior\s+to|earlier\s+than|pre)\s+(?:the\s+(?:start|beginning)"
                    r"(?:\s+of)?\s+)?$")
AFTER = re.compile(r"\b(?:after|later\s+than|post)\s+(?:the\s+end(?:\s+of)?\s+)?$")
UNTIL = re.compile(r"\b(?:up\s+until|up\s+till|up\s+to|until|till|untill)\s+(?:the\s+)?"
                   r"(?:end(?:\s+of)?\s+)?$")
SINCE = re.compile(r"\b(?:since|starting(?:\s+(?:from|in|with))?)\s+(?:the\s+(?:start|beginning)"
                   r"(?:\s+of)?\s+)?$")
# "this quarter so far", "2025 to date": the period up to as_of.
TO_DATE_BEFORE = re.compile(r"\b(?:so|thus)\s+far\s+(?:in\s+|this\s+)?$")
TO_DATE_AFTER = re.compile(r"^\s*(?:so\s+far|thus\s+far|to\s+date|until\s+now|till\s+now)\b")
# A year written in a period ("2025", "'25", "this year"): the other period of a range keeps it.
HAS_YEAR = re.compile(rf"{YEAR_RE}|\byear\b")


def find_time(text: str, as_of: date, *, bounded: bool = True) -> Found | None:
    """The first (most specific) time phrase in normalised text, resolved to dates, with
    what joins it to a second period ("jan - jun") and, when `bounded`, what bounds it
    ("before 2025", "till end of april", "so far in Q2")."""
    found = _atom(text, as_of)
    if found is None:
        return None
    found = _range(text, found, as_of)
    return _bounded(text, found, as_of) if bounded else found


def _range(text: str, found: Found, as_of: date) -> Found:
    """`found` joined with the period on its other side of a range word, if there is one."""
    a, b = found.span
    join = RANGE_JOIN.search(text[b:])
    if join is None and re.search(r"\bbetween\s+$", text[:a]):
        join = re.match(r"\s*and\s+", text[b:])  # "between 2025-11-03 and 2025-11-09"
    if join:
        right = _atom(text[b + join.end():], as_of, "^")
        if right is not None:
            at = b + join.end()
            right = replace(right, span=(at + right.span[0], at + right.span[1]))
            end = right.span[1]
            return _joined(text, found, right, (a, end), as_of) or found
    head = re.search(r"\s*(?:-|to|through|thru|until|till|up\s+to|up\s+until)\s+"
                     r"(?:the\s+(?:end|close|last\s+day)\s+(?:of\s+)?)?$", text[:a])
    if head and head.start() > 0:
        left = _atom(text[:head.start()].rstrip(), as_of, "$")
        if left is not None:
            return _joined(text, left, found, (left.span[0], b), as_of) or found
    return found


def _joined(text: str, left: Found, right: Found, span: tuple[int, int],
            as_of: date) -> Found | None:
    """One range: `left`'s start to `right`'s end; a year written only on the
    right belongs to the left too ("feb to apr 2025")."""
    if not HAS_YEAR.search(left.phrase) and HAS_YEAR.search(right.phrase):
        again = _atom(f"{left.phrase} {right.end.year}", as_of)
        if again is not None and again.start <= right.end:
            left = again
    if left.start > right.end:
        return None
    lead = re.search(r"\b(?:from|between)\s+(?:the\s+(?:start|beginning|first\s+day)\s+"
                     r"(?:of\s+)?)?$", text[:span[0]])
    if lead:
        span = (lead.start(), span[1])
    return Found(left.start, right.end, text[span[0]:span[1]].strip(), span, (left, right))


def ends_of(found: Found, as_of: date) -> tuple[Found, Found] | None:
    """The two periods a range was said with ("february through march": February and March), or None
    for a single period."""
    if found.ends is not None:
        return found.ends
    body = re.sub(r"^(?:from|between)\s+", "", found.phrase)
    sides = re.split(r"\s+(?:to|through|thru|until|till|and|-)\s+", body)
    if len(sides) != 2:
        return None
    right = _atom(sides[1], as_of, "^") or _atom(f"to {sides[1]}", as_of, "$")  # "... to may"
    left = _atom(sides[0], as_of, "^")
    if right is None or left is None:
        return None
    if not HAS_YEAR.search(sides[0]) and HAS_YEAR.search(sides[1]):
        left = _atom(f"{sides[0]} {right.end.year}", as_of, "^") or left
    return (replace(left, span=found.span), replace(right, span=found.span))


def _bounded(text: str, found: Found, as_of: date) -> Found:
    """The period as the bound the words around it make of it."""
    a, b = found.span
    before = text[:a]
    for pattern, bounds in (
        (BEFORE, lambda f: (OPEN, f.start - timedelta(days=1))),
        (AFTER, lambda f: (f.end + timedelta(days=1), as_of)),
        (UNTIL, lambda f: (OPEN, f.end)),
        (SINCE, lambda f: (f.start, as_of)),
        (TO_DATE_BEFORE, lambda f: (f.start, as_of) if f.end >= as_of else (f.end, f.start)),
    ):
        match = pattern.search(before)
        if match:
            start, end = bounds(found)
            if start > end:  # "after May" on the last day of May, "may so far" in June
                return found
            return Found(start, end, text[match.start():b].strip(), (match.start(), b))
    after = TO_DATE_AFTER.search(text[b:])
    if after and found.start <= as_of <= found.end:  # only a period still running
        end = b + after.end()
        return Found(found.start, min(found.end, as_of), text[a:end].strip(), (a, end))
    return found


def snapshot_phrase(text: str, as_of: date) -> Found | None:
    """"end of July", "end of 2024", "as of November 2024": a single month end."""
    match = re.search(rf"\b(?:(?:as\s+(?:it|they)\s+(?:stood|were|was)\s+)?at\s+the\s+)?"
                      rf"(?:end\s+of|close\s+of|as\s+of)\s+(?:the\s+)?(?:{MONTH_YEAR}|"
                      rf"(20\d\d)|q([1-4])(?:\s+({YEAR_RE}))?|(last|previous)\s+(month|quarter|year))",
                      text)
    if not match or re.search(r"\b(?:until|till|up\s+to|before|after|since|through|thru|to)\s+"
                              r"(?:the\s+)?$",
                              text[:match.start()]):
        return None  # "till end of april": a period that ends there
    if match[4]:
        quarter = int(match[4])
        end = quarter_range(_year(match[5], latest_quarter(quarter, as_of)), quarter)[1]
    elif match[6]:
        found = find_time(f"last {match[7]}", as_of)
        assert found is not None
        end = found.end
    elif match[3]:
        end = date(int(match[3]), 12, 31)
    else:
        month = MONTHS[match[1]]
        end = month_range(_year(match[2], latest_month(month, as_of)), month)[1]
    end = min(end, as_of)
    return Found(end.replace(day=1), end, match[0].strip(), match.span())


# The period just before the one named, said after a comparison word: "June's orders vs the
# month before", "Q1 against the previous quarter". Only the unit's words are the period.
# Said with a count ("the 14 days prior", "the preceding 4 weeks"), it is the stretch of
# that length just before.
PERIOD_BEFORE = re.compile(
    r"\b(?:vs|versus|against|compar(?:e|es|ed|ing)\s+(?:to|with)|than|to|and|or|on|over|"
    r"next\s+to|alongside|beside)\s+"
    r"(?:the\s+|that\s+)?"
    r"(?P<said>(?:(?P<n>\d+)\s+(?P<c>days?|weeks?)|(?P<a>week|month|quarter|year))\s+"
    r"(?:before|prior|earlier)(?:\s+(?:that|it|then))?|"
    r"(?:previous|prior|preceding)\s+(?:(?P<m>\d+)\s+(?P<d>days?|weeks?)|"
    r"(?P<b>week|month|quarter|year)))\b")
UNIT_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def period_before(found: Found, before: re.Match[str]) -> Found | None:
    """The period a PERIOD_BEFORE match names, just before `found`."""
    count = before["n"] or before["m"]
    if count is None:
        return preceding(found, before["a"] or before["b"], before.span("said"))
    unit = (before["c"] or before["d"]).rstrip("s")
    days = int(count) * (7 if unit == "week" else 1)
    if (found.end - found.start).days + 1 != days:
        return None  # six weeks against the 3 days before: the two would not compare
    return Found(found.start - timedelta(days=days), found.start - timedelta(days=1),
                 f"the {count} {unit}s before", before.span("said"))


def preceding(found: Found, unit: str, span: tuple[int, int]) -> Found | None:
    """The whole `unit` before `found`, when `found` is itself one whole `unit` (a calendar
    month, quarter or year, or seven days); else None: the two would not compare."""
    if unit == "week":
        if (found.end - found.start).days != 6:
            return None
        start = found.start - timedelta(days=7)
    else:
        months = UNIT_MONTHS[unit]
        start = _shift_month(found.start, -months)
        whole = found.start.day == 1 and \
            _shift_month(found.start, months) == found.end + timedelta(days=1)
        if not whole or (unit == "quarter" and found.start.month % 3 != 1) or (
                unit == "year" and found.start.month != 1):
            return None
    return Found(start, found.start - timedelta(days=1), f"the {unit} before", span)
