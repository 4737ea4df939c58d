"""Eval runner: loading suites, comparing results the SPEC §5 way, scoring and reporting.

Scoring, one word per failed case (issue 8):
    pass       the answer is what the gold says
    wrong      answered, but not the gold (other rows, another definition), or answered where
               a clarification or refusal was expected
    safe miss  clarify/refused/error where an answer was expected, or clarify and refuse mixed up
    error      the case could not be scored: its gold SQL was rejected or failed

Gold SQL runs like any statement (issue 9): validated first, then run on the read-only,
locked-down warehouse with its row cap and timeout; restricted columns (`users.email`) are
never printed.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from assistant.catalog import Catalog
from assistant.cli import main
from assistant.config import Config
from assistant.errors import ConfigError
from assistant.evals import (
    ERROR,
    PASS,
    SAFE_MISS,
    WRONG,
    EvalCase,
    GoldQueries,
    compare_results,
    format_summary,
    load_cases,
    percentile,
    run_cases,
)
from assistant.executor import Warehouse

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


def test_a_midnight_timestamp_is_the_day_it_starts() -> None:
    # gold SQL's DATE_TRUNC('month', signup_at) is a TIMESTAMP; the governed cohort is a DATE
    assert compare_results(["cohort"], [(datetime(2026, 4, 1),)], ["month"], [(date(2026, 4, 1),)])
    assert not compare_results(
        ["at"], [(datetime(2026, 4, 1, 0, 0, 1),)], ["at"], [(date(2026, 4, 1),)]
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

WORLD_EMAILS = ("ann@example.com", "bob@example.com", "cy@example.com")


def _world_warehouse(tmp_path: Path, **limits: Any) -> Warehouse:
    """users:  1 DE pro ann@ | 2 DE free bob@ | 3 GB pro cy@   (email is restricted)"""
    path = tmp_path / "world.duckdb"
    if not path.exists():
        con = duckdb.connect(str(path))
        con.execute(
            "CREATE TABLE users (user_id BIGINT, country VARCHAR, plan VARCHAR, email VARCHAR)"
        )
        con.executemany(
            "INSERT INTO users VALUES (?, ?, ?, ?)",
            [
                (1, "DE", "pro", WORLD_EMAILS[0]),
                (2, "DE", "free", WORLD_EMAILS[1]),
                (3, "GB", "pro", WORLD_EMAILS[2]),
            ],
        )
        con.close()
    return Warehouse(path, **limits)


@pytest.fixture
def world(tmp_path: Path, catalog: Catalog) -> GoldQueries:
    """Gold over the three-user world, through the locked-down Warehouse as `segq eval` runs it;
    the catalog is the shipped one (`users.email` has `access: restricted`)."""
    return GoldQueries(_world_warehouse(tmp_path), catalog)


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
    "email of user 1": _answered(["user_id", "contact"], [[1, WORLD_EMAILS[0]]]),
}


def _ask(question: str) -> dict[str, Any]:
    if question == "crash":
        raise RuntimeError("planner exploded")
    return ANSWERS[question]


GOLD_BY_COUNTRY = "SELECT country, COUNT(*) FROM users GROUP BY country"
GOLD_PRO_BY_COUNTRY = "SELECT country, COUNT(*) FROM users WHERE plan = 'pro' GROUP BY country"


def test_each_kind_passes_and_fails_for_the_right_reason(world: GoldQueries) -> None:
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
    outcome = {r.case.id: (r.outcome, r.reason) for r in report.results}

    assert outcome["sql-pass"] == (PASS, "")
    assert outcome["status-pass"] == (PASS, "")
    assert outcome["definition-pass"] == (PASS, "")
    assert outcome["date-as-iso"] == (PASS, "")
    assert outcome["sql-fail"][0] == WRONG
    assert "expected 2 rows" in outcome["sql-fail"][1]
    assert "first differing rows: expected ['DE', 1.0], got ['DE', 2.0]" in outcome["sql-fail"][1]
    assert outcome["sql-not-answered"] == (
        SAFE_MISS,
        "expected answered, got status clarify (which users?)",
    )
    assert outcome["sql-gold-broken"][0] == ERROR
    assert outcome["sql-gold-broken"][1].startswith("Gold SQL was rejected before running")
    assert outcome["status-fail"] == (
        SAFE_MISS,
        "expected status clarify, got status refused (no)",
    )
    assert outcome["definition-wrong-name"] == (
        WRONG,
        "expected definition active_users, got definition engaged_users",
    )
    assert outcome["definition-not-answered"][0] == SAFE_MISS
    assert outcome["definition-not-answered"][1].startswith(
        "expected definition churn_risk, got status error"
    )
    assert outcome["crash"][0] == SAFE_MISS
    assert "planner exploded" in report.results[9].answer["message"]


@pytest.mark.parametrize(
    ("expect", "question", "outcome"),
    [
        ({"sql": GOLD_PRO_BY_COUNTRY}, "pro users by country", WRONG),  # other rows
        ({"definition": "active_users"}, "what is active?", WRONG),  # another definition
        ({"status": "clarify"}, "users by country", WRONG),  # answered instead of asking
        ({"status": "refused"}, "users by country", WRONG),  # answered instead of refusing
        ({"sql": GOLD_BY_COUNTRY}, "how many users?", SAFE_MISS),  # asked instead
        ({"sql": GOLD_BY_COUNTRY}, "weather?", SAFE_MISS),  # refused instead
        ({"sql": GOLD_BY_COUNTRY}, "define churn", SAFE_MISS),  # errored instead
        ({"sql": GOLD_BY_COUNTRY}, "crash", SAFE_MISS),  # the product crashed
        ({"definition": "pql"}, "how many users?", SAFE_MISS),
        ({"status": "answered"}, "weather?", SAFE_MISS),
        ({"status": "clarify"}, "weather?", SAFE_MISS),  # clarify vs refused mix-up
        ({"status": "refused"}, "how many users?", SAFE_MISS),
        ({"sql": "SELECT email FROM users"}, "users by country", ERROR),  # gold refused
    ],
)
def test_a_failure_is_wrong_only_when_something_was_answered_that_the_gold_does_not_say(
    world: GoldQueries, expect: dict[str, str], question: str, outcome: str
) -> None:
    (result,) = run_cases([_case("c", question, **expect)], _ask, world).results
    assert result.outcome == outcome
    assert result.passed is False


def test_summary_reports_pass_and_wrong_rates_per_kind_and_family_and_timings(
    world: GoldQueries,
) -> None:
    cases = [
        _case("a", "users by country", sql=GOLD_BY_COUNTRY),
        _case("b", "pro users by country", sql=GOLD_PRO_BY_COUNTRY),
        _case("c", "weather?", status="refused"),
        _case("d", "what is a PQL?", definition="pql"),
        _case("e", "how many users?", sql=GOLD_BY_COUNTRY),
    ]
    summary = run_cases(cases, _ask, world).summary()
    assert (summary["total"], summary["passed"], summary["pass_rate"]) == (5, 3, 0.6)
    assert (summary["wrong"], summary["wrong_rate"]) == (1, 0.2)
    assert (summary["safe_misses"], summary["errors"]) == (1, 0)
    assert summary["per_kind"]["sql"] == {
        "total": 3,
        "passed": 1,
        "rate": 1 / 3,
        "wrong": 1,
        "wrong_rate": 1 / 3,
        "safe_misses": 1,
        "errors": 0,
    }
    assert summary["per_kind"]["status"]["rate"] == 1.0
    assert summary["per_kind"]["status"]["wrong"] == 0
    assert summary["per_family"]["demo"]["wrong"] == 1
    assert summary["failures"] == [
        {"id": "b", "outcome": WRONG, "reason": summary["failures"][0]["reason"]},
        {
            "id": "e",
            "outcome": SAFE_MISS,
            "reason": "expected answered, got status clarify (which users?)",
        },
    ]
    assert summary["timings_ms"]["plan"]["p50"] == 2.0
    assert summary["timings_ms"]["plan"]["count"] == 4  # the clarification carried none
    assert summary["timings_ms"]["total"]["p99"] == 10.0


def test_failures_list_wrong_answers_first_then_eval_errors_then_safe_misses(
    world: GoldQueries,
) -> None:
    cases = [
        _case("miss", "weather?", status="clarify"),
        _case("broken-gold", "users by country", sql="SELECT 1; SELECT 2"),
        _case("wrong", "users by country", status="refused"),
        _case("ok", "weather?", status="refused"),
    ]
    report = run_cases(cases, _ask, world)
    assert [f["id"] for f in report.summary()["failures"]] == ["wrong", "broken-gold", "miss"]
    text = format_summary(report)
    assert text.index("Wrong answers (1)") < text.index("Eval errors (1)")
    assert text.index("Eval errors (1)") < text.index("Safe misses (1)")


def test_a_suite_file_with_right_wrong_and_unanswered_cases_shows_the_wrong_count(
    tmp_path: Path, world: GoldQueries
) -> None:
    suite = _write(
        tmp_path / "mixed.yaml",
        f"""
- id: by-country
  question: users by country
  expect: {{sql: "{GOLD_BY_COUNTRY}"}}
- id: pro-by-country
  question: pro users by country
  expect: {{sql: "{GOLD_PRO_BY_COUNTRY}"}}
- id: pql-definition
  question: what is active?
  expect: {{definition: active_users}}
- id: ask-first
  question: how many users?
  expect: {{sql: "SELECT COUNT(*) FROM users"}}
- id: weather
  question: weather?
  expect: {{status: refused}}
""",
    )
    report = run_cases(load_cases([suite]), _ask, world)
    text = format_summary(report)
    assert text.splitlines()[0] == "Eval: 2/5 passed (40.0%), 2 wrong (40.0%), 1 safe miss"
    header, definition, sql, status = text.splitlines()[2:6]
    assert header.split() == [
        "kind",
        "passed",
        "total",
        "rate",
        "wrong",
        "wrong%",
        "safe",
        "miss",
        "errors",
    ]
    assert definition.split() == ["definition", "0", "1", "0.0%", "1", "100.0%", "0", "0"]
    assert sql.split() == ["sql", "1", "3", "33.3%", "1", "33.3%", "1", "0"]
    assert status.split() == ["status", "1", "1", "100.0%", "0", "0.0%", "0", "0"]
    assert "Wrong answers (2): answered, but not what the gold says" in text


def test_json_output_has_summary_and_every_case(world: GoldQueries) -> None:
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
    assert {"wrong", "wrong_rate", "safe_misses", "errors"} <= set(payload["summary"])
    first = payload["cases"][0]
    assert {"id", "question", "passed", "outcome", "expected", "answer"} <= set(first)
    assert first["expected"] == {"sql": GOLD_BY_COUNTRY}
    assert first["outcome"] == PASS
    assert payload["cases"][1]["answer"]["rows"] == [["2026-01-01", 1.5]]


def test_format_summary_shows_rates_failures_and_median_planning_time(
    world: GoldQueries,
) -> None:
    cases = [
        _case("a", "users by country", sql=GOLD_BY_COUNTRY),
        _case("b-fails", "pro users by country", sql=GOLD_PRO_BY_COUNTRY),
    ]
    text = format_summary(run_cases(cases, _ask, world))
    assert "Eval: 1/2 passed (50.0%), 1 wrong (50.0%), 0 safe misses" in text
    assert "median planning time: 2.0 ms" in text
    assert "b-fails" in text
    assert "expected 2 rows" in text


def test_percentiles_interpolate_and_are_none_without_data() -> None:
    assert percentile([], 50) is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 99) == 5.0


# -- gold SQL: validated, locked down, capped, never printing restricted values ---------------


@pytest.mark.parametrize(
    ("gold", "reason"),
    [
        ("SELECT 1; DROP TABLE users", "(single-statement): Exactly one statement may run; got 2"),
        ("DROP TABLE users", "Only a read-only SELECT may run; this is a DROP statement"),
        ("INSERT INTO users VALUES (4, 'US', 'pro', 'x')", "Only a read-only SELECT may run"),
        ("WITH d AS (DELETE FROM users RETURNING *) SELECT user_id FROM d", "contains a DELETE"),
        (
            "SELECT * FROM read_csv('/etc/passwd')",
            "Table functions and file access are not allowed: READ_CSV('/etc/passwd')",
        ),
        ("SELECT * FROM query_table('users')", "Table functions and file access are not allowed"),
        ("SELECT * FROM '/etc/passwd'", "There is no governed table `/etc/passwd`"),
        ("SELECT user_id FROM other.users", "names another schema or database"),
        ("SELECT u FROM users AS u", "refers to a whole row of a table"),
        ("SELECT a FROM users AS u(a, b, c, d)", "Renaming the columns of `users`"),
        ("SELECT getenv('HOME')", "Function `getenv` is not on the allowlist"),
        ("SELECT user_id FROM users WHERE", "The SQL does not parse"),
    ],
)
def test_gold_that_is_not_one_read_only_select_over_governed_tables_is_rejected_with_a_reason(
    world: GoldQueries, gold: str, reason: str
) -> None:
    (result,) = run_cases([_case("c", "users by country", sql=gold)], _ask, world).results
    assert result.outcome == ERROR
    assert result.reason.startswith("Gold SQL was rejected before running (")
    assert reason in result.reason
    assert result.reason.endswith("fix it in the eval file.")


def test_rejected_gold_never_reaches_the_warehouse(tmp_path: Path, catalog: Catalog) -> None:
    GoldQueries(_world_warehouse(tmp_path), catalog).result("SELECT 1; DROP TABLE users")
    con = duckdb.connect(str(tmp_path / "world.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM users").fetchone() == (3,)


@pytest.mark.parametrize(
    "gold",
    [
        "SELECT email FROM users",
        "SELECT user_id, upper(email) AS e FROM users",
        "SELECT * FROM users",
        "WITH x AS (SELECT email AS contact FROM users) SELECT contact FROM x",
        "SELECT user_id FROM users WHERE email LIKE '%@example.com'",
    ],
)
def test_gold_that_reads_a_restricted_column_is_an_error_and_is_not_run(
    world: GoldQueries, gold: str
) -> None:
    report = run_cases([_case("emails", "users by country", sql=gold)], _ask, world)
    (result,) = report.results
    assert result.outcome == ERROR
    assert result.reason.startswith(
        "Gold SQL reads restricted column: Column `users.email` is restricted (personal data)"
    )
    assert "--allow-restricted-gold" in result.reason
    printed = format_summary(report) + json.dumps(report.to_json_dict())
    assert not any(email in printed for email in WORLD_EMAILS)


def test_allowed_restricted_gold_runs_but_its_values_are_masked_wherever_rows_are_shown(
    tmp_path: Path, catalog: Catalog
) -> None:
    gold = GoldQueries(_world_warehouse(tmp_path), catalog, allow_restricted=True)
    sql = "SELECT user_id, lower(email) AS contact, plan FROM users"
    assert gold.result(sql).masked == {1}
    assert gold.result("SELECT * FROM users").masked == {3}  # email is the fourth column
    case = _case("emails", "email of user 1", sql=sql)
    report = run_cases([case], _ask, gold)
    (result,) = report.results
    assert result.outcome == WRONG  # one row answered, three in the gold
    assert "<restricted>" in result.reason
    assert result.answer["rows"] == [[1, "<restricted>"]]  # the answer's copy is masked too
    printed = format_summary(report) + json.dumps(report.to_json_dict())
    assert not any(email in printed for email in WORLD_EMAILS)


def test_masking_is_for_display_only_the_comparison_uses_the_real_values(
    tmp_path: Path, catalog: Catalog
) -> None:
    gold = GoldQueries(_world_warehouse(tmp_path), catalog, allow_restricted=True)
    case = _case("ann", "email of user 1", sql="SELECT email FROM users WHERE user_id = 1")
    (result,) = run_cases([case], _ask, gold).results
    assert result.outcome == PASS
    assert result.answer["rows"] == [[1, "<restricted>"]]


def test_an_answer_column_named_like_a_restricted_column_is_masked(world: GoldQueries) -> None:
    leaky = _answered(["user_id", "email"], [[1, WORLD_EMAILS[0]]])
    (result,) = run_cases([_case("c", "q", status="refused")], lambda q: leaky, world).results
    assert result.outcome == WRONG
    assert result.answer["rows"] == [[1, "<restricted>"]]


def test_gold_may_read_any_governed_column_with_exists_and_row_generators_and_no_limit(
    world: GoldQueries,
) -> None:
    for sql in (
        "SELECT plan, count(*) FROM users GROUP BY plan",
        "SELECT n FROM range(0, 3) AS t(n)",
        "SELECT count(*) FROM users AS u WHERE EXISTS "
        "(SELECT 1 FROM users AS v WHERE v.user_id = u.user_id + 1)",
        "WITH engaged_users AS (SELECT user_id FROM users) SELECT count(*) FROM engaged_users",
        # intervals from numbers and literal lists of dates, as hand-written gold builds them
        "SELECT count(*) FROM users WHERE DATE '2026-06-30' - to_months(3) < DATE '2026-06-30'",
        "SELECT d FROM unnest(ARRAY[DATE '2026-01-31', DATE '2026-02-28']) AS t(d)",
    ):
        assert world.result(sql).error == "", sql


def test_gold_that_fails_on_the_warehouse_is_an_error_with_the_warehouse_reason(
    world: GoldQueries,
) -> None:
    result = world.result("SELECT CAST(country AS INTEGER) FROM users")
    assert result.error.startswith("Gold SQL failed on the warehouse: The warehouse could not")
    assert "Conversion Error" in result.error


def test_gold_is_held_to_the_warehouse_row_cap(tmp_path: Path, catalog: Catalog) -> None:
    gold = GoldQueries(_world_warehouse(tmp_path, row_cap=2), catalog)
    assert gold.result("SELECT user_id FROM users LIMIT 2").error == ""
    assert gold.result("SELECT user_id FROM users").error.startswith(
        "Gold SQL returned more than 2 rows, the row cap that answers are held to"
    )


def test_gold_is_held_to_the_warehouse_timeout(tmp_path: Path, catalog: Catalog) -> None:
    gold = GoldQueries(_world_warehouse(tmp_path, timeout_s=0.05), catalog)
    slow = "SELECT count(*) FROM range(0, 100000) AS a(x), range(0, 100000) AS b(y)"
    assert gold.result(slow).error == (
        "Gold SQL failed on the warehouse: The query ran longer than 0.05 s and was stopped. "
        "Try a narrower question. Fix it in the eval file."
    )


# -- segq eval on the demo warehouse ----------------------------------------------------------


@pytest.fixture
def env(config: Config, monkeypatch: pytest.MonkeyPatch) -> Config:
    """`segq` pointed at the small shared demo warehouse and a fresh query log."""
    for name, value in (
        ("SEGQ_WAREHOUSE", config.warehouse),
        ("SEGQ_SEMANTIC_MODELS", config.semantic_models),
        ("SEGQ_QUERY_LOG", config.query_log),
    ):
        monkeypatch.setenv(name, value)
    for name in ("SEGQ_CONFIG", "SEGQ_PLANNER", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return config


MIXED_SUITE = """
- id: count-users
  question: how many users do we have?
  expect: {sql: "SELECT count(*) FROM users"}
- id: wrong-on-purpose
  question: how many users do we have?
  expect: {sql: "SELECT 1"}
- id: weather
  question: what's the weather in Paris?
  expect: {status: refused}
"""


def test_segq_eval_max_wrong_fails_the_run_when_an_answer_is_wrong(
    env: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = _write(tmp_path / "mixed.yaml", MIXED_SUITE)
    assert main(["eval", str(suite), "--max-wrong", "0"]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("Eval: 2/3 passed (66.7%), 1 wrong (33.3%), 0 safe misses\n")
    assert "1 wrong answer, more than --max-wrong 0" in err
    assert main(["eval", str(suite), "--max-wrong", "1", "--min-pass", "0.6"]) == 0
    capsys.readouterr()
    assert main(["eval", str(suite), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert (summary["wrong"], summary["per_kind"]["sql"]["wrong"]) == (1, 1)
    from assistant.querylog import QueryLog

    assert QueryLog(env.query_log).stats(source="eval")["total"] == 9  # each run logged as eval


def _demo_emails(env: Config) -> list[str]:
    con = duckdb.connect(env.warehouse, read_only=True)
    try:
        return [row[0] for row in con.execute("SELECT email FROM users").fetchall()]
    finally:
        con.close()


def test_segq_eval_never_prints_an_email_address_from_gold_sql(
    env: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = _write(
        tmp_path / "pii.yaml",
        "- id: emails\n  question: how many users do we have?\n"
        '  expect: {sql: "SELECT user_id, email FROM users"}\n',
    )
    emails = _demo_emails(env)
    runs = {}
    for flags in (
        [],
        ["--json"],
        ["--allow-restricted-gold"],
        ["--allow-restricted-gold", "--json"],
    ):
        main(["eval", str(suite), "--no-log", *flags])
        runs[" ".join(flags)] = out = "".join(capsys.readouterr())
        assert "@example.com" not in out and emails[0] not in out
    assert "Eval errors (1)" in runs[""]
    assert "Gold SQL reads restricted column" in runs[""]
    case = json.loads(runs["--json"])["cases"][0]
    assert case["outcome"] == ERROR
    assert "Wrong answers (1)" in runs["--allow-restricted-gold"]  # it ran: 1 row vs thousands
    assert "<restricted>" in runs["--allow-restricted-gold"]


def test_segq_eval_rejects_gold_with_a_second_statement(
    env: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = _write(
        tmp_path / "drop.yaml",
        "- id: drop\n  question: how many users do we have?\n"
        '  expect: {sql: "SELECT 1; DROP TABLE users"}\n',
    )
    assert main(["eval", str(suite), "--no-log", "--min-pass", "1"]) == 1
    out = capsys.readouterr().out
    assert "Eval errors (1)" in out
    assert "Exactly one statement may run; got 2." in out
