"""Two periods side by side ("orders in May 2026 vs May 2025") against plain SQL."""

from __future__ import annotations

import pytest

from assistant.pipeline import Assistant


@pytest.fixture()
def raw(config):
    return Assistant(config).warehouse.cursor()


def _orders(raw, start: str, end: str) -> int:
    return raw.execute(
        "SELECT COUNT(*) FROM orders WHERE status = 'completed' AND "
        f"CAST(ordered_at AS DATE) BETWEEN DATE '{start}' AND DATE '{end}'").fetchone()[0]


def test_the_same_month_of_two_years_gives_one_row_per_month(config, raw):
    answer = Assistant(config).ask("How do orders in May 2026 compare to May 2025?")
    assert answer.status == "answered"
    got = {str(row[0]): row[1] for row in answer.rows}
    assert got == {"2025-05-01": _orders(raw, "2025-05-01", "2025-05-31"),
                   "2026-05-01": _orders(raw, "2026-05-01", "2026-05-31")}


def test_two_periods_joined_by_or_are_both_answered(config, raw):
    answer = Assistant(config).ask("did we get more orders in May or April?")
    assert answer.status == "answered"
    assert sorted(row[-1] for row in answer.rows) == sorted(
        [_orders(raw, "2026-05-01", "2026-05-31"), _orders(raw, "2026-04-01", "2026-04-30")])


def test_signups_of_two_quarters_apart(config, raw):
    answer = Assistant(config).ask("how many users signed up in Q3 vs Q1?")
    expected = {
        "2025-07-01": raw.execute("SELECT COUNT(*) FROM users WHERE CAST(signup_at AS DATE) "
                                  "BETWEEN DATE '2025-07-01' AND DATE '2025-09-30'").fetchone()[0],
        "2026-01-01": raw.execute("SELECT COUNT(*) FROM users WHERE CAST(signup_at AS DATE) "
                                  "BETWEEN DATE '2026-01-01' AND DATE '2026-03-31'").fetchone()[0],
    }
    assert {str(row[0]): row[1] for row in answer.rows} == expected
    assert "2025-07-01 to 2025-09-30" in answer.message


def test_a_period_elsewhere_in_the_sentence_is_not_silently_dropped(config):
    answer = Assistant(config).ask("how many users signed up in Q1 and ordered in Q2?")
    assert answer.status in ("clarify", "answered")
    if answer.status == "answered":  # only if both periods were used
        assert "2026-04-01" in answer.message and "2026-01-01" in answer.message


@pytest.mark.parametrize("question", ["did orders go up from Q4 to Q1?",
                                      "did orders drop between march and may 2026"])
def test_a_change_from_one_period_to_another_compares_the_two_ends(question, config, raw):
    answer = Assistant(config).ask(question)
    assert answer.status == "answered"
    first, second = (("2025-10-01", "2025-12-31"), ("2026-01-01", "2026-03-31")) \
        if "Q4" in question else (("2026-03-01", "2026-03-31"), ("2026-05-01", "2026-05-31"))
    assert sorted(row[-1] for row in answer.rows) == sorted(
        [_orders(raw, *first), _orders(raw, *second)])


def test_the_same_quarter_last_year_is_compared_with_the_quarter_named(config, raw):
    answer = Assistant(config).ask("orders in Q2 this year vs the same quarter last year")
    assert answer.status == "answered"
    assert sorted(row[-1] for row in answer.rows) == sorted(
        [_orders(raw, "2026-04-01", "2026-06-30"), _orders(raw, "2025-04-01", "2025-06-30")])
    assert "a year earlier" in answer.message


def _revenue(raw, start: str, end: str) -> float:
    return float(raw.execute(
        "SELECT SUM(amount) FROM orders WHERE status = 'completed' AND CAST(ordered_at AS DATE) "
        f"BETWEEN DATE '{start}' AND DATE '{end}'").fetchone()[0])


def test_the_percent_growth_between_two_months_is_later_over_earlier_less_one(config, raw):
    answer = Assistant(config).ask("by what fraction did revenue grow in May over April?")
    april = _revenue(raw, "2026-04-01", "2026-04-30")
    may = _revenue(raw, "2026-05-01", "2026-05-31")
    assert answer.status == "answered"
    assert len(answer.rows) == 1
    row = dict(zip(answer.columns, answer.rows[0], strict=True))
    assert float(row["revenue_earlier"]) == pytest.approx(april)
    assert float(row["revenue_later"]) == pytest.approx(may)
    assert float(row["change"]) == pytest.approx(may - april)
    assert row["relative_change"] == pytest.approx(may / april - 1)
    assert f"{may / april - 1:+.1%}" in answer.message


def test_how_many_more_between_two_periods_apart_is_their_difference(config, raw):
    answer = Assistant(config).ask("how many more orders did we get in May than in January?")
    january = _orders(raw, "2026-01-01", "2026-01-31")
    may = _orders(raw, "2026-05-01", "2026-05-31")
    row = dict(zip(answer.columns, answer.rows[0], strict=True))
    assert answer.status == "answered"
    assert (row["orders_earlier"], row["orders_later"], row["change"]) == (january, may,
                                                                          may - january)


def test_a_change_over_three_periods_is_asked_back(config):
    answer = Assistant(config).ask("revenue growth in Q1 vs Q2 vs Q3")
    assert answer.status == "clarify" and "exactly two periods" in answer.message


def _signups(raw, start: str, end: str) -> int:
    return raw.execute("SELECT COUNT(*) FROM users WHERE CAST(signup_at AS DATE) "
                       f"BETWEEN DATE '{start}' AND DATE '{end}'").fetchone()[0]


def test_how_much_the_signups_grew_is_the_growth_of_the_signup_count_not_of_revenue(config, raw):
    answer = Assistant(config).ask("how much did our signups grow between Q3 and Q1, in percent?")
    earlier = _signups(raw, "2025-07-01", "2025-09-30")
    later = _signups(raw, "2026-01-01", "2026-03-31")
    row = dict(zip(answer.columns, answer.rows[0], strict=True))
    assert answer.status == "answered" and "Revenue" not in answer.message
    assert (row["users_earlier"], row["users_later"]) == (earlier, later)
    assert row["relative_change"] == pytest.approx(later / earlier - 1)


@pytest.mark.parametrize("question", ["did orders grow in May vs April? give me the % change",
                                      "the % change in orders, April to May"])
def test_a_percent_change_asked_is_the_size_of_the_change(question, config, raw):
    answer = Assistant(config).ask(question)
    april, may = _orders(raw, "2026-04-01", "2026-04-30"), _orders(raw, "2026-05-01", "2026-05-31")
    row = dict(zip(answer.columns, answer.rows[0], strict=True))
    assert answer.status == "answered" and "as context" not in answer.message
    assert row["relative_change"] == pytest.approx(may / april - 1)


@pytest.mark.parametrize(("question", "earlier", "later"), [
    ("quarter-on-quarter growth in orders, Q2 over Q1?",
     ("2026-01-01", "2026-03-31"), ("2026-04-01", "2026-06-30")),
    ("month over month growth in orders, May over April, as a percentage",
     ("2026-04-01", "2026-04-30"), ("2026-05-01", "2026-05-31")),
    ("year-over-year growth in orders for Q1 2026 vs Q1 2025",
     ("2025-01-01", "2025-03-31"), ("2026-01-01", "2026-03-31")),
    ("YoY order growth, Q1 2025 to Q1 2026",
     ("2025-01-01", "2025-03-31"), ("2026-01-01", "2026-03-31")),
])
def test_a_change_said_by_its_unit_and_both_periods_named_compares_those_two(
        question, earlier, later, config, raw):
    answer = Assistant(config).ask(question)
    assert answer.status == "answered", answer.message
    row = dict(zip(answer.columns, answer.rows[0], strict=True))
    assert (row["orders_earlier"], row["orders_later"]) == (_orders(raw, *earlier),
                                                            _orders(raw, *later))
