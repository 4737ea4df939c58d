"""Block Kit rendering: what each answer status shows, and Slack's limits always met."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from assistant.answer import Answer, DefinitionUsed
from assistant.errors import CompileError, ExecutionError
from assistant.failures import failure_of, internal_failure
from assistant.render import slack as render
from assistant.slack_app import make_client, question_from_text

ENGAGED = DefinitionUsed(
    "engaged_users",
    "segment",
    2,
    "b23bbd7ae9fc",
    "/srv/segq/semantic_models/engaged_users.yml:2",
    owner="product-analytics",
    overrides={"min_logins_per_week": 5.0},
)


def answered(**fields: Any) -> Answer:
    values: dict[str, Any] = {
        "question": "how many engaged users?",
        "status": "answered",
        "message": "There are 127 engaged users.",
        "sql": "SELECT 1",
        "columns": ["users"],
        "rows": [[127]],
        "row_count": 1,
        "definitions": [ENGAGED],
        "plan": {"intent": "count"},
    }
    values.update(fields)
    return Answer(**values)


def blocks_of(kind: str, message: render.SlackMessage) -> list[dict[str, Any]]:
    return [b for b in message.blocks if b["type"] == kind]


def action_ids(message: render.SlackMessage) -> list[str]:
    return [e["action_id"] for b in blocks_of("actions", message) for e in b["elements"]]


def all_text(message: render.SlackMessage) -> str:
    parts = [b["text"]["text"] for b in message.blocks if b.get("text")]
    parts += [e["text"] for b in blocks_of("context", message) for e in b["elements"]]
    return "\n".join(parts)


def assert_within_slack_limits(message: render.SlackMessage) -> None:
    assert len(message.blocks) <= render.MAX_BLOCKS
    assert len(message.text) <= render.MAX_FALLBACK_TEXT
    for block in message.blocks:
        if block.get("text"):
            assert len(block["text"]["text"]) <= render.MAX_SECTION_TEXT
        if block["type"] == "context":
            assert len(block["elements"]) <= render.MAX_CONTEXT_ELEMENTS
        if block["type"] == "actions":
            assert len(block["elements"]) <= render.MAX_ACTIONS_ELEMENTS
            for button in block["elements"]:
                assert len(button["text"]["text"]) <= render.MAX_BUTTON_TEXT
                assert len(button["value"]) <= render.MAX_BUTTON_VALUE


def test_count_answer_shows_sentence_definition_and_no_table() -> None:
    message = render.render_answer(answered())
    text = all_text(message)
    assert message.text == "There are 127 engaged users."
    assert "```" not in text  # the sentence already holds the single number
    assert (
        "`engaged_users` v2 · `semantic_models/engaged_users.yml:2` · hash `b23bbd7ae9fc` · "
        "owner product-analytics · *min_logins_per_week = 5 (override)*"
    ) in text
    assert action_ids(message) == ["show_sql", "show_definition:0", "feedback_up", "feedback_down"]


def test_every_button_carries_the_answer_id() -> None:
    answer = answered()
    values = [
        render.read_button_value(e["value"])
        for b in blocks_of("actions", render.render_answer(answer))
        for e in b["elements"]
    ]
    assert {v["id"] for v in values} == {answer.id}
    assert values[1]["definition"] == "engaged_users"


def table_cells(message: render.SlackMessage) -> list[list[str]]:
    """The rows of the message's one Slack `table` block, header first."""
    [table] = blocks_of("table", message)
    return [[cell["text"] for cell in row] for row in table["rows"]]


def test_list_answer_shows_20_rows_in_a_table_block_and_offers_the_csv() -> None:
    rows = [[i, date(2026, 1, 1), "US", Decimal("12.50")] for i in range(1, 41)]
    answer = answered(
        columns=["user_id", "signup_date", "country", "spend"],
        rows=rows,
        row_count=40,
        message="40 users.",
        plan={"intent": "list"},
    )
    message = render.render_answer(answer)
    cells = table_cells(message)
    assert cells[0] == ["User id", "Signup date", "Country", "Spend"]
    assert [row[0] for row in cells[1:]] == [str(i) for i in range(1, 21)]
    assert cells[1][1:] == ["2026-01-01", "US", "12.50"]
    assert "first 20 of 40 rows" in all_text(message)
    assert "download_csv" in action_ids(message)


def test_small_result_shown_whole_has_no_csv_button() -> None:
    answer = answered(columns=["country", "users"], rows=[["US", 3], ["DE", 2]], row_count=2)
    assert "download_csv" not in action_ids(render.render_answer(answer))


def test_wide_table_keeps_slacks_20_columns_and_names_the_rest() -> None:
    columns = [f"a_rather_long_column_{i}" for i in range(26)]
    answer = answered(columns=columns, rows=[[f"value-{i}" for i in range(26)]], row_count=1)
    message = render.render_answer(answer)
    cells = table_cells(message)
    assert len(cells[0]) == 20 and cells[1][-1] == "value-19"
    assert "6 more columns (A rather long column 20, " in all_text(message)
    assert "download_csv" in action_ids(message)


def test_numbers_are_right_aligned_and_text_is_escaped() -> None:
    table, hidden = render.table_text(["name", "n"], [["<b>&", 5], ["x", 12345]])
    assert hidden == []
    assert table.splitlines()[2:] == ["<b>&      5", "x     12345"]
    message = render.render_answer(
        answered(
            columns=["name", "n"], rows=[["<b>&", 5], ["x", 1]], row_count=2, message="a < b & c"
        )
    )
    [block] = blocks_of("table", message)
    assert block["column_settings"] == [{"is_wrapped": True}, {"align": "right"}]
    assert table_cells(message)[1] == ["<b>&", "5"]  # raw_text: Slack shows it as written
    assert message.text == "a &lt; b &amp; c"


def test_clarification_has_one_button_per_candidate_carrying_its_choice() -> None:
    candidates = [
        {
            "name": "lifecycle_stage",
            "kind": "segment",
            "member": "at_risk",
            "label": "Lifecycle stage: At risk",
            "description": "inactive 14+ days",
            "source": "x.yml:1",
            "choice": "lifecycle_stage:at_risk",
        },
        {
            "name": "rfm_segment",
            "kind": "segment",
            "member": "at_risk",
            "label": "RFM segment: At risk",
            "description": "r<=2, f>=3",
            "source": "y.yml:1",
            "choice": "rfm_segment:at_risk",
        },
    ]
    answer = Answer(
        "how many at risk users?", "clarify", '"at risk" could mean several.', candidates=candidates
    )
    message = render.render_answer(answer)
    buttons = [e for b in blocks_of("actions", message) for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == [
        "Lifecycle stage: At risk",
        "RFM segment: At risk",
    ]
    assert [render.read_button_value(b["value"]) for b in buttons] == [
        {"id": answer.id, "choice": "lifecycle_stage:at_risk", "n": 0},
        {"id": answer.id, "choice": "rfm_segment:at_risk", "n": 1},
    ]
    assert len({b["action_id"] for b in buttons}) == 2
    closed = render.render_clarification_closed(answer, label="RFM segment: At risk", user="U1")
    assert not blocks_of("actions", closed) and "<@U1> chose *RFM segment: At risk*" in all_text(
        closed
    )


def test_refusal_says_what_it_can_answer_without_buttons() -> None:
    answer = Answer("weather?", "refused", "I can't answer that. I can answer questions about…")
    message = render.render_answer(answer)
    assert "I can answer questions about" in all_text(message)
    assert not blocks_of("actions", message)


def test_internal_error_shows_reference_and_never_the_exception() -> None:
    answer = Answer("q", "error", "")
    answer.failure = internal_failure(KeyError("secret_column"), answer.id)
    text = all_text(render.render_answer(answer))
    assert answer.id in text and "KeyError" not in text and "secret_column" not in text


def test_warehouse_error_text_is_replaced_by_a_worded_message() -> None:
    answer = Answer("q", "error", "")
    raw = ExecutionError("The warehouse could not run the query: Binder Error: col x",
                         reason="BinderException")
    answer.failure = failure_of(raw, answer.id)
    text = all_text(render.render_answer(answer))
    assert "Binder" not in text and "col x" not in text and answer.id in text
    assert "could not run the query for this question" in text


def test_an_error_without_a_failure_gets_the_plain_apology() -> None:
    answer = Answer("q", "error", "The warehouse could not run the query: Binder Error: col x")
    text = all_text(render.render_answer(answer))
    assert "Binder" not in text and "problem on my side" in text and answer.id in text


def test_worded_error_is_shown_with_its_reference() -> None:
    message = "Override `weeks`=80 for `engaged_users` is outside its bounds 1..26."
    answer = Answer("q", "error", message)
    answer.failure = failure_of(CompileError(message), answer.id)
    assert render.render_answer(answer).text == f"{message} Reference `{answer.id}`."


def test_huge_answer_and_huge_clarification_fit_slack_limits() -> None:
    definitions = [ENGAGED] * 30
    answer = answered(
        message="word " * 20_000,
        columns=[f"c{i}" for i in range(500)],
        rows=[["x" * 500] * 500 for _ in range(100)],
        row_count=10**6,
        truncated=True,
        definitions=definitions,
        sql="SELECT 1\n" * 5000,
    )
    assert_within_slack_limits(render.render_answer(answer, asked_by="U1"))
    candidates = [
        {
            "name": f"n{i}" * 40,
            "label": "L" * 200,
            "description": "d" * 300,
            "choice": f"c{i}" * 1500,
            "member": None,
        }
        for i in range(400)
    ]
    clarify = Answer("q" * 5000, "clarify", "which?" * 2000, candidates=candidates)
    message = render.render_answer(clarify)
    assert_within_slack_limits(message)
    assert blocks_of("actions", message)
    assert_within_slack_limits(render.render_sql(answer.id, answer.sql))
    assert_within_slack_limits(render.render_definition("k: v\n" * 20_000, ENGAGED))


def test_long_sql_is_split_into_code_blocks_that_join_back_exactly() -> None:
    sql = "\n".join(f"SELECT {i} AS c{i} -- a < b" for i in range(400))
    message = render.render_sql("q_1", sql)
    code = "\n".join(
        b["text"]["text"].removeprefix("```sql\n").removesuffix("\n```") for b in message.blocks[1:]
    )
    assert len(message.blocks) > 2
    assert code.replace("&lt;", "<") == sql


def test_changed_definition_is_flagged_when_shown() -> None:
    current = DefinitionUsed("engaged_users", "segment", 3, "ffff00001111", "m/e.yml:2")
    message = render.render_definition(
        "name: engaged_users", current, used=ENGAGED, answer_id="q_1"
    )
    assert "has changed since answer `q_1`" in all_text(message)
    assert "`b23bbd7ae9fc`" in all_text(message) and "`ffff00001111`" in all_text(message)


def test_csv_keeps_exact_values() -> None:
    rows = [
        [
            1,
            Decimal("26355.13"),
            0.1 + 0.2,
            None,
            True,
            date(2026, 1, 1),
            datetime(2026, 1, 2, 3, 4, 5),
            "a,b",
        ]
    ]
    parsed = list(csv.reader(io.StringIO(render.csv_text(list("abcdefgh"), rows))))
    assert parsed[1] == [
        "1",
        "26355.13",
        repr(0.1 + 0.2),
        "",
        "true",
        "2026-01-01",
        "2026-01-02T03:04:05",
        "a,b",
    ]


def test_unknown_button_values_read_as_empty() -> None:
    assert render.read_button_value("not json") == {}
    assert render.read_button_value('{"no": "id"}') == {}
    assert render.read_button_value(None) == {}


def test_question_text_loses_the_mention_and_slack_escapes() -> None:
    text = "<@UBOT1> how many users in <#C1|general> with spend &gt; 5 &amp; <https://x.io|x>?"
    assert question_from_text(text, "UBOT1") == "how many users in general with spend > 5 & x?"
    assert question_from_text("<@UBOT1|segq>   list churned users") == "list churned users"


def test_api_url_gets_the_trailing_slash_slack_sdk_needs() -> None:
    assert make_client("xoxb-1", "http://127.0.0.1:9/api").base_url == "http://127.0.0.1:9/api/"
    assert make_client("xoxb-1", "http://h/api/").base_url == "http://h/api/"
    assert make_client("xoxb-1").base_url == "https://slack.com/api/"
