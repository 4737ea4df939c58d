"""Eval runner: loading suites, comparing results the SPEC §5 way, scoring and reporting."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from assistant.errors import ConfigError
from assistant.evals import (
    EvalCase,
    compare_results,
    format_summary,
    load_cases,
    percentile,
    run_cases,
)

REPO_EVALS = Path(__file__).resolve().parents[2] / "evals"


# -- compare_results --------------------------------------------------------------------------


def test_a_subset_of_answer_columns_in_any_order_matches() -> None:
    gold = [("DE", 3), ("GB", 5)]
    got = [[5, "GB", "Britain"], [3, "DE", "Germany"]]
    assert compare_results(["n", "code", "label"], got, ["country", "count"], gold)


def test_row_order_does_not_matter() -> None:
    assert compare_results(["x"], [[2], [1], [3]], ["x"], [(1,), (2,), (3,)])


def test_rows_are_a_multiset_not_a_set() -> None:
    assert not compare_results(["x"], [[1], [2], [2]], ["x"], [(1,), (1,), (2,)])
    assert compare_results(["x"], [[2], [1], [1]], ["x"], [(1,), (1,), (2,)])


def test_values_must_stay_together_in_their_rows() -> None:
    """Same values per column, but paired differently: not the same rows."""
    assert not compare_results(["c", "n"], [["a", 2], ["b", 1]], ["c", "n"], [("a", 1), ("b", 2)])


def test_the_answer_needs_at_least_as_many_columns_as_the_gold() -> None:
    assert not compare_results(["n"], [[1]], ["c", "n"], [("a", 1)])


def test_a_different_row_count_never_matches() -> None:
    assert not compare_results(["n"], [[1], [1]], ["n"], [(1,)])


def test_numbers_are_equal_within_one_millionth_relative() -> None:
    assert compare_results(["rate"], [[0.5112237]], ["rate"], [(0.5112237509051412,)])
    assert not compare_results(["rate"], [[0.5112]], ["rate"], [(0.5112237509051412,)])
    assert compare_results(["v"], [[0.1 + 0.2 - 0.3]], ["v"], [(0,)])


def test_decimal_int_and_float_are_all_numbers() -> None:
    assert compare_results(["revenue"], [[4241982.24]], ["r"], [(Decimal("4241982.24"),)])
    assert compare_results(["n"], [[970.0]], ["n"], [(970,)])
    assert compare_results(["n"], [[Decimal("970")]], ["n"], [(970.0,)])


def test_numeric_text_is_not_a_number() -> None:
    assert not compare_results(["n"], [["970"]], ["n"], [(970,)])


def test_null_equals_null_and_nothing_else() -> None:
    assert compare_results(["a", "b"], [[None, 1]], ["a", "b"], [(None, 1)])
    assert not compare_results(["a"], [[0]], ["a"], [(None,)])
    assert compare_results(["a"], [[None]], ["a"], [(float("nan"),)])


def test_dates_compare_as_iso_text() -> None:
    assert compare_results(["month"], [["2026-01-01"]], ["month"], [(date(2026, 1, 1),)])
    assert compare_results(
        ["at"], [["2026-01-01T10:30:00"]], ["at"], [(datetime(2026, 1, 1, 10, 30),)]
    )
    assert not compare_results(
        ["month"], [["2026-01-01T00:00:00"]], ["month"], [(date(2026, 1, 1),)]
    )


def test_strings_are_exact() -> None:
    assert not compare_results(["c"], [["de"]], ["c"], [("DE",)])
    assert not compare_results(["c"], [["DE "]], ["c"], [("DE",)])


def test_empty_gold_matches_an_empty_answer() -> None:
    assert compare_results(["n"], [], ["user_id"], [])
    assert not compare_results(["n"], [[1]], ["user_id"], [])


def test_wide_answers_with_repeated_columns_stay_cheap() -> None:
    rows = [[i] * 12 for i in range(2000)]
    gold = [(i, i, i) for i in range(2000)]
    assert compare_results([f"c{i}" for i in range(12)], rows, ["a", "b", "c"], gold)


def test_near_equal_floats_match_even_across_a_rounding_boundary() -> None:
    gold = [(1.0000049999, "b"), (1.0000050001, "a")]
    got = [[1.0000050001, "b"], [1.0000049999, "a"]]
    assert compare_results(["x", "y"], got, ["x", "y"], gold)


# -- load_cases -------------------------------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_load_cases_reads_each_kind_and_ignores_unknown_keys(tmp_path: Path) -> None:
    file = _write(
        tmp_path / "suite.yaml",
        """
- id: count-users
  question: how many users?
  owner: data-team
  expect: {sql: "SELECT 1", note: ignored}
- id: weather
  question: what's the weather?
  expect: {status: refused}
- id: define-engaged
  question: how do we define engaged users?
  expect: {definition: engaged_users}
""",
    )
    cases = load_cases([file])
    assert [(c.id, c.kind) for c in cases] == [
        ("count-users", "sql"),
        ("weather", "status"),
        ("define-engaged", "definition"),
    ]
    assert cases[0].expect == {"sql": "SELECT 1"}
    assert cases[0].source == f"{file}:2"
    assert [c.family for c in cases] == ["suite", "refused", "engaged_users"]


def test_family_and_tags_come_from_the_case_when_given(tmp_path: Path) -> None:
    file = _write(
        tmp_path / "s.yaml",
        "- {id: a, question: q, family: churn_risk, tags: [count], expect: {sql: SELECT 1}}\n",
    )
    (case,) = load_cases([file])
    assert case.family == "churn_risk"
    assert case.tags == ("count",)


def test_malformed_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    file = _write(
        tmp_path / "broken.yaml",
        "- id: a\n  question: q\n  expect: {status: clarify}\n- id: b\n  question: [unclosed\n",
    )
    with pytest.raises(ConfigError) as err:
        load_cases([file])
    assert f"{file}:" in str(err.value)
    assert err.value.details["line"] >= 5


def test_a_case_without_expectation_is_an_error_with_its_line(tmp_path: Path) -> None:
    file = _write(
        tmp_path / "s.yaml",
        "- id: a\n  question: q\n  expect: {status: clarify}\n- id: b\n  question: q2\n",
    )
    with pytest.raises(ConfigError, match=r"s\.yaml:4: .*exactly one of"):
        load_cases([file])


def test_an_unknown_status_lists_the_accepted_ones(tmp_path: Path) -> None:
    file = _write(tmp_path / "s.yaml", "- {id: a, question: q, expect: {status: maybe}}\n")
    with pytest.raises(ConfigError, match="Accepted: answered, clarify, refused, error"):
        load_cases([file])


def test_repeated_ids_are_an_error(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", "- {id: x, question: q, expect: {status: clarify}}\n")
    _write(tmp_path / "b.yaml", "- {id: x, question: q, expect: {status: refused}}\n")
    with pytest.raises(ConfigError, match="already used"):
        load_cases([tmp_path])


def test_a_directory_loads_yaml_and_yml_files_sorted(tmp_path: Path) -> None:
    _write(tmp_path / "b.yml", "- {id: second, question: q, expect: {status: clarify}}\n")
    _write(tmp_path / "a.yaml", "- {id: first, question: q, expect: {status: clarify}}\n")
    _write(tmp_path / "notes.txt", "not a suite")
    _write(tmp_path / "empty.yaml", "")
    assert [c.id for c in load_cases([tmp_path])] == ["first", "second"]


def test_a_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_cases([tmp_path / "nope.yaml"])


def test_the_repository_suites_load_and_cover_every_kind() -> None:
    cases = load_cases([REPO_EVALS])
    kinds = Counter(c.kind for c in cases)
    statuses = Counter(c.expect.get("status") for c in cases)
    assert len(cases) >= 170
    assert kinds["definition"] >= 10
    assert statuses["clarify"] >= 10
    assert statuses["refused"] >= 12


# -- run_cases --------------------------------------------------------------------------------


@pytest.fixture
def world() -> duckdb.DuckDBPyConnection:
    """users:  1 DE pro | 2 DE free | 3 GB pro"""
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE users (user_id BIGINT, country VARCHAR, plan VARCHAR)")
    con.execute("INSERT INTO users VALUES (1, 'DE', 'pro'), (2, 'DE', 'free'), (3, 'GB', 'pro')")
    return con


def _case(cid: str, question: str, **expect: str) -> EvalCase:
    kind = "sql" if "sql" in expect else "definition" if "definition" in expect else "status"
    return EvalCase(cid, question, kind, dict(expect), family="demo", source=f"t.yaml:{cid}")


def _answered(columns: list[str], rows: list[list[Any]], **extra: Any) -> dict[str, Any]:
    return {
        "status": "answered",
        "message": "",
        "columns": columns,
        "rows": rows,
        "definitions": [],
        "timings_ms": {"plan": 2.0, "total": 10.0},
        **extra,
    }


ANSWERS: dict[str, dict[str, Any]] = {
    "users by country": _answered(["users", "country"], [[1, "GB"], [2, "DE"]]),
    "pro users by country": _answered(["country", "users"], [["DE", 2], ["GB", 1]]),
    "how many users?": {"status": "clarify", "message": "which users?", "timings_ms": {}},
    "weather?": {"status": "refused", "message": "no", "timings_ms": {"plan": 1.0}},
    "what is a PQL?": _answered([], [], definitions=[{"name": "pql", "kind": "segment"}]),
    "what is active?": _answered([], [], definitions=[{"name": "engaged_users"}]),
    "define churn": {"status": "error", "message": "boom", "definitions": []},
    "first signup": _answered(["d"], [[date(2026, 1, 1)]]),
}


def _ask(question: str) -> dict[str, Any]:
    if question == "crash":
        raise RuntimeError("planner exploded")
    return ANSWERS[question]


GOLD_BY_COUNTRY = "SELECT country, COUNT(*) FROM users GROUP BY country"
GOLD_PRO_BY_COUNTRY = "SELECT country, COUNT(*) FROM users WHERE plan = 'pro' GROUP BY country"


def test_each_kind_passes_and_fails_for_the_right_reason(world: duckdb.DuckDBPyConnection) -> None:
    cases = [
        _case("sql-pass", "users by country", sql=GOLD_BY_COUNTRY),
        _case("sql-fail", "pro users by country", sql=GOLD_PRO_BY_COUNTRY),
        _case("sql-not-answered", "how many users?", sql="SELECT COUNT(*) FROM users"),
        _case("sql-gold-broken", "users by country", sql="SELECT nope FROM users"),
        _case("status-pass", "how many users?", status="clarify"),
        _case("status-fail", "weather?", status="clarify"),
        _case("definition-pass", "what is a PQL?", definition="pql"),
        _case("definition-wrong-name", "what is active?", definition="active_users"),
        _case("definition-not-answered", "define churn", definition="churn_risk"),
        _case("crash", "crash", status="refused"),
        _case("date-as-iso", "first signup", sql="SELECT DATE '2026-01-01'"),
    ]
    report = run_cases(cases, _ask, world)
    outcome = {r.case.id: (r.passed, r.reason) for r in report.results}

    assert outcome["sql-pass"] == (True, "")
    assert outcome["status-pass"] == (True, "")
    assert outcome["definition-pass"] == (True, "")
    assert outcome["date-as-iso"] == (True, "")
    assert not outcome["sql-fail"][0]
    assert "expected 2 rows" in outcome["sql-fail"][1]
    assert "first differing rows: expected ['DE', 1.0], got ['DE', 2.0]" in outcome["sql-fail"][1]
    assert outcome["sql-not-answered"] == (
        False,
        "expected answered, got status clarify (which users?)",
    )
    assert outcome["sql-gold-broken"][1].startswith("gold SQL failed")
    assert outcome["status-fail"] == (False, "expected status clarify, got status refused (no)")
    assert outcome["definition-wrong-name"][1] == (
        "expected definition active_users, got definition engaged_users"
    )
    assert outcome["definition-not-answered"][1].startswith(
        "expected definition churn_risk, got status error"
    )
    assert outcome["crash"][0] is False
    assert "planner exploded" in report.results[9].answer["message"]


def test_summary_reports_rates_per_kind_and_family_and_timings(
    world: duckdb.DuckDBPyConnection,
) -> None:
    cases = [
        _case("a", "users by country", sql=GOLD_BY_COUNTRY),
        _case("b", "pro users by country", sql=GOLD_PRO_BY_COUNTRY),
        _case("c", "weather?", status="refused"),
        _case("d", "what is a PQL?", definition="pql"),
    ]
    summary = run_cases(cases, _ask, world).summary()
    assert summary["total"] == 4
    assert summary["passed"] == 3
    assert summary["pass_rate"] == 0.75
    assert summary["per_kind"]["sql"] == {"total": 2, "passed": 1, "rate": 0.5}
    assert summary["per_kind"]["status"] == {"total": 1, "passed": 1, "rate": 1.0}
    assert summary["per_family"] == {"demo": {"total": 4, "passed": 3, "rate": 0.75}}
    assert [f["id"] for f in summary["failures"]] == ["b"]
    assert summary["timings_ms"]["plan"]["p50"] == 2.0
    assert summary["timings_ms"]["plan"]["count"] == 4
    assert summary["timings_ms"]["total"]["p99"] == 10.0


def test_json_output_has_summary_and_every_case(world: duckdb.DuckDBPyConnection) -> None:
    cases = [
        _case("a", "users by country", sql=GOLD_BY_COUNTRY),
        _case("money", "first signup", sql="SELECT DATE '2026-01-01'"),
    ]
    answers_with_raw = {
        **ANSWERS,
        "first signup": _answered(["d", "v"], [[date(2026, 1, 1), Decimal("1.5")]]),
    }
    payload = run_cases(cases, answers_with_raw.__getitem__, world).to_json_dict()
    json.dumps(payload)  # JSON-safe even when the answer held dates and decimals
    assert set(payload) == {"summary", "cases"}
    first = payload["cases"][0]
    assert {"id", "question", "passed", "expected", "answer"} <= set(first)
    assert first["expected"] == {"sql": GOLD_BY_COUNTRY}
    assert payload["cases"][1]["answer"]["rows"] == [["2026-01-01", 1.5]]


def test_format_summary_shows_rates_failures_and_median_planning_time(
    world: duckdb.DuckDBPyConnection,
) -> None:
    cases = [
        _case("a", "users by country", sql=GOLD_BY_COUNTRY),
        _case("b-fails", "pro users by country", sql=GOLD_PRO_BY_COUNTRY),
    ]
    text = format_summary(run_cases(cases, _ask, world))
    assert "Eval: 1/2 passed (50.0%)" in text
    assert "median planning time: 2.0 ms" in text
    assert "b-fails" in text
    assert "expected 2 rows" in text


def test_percentiles_interpolate_and_are_none_without_data() -> None:
    assert percentile([], 50) is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 99) == 5.0
