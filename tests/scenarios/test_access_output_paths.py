"""The email column under a principal without the grant: nothing, on every path out.

World: the demo models plus a dimension `email` over `users.email` (`access: restricted`),
which the access policy grants to the `privacy` group only; `pat` (terminal) and `U0PRIV001`
(Slack) are its members, `ana` and `U0000001` are on the data team without the grant.
SEGQ_ALLOW_PII lets the planner plan personal-data questions, so the access policy alone
decides: each path is checked for the grantless principal and, as the control that shows
the check can fail, for the granted one.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import load_config
from assistant.pipeline import Assistant
from assistant.querylog import QueryLog
from assistant.render import slack as render
from tests.scenarios.test_slack import answered, build_app, click, csv_rows, mention, send_event
from tests.slack_mock import DATA_TEAM_USER, MockSlackApi

MODELS = Path(__file__).resolve().parents[2] / "semantic_models"
QUESTION = "how many engaged users by email?"
EMAIL = "@example.com"  # every demo email is user<id>@example.com
PRIVACY_USER = "U0PRIV001"


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("pii") / "semantic_models"
    shutil.copytree(MODELS, target)
    (target / "pii.yml").write_text(
        "dimensions:\n  - {name: email, table: users, column: email, label: Email, "
        "access: restricted, synonyms: [email, emails]}\n")
    access = target / "access.yml"
    text = access.read_text()
    granted = ("      description: Granted personal data after a privacy review.\n"
               "      members:\n        cli_users: [pat]\n"
               f"        slack_users: [{PRIVACY_USER}]\n")
    access.write_text(text.replace(
        "      description: Granted personal data after a privacy review. No members by "
        "default.\n", granted))
    assert "cli_users: [pat]" in access.read_text()
    return target


@pytest.fixture()
def env(config, models, monkeypatch):
    for key, value in {"SEGQ_WAREHOUSE": config.warehouse, "SEGQ_QUERY_LOG": config.query_log,
                       "SEGQ_SEMANTIC_MODELS": str(models), "SEGQ_ALLOW_PII": "1"}.items():
        monkeypatch.setenv(key, value)
    for key in ("SEGQ_CONFIG", "SEGQ_PLANNER", "OPENAI_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


def run(capsys, env, user: str, *args: str) -> str:
    env.setenv("SEGQ_USER", user)
    main(["ask", QUESTION, *args])
    captured = capsys.readouterr()
    return captured.out + captured.err


def test_terminal_text_has_no_email_without_the_grant(env, capsys) -> None:
    out = run(capsys, env, "ana")
    assert EMAIL not in out
    assert "The dimension `email` is restricted to the `privacy` group" in out
    assert EMAIL in run(capsys, env, "pat"), "the control: the granted user sees emails"


def test_json_has_no_email_without_the_grant(env, capsys) -> None:
    answer = json.loads(run(capsys, env, "ana", "--json"))
    assert answer["status"] == "refused" and answer["failure"]["kind"] == "denied"
    assert EMAIL not in json.dumps(answer) and answer["rows"] == []
    assert EMAIL in run(capsys, env, "pat", "--json")


def test_csv_file_has_no_email_without_the_grant(env, capsys, tmp_path) -> None:
    denied, granted = tmp_path / "ana.csv", tmp_path / "pat.csv"
    run(capsys, env, "ana", "--csv", str(denied))
    run(capsys, env, "pat", "--csv", str(granted))
    assert not denied.exists() or EMAIL not in denied.read_text()
    assert EMAIL in granted.read_text()


@pytest.fixture()
def slack() -> Iterator[MockSlackApi]:
    mock = MockSlackApi().start()
    mock.people[PRIVACY_USER] = "priya@example.org"
    yield mock
    mock.stop()


@pytest.fixture()
def app(config, models, slack):
    settings = load_config(environ={"SEGQ_WAREHOUSE": config.warehouse,
                                    "SEGQ_QUERY_LOG": config.query_log,
                                    "SEGQ_SEMANTIC_MODELS": str(models),
                                    "SEGQ_ALLOW_PII": "1"})
    return build_app(Assistant(settings, query_log=QueryLog(settings.query_log)), slack)


def everything_sent(slack: MockSlackApi) -> str:
    return json.dumps([c.body for c in slack.calls]) + "".join(
        data.decode("utf-8", "replace") for data in slack.uploads.values())


def test_slack_message_csv_file_and_chart_have_no_email_without_the_grant(app, slack) -> None:
    send_event(app, mention(QUESTION, user=DATA_TEAM_USER))
    [reply] = answered(slack)

    assert "The dimension `email` is restricted" in json.dumps(reply.body)
    assert not [b for b in reply.body["blocks"] if b["type"] == "actions"
                and any(e["action_id"].startswith(render.DOWNLOAD_CSV) for e in b["elements"])]
    assert slack.calls_to("files.completeUploadExternal") == []  # no CSV, no chart
    assert EMAIL not in everything_sent(slack)


def test_the_granted_slack_user_gets_emails_in_the_message_and_the_csv(app, slack) -> None:
    send_event(app, mention(QUESTION, user=PRIVACY_USER))
    [reply] = answered(slack)
    assert EMAIL in json.dumps(reply.body)

    click(app, reply, render.DOWNLOAD_CSV, user=PRIVACY_USER, slack=slack)
    done = slack.wait_for("files.completeUploadExternal")[0]
    header, *rows = csv_rows(slack.upload_of(done))
    assert header[0] == "email" and rows and EMAIL in rows[0][0]


def test_the_granted_answers_csv_clicked_by_someone_without_the_grant_has_no_email(
        app, slack) -> None:
    send_event(app, mention(QUESTION, user=PRIVACY_USER))
    [reply] = answered(slack)

    click(app, reply, render.DOWNLOAD_CSV, user=DATA_TEAM_USER, slack=slack)
    slack.wait_for("chat.postMessage", 2)

    uploads = slack.calls_to("files.completeUploadExternal")
    assert uploads == [] or all(EMAIL not in slack.upload_of(u).decode() for u in uploads)
    assert "The dimension `email` is restricted" in json.dumps(
        slack.calls_to("chat.postMessage")[-1].body)
