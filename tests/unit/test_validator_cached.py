"""A statement is judged the same whether or not its plan's governed CTEs were checked before.

The validator keeps what it worked out about a plan's governed CTEs (their compilation, their
text, that their columns resolve) and then checks only the statement's own SELECT when its
WITH is exactly those CTEs. Each statement below is checked twice: with nothing kept, and
after the honest statement of the same plan was checked; the findings must be the same.

World: the demo catalog; plans list or count engaged users (US users in the listing); the
statements are the compiled SQL with one thing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
import sqlglot

import assistant.validator.columns
import assistant.validator.runner
import assistant.validator.verified
from assistant.compiler import compile_plan
from assistant.plan import QueryPlan
from assistant.validator import SqlContext, check_sql

AS_OF = date(2026, 6, 30)
ROW_CAP = 10_000
COUNT = QueryPlan.model_validate({"intent": "count", "segment": {"name": "engaged_users"}})
LIST = QueryPlan.model_validate({"intent": "list", "segment": {"name": "engaged_users"},
                                 "filters": [{"dimension": "country", "values": ["US"]}]})
RECENT = "engaged_users__recent_logins AS ("


def forget() -> None:
    assistant.validator.runner._GOVERNED.clear()
    assistant.validator.runner._READ_BACK.clear()
    assistant.validator.columns._CLEAN.clear()
    assistant.validator.verified._CLEAN.clear()


def rules_broken(catalog, sql: str, plan: QueryPlan) -> list[tuple[str, str]]:
    ctx = SqlContext(catalog, plan, max_limit=ROW_CAP + 1, as_of=AS_OF)
    return [(i.rule, i.message) for i in check_sql(sql, ctx) if i.level == "error"]


def judged_cold_and_warm(catalog, plan: QueryPlan,
                         change: Callable[[str], str]) -> list[tuple[str, str]]:
    honest = compile_plan(plan, catalog, AS_OF, row_cap=ROW_CAP).sql()
    changed = change(honest)
    assert changed != honest or change("") == ""
    forget()
    cold = rules_broken(catalog, changed, plan)
    assert rules_broken(catalog, honest, plan) == []  # now the governed CTEs are kept
    warm = rules_broken(catalog, changed, plan)
    assert warm == cold
    return warm


def test_the_honest_statement_passes_before_and_after_its_ctes_are_kept(catalog):
    assert judged_cold_and_warm(catalog, LIST, lambda sql: sql) == []


def test_an_edited_threshold_in_a_governed_cte_is_refused_after_it_was_kept(catalog):
    found = judged_cold_and_warm(catalog, COUNT, lambda sql: sql.replace(">= 3 * 4", ">= 1 * 4"))
    assert [rule for rule, _ in found] == ["governed_segment_logic"]


def test_a_restricted_column_in_the_questions_own_select_is_refused(catalog):
    found = judged_cold_and_warm(
        catalog, LIST, lambda sql: sql.replace("users.user_id,\n", "users.email,\n", 1))
    assert [rule for rule, _ in found] == ["restricted-column"]
    assert "`users.email`" in found[0][1]


def test_a_column_the_governed_cte_does_not_have_is_refused(catalog):
    found = judged_cold_and_warm(
        catalog, LIST, lambda sql: sql.replace("seg.logins AS logins", "seg.score AS logins"))
    assert [rule for rule, _ in found] == ["governed_columns_only"]


def test_a_star_over_a_governed_cte_expands_to_its_own_columns(catalog):
    found = judged_cold_and_warm(
        catalog, LIST, lambda sql: sql.replace("seg.logins AS logins", "seg.*"))
    assert found == []


def test_governed_ctes_in_another_order_are_judged_as_before(catalog):
    def swapped(sql: str) -> str:
        tree = sqlglot.parse_one(sql, read="duckdb")
        ctes = tree.args["with_"].expressions
        tree.args["with_"].set("expressions", [c.copy() for c in reversed(ctes)])
        return tree.sql("duckdb")
    found = judged_cold_and_warm(catalog, COUNT, swapped)
    assert found  # the segment's CTE now reads its stage before the stage is defined


@pytest.mark.parametrize(("name", "change"), [
    ("an extra CTE", lambda sql: sql.replace("WITH ", "WITH extra AS (SELECT 1 AS x), ", 1)),
    ("a nested copy", lambda sql: sql.replace(
        "FROM engaged_users AS seg",
        "FROM (WITH engaged_users AS (SELECT user_id FROM users) "
        "SELECT user_id FROM engaged_users) AS seg")),
    ("a CTE reading a restricted column", lambda sql: sql.replace(
        RECENT, "leak AS (SELECT email FROM users), " + RECENT)),
])
def test_a_statement_that_is_more_than_the_governed_with_is_still_refused(catalog, name,
                                                                          change):
    assert judged_cold_and_warm(catalog, COUNT, change), name


# The question's own SELECT broken, node by node, while the WITH stays exactly the governed one:
# the node rules then check the statement over stand-ins of the governed CTEs
# (`validator/verified.py`), and must find what they find in the whole statement.
OUTER_EDITS = {
    "a function off the allowlist": (COUNT, lambda sql: sql.replace(
        "COUNT(*) AS users", "COUNT(*) AS users, MD5('x') AS h"), "allowed_functions_only"),
    "a table function": (COUNT, lambda sql: sql.replace(
        "FROM engaged_users AS seg", "FROM engaged_users AS seg, read_csv('/etc/passwd') AS f"),
        "no-file-access"),
    "a table of another schema": (COUNT, lambda sql: sql.replace(
        "FROM engaged_users AS seg", "FROM engaged_users AS seg JOIN other.users AS o "
        "ON o.user_id = seg.user_id"), "governed_tables_only"),
    "a whole-row reference": (LIST, lambda sql: sql.replace(
        "users.user_id,\n", "users,\n", 1), "no_row_or_alias_tricks"),
    "a join on undeclared keys": (LIST, lambda sql: sql.replace(
        "seg.user_id = users.user_id", "seg.logins = users.user_id"), "governed_joins_only"),
}


@pytest.mark.parametrize("name", OUTER_EDITS)
def test_an_edit_of_the_questions_own_select_is_found_over_a_verified_with(catalog, monkeypatch,
                                                                          name):
    plan, change, rule = OUTER_EDITS[name]
    warm = judged_cold_and_warm(catalog, plan, change)
    assert rule in {r for r, _ in warm}, warm
    honest = compile_plan(plan, catalog, AS_OF, row_cap=ROW_CAP).sql()
    assert stand_in_of(catalog, plan, change(honest)) is not None  # the WITH is verified
    monkeypatch.setattr(assistant.validator.verified, "stand_in_statement", lambda *a: None)
    assert rules_broken(catalog, change(honest), plan) == warm  # the whole statement checked


def stand_in_of(catalog, plan: QueryPlan, sql: str):
    """What the node rules check for `sql`: the statement over stand-ins, or None (whole)."""
    from assistant.validator.rules import NODE_RULES
    from assistant.validator.verified import stand_in_statement

    ctx = SqlContext(catalog, plan, max_limit=ROW_CAP + 1, as_of=AS_OF).recompiled()
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctx = assistant.validator.runner._read_back(tree, ctx)
    return stand_in_statement(tree, ctx, sorted(NODE_RULES, key=lambda r: r.__name__))


def test_the_node_rules_check_stand_ins_only_for_a_with_that_is_exactly_governed(catalog):
    honest = compile_plan(COUNT, catalog, AS_OF, row_cap=ROW_CAP).sql()
    assert stand_in_of(catalog, COUNT, honest.replace(">= 3 * 4", ">= 1 * 4")) is None
    stand_in = stand_in_of(catalog, COUNT, honest)
    ctes = stand_in.args["with_"].expressions
    assert [c.alias_or_name for c in ctes] == ["engaged_users__recent_logins", "engaged_users"]
    assert all(not list(c.this.find_all(sqlglot.exp.Table)) for c in ctes)


BY_PLAN = QueryPlan.model_validate({"intent": "breakdown", "segment": {"name": "engaged_users"},
                                    "group_by": [{"name": "plan"}]})


@pytest.mark.parametrize(("name", "change"), [
    ("an edited threshold", lambda sql: sql.replace(">= 3 * 4", ">= 1 * 4")),
    ("a restricted column", lambda sql: sql.replace("users.plan AS plan", "users.email AS plan")),
    ("honest", lambda sql: sql),
])
def test_what_is_kept_for_one_plans_governed_ctes_judges_another_plan_over_them_alike(
        catalog, name, change):
    """The read-back trees and column outcomes are kept by the governed CTEs' text, so a plan
    over the same CTEs finds them kept by another plan: its statements are judged the same."""
    sql = change(compile_plan(BY_PLAN, catalog, AS_OF, row_cap=ROW_CAP).sql())
    forget()
    cold = rules_broken(catalog, sql, BY_PLAN)
    forget()
    assert rules_broken(catalog, compile_plan(COUNT, catalog, AS_OF, row_cap=ROW_CAP).sql(),
                        COUNT) == []
    assert len(assistant.validator.runner._READ_BACK) == 2  # the two engaged_users CTEs
    assert rules_broken(catalog, sql, BY_PLAN) == cold
    assert (cold == []) == (name == "honest")


def test_what_is_kept_about_the_governed_ctes_is_kept_for_its_own_catalog_only(catalog):
    """The node rules' verdict on the governed CTEs depends on the catalog's tables: another
    snapshot whose `events` table is named `event_log` (so the compiled SQL is the same text)
    finds the governed CTEs' read of `events`, though the same CTEs were kept as clean."""
    import dataclasses

    sql = compile_plan(COUNT, catalog, AS_OF, row_cap=ROW_CAP).sql()
    forget()
    assert rules_broken(catalog, sql, COUNT) == []  # kept as clean for `catalog`
    events = catalog.tables["events"]
    renamed = dataclasses.replace(catalog, tables={
        **{name: t for name, t in catalog.tables.items() if name != "events"},
        "event_log": dataclasses.replace(events, name="event_log")})
    assert compile_plan(COUNT, renamed, AS_OF, row_cap=ROW_CAP).sql() == sql
    found = rules_broken(renamed, sql, COUNT)
    assert "governed_tables_only" in {rule for rule, _ in found}, found
