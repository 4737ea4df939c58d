"""Docs and published schemas are generated from the code; these tests keep them true."""

from __future__ import annotations

import json
import re
from pathlib import Path

from assistant.config import settings_table
from assistant.schemas import models_schema, plan_schema

REPO = Path(__file__).resolve().parents[2]


def test_configuration_doc_lists_every_setting_as_declared() -> None:
    doc = (REPO / "docs/configuration.md").read_text()
    table = doc.split("<!-- settings-table:start -->\n")[1].split("<!-- settings-table:end -->")[0]
    assert table.strip() == settings_table().strip()


def test_published_json_schemas_are_current() -> None:
    plan = json.loads((REPO / "docs/schemas/query-plan.schema.json").read_text())
    models = json.loads((REPO / "docs/schemas/semantic-model.schema.json").read_text())
    assert plan == plan_schema()
    assert models == models_schema()


def test_readme_quickstart_has_exactly_two_commands_and_ci_runs_the_second() -> None:
    readme = (REPO / "README.md").read_text()
    block = re.search(r"## Quickstart\n+```bash\n(.*?)```", readme, flags=re.S)
    assert block, "README needs a ## Quickstart heading followed by a bash block"
    commands = [line for line in block[1].splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[1] in (REPO / ".ci/run").read_text()
