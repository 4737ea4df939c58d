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


def test_the_shipped_models_validate_against_the_published_schema() -> None:
    """The schema editors use accepts every model file segq ships (it is generated from the
    document models the loader validates with, so a key it lacks the loader refuses too)."""
    import jsonschema
    import yaml

    schema = json.loads((REPO / "docs/schemas/semantic-model.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    files = [*sorted((REPO / "semantic_models").glob("*.yml")),
             *sorted((REPO / "examples").rglob("*.yml"))]
    assert len(files) > 10
    for path in files:
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
        assert not errors, f"{path.relative_to(REPO)}: {errors[:3]}"


def test_the_schema_refuses_what_the_loader_refuses() -> None:
    import jsonschema

    schema = json.loads((REPO / "docs/schemas/semantic-model.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    segment = {"name": "s", "stages": [{"name": "a", "sql": "SELECT 1"}]}
    assert not list(validator.iter_errors({"segments": [segment]}))
    for broken in ({**segment, "acess": "public"}, {**segment, "access": "publik"},
                   {**segment, "parameters": [{"name": "p", "default": 1, "min": 0}]},
                   {**segment, "examples": [{"question": "q?", "plan": {"intent": "nope"}}]}):
        assert list(validator.iter_errors({"segments": [broken]})), broken
