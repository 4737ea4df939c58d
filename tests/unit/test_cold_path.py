"""`segq ask` with the rules planner loads only what answering needs.

Each module named here costs a cold start milliseconds to tens of milliseconds, and none is
used to answer "how many champions?" from an existing warehouse: no LLM client, Slack, web,
chart or clustering library; none of segq's own surfaces but the CLI's `ask`; and, once the
compiled catalog cache is written, none of the YAML loading (PyYAML, the line-aware loader,
the catalog builder and its rules, the directory classifier's format importers). A question
answered from the result cache compiles and validates nothing: no sqlglot at all.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import MODELS

UNNEEDED = {"langchain_core", "langchain_openai", "openai", "slack_bolt", "slack_sdk", "flask",
            "waitress", "matplotlib", "numpy", "sklearn", "scipy", "httpx"}
UNNEEDED_OWN = ("assistant.planner.llm", "assistant.planner.auto", "assistant.slack_app",
                "assistant.web", "assistant.clustering", "assistant.fitting", "assistant.evals",
                "assistant.render.slack", "assistant.render.charts", "assistant.render.cards",
                "assistant.demo", "assistant.warehouses.loaders", "assistant.history",
                "assistant.changes", "assistant.importers.datasets")
# Needed only to load the models from YAML: absent when the compiled catalog cache is read.
YAML_PATH = ("yaml", "assistant.catalog.yaml_loader", "assistant.catalog.builder",
             "assistant.catalog.rules", "assistant.access.parse", "assistant.importers.dbt",
             "assistant.importers.cube", "assistant.importers.cortex")
SCRIPT = """
import json, sys
from assistant.cli import main
code = main(["ask", "how many champions?", "--json"])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def ask_in_a_new_process(demo_path: Path, tmp_path: Path) -> tuple[int, set[str]]:
    code, modules, _ = ask_and_report(demo_path, tmp_path)
    return code, modules


def ask_and_report(demo_path: Path, tmp_path: Path) -> tuple[int, set[str], dict]:
    """The exit code, the modules loaded and the `--json` answer of one `segq ask`."""
    env = {"SEGQ_WAREHOUSE": str(demo_path), "SEGQ_SEMANTIC_MODELS": str(MODELS),
           "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3"), "SEGQ_PLANNER": "rules",
           "SEGQ_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, check=True)
    *answer, last = done.stdout.strip().splitlines()
    report = json.loads(last)
    return report["code"], set(report["modules"]), json.loads("\n".join(answer))


def loaded(modules: set[str], names: tuple[str, ...] | set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(f"{n}.") for n in names))


def test_a_rules_planner_question_imports_no_llm_slack_web_or_demo_code(demo_path, tmp_path):
    for _ in range(2):  # the first process writes the compiled catalog cache, the second reads it
        code, modules = ask_in_a_new_process(demo_path, tmp_path)
        assert code == 0
        assert loaded(modules, UNNEEDED) == []
        assert loaded(modules, UNNEEDED_OWN) == []


def test_a_question_answered_from_the_compiled_catalog_cache_loads_no_yaml_code(demo_path,
                                                                               tmp_path):
    _, first = ask_in_a_new_process(demo_path, tmp_path)
    assert "yaml" in first  # the first process loaded the models from YAML: the check can fail
    code, modules = ask_in_a_new_process(demo_path, tmp_path)
    assert code == 0
    assert loaded(modules, YAML_PATH) == []


def test_a_question_answered_from_the_result_cache_imports_no_sqlglot(demo_path, tmp_path):
    _, first, answer = ask_and_report(demo_path, tmp_path)
    assert "sqlglot" in first and answer["cached"] is False  # compiled: the check can fail
    code, modules, again = ask_and_report(demo_path, tmp_path)
    assert code == 0 and again["cached"] is True and again["rows"] == answer["rows"]
    assert again["sql"] == answer["sql"]
    assert loaded(modules, ("sqlglot", "assistant.compiler", "assistant.validator")) == []


def test_the_demo_build_help_states_the_generators_own_wait():
    from assistant.cli.demo import WAIT_HELP_S
    from assistant.demo import BUILD_WAIT_S

    assert WAIT_HELP_S == BUILD_WAIT_S


def test_segq_ask_answers_with_cyclic_collection_paused_then_restores_it(config, capsys,
                                                                         monkeypatch):
    """Its imports would trigger ~160 collections; `cycles_kept` pauses them for the one
    question and gives collection back to a caller who asks in-process."""
    from assistant.cli import build_parser
    from assistant.cli.ask import cycles_kept, run
    from assistant.pipeline import Assistant

    seen: list[bool] = []
    ask = Assistant.ask

    def observed(self, *args, **kwargs):
        seen.append(gc.isenabled())
        return ask(self, *args, **kwargs)

    monkeypatch.setattr(Assistant, "ask", observed)
    args = build_parser().parse_args(["ask", "how many champions?", "--no-cache"])
    assert run(args, config) == 0
    assert "champions" in capsys.readouterr().out
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        with cycles_kept():  # a caller's own pause is left as it was
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
