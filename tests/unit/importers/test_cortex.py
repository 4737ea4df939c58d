"""Snowflake's Cortex Analyst revenue model (shared/external/cortex-analyst) read as a segq
catalog: every object keeps its file:line, the vocabulary (synonyms, sample values, verified
questions) comes along, and questions across its relationships answer what SQL written by hand
over the same tables says, without the region table's duplicate keys multiplying revenue.

The tables are loaded into DuckDB exactly as the folder's README says.
"""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import duckdb
import pytest

from assistant.catalog import collect_issues
from assistant.catalog.check import deep_check
from assistant.compiler import compile_plan
from assistant.config import load_config
from assistant.executor import Warehouse
from assistant.importers.cortex import load_cortex
from assistant.importers.datasets import ensure_dataset, find_dataset
from assistant.pipeline import Assistant
from assistant.plan import DimensionRef, Filter, Intent, MetricRef, QueryPlan, TimeGrain, TimeRange
from assistant.validator import SqlContext, validate_sql

ROOT = Path(__file__).resolve().parents[4] / "shared" / "external" / "cortex-analyst"
if not ROOT.is_dir():
    ROOT = Path("/work/shared/external/cortex-analyst")
pytestmark = pytest.mark.skipif(not ROOT.is_dir(), reason="shared/external is not checked out")
AS_OF = date(2024, 11, 7)


HAND_LOAD = """
CREATE TABLE daily_revenue AS SELECT CAST(column0 AS DATE) AS date,
          CAST(column1 AS DOUBLE) AS revenue, CAST(column2 AS DOUBLE) AS cogs,
          CAST(column3 AS DOUBLE) AS forecasted_revenue, CAST(column4 AS INTEGER) AS product_id,
          CAST(column5 AS INTEGER) AS region_id
        FROM read_csv('{data}/daily_revenue.csv', header = true, all_varchar = true,
                      names = ['column0','column1','column2','column3','column4','column5']);
        CREATE TABLE product_dim AS SELECT CAST(column0 AS INTEGER) AS product_id,
          column1 AS product_line
        FROM read_csv('{data}/product.csv', header = true, all_varchar = true,
                      names = ['column0','column1']);
        CREATE TABLE region_dim AS SELECT CAST(column0 AS INTEGER) AS region_id,
          column1 AS sales_region, column2 AS state
        FROM read_csv('{data}/region.csv', header = true, all_varchar = true,
                      names = ['column0','column1','column2']);
"""


@pytest.fixture(scope="module")
def cortex():
    catalog, issues = load_cortex([ROOT / "revenue_timeseries.yaml"], ROOT)
    con = duckdb.connect()
    con.execute(HAND_LOAD.format(data=ROOT / "data"))
    return catalog, issues, con


def _rows(cortex, plan: QueryPlan) -> list[tuple]:
    catalog, _, con = cortex
    compiled = compile_plan(plan, catalog, AS_OF, row_cap=1000)
    sql = compiled.sql()
    validate_sql(sql, SqlContext(catalog, plan, compiled.governed_ctes, as_of=AS_OF))
    return sorted(tuple(round(v, 6) if isinstance(v, float) else v for v in r)
                  for r in con.execute(sql).fetchall())


def _gold(cortex, sql: str) -> list[tuple]:
    return sorted(tuple(round(v, 6) if isinstance(v, float) else v for v in r)
                  for r in cortex[2].execute(textwrap.dedent(sql)).fetchall())


def test_every_object_keeps_its_cortex_file_and_line(cortex) -> None:
    catalog, _, _ = cortex
    assert catalog.metrics["daily_revenue"].source == "cortex-analyst/revenue_timeseries.yaml:21"
    assert catalog.dimensions["sales_region"].source == "cortex-analyst/revenue_timeseries.yaml:96"
    assert catalog.relationships[1].source == "cortex-analyst/revenue_timeseries.yaml:130"


def test_the_model_vocabulary_comes_along(cortex) -> None:
    catalog, _, _ = cortex
    assert catalog.metrics["daily_revenue"].synonyms == ("sales", "income")
    assert [v.value for v in catalog.dimensions["product_line"].values] == [
        "Electronics", "Clothing", "Home Appliances", "Toys", "Books"]
    assert catalog.dimensions["date"].is_time
    assert [e.question for e in catalog.examples][0] == "daily cumulative expenses in 2023 dec"


def test_quirks_are_reported_at_their_line_not_dropped(cortex) -> None:
    _, issues, _ = cortex
    found = {(i.level, i.source) for i in issues}
    assert ("warning", "cortex-analyst/revenue_timeseries.yaml:39") in found  # no aggregation
    assert ("warning", "cortex-analyst/revenue_timeseries.yaml:114") in found  # search service
    assert not [i for i in issues if i.level == "error"]


def test_revenue_by_sales_region_is_not_multiplied_by_the_duplicate_region_rows(cortex) -> None:
    got = _rows(cortex, QueryPlan(intent=Intent.BREAKDOWN, metric=MetricRef(name="daily_revenue"),
                                  group_by=(DimensionRef(name="sales_region"),)))
    assert got == _gold(cortex, """
        SELECT r.sales_region, SUM(d.revenue) FROM daily_revenue d
        JOIN (SELECT DISTINCT region_id, sales_region FROM region_dim) r USING (region_id)
        GROUP BY 1""")
    literal = _gold(cortex, "SELECT SUM(d.revenue) FROM daily_revenue d JOIN region_dim r "
                            "USING (region_id)")[0][0]
    assert abs(sum(v for _, v in got) * 5 - literal) < 1e-3  # the literal join is 5x


def test_profit_for_a_product_line_by_month(cortex) -> None:
    plan = QueryPlan(intent=Intent.BREAKDOWN, metric=MetricRef(name="daily_profit"),
                     group_by=(DimensionRef(name="date", grain=TimeGrain.MONTH),),
                     filters=(Filter(dimension="product_line", values=("Toys",)),),
                     time_range=TimeRange(start=date(2023, 1, 1), end=date(2023, 6, 30)))
    assert _rows(cortex, plan) == _gold(cortex, """
        SELECT CAST(DATE_TRUNC('month', d.date) AS DATE), SUM(d.revenue - d.cogs)
        FROM daily_revenue d JOIN product_dim p ON p.product_id = d.product_id
        WHERE p.product_line = 'Toys' AND d.date BETWEEN DATE '2023-01-01' AND DATE '2023-06-30'
        GROUP BY 1""")


def test_the_average_absolute_error_keeps_its_declared_aggregation(cortex) -> None:
    got = _rows(cortex, QueryPlan(intent=Intent.METRIC,
                                  metric=MetricRef(name="daily_forecast_abs_error")))
    assert got == _gold(cortex, "SELECT AVG(ABS(forecasted_revenue - revenue)) FROM daily_revenue")


# -- the example's data as the warehouse, and questions asked in words ------------------------
@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """The three tables loaded by hand (above) into a DuckDB file the assistant opens."""
    path = tmp_path_factory.mktemp("cortex") / "hand.duckdb"
    con = duckdb.connect(str(path))
    con.execute(HAND_LOAD.format(data=ROOT / "data"))
    con.close()
    return path


def ask(warehouse: Path, tmp_path: Path, question: str) -> dict:
    config = load_config(environ={
        "SEGQ_SEMANTIC_MODELS": str(ROOT / "revenue_timeseries.yaml"),
        "SEGQ_WAREHOUSE": str(warehouse), "SEGQ_AS_OF": AS_OF.isoformat(),
        "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3")})
    return Assistant(config).ask(question).log_dict()


def test_the_example_data_recipe_loads_what_the_readme_says(cortex, tmp_path: Path) -> None:
    dataset = find_dataset(ROOT / "revenue_timeseries.yaml")
    assert dataset is not None and dataset.recipe.name == "cortex-analyst"
    con = duckdb.connect(str(ensure_dataset(dataset, tmp_path)), read_only=True)
    for table in ("daily_revenue", "product_dim", "region_dim"):
        assert sorted(con.execute(f"SELECT * FROM {table}").fetchall()) == sorted(
            cortex[2].execute(f"SELECT * FROM {table}").fetchall())
    assert con.execute("SELECT typeof(date) FROM daily_revenue LIMIT 1").fetchall() == [("DATE",)]


def test_revenue_by_region_in_words_cites_the_cortex_measure(warehouse: Path, cortex,
                                                              tmp_path: Path) -> None:
    answer = ask(warehouse, tmp_path, "sales by region in 2024")
    assert answer["status"] == "answered", answer["message"]
    assert sorted(tuple(round(v, 6) if isinstance(v, float) else v for v in r)
                  for r in answer["rows"]) == _gold(cortex, """
        SELECT r.sales_region, SUM(d.revenue) FROM daily_revenue d
        JOIN (SELECT DISTINCT region_id, sales_region FROM region_dim) r USING (region_id)
        WHERE d.date BETWEEN DATE '2024-01-01' AND DATE '2024-12-31' GROUP BY 1""")
    assert answer["definitions"][0]["source"] == "cortex-analyst/revenue_timeseries.yaml:21"
    assert "users" not in answer["message"] and "signed up" not in answer["message"]


def test_revenue_by_month_is_not_read_as_a_daily_grain(warehouse: Path, cortex,
                                                        tmp_path: Path) -> None:
    answer = ask(warehouse, tmp_path, "daily revenue by month")
    assert answer["status"] == "answered", answer["message"]
    assert len(answer["rows"]) == _gold(cortex, "SELECT COUNT(DISTINCT DATE_TRUNC('month', date)) "
                                                "FROM daily_revenue")[0][0] == 25


def test_a_word_the_model_defines_is_not_refused_as_ungoverned(warehouse: Path, cortex,
                                                                tmp_path: Path) -> None:
    answer = ask(warehouse, tmp_path, "how much profit did we make in Europe?")
    assert answer["status"] == "answered", answer["message"]
    assert answer["rows"][0][-1] == pytest.approx(_gold(cortex, """
        SELECT SUM(revenue - cogs) FROM daily_revenue
        WHERE region_id IN (SELECT region_id FROM region_dim WHERE sales_region = 'Europe')""")
        [0][0])
    assert ask(warehouse, tmp_path, "what is our margin?")["status"] == "refused"


def test_the_lowest_day_within_each_month_is_a_clarification_not_a_ranking(
        warehouse: Path, tmp_path: Path) -> None:
    answer = ask(warehouse, tmp_path, "what was the lowest daily revenue each month?")
    assert answer["status"] == "clarify"


def test_a_definition_question_shows_the_cortex_block(warehouse: Path, tmp_path: Path) -> None:
    answer = ask(warehouse, tmp_path, "what does daily revenue mean?")
    assert answer["status"] == "answered", answer["message"]
    assert answer["definitions"][0]["source"] == "cortex-analyst/revenue_timeseries.yaml:21"


# -- segq validate --------------------------------------------------------------------------
def test_an_unknown_key_is_an_error_at_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "cortex"
    folder.mkdir()
    text = (ROOT / "revenue_timeseries.yaml").read_text()
    (folder / "model.yaml").write_text(text.replace("        default_aggregation: sum\n",
                                                    "        default_agregation: sum\n", 1))
    catalog, issues = collect_issues(folder / "model.yaml")
    errors = [(i.source, i.rule) for i in issues if i.level == "error"]
    assert ("cortex/model.yaml:25", "unknown-key") in errors  # the misspelt key's line
    assert "`default_agregation`" in " ".join(i.message for i in issues)


def test_validate_reports_the_declared_region_key_the_data_repeats(warehouse: Path) -> None:
    catalog, _ = collect_issues(ROOT / "revenue_timeseries.yaml")
    store = Warehouse(warehouse, timeout_s=10, row_cap=100)
    try:
        found = [(i.level, i.source, i.rule) for i in deep_check(catalog, store, AS_OF)]
    finally:
        store.close()
    # region_dim: 25 rows, 5 distinct region_id (SELECT COUNT(*), COUNT(DISTINCT region_id))
    assert ("error", "cortex-analyst/revenue_timeseries.yaml:83", "fan-out") in found
    assert [f for f in found if f[0] == "error" and f[2] != "fan-out"] == []


def test_a_thread_follow_up_filters_the_models_own_time_column(cortex) -> None:
    from assistant.planner.followup import follow_up
    from assistant.planner.rules import RulesPlanner

    catalog = cortex[0]
    planner = RulesPlanner()
    previous = planner.plan("revenue by region", catalog, as_of=AS_OF).plan
    followed = follow_up("what about 2023?", previous, catalog, as_of=AS_OF, planner=planner)
    assert followed is not None
    assert _rows(cortex, followed.plan) == _gold(cortex, """
        SELECT r.sales_region, SUM(d.revenue) FROM daily_revenue d
        JOIN (SELECT DISTINCT region_id, sales_region FROM region_dim) r USING (region_id)
        WHERE d.date BETWEEN DATE '2023-01-01' AND DATE '2023-12-31' GROUP BY 1""")


def test_average_restates_an_averaged_metric_but_is_no_average_of_a_sum(
        warehouse: Path, cortex, tmp_path: Path) -> None:
    answer = ask(warehouse, tmp_path, "what was the average absolute error in 2024?")
    assert answer["status"] == "answered", answer["message"]
    assert answer["rows"][0][-1] == pytest.approx(_gold(cortex, """
        SELECT AVG(ABS(forecasted_revenue - revenue)) FROM daily_revenue
        WHERE date BETWEEN DATE '2024-01-01' AND DATE '2024-12-31'""")[0][0])
    # the mean of the days' revenue is not the summed measure: the mean of each day's figure
    daily = ask(warehouse, tmp_path, "average daily revenue in 2023")
    assert daily["status"] == "answered", daily["message"]
    assert daily["rows"][0][-1] == pytest.approx(_gold(cortex, """
        SELECT SUM(revenue) / COUNT(DISTINCT date) FROM daily_revenue
        WHERE date BETWEEN DATE '2023-01-01' AND DATE '2023-12-31'""")[0][0])


def test_a_value_said_as_the_verb_after_its_subject_is_the_verb(warehouse: Path, cortex,
                                                                 tmp_path: Path) -> None:
    """ "Books" is a product line; "did Europe book" is the verb of booking revenue."""
    answer = ask(warehouse, tmp_path, "How much revenue did Europe book in 2023?")
    assert answer["status"] == "answered", answer["message"]
    assert answer["rows"][0][-1] == pytest.approx(_gold(cortex, """
        SELECT SUM(revenue) FROM daily_revenue
        WHERE region_id IN (SELECT region_id FROM region_dim WHERE sales_region = 'Europe')
          AND date BETWEEN DATE '2023-01-01' AND DATE '2023-12-31'""")[0][0])


def test_a_measure_named_daily_over_a_week_is_a_row_for_each_day(warehouse: Path, cortex,
                                                                  tmp_path: Path) -> None:
    answer = ask(warehouse, tmp_path, "daily revenue for the last 7 days")
    assert answer["status"] == "answered", answer["message"]
    assert sorted((str(r[0])[:10], round(r[-1], 6)) for r in answer["rows"]) == sorted(
        (d.isoformat(), round(v, 6)) for d, v in _gold(cortex, f"""
        SELECT date, SUM(revenue) FROM daily_revenue
        WHERE date > DATE '{AS_OF.isoformat()}' - 7 AND date <= DATE '{AS_OF.isoformat()}'
        GROUP BY 1"""))


def test_the_error_of_our_forecast_asks_for_a_number_not_the_rule(warehouse: Path,
                                                                   tmp_path: Path) -> None:
    answer = ask(warehouse, tmp_path, "what is the average absolute error of our revenue "
                                      "forecast?")
    assert not (answer["status"] == "answered" and answer["plan"]["intent"] == "definition")


def test_revenue_on_the_books_is_no_product_line_books(warehouse: Path, cortex,
                                                       tmp_path: Path) -> None:
    """"What we had on the books" is an idiom, not a filter on the product line "Books"."""
    answer = ask(warehouse, tmp_path, "What revenue did we have on the books for Europe in "
                                      "2023?")
    assert answer["status"] == "answered", answer["message"]
    assert answer["rows"][0][-1] == pytest.approx(_gold(cortex, """
        SELECT SUM(revenue) FROM daily_revenue
        WHERE region_id IN (SELECT region_id FROM region_dim WHERE sales_region = 'Europe')
          AND date BETWEEN DATE '2023-01-01' AND DATE '2023-12-31'""")[0][0])


def test_no_rows_of_a_model_with_no_people_name_the_figure(warehouse: Path,
                                                           tmp_path: Path) -> None:
    """The model counts no people, so an empty breakdown says whose figures are missing (it
    said "there are no , in 2030-01-01 ..." with no subject)."""
    answer = ask(warehouse, tmp_path, "rank the product lines by profit in 2030")
    assert answer["status"] == "answered", answer["message"]
    assert answer["rows"] == []
    assert answer["message"].startswith("No rows: there are no profit figures, in 2030")


def test_a_selling_verb_names_the_figure_the_model_calls_sales(warehouse: Path, cortex,
                                                                tmp_path: Path) -> None:
    """The model declares "sales" for revenue, so "how much did Europe sell" asks for it (it
    was asked back: no figure named)."""
    answer = ask(warehouse, tmp_path, "how much did Europe sell in 2023?")
    assert answer["status"] == "answered", answer["message"]
    assert [tuple(round(v, 6) for v in r) for r in answer["rows"]] == _gold(cortex, """
        SELECT SUM(d.revenue) FROM daily_revenue d
        JOIN (SELECT DISTINCT region_id, sales_region FROM region_dim) r USING (region_id)
        WHERE r.sales_region = 'Europe'
          AND d.date BETWEEN DATE '2023-01-01' AND DATE '2023-12-31'""")
