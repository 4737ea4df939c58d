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
    assert chart_for(answer("breakdown", ["a", "b", "n"], [["x", "y", 1], ["z", "w", 2]])) is None
    assert chart_for(answer("breakdown", ["a", "n"], [[str(i), i] for i in range(31)])) is None
    assert chart_for(answer("breakdown", ["a", "b"], [["x", "y"], ["z", "w"]])) is None
    assert chart_for(Answer("q", "refused", "no")) is None
