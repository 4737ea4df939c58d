"""The query log records whom each answer was computed for; `segq log` filters by it.

World: the demo catalog and access policy; three questions asked by a terminal user (the
data team), a CS user in Europe and a Slack user in no group.
"""

from __future__ import annotations

import json

import pytest

from assistant.access.models import Identity
from assistant.cli import main
from assistant.pipeline import Assistant
from assistant.querylog import QueryLog

QUESTION = "how many users are at high churn risk?"


@pytest.fixture()
def ids(config) -> dict[str, str]:
    assistant = Assistant(config.replace(cli_user="ana"), query_log=QueryLog(config.query_log))
    asked = {
        "cli": assistant.ask(QUESTION, source="cli"),
        "emea": assistant.ask(QUESTION, source="slack", user="U0EMEA001",
                              identity=Identity("slack", "U0EMEA001",
                                                slack_groups=("cs-emea",))),
        "nobody": assistant.ask(QUESTION, source="slack", user="U0NOBODY1"),
    }
    assert [a.status for a in asked.values()] == ["answered", "answered", "refused"]
    return {k: a.id for k, a in asked.items()}


def listed(capsys, *flags: str) -> list[str]:
    assert main(["log", "list", "--json", *flags]) == 0
    return [a["id"] for a in json.loads(capsys.readouterr().out)]


@pytest.fixture()
def env(config, monkeypatch):
    monkeypatch.setenv("SEGQ_QUERY_LOG", config.query_log)
    monkeypatch.delenv("SEGQ_CONFIG", raising=False)


def test_every_answer_records_its_principal_and_groups(config, ids) -> None:
    log = QueryLog(config.query_log)
    recorded = {k: log.get(i) for k, i in ids.items()}
    assert {k: (r["principal"], r["groups"]) for k, r in recorded.items() if r} == {
        "cli": ("cli:ana", ["data_team"]),
        "emea": ("slack:U0EMEA001", ["cs_emea"]),
        "nobody": ("slack:U0NOBODY1", ["everyone"]),
    }


def test_log_list_filters_by_group(env, ids, capsys) -> None:
    assert listed(capsys, "--group", "cs_emea") == [ids["emea"]]
    assert listed(capsys, "--group", "everyone", "--status", "refused") == [ids["nobody"]]
    assert listed(capsys, "--group", "finance") == []


def test_log_list_filters_by_slack_user_or_cli_user(env, ids, capsys) -> None:
    assert listed(capsys, "--user", "U0EMEA001") == [ids["emea"]]
    assert listed(capsys, "--user", "ana") == [ids["cli"]]
    assert listed(capsys, "--user", "cli:ana") == [ids["cli"]]


def test_log_show_names_the_principal(env, ids, capsys) -> None:
    assert main(["log", "show", ids["nobody"]]) == 0
    out = capsys.readouterr().out
    assert "Principal: slack:U0NOBODY1 (groups everyone)" in out
    assert "Error:     denied(access: segment churn_risk)" in out
