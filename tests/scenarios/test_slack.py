"""Question in Slack -> answer in the thread, end to end, with Slack itself faked at the wire.

The real Bolt app (`create_app`) runs against the real pipeline on the 3,000-user demo. Slack
requests are signed like Slack signs them and go through `app.dispatch` (and once through
Bolt's own HTTP server); the app's Web API calls land on `MockSlackApi`, which records them.
Work happens in Bolt's worker threads after the ack, so tests wait for the recorded calls.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest
from slack_bolt.app.app import SlackAppDevelopmentServer
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from assistant.answer import Answer, DefinitionUsed
from assistant.config import load_config
from assistant.definitions import definition_text
from assistant.pipeline import Assistant
from assistant.querylog import QueryLog
from assistant.render import slack as render
from assistant.slack_app import HOURGLASS, create_app
from tests.slack_mock import BOT_USER_ID, TEAM_ID, Call, MockSlackApi

SECRET = "test-signing-secret"
MODELS = Path(__file__).resolve().parents[2] / "semantic_models"
CHANNEL, USER = "C0000001", "U0000001"
AT_RISK_Q1 = "show me users in the at-risk lifecycle stage who signed up in Q1"
ENGAGED = "how many engaged users do we have?"
_ts = iter(range(1, 1_000_000))


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_slack_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def assistant(demo_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    log_path = tmp_path_factory.mktemp("slack") / "querylog.sqlite3"
    config = load_config(
        environ={
            "SEGQ_WAREHOUSE": str(demo_path),
            "SEGQ_SEMANTIC_MODELS": str(MODELS),
            "SEGQ_QUERY_LOG": str(log_path),
        }
    )
    return Assistant(config, query_log=QueryLog(config.query_log))


@pytest.fixture()
def slack() -> Iterator[MockSlackApi]:
    mock = MockSlackApi().start()
    yield mock
    mock.stop()


def build_app(assistant: Any, slack: MockSlackApi, **options: Any) -> App:
    client = WebClient(token="xoxb-test", base_url=slack.url + "/")
    return create_app(
        assistant, client=client, signing_secret=SECRET, token_verification_enabled=False, **options
    )


@pytest.fixture()
def app(assistant: Assistant, slack: MockSlackApi) -> App:
    return build_app(assistant, slack)


# -- Slack's side of the wire --------------------------------------------------------------------


def signed(
    body: str,
    content_type: str,
    *,
    age: int = 0,
    secret: str = SECRET,
    headers: dict[str, str] | None = None,
) -> BoltRequest:
    timestamp = str(int(time.time()) - age)
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    all_headers = {
        "content-type": [content_type],
        "x-slack-request-timestamp": [timestamp],
        "x-slack-signature": [signature],
    }
    all_headers.update({k.lower(): [v] for k, v in (headers or {}).items()})
    return BoltRequest(body=body, headers=all_headers)


def new_ts() -> str:
    return f"1700000000.{next(_ts):06d}"


def mention(
    text: str,
    *,
    ts: str | None = None,
    thread_ts: str | None = None,
    user: str = USER,
    channel: str = CHANNEL,
) -> dict[str, Any]:
    event = {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": ts or new_ts(),
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def direct_message(text: str, *, ts: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "user": USER,
        "text": text,
        "ts": ts or new_ts(),
        "channel": "D0000001",
        **extra,
    }


def event_body(event: dict[str, Any], event_id: str | None = None) -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "api_app_id": "A0000001",
            "type": "event_callback",
            "event": event,
            "event_id": event_id or f"Ev{next(_ts):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }
    )


def send_event(
    app: App,
    event: dict[str, Any],
    event_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    request = signed(event_body(event, event_id), "application/json", headers=headers)
    return app.dispatch(request)


def click(
    app: App, posted: Call, action_id: str, *, user: str = USER, slack: MockSlackApi | None = None
) -> Any:
    """Press the button whose action_id starts with `action_id` on a posted message."""
    button, block_id = _button(posted, action_id)
    ts = posted.response["ts"]
    thread_ts = posted.body.get("thread_ts")
    channel = posted.body["channel"]
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "test"},
        "user": {"id": user, "username": "someone", "team_id": TEAM_ID},
        "api_app_id": "A0000001",
        "token": "legacy",
        "container": {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": False,
            **({"thread_ts": thread_ts} if thread_ts else {}),
        },
        "trigger_id": "1.2.3",
        "channel": {"id": channel, "name": "analytics"},
        "message": {
            "type": "message",
            "ts": ts,
            "text": posted.body.get("text"),
            "blocks": posted.body.get("blocks"),
            "user": BOT_USER_ID,
            **({"thread_ts": thread_ts} if thread_ts else {}),
        },
        "response_url": f"{slack.url if slack else 'http://127.0.0.1:9'}/respond",
        "actions": [
            {
                "type": "button",
                "action_id": button["action_id"],
                "block_id": block_id,
                "value": button["value"],
                "text": button["text"],
                "action_ts": str(time.time()),
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)})
    return app.dispatch(signed(body, "application/x-www-form-urlencoded"))


def _button(posted: Call, action_id: str) -> tuple[dict[str, Any], str]:
    for block in posted.body.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("type") == "button" and element["action_id"].startswith(action_id):
                return element, block["block_id"]
    raise AssertionError(f"no button {action_id!r} in {posted.body.get('blocks')}")


def buttons(posted: Call) -> list[dict[str, Any]]:
    return [
        e for b in posted.body.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]
    ]


def text_of(posted: Call) -> str:
    """All visible mrkdwn of a posted message, with Slack's escaping undone."""
    parts = []
    for block in posted.body.get("blocks") or []:
        if block.get("text"):
            parts.append(block["text"]["text"])
        for element in block.get("elements") or []:
            if element.get("type") == "mrkdwn":
                parts.append(element["text"])
    text = "\n".join(parts)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def code_of(posted: Call, language: str = "") -> str:
    """The code a message shows, joined across the code blocks it was split into."""
    fence = f"```{language}\n"
    chunks = [b["text"]["text"] for b in posted.body["blocks"] if b.get("text")]
    code = "\n".join(
        c.removeprefix(fence).removesuffix("\n```") for c in chunks if c.startswith(fence)
    )
    return code.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def answer_id_of(posted: Call) -> str:
    return render.read_button_value(buttons(posted)[0]["value"])["id"]


def answered(slack: MockSlackApi, count: int = 1, timeout: float = 20.0) -> list[Call]:
    """Wait until `count` questions finished (their hourglass came off); their replies."""
    slack.wait_for("reactions.remove", count, timeout=timeout)
    return slack.calls_to("chat.postMessage")


def settle(seconds: float = 0.4) -> None:
    """Give a wrongly started second answer the time to show up before asserting none did."""
    time.sleep(seconds)


def table_of(posted: Call) -> list[list[str]]:
    """The cells of a posted message's Slack `table` block, header row first."""
    [table] = [b for b in posted.body.get("blocks") or [] if b["type"] == "table"]
    return [[cell["text"] for cell in row] for row in table["rows"]]


def csv_comment(data: bytes) -> list[str]:
    """The provenance lines (starting with "# ") at the top of an uploaded CSV."""
    return [line for line in data.decode("utf-8").splitlines() if line.startswith("# ")]


def csv_rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("# "))
    return list(csv.reader(io.StringIO(body)))


def as_csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def same_cell(cell: str, value: Any) -> bool:
    if isinstance(value, float | Decimal) and not isinstance(value, bool):
        return cell != "" and Decimal(cell) == Decimal(str(value))
    return cell == as_csv_cell(value)


# -- questions ---------------------------------------------------------------------------------


def test_mention_is_answered_in_its_thread_with_sentence_rows_and_definition(
    app: App, slack: MockSlackApi, assistant: Assistant
) -> None:
    expected = assistant.ask(AT_RISK_Q1, source="eval")
    event = mention(AT_RISK_Q1)

    response = send_event(app, event)

    assert response.status == 200
    [reply] = answered(slack)
    assert reply.body["channel"] == CHANNEL and reply.body["thread_ts"] == event["ts"]
    text = text_of(reply)
    assert expected.message in text
    header, *shown = table_of(reply)
    assert header[0] == "User id"
    assert [row[0] for row in shown] == [str(row[0]) for row in expected.rows[: render.TABLE_ROWS]]
    assert f"first {render.TABLE_ROWS} of {expected.row_count} rows" in text
    assert "As of 30 Jun 2026" in text
    assert "*At risk (Lifecycle stage)*: activated users inactive 14–29 days" in text
    assert "`lifecycle_stage` (member `at_risk`) v1" in text
    assert "hash `" in text and "lifecycle_stage.yml:" in text
    assert reply.headers["Authorization"] == "Bearer xoxb-test"
    [added] = slack.calls_to("reactions.add")
    [removed] = slack.calls_to("reactions.remove")
    for call in (added, removed):
        assert (call.body["channel"], call.body["timestamp"], call.body["name"]) == (
            CHANNEL,
            event["ts"],
            HOURGLASS,
        )
    logged = assistant.query_log.get(answer_id_of(reply))
    assert logged is not None
    assert (logged["source"], logged["user"], logged["channel"], logged["thread_ts"]) == (
        "slack",
        USER,
        CHANNEL,
        event["ts"],
    )


def test_mention_inside_a_thread_is_answered_in_that_thread(app: App, slack: MockSlackApi) -> None:
    root = new_ts()
    send_event(app, mention(ENGAGED, thread_ts=root))
    [reply] = answered(slack)
    assert reply.body["thread_ts"] == root


def test_direct_message_is_answered_once_and_bot_or_edited_messages_are_ignored(
    app: App, slack: MockSlackApi, assistant: Assistant
) -> None:
    expected = assistant.ask(ENGAGED, source="eval")
    dm = direct_message(ENGAGED)
    send_event(app, direct_message("I am a bot", bot_id="B999"))
    send_event(app, direct_message(ENGAGED, subtype="message_changed"))
    send_event(app, dm)
    # A mention in the DM arrives a second time as app_mention: same message, one answer.
    send_event(app, {**mention(ENGAGED, ts=dm["ts"]), "channel": dm["channel"]})

    [reply] = answered(slack)
    settle()
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert reply.body["channel"] == dm["channel"] and reply.body["thread_ts"] == dm["ts"]
    assert expected.message in text_of(reply)


def test_slash_command_acks_at_once_with_working_text_then_answers_in_channel(
    app: App, slack: MockSlackApi, assistant: Assistant
) -> None:
    expected = assistant.ask(ENGAGED, source="eval")
    body = urlencode(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "channel_id": CHANNEL,
            "user_id": USER,
            "command": "/segment",
            "text": ENGAGED,
            "trigger_id": "1.2.3",
            "response_url": f"{slack.url}/respond",
            "api_app_id": "A0000001",
        }
    )
    started = time.perf_counter()
    response = app.dispatch(signed(body, "application/x-www-form-urlencoded"))
    acked_in = time.perf_counter() - started

    assert response.status == 200
    assert response.body == f"Working on: {ENGAGED}"
    assert acked_in < 1.0
    [reply] = slack.wait_for("chat.postMessage")
    assert reply.body["channel"] == CHANNEL and "thread_ts" not in reply.body
    assert f"<@{USER}> asked: {ENGAGED}" in text_of(reply)
    assert expected.message in text_of(reply)


def test_faas_mode_acks_before_the_answer_is_ready(
    assistant: Assistant, slack: MockSlackApi
) -> None:
    app = build_app(assistant, slack, process_before_response=True)
    event = mention("cohort retention matrix")  # the slowest reply: it draws a chart
    started = time.perf_counter()
    response = send_event(app, event)
    acked_in = time.perf_counter() - started

    assert response.status == 200 and acked_in < 1.0
    [reply] = answered(slack)
    assert reply.body["thread_ts"] == event["ts"]


# -- buttons -----------------------------------------------------------------------------------


def test_show_sql_button_posts_the_answer_sql_in_the_thread(
    app: App, slack: MockSlackApi, assistant: Assistant
) -> None:
    event = mention(AT_RISK_Q1)
    send_event(app, event)
    [reply] = answered(slack)

    click(app, reply, render.SHOW_SQL, slack=slack)

    shown = slack.wait_for("chat.postMessage", 2)[1]
    assert shown.body["thread_ts"] == event["ts"]
    assert code_of(shown, "sql") == assistant.query_log.get(answer_id_of(reply))["sql"]


def test_show_definition_button_posts_the_governed_yaml(
    app: App, slack: MockSlackApi, assistant: Assistant
) -> None:
    send_event(app, mention(AT_RISK_Q1))
    [reply] = answered(slack)

    click(app, reply, render.SHOW_DEFINITION, slack=slack)

    shown = slack.wait_for("chat.postMessage", 2)[1]
    assert "Governed definition `lifecycle_stage` v1" in text_of(shown)
    yaml_text = code_of(shown)
    assert "name: lifecycle_stage" in yaml_text
    assert yaml_text == definition_text(assistant.catalog, "lifecycle_stage")


def test_download_csv_uploads_every_row_of_the_answer(
    app: App, slack: MockSlackApi, assistant: Assistant
) -> None:
    expected = assistant.ask("list churned users", source="eval")
    event = mention("list churned users")
    send_event(app, event)
    [reply] = answered(slack)
    assert expected.row_count > render.TABLE_ROWS

    click(app, reply, render.DOWNLOAD_CSV, slack=slack)

    [done] = slack.wait_for("files.completeUploadExternal")
    assert done.body["channel_id"] == CHANNEL and done.body["thread_ts"] == event["ts"]
    [url_call] = slack.calls_to("files.getUploadURLExternal")
    reference = answer_id_of(reply)
    assert url_call.body["filename"] == (
        f"users-in-lifecycle-stage-churned_as-of-2026-06-30_{reference}.csv"
    )
    comment = csv_comment(slack.upload_of(done))
    assert comment[0] == f"# segq answer {reference}: A list of users in Lifecycle stage Churned"
    assert "# as of 30 Jun 2026" in comment
    used = assistant.query_log.get(reference)["definitions"][0]
    assert any(
        line.startswith(f"# definition lifecycle_stage (member churned) v1, hash {used['hash']}")
        for line in comment
    )
    assert "# filters: none" in comment and "# question: list churned users" in comment
    assert "as of 30 Jun 2026" in done.body["initial_comment"]
    header, *rows = csv_rows(slack.upload_of(done))
    assert header == expected.columns
    assert len(rows) == expected.row_count
    assert all(
        same_cell(c, v)
        for row, want in zip(rows, expected.rows, strict=True)
        for c, v in zip(row, want, strict=True)
    )


def test_download_csv_of_a_5000_row_result_matches_the_query(
    slack: MockSlackApi, assistant: Assistant
) -> None:
    sql = "SELECT event_id, user_id, event_at, event_name FROM events ORDER BY event_id LIMIT 5000"
    query = assistant.warehouse.execute(sql)
    columns, result = query.columns, [list(r) for r in query.rows]

    class FiveThousandRows(_Wrapper):
        def ask(self, question: str, **where: Any) -> Answer:
            return self._logged(
                Answer(
                    question,
                    "answered",
                    f"{len(result):,} events.",
                    plan={"intent": "list"},
                    sql=sql,
                    columns=columns,
                    rows=result,
                    row_count=len(result),
                ),
                where,
            )

    app = build_app(FiveThousandRows(assistant), slack)
    send_event(app, mention("the first 5000 events"))
    [reply] = answered(slack)
    assert "first 20 of 5,000 rows" in text_of(reply)

    click(app, reply, render.DOWNLOAD_CSV, slack=slack)

    [done] = slack.wait_for("files.completeUploadExternal")
    header, *rows = csv_rows(slack.upload_of(done))
    assert header == columns and len(rows) == 5000
    assert rows == [[as_csv_cell(v) for v in row] for row in result]


def test_download_csv_after_the_answer_left_memory_reruns_its_logged_plan(
    slack: MockSlackApi, assistant: Assistant
) -> None:
    app = build_app(assistant, slack, recent_answers=1)
    send_event(app, mention("list churned users"))
    [first] = answered(slack)
    send_event(app, mention(ENGAGED))  # pushes the first answer out of memory
    answered(slack, 2)

    click(app, first, render.DOWNLOAD_CSV, slack=slack)

    [done] = slack.wait_for("files.completeUploadExternal")
    header, *rows = csv_rows(slack.upload_of(done))
    expected = assistant.ask("list churned users", source="eval")
    assert len(rows) == expected.row_count
    assert f"answer `{answer_id_of(first)}` had left my memory" in done.body["initial_comment"]


def test_feedback_buttons_record_each_vote_in_the_query_log(
    app: App, slack: MockSlackApi, assistant: Assistant
) -> None:
    send_event(app, mention(ENGAGED))
    [reply] = answered(slack)

    click(app, reply, render.FEEDBACK_UP, user="U0000001", slack=slack)
    click(app, reply, render.FEEDBACK_DOWN, user="U0000002", slack=slack)

    thanks = slack.wait_for("chat.postEphemeral", 2)
    votes = assistant.query_log.get(answer_id_of(reply))["feedback"]
    assert sorted((v["user"], v["value"]) for v in votes) == [
        ("U0000001", "up"),
        ("U0000002", "down"),
    ]
    assert {t.body["user"] for t in thanks} == {"U0000001", "U0000002"}
    assert all(answer_id_of(reply) in t.body["text"] for t in thanks)


def test_clarification_buttons_answer_with_the_chosen_definition(
    app: App, slack: MockSlackApi, assistant: Assistant
) -> None:
    question = "how many at risk users?"
    event = mention(question)
    send_event(app, event)
    [clarify] = answered(slack)
    choices = [render.read_button_value(b["value"])["choice"] for b in buttons(clarify)]
    assert {"lifecycle_stage:at_risk", "rfm_segment:at_risk"} <= set(choices)
    expected = assistant.ask(question, source="eval", choice="lifecycle_stage:at_risk")

    button = next(b for b in buttons(clarify) if "lifecycle_stage:at_risk" in b["value"])
    click(app, clarify, button["action_id"], slack=slack)

    reply = slack.wait_for("chat.postMessage", 2)[1]
    assert reply.body["thread_ts"] == event["ts"]
    assert expected.status == "answered" and expected.message in text_of(reply)
    assert "`lifecycle_stage` (member `at_risk`)" in text_of(reply)
    [closed] = slack.wait_for("chat.update")
    assert closed.body["ts"] == clarify.response["ts"]
    assert not [b for b in closed.body["blocks"] if b["type"] == "actions"]


def test_chart_is_uploaded_for_the_cohort_retention_matrix(app: App, slack: MockSlackApi) -> None:
    event = mention("cohort retention matrix")
    send_event(app, event)
    [done] = slack.wait_for("files.completeUploadExternal")
    assert done.body["thread_ts"] == event["ts"]
    assert slack.upload_of(done).startswith(b"\x89PNG")
    [url_call] = slack.calls_to("files.getUploadURLExternal")
    assert url_call.body["filename"].startswith("cohort-retention-for-")
    assert "_as-of-2026-06-30_q_" in url_call.body["filename"]
    assert done.body["files"][0]["title"].endswith("(as of 30 Jun 2026)")


# -- delivery and safety -----------------------------------------------------------------------


def test_bad_signature_is_refused_and_nothing_is_posted(app: App, slack: MockSlackApi) -> None:
    request = signed(event_body(mention(ENGAGED)), "application/json", secret="wrong")
    assert app.dispatch(request).status == 401
    settle()
    assert slack.calls_to("chat.postMessage") == []


def test_request_older_than_five_minutes_is_refused(app: App, slack: MockSlackApi) -> None:
    request = signed(event_body(mention(ENGAGED)), "application/json", age=301)
    assert app.dispatch(request).status == 401
    settle()
    assert slack.calls_to("chat.postMessage") == []


def test_retried_event_is_answered_once(app: App, slack: MockSlackApi) -> None:
    event = mention(ENGAGED)
    send_event(app, event, "EvSAME")
    for reason in ("http_timeout", "http_error"):
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": reason}
        assert send_event(app, event, "EvSAME", headers=retry).status == 200
    answered(slack)
    settle()
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_retry_of_an_event_that_never_arrived_is_answered(app: App, slack: MockSlackApi) -> None:
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "connection_failed"}
    send_event(app, mention(ENGAGED), "EvLOST", headers=retry)
    answered(slack)
    settle()
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_socket_mode_retry_headers_are_honoured_too(
    assistant: Assistant, slack: MockSlackApi
) -> None:
    client = WebClient(token="xoxb-test", base_url=slack.url + "/")
    app = create_app(assistant, client=client, token_verification_enabled=False)
    body = json.loads(event_body(mention(ENGAGED), "EvSOCKET"))
    app.dispatch(BoltRequest(body=body, mode="socket_mode"))
    app.dispatch(
        BoltRequest(
            body=body,
            mode="socket_mode",
            headers={"x-slack-retry-num": "1", "x-slack-retry-reason": "timeout"},
        )
    )
    answered(slack)
    settle()
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_twenty_questions_at_once_are_each_answered_once_in_their_own_thread(
    app: App, slack: MockSlackApi
) -> None:
    questions = [
        ENGAGED,
        "list churned users",
        "how many at risk users?",
        "what's the weather in Paris?",
        AT_RISK_Q1,
    ] * 4
    events = [mention(q) for q in questions]
    threads = [threading.Thread(target=send_event, args=(app, e)) for e in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    answered(slack, 20)
    settle()
    replies = slack.calls_to("chat.postMessage")
    assert sorted(r.body["thread_ts"] for r in replies) == sorted(e["ts"] for e in events)
    assert {r.body["channel"] for r in replies} == {CHANNEL}


def test_internal_error_is_worded_with_a_reference_and_no_traceback(
    slack: MockSlackApi, assistant: Assistant, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(_Wrapper):
        def ask(self, question: str, **where: Any) -> Answer:
            raise RuntimeError("db password=hunter2 exploded")

    app = build_app(Broken(assistant), slack)
    send_event(app, mention(ENGAGED))
    [reply] = answered(slack)

    text = text_of(reply) + reply.body["text"]
    reference = text.split("reference `", 1)[1].split("`", 1)[0]
    assert reference.startswith("q_")
    assert "hunter2" not in text and "RuntimeError" not in text and "Traceback" not in text
    assert any(reference in r.getMessage() and r.exc_info for r in caplog.records)
    logged = assistant.query_log.get(reference)
    assert logged["status"] == "error" and logged["source"] == "slack"


def test_huge_answer_fits_slack_limits(slack: MockSlackApi, assistant: Assistant) -> None:
    definitions = [
        DefinitionUsed(f"definition_{i}", "segment", 1, "abc123", "m.yml:1", overrides={"p": 1.0})
        for i in range(40)
    ]
    columns = [f"column_number_{i}" for i in range(300)]
    rows = [[f"value {r}-{c} " * 3 for c in range(300)] for r in range(200)]

    class Huge(_Wrapper):
        def ask(self, question: str, **where: Any) -> Answer:
            return self._logged(
                Answer(
                    question,
                    "answered",
                    "A very long sentence. " * 1000,
                    plan={"intent": "list"},
                    sql="SELECT 1",
                    definitions=definitions,
                    columns=columns,
                    rows=rows,
                    row_count=200_000,
                    truncated=True,
                ),
                where,
            )

    app = build_app(Huge(assistant), slack)
    send_event(app, mention("everything"))
    [reply] = answered(slack)
    blocks = reply.body["blocks"]
    assert len(blocks) <= render.MAX_BLOCKS
    assert len(reply.body["text"]) <= render.MAX_FALLBACK_TEXT
    for block in blocks:
        assert len((block.get("text") or {}).get("text", "")) <= render.MAX_SECTION_TEXT
        assert len(block.get("elements") or []) <= render.MAX_ACTIONS_ELEMENTS
    labels = [b["text"]["text"] for b in buttons(reply)]
    assert labels[:2] == ["Show SQL", "Definition: definition_0"]


def test_http_request_through_bolts_development_server_is_answered(
    app: App, slack: MockSlackApi
) -> None:
    server = SlackAppDevelopmentServer(
        port=0, path="/slack/events", app=app, http_server_logger_enabled=False
    )
    port = server._server.server_address[1]  # port 0: the OS picked one
    serving = threading.Thread(target=server._server.serve_forever, args=(0.05,), daemon=True)
    serving.start()
    try:
        event = mention(ENGAGED)

        def post(request: BoltRequest) -> int:
            http = urllib.request.Request(
                f"http://127.0.0.1:{port}/slack/events",
                data=request.raw_body.encode(),
                headers={k: v[0] for k, v in request.headers.items()},
                method="POST",
            )
            try:
                with urllib.request.urlopen(http, timeout=10) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        assert post(signed(event_body(event), "application/json", secret="wrong")) == 401
        assert post(signed(event_body(event), "application/json")) == 200
        [reply] = answered(slack)
        assert reply.body["thread_ts"] == event["ts"]
    finally:
        server._server.shutdown()
        server._server.server_close()


# -- stand-ins for the assistant ------------------------------------------------------------------


class _Wrapper:
    """The real assistant's catalog and query log around a different `ask`."""

    def __init__(self, real: Assistant) -> None:
        self.catalog, self.query_log, self.config = real.catalog, real.query_log, real.config
        self._real = real

    def run_plan(self, *args: Any, **kwargs: Any) -> Answer:
        return self._real.run_plan(*args, **kwargs)

    def _logged(self, answer: Answer, where: dict[str, Any]) -> Answer:
        where = {k: v for k, v in where.items() if k not in ("choice", "identity")}
        self.query_log.record(answer.log_dict(), **where)
        return answer
