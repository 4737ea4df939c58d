"""The llm planner over real HTTP: ChatOpenAI built from config, against a local stub server.

The stub (tests/llm_stub.py) speaks OpenAI's chat completions protocol on 127.0.0.1, replays
queued tool-call replies and records each request body, so these tests pin what segq sends
and how it reacts, with no internet and no API key.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from assistant.config import load_config
from assistant.errors import ConfigError, PlanError
from assistant.planner import make_planner
from assistant.planner.llm import LlmPlanner

REPO = Path(__file__).resolve().parents[3]
AS_OF = date(2026, 6, 30)
ENGAGED = {
    "status": "answer",
    "reason": "engaged users",
    "plan": {"intent": "count", "segment": {"name": "engaged_users"}},
}
UNKNOWN = {
    "status": "answer",
    "reason": "at risk users",
    "plan": {"intent": "count", "segment": {"name": "at_risk_users"}},
}


def planner_for(base_url: str, **environ: str) -> LlmPlanner:
    config = load_config(
        environ={
            "OPENAI_API_KEY": "test",
            "OPENAI_BASE_URL": base_url,
            "SEGQ_PLANNER": "llm",
            **environ,
        }
    )
    return LlmPlanner.from_config(config)


def test_a_question_is_one_chat_completion_forcing_the_llmreply_tool(llm_stub, catalog):
    llm_stub.queue_tool_call("LlmReply", ENGAGED)
    planner = planner_for(llm_stub.base_url, SEGQ_LLM_MODEL="stub-model")

    planner.plan("how many engaged users?", catalog, as_of=AS_OF)

    [request] = llm_stub.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer test"
    body = request.body
    assert body["model"] == "stub-model" and body["temperature"] == 0
    [tool] = body["tools"]
    assert tool["function"]["name"] == "LlmReply"
    assert "QueryPlan" in json.dumps(tool["function"]["parameters"])
    assert body["tool_choice"] == {"type": "function", "function": {"name": "LlmReply"}}
    system, user = body["messages"]
    assert system["role"] == "system"
    assert "- engaged_users (Engaged users; user)" in system["content"]
    assert "as_of = 2026-06-30" in system["content"]
    assert user == {"role": "user", "content": "Question: how many engaged users?"}


def test_a_valid_tool_call_becomes_the_plan(llm_stub, catalog):
    llm_stub.queue_tool_call("LlmReply", ENGAGED)

    outcome = planner_for(llm_stub.base_url).plan("how many engaged users?", catalog, as_of=AS_OF)

    assert outcome.planner == "llm"
    assert outcome.plan.to_dict() == ENGAGED["plan"]


def test_a_rejected_plan_is_repaired_in_a_second_request(llm_stub, catalog):
    llm_stub.queue_tool_call("LlmReply", UNKNOWN)
    llm_stub.queue_tool_call("LlmReply", ENGAGED)

    outcome = planner_for(llm_stub.base_url).plan("how many engaged users?", catalog, as_of=AS_OF)

    assert outcome.plan.segment.name == "engaged_users"
    first, second = llm_stub.requests
    assistant, tool = second.messages[-2:]
    assert assistant["role"] == "assistant"
    assert assistant["tool_calls"][0]["function"]["name"] == "LlmReply"
    assert tool["role"] == "tool" and tool["tool_call_id"] == assistant["tool_calls"][0]["id"]
    assert "There is no governed segment `at_risk_users`" in tool["content"]
    assert second.messages[:2] == first.messages


def test_malformed_tool_arguments_are_repaired(llm_stub, catalog):
    llm_stub.queue_tool_call("LlmReply", '{"status": "answer", "plan": {')
    llm_stub.queue_tool_call("LlmReply", ENGAGED)

    planner_for(llm_stub.base_url).plan("how many engaged users?", catalog, as_of=AS_OF)

    assistant, tool = llm_stub.requests[1].messages[-2:]
    assert tool["tool_call_id"] == assistant["tool_calls"][0]["id"]
    assert "could not be read as LlmReply JSON" in tool["content"]


def test_a_plan_rejected_twice_is_a_plan_error(llm_stub, catalog):
    llm_stub.queue_tool_call("LlmReply", UNKNOWN)
    llm_stub.queue_tool_call("LlmReply", UNKNOWN)

    with pytest.raises(PlanError) as caught:
        planner_for(llm_stub.base_url).plan("how many at risk?", catalog, as_of=AS_OF)

    assert "could not turn this question into a valid plan" in caught.value.message
    assert "`at_risk_users`" in caught.value.message
    assert len(llm_stub.requests) == 2


def test_a_server_error_is_a_worded_plan_error(llm_stub, catalog):
    llm_stub.queue_error(500, "upstream exploded")

    with pytest.raises(PlanError) as caught:
        planner_for(llm_stub.base_url).plan("how many engaged users?", catalog, as_of=AS_OF)

    assert caught.value.message.startswith("The language model returned an error (HTTP 500)")
    assert "exploded" not in caught.value.message
    assert len(llm_stub.requests) == 1  # max_retries=0


def test_an_unreachable_server_is_a_worded_plan_error(catalog):
    with socket.socket() as sock:  # a port that was free a moment ago and now has no server
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(PlanError) as caught:
        planner_for(f"http://127.0.0.1:{port}/v1").plan(
            "how many engaged users?", catalog, as_of=AS_OF
        )

    assert caught.value.message.startswith("The language model could not be reached")
    assert caught.value.details["reason"] == "llm_call_failed"


# -- configuration -------------------------------------------------------------------------------


def test_auto_without_an_api_key_builds_no_openai_client():
    script = (
        "import sys\n"
        "from assistant.config import load_config\n"
        "from assistant.planner import make_planner\n"
        "planner = make_planner(load_config(environ={'SEGQ_PLANNER': 'auto'}))\n"
        "print(planner.name, planner.llm, 'langchain_openai' in sys.modules,"
        " 'openai' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SEGQ_"))}

    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert done.stdout.split() == ["auto", "None", "False", "False"]


def test_the_llm_planner_without_an_api_key_is_a_config_error():
    with pytest.raises(ConfigError) as caught:
        make_planner(load_config(environ={"SEGQ_PLANNER": "llm"}))

    assert "OPENAI_API_KEY" in caught.value.message


def test_the_auto_planner_with_a_key_wraps_an_llm_built_from_config(llm_stub):
    planner = make_planner(
        load_config(
            environ={
                "OPENAI_API_KEY": "test",
                "OPENAI_BASE_URL": llm_stub.base_url,
                "SEGQ_PLANNER": "auto",
                "SEGQ_LLM_TIMEOUT": "5",
            }
        )
    )

    assert planner.name == "auto" and isinstance(planner.llm, LlmPlanner)
    chat = planner.llm.chat_model
    assert (chat.max_retries, chat.request_timeout, chat.openai_api_base) == (
        0,
        5.0,
        llm_stub.base_url,
    )
