"""The compiled catalog cache: a new process gets the same catalog without reading the YAML,
and any edit to a model file (or a damaged cache file) means the YAML is read again."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import duckdb
import pytest

from assistant.access.models import Identity
from assistant.catalog import load_catalog
from assistant.catalog.cache import cache_file, derived, load_cached
from assistant.config import load_config
from assistant.errors import CatalogError
from assistant.importers import is_native_directory
from assistant.pipeline import Assistant
from assistant.planner.lexicon import build_lexicon
from tests.conftest import MODELS

QUESTIONS = ["how many champions?", "churn risk tiers", "pql score distribution",
             "how many engaged users are on the pro plan?", "revenue by plan for US users"]


@pytest.fixture()
def models(tmp_path: Path) -> Path:
    copy = tmp_path / "models"
    shutil.copytree(MODELS, copy)
    return copy


def described(catalog) -> list[str]:
    """Every definition, field by field (their dataclass reprs), and the access policy."""
    return sorted(repr(o) for part in (catalog.segments, catalog.metrics, catalog.dimensions,
                                       catalog.tables) for o in part.values()) + [
        repr(catalog.access), repr(catalog.relationships)]


def test_the_cached_catalog_is_the_catalog_the_yaml_makes(models, tmp_path):
    fresh = load_catalog(models)
    load_cached(models, tmp_path / "cache")  # builds the cache
    assert cache_file(models, tmp_path / "cache").exists()
    cached = load_cached(models, tmp_path / "cache")
    assert derived(cached, "lexicon")  # read from the cache, not built again
    assert described(cached) == described(fresh)
    assert cached.schema() == fresh.schema() and cached.files == fresh.files


def assistant(models: Path, demo_path: Path, tmp_path: Path, **env: str) -> Assistant:
    return Assistant(load_config(environ={
        "SEGQ_WAREHOUSE": str(demo_path), "SEGQ_SEMANTIC_MODELS": str(models),
        "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3"), "SEGQ_RESULT_CACHE": "off", **env}))


def test_answers_from_a_cached_catalog_equal_answers_from_the_yaml(models, demo_path, tmp_path):
    first = assistant(models, demo_path, tmp_path)  # reads the YAML, writes the cache
    second = assistant(models, demo_path, tmp_path)
    assert derived(second.catalog, "lexicon") and not derived(first.catalog, "lexicon")
    for question in QUESTIONS:
        a, b = first.ask(question), second.ask(question)
        assert a.status == b.status == "answered", question
        assert (b.sql, b.rows, b.message) == (a.sql, a.rows, a.message), question
        assert b.definitions == a.definitions


def test_the_cached_count_matches_hand_sql(models, demo_path, tmp_path):
    assistant(models, demo_path, tmp_path)
    answer = assistant(models, demo_path, tmp_path).ask("how many users are on the pro plan?")
    with duckdb.connect(str(demo_path), read_only=True) as con:
        hand = con.execute("SELECT count(*) FROM users WHERE plan = 'pro'").fetchone()[0]
    assert answer.rows == [[hand]]


def test_an_edited_model_file_is_read_again(models, tmp_path):
    load_cached(models, tmp_path / "cache")
    rfm = models / "rfm_segment.yml"
    rfm.write_text(rfm.read_text().replace("label: Champions,", "label: Top customers,"))
    edited = load_cached(models, tmp_path / "cache")
    assert not derived(edited, "lexicon")
    labels = {m.name: m.label for m in edited.segments["rfm_segment"].members}
    assert labels["champions"] == "Top customers"
    assert load_cached(models, tmp_path / "cache").segments["rfm_segment"].members[0].label \
        == edited.segments["rfm_segment"].members[0].label


def test_a_broken_edit_is_reported_at_its_line_and_never_served_from_the_cache(models,
                                                                              tmp_path):
    load_cached(models, tmp_path / "cache")
    metrics = models / "metrics.yml"
    metrics.write_text(metrics.read_text() + "\nmetrics: [\n")
    with pytest.raises(CatalogError) as raised:
        load_cached(models, tmp_path / "cache")
    assert any("metrics.yml:" in str(issue) for issue in raised.value.issues)


def test_a_damaged_cache_file_is_rebuilt(models, tmp_path):
    load_cached(models, tmp_path / "cache")
    path = cache_file(models, tmp_path / "cache")
    path.write_bytes(path.read_bytes()[:500])
    catalog = load_cached(models, tmp_path / "cache")
    assert described(catalog) == described(load_catalog(models))
    assert derived(load_cached(models, tmp_path / "cache"), "lexicon")


def test_a_view_of_the_cached_catalog_keeps_hidden_segments_hidden(models, demo_path, tmp_path):
    assistant(models, demo_path, tmp_path)
    cached = assistant(models, demo_path, tmp_path)
    outsider = Identity("slack", "U0NOBODY1")  # no group: the default group, no RFM segments
    answer = cached.ask("how many champions?", source="slack", identity=outsider)
    assert answer.status in ("refused", "clarify") and not answer.rows
    assert "rfm" not in (answer.sql or "").lower()


def test_a_cached_directory_that_gains_a_dbt_file_is_no_longer_served_as_native(models,
                                                                               tmp_path):
    load_cached(models, tmp_path / "cache")
    (models / "orders_semantic.yml").write_text(
        "semantic_models:\n  - name: orders\n    model: ref('orders')\n")
    assert not is_native_directory(models)
    with pytest.raises(CatalogError) as fresh:
        load_catalog(models)
    with pytest.raises(CatalogError) as cached:
        load_cached(models, tmp_path / "cache")
    assert str(cached.value) == str(fresh.value)


def test_the_cached_lexicon_holds_phrases_not_compiled_patterns(models, tmp_path):
    lexicon = build_lexicon(load_catalog(models))
    matched = [e.pattern.search(e.phrase) for e in lexicon]  # each compiled once, in memory
    assert all(matched)
    load_cached(models, tmp_path / "cache")
    restored = derived(load_cached(models, tmp_path / "cache"), "lexicon")
    assert [e.phrase for e in restored] == [e.phrase for e in lexicon]
    assert not any("pattern" in vars(e) for e in restored)  # compiled only when first matched
    assert [e.pattern.pattern for e in restored] == [e.pattern.pattern for e in lexicon]
    assert b"(?<![" not in pickle.dumps(lexicon)
