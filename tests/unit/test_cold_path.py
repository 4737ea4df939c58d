"""`segq ask` with the rules planner loads only what answering needs: no LLM client, Slack,
web, chart or clustering library is imported (each costs a cold start tens of milliseconds)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import MODELS

UNNEEDED = {"langchain_core", "langchain_openai", "openai", "slack_bolt", "slack_sdk", "flask",
            "waitress", "matplotlib", "numpy", "sklearn", "scipy", "httpx"}
SCRIPT = """
import json, sys
from assistant.cli import main
code = main(["ask", "how many champions?", "--json"])
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[1])))
own = sorted(m for m in sys.modules if m.startswith(("assistant.planner.llm", "assistant.slack",
                                                     "assistant.web", "assistant.clustering")))
print(json.dumps({"code": code, "loaded": loaded, "own": own}))
"""


def test_a_rules_planner_question_imports_no_llm_slack_or_web_library(demo_path, tmp_path):
    env = {"SEGQ_WAREHOUSE": str(demo_path), "SEGQ_SEMANTIC_MODELS": str(MODELS),
           "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3"), "SEGQ_PLANNER": "rules",
           "PATH": "/usr/bin:/bin"}
    for _ in range(2):  # the second process reads the compiled catalog cache
        done = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(sorted(UNNEEDED))],
                              env=env, capture_output=True, text=True, check=True)
        report = json.loads(done.stdout.strip().splitlines()[-1])
        assert report["code"] == 0
        assert report["loaded"] == [] and report["own"] == []
