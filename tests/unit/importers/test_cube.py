"""A Cube data model folder (cubes, joins, filtered and `number` measures, views, Jinja)
answers questions through segq's compiler, each answer citing the Cube file and line.

    shop/model/cubes/orders.yml  cube `orders` (ECOM.ORDERS): joins customers many_to_one;
                                 status, created_at; count, paid_count (filter), paid_share
                                 (number), revenue (sum of the sub-query dimension `amount` =
                                 {items.total})
    shop/model/cubes/items.yml   cube `items`: belongs_to orders; total = SUM(price);
                                 average_order_value = total / distinct orders (number)
    shop/model/cubes/customers.yml  a Jinja template: country; name masked for unknown teams
    shop/data/*.csv              orders o1 c1 paid 2022-01 / o2 c1 paid 2022-02 / o3 c2 refunded
                                 2023-01; items 10+30 (o1), 5 (o2), 7 (o3); customers c1 FR, c2 US
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from assistant.catalog import collect_issues
from assistant.config import load_config
from assistant.importers import load_models
from assistant.importers.detect import CUBE, classify
from assistant.pipeline import Assistant

SHARED = Path(__file__).resolve().parents[4] / "shared" / "external" / "cube"

ORDERS = """\
cubes:
  - name: orders
    sql_table: ECOM.ORDERS
    joins:
      - name: customers
        sql: "{CUBE}.CUSTOMER_ID = {customers}.ID"
        relationship: many_to_one
    dimensions:
      - {name: id, sql: ID, type: string, primary_key: true}
      - {name: status, sql: STATUS, type: string}
      - {name: created_at, sql: "{CUBE}.CREATED_AT", type: time}
      - {name: amount, sql: "{items.total}", type: number, sub_query: true}
    measures:
      - {name: count, type: count}
      - name: paid_count
        type: count
        filters:
          - sql: "{CUBE}.STATUS = 'paid'"
      - name: paid_share
        type: number
        sql: "{paid_count} * 1.0 / NULLIF({count}, 0)"
      - {name: revenue, sql: "{CUBE.amount}", type: sum}
      - {name: buyers, sql: CUSTOMER_ID, type: count_distinct}
    segments:
      - {name: paid, sql: "{CUBE}.STATUS = 'paid'"}
"""
ITEMS = """\
cubes:
  - name: items
    sql_table: ECOM.ITEMS
    joins:
      - {name: orders, sql: "{CUBE}.ORDER_ID = {orders}.ID", relationship: belongs_to}
    dimensions:
      - {name: id, sql: ID, type: number, primary_key: true}
    measures:
      - {name: total, sql: PRICE, type: sum}
      - {name: orders_with_items, sql: ORDER_ID, type: count_distinct}
      - name: average_order_value
        type: number
        sql: "{total} * 1.0 / NULLIF({orders_with_items}, 0)"
"""
CUSTOMERS = """\
{% set trusted = COMPILE_CONTEXT.securityContext.team in ['cx'] %}
{% macro masked(sql) -%}
{{ sql if trusted else "\\"'***'\\"" }}
{%- endmacro %}
cubes:
  - name: customers
    sql_table: ECOM.CUSTOMERS
    dimensions:
      - {name: id, sql: ID, type: string, primary_key: true}
      - {name: country, sql: COUNTRY, type: string}
      - name: full_name
        sql: {{ masked('FULL_NAME') }}
        type: string
"""
VIEW = """\
views:
  - name: orders_view
    cubes:
      - join_path: orders
        includes: [count, revenue]
      - join_path: orders.customers
        prefix: true
        includes:
          - country
          - age
"""


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "model" / "cubes").mkdir(parents=True)
    (root / "model" / "views").mkdir()
    (root / "data").mkdir()
    for name, text in (("orders", ORDERS), ("items", ITEMS), ("customers", CUSTOMERS)):
        (root / "model" / "cubes" / f"{name}.yml").write_text(text)
    (root / "model" / "views" / "orders_view.yml").write_text(VIEW)
    (root / "data" / "orders.csv").write_text(
        "id,customer_id,status,created_at\no1,c1,paid,2022-01-05 10:00:00\n"
        "o2,c1,paid,2022-02-05 10:00:00\no3,c2,refunded,2023-01-05 10:00:00\n")
    (root / "data" / "items.csv").write_text(
        "id,order_id,price,created_at\n1,o1,10,2022-01-05\n2,o1,30,2022-01-05\n"
        "3,o2,5,2022-02-05\n4,o3,7,2023-01-05\n")
    (root / "data" / "customers.csv").write_text(
        "id,country,full_name\nc1,FR,Ann Lee\nc2,US,Bo Diaz\n")
    return root


def ask(shop: Path, tmp_path: Path, question: str) -> dict:
    config = load_config(environ={"SEGQ_SEMANTIC_MODELS": str(shop / "model"),
                                  "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3"),
                                  "XDG_CACHE_HOME": str(tmp_path / "cache")})
    return Assistant(config).ask(question).log_dict()


def hand(shop: Path, sql: str) -> list[tuple]:
    """The example's tables loaded straight from the CSVs, for the expected answer."""
    con = duckdb.connect()
    for name in ("orders", "items", "customers"):
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv_auto(?)",
                    [str(shop / "data" / f"{name}.csv")])
    return con.execute(sql).fetchall()


def test_a_jinja_model_file_is_detected_as_cube_by_its_rendered_content(shop: Path) -> None:
    assert classify(shop / "model" / "cubes" / "customers.yml") == CUBE


def test_members_keep_their_cube_file_and_line(shop: Path) -> None:
    catalog, issues = load_models(shop / "model")
    assert catalog.metrics["paid_count"].source == "model/cubes/orders.yml:15"
    assert catalog.metrics["paid_count"].filter == "(orders.status = 'paid')"
    assert catalog.dimensions["country"].source == "model/cubes/customers.yml:10"
    assert {(r.from_table, r.to_table, r.type) for r in catalog.relationships} == {
        ("orders", "customers", "many_to_one"), ("items", "orders", "many_to_one")}
    assert not [i for i in issues if i.level == "error"], issues


def test_masked_members_and_a_view_member_the_cube_lacks_are_warnings_at_their_line(
        shop: Path) -> None:
    catalog, issues = load_models(shop / "model")
    warnings = {(i.source, i.rule) for i in issues if i.level == "warning"}
    assert ("model/cubes/customers.yml:11", "not-imported") in warnings  # full_name masked
    assert ("model/views/orders_view.yml:10", "unknown-reference") in warnings  # age
    assert "full_name" not in catalog.dimensions


def test_an_unknown_key_and_an_unknown_relationship_are_errors_at_their_line(
        shop: Path) -> None:
    (shop / "model" / "cubes" / "items.yml").write_text(
        ITEMS.replace("relationship: belongs_to", "relationship: belongs_too")
        .replace("    sql_table:", "    sql_tabel: x\n    sql_table:"))
    _, issues = collect_issues(shop / "model")
    errors = {(i.source, i.rule) for i in issues if i.level == "error"}
    assert ("model/cubes/items.yml:3", "unknown-key") in errors
    assert ("model/cubes/items.yml:6", "bad-value") in errors


def test_a_filtered_count_by_a_joined_dimension_equals_hand_written_sql(
        shop: Path, tmp_path: Path) -> None:
    answer = ask(shop, tmp_path, "paid count by country")
    assert answer["status"] == "answered", answer["message"]
    assert sorted(map(tuple, answer["rows"])) == hand(shop, """
        SELECT c.country, COUNT(*) FROM orders o JOIN customers c ON c.id = o.customer_id
        WHERE o.status = 'paid' GROUP BY 1""")
    assert answer["definitions"][0]["source"] == "model/cubes/orders.yml:15"


def test_a_number_measure_combines_its_measures_with_their_filters(
        shop: Path, tmp_path: Path) -> None:
    answer = ask(shop, tmp_path, "paid share")
    assert answer["status"] == "answered", answer["message"]
    [(expected,)] = hand(shop, "SELECT AVG(CASE WHEN status = 'paid' THEN 1.0 ELSE 0 END) "
                               "FROM orders")
    assert answer["rows"][0][-1] == pytest.approx(expected)


def test_a_share_word_in_a_measures_own_name_names_that_measure(
        shop: Path, tmp_path: Path) -> None:
    answer = ask(shop, tmp_path, "paid share by country")
    assert answer["status"] == "answered", answer["message"]
    assert sorted(map(tuple, answer["rows"])) == hand(shop, """
        SELECT c.country, AVG(CASE WHEN o.status = 'paid' THEN 1.0 ELSE 0 END) FROM orders o
        JOIN customers c ON c.id = o.customer_id GROUP BY 1 ORDER BY 1""")


def test_a_long_measure_name_answers_to_its_initials(shop: Path, tmp_path: Path) -> None:
    answer = ask(shop, tmp_path, "aov by country")
    assert answer["status"] == "answered", answer["message"]
    assert sorted(map(tuple, answer["rows"])) == hand(shop, """
        SELECT c.country, SUM(i.price) * 1.0 / COUNT(DISTINCT o.id) FROM orders o
        JOIN customers c ON c.id = o.customer_id JOIN items i ON i.order_id = o.id
        GROUP BY 1 ORDER BY 1""")


def test_a_sum_of_a_sub_query_dimension_is_the_other_cubes_sum_through_two_hops(
        shop: Path, tmp_path: Path) -> None:
    answer = ask(shop, tmp_path, "revenue by country")
    assert answer["status"] == "answered", answer["message"]
    assert sorted(map(tuple, answer["rows"])) == hand(shop, """
        SELECT c.country, SUM(per.amount) FROM orders o
        JOIN (SELECT order_id, SUM(price) AS amount FROM items GROUP BY 1) per
          ON per.order_id = o.id
        JOIN customers c ON c.id = o.customer_id GROUP BY 1 ORDER BY 1""")


def test_a_period_filters_the_cubes_first_time_dimension(shop: Path, tmp_path: Path) -> None:
    answer = ask(shop, tmp_path, "orders count in 2022")
    assert answer["status"] == "answered", answer["message"]
    assert answer["rows"][0][-1] == hand(
        shop, "SELECT COUNT(*) FROM orders WHERE year(CAST(created_at AS TIMESTAMP)) = 2022")[0][0]


def test_the_words_of_the_time_column_a_period_is_on_name_that_date(shop: Path,
                                                                    tmp_path: Path) -> None:
    answer = ask(shop, tmp_path, "paid count for orders created in 2022")
    assert answer["status"] == "answered", answer["message"]
    assert answer["rows"][0][-1] == hand(
        shop, "SELECT COUNT(*) FROM orders WHERE status = 'paid' AND "
              "year(CAST(created_at AS TIMESTAMP)) = 2022")[0][0]


def test_values_the_model_does_not_list_are_read_from_the_data(shop: Path,
                                                               tmp_path: Path) -> None:
    """The model names `country` and `status` but not their values: "FR" and "refunded"
    are found in the data, so a question may filter on them."""
    answer = ask(shop, tmp_path, "orders count from FR customers")
    assert answer["status"] == "answered", answer["message"]
    expected = hand(shop, "SELECT COUNT(*) FROM orders o JOIN customers c "
                          "ON c.id = o.customer_id WHERE c.country = 'FR'")
    assert answer["rows"][0][-1] == expected[0][0]
    answer = ask(shop, tmp_path, "how many refunded orders count")
    assert answer["status"] == "answered", answer["message"]
    assert answer["rows"][0][-1] == 1


def test_a_value_in_the_data_that_is_a_calendar_unit_stays_the_calendars(shop: Path,
                                                                        tmp_path: Path) -> None:
    """A status "Year" in the data is not read as a value: "our two best years" would be a
    filter on it. The other statuses are."""
    from assistant.catalog.sampling import with_sampled_values

    orders = shop / "data" / "orders.csv"
    orders.write_text(orders.read_text() + "o4,c2,Year,2023-02-05 10:00:00\n")
    config = load_config(environ={"SEGQ_SEMANTIC_MODELS": str(shop / "model"),
                                  "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3"),
                                  "XDG_CACHE_HOME": str(tmp_path / "cache")})
    catalog = with_sampled_values(load_models(shop / "model")[0], Assistant(config).warehouse)
    assert [v.value for v in catalog.dimensions["status"].values] == ["paid", "refunded"]


def test_a_share_of_one_value_the_model_governs_is_its_own_measure(shop: Path,
                                                                    tmp_path: Path) -> None:
    """ "What share of orders are paid" is the model's `paid_share`, not a share made here."""
    answer = ask(shop, tmp_path, "what share of orders are paid?")
    assert answer["status"] == "answered", answer["message"]
    assert answer["plan"]["metric"]["name"] == "paid_share"
    assert [list(r) for r in answer["rows"]] == [[2 / 3]]


def test_a_count_of_nothing_named_on_a_model_that_counts_no_people_is_asked_back(
        shop: Path, tmp_path: Path) -> None:
    answer = ask(shop, tmp_path, "how many by country?")
    assert answer["status"] == "clarify", answer["message"]
    assert "which numbers" in answer["message"]


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared Cube example is not here")
def test_the_shared_cube_demo_loads_with_its_documented_quirks_reported() -> None:
    catalog, issues = load_models(SHARED / "model")
    assert not [i for i in issues if i.level == "error"], issues
    warned = {i.source for i in issues if i.level == "warning"}
    # users.yml masks first/last name; both views include users.age, which users lacks
    assert {"model/cubes/users.yml:33", "model/cubes/users.yml:37",
            "model/views/orders_view.yml:21", "model/views/line_items_view.yml:18"} <= warned
    assert catalog.metrics["completed_percentage"].source == "model/cubes/orders.yml:43"
    assert catalog.metrics["average_order_value"].table == "line_items"


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared Cube example is not here")
@pytest.mark.parametrize(("question", "name"), [
    ("how is total amount worked out for line items?", "line_items_total_amount"),
    ("how is the total amount of an order calculated?", "orders_total_amount"),
])
def test_a_definition_cue_around_the_name_still_names_the_measure_of_that_cube(
        tmp_path: Path, question: str, name: str) -> None:
    """Two cubes have a `total_amount`; "how is ... defined" around it asks about the one of
    the cube the question names, not the cube's count that the cube's name alone is."""
    config = load_config(environ={"SEGQ_SEMANTIC_MODELS": str(SHARED / "model"),
                                  "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3"),
                                  "XDG_CACHE_HOME": str(tmp_path / "cache")})
    answer = Assistant(config).ask(question).log_dict()
    assert answer["status"] == "answered", answer["message"]
    assert answer["definitions"][0]["name"] == name


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared Cube example is not here")
def test_a_share_asked_of_a_measure_that_is_a_percentage_is_that_measure(tmp_path: Path) -> None:
    config = load_config(environ={"SEGQ_SEMANTIC_MODELS": str(SHARED / "model"),
                                  "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3"),
                                  "XDG_CACHE_HOME": str(tmp_path / "cache")})
    answer = Assistant(config).ask("what proportion of orders got completed, in percent?")
    assert answer.log_dict()["status"] == "answered", answer.message
    orders = str(SHARED / "data" / "orders.csv")
    expected = duckdb.sql(f"SELECT 100.0 * COUNT(*) FILTER (WHERE status = 'completed') / "
                          f"COUNT(*) FROM read_csv_auto('{orders}')").fetchall()[0][0]
    assert answer.log_dict()["rows"][0][0] == pytest.approx(expected)


def test_a_period_on_a_sub_query_measure_filters_its_own_cubes_time(
        shop: Path, tmp_path: Path) -> None:
    # items.created_at is not the order's: revenue "in 2022" is of orders created in 2022
    answer = ask(shop, tmp_path, "revenue in 2022")
    assert answer["status"] == "answered", answer["message"]
    assert answer["rows"][0][-1] == hand(shop, """
        SELECT SUM(i.price) FROM items i JOIN orders o ON o.id = i.order_id
        WHERE year(CAST(o.created_at AS TIMESTAMP)) = 2022""")[0][0]


def test_older_relationship_names_mean_what_cube_means_by_them(shop: Path) -> None:
    (shop / "model" / "cubes" / "orders.yml").write_text(ORDERS.replace(
        "        relationship: many_to_one",
        "        relationship: has_one\n"
        "      - {name: items, sql: \"{CUBE}.ID = {items}.ORDER_ID\", relationship: has_many}"))
    catalog, issues = load_models(shop / "model")
    assert not [i for i in issues if i.level == "error"], issues
    types = {r.name: (r.type, r.keys) for r in catalog.relationships}
    assert types == {"orders.customers": ("one_to_one", (("customer_id", "id"),)),
                     "orders.items": ("one_to_many", (("id", "order_id"),)),
                     "items.orders": ("many_to_one", (("order_id", "id"),))}


def test_count_distinct_is_distinct_and_what_segq_cannot_import_is_said_at_its_line(
        shop: Path, tmp_path: Path) -> None:
    (shop / "model" / "cubes" / "extra.yml").write_text(
        "cubes:\n"
        "  - name: recent\n"
        "    sql: SELECT * FROM ecom.orders WHERE created_at > '2022-06-01'\n"
        "  - name: refunds\n"
        "    sql_table: ECOM.REFUNDS\n"
        "    measures:\n"
        "      - {name: refunded, sql: AMOUNT, type: summ}\n")
    catalog, issues = load_models(shop / "model")
    found = {(i.level, i.source, i.rule) for i in issues}
    assert ("warning", "model/cubes/orders.yml:25", "not-imported") in found  # segment paid
    assert ("warning", "model/cubes/extra.yml:2", "not-imported") in found  # a sql: cube
    assert ("error", "model/cubes/extra.yml:7", "bad-value") in found  # type summ
    assert "refunded" not in catalog.metrics
    (shop / "model" / "cubes" / "extra.yml").unlink()
    answer = ask(shop, tmp_path, "buyers")
    assert answer["status"] == "answered", answer["message"]
    assert answer["rows"][0][-1] == hand(
        shop, "SELECT COUNT(DISTINCT customer_id) FROM orders")[0][0]


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared Cube example is not here")
def test_the_last_word_of_a_cubes_name_names_its_count_and_buying_is_a_light_verb(
        tmp_path: Path) -> None:
    """"Items" is what `line_items` holds (no other cube ends in it), and "bought by" adds
    nothing to a count of what was bought: both were left over and asked back."""
    config = load_config(environ={"SEGQ_SEMANTIC_MODELS": str(SHARED / "model"),
                                  "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3"),
                                  "XDG_CACHE_HOME": str(tmp_path / "cache")})
    answer = Assistant(config).ask("how many items were bought by customers in us-nj?")
    assert answer.log_dict()["status"] == "answered", answer.message
    data = SHARED / "data"
    expected = duckdb.sql(
        f"SELECT COUNT(*) FROM read_csv_auto('{data / 'line_items.csv'}') li "
        f"JOIN read_csv_auto('{data / 'orders.csv'}') o ON o.id = li.order_id "
        f"JOIN read_csv_auto('{data / 'users.csv'}') u ON u.id = o.user_id "
        "WHERE u.state = 'us-nj'").fetchall()[0][0]
    assert answer.log_dict()["rows"][0][-1] == expected


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared Cube example is not here")
def test_the_value_of_orders_is_their_amount_not_their_count(tmp_path: Path) -> None:
    """"Value" says an amount: of the model's amounts, the orders' total (it was read as the
    orders count, "value" left over)."""
    config = load_config(environ={"SEGQ_SEMANTIC_MODELS": str(SHARED / "model"),
                                  "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3"),
                                  "XDG_CACHE_HOME": str(tmp_path / "cache")})
    answer = Assistant(config).ask("what's the total value of all orders ever placed?")
    assert answer.log_dict()["status"] == "answered", answer.message
    assert answer.log_dict()["plan"]["metric"]["name"] == "orders_total_amount"
    data = SHARED / "data"
    expected = duckdb.sql(  # every order's amount is the sum of its line items' prices
        f"SELECT SUM(li.price) FROM read_csv_auto('{data / 'line_items.csv'}') li "
        f"JOIN read_csv_auto('{data / 'orders.csv'}') o ON o.id = li.order_id").fetchall()[0][0]
    assert answer.log_dict()["rows"][0][-1] == expected


# -- the words a model's people and money go by ---------------------------------------------
def _counted_customers(shop: Path) -> None:
    cubes = shop / "model" / "cubes" / "customers.yml"
    cubes.write_text(cubes.read_text() + "    measures:\n      - {name: count, type: count}\n")


def test_a_table_of_people_answers_to_any_word_for_people(shop: Path, tmp_path: Path) -> None:
    _counted_customers(shop)
    answer = ask(shop, tmp_path, "how many clients are in FR?")
    assert answer["status"] == "answered", answer["message"]
    assert answer["rows"] == [[1]]  # SELECT COUNT(*) FROM customers WHERE country = 'FR'


def test_people_counted_by_a_purchase_no_definition_counts_are_asked_back(
        shop: Path, tmp_path: Path) -> None:
    """Counting every customer would not answer who bought something; no measure here counts
    buyers by that name, so the question is asked back rather than answered with all of them."""
    _counted_customers(shop)
    answer = ask(shop, tmp_path, "how many customers bought something?")
    assert answer["status"] == "clarify", answer["message"]


def test_what_the_orders_brought_in_is_never_their_count(shop: Path, tmp_path: Path) -> None:
    """The orders' count is labelled plain "count" and their money sits on the items: no one
    amount is named like the count, so the money figures are offered, not the count."""
    answer = ask(shop, tmp_path, "what did orders bring in?")
    assert answer["status"] == "clarify", answer["message"]
    assert {"revenue", "total"} <= {c["name"] for c in answer["candidates"]}
    assert "count" not in {c["name"] for c in answer["candidates"]}


def test_a_word_for_people_yields_to_the_figure_the_question_names(shop: Path,
                                                                    tmp_path: Path) -> None:
    """ "French customers' revenue" is revenue of French customers, not a count of them."""
    _counted_customers(shop)
    answer = ask(shop, tmp_path, "for customers in FR, what was the revenue?")
    assert answer["status"] == "answered", answer["message"]
    assert answer["plan"]["metric"]["name"] == "revenue"


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared Cube example is not here")
def test_the_value_of_every_order_ever_received_is_the_whole_total(tmp_path: Path) -> None:
    config = load_config(environ={"SEGQ_SEMANTIC_MODELS": str(SHARED / "model"),
                                  "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3"),
                                  "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assistant = Assistant(config)
    answer = assistant.ask("What's the total value of every order we've ever received?")
    assert answer.status == "answered", answer.message
    with (SHARED / "data" / "line_items.csv").open() as f:
        total = sum(float(r["price"]) for r in csv.DictReader(f))
    assert float(answer.rows[0][0]) == pytest.approx(total)
    rate = assistant.ask("For every completed order, how many shipped ones are there?")
    assert rate.status != "answered"  # a rate of two counts, never one count of either


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared Cube example is not here")
def test_a_state_named_like_a_city_the_data_lists_keeps_the_citys_name(tmp_path: Path) -> None:
    """Cube's demo lists the city "New York" and keeps states as codes ("us-ny"): the state's
    name is added only where nothing else is, so "New York customers" are the city's."""
    config = load_config(environ={"SEGQ_SEMANTIC_MODELS": str(SHARED / "model"),
                                  "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3"),
                                  "XDG_CACHE_HOME": str(tmp_path / "cache")})
    answer = Assistant(config).ask("How many orders have New York customers placed?")
    with (SHARED / "data" / "users.csv").open() as f:
        city = {r["id"] for r in csv.DictReader(f) if r["city"] == "New York"}
    with (SHARED / "data" / "orders.csv").open() as f:
        expected = sum(r["user_id"] in city for r in csv.DictReader(f))
    assert answer.status == "answered", answer.message
    assert answer.rows == [[expected]]
    texas = Assistant(config).ask("how many orders came from Texas?")
    assert texas.status == "answered" and "us-tx" in texas.message
