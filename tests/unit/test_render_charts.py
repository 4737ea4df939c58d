"""Charts: which answers get a picture, and that the picture is a PNG."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from assistant.answer import Answer
from assistant.render.charts import chart_for

PNG = b"\x89PNG\r\n\x1a\n"


def answer(intent: str, columns: list[str], rows: list[list[Any]]) -> Answer:
    return Answer(
        "q",
        "answered",
        "m",
        plan={"intent": intent},
        columns=columns,
        rows=rows,
        row_count=len(rows),
    )


def retention(cohorts: int, months: int) -> Answer:
    rows = [
        [date(2025, c + 1, 1), m, 100, 50, 0.5 / (m + 1)]
        for c in range(cohorts)
        for m in range(months - c)
    ]
    return answer(
        "retention",
        ["cohort_month", "month_number", "cohort_size", "retained_users", "retention_rate"],
        rows,
    )


def test_retention_matrix_is_drawn_as_a_heatmap() -> None:
    png = chart_for(retention(cohorts=6, months=6))
    assert png is not None and png.startswith(PNG)


def test_a_single_retention_cell_gets_no_chart() -> None:
    assert chart_for(retention(cohorts=1, months=1)) is None


def test_breakdown_with_one_category_and_one_number_is_a_bar_chart() -> None:
    rows = [["US", Decimal("160708.91")], ["FR", Decimal("157930.47")], ["DE", None]]
    png = chart_for(answer("breakdown", ["country", "revenue"], rows))
    assert png is not None and png.startswith(PNG)


def test_distribution_with_the_number_first_is_still_a_bar_chart() -> None:
    png = chart_for(answer("distribution", ["users", "stage"], [[3, "new"], [5, "engaged"]]))
    assert png is not None and png.startswith(PNG)


def test_lists_counts_wide_or_long_results_get_no_chart() -> None:
    assert chart_for(answer("list", ["user_id", "country"], [[1, "US"], [2, "DE"]])) is None
    assert chart_for(answer("count", ["users"], [[127]])) is None
    assert chart_for(answer("breakdown", ["a", "n"], [[str(i), i] for i in range(31)])) is None
    assert chart_for(answer("breakdown", ["a", "b"], [["x", "y"], ["z", "w"]])) is None
    assert chart_for(Answer("q", "refused", "no")) is None


def test_two_dimension_breakdown_is_drawn_as_stacked_bars() -> None:
    rows = [["US", "pro", 3], ["US", "free", 5], ["DE", "pro", 2], ["DE", "free", 1]]
    png = chart_for(answer("breakdown", ["country", "plan", "users"], rows))
    assert png is not None and png.startswith(PNG)


def test_a_time_series_is_drawn_left_to_right_with_the_partial_period_marked() -> None:
    from assistant.render.charts import _partial_last
    from assistant.render.shape import shape

    rows = [[date(2026, m, 1), 10 * m] for m in range(1, 7)]
    series = answer("breakdown", ["signup_month", "users"], rows)
    series.plan = {"intent": "breakdown", "group_by": [{"name": "signup_at", "grain": "month"}]}
    series.as_of = "2026-06-29"
    shaped = shape(series)
    assert shaped.time_column == 0 and [r[0] for r in shaped.rows] == [r[0] for r in rows]
    assert _partial_last(shaped, "2026-06-29") and not _partial_last(shaped, "2026-06-30")
    png = chart_for(series)
    assert png is not None and png.startswith(PNG)
