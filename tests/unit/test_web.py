"""`segq web` pages over a real query log from a scripted session (tests/workbench_session.py).

Served through Flask's test client (the browser suite, tests/browser/, drives the same pages
in headless Chromium). Expected lists are computed with SQL written here against the log
file, not with the workbench's own queries.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.errors import ConfigError
from assistant.evals import load_cases
from assistant.web import check_binding, create_app
from assistant.web.leftover import leftover_finder
from tests.workbench_session import BOB, Session, llm_stub_server, run_session

AS_OF = date(2026, 6, 30)


@pytest.fixture(scope="module")
def session(demo_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Session:
    with llm_stub_server() as llm:
        return run_session(tmp_path_factory.mktemp("workbench"), demo_path, llm)


@pytest.fixture(scope="module")
def client(session: Session) -> Any:
    app = create_app(session.log_path, models_dir=session.models, as_of=AS_OF,
                     leftover=leftover_finder(session.models, AS_OF))
    return app.test_client()


def sql(session: Session, query: str, *params: Any) -> list[Any]:
    with sqlite3.connect(session.log_path) as conn:
        return [r[0] if len(r) == 1 else r for r in conn.execute(query, params)]


def ids_on(html: str) -> set[str]:
    return set(re.findall(r'class="answer-row">\s*<td><a href="/answers/(q_[0-9a-f]+)"', html))


def text(response: Any) -> str:
    assert response.status_code == 200, response.data[:500]
    return str(response.get_data(as_text=True))


def test_overview_counts_peoples_questions_and_leaves_eval_runs_out(session, client) -> None:
    html = text(client.get("/"))
    people = sql(session, "SELECT count(*) FROM answers WHERE source != 'eval'")[0]
    assert sql(session, "SELECT count(*) FROM answers WHERE source = 'eval'")[0] == 6
    assert re.search(rf'id="total">Questions<b>{people}</b>', html)
    for day, n in sql(session, "SELECT substr(created_at, 1, 10), count(*) FROM answers "
                      "WHERE source != 'eval' GROUP BY 1"):
        assert re.search(rf"<td>{day}</td><td class=\"num\">{n}</td>", html)


@pytest.mark.parametrize("query, where, params", [
    ("status=clarify", "status = 'clarify'", ()),
    (f"user={BOB}", "user = ?", (BOB,)),
    ("source=slack&feedback=down",
     "source = 'slack' AND id IN (SELECT answer_id FROM feedback WHERE value = 'down')", ()),
    ("definition=engaged_users",
     "id IN (SELECT answer_id FROM answer_definitions WHERE name = 'engaged_users')", ()),
    ("planner=llm", "planner = 'llm'", ()),
    ("max_confidence=0.9", "confidence <= 0.9", ()),
])
def test_answer_filters_narrow_the_list_to_exactly_the_matching_answers(
        session, client, query: str, where: str, params: tuple[Any, ...]) -> None:
    everyone = ids_on(text(client.get("/answers")))
    narrowed = ids_on(text(client.get(f"/answers?{query}")))
    expected = set(sql(session, f"SELECT id FROM answers WHERE source != 'eval' AND {where}",
                       *params))
    assert narrowed == expected
    assert expected and narrowed < everyone


def test_backlog_groups_unanswered_questions_by_the_missing_concept(session, client) -> None:
    html = text(client.get("/backlog"))
    rows = re.findall(r'<tr class="concept"><td><b>(.*?)</b></td><td>(.*?)</td>'
                      r'<td class="num">(\d+)</td>', html)
    groups = {concept: (why, int(n)) for concept, why, n in rows}
    assert groups["lifetime value"] == ("no governed definition", 1)
    assert groups["per seat"] == ("words not understood", 1)
    assert groups["flurbles"] == ("words not understood", 1)
    assert groups["at risk"] == ("ambiguous: needs a clarification", 1)
    unanswered = sql(session, "SELECT count(*) FROM answers WHERE source != 'eval' AND "
                     "status IN ('clarify', 'refused', 'error')")[0]
    assert sum(n for _, n in groups.values()) == unanswered


def test_feedback_page_lists_every_thumbs_down_and_what_became_of_clarifications(
        session, client) -> None:
    html = text(client.get("/feedback"))
    downs = sql(session, "SELECT answer_id FROM feedback WHERE value = 'down'")
    assert len(downs) == 3
    table = html.split('id="thumbs-down"')[1].split("</table>")[0]
    assert set(re.findall(r'href="/answers/(q_\w+)"', table)) == set(downs)
    clarifications = html.split('id="clarifications"')[1]
    resolved = session.ids["at_risk_chosen"]
    assert f"resolved by <a href=\"/answers/{resolved}\">" in clarifications
    assert clarifications.count("abandoned") == 2  # per seat (Slack) and flurbles (CLI)


def test_likely_wrong_answers_are_grouped_by_cause(session, client) -> None:
    html = text(client.get("/likely-wrong"))
    sections = dict(re.findall(r'<h2 class="cause">(.*?) \(\d+\)</h2>(.*?)</table>', html, re.S))
    llm_answer, empty = session.ids["llm_orders"], session.ids["empty"]
    for cause in ("dropped time phrase", "low confidence", "leftover words"):
        assert set(re.findall(r'/answers/(q_\w+)"', sections[cause])) == {llm_answer}
    assert "words the rules planner could not place: <b>per seat</b>" in html
    assert set(re.findall(r'/answers/(q_\w+)"', sections["empty result"])) == {empty}


def test_an_answer_page_shows_question_sql_thread_choice_and_definition_diff(
        session, client) -> None:
    chosen = session.ids["at_risk_chosen"]
    html = text(client.get(f"/answers/{chosen}"))
    logged_sql = sql(session, "SELECT sql FROM answers WHERE id = ?", chosen)[0]
    assert "SELECT" in logged_sql
    assert _escaped(logged_sql) in html
    thread = html.split('id="thread"')[1].split("</table>")[0]
    assert session.ids["at_risk_clarify"] in thread and "lifecycle_stage:at_risk" in thread
    # engaged_users (which lifecycle_stage requires) changed after this answer: 3 -> 2 logins.
    diff = html.split('id="diff-engaged_users"')[1].split('class="definition-diff"')[0]
    assert "has changed since this answer" in diff
    assert re.search(r'<span class="del">-\s+default: 3</span>', diff)
    assert re.search(r'<span class="add">\+\s+default: 2</span>', diff)


def test_a_later_answer_names_the_commit_its_definition_version_came_from(session,
                                                                           client) -> None:
    html = text(client.get(f"/answers/{session.ids['engaged_v2']}"))
    diff = html.split('id="diff-engaged_users"')[1]
    assert "This version came from" in diff and "Dana Data" in diff
    assert "default of `min_logins_per_week` changed from 3 to 2" in diff
    assert "Unchanged since this answer" in diff


def test_definition_page_shows_a_change_made_through_a_dependency(session, client) -> None:
    html = text(client.get("/definitions/lifecycle_stage"))
    history = html.split('id="history"')[1]
    first = history.split('<div class="change">')[1]
    assert "through dependency engaged_users" in first and "Dana Data" in first
    assert "default of `min_logins_per_week` changed from 3 to 2" in first
    usage = html.split('id="usage"')[1].split("</table>")[0]
    combos = sql(session, """
        SELECT l.hash, e.version, e.hash, count(*) FROM answer_definitions l
        JOIN answers a ON a.id = l.answer_id AND a.source != 'eval'
        JOIN answer_definitions e ON e.answer_id = l.answer_id AND e.name = 'engaged_users'
        WHERE l.name = 'lifecycle_stage' GROUP BY 1, 2, 3""")
    assert len(combos) == 2  # its own hash once, with engaged_users v1 and with v2
    for own, version, engaged, n in combos:
        assert re.search(rf"<code>{own}</code></td><td>engaged_users v{version} <code>{engaged}"
                         rf"</code></td><td class=\"num\">{n}</td>", usage)


def test_eval_runs_page_shows_pass_rates_and_the_regression_and_fix_between_runs(
        session, client) -> None:
    html = text(client.get("/evals"))
    first, second = session.eval_runs
    assert first in html and second in html
    regressions = html.split('id="regressions"')[1].split("</table>")[0]
    fixes = html.split('id="fixes"')[1].split("</table>")[0]
    assert "<td>weather</td>" in regressions and "engaged-count" not in regressions
    assert "<td>engaged-count</td>" in fixes and "weather" not in fixes


def test_an_answer_downloads_as_an_eval_case_that_segq_eval_loads(session, client,
                                                                   tmp_path: Path) -> None:
    response = client.get(f"/answers/{session.ids['at_risk_clarify']}/eval.yaml")
    assert response.status_code == 200
    (tmp_path / "case.yaml").write_bytes(response.data)
    (case,) = load_cases([tmp_path / "case.yaml"])
    assert case.question == "how many at risk users?" and case.expect == {"status": "clarify"}
    assert yaml.safe_load(response.data)[0]["from_log"]["answer"] == session.ids[
        "at_risk_clarify"]


def test_pages_are_read_only_and_need_no_javascript_or_outside_assets(client) -> None:
    assert client.post("/answers").status_code == 405
    for path in ("/", "/answers", "/backlog", "/feedback", "/likely-wrong", "/definitions",
                 "/evals"):
        html = text(client.get(path))
        assert "<script" not in html
        assert not re.search(r'(src|href)="(https?:)?//', html)


def test_an_unknown_answer_is_a_404(client) -> None:
    assert client.get("/answers/q_000000000000").status_code == 404


def test_binding_beyond_localhost_needs_a_token() -> None:
    assert check_binding("127.0.0.1", None) is None
    with pytest.raises(ConfigError, match="Set a token"):
        check_binding("0.0.0.0", None)
    with pytest.raises(ConfigError, match="at least 16"):
        check_binding("0.0.0.0", "short")
    assert check_binding("0.0.0.0", "a-long-enough-token") == "a-long-enough-token"


def test_with_a_token_every_request_must_carry_it(session) -> None:
    token = "s3cret-token-for-tests"
    client = create_app(session.log_path, models_dir=session.models, token=token).test_client()
    assert client.get("/answers").status_code == 401
    assert client.get("/answers", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/answers", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 200
    first = client.get(f"/answers?token={token}&status=clarify")
    assert first.status_code == 302 and first.headers["Location"] == "/answers?status=clarify"
    assert client.get("/backlog").status_code == 200  # the cookie set by the first visit


def test_segq_web_refuses_an_outside_host_without_a_token(capsys) -> None:
    from assistant.cli import main

    assert main(["web", "--host", "0.0.0.0", "--no-warehouse"]) == 2
    assert "Set a token" in capsys.readouterr().err


def _escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_a_definition_page_counts_members_at_each_month_end(session, demo_path: Path) -> None:
    import duckdb

    from assistant.catalog import load_catalog
    from assistant.changes import member_counts
    from assistant.executor import Warehouse
    from assistant.web.pages import month_ends
    from tests.reference_sql import engaged_users_sql

    catalog, warehouse = load_catalog(session.models), Warehouse(demo_path)
    app = create_app(session.log_path, models_dir=session.models, as_of=AS_OF,
                     counts=lambda n, m, d: member_counts(catalog, warehouse, n, m, d))
    html = text(app.test_client().get("/definitions/engaged_users"))
    table = html.split('id="member-counts"')[1].split("</table>")[0]
    shown = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', table)]
    ends = month_ends(AS_OF, 6)
    assert ends[0] == date(2026, 1, 31) and ends[-1] == AS_OF and len(ends) == 6
    with duckdb.connect(str(demo_path), read_only=True) as conn:
        gold = [conn.execute(f"SELECT count(*) FROM ({engaged_users_sql(d, min_logins_per_week=2)})"
                             ).fetchone()[0] for d in ends]  # the session's v2: 2 a week
    assert shown == gold


def test_an_answer_shows_its_rows_computed_again_from_its_plan(session, demo_path: Path
                                                               ) -> None:
    import duckdb

    from assistant.pipeline import Assistant
    from assistant.plan import QueryPlan
    from tests.reference_sql import lifecycle_stage_sql

    assistant = Assistant(session.config)  # no query log: nothing is written
    app = create_app(session.log_path, models_dir=session.models, as_of=AS_OF,
                     rerun=lambda plan, q: assistant.run_plan(QueryPlan.model_validate(plan),
                                                              question=q))
    client = app.test_client()
    answers_before = sql(session, "SELECT count(*) FROM answers")[0]
    v1 = session.ids["lifecycle_counts"]  # answered with engaged_users v1, since changed
    assert f'href="/answers/{v1}/rows"' in text(client.get(f"/answers/{v1}"))
    html = text(client.get(f"/answers/{v1}/rows"))
    assert "Changed since this answer: engaged_users" in html
    table = html.split('id="rows"')[1].split("</table>")[0]
    shown = dict(re.findall(r"<tr><td>(\w+)</td><td>(\d+)</td></tr>", table))
    with duckdb.connect(str(demo_path), read_only=True) as conn:
        gold = dict(conn.execute(f"SELECT stage, count(*) FROM "
                                 f"({lifecycle_stage_sql(AS_OF, min_logins_per_week=2)}) "
                                 "GROUP BY stage").fetchall())
    assert {k: int(v) for k, v in shown.items()} == gold
    assert sql(session, "SELECT count(*) FROM answers")[0] == answers_before
    assert client.get(f"/answers/{session.ids['ltv']}/rows").status_code == 404  # no plan


def test_each_thumbs_down_lists_what_the_log_says_could_be_behind_it(session, client) -> None:
    html = text(client.get("/feedback"))
    table = html.split('id="thumbs-down"')[1].split("</table>")[0]
    reasons = dict(re.findall(r'href="/answers/(q_\w+)">.*?<td class="reasons">(.*?)</td>',
                              table))
    assert reasons[session.ids["ltv"]] == "no governed definition lifetime value"
    # Asked after engaged_users moved to v2 (which lifecycle_stage requires):
    assert reasons[session.ids["lifecycle_v2"]].startswith("used `engaged_users` v2, new since ")
    assert reasons[session.ids["at_risk_q1"]] == "no sign in the log"
