"""A suite may name its own semantic models (a dbt project, a Cube folder) and as-of date, so
`segq eval evals/foreign/*.yaml` runs each suite against the model it was written for."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import ConfigError
from assistant.evals import load_cases


def test_suite_models_are_resolved_relative_to_the_suite_file(tmp_path: Path) -> None:
    (tmp_path / "project" / "models").mkdir(parents=True)
    suite = tmp_path / "evals" / "foreign.yaml"
    suite.parent.mkdir()
    suite.write_text("semantic_models: ../project\nas_of: 2020-12-31\ncases:\n"
                     "  - id: weather\n    question: what's the weather?\n"
                     "    expect: {status: refused}\n")
    [case] = load_cases([suite])
    assert case.semantic_models == str((tmp_path / "project").resolve())
    assert case.as_of == "2020-12-31"
    assert case.source == f"{suite}:4"


def test_a_plain_list_suite_uses_the_configured_models(tmp_path: Path) -> None:
    suite = tmp_path / "s.yaml"
    suite.write_text("- id: w\n  question: weather?\n  expect: {status: refused}\n")
    assert load_cases([suite])[0].setup == ("", "")


def test_a_missing_models_path_and_an_unknown_suite_key_name_their_line(tmp_path: Path) -> None:
    suite = tmp_path / "s.yaml"
    suite.write_text("semantic_models: nowhere\ncases: []\n")
    with pytest.raises(ConfigError, match=r"s.yaml:1: the suite's semantic_models .*nowhere"):
        load_cases([suite])
    suite.write_text("cases: []\nsemantic_model: x\n")
    with pytest.raises(ConfigError, match=r"s.yaml:2: unknown suite key `semantic_model`"):
        load_cases([suite])
