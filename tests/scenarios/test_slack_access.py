"""Who may see what, through the real Bolt app: signed requests in, a local Web API out.

Slack identity comes from users.info and usergroups.list on `MockSlackApi`; the demo access
policy (semantic_models/access.yml) maps Slack user groups to access groups:

    U0EMEA001  in `cs-emea`      -> cs_emea: churn risk, rows of GB, DE, FR, NL only
    U0AMER001  in `cs-americas`  -> cs_americas: churn risk, rows of US, CA, BR only
    U0FINA001  in `finance`      -> finance: revenue and RFM, every row, no churn risk
    U0NOBODY1  in no group       -> everyone (the default): neither churn risk nor revenue

Answers are checked against SQL written here over the raw demo tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App

from assistant.config import load_config
from assistant.pipeline import Assistant
from assistant.querylog import QueryLog
from assistant.render import slack as render
from tests.scenarios.test_slack import (
    answered,
    build_app,
    buttons,
    click,
    csv_rows,
    mention,
    send_event,
    text_of,
)
from tests.slack_mock import MockSlackApi

MODELS = Path(__file__).resolve().parents[2] / "semantic_models"
EMEA, AMERICAS, FINANCE, NOBODY = "U0EMEA001", "U0AMER001", "U0FINA001", "U0NOBODY1"
REGIONS = {EMEA: ("GB", "DE", "FR", "NL"), AMERICAS: ("US", "CA", "BR")}
HIGH_CHURN = "how many users are at high churn risk?"
HIGH_CHURN_SQL = """
    SELECT COUNT(*) FROM users u
    JOIN (SELECT user_id, MAX(CAST(event_at AS DATE)) AS last_day FROM events
          WHERE CAST(event_at AS DATE) <= DATE '2026-06-30' GROUP BY user_id) e
      ON e.user_id = u.user_id
    WHERE DATE '2026-06-30' - e.last_day >= 14
      AND CAST(u.signup_at AS DATE) <= DATE '2026-06-30'
      AND u.country IN ({countries})
"""


@pytest.fixture(autouse=True)
def _no_slack_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def assistant(demo_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    log_path = tmp_path_factory.mktemp("slack_access") / "querylog.sqlite3"
    config = load_config(environ={"SEGQ_WAREHOUSE": str(demo_path),
                                  "SEGQ_SEMANTIC_MODELS": str(MODELS),
                                  "SEGQ_QUERY_LOG": str(log_path)})
    return Assistant(config, query_log=QueryLog(config.query_log))


@pytest.fixture()
def slack() -> Iterator[MockSlackApi]:
    mock = MockSlackApi().start()
    mock.people.update({EMEA: "emma@example.org", AMERICAS: "alex@example.org",
                        FINANCE: "fin@example.org", NOBODY: "nobody@example.org"})
    mock.usergroups += [
        {"id": "S0EMEA", "handle": "cs-emea", "users": [EMEA]},
        {"id": "S0AMER", "handle": "cs-americas", "users": [AMERICAS]},
        {"id": "S0FINA", "handle": "finance", "users": [FINANCE]},
    ]
    yield mock
    mock.stop()


@pytest.fixture()
def app(assistant: Assistant, slack: MockSlackApi) -> App:
    return build_app(assistant, slack)


def ask(app: App, slack: MockSlackApi, user: str, question: str) -> Any:
    before = len(slack.calls_to("chat.postMessage"))
    send_event(app, mention(question, user=user))
    replies = answered(slack, len(slack.calls_to("reactions.remove")) + 1)
    assert len(replies) == before + 1
    return replies[-1]


def count_in(assistant: Assistant, countries: tuple[str, ...]) -> int:
    listed = ", ".join(f"'{c}'" for c in countries)
    return assistant.warehouse.execute(HIGH_CHURN_SQL.format(countries=listed)).rows[0][0]


def logged(assistant: Assistant, reply: Any) -> dict[str, Any]:
    answer_id = json.loads(buttons(reply)[0]["value"])["id"] if buttons(reply) else None
    records = assistant.query_log.list(limit=1) if answer_id is None else [
        assistant.query_log.get(answer_id)]
    assert records and records[0] is not None
    return records[0]


def test_two_cs_users_get_their_own_regions_count_of_high_churn_risk(app, slack, assistant):
    emea = ask(app, slack, EMEA, HIGH_CHURN)
    americas = ask(app, slack, AMERICAS, HIGH_CHURN)

    expected_emea, expected_americas = count_in(assistant, REGIONS[EMEA]), count_in(
        assistant, REGIONS[AMERICAS])
    assert expected_emea != expected_americas
    assert f"There are {expected_emea:,} users" in text_of(emea)
    assert f"There are {expected_americas:,} users" in text_of(americas)
    record = logged(assistant, emea)
    assert (record["principal"], record["groups"]) == (f"slack:{EMEA}", ["cs_emea"])
    assert "users.country IN ('GB', 'DE', 'FR', 'NL')" in record["sql"]


def test_a_user_in_no_group_is_refused_in_words_and_the_refusal_is_logged(app, slack,
                                                                         assistant):
    reply = ask(app, slack, NOBODY, HIGH_CHURN)

    text = text_of(reply)
    assert "The segment `churn_risk` is restricted to" in text
    assert "`cs_emea`" in text and "you are in `everyone`" in text
    assert "Ask the data team (#data-help) for access" in text
    assert "There are" not in text
    record = assistant.query_log.list(limit=1)[0]
    assert (record["status"], record["principal"], record["groups"]) == (
        "refused", f"slack:{NOBODY}", ["everyone"])
    assert record["error"].startswith("denied(access: segment churn_risk)")


def test_finance_sees_revenue_and_cs_is_refused_it(app, slack, assistant):
    finance = ask(app, slack, FINANCE, "what was revenue in Q1?")
    cs = ask(app, slack, EMEA, "what was revenue in Q1?")

    total = assistant.warehouse.execute(
        "SELECT SUM(amount) FROM orders WHERE status = 'completed' AND "
        "CAST(ordered_at AS DATE) BETWEEN DATE '2026-01-01' AND DATE '2026-03-31'").rows[0][0]
    assert f"{total:,.2f}" in text_of(finance)
    assert "The metric `revenue` is restricted to the `data_team`, `finance` groups" in (
        text_of(cs))


def choices(reply: Any) -> set[str]:
    return {json.loads(b["value"]).get("choice", "") for b in buttons(reply)
            if b["action_id"].startswith(render.CLARIFY_CHOICE)}


def test_clarification_buttons_offer_only_what_each_user_may_see(app, slack):
    emea = ask(app, slack, EMEA, "how many at risk users?")
    finance = ask(app, slack, FINANCE, "how many at risk users?")

    assert {c.split(":")[0] for c in choices(emea)} == {"churn_risk", "lifecycle_stage"}
    assert {c.split(":")[0] for c in choices(finance)} == {"lifecycle_stage", "rfm_segment"}
    assert "rfm" not in json.dumps(emea.body).lower()
    assert "churn" not in json.dumps(finance.body).lower()


def test_a_clarification_choice_clicked_by_someone_else_is_answered_for_them(app, slack,
                                                                            assistant):
    emea = ask(app, slack, EMEA, "how many at risk users?")
    churn = next(b for b in buttons(emea) if "churn_risk" in b["value"])
    emea.body["blocks"] = [{"type": "actions", "block_id": "b",
                            "elements": [churn]}]  # press exactly the churn risk button

    click(app, emea, render.CLARIFY_CHOICE, user=NOBODY, slack=slack)
    slack.wait_for("chat.postMessage", 2)

    reply = slack.calls_to("chat.postMessage")[-1]
    assert "The segment `churn_risk` is restricted to" in text_of(reply)


def test_the_csv_of_an_answer_holds_only_the_clickers_rows(app, slack):
    emea = ask(app, slack, EMEA, "list the users at high churn risk")
    country = None

    click(app, emea, render.DOWNLOAD_CSV, slack=slack, user=EMEA)
    done = slack.wait_for("files.completeUploadExternal")[0]
    header, *rows = csv_rows(slack.upload_of(done))
    country = header.index("country")
    assert rows and {r[country] for r in rows} <= set(REGIONS[EMEA])
    assert "email" not in header and "@example.com" not in slack.upload_of(done).decode()

    click(app, emea, render.DOWNLOAD_CSV, slack=slack, user=AMERICAS)
    done = slack.wait_for("files.completeUploadExternal", 2)[1]
    header, *rows = csv_rows(slack.upload_of(done))
    assert rows and {r[header.index("country")] for r in rows} <= set(REGIONS[AMERICAS])


def test_personal_data_is_refused_to_everyone_without_the_grant(app, slack):
    for user in (EMEA, FINANCE, NOBODY, "U0000001"):
        reply = ask(app, slack, user, "list engaged users with their email addresses")
        assert "restricted column" in text_of(reply)
    everything = json.dumps([c.body for c in slack.calls]) + "".join(
        v.decode("utf-8", "replace") for v in slack.uploads.values())
    assert "@example.com" not in everything
    assert slack.calls_to("files.completeUploadExternal") == []
