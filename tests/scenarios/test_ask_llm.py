"""`segq ask` with SEGQ_PLANNER=llm, through the real openai client, against a local stub."""

from __future__ import annotations

import json

from assistant.cli import main


def test_segq_ask_with_the_llm_planner_answers_from_the_governed_plan(config, monkeypatch,
                                                                       capsys, llm_stub):
    llm_stub.queue_tool_call("LlmReply", {
        "status": "answer", "reason": "", "candidates": [],
        "plan": {"intent": "count", "segment": {"name": "engaged_users"},
                 "filters": [{"dimension": "plan", "values": ["pro"]}]},
    })
    for key, value in {"SEGQ_WAREHOUSE": config.warehouse, "SEGQ_QUERY_LOG": config.query_log,
                       "SEGQ_SEMANTIC_MODELS": config.semantic_models, "SEGQ_PLANNER": "llm",
                       "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": llm_stub.base_url}.items():
        monkeypatch.setenv(key, value)
    assert main(["ask", "which pro customers log in a lot?", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["status"] == "answered" and answer["planner"] == "llm"
    assert answer["definitions"][0]["name"] == "engaged_users"
    assert answer["rows"][0][0] > 0
    sent = llm_stub.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert "which pro customers log in a lot?" in json.dumps(sent.messages)
    assert "SELECT" not in json.dumps(sent.body.get("tools"))  # the model is never asked for SQL


def test_the_llm_planner_without_a_key_is_a_clear_configuration_error(config, monkeypatch,
                                                                       capsys):
    monkeypatch.setenv("SEGQ_WAREHOUSE", config.warehouse)
    monkeypatch.setenv("SEGQ_PLANNER", "llm")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["ask", "how many users?"]) == 2
    assert "OPENAI_API_KEY" in capsys.readouterr().err
