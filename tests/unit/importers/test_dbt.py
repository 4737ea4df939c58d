"""A dbt project's MetricFlow semantic models answer questions, compiled by MetricFlow itself.

    shop/models/orders.yml     semantic model `orders` (ref('orders')): entity order, customer
                               measures revenue = SUM(amount), order_count; metrics revenue,
                               order_count, ratio revenue_per_order
    shop/models/customers.yml  semantic model `customers`: entity customer, dimension country
    shop/seeds/*_seed.csv      orders: o1 c1 10.0 paid / o2 c1 30.0 paid / o3 c2 5.0 refunded
                               customers: c1 FR, c2 US
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from assistant.catalog import collect_issues
from assistant.config import load_config
from assistant.pipeline import Assistant

pytest.importorskip("metricflow")

ORDERS = """\
semantic_models:
  - name: orders
    description: One row per order.
    model: ref('orders')
    defaults:
      agg_time_dimension: ordered_at
    entities:
      - {name: order, type: primary, expr: order_id}
      - {name: customer, type: foreign, expr: customer_id}
    dimensions:
      - {name: status, type: categorical}
      - name: ordered_at
        type: time
        type_params: {time_granularity: day}
    measures:
      - {name: revenue, expr: amount, agg: sum, description: Money from orders.}
      - {name: order_count, expr: "1", agg: sum, create_metric: true}
metrics:
  - name: revenue
    label: Revenue
    description: Money from orders.
    type: simple
    type_params: {measure: revenue}
  - name: revenue_per_order
    label: Revenue per order
    type: ratio
    type_params: {numerator: revenue, denominator: order_count}
"""
CUSTOMERS = """\
semantic_models:
  - name: customers
    model: ref('customers')
    entities:
      - {name: customer, type: primary, expr: customer_id}
    dimensions:
      - {name: country, type: categorical}
"""


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "models").mkdir(parents=True)
    (root / "seeds").mkdir()
    (root / "models" / "orders.yml").write_text(ORDERS)
    (root / "models" / "customers.yml").write_text(CUSTOMERS)
    (root / "seeds" / "orders_seed.csv").write_text(
        "order_id,customer_id,amount,status,ds\no1,c1,10.0,paid,2022-01-01\n"
        "o2,c1,30.0,paid,2022-01-02\no3,c2,5.0,refunded,2022-02-01\n")
    (root / "seeds" / "customers_seed.csv").write_text(
        "customer_id,country,ds\nc1,FR,2022-01-01\nc2,US,2022-01-01\n")
    for model in ("orders", "customers"):
        (root / "models" / f"{model}.sql").write_text(f"select * from {model}_seed\n")
    return root


def ask(shop: Path, tmp_path: Path, question: str) -> dict:
    config = load_config(environ={"SEGQ_SEMANTIC_MODELS": str(shop / "models"),
                                  "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3")})
    return Assistant(config).ask(question).log_dict()


def answered(shop: Path, tmp_path: Path, question: str) -> dict:
    """The answer to `question`, which must be answered (not asked back or refused)."""
    answer = ask(shop, tmp_path, question)
    assert answer["status"] == "answered", answer["message"]
    return answer


def test_metrics_and_dimensions_keep_their_dbt_file_and_line(shop: Path) -> None:
    catalog, issues = collect_issues(shop / "models")
    assert [i for i in issues if i.level == "error"] == []
    assert catalog.metrics["revenue"].source == "models/orders.yml:19"
    assert catalog.metrics["order_count"].source == "models/orders.yml:17"  # create_metric
    assert catalog.dimensions["customer__country"].source == "models/customers.yml:7"
    assert catalog.dimensions["order__ordered_at"].grains[0] == "day"


def test_an_unknown_key_and_a_ref_to_no_model_are_errors_at_their_line(shop: Path) -> None:
    (shop / "models" / "orders.yml").write_text(
        ORDERS.replace("    description: One row per order.\n", "    descripton: x\n")
        .replace("ref('orders')", "ref('order')"))
    _, issues = collect_issues(shop / "models")
    errors = {(i.source, i.rule) for i in issues if i.level == "error"}
    assert {("models/orders.yml:3", "unknown-key"), ("models/orders.yml:4", "dbt-ref")} <= errors
    assert "`descripton`. Accepted keys" in " ".join(i.message for i in issues)


def test_a_simple_metric_by_a_joined_dimension_equals_hand_written_sql(
        shop: Path, tmp_path: Path) -> None:
    answer = answered(shop, tmp_path, "revenue by country")
    # SELECT c.country, SUM(o.amount) FROM orders o LEFT JOIN customers c USING (customer_id)
    assert sorted(map(tuple, answer["rows"])) == [("FR", 40.0), ("US", 5.0)]
    top = ask(shop, tmp_path, "which country brings in the most revenue?")
    assert top["status"] == "answered", top["message"]
    assert [r[0] for r in top["rows"]] == ["FR"]  # one country, though two share the name
    assert answer["definitions"][0]["source"] == "models/orders.yml:19"


@pytest.mark.parametrize("question", ["revenue across all orders", "total revenue across every "
                                      "order we have", "revenue over all the data we have"])
def test_the_whole_of_what_a_metric_counts_is_its_total(shop: Path, tmp_path: Path,
                                                        question: str) -> None:
    assert answered(shop, tmp_path, question)["rows"] == [[45.0]]  # SUM(amount) of all three


def test_an_average_over_periods_of_a_dbt_metric_is_no_total(shop: Path, tmp_path: Path) -> None:
    # MetricFlow compiles the metric; an average of its monthly figures is no shape it
    # builds, so segq says so instead of answering with the total
    answer = ask(shop, tmp_path, "average monthly revenue in 2022")
    assert answer["status"] != "answered" and answer["rows"] == []
    assert "averages over periods" in answer["message"]


def test_a_ratio_metric_is_the_ratio_of_its_sums(shop: Path, tmp_path: Path) -> None:
    answer = answered(shop, tmp_path, "revenue per order")
    assert answer["rows"] == [[pytest.approx(45.0 / 3)]]  # SUM(amount) / COUNT(*)


def test_a_filter_value_reaches_metricflow_as_a_quoted_literal(shop: Path) -> None:
    import duckdb

    from assistant.compiler import compile_plan
    from assistant.errors import CompileError
    from assistant.importers.datasets import ensure_dataset, find_dataset
    from assistant.plan import Filter, Intent, MetricRef, QueryPlan

    catalog, _ = collect_issues(shop / "models")
    plan = QueryPlan(intent=Intent.METRIC, metric=MetricRef(name="revenue"),
                     filters=(Filter(dimension="order__status", values=("paid", "x' OR 1=1")),))
    sql = compile_plan(plan, catalog, date(2022, 12, 31), row_cap=100).sql()
    dataset = find_dataset(shop / "models")
    assert dataset is not None
    con = duckdb.connect(str(ensure_dataset(dataset, shop.parent / "cache")), read_only=True)
    assert con.execute(sql).fetchall() == [(40.0,)]  # SUM(amount) WHERE status = 'paid'
    templated = plan.model_copy(update={"filters": (
        Filter(dimension="order__status", values=("{{ Dimension('x') }}",)),)})
    with pytest.raises(CompileError, match="may not contain"):
        compile_plan(templated, catalog, date(2022, 12, 31), row_cap=100)


def test_validate_reports_a_primary_entity_the_data_repeats(shop: Path) -> None:
    from assistant.catalog.check import deep_check
    from assistant.executor import Warehouse
    from assistant.importers.datasets import ensure_dataset, find_dataset

    def fan_outs() -> list[tuple[str, str]]:
        catalog, _ = collect_issues(shop / "models")
        dataset = find_dataset(shop / "models")
        assert dataset is not None
        warehouse = Warehouse(ensure_dataset(dataset, shop.parent / "cache"), timeout_s=10,
                              row_cap=100)
        try:
            return [(i.source, i.message.split(",")[0]) for i in
                    deep_check(catalog, warehouse, date(2022, 12, 31)) if i.rule == "fan-out"]
        finally:
            warehouse.close()

    assert fan_outs() == []
    seed = shop / "seeds" / "customers_seed.csv"
    seed.write_text(seed.read_text() + "c2,MX,2022-02-01\n")  # customer c2 twice
    assert fan_outs() == [("models/customers.yml:2", "Table `customers` declares `customer_id` "
                           "its primary key")]


# -- one phrase, several dimensions of that label ---------------------------------------------
def _with(shop: Path, name: str, model: str, seed: str) -> None:
    (shop / "models" / f"{name}.yml").write_text(model)
    (shop / "models" / f"{name}.sql").write_text(f"select * from {name}_seed\n")
    (shop / "seeds" / f"{name}_seed.csv").write_text(seed)


def _countries(name: str, entity: str) -> str:
    return (f"semantic_models:\n  - name: {name}\n    model: ref('{name}')\n    entities:\n"
            f"      - {{name: {entity}, type: primary, expr: {entity}_id}}\n"
            "    dimensions:\n      - {name: country, type: categorical}\n")


def test_of_several_dimensions_a_phrase_names_the_one_metricflow_reaches_answers(
        shop: Path, tmp_path: Path) -> None:
    """Suppliers have a country too, but no entity joins them to orders: "by country" is the
    customer's (the supplier's would be a guessed join)."""
    _with(shop, "suppliers", _countries("suppliers", "supplier"), "supplier_id,country\ns1,DE\n")
    answer = answered(shop, tmp_path, "revenue by country")
    # SELECT c.country, SUM(o.amount) FROM orders o LEFT JOIN customers c USING (customer_id)
    assert sorted(map(tuple, answer["rows"])) == [("FR", 40.0), ("US", 5.0)]


def test_of_several_reachable_the_metrics_own_tables_dimension_answers(
        shop: Path, tmp_path: Path) -> None:
    """An order's own (shipping) country is no join away; the customer's is one."""
    (shop / "models" / "orders.yml").write_text(ORDERS.replace(
        "      - {name: status, type: categorical}\n",
        "      - {name: status, type: categorical}\n"
        "      - {name: country, type: categorical, expr: ship_country}\n"))
    (shop / "seeds" / "orders_seed.csv").write_text(
        "order_id,customer_id,amount,status,ship_country,ds\n"
        "o1,c1,10.0,paid,US,2022-01-01\no2,c1,30.0,paid,FR,2022-01-02\n"
        "o3,c2,5.0,refunded,US,2022-02-01\n")
    answer = answered(shop, tmp_path, "revenue by country")
    # SELECT ship_country, SUM(amount) FROM orders GROUP BY 1
    assert sorted(map(tuple, answer["rows"])) == [("FR", 30.0), ("US", 15.0)]


def test_two_dimensions_equally_near_are_asked_back(shop: Path, tmp_path: Path) -> None:
    (shop / "models" / "orders.yml").write_text(ORDERS.replace(
        "      - {name: customer, type: foreign, expr: customer_id}\n",
        "      - {name: customer, type: foreign, expr: customer_id}\n"
        "      - {name: store, type: foreign, expr: store_id}\n"))
    _with(shop, "stores", _countries("stores", "store"), "store_id,country\nst1,DE\n")
    answer = ask(shop, tmp_path, "revenue by country")
    assert answer["status"] == "clarify", answer["message"]
    assert {c["name"] for c in answer["candidates"]} == {"customer__country", "store__country"}


def test_a_dimension_metricflow_cannot_reach_is_refused_in_its_words(shop: Path) -> None:
    from assistant.plan import DimensionRef, Intent, MetricRef, QueryPlan

    _with(shop, "suppliers", _countries("suppliers", "supplier"), "supplier_id,country\ns1,DE\n")
    config = load_config(environ={"SEGQ_SEMANTIC_MODELS": str(shop / "models")})
    plan = QueryPlan(intent=Intent.BREAKDOWN, metric=MetricRef(name="revenue"),
                     group_by=(DimensionRef(name="supplier__country"),))
    answer = Assistant(config).run_plan(plan, record=False)
    assert answer.status == "refused"
    assert "Revenue (models/orders.yml:19)" in answer.message
    assert "does not match any of the available group-by-items" in answer.message
    assert "(asked: `supplier__country`; it suggests `customer__country`" in answer.message


@pytest.mark.parametrize(("question", "reference"), [
    ("weekly revenue", "SELECT CAST(date_trunc('week', ordered_at) AS DATE), SUM(amount) "
                       "FROM orders GROUP BY 1"),
    ("revenue by month", "SELECT CAST(date_trunc('month', ordered_at) AS DATE), SUM(amount) "
                         "FROM orders GROUP BY 1"),
])
def test_a_dbt_trend_has_one_date_per_period_as_segqs_own_trends_do(
        shop: Path, tmp_path: Path, question: str, reference: str) -> None:
    """MetricFlow truncates to a TIMESTAMP; a period of a day or longer is a DATE."""
    import duckdb

    from assistant.importers.datasets import ensure_dataset, find_dataset

    (shop / "seeds" / "orders_seed.csv").write_text(
        "order_id,customer_id,amount,status,ordered_at\no1,c1,10.0,paid,2022-01-03\n"
        "o2,c1,30.0,paid,2022-01-05\no3,c2,5.0,refunded,2022-02-01\n")
    answer = answered(shop, tmp_path, question)
    dataset = find_dataset(shop / "models")
    assert dataset is not None
    con = duckdb.connect(str(ensure_dataset(dataset, tmp_path / "cache")), read_only=True)
    expected = con.execute(reference).fetchall()
    assert all(type(period) is date for period, _ in expected)
    # as the answer's JSON shows them: "2022-01-03", not "2022-01-03T00:00:00"
    assert sorted(map(tuple, answer["rows"])) == sorted((p.isoformat(), v) for p, v in expected)


def test_a_metric_named_total_something_is_also_said_without_total(shop: Path,
                                                                   tmp_path: Path) -> None:
    """"What are our takings" is the metric labelled "Total takings"; a phrase another definition
    already has ("revenue", for a "Total revenue") keeps its own meaning."""
    extra = ("  - name: total_takings\n    label: Total takings\n    type: simple\n"
             "    type_params: {measure: revenue}\n"
             "  - name: total_revenue_2\n    label: Total revenue\n    type: simple\n"
             "    type_params: {measure: revenue}\n")
    (shop / "models" / "orders.yml").write_text(ORDERS + extra)
    answer = answered(shop, tmp_path, "what are our takings?")
    assert answer["plan"]["metric"]["name"] == "total_takings"
    assert answer["rows"][0][-1] == 45.0  # SELECT SUM(amount) FROM orders
    assert ask(shop, tmp_path, "what is our revenue?")["plan"]["metric"]["name"] == "revenue"


def test_a_currency_word_is_understood_only_for_a_metric_that_states_that_currency(
        shop: Path, tmp_path: Path) -> None:
    """"Revenue in dollars" over a metric labelled "Revenue (USD)" is that metric; "in euros"
    would be a conversion, which is asked back rather than answered in dollars."""
    (shop / "models" / "orders.yml").write_text(ORDERS.replace("label: Revenue\n",
                                                               "label: Revenue (USD)\n"))
    answer = answered(shop, tmp_path, "what is our revenue in dollars?")
    assert answer["rows"][0][-1] == 45.0  # SELECT SUM(amount) FROM orders
    assert ask(shop, tmp_path, "what is our revenue in euros?")["status"] == "clarify"


REFUNDS = """\
      - name: refunded_usd
        expr: "case when status = 'refunded' then amount else 0 end"
        agg: sum
        description: The total USD value of the orders that were refunded.
"""
MONEY_METRICS = """\
  - {name: refunds, label: Refunds, type: simple, type_params: {measure: refunded_usd}}
  - {name: order_amount, label: Order Amount (USD), type: simple, type_params: {measure: revenue}}
"""


def test_a_currency_word_names_the_money_metric_whose_words_are_said(shop: Path,
                                                                      tmp_path: Path) -> None:
    """A simple metric without a description is described by its measure ("The total USD
    value of the orders that were refunded"), so "refunded dollars" is that metric, whatever
    the ending; "order dollars" is the order amount in USD, not the count of orders."""
    models = ORDERS.replace("    measures:\n", "    measures:\n" + REFUNDS) + MONEY_METRICS
    (shop / "models" / "orders.yml").write_text(models)
    refunded = answered(shop, tmp_path, "how many dollars were refunded?")
    assert refunded["plan"]["metric"]["name"] == "refunds"
    assert refunded["rows"][0][-1] == 5.0  # SELECT SUM(amount) FROM orders WHERE refunded
    order_dollars = answered(shop, tmp_path, "what were our order dollars?")
    assert order_dollars["rows"][0][-1] == 45.0  # SELECT SUM(amount) FROM orders
    assert answered(shop, tmp_path, "what is our order count?")["rows"][0][-1] == 3


def test_a_currency_word_two_money_metrics_answer_equally_is_not_guessed(shop: Path,
                                                                          tmp_path: Path) -> None:
    twice = MONEY_METRICS.replace("name: refunds, label: Refunds",
                                  "name: refunded_value, label: Refunded value (USD)")
    models = ORDERS.replace("    measures:\n", "    measures:\n" + REFUNDS) + MONEY_METRICS
    (shop / "models" / "orders.yml").write_text(models + twice.splitlines(True)[0])
    assert ask(shop, tmp_path, "how many dollars were refunded?")["status"] != "answered"


def test_a_dimension_labelled_after_its_own_table_is_also_said_without_it(
        shop: Path, tmp_path: Path) -> None:
    """"Revenue by country" over a `customers` model whose dimension is `customer_country`."""
    (shop / "models" / "customers.yml").write_text(CUSTOMERS.replace(
        "{name: country, type: categorical}",
        "{name: customer_country, type: categorical, expr: country}"))
    answer = answered(shop, tmp_path, "revenue by country")
    assert sorted(map(tuple, answer["rows"])) == [("FR", 40.0), ("US", 5.0)]


def test_a_metric_labelled_some_amount_is_also_said_without_amount(shop: Path,
                                                                   tmp_path: Path) -> None:
    """"Sales proceeds" names the metric labelled "Sales proceeds amount"; a one-word rest
    ("sales" of "Sales amount") would name too much, so it is not added."""
    extra = ("  - name: sales_proceeds_amount\n    label: Sales proceeds amount\n"
             "    type: simple\n    type_params: {measure: revenue}\n")
    (shop / "models" / "orders.yml").write_text(ORDERS + extra)
    answer = answered(shop, tmp_path, "how much in sales proceeds do we have?")
    assert answer["plan"]["metric"]["name"] == "sales_proceeds_amount"
    assert answer["rows"][0][-1] == 45.0


def test_a_metric_named_without_an_article_is_also_said_with_one(shop: Path,
                                                                 tmp_path: Path) -> None:
    """"Money per paid order" is said "money per a paid order" in a sentence; the definition
    question about it is about that metric, not about another one its words contain."""
    extra = ("  - name: money_per_paid_order\n    label: money per paid order\n"
             "    type: ratio\n    type_params: {numerator: revenue, denominator: order_count}\n")
    (shop / "models" / "orders.yml").write_text(ORDERS + extra)
    answer = answered(shop, tmp_path, "what is our money per a paid order?")
    assert answer["plan"]["metric"]["name"] == "money_per_paid_order"
    assert answer["rows"][0][-1] == 15.0  # SELECT SUM(amount) / COUNT(*) FROM orders
    definition = ask(shop, tmp_path, "how do we calculate the money per a paid order?")
    assert definition["definitions"][0]["name"] == "money_per_paid_order"


def test_a_name_in_initials_is_also_said_as_its_description_spells_it(shop: Path,
                                                                       tmp_path: Path) -> None:
    """A metric `gmv` described as "gross merchandise value of paid orders" answers to the
    words its initials stand for; a grain prefix ("daily_") may be left out."""
    extra = ("  - name: gmv\n    label: gmv\n    description: gross merchandise value of orders\n"
             "    type: simple\n    type_params: {measure: revenue}\n"
             "  - name: daily_takings\n    label: daily takings\n    type: simple\n"
             "    type_params: {measure: revenue}\n")
    (shop / "models" / "orders.yml").write_text(ORDERS + extra)
    answer = answered(shop, tmp_path, "how much gross merchandise value did we place?")
    assert answer["plan"]["metric"]["name"] == "gmv"
    assert answer["rows"][0][-1] == 45.0  # SELECT SUM(amount) FROM orders
    assert ask(shop, tmp_path, "what are our takings?")["plan"]["metric"]["name"] == \
        "daily_takings"


def test_a_word_the_model_owns_is_not_off_topic(shop: Path, tmp_path: Path) -> None:
    extra = ("  - name: forecasted_revenue\n    label: forecasted revenue\n    type: simple\n"
             "    type_params: {measure: revenue}\n")
    (shop / "models" / "orders.yml").write_text(ORDERS + extra)
    answer = answered(shop, tmp_path, "forecast revenue by country")
    assert answer["plan"]["metric"]["name"] == "forecasted_revenue"
    assert ask(shop, tmp_path, "what's the weather like in Paris")["status"] == "refused"


def test_the_mean_of_a_metric_is_its_figure_not_its_meaning(shop: Path, tmp_path: Path) -> None:
    extra = ("  - name: absolute_error\n    label: absolute error\n"
             "    description: mean absolute error of the revenue\n    type: simple\n"
             "    type_params: {measure: revenue}\n")
    (shop / "models" / "orders.yml").write_text(ORDERS + extra)
    answer = ask(shop, tmp_path, "what's the mean absolute error?")
    assert not answer.get("definitions") or (answer.get("plan") or {}).get("intent") != \
        "definition", answer["message"]
    assert ask(shop, tmp_path, "what does absolute error mean?")["plan"]["intent"] == \
        "definition"


def test_a_definition_question_is_about_the_metric_sharing_most_of_its_words(
        shop: Path, tmp_path: Path) -> None:
    """"The settle time of order count" is about `time_to_settle_order`, not
    `order_count`, although "order" alone also names that."""
    extra = ("  - name: time_to_settle_order\n    label: time to settle order\n"
             "    type: simple\n    type_params: {measure: revenue}\n")
    (shop / "models" / "orders.yml").write_text(ORDERS + extra)
    answer = answered(shop, tmp_path, "how do we calculate the settle time of order count?")
    assert answer["definitions"][0]["name"] == "time_to_settle_order"


def test_a_name_in_initials_is_named_by_its_words_in_a_definition_question(
        shop: Path, tmp_path: Path) -> None:
    """"European Union revenue" is the "Revenue in EU" metric, not revenue."""
    extra = ("  - name: revenue_eu\n    label: Revenue in EU\n"
             "    type: simple\n    type_params: {measure: revenue}\n")
    (shop / "models" / "orders.yml").write_text(ORDERS + extra)
    answer = answered(shop, tmp_path, "how is the European Union revenue worked out?")
    assert answer["definitions"][0]["name"] == "revenue_eu"
    assert answered(shop, tmp_path, "how is revenue worked out?")["definitions"][0][
        "name"] == "revenue"


def test_a_name_led_by_total_yields_to_a_name_reaching_further(shop: Path,
                                                                 tmp_path: Path) -> None:
    """"The total order amount" is the order amount, though "total order(s)" is also a name;
    "total orders" alone is that other metric."""
    extra = ("  - name: total_orders\n    label: Total Orders\n"
             "    type: simple\n    type_params: {measure: order_count}\n"
             "  - name: order_amount\n    label: Order Amount\n"
             "    type: simple\n    type_params: {measure: revenue}\n")
    (shop / "models" / "orders.yml").write_text(ORDERS + extra)
    assert answered(shop, tmp_path, "what is the total order amount?")["rows"] == [[45.0]]
    assert answered(shop, tmp_path, "total orders?")["rows"] == [[3]]


TICKETS = """\
semantic_models:
  - name: tickets
    model: ref('tickets')
    defaults:
      agg_time_dimension: closed_at
    entities:
      - {name: ticket, type: primary, expr: ticket_id}
    dimensions:
      - {name: opened_at, type: time, type_params: {time_granularity: day}}
      - {name: closed_at, type: time, expr: "CAST(closed_at AS DATE)",
         type_params: {time_granularity: day}}
    measures:
      - {name: tickets, expr: "1", agg: sum, create_metric: true}
"""


def test_a_series_by_a_date_no_row_has_is_asked_back_not_answered(shop: Path,
                                                                   tmp_path: Path) -> None:
    """Every ticket is still open: a month series by the close date has one empty period,
    which is no answer; the question comes back naming the date that is there."""
    _with(shop, "tickets", TICKETS, "ticket_id,opened_at,closed_at\nt1,2022-01-03,\n"
                                    "t2,2022-02-04,\n")
    answer = ask(shop, tmp_path, "how many tickets each month?")
    assert answer["status"] == "clarify", answer["message"]
    assert "`closed_at` is empty on every row" in answer["message"]
    assert "opened at" in answer["message"]


TICKET_ROWS = ("ticket_id,opened_at,closed_at\nt1,2022-01-03,2022-03-10\nt2,2022-02-04,2022-02-20\n"
               "t3,2022-02-10,\n")


@pytest.mark.parametrize(("question", "expected"), [
    ("how many tickets were opened in February 2022?", [[2]]),  # t2, t3
    ("how many tickets were closed in February 2022?", [[1]]),  # t2: the metric's own date
    ("tickets opened each month in 2022", [["2022-01-01", 1], ["2022-02-01", 2]]),
])
def test_a_period_named_by_another_dates_event_is_on_that_date(shop: Path, tmp_path: Path,
                                                                question: str,
                                                                expected: list) -> None:
    """Tickets count by their close date; "opened in February" is on the open date, and
    the answer says which date it counted by."""
    _with(shop, "tickets", TICKETS, TICKET_ROWS)
    answer = answered(shop, tmp_path, question)
    assert sorted([str(v) for v in row] for row in answer["rows"]) == \
        [[str(v) for v in row] for row in expected]
    if "opened" in question and "each" not in question:
        assert "with opened at 2022-02-01 to 2022-02-28" in answer["message"]


def test_two_dates_named_by_their_events_are_asked_back(shop: Path, tmp_path: Path) -> None:
    _with(shop, "tickets", TICKETS, TICKET_ROWS)
    answer = ask(shop, tmp_path, "how many tickets opened and closed in February 2022?")
    assert answer["status"] == "clarify", answer["message"]


def test_a_region_on_a_model_with_no_geography_is_a_word_not_understood(shop: Path,
                                                                         tmp_path: Path) -> None:
    """The model declares no countries to offer, so "Europe" is said back as not understood
    (it had been "countries are ." with nothing listed)."""
    answer = ask(shop, tmp_path, "what was revenue in europe?")
    assert answer["status"] == "clarify"
    assert "europe" in answer["message"] and "countries are" not in answer["message"]


def test_of_dimensions_equally_near_the_one_keyed_by_the_metrics_entity_answers(
        shop: Path, tmp_path: Path) -> None:
    """Orders have a country of their own entity (`order__country`, through an order-to-address
    table) and customers one (`customer__country`), each one join away: "revenue by country"
    is the order's, as the metric counts orders; the answer names only that one."""
    (shop / "models" / "addresses.yml").write_text(
        "semantic_models:\n  - name: order_addresses\n    model: ref('order_addresses')\n"
        "    entities:\n      - {name: order, type: primary, expr: order_id}\n"
        "    dimensions:\n      - {name: country, type: categorical}\n")
    (shop / "models" / "order_addresses.sql").write_text("select * from order_addresses_seed\n")
    (shop / "seeds" / "order_addresses_seed.csv").write_text(
        "order_id,country\no1,DE\no2,DE\no3,US\n")
    answer = answered(shop, tmp_path, "revenue by country")
    # SELECT a.country, SUM(o.amount) FROM orders o JOIN order_addresses a USING (order_id)
    assert sorted(map(tuple, answer["rows"])) == [("DE", 40.0), ("US", 5.0)]
    assert "customer__country" not in answer["message"]


def test_a_lone_identifier_noun_names_no_dimension(shop: Path, tmp_path: Path) -> None:
    """"Customer number" of customers is also said "the customer's number", but "number"
    alone is any number: "revenue by order number" is not revenue by customer number."""
    (shop / "models" / "customers.yml").write_text(CUSTOMERS.replace(
        "{name: country, type: categorical}",
        "{name: country, type: categorical}\n      - {name: customer_number, type: categorical}"))
    (shop / "seeds" / "customers_seed.csv").write_text(
        "customer_id,country,customer_number,ds\nc1,FR,101,2022-01-01\nc2,US,102,2022-01-01\n")
    answer = ask(shop, tmp_path, "revenue by order number")
    assert answer["status"] != "answered", answer["message"]


def test_a_metric_by_an_entity_is_one_row_per_key(shop: Path, tmp_path: Path) -> None:
    """MetricFlow groups by an entity: "by customer" is one row per customer key, and "which
    customer" ranks them (both were asked back, "customer" not understood)."""
    by = answered(shop, tmp_path, "revenue by customer")
    # SELECT customer_id, SUM(amount) FROM orders GROUP BY 1
    assert sorted(map(tuple, by["rows"])) == [("c1", 40.0), ("c2", 5.0)]
    top = answered(shop, tmp_path, "which customer brings in the most revenue?")
    assert [r[0] for r in top["rows"]] == ["c1"]


def test_an_entity_with_a_name_is_grouped_by_its_name(shop: Path, tmp_path: Path) -> None:
    """A thing is shown by its name: where the entity's model has one name dimension, "by
    customer" is by that name."""
    (shop / "models" / "customers.yml").write_text(
        CUSTOMERS + "      - {name: customer_name, type: categorical}\n")
    (shop / "seeds" / "customers_seed.csv").write_text(
        "customer_id,country,customer_name,ds\nc1,FR,Ann,2022-01-01\nc2,US,Bo,2022-01-01\n")
    answer = answered(shop, tmp_path, "revenue by customer")
    assert sorted(map(tuple, answer["rows"])) == [("Ann", 40.0), ("Bo", 5.0)]


ACME = Path(__file__).resolve().parents[4] / "shared" / "external" / "acme-insurance"


@pytest.mark.skipif(not ACME.is_dir(), reason="the shared ACME example is not here")
def test_a_word_two_entities_are_named_by_names_neither() -> None:
    """ACME keys parties by `party` and by `party_identifier`: "party" is asked back rather than
    read as one of them; "catastrophe" (of `catastrophe_identifier`) names its name."""
    from assistant.planner.lexicon import build_lexicon

    phrases = {e.phrase: e.senses for e in build_lexicon(collect_issues(ACME)[0])}
    assert "party" not in phrases
    assert [s.name for s in phrases["catastrophe"]] == ["catastrophe_identifier__catastrophe_name"]


@pytest.mark.parametrize("question, expected", [
    ("compare revenue this month against last month", [("2022-01-01", 40.0),
                                                        ("2022-02-01", 5.0)]),
    # a ratio is recomputed in each period, not summed: 40 / 2 orders, then 5 / 1
    ("revenue per order this month vs last month", [("2022-01-01", 20.0),
                                                     ("2022-02-01", 5.0)]),
])
def test_two_periods_of_a_dbt_metric_are_one_row_each(shop: Path, tmp_path: Path, question: str,
                                                      expected: list) -> None:
    """Compared periods that are not whole calendar units of one grain (this month so far
    against last month) were refused for a dbt metric; each is now MetricFlow's own figure
    for that period, labelled by its first day."""
    seed = shop / "seeds" / "orders_seed.csv"  # the order's own date, which the model reads
    seed.write_text(seed.read_text().replace(",ds\n", ",ordered_at\n"))
    config = load_config(environ={"SEGQ_SEMANTIC_MODELS": str(shop / "models"),
                                  "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3"),
                                  "SEGQ_AS_OF": "2022-02-15"})
    answer = Assistant(config).ask(question).log_dict()
    assert answer["status"] == "answered", answer
    assert [tuple(r) for r in answer["rows"]] == expected


MF_TUTORIAL = (Path(__file__).resolve().parents[4] / "shared" / "external" / "metricflow-itests"
               / "mf_tutorial_sample" / "models")


@pytest.mark.skipif(not MF_TUTORIAL.is_dir(), reason="the shared MetricFlow tutorial is not here")
def test_an_entity_said_before_a_dimension_says_whose_it_is(tmp_path: Path) -> None:
    """ "Revenue by customer region" is one row per region, reached through the customer; the
    entity word also grouped by customer, one row per customer and region."""
    config = load_config(environ={"SEGQ_SEMANTIC_MODELS": str(MF_TUTORIAL),
                                  "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3"),
                                  "SEGQ_AS_OF": "2022-04-05"})
    assistant = Assistant(config)
    by_region = assistant.ask("break down revenue by customer region").log_dict()
    assert by_region["status"] == "answered", by_region["message"]
    assert [g["name"] for g in by_region["plan"]["group_by"]] == ["country__region"]
    total = assistant.ask("total revenue").log_dict()["rows"][0][-1]
    assert sorted(r[0] for r in by_region["rows"]) == ["EU", "NA"]
    assert sum(r[-1] for r in by_region["rows"]) == pytest.approx(total)


# -- what a model's words say about counts and money --------------------------------------------
SIZE_BAND = """\
      - name: size_band
        type: categorical
        expr: "CASE WHEN amount >= 20 THEN 'Large' ELSE 'Small' END"
"""


def test_the_outcomes_of_a_case_dimension_are_its_values(shop: Path, tmp_path: Path) -> None:
    """A dimension defined by a CASE of text outcomes has exactly those values, so "large
    orders" filters on it, and one of its two values against the rest is both, a row each."""
    (shop / "models" / "orders.yml").write_text(ORDERS.replace(
        "      - {name: status, type: categorical}\n",
        "      - {name: status, type: categorical}\n" + SIZE_BAND))
    large = answered(shop, tmp_path, "revenue from large orders")
    assert large["rows"] == [[30.0]]  # SELECT SUM(amount) FROM orders WHERE amount >= 20
    both = answered(shop, tmp_path, "revenue: large versus everything else")
    assert sorted(map(tuple, both["rows"])) == [("Large", 30.0), ("Small", 15.0)]


ORDERS_METRIC = ("  - {name: orders, label: Orders, type: simple, "
                 "type_params: {measure: order_count}}\n")


def test_what_a_count_brought_in_is_the_money_of_those_rows(shop: Path, tmp_path: Path) -> None:
    """"What did orders bring in" asks for the orders' money, never for how many there were:
    the amount named like the count ("Order Amount (USD)" of "Orders")."""
    models = ORDERS.replace("    measures:\n", "    measures:\n" + REFUNDS) + MONEY_METRICS + \
        ORDERS_METRIC
    (shop / "models" / "orders.yml").write_text(models)
    brought = answered(shop, tmp_path, "what did orders bring in?")
    assert brought["plan"]["metric"]["name"] == "order_amount"
    assert brought["rows"] == [[45.0]]  # SELECT SUM(amount) FROM orders


def test_the_volume_of_a_thing_counted_and_summed_alike_is_asked_back(
        shop: Path, tmp_path: Path) -> None:
    models = ORDERS.replace("    measures:\n", "    measures:\n" + REFUNDS) + MONEY_METRICS + \
        ORDERS_METRIC
    (shop / "models" / "orders.yml").write_text(models)
    volume = ask(shop, tmp_path, "what is our order volume?")
    assert volume["status"] == "clarify", volume["message"]
    assert {c["name"] for c in volume["candidates"]} == {"orders", "order_amount"}
    assert answered(shop, tmp_path, "our order dollar volume")["rows"] == [[45.0]]


def test_a_country_kept_as_its_code_is_also_named_as_people_call_it(shop: Path,
                                                                     tmp_path: Path) -> None:
    """`customers.country` holds ISO codes ("FR", "US"): "France" and "French" name FR."""
    for question in ("revenue from customers in France", "revenue from French customers"):
        assert answered(shop, tmp_path, question)["rows"] == [[40.0]]  # c1 FR: o1 + o2
    both = answered(shop, tmp_path, "revenue: France vs the United States")
    assert sorted(map(tuple, both["rows"])) == [("FR", 40.0), ("US", 5.0)]


def test_a_count_labelled_a_total_is_no_money_amount(shop: Path, tmp_path: Path) -> None:
    """"Total Orders" counts orders: beside it, "the dollar value of every order" is the order
    amount, not a tie between the two."""
    models = ORDERS.replace("    measures:\n", "    measures:\n" + REFUNDS) + MONEY_METRICS + (
        "  - {name: total_orders, label: Total Orders, type: simple, "
        "type_params: {measure: order_count}}\n")
    (shop / "models" / "orders.yml").write_text(models)
    answer = answered(shop, tmp_path, "what's the dollar value of every order?")
    assert answer["plan"]["metric"]["name"] == "order_amount" and answer["rows"] == [[45.0]]
