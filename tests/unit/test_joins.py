"""Questions whose metric and dimensions live on different tables join through declared
relationships only: two hops work, a fan-out or an undeclared join is refused with what is
missing, duplicate keys in the data do not multiply a metric, and the validator accepts the
governed joins and nothing else.

The data is a small shop the test builds in DuckDB; every answer is compared with SQL written
by hand here.
"""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import duckdb
import pytest

from assistant.catalog import collect_issues, load_catalog
from assistant.compiler import compile_plan
from assistant.errors import Refusal, SqlRejected
from assistant.plan import DimensionRef, Filter, Intent, MetricRef, QueryPlan
from assistant.validator import SqlContext, validate_sql

AS_OF = date(2026, 6, 30)

MODEL = """
tables:
  - name: customers
    primary_key: id
    columns: [{name: id, type: INTEGER}, {name: city, type: VARCHAR}]
  - name: orders
    primary_key: id
    columns: [{name: id, type: INTEGER}, {name: customer_id, type: INTEGER},
              {name: status, type: VARCHAR}]
  - name: line_items
    primary_key: id
    columns: [{name: id, type: INTEGER}, {name: order_id, type: INTEGER},
              {name: product_id, type: INTEGER}, {name: store_id, type: INTEGER},
              {name: price, type: INTEGER}]
  - name: products
    primary_key: id
    columns: [{name: id, type: INTEGER}, {name: category, type: VARCHAR}]
  - name: stores
    primary_key: store_id
    columns: [{name: store_id, type: INTEGER}, {name: region, type: VARCHAR},
              {name: street, type: VARCHAR}]
  - name: suppliers
    primary_key: id
    columns: [{name: id, type: INTEGER}, {name: country, type: VARCHAR}]

relationships:
  - {name: items_to_orders, from: line_items, to: orders, type: many_to_one,
     keys: [{from: order_id, to: id}], unique_key: true}
  - {name: orders_to_customers, from: orders, to: customers, type: many_to_one,
     keys: [{from: customer_id, to: id}]}
  - {name: products_to_items, from: products, to: line_items, type: one_to_many,
     keys: [{from: id, to: product_id}]}
  - {name: items_to_stores, from: line_items, to: stores, type: many_to_one,
     keys: [{from: store_id, to: store_id}]}

dimensions:
  - {name: city, table: customers, column: city}
  - {name: status, table: orders, column: status}
  - {name: category, table: products, column: category}
  - {name: region, table: stores, column: region}
  - {name: supplier_country, table: suppliers, column: country}

metrics:
  - {name: amount, table: line_items, expr: SUM(line_items.price)}
  - {name: order_count, table: orders, expr: COUNT(*)}
"""

DATA = """
CREATE TABLE customers AS SELECT * FROM (VALUES (1, 'Oslo'), (2, 'Rome'), (3, 'Oslo'))
  t(id, city);
CREATE TABLE orders AS SELECT * FROM (VALUES (10, 1, 'completed'), (11, 2, 'completed'),
  (12, 3, 'shipped'), (13, 1, 'shipped')) t(id, customer_id, status);
CREATE TABLE products AS SELECT * FROM (VALUES (100, 'Books'), (101, 'Toys')) t(id, category);
CREATE TABLE line_items AS SELECT * FROM (VALUES
  (1, 10, 100, 7, 5), (2, 10, 101, 7, 7), (3, 11, 100, 8, 11), (4, 12, 101, 8, 13),
  (5, 13, 100, 7, 17), (6, 13, 100, 8, 19)) t(id, order_id, product_id, store_id, price);
-- store 7 has three rows although store_id is declared the key: a literal join would
-- count each of its line items three times
CREATE TABLE stores AS SELECT * FROM (VALUES (7, 'North', 'a'), (7, 'North', 'b'),
  (7, 'North', 'c'), (8, 'South', 'd')) t(store_id, region, street);
CREATE TABLE suppliers AS SELECT * FROM (VALUES (1, 'NO')) t(id, country);
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, duckdb.DuckDBPyConnection]:
    root = tmp_path_factory.mktemp("shop")
    models = root / "models"
    models.mkdir()
    (models / "shop.yml").write_text(textwrap.dedent(MODEL))
    con = duckdb.connect()
    con.execute(DATA)
    return models, con


def _plan(metric: str, *, by: tuple[str, ...] = (), where: dict[str, str] | None = None
          ) -> QueryPlan:
    return QueryPlan(
        intent=Intent.BREAKDOWN if by else Intent.METRIC, metric=MetricRef(name=metric),
        group_by=tuple(DimensionRef(name=d) for d in by),
        filters=tuple(Filter(dimension=k, values=(v,)) for k, v in (where or {}).items()))


def _answer(shop: tuple[Path, duckdb.DuckDBPyConnection], plan: QueryPlan) -> list[tuple]:
    models, con = shop
    catalog = load_catalog(models)
    compiled = compile_plan(plan, catalog, AS_OF, row_cap=1000)
    sql = compiled.sql()
    validate_sql(sql, SqlContext(catalog, plan, compiled.governed_ctes, as_of=AS_OF))
    return sorted(con.execute(sql).fetchall())


def _gold(shop: tuple[Path, duckdb.DuckDBPyConnection], sql: str) -> list[tuple]:
    return sorted(shop[1].execute(sql).fetchall())


def test_a_metric_by_a_dimension_two_joins_away(shop) -> None:
    got = _answer(shop, _plan("amount", by=("city",)))
    assert got == _gold(shop, """
        SELECT c.city, SUM(li.price) FROM line_items li
        JOIN orders o ON o.id = li.order_id JOIN customers c ON c.id = o.customer_id
        GROUP BY c.city""")
    assert got == [("Oslo", 5 + 7 + 13 + 17 + 19), ("Rome", 11)]


def test_filters_on_one_table_and_grouping_on_another(shop) -> None:
    got = _answer(shop, _plan("amount", by=("city",), where={"status": "completed"}))
    assert got == _gold(shop, """
        SELECT c.city, SUM(li.price) FROM line_items li
        JOIN orders o ON o.id = li.order_id JOIN customers c ON c.id = o.customer_id
        WHERE o.status = 'completed' GROUP BY c.city""")


def test_a_declared_key_with_duplicate_rows_does_not_multiply_the_metric(shop) -> None:
    got = _answer(shop, _plan("amount", by=("region",)))
    assert got == _gold(shop, """
        SELECT s.region, SUM(li.price) FROM line_items li
        JOIN (SELECT DISTINCT store_id, region FROM stores) s ON s.store_id = li.store_id
        GROUP BY s.region""")
    assert dict(got)["North"] == 5 + 7 + 17  # not three times that


def test_a_join_that_fans_out_is_refused_naming_the_relationship(shop) -> None:
    with pytest.raises(Refusal) as refused:
        _answer(shop, _plan("order_count", by=("category",)))
    assert "`items_to_orders`" in refused.value.message
    assert "one `orders` row meets many `line_items` rows" in refused.value.message
    assert "many-to-one relationship from `orders` to `products`" in refused.value.message


def test_a_join_the_model_does_not_declare_is_refused_naming_both_tables(shop) -> None:
    with pytest.raises(Refusal) as refused:
        _answer(shop, _plan("amount", by=("supplier_country",)))
    assert "`line_items` to `suppliers`" in refused.value.message


def test_the_many_side_may_still_be_grouped_from_the_one_side(shop) -> None:
    """A category's amount walks products -> line_items from the many side: no fan-out."""
    got = _answer(shop, _plan("amount", by=("category",)))
    assert got == _gold(shop, """
        SELECT p.category, SUM(li.price) FROM line_items li JOIN products p
        ON p.id = li.product_id GROUP BY p.category""")


def _check(shop, sql: str) -> None:
    catalog = load_catalog(shop[0])
    validate_sql(sql, SqlContext(catalog))


def test_the_validator_accepts_declared_joins_in_either_direction(shop) -> None:
    _check(shop, "SELECT c.city, COUNT(*) FROM orders o JOIN customers c "
                 "ON c.id = o.customer_id GROUP BY 1 LIMIT 10")
    _check(shop, "SELECT c.city, COUNT(*) FROM customers c JOIN orders o "
                 "ON o.customer_id = c.id GROUP BY 1 LIMIT 10")


@pytest.mark.parametrize("sql", [
    # a key the model does not declare
    "SELECT c.city, COUNT(*) FROM orders o JOIN customers c ON c.id = o.id GROUP BY 1 LIMIT 10",
    # two tables no relationship joins
    "SELECT s.country FROM suppliers s JOIN customers c ON c.id = s.id LIMIT 10",
    # a cross join and a comma join
    "SELECT c.city FROM orders o CROSS JOIN customers c LIMIT 10",
    "SELECT c.city FROM orders o, customers c WHERE c.id = o.customer_id LIMIT 10",
    # a declared key plus an extra condition
    "SELECT c.city FROM orders o JOIN customers c ON c.id = o.customer_id AND c.city = 'Oslo' "
    "LIMIT 10",
])
def test_the_validator_refuses_joins_the_model_does_not_declare(shop, sql: str) -> None:
    with pytest.raises(SqlRejected) as rejected:
        _check(shop, sql)
    assert "governed_joins_only" in {i.rule for i in rejected.value.issues}


def test_relationships_naming_unknown_tables_or_columns_are_errors_with_lines(tmp_path) -> None:
    (tmp_path / "m.yml").write_text(textwrap.dedent("""
        tables:
          - name: a
            columns: [{name: id, type: INTEGER}]
        relationships:
          - {name: a_to_b, from: a, to: b, type: many_to_one, keys: [{from: id, to: id}]}
          - {name: a_to_a, from: a, to: a, type: many_to_many, keys: [{from: id, to: id}]}
          - {name: a_self, from: a, to: a, type: one_to_one, keys: [{from: idd, to: id}]}
        """))
    _, issues = collect_issues(tmp_path)
    messages = {i.message: i.source for i in issues if i.level == "error"}
    assert any("unknown table `b`" in m and s.endswith("m.yml:6") for m, s in messages.items())
    assert any("type `many_to_many`" in m and s.endswith("m.yml:7") for m, s in messages.items())
    assert any("unknown column `a.idd`" in m and "Did you mean `id`" in m
               for m in messages)


def test_validate_reports_a_declared_key_the_data_repeats(shop, tmp_path) -> None:
    from assistant.catalog.key_checks import relationship_key_issues
    from assistant.warehouses import open_warehouse

    path = tmp_path / "shop.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(DATA)
    warehouse = open_warehouse(str(path))
    models = tmp_path / "models"
    models.mkdir()
    (models / "shop.yml").write_text(textwrap.dedent(MODEL))
    issues = relationship_key_issues(load_catalog(models), warehouse)
    assert [(i.level, i.source) for i in issues] == [("warning", "models/shop.yml:33")]
    assert "`stores` has up to 3 rows per `store_id`" in issues[0].message

    # a dimension with several values per key would still repeat rows: an error on its line
    text = textwrap.dedent(MODEL).replace(
        "  - {name: region, table: stores, column: region}\n",
        "  - {name: region, table: stores, column: region}\n"
        "  - {name: street, table: stores, column: street}\n")
    (models / "shop.yml").write_text(text)
    issues = relationship_key_issues(load_catalog(models), warehouse)
    errors = [i for i in issues if i.level == "error"]
    assert len(errors) == 1 and "Dimension `street` has up to 3 values per `store_id`" in \
        errors[0].message

    # with `unique_key: true` the table itself is joined, so the repeat is an error
    text = textwrap.dedent(MODEL).replace("keys: [{from: store_id, to: store_id}]}",
                                          "keys: [{from: store_id, to: store_id}], "
                                          "unique_key: true}")
    (models / "shop.yml").write_text(text)
    issues = relationship_key_issues(load_catalog(models), warehouse)
    assert [i.level for i in issues] == ["error"]
    assert "fix the data or drop `unique_key`" in issues[0].message
