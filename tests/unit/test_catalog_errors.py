"""Broken semantic models are reported with the file and line to fix, all at once.

Each test copies `semantic_models/` into `tmp_path`, breaks one thing, and checks the issue
that `collect_issues` (or the deep check, or `segq validate`) reports: what is wrong, what is
accepted, a "did you mean" where one is close, and `file:line`.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from assistant.catalog import collect_issues, load_catalog
from assistant.catalog.check import deep_check
from assistant.cli import main
from assistant.errors import CatalogError, Issue

MODELS = Path(__file__).resolve().parents[2] / "semantic_models"
AS_OF = date(2026, 6, 30)


@pytest.fixture()
def models(tmp_path: Path) -> Path:
    target = tmp_path / "semantic_models"
    shutil.copytree(MODELS, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    hits = [n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    assert len(hits) == 1, f"{needle!r} should occur once in {path.name}"
    return hits[0]


def at(path: Path, needle: str) -> str:
    """`<models dir>/<file>:<line>`; a source may show the directory absolute or by name."""
    return f"{path.parent.name}/{path.name}:{line_of(path, needle)}"


def assert_at(source: str, path: Path, needle: str) -> None:
    assert source.endswith(at(path, needle)), f"{source} should point at {at(path, needle)}"


def errors_of(directory: Path) -> list[Issue]:
    _, issues = collect_issues(directory)
    return [i for i in issues if i.level == "error"]


def only(issues: list[Issue]) -> Issue:
    assert len(issues) == 1, [str(i) for i in issues]
    return issues[0]


# -- one broken thing, one issue ----------------------------------------------------------------


def test_the_unmodified_copy_has_no_issues(models):
    assert errors_of(models) == []


def test_yaml_syntax_error_names_the_bad_line(models):
    path = models / "churn_risk.yml"
    edit(path, "owner: customer-success-analytics\n", "owner: customer-success-analytics: x\n")
    issue = only(errors_of(models))
    assert issue.rule == "yaml-syntax"
    assert_at(issue.source, path, "customer-success-analytics: x")
    assert "is not valid YAML" in issue.message


@pytest.mark.parametrize(
    ("file", "old", "new", "suggestion"),
    [
        ("churn_risk.yml", "        default: 14\n", "        defualt: 14\n", "default"),
        (
            "churn_risk.yml",
            "    member_column: tier\n",
            "    member_colum: tier\n",
            "member_column",
        ),
        ("engaged_users.yml", "    access: public\n", "    acess: public\n", "access"),
    ],
    ids=["parameter-key", "segment-key", "segment-key-2"],
)
def test_unknown_key_names_the_line_and_the_closest_accepted_key(
    models, file, old, new, suggestion
):
    path = models / file
    edit(path, old, new)
    typo = new.split(":")[0].strip()
    unknown = [i for i in errors_of(models) if i.rule == "unknown-key"]
    issue = only(unknown)
    assert_at(issue.source, path, f"{typo}:")
    assert f"unknown key `{typo}`" in issue.message
    assert "Accepted keys:" in issue.message
    assert f"Did you mean `{suggestion}`?" in issue.message


def test_unknown_parameter_in_an_example_override_suggests_decline_ratio(models):
    """`decline_ration` in a verified example fails the deep check at the example's line."""
    path = models / "churn_risk.yml"
    edit(
        path,
        "{parameter: high_inactive_days, value: 21}",
        "{parameter: decline_ration, value: 0.3}",
    )
    catalog, issues = collect_issues(models)
    assert issues == []
    issue = only([i for i in deep_check(catalog, None, AS_OF) if "decline_ration" in i.message])
    assert "Did you mean `decline_ratio`?" in issue.message
    accepted = issue.message.split("Accepted: ")[1]
    for name in ("decline_ratio", "high_inactive_days", "low_inactive_days"):
        assert name in accepted
    assert_at(issue.source, path, "21-day inactivity cutoff?")


def test_a_misspelled_parameter_reference_is_reported_at_its_member_line(models):
    path = models / "churn_risk.yml"
    edit(path, ":decline_ratio * baseline_daily", ":decline_ration * baseline_daily")
    catalog, issues = collect_issues(models)
    issues += deep_check(catalog, None, AS_OF)
    issue = only([i for i in issues if "decline_ration" in i.message])
    assert "Did you mean `decline_ratio`?" in issue.message
    assert issue.source.endswith((at(path, "- name: medium"), at(path, ":decline_ration")))


def test_a_summary_placeholder_that_is_not_a_parameter_is_reported_at_its_member(models):
    path = models / "churn_risk.yml"
    edit(path, "users inactive {high_inactive_days}+ days", "users inactive {high_days}+ days")
    issue = only(errors_of(models))
    assert "The summary of `churn_risk` uses `{high_days}`" in issue.message
    assert "Did you mean `high_inactive_days`?" in issue.message
    member_line = line_of(path, "label: High churn risk") - 1  # its `- name: high` line
    assert issue.source.endswith(f"churn_risk.yml:{member_line}")


def test_dimension_on_an_unknown_column_suggests_the_right_one(models):
    path = models / "warehouse.yml"
    edit(path, "    column: company_size\n", "    column: company_sized\n")
    issue = only(errors_of(models))
    assert issue.rule == "dimension_columns_exist"
    assert "unknown column `users.company_sized`" in issue.message
    assert "Did you mean `company_size`?" in issue.message
    assert_at(issue.source, path, "  - name: company_size")


def test_requires_an_unknown_segment(models):
    path = models / "lifecycle_stage.yml"
    edit(path, "requires: [engaged_users]", "requires: [engaged_userz]")
    issue = only(errors_of(models))
    assert issue.rule == "segment_references_exist"
    assert "requires unknown segment `engaged_userz`" in issue.message
    assert "Did you mean `engaged_users`?" in issue.message
    assert_at(issue.source, path, "- name: lifecycle_stage")


def test_parameter_default_outside_its_bounds(models):
    path = models / "engaged_users.yml"
    edit(path, "        default: 3\n", "        default: 80\n")
    issue = only(errors_of(models))
    assert issue.rule == "default-out-of-bounds"
    assert "`min_logins_per_week` of `engaged_users` has default 80 outside its bounds 1..50" in (
        issue.message
    )
    assert_at(issue.source, path, "default: 80")


def test_a_duplicate_segment_name_mentions_both_definitions(models):
    pql = models / "pql.yml"
    edit(pql, "  - name: pql_score\n", "  - name: churn_risk\n")
    issue = only(errors_of(models))
    assert issue.rule == "duplicate-name"
    assert_at(issue.source, pql, "- name: churn_risk")
    assert at(models / "churn_risk.yml", "- name: churn_risk") in issue.message


def test_a_requires_cycle_between_two_segments_is_reported_not_followed(models):
    path = models / "engaged_users.yml"
    edit(path, "    access: public\n", "    access: public\n    requires: [lifecycle_stage]\n")
    issue = only(errors_of(models))
    assert issue.rule == "no_cycles"
    assert "engaged_users -> lifecycle_stage -> engaged_users" in issue.message
    assert_at(issue.source, path, "- name: engaged_users")
    with pytest.raises(CatalogError):
        load_catalog(models)


def test_a_member_matching_on_a_column_not_in_columns(models):
    path = models / "rfm_segment.yml"
    edit(
        path, "match: {r: [4, 5], f: [4, 5], m: [4, 5]}", "match: {r: [4, 5], f: [4, 5], q: [4, 5]}"
    )
    issue = only(errors_of(models))
    assert "Member `champions` of `rfm_segment` matches on `q`" in issue.message
    assert "Accepted: recency, frequency, monetary, r, f, m." in issue.message
    assert_at(issue.source, path, "{name: champions,")


def test_words_for_a_column_the_segment_does_not_declare(models):
    path = models / "rfm_segment.yml"
    edit(path, "r: [recency score, r score, rfm recency score]",
         "rr: [recency score, r score, rfm recency score]")
    issue = only(errors_of(models))
    assert "`column_synonyms` for `rr`" in issue.message
    assert "recency, frequency, monetary, r, f, m" in issue.message
    assert_at(issue.source, path, "column_synonyms:")


# -- several at once ----------------------------------------------------------------------------


def break_four_files(models: Path) -> list[str]:
    """Break four files; return the `file:line` each error must point at."""
    edit(
        models / "churn_risk.yml",
        "owner: customer-success-analytics\n",
        "owner: customer-success-analytics: x\n",
    )
    edit(models / "warehouse.yml", "    column: company_size\n", "    column: company_sized\n")
    edit(models / "engaged_users.yml", "        default: 3\n", "        default: 80\n")
    edit(
        models / "rfm_segment.yml",
        "match: {r: [4, 5], f: [4, 5], m: [4, 5]}",
        "match: {r: [4, 5], f: [4, 5], q: [4, 5]}",
    )
    return [
        at(models / "churn_risk.yml", "customer-success-analytics: x"),
        at(models / "warehouse.yml", "  - name: company_size"),
        at(models / "engaged_users.yml", "default: 80"),
        at(models / "rfm_segment.yml", "{name: champions,"),
    ]


def assert_same_places(sources: list[str], expected: list[str]) -> None:
    assert len(sources) == len(expected), sources
    for place in expected:
        assert [s for s in sources if s.endswith(place)], f"no issue at {place}: {sources}"


def test_every_error_is_listed_at_once(models):
    expected = break_four_files(models)
    assert_same_places([i.source for i in errors_of(models)], expected)
    with pytest.raises(CatalogError) as err:
        load_catalog(models)
    assert "4 error(s)" in err.value.message
    assert_same_places([i.source for i in err.value.issues], expected)


# -- through `segq validate` -------------------------------------------------------------------


@pytest.fixture()
def demo_env(monkeypatch, demo_path, tmp_path):
    """The CLI reads its config from the environment: point it at the session demo only."""
    import os

    for name in [n for n in os.environ if n.startswith("SEGQ_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SEGQ_WAREHOUSE", str(demo_path))
    monkeypatch.setenv("SEGQ_QUERY_LOG", str(tmp_path / "querylog.sqlite3"))


def test_cli_validate_fails_and_prints_every_error_with_file_and_line(models, capsys, demo_env):
    expected = break_four_files(models)
    assert main(["validate", str(models), "--no-warehouse"]) != 0
    out = capsys.readouterr().out
    for source in expected:
        assert f"{source}: error:" in out
    assert "4 error(s)" in out


def test_cli_validate_passes_on_the_real_models_and_the_demo(capsys, demo_env):
    assert main(["validate", str(MODELS)]) == 0
    out = capsys.readouterr().out
    assert "OK: 8 segments, 6 metrics, 5 dimensions" in out
    assert "dry-run on the warehouse" in out


def test_cli_validate_names_the_stage_that_uses_a_column_the_warehouse_lacks(
    models, capsys, demo_env
):
    path = models / "engaged_users.yml"
    edit(path, "WHERE event_name = 'login'", "WHERE event_nam = 'login'")
    assert main(["validate", str(models)]) != 0
    out = capsys.readouterr().out
    stage = at(path, "SELECT user_id, COUNT(*) AS logins")  # first line of the stage's SQL
    assert f"{stage}: error: Segment `engaged_users` refers to a column" in out
    assert "event_nam" in out


def test_a_declared_column_missing_from_the_live_warehouse_fails_only_the_deep_check(
    models, capsys, demo_env
):
    """The model declares `events.event_source` and a stage uses it; the warehouse has no
    such column, so only qualifying against the live schema can catch it."""
    warehouse_yml, engaged = models / "warehouse.yml", models / "engaged_users.yml"
    edit(
        warehouse_yml,
        "      - {name: event_name, type: VARCHAR}\n",
        "      - {name: event_name, type: VARCHAR}\n      - {name: event_source, type: VARCHAR}\n",
    )
    edit(engaged, "WHERE event_name = 'login'", "WHERE event_source = 'login'")
    assert main(["validate", str(models), "--no-warehouse"]) == 0
    capsys.readouterr()
    assert main(["validate", str(models)]) != 0
    out = capsys.readouterr().out
    assert "Column `events.event_source` is declared but missing from the warehouse" in out
    assert f"{at(engaged, 'SELECT user_id, COUNT(*) AS logins')}: error:" in out


@pytest.mark.parametrize("file, old, new, accepted", [
    ("metrics.yml", "    role: population\n", "    role: populaton\n", "population, buyers"),
    ("warehouse.yml", "    role: geography\n", "    role: geograpy\n", "geography"),
    ("engaged_users.yml", "        role: window\n", "        role: windw\n", "window, threshold"),
])
def test_a_misspelled_role_is_an_error_at_its_line_with_the_accepted_roles(
    models, file, old, new, accepted
):
    path = models / file
    edit(path, old, new)
    typo = new.split(":")[1].strip()
    issue = only([i for i in errors_of(models) if i.rule == "bad-value"])
    assert_at(issue.source, path, f"role: {typo}")
    assert f"role `{typo}`" in issue.message and f"Accepted: {accepted}." in issue.message


def test_a_metric_window_of_zero_days_is_an_error_at_its_line(models):
    path = models / "metrics.yml"
    edit(path, "- {days: 7, synonyms: [wau, waus]}", "- {days: 0, synonyms: [wau, waus]}")
    issue = only([i for i in errors_of(models) if i.rule == "bounds"])
    assert_at(issue.source, path, "{days: 0")
    assert "A window of metric `active_users` has `days: 0`; it must be at least 1." in (
        issue.message)
