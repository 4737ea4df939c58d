"""Time phrases resolve against as_of = 2026-06-30 exactly as SPEC §4 says."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.planner.text import normalise
from assistant.planner.timephrases import find_time, snapshot_phrase

AS_OF = date(2026, 6, 30)


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("signed up in Q1", "2026-01-01", "2026-03-31"),
        ("in Q3", "2025-07-01", "2025-09-30"),  # latest Q3 that has started
        ("in Q2 2025", "2025-04-01", "2025-06-30"),
        ("in March", "2026-03-01", "2026-03-31"),
        ("in December", "2025-12-01", "2025-12-31"),
        ("January 2026", "2026-01-01", "2026-01-31"),
        ("last month", "2026-05-01", "2026-05-31"),
        ("last quarter", "2026-01-01", "2026-03-31"),
        ("this quarter", "2026-04-01", "2026-06-30"),
        ("this year", "2026-01-01", "2026-06-30"),
        ("in 2025", "2025-01-01", "2025-12-31"),
        ("for calendar 2025", "2025-01-01", "2025-12-31"),
        ("in the 2025 calendar year", "2025-01-01", "2025-12-31"),
        ("between March and May", "2026-03-01", "2026-05-31"),
        ("the last 90 days", "2026-04-02", "2026-06-30"),  # dates > as_of-90 and <= as_of
        ("in the last 7 days", "2026-06-24", "2026-06-30"),
        ("since April", "2026-04-01", "2026-06-30"),
        ("over the last 2 months", "2026-05-01", "2026-06-30"),  # dates > as_of - 2 months
        ("in the past quarter", "2026-01-01", "2026-03-31"),
        ("last week", "2026-06-22", "2026-06-28"),  # weeks start on Monday
        ("this week", "2026-06-29", "2026-06-30"),
        ("2026 ytd", "2026-01-01", "2026-06-30"),
        ("ytd 2025", "2025-01-01", "2025-06-30"),  # the same stretch of an earlier year
        ("oct-dec 2025", "2025-10-01", "2025-12-31"),  # a dash between months is a range
    ],
)
def test_time_phrase_resolves_against_as_of(phrase: str, start: str, end: str) -> None:
    found = find_time(normalise(phrase), AS_OF)
    assert found is not None
    assert (found.start.isoformat(), found.end.isoformat()) == (start, end)


def test_may_as_a_verb_is_not_a_month() -> None:
    assert find_time(normalise("users who may churn soon"), AS_OF) is None


def test_end_of_month_is_a_single_snapshot() -> None:
    found = snapshot_phrase(normalise("champions at the end of March"), AS_OF)
    assert found is not None and found.end == date(2026, 3, 31)


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("signed up on March 3rd", "2026-03-03", "2026-03-03"),
        ("on November 28, 2025", "2025-11-28", "2025-11-28"),
        ("on the 3rd of March", "2026-03-03", "2026-03-03"),
        ("on 28 November 2025", "2025-11-28", "2025-11-28"),
        ("on July 4", "2025-07-04", "2025-07-04"),  # the latest July 4 by as_of
        ("from Jan 5 to Jan 11, 2026", "2026-01-05", "2026-01-11"),
        ("between Feb 1 and Feb 14 2026", "2026-02-01", "2026-02-14"),
        ("jan 5 to 11", "2026-01-05", "2026-01-11"),
        ("from Dec 20 to Jan 5 2026", "2025-12-20", "2026-01-05"),
        ("the week starting Monday May 4th", "2026-05-04", "2026-05-10"),
        ("since the 3rd of March", "2026-03-03", "2026-06-30"),
    ],
)
def test_calendar_days_and_day_ranges(phrase: str, start: str, end: str) -> None:
    found = find_time(normalise(phrase), AS_OF)
    assert found is not None
    assert (found.start.isoformat(), found.end.isoformat()) == (start, end)


@pytest.mark.parametrize("phrase", ["feb 30", "top 3 of march"])
def test_a_number_that_is_no_calendar_day_is_not_read_as_one(phrase: str) -> None:
    found = find_time(normalise(phrase), AS_OF)
    assert found is None or found.start.day == 1


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("orders q4 last year", "2025-10-01", "2025-12-31"),
        ("q2 this year", "2026-04-01", "2026-06-30"),
        ("march of last year", "2025-03-01", "2025-03-31"),
        ("the first half of last year", "2025-01-01", "2025-06-30"),
    ],
)
def test_a_period_of_last_or_this_year(phrase: str, start: str, end: str) -> None:
    found = find_time(normalise(phrase), AS_OF)
    assert found is not None
    assert (found.start.isoformat(), found.end.isoformat()) == (start, end)


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("signed up after 2026-05-15", "2026-05-16", "2026-06-30"),
        ("orders before 2026", "0001-01-01", "2025-12-31"),
        ("revenue before the start of q2", "0001-01-01", "2026-03-31"),
        ("revenue up until the end of february 2026", "0001-01-01", "2026-02-28"),
        ("signups until april", "0001-01-01", "2026-04-30"),
        ("orders after the end of q1", "2026-04-01", "2026-06-30"),
        ("active since the start of 2025", "2025-01-01", "2026-06-30"),
        ("revenue so far in 2026", "2026-01-01", "2026-06-30"),
        ("revenue for 2026 to date", "2026-01-01", "2026-06-30"),
        ("signups on 2026-03-03", "2026-03-03", "2026-03-03"),
    ],
)
def test_words_around_a_period_make_it_a_bound(phrase: str, start: str, end: str) -> None:
    """ "before"/"after"/"until"/"since the start of"/"so far" keep that side of the period;
    0001-01-01 is no lower bound at all."""
    found = find_time(normalise(phrase), AS_OF)
    assert found is not None
    assert (found.start.isoformat(), found.end.isoformat()) == (start, end)


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("jan\u2013jun this year", "2026-01-01", "2026-06-30"),  # the year of the right side
        ("q1 through q2", "2026-01-01", "2026-06-30"),
        ("from january until march 2026", "2026-01-01", "2026-03-31"),
        ("2026-01-01 to 2026-03-31", "2026-01-01", "2026-03-31"),
        ("nov 2025 - feb 2026", "2025-11-01", "2026-02-28"),
        ("from the start of 2025 until the end of september 2025", "2025-01-01", "2025-09-30"),
        ("from the beginning of q4 to the end of q1", "2025-10-01", "2026-03-31"),
        ("from january to the end of march", "2026-01-01", "2026-03-31"),
    ],
)
def test_two_periods_joined_by_a_range_word_are_one_range(phrase: str, start: str,
                                                          end: str) -> None:
    found = find_time(normalise(phrase), AS_OF)
    assert found is not None
    assert (found.start.isoformat(), found.end.isoformat()) == (start, end)
    assert found.phrase == normalise(phrase)  # every word of it is consumed


def test_so_far_only_bounds_a_period_still_running() -> None:
    """March is over on 2026-06-30: "march so far" is not a period it can mean."""
    found = find_time(normalise("revenue in march so far"), AS_OF)
    assert found is not None and "so far" not in found.phrase


def test_between_two_days_is_the_range_from_one_to_the_other() -> None:
    found = find_time(normalise("active users between 2026-04-10 and 2026-04-20"), AS_OF)
    assert found is not None
    assert (found.start, found.end) == (date(2026, 4, 10), date(2026, 4, 20))


@pytest.mark.parametrize("phrase", ["revenue by marketing channel", "users from augusta"])
def test_a_word_that_starts_like_a_month_is_no_month(phrase: str) -> None:
    assert find_time(normalise(phrase), AS_OF) is None


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("the last 3 full months", "2026-03-01", "2026-05-31"),
        ("the past two complete weeks", "2026-06-15", "2026-06-28"),
        ("the last full month", "2026-05-01", "2026-05-31"),
        ("calendar year 2025", "2025-01-01", "2025-12-31"),
        ("all of 2025", "2025-01-01", "2025-12-31"),
        ("since last november", "2025-11-01", "2026-06-30"),
        ("last june", "2025-06-01", "2025-06-30"),
    ],
)
def test_whole_calendar_units_before_the_running_one(phrase: str, start: str, end: str) -> None:
    found = find_time(normalise(phrase), AS_OF)
    assert found is not None
    assert (found.start.isoformat(), found.end.isoformat()) == (start, end)
    assert found.phrase == normalise(phrase)
