"""Questions over MetricFlow's tutorial models in the words people use for what the model
keeps as rules and codes, checked against the seed CSV read directly."""

from __future__ import annotations

import csv
import importlib.util
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from assistant.pipeline import Assistant
from tests.shared_models import SHARED, shared_config

TUTORIAL = "metricflow-itests/mf_tutorial_sample"
pytestmark = pytest.mark.skipif(
    not (SHARED / TUTORIAL).is_dir() or importlib.util.find_spec("metricflow") is None,
    reason="no shared MF models, or MetricFlow (the dbt extra) not installed")


def _transactions() -> list[dict[str, str]]:
    with (SHARED / TUTORIAL / "seeds" / "transactions_seed.csv").open() as f:
        return list(csv.DictReader(f))


@pytest.fixture()
def assistant(tmp_path: Path) -> Assistant:
    return Assistant(shared_config(tmp_path, f"{TUTORIAL}/models", "2022-04-05"))


def test_quick_buy_against_everything_else_is_a_count_of_each(assistant) -> None:
    answer = assistant.ask("Transaction counts: quick buy versus everything else.")
    rows = _transactions()
    quick = sum(r["transaction_type_name"] == "quick-buy" for r in rows)
    assert answer.status == "answered", answer.message
    assert dict(answer.rows) == {"Quick Buy": quick, "Not Quick Buy": len(rows) - quick}


def test_weekly_quick_buy_dollars_keep_the_weeks_without_one_at_zero(assistant) -> None:
    weeks: dict[str, float] = defaultdict(float)
    for r in _transactions():
        day = date.fromisoformat(r["ds"])
        week = date.fromordinal(day.toordinal() - day.weekday()).isoformat()
        weeks[week] += float(r["transaction_amount_usd"]) * (
            r["transaction_type_name"] == "quick-buy")
    answer = assistant.ask("Show weekly quick buy dollars over time.")
    assert answer.status == "answered", answer.message
    assert {str(w)[:10]: pytest.approx(v) for w, v in answer.rows} == dict(weeks)
    assert 0.0 in weeks.values()  # a week of other transactions only


def test_a_country_code_is_named_by_the_country(assistant) -> None:
    with (SHARED / TUTORIAL / "seeds" / "customers_seed.csv").open() as f:
        mexican = {r["id_customer"] for r in csv.DictReader(f) if r["country"] == "MX"}
    answer = assistant.ask("transaction amount for Mexican customers")
    assert answer.status == "answered", answer.message
    assert answer.rows[0][0] == pytest.approx(sum(
        float(r["transaction_amount_usd"]) for r in _transactions() if r["id_customer"] in mexican))
