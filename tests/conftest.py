"""Shared fixtures: one small demo warehouse per test session, built by the real generator."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.catalog import load_catalog
from assistant.config import load_config
from assistant.demo import build_demo

pytest_plugins = ["tests.llm_stub"]  # the `llm_stub` fixture: a local OpenAI-compatible server
# The engine parity suite needs Java and a PostgreSQL server; `.ci/run` runs it as its own step.
collect_ignore = [] if os.environ.get("SEGQ_ENGINE_TESTS") else ["engines"]

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "semantic_models"
SMALL_DEMO_USERS = 3_000


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3,000-user demo warehouse (seed 42), shared read-only by the whole session."""
    path = tmp_path_factory.mktemp("warehouse") / "demo.duckdb"
    build_demo(path, users=SMALL_DEMO_USERS, seed=42)
    return path


@pytest.fixture(scope="session")
def catalog():
    return load_catalog(MODELS)


@pytest.fixture()
def config(demo_path: Path, tmp_path: Path):
    """Config for one test: the shared demo, a fresh query log, no LLM, no environment."""
    return load_config(environ={
        "SEGQ_WAREHOUSE": str(demo_path),
        "SEGQ_SEMANTIC_MODELS": str(MODELS),
        "SEGQ_QUERY_LOG": str(tmp_path / "querylog.sqlite3"),
    })
