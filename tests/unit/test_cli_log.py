"""`segq log` shows the query log to the data team, as text tables or as JSON."""

from __future__ import annotations

import argparse
import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from assistant.answer import Answer, DefinitionUsed, Failure
from assistant.cli import log as log_cli
from assistant.config import Config, load_config
from assistant.querylog import QueryLog

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def engaged(hash: str = "a1b2c3d4e5f6", version: int = 1) -> DefinitionUsed:
    return DefinitionUsed(
        "engaged_users", "segment", version, hash, "semantic_models/engagement.yml:3"
    )


def answer(question: str, status: str = "answered", **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "question": question,
        "status": status,
        "message": "There are 42 engaged users.",
        "plan": {"intent": "count"},
        "sql": "SELECT COUNT(*) AS users FROM users LIMIT 10000",
        "definitions": [engaged()],
        "columns": ["users"],
        "rows": [[42]],
        "row_count": 1,
        "timings_ms": {"plan": 1.0, "total": 12.5},
        "planner": "rules",
        "confidence": 0.9,
    }
    detail = changes.pop("error", None)
    if detail is not None:
        changes["failure"] = Failure("compile", "No governed dimension `planet`.", (), detail)
    values.update(changes)
    return Answer(**values).log_dict()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(environ={"SEGQ_QUERY_LOG": str(tmp_path / "querylog.sqlite3")})


@pytest.fixture
def ids(config: Config) -> dict[str, str]:
    """Three slack answers a day apart (answered, error, clarify), then one eval case."""
    now = [T0]
    log = QueryLog(config.query_log, clock=lambda: now[0])
    recorded = {
        "answered": answer("How many engaged users?"),
        "error": answer(
            "revenue by planet", "error", error="CompileError: no dimension planet", sql=None
        ),
        "clarify": answer("how many at risk users?", "clarify", definitions=[]),
        "eval": answer("How many engaged users?", definitions=[engaged("ffff0000", 2)]),
    }
    for key, item in recorded.items():
        if key == "eval":
            log.record(item, source="eval", eval_run="r1", eval_case="engaged", eval_passed=True)
        else:
            log.record(item, source="slack", user="U1", channel="C1", thread_ts="1.2")
        now[0] += timedelta(days=1)
    log.add_feedback(recorded["answered"]["id"], "up", "U2")
    return {key: item["id"] for key, item in recorded.items()}


@pytest.fixture
def segq(config: Config, capsys: pytest.CaptureFixture[str]):
    """Run `segq log ...` through the module's own `register`, as `assistant.cli` wires it."""

    def run(*argv: str) -> Run:
        parser = argparse.ArgumentParser(prog="segq")
        log_cli.register(parser.add_subparsers(dest="command", required=True))
        args = parser.parse_args(["log", *argv])
        code = args.handler(args, config)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def test_list_json_is_newest_first_with_the_definitions_used(segq, ids) -> None:
    run = segq("list", "--json")

    assert run.code == 0
    listed = run.json()
    assert [a["id"] for a in listed] == [ids["eval"], ids["clarify"], ids["error"], ids["answered"]]
    assert listed[-1]["definitions"][0]["hash"] == "a1b2c3d4e5f6"


def test_list_flags_filter_like_the_query_log_does(segq, ids) -> None:
    def listed(*flags: str) -> list[str]:
        return [a["id"] for a in segq("list", "--json", *flags).json()]

    assert listed("--status", "error") == [ids["error"]]
    assert listed("--source", "eval") == [ids["eval"]]
    assert listed("--user", "U1", "--limit", "1") == [ids["clarify"]]
    assert listed("--definition", "ffff") == [ids["eval"]]
    assert listed("--text", "planet") == [ids["error"]]
    assert listed("--since", "2026-06-03") == [ids["eval"], ids["clarify"]]


def test_list_text_is_a_table_with_aligned_columns(segq, ids) -> None:
    header, *rows = segq("list").out.splitlines()

    status_at = header.index("STATUS")
    assert header.startswith("ID ")
    assert [row[status_at:].split()[0] for row in rows] == [
        "answered",
        "clarify",
        "error",
        "answered",
    ]
    assert rows[0].startswith(ids["eval"])
    assert rows[0].endswith("engaged_users v2")


def test_list_of_an_empty_log_says_so(segq) -> None:
    assert segq("list").out == "No recorded answers match.\n"


def test_show_json_has_sql_plan_definitions_and_feedback(segq, ids) -> None:
    shown = segq("show", ids["answered"], "--json").json()

    assert shown["sql"] == "SELECT COUNT(*) AS users FROM users LIMIT 10000"
    assert shown["plan"] == {"intent": "count"}
    assert shown["definitions"][0]["source"] == "semantic_models/engagement.yml:3"
    assert [(f["user"], f["value"]) for f in shown["feedback"]] == [("U2", "up")]


def test_show_text_of_a_failure_names_its_reason(segq, ids) -> None:
    out = segq("show", ids["error"]).out

    assert "Status:    error (planner rules, confidence 0.90, intent count)" in out
    assert "Error:     compile: CompileError: no dimension planet" in out
    assert (
        "  engaged_users  segment  1        a1b2c3d4e5f6  semantic_models/engagement.yml:3" in out
    )


def test_show_of_an_unknown_id_exits_1_and_says_where_to_find_ids(segq, ids) -> None:
    run = segq("show", "q_doesnotexist")

    assert run.code == 1
    assert run.out == ""
    assert "no answer `q_doesnotexist`" in run.err
    assert "segq log list" in run.err


def test_stats_json_counts_statuses_sources_and_eval_runs(segq, ids) -> None:
    stats = segq("stats", "--json").json()

    assert (stats["total"], stats["people"]) == (4, 3)
    assert stats["by_status"]["error"] == {"count": 1, "rate": 0.25}
    assert stats["by_source"] == {"slack": 3, "eval": 1}
    assert [(q["question"], q["count"]) for q in stats["top_unanswered"]] == [
        ("how many at risk users?", 1),
        ("revenue by planet", 1),
    ]
    assert [(r["eval_run"], r["pass_rate"]) for r in stats["eval_runs"]] == [("r1", 1.0)]


def test_stats_flags_narrow_the_window(segq, ids) -> None:
    stats = segq("stats", "--json", "--source", "slack", "--since", "2026-06-02", "--top", "1")

    assert stats.json()["total"] == 2
    assert len(stats.json()["top_questions"]) == 1


def test_stats_text_shows_rates_and_the_backlog(segq, ids) -> None:
    out = segq("stats").out

    assert "Answers: 4 (source all)" in out
    assert "People's questions (every source but eval): 3" in out  # eval runs apart
    assert "Top unanswered (the backlog for new definitions):" in out
    assert "25.0%" in out
    assert "Eval runs:" in out


def test_export_json_without_a_format_writes_json_lines(segq, ids) -> None:
    out = segq("export", "--json", "--status", "error").out

    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record["id"] == ids["error"]


def test_export_csv_to_a_file_reports_how_many(segq, ids, tmp_path: Path) -> None:
    target = tmp_path / "log.csv"

    run = segq("export", "--format", "csv", "--out", str(target), "--source", "slack")

    assert run.out == f"Exported 3 answers as csv to {target}.\n"
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [r["id"] for r in rows] == [ids["answered"], ids["error"], ids["clarify"]]
    assert rows[0]["feedback_up"] == "1"


def test_export_json_summary_when_writing_a_file(segq, ids, tmp_path: Path) -> None:
    target = tmp_path / "log.jsonl"

    summary = segq("export", "--json", "--out", str(target)).json()

    assert summary == {"exported": 4, "format": "jsonl", "out": str(target)}
    assert len(target.read_text().splitlines()) == 4


def test_history_json_shows_each_hash_of_a_changed_definition(segq, ids) -> None:
    (history,) = segq("history", "engaged_users", "--json").json()

    assert history["changed"] is True
    assert [(v["hash"], v["answers"]) for v in history["versions"]] == [
        ("a1b2c3d4e5f6", 2),
        ("ffff0000", 1),
    ]
    assert history["versions"][1]["answer_ids"] == [ids["eval"]]


def test_history_text_says_how_often_the_hash_changed(segq, ids) -> None:
    out = segq("history").out

    assert out.startswith("engaged_users (segment): hash changed 1 time\n")
    assert "ffff0000" in out


def test_history_of_an_unknown_definition_exits_1_with_a_suggestion(segq, ids) -> None:
    run = segq("history", "engagd_users")

    assert run.code == 1
    assert "Did you mean `engaged_users`?" in run.err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-01", datetime(2026, 6, 1, tzinfo=UTC)),
        ("2026-06-01T09:30", datetime(2026, 6, 1, 9, 30, tzinfo=UTC)),
        ("2026-06-01T09:30+02:00", datetime(2026, 6, 1, 7, 30, tzinfo=UTC)),
    ],
)
def test_since_accepts_iso_dates_and_times(text: str, expected: datetime) -> None:
    assert log_cli.parse_since(text) == expected


def test_since_accepts_an_age_in_hours_days_or_weeks() -> None:
    since = log_cli.parse_since("7d")
    ago = datetime.now(UTC) - since

    assert timedelta(days=7) <= ago < timedelta(days=7, seconds=5)
    assert log_cli.parse_since("2w") < log_cli.parse_since("12h")


def test_since_in_another_shape_is_a_usage_error(segq, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        segq("list", "--since", "last tuesday")

    assert exit_info.value.code == 2
    assert "an age like 7d, 12h or 2w" in capsys.readouterr().err
