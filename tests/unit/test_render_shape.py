"""Rows as a reader wants them, and definitions in words: ordering, pivots, labels, cards."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from assistant.answer import Answer
from assistant.render import cards
from assistant.render.provenance import as_of_words, csv_comment, file_name
from assistant.render.shape import format_cell, shape


def breakdown(columns: list[str], rows: list[list[Any]], **plan: Any) -> Answer:
    return Answer("q", "answered", "m", plan={"intent": "breakdown", **plan}, columns=columns,
                  rows=rows, row_count=len(rows), as_of="2026-06-30")


def test_a_breakdown_is_sorted_biggest_first_with_catalog_labels(catalog) -> None:
    answer = breakdown(["plan", "users"], [["enterprise", 5], ["free", 30], ["pro", 12]],
                       group_by=[{"name": "plan"}])
    shaped = shape(answer, catalog)
    assert shaped.labels == ["Plan", "Users"]
    assert shaped.rows == [["Free", 30], ["Pro", 12], ["Enterprise", 5]]
    assert shaped.kinds == ["text", "number"]


def test_tiers_keep_their_governed_order_not_their_size(catalog) -> None:
    answer = breakdown(["tier", "users"], [["healthy", 50], ["high", 90], ["low", 10],
                                           ["medium", 20]], segment={"name": "churn_risk"})
    answer.plan["intent"] = "distribution"
    shaped = shape(answer, catalog)
    assert shaped.labels[0] == "Churn risk"
    assert [r[0] for r in shaped.rows] == [
        "High churn risk", "Medium churn risk", "Low churn risk", "Healthy"]


def test_two_dimensions_are_pivoted_and_no_value_is_lost(catalog) -> None:
    rows = [[stage, plan, i] for i, (stage, plan) in enumerate(
        (s, p) for s in ("new", "churned", "at_risk") for p in ("free", "pro", "trial"))]
    answer = breakdown(["stage", "plan", "users"], rows, segment={"name": "lifecycle_stage"})
    shaped = shape(answer, catalog)
    assert shaped.pivoted
    assert [r[0] for r in shaped.rows] == ["New", "Churned", "At risk"]  # governed order
    assert shaped.labels[0] == "Lifecycle stage" and sorted(shaped.labels[1:]) == [
        "Free", "Pro", "Trial"]
    cells = sorted(v for r in shaped.rows for v in r[1:])
    assert cells == sorted(r[2] for r in rows)


def test_months_stay_in_time_order_and_percentages_read_as_percent() -> None:
    answer = breakdown(["signup_month", "share"], [["2026-02-01", 0.5], ["2026-01-01", 0.25]],
                       group_by=[{"name": "signup_at", "grain": "month"}])
    shaped = shape(answer)
    assert [format_cell(r[0], "time", shaped.grain) for r in shaped.rows] == [
        "Jan 2026", "Feb 2026"]
    assert [format_cell(r[1], shaped.kinds[1]) for r in shaped.rows] == ["25.0%", "50.0%"]


def test_a_card_fills_in_the_parameter_values_the_answer_used(catalog) -> None:
    at_risk = cards.card(catalog, "lifecycle_stage", "at_risk")
    assert at_risk.startswith("*At risk (Lifecycle stage)*: activated users inactive 14–29 days")
    assert "owner lifecycle-analytics" in at_risk and "v1" in at_risk
    high = cards.rule(catalog, "churn_risk", "high")
    assert high == "users inactive 14+ days"  # the two "at risk" options now read apart
    what_if = cards.card(catalog, "churn_risk", "medium", {"decline_ratio": 0.3})
    assert "fell below 30% of their rate" in what_if
    assert "*what-if: " in what_if and "instead of 0.5" in what_if


def test_a_member_without_a_summary_is_worded_from_its_rule_after_the_earlier_members(
    catalog,
) -> None:
    assert cards.worded("days_inactive >= :high_inactive_days", {"high_inactive_days": 14}) == (
        "days inactive at least 14")
    stages = catalog.segments["lifecycle_stage"]
    member = replace(stages.member("at_risk"), summary="")
    assert cards._member_rule(stages, member, cards.parameter_values(stages)) == (
        "days inactive at least 14, and not New, Not activated or Churned")


def test_every_governed_member_has_a_card_without_placeholders(catalog) -> None:
    for segment in catalog.segments.values():
        for member in (None, *(m.name for m in segment.members)):
            words = cards.rule(catalog, segment.name, member)
            assert words and "{" not in words and ":" not in words.replace(": ", ""), (
                segment.name, member, words)


def test_csv_comment_and_file_name_carry_the_provenance(catalog) -> None:
    answer = breakdown(["plan", "users"], [["pro", 1]], group_by=[{"name": "plan"}],
                       segment={"name": "lifecycle_stage", "member": "churned"},
                       filters=[{"dimension": "country", "values": ["US"]}])
    comment = csv_comment(answer, catalog)
    assert comment[1] == "# as of 30 Jun 2026" == "# " + as_of_words("2026-06-30")
    assert "# filters: country = US" in comment
    assert file_name(answer, "csv", catalog) == (
        f"users-in-lifecycle-stage-churned-with-country-united-states-by-plan"
        f"_as-of-2026-06-30_{answer.id}.csv")
