"""The validator rejects every statement it must, names the rule, and a rejected statement
never reaches the warehouse.

`tests/fixtures/validator/rejected.sql` lists the statements, one per line, each with the
rule that must reject it. Governed segment logic is checked against the compiled definition:
editing one literal inside a governed CTE is a rejection, not a silent fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlglot import exp

import assistant.compiler
from assistant.compiler import Compiled, compile_plan
from assistant.errors import SqlRejected
from assistant.executor import Warehouse
from assistant.pipeline import Assistant
from assistant.plan import Intent, Override, QueryPlan, SegmentRef
from assistant.validator import SqlContext, check_sql, validate_sql
from tests.compiler_cases import AS_OF, GOLDEN_PLANS, ROW_CAP

REJECTED = Path(__file__).resolve().parents[1] / "fixtures" / "validator" / "rejected.sql"
ENGAGED = QueryPlan(intent=Intent.COUNT, segment=SegmentRef(name="engaged_users"))


def rejected_lines() -> list[tuple[str, str]]:
    cases = []
    for line in REJECTED.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("--"):
            continue
        sql, rule = line.rsplit(" -- ", 1)
        cases.append((sql.strip(), rule.strip()))
    return cases


@pytest.fixture(scope="module")
def warehouse(demo_path: Path) -> Iterator[Warehouse]:
    wh = Warehouse(demo_path)
    yield wh
    wh.close()


def errors(sql: str, ctx: SqlContext) -> list:
    return [i for i in check_sql(sql, ctx) if i.level == "error"]


@pytest.mark.parametrize(("sql", "rule"), rejected_lines(), ids=lambda v: v[:60])
def test_statement_is_rejected_by_the_named_rule(catalog, sql, rule):
    found = errors(sql, SqlContext(catalog, max_limit=ROW_CAP + 1))
    assert rule in {i.rule for i in found}, [(i.rule, i.message) for i in found]


def test_the_rejection_file_covers_every_rule():
    rules = {rule for _, rule in rejected_lines()}
    assert rules >= {
        "parse",
        "single-statement",
        "read_only_select",
        "no_writes_anywhere",
        "no-file-access",
        "governed_tables_only",
        "governed_columns_only",
        "restricted-column",
        "limit_present",
        "allowed_functions_only",
    }


def test_validate_sql_raises_naming_the_rule(catalog):
    with pytest.raises(SqlRejected) as err:
        validate_sql("SELECT email FROM users LIMIT 10", SqlContext(catalog))
    assert "restricted-column" in err.value.message
    assert [i.rule for i in err.value.issues] == ["restricted-column"]


# -- governed segment logic and parameters --------------------------------------------------


def compiled_engaged(catalog, plan: QueryPlan = ENGAGED) -> Compiled:
    return compile_plan(plan, catalog, AS_OF, row_cap=ROW_CAP)


def context(catalog, compiled: Compiled, plan: QueryPlan = ENGAGED) -> SqlContext:
    return SqlContext(catalog, plan, compiled.governed_ctes, max_limit=ROW_CAP + 1)


def tamper(expression: exp.Expression, cte: str = "engaged_users") -> exp.Expression:
    """`logins >= 3 * 4` -> `logins >= 1 * 4` inside the governed CTE."""
    tree = expression.copy()
    node = next(c for c in tree.find_all(exp.CTE) if c.alias_or_name == cte)
    three = [lit for lit in node.this.find_all(exp.Literal) if lit.this == "3"]
    assert len(three) == 1
    three[0].replace(exp.Literal.number(1))
    return tree


@pytest.mark.parametrize("name", list(GOLDEN_PLANS))
def test_unmodified_compiled_sql_passes_with_zero_issues(catalog, warehouse, name):
    plan = GOLDEN_PLANS[name]
    compiled = compile_plan(plan, catalog, AS_OF, row_cap=ROW_CAP)
    ctx = SqlContext(
        catalog, plan, compiled.governed_ctes, live_schema=warehouse.schema(), max_limit=ROW_CAP + 1
    )
    assert check_sql(compiled.sql(), ctx) == []
    assert check_sql(compiled.sql(pretty=False), ctx) == []


def test_a_changed_threshold_inside_a_governed_cte_is_rejected(catalog):
    compiled = compiled_engaged(catalog)
    sql = compiled.sql()
    assert sql.count(">= 3 * 4") == 1
    found = errors(sql.replace(">= 3 * 4", ">= 1 * 4"), context(catalog, compiled))
    assert [i.rule for i in found] == ["governed_segment_logic"]
    assert "`engaged_users` differs from its governed definition" in found[0].message


def test_a_changed_stage_inside_a_required_segment_is_rejected(catalog):
    """Lifecycle needs engaged_users: editing the dependency is editing lifecycle's logic."""
    plan = QueryPlan(intent=Intent.DISTRIBUTION, segment=SegmentRef(name="lifecycle_stage"))
    compiled = compile_plan(plan, catalog, AS_OF, row_cap=ROW_CAP)
    sql = compiled.sql()
    assert sql.count("event_name = 'login'") == 1
    found = errors(
        sql.replace("event_name = 'login'", "event_name = 'page_view'"),
        context(catalog, compiled, plan),
    )
    assert [i.rule for i in found] == ["governed_segment_logic"]
    assert "`engaged_users__recent_logins`" in found[0].message


def test_a_missing_governed_cte_is_rejected(catalog):
    compiled = compiled_engaged(catalog)
    tree = compiled.expression.copy()
    next(c for c in tree.find_all(exp.CTE) if c.alias_or_name == "engaged_users").pop()
    found = errors(tree.sql("duckdb"), context(catalog, compiled))
    assert "governed_segment_logic" in {i.rule for i in found}
    assert any("`engaged_users` is missing" in i.message for i in found)


def test_a_cte_posing_as_a_governed_stage_is_rejected(catalog):
    compiled = compiled_engaged(catalog)
    sql = compiled.sql().replace(
        "WITH ", "WITH engaged_users__shadow AS (SELECT user_id FROM users), ", 1
    )
    found = errors(sql, context(catalog, compiled))
    assert [i.rule for i in found] == ["governed_segment_logic"]
    assert "`engaged_users__shadow`" in found[0].message


def test_an_override_outside_its_bounds_is_rejected_with_exactly_one_issue(catalog):
    compiled = compiled_engaged(catalog)
    plan = ENGAGED.model_copy(
        update={"overrides": (Override(parameter="min_logins_per_week", value=80),)}
    )
    found = errors(compiled.sql(), context(catalog, compiled, plan))
    assert [i.rule for i in found] == ["overrides_within_bounds"]
    assert found[0].message.startswith(
        "Override `min_logins_per_week`=80 for `engaged_users` is outside its bounds 1..50."
    )


def test_an_override_of_an_undeclared_parameter_is_rejected(catalog):
    compiled = compiled_engaged(catalog)
    plan = ENGAGED.model_copy(update={"overrides": (Override(parameter="min_logins", value=5),)})
    found = errors(compiled.sql(), context(catalog, compiled, plan))
    assert [i.rule for i in found] == ["overrides_within_bounds"]


# -- a rejected statement is never executed -------------------------------------------------


@pytest.fixture()
def execute_calls(monkeypatch) -> list[str]:
    """Spy on Warehouse.execute: record every statement, then run it for real."""
    calls: list[str] = []
    real = Warehouse.execute

    def spy(self, sql, **kwargs):
        calls.append(sql)
        return real(self, sql, **kwargs)

    monkeypatch.setattr(Warehouse, "execute", spy)
    return calls


@pytest.fixture()
def tampering_compiler(monkeypatch):
    """The compiler the pipeline calls returns a statement whose governed CTE was edited."""

    def compile_tampered(plan, catalog, as_of, *, row_cap, **options):
        real = compile_plan(plan, catalog, as_of, row_cap=row_cap, **options)
        return Compiled(
            tamper(real.expression), real.governed_ctes, real.definitions, real.overrides
        )

    monkeypatch.setattr(assistant.compiler, "compile_plan", compile_tampered)


def test_the_spy_sees_an_untampered_plan_execute_once(config, catalog, execute_calls):
    answer = Assistant(config, catalog=catalog).run_plan(ENGAGED)
    assert answer.status == "answered"
    assert len(execute_calls) == 1


def test_run_plan_with_tampered_sql_errors_and_never_executes(
    config, catalog, execute_calls, tampering_compiler
):
    answer = Assistant(config, catalog=catalog).run_plan(ENGAGED)
    assert answer.status == "error"
    assert answer.failure is not None and "governed_segment_logic" in answer.failure.rules
    assert "governed_segment_logic" in answer.message
    assert answer.rows == [] and answer.row_count == 0
    assert "logins >= 1 * 4" in answer.sql  # the rejected statement is shown, not fixed
    assert execute_calls == []


def test_ask_with_tampered_sql_errors_and_never_executes(
    config, catalog, execute_calls, tampering_compiler
):
    answer = Assistant(config, catalog=catalog).ask("How many engaged users do we have?")
    assert answer.plan is not None and answer.plan["segment"]["name"] == "engaged_users"
    assert answer.status == "error"
    assert answer.failure is not None and "governed_segment_logic" in answer.failure.rules
    assert execute_calls == []


# -- known gaps -------------------------------------------------------------------------------


def test_a_tampered_cte_shadowed_by_a_nested_governed_copy_is_rejected(catalog, warehouse):
    compiled = compiled_engaged(catalog)
    governed = {n: b.sql("duckdb") for n, b in compiled.governed_ctes.items()}
    logins = governed["engaged_users__recent_logins"]
    sql = f"""
        WITH engaged_users__recent_logins AS ({logins}),
             engaged_users AS ({governed["engaged_users"].replace("3 * 4", "1 * 4")})
        SELECT COUNT(*) AS users FROM engaged_users
        WHERE user_id IN (
            WITH engaged_users__recent_logins AS ({logins}),
                 engaged_users AS ({governed["engaged_users"]})
            SELECT user_id FROM engaged_users__recent_logins)
        LIMIT 10"""
    honest = warehouse.execute(compiled.sql()).rows
    assert warehouse.execute(sql).rows != honest  # the edited definition changes the answer
    assert "governed_segment_logic" in {i.rule for i in errors(sql, context(catalog, compiled))}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT users FROM users LIMIT 1",
        "SELECT u FROM users AS u LIMIT 1",
        "SELECT g FROM users AS u(a, b, c, d, e, f, g) LIMIT 1",
        "SELECT * FROM users PIVOT (count(*) FOR plan IN ('free')) LIMIT 1",
    ],
    ids=["whole-row", "whole-row-alias", "column-alias-list", "pivot-star"],
)
def test_the_restricted_column_cannot_be_reached_another_way(catalog, warehouse, sql):
    rows = warehouse.execute(sql).rows
    assert "@example.com" in repr(rows)  # DuckDB really returns the email
    assert errors(sql, SqlContext(catalog, max_limit=ROW_CAP + 1)), "PII leaks unchecked"


# -- a dbt metric's two-hop join, written by MetricFlow ----------------------------------------
TWO_HOPS = {
    "transactions.yml": """\
semantic_models:
  - name: transactions
    model: ref('transactions')
    defaults: {agg_time_dimension: ds}
    entities:
      - {name: transaction, type: primary, expr: id_transaction}
      - {name: customer, type: foreign, expr: id_customer}
    dimensions:
      - {name: ds, type: time, type_params: {time_granularity: day}}
    measures:
      - {name: amount, expr: amount_usd, agg: sum, create_metric: true}
""",
    "customers.yml": """\
semantic_models:
  - name: customers
    model: ref('customers')
    entities:
      - {name: customer, type: primary, expr: id_customer}
      - {name: country, type: foreign, expr: country}
""",
    "countries.yml": """\
semantic_models:
  - name: countries
    model: ref('countries')
    entities:
      - {name: country, type: primary, expr: country}
    dimensions:
      - {name: region, type: categorical}
""",
}


@pytest.fixture
def two_hops(tmp_path: Path):
    """transactions -> customers -> countries, declared as dbt entities only."""
    pytest.importorskip("metricflow")
    from assistant.catalog import collect_issues
    from assistant.plan import DimensionRef, MetricRef

    for name, text in TWO_HOPS.items():
        (tmp_path / name).write_text(text)
        (tmp_path / name.replace(".yml", ".sql")).write_text("select 1\n")
    catalog = collect_issues(tmp_path)[0]
    plan = QueryPlan(intent=Intent.BREAKDOWN, metric=MetricRef(name="amount"),
                     group_by=(DimensionRef(name="country__region"),))
    return catalog, plan


def test_metricflows_two_hop_join_through_declared_entities_passes(two_hops):
    """`amount` by region: MetricFlow joins transactions to a subquery of customers joined to
    countries. The statement passes however often the engine has compiled it before (its
    subquery numbering once depended on the engine's cache, so the second compile differed)."""
    catalog, plan = two_hops
    compiled = compile_plan(plan, catalog, AS_OF, row_cap=ROW_CAP)
    sql = compiled.sql()
    assert "JOIN (" in sql and "JOIN countries" in sql  # the hop through a subquery
    for _ in range(2):
        ctx = SqlContext(catalog, plan, max_limit=ROW_CAP + 1, as_of=AS_OF)
        assert errors(sql, ctx) == []
        assert compile_plan(plan, catalog, AS_OF, row_cap=ROW_CAP).sql() == sql


@pytest.mark.parametrize(("edit", "replacement"), [
    # the inner hop on columns no entity declares
    ("ON customers_src_10000.country = countries_src_10000.country",
     "ON customers_src_10000.id_customer = countries_src_10000.country"),
    # the subquery reads a table that is no semantic model's
    ("FROM customers AS customers_src_10000", "FROM suppliers AS customers_src_10000"),
    # the outer hop on another column
    ("ON transactions_src_10000.id_customer = subq_1.customer",
     "ON transactions_src_10000.id_transaction = subq_1.customer"),
])
def test_an_edited_two_hop_join_is_refused(two_hops, edit, replacement):
    catalog, plan = two_hops
    sql = compile_plan(plan, catalog, AS_OF, row_cap=ROW_CAP).sql(pretty=False)
    assert sql.count(edit) == 1
    found = errors(sql.replace(edit, replacement),
                   SqlContext(catalog, plan, max_limit=ROW_CAP + 1, as_of=AS_OF))
    assert "governed_joins_only" in {i.rule for i in found}
