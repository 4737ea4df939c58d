"""A governed chain kept from an earlier compile is the chain a fresh compile builds, for the
very catalog it was built from only.

The compiler keeps each governed chain of CTEs per (catalog snapshot, segment, as-of,
overrides, suffix, dates) and hands every caller a copy (`assistant/compiler/chains.py`).
World: the demo models (a copy in `tmp_path` where a test edits one); plans that count, break
down, list and chart over time the engaged users and RFM segments.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from assistant.catalog import load_catalog
from assistant.compiler import compile_plan, segment_ctes
from assistant.compiler.chains import forget_chains
from assistant.plan import QueryPlan
from tests.conftest import MODELS

AS_OF = date(2026, 6, 30)
CAP = 10_000
PLANS = [
    {"intent": "count", "segment": {"name": "engaged_users"}},
    {"intent": "breakdown", "segment": {"name": "engaged_users"}, "group_by": [{"name": "plan"}]},
    {"intent": "count", "segment": {"name": "engaged_users"},
     "overrides": [{"parameter": "min_logins_per_week", "value": 5}]},
    {"intent": "list", "segment": {"name": "lifecycle_stage", "member": "at_risk"}},
    {"intent": "history", "segment": {"name": "rfm_segment", "member": "champions"}},
    {"intent": "history", "segment": {"name": "rfm_segment"},
     "time_range": {"start": "2026-01-01", "end": "2026-06-30"}},
]


def sql_of(catalog, plan: dict) -> str:
    return compile_plan(QueryPlan.model_validate(plan), catalog, AS_OF, row_cap=CAP).sql()


@pytest.mark.parametrize("plan", PLANS, ids=lambda p: f"{p['intent']}-{p['segment']['name']}")
def test_a_kept_chain_compiles_to_the_sql_of_a_fresh_build(catalog, plan):
    forget_chains()
    fresh = sql_of(catalog, plan)
    for other in PLANS:  # other plans keep chains of the same segments meanwhile
        sql_of(catalog, other)
    assert sql_of(catalog, plan) == fresh


def test_overrides_are_part_of_what_a_chain_is_kept_by(catalog):
    default, stricter = sql_of(catalog, PLANS[0]), sql_of(catalog, PLANS[2])
    assert "logins >= 3 * 4" in default and "logins >= 5 * 4" in stricter
    assert sql_of(catalog, PLANS[0]) == default


def test_changing_a_returned_chain_does_not_change_the_kept_one(catalog):
    segment = catalog.segments["engaged_users"]
    first = segment_ctes(catalog, segment, AS_OF)
    before = [body.sql() for _, body in first]
    first[0][1].set("where", None)  # a caller's own copy, changed in place
    assert [body.sql() for _, body in segment_ctes(catalog, segment, AS_OF)] == before


def test_a_model_file_edit_is_compiled_from_the_new_file(tmp_path: Path):
    models = tmp_path / "models"
    shutil.copytree(MODELS, models)
    before = load_catalog(models)
    old_sql = sql_of(before, PLANS[0]), sql_of(before, PLANS[4])
    for name in ("engaged_users.yml", "rfm_segment.yml"):
        path = models / name
        text = path.read_text()
        edited = text.replace("logins >= :min_logins_per_week * :weeks",
                              "logins > :min_logins_per_week * :weeks").replace(
            "WHERE status = 'completed'", "WHERE status = 'completed' AND amount > 0")
        assert edited != text
        path.write_text(edited)
    after = load_catalog(models)
    new_sql = sql_of(after, PLANS[0]), sql_of(after, PLANS[4])
    assert "logins > 3 * 4" in new_sql[0] and "logins >= 3 * 4" in old_sql[0]
    assert "amount > 0" in new_sql[1] and "amount > 0" not in old_sql[1]
    assert (sql_of(before, PLANS[0]), sql_of(before, PLANS[4])) == old_sql  # still its own
