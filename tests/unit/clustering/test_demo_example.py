"""The committed example `examples/clusters/behaviour_clusters.yml` (fitted on the default demo)
beside the governed models: every demo user's SQL assignment is scikit-learn's prediction, and
questions about its members answer like any segment, with the cluster's definition card."""

from __future__ import annotations

import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.catalog import collect_issues, load_catalog
from assistant.catalog.check import deep_check
from assistant.config import load_config
from assistant.demo import DEMO_AS_OF, build_demo
from assistant.executor import Warehouse
from assistant.pipeline import Assistant
from assistant.render import slack as slack_render
from tests.unit.clustering.helpers import predict, sql_assignment

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "clusters" / "behaviour_clusters.yml"
NAME = "behaviour_clusters"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The default demo (20,000 users, seed 42) and a models directory with the example."""
    root = tmp_path_factory.mktemp("cluster_demo")
    build_demo(root / "demo.duckdb")
    models = root / "models"
    shutil.copytree(REPO / "semantic_models", models)
    shutil.copy(EXAMPLE, models / EXAMPLE.name)
    warehouse = Warehouse(root / "demo.duckdb")
    catalog = load_catalog(models)
    rows = sql_assignment(catalog, warehouse, NAME, DEMO_AS_OF)
    yield {"root": root, "models": models, "warehouse": warehouse, "catalog": catalog,
           "rows": rows}
    warehouse.close()


def _assistant(demo: dict) -> Assistant:
    return Assistant(load_config(environ={
        "SEGQ_WAREHOUSE": str(demo["root"] / "demo.duckdb"),
        "SEGQ_SEMANTIC_MODELS": str(demo["models"]),
        "SEGQ_QUERY_LOG": str(demo["root"] / "log.sqlite3")}))


def test_every_demo_user_is_assigned_in_sql_as_sklearn_predicts(demo) -> None:
    rows = demo["rows"]
    with demo["warehouse"].cursor() as con:
        everyone = con.execute("SELECT COUNT(*) FROM users WHERE CAST(signup_at AS DATE) <= "
                               "DATE '2026-06-30'").fetchone()[0]
    assert len(rows) == everyone == 20_000
    assert len({r[-1] for r in rows}) == 6
    assert [r[-1] for r in rows] == predict(EXAMPLE, NAME, [r[:-1] for r in rows])


def test_the_example_validates_on_the_demo(demo) -> None:
    catalog, issues = collect_issues(demo["models"])
    issues += deep_check(catalog, demo["warehouse"], DEMO_AS_OF)
    assert [i for i in issues if i.level == "error"] == []


def test_power_user_cluster_count_matches_the_sql_assignment(demo) -> None:
    expected = Counter(r[-1] for r in demo["rows"])["daily_power_users"]
    answer = _assistant(demo).ask("How many users are in the power-user cluster?")
    assert answer.status == "answered", answer.message
    assert answer.rows == [[expected]]
    card = answer.definitions[0]
    assert (card.name, card.member, card.version) == (NAME, "daily_power_users", 2)
    assert card.fit.startswith("fitted 2026-06-30, K-Means k=6 on 4,000 users, silhouette")
    assert "separates retained" in card.fit


def test_revenue_from_a_cluster_in_q2_sums_its_members_orders(demo) -> None:
    members = [r[0] for r in demo["rows"] if r[-1] == "active_spenders"]
    with demo["warehouse"].cursor() as con:
        gold = con.execute(
            "SELECT SUM(amount) FROM orders WHERE status = 'completed' AND user_id IN "
            "(SELECT UNNEST(?::BIGINT[])) AND CAST(ordered_at AS DATE) BETWEEN "
            "DATE '2026-04-01' AND DATE '2026-06-30'", [members]).fetchone()[0]
    answer = _assistant(demo).ask("revenue from active spenders in Q2")
    assert answer.status == "answered", answer.message
    assert Decimal(str(answer.rows[0][0])) == gold and gold > 0


def test_cluster_members_break_down_by_plan(demo) -> None:
    by_plan: Counter[str] = Counter()
    with demo["warehouse"].cursor() as con:
        plans = dict(con.execute("SELECT user_id, plan FROM users").fetchall())
    for row in demo["rows"]:
        if row[-1] == "lapsed_buyers":
            by_plan[plans[row[0]]] += 1
    answer = _assistant(demo).ask("break down lapsed buyers by plan")
    assert answer.status == "answered", answer.message
    assert {r[0]: r[1] for r in answer.rows} == dict(by_plan)


def test_the_definition_card_shows_version_fit_date_silhouette_and_separation(demo) -> None:
    answer = _assistant(demo).ask("how are behaviour clusters defined?")
    assert answer.status == "answered", answer.message
    assert "Version 2, fitted 2026-06-30" in answer.message
    assert "silhouette 0.57" in answer.message and "separates retained" in answer.message
    assert [r[0] for r in answer.rows] == [m.name for m in demo["catalog"].segments[NAME].members]


def test_the_cluster_card_reaches_json_and_slack(demo) -> None:
    answer = _assistant(demo).ask("how many users are in the explorer cluster?")
    assert answer.status == "answered", answer.message
    card = answer.to_dict()["definitions"][0]
    assert card["name"] == NAME and card["member"] == "explorers" and card["version"] == 2
    assert card["fit"].startswith("fitted 2026-06-30, K-Means k=6")
    assert "fit" not in answer.to_dict()["definitions"][-1]  # the metric is not fitted
    message = slack_render.render_answer(answer)
    context = " ".join(str(block) for block in message.blocks)
    assert "fitted 2026-06-30, K-Means k=6 on 4,000 users, silhouette 0.57" in context


def test_a_member_definition_names_its_centroid(demo) -> None:
    answer = _assistant(demo).ask("how is the explorer cluster defined?")
    assert answer.status == "answered", answer.message
    assert "Member `explorers` (Explorers): the users nearest its centroid (" in answer.message
