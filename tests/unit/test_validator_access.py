"""The validator judges a statement against what it recompiles itself from (plan, catalog,
as_of, principal), not against what the compiler handed over. Each way of answering from
something other than the governed definitions, or beyond the asker's access, is one issue
naming its rule.

World: the demo catalog and access policy (semantic_models/access.yml); the plans count or
list engaged users; statements are the compiled SQL with one thing changed.
"""

from __future__ import annotations

from datetime import date

import pytest

from assistant.access.identity import principal_for
from assistant.access.models import Identity
from assistant.access.scope import row_condition
from assistant.compiler import compile_plan
from assistant.plan import QueryPlan
from assistant.validator import SqlContext, check_sql

AS_OF = date(2026, 6, 30)
ROW_CAP = 10_000
COUNT = QueryPlan.model_validate({"intent": "count", "segment": {"name": "engaged_users"}})
LIST = QueryPlan.model_validate({"intent": "list", "segment": {"name": "engaged_users"}})
# A count with a filter on users joins the segment (a bare count reads the segment's CTE alone)
FILTERED_COUNT = QueryPlan.model_validate({"intent": "count", "segment": {"name": "engaged_users"},
                                          "filters": [{"dimension": "country", "values": ["US"]}]})
GOVERNED_JOIN = "JOIN engaged_users AS seg"
LOOK_ALIKE = """engaged_copy AS (
  SELECT user_id, logins FROM engaged_users__recent_logins WHERE logins >= 1
)
SELECT"""


def principal(catalog, *groups: str, surface: str = "slack", user: str = "U1"):
    return principal_for(catalog.access, Identity(surface, user, slack_groups=groups))


def compiled_sql(catalog, plan: QueryPlan, who=None) -> str:
    rows = (lambda uid: row_condition(catalog, who, uid)) if who is not None else None
    return compile_plan(plan, catalog, AS_OF, row_cap=ROW_CAP, row_filter=rows).sql()


def issues(catalog, sql: str, plan: QueryPlan, who) -> list[tuple[str, str]]:
    ctx = SqlContext(catalog, plan, max_limit=ROW_CAP + 1, principal=who, as_of=AS_OF)
    return [(i.rule, i.message) for i in check_sql(sql, ctx) if i.level == "error"]


@pytest.fixture()
def analyst(catalog):
    return principal(catalog, "data-team")


def test_the_compiled_statement_passes_every_rule(catalog, analyst) -> None:
    assert issues(catalog, compiled_sql(catalog, COUNT), COUNT, analyst) == []


def test_a_look_alike_cte_joined_instead_of_the_governed_one_is_one_issue(catalog,
                                                                          analyst) -> None:
    sql = compiled_sql(catalog, COUNT)
    tampered = sql.replace(")\nSELECT", "), " + LOOK_ALIKE, 1).replace(
        GOVERNED_JOIN, "JOIN engaged_copy AS seg")
    assert "engaged_copy" in tampered and "engaged_users AS (" in tampered

    found = issues(catalog, tampered, COUNT, analyst)

    assert [rule for rule, _ in found] == ["only_governed_ctes"]
    assert "`engaged_copy` is not part of any governed definition" in found[0][1]


def test_an_edited_governed_cte_is_one_issue(catalog, analyst) -> None:
    tampered = compiled_sql(catalog, COUNT).replace("logins >= 3 * 4", "logins >= 1 * 4")

    found = issues(catalog, tampered, COUNT, analyst)

    assert [rule for rule, _ in found] == ["governed_segment_logic"]
    assert "differs from its governed definition" in found[0][1]


def test_a_governed_cte_present_but_not_read_is_one_issue(catalog, analyst) -> None:
    sql = compiled_sql(catalog, FILTERED_COUNT)
    tampered = sql.replace(GOVERNED_JOIN + "\n  ON seg.user_id = users.user_id\n", "")
    assert "JOIN" not in tampered.split("SELECT\n  COUNT")[1]

    found = issues(catalog, tampered, FILTERED_COUNT, analyst)

    assert [rule for rule, _ in found] == ["governed_ctes_read"]
    assert "`engaged_users` is in the SQL but the answer does not read it" in found[0][1]


def test_a_column_the_principal_may_not_read_is_one_issue(catalog, analyst) -> None:
    tampered = compiled_sql(catalog, LIST).replace("  seg.logins AS logins",
                                                   "  seg.logins AS logins,\n  users.email")

    found = issues(catalog, tampered, LIST, analyst)

    assert [rule for rule, _ in found] == ["restricted-column"]
    assert "`users.email` is restricted" in found[0][1]


def test_the_same_column_passes_for_a_principal_granted_it(catalog) -> None:
    """The privacy group is granted `users.email` (no member by default: a test identity)."""
    from dataclasses import replace

    granted = replace(principal(catalog), groups=("privacy",))
    tampered = compiled_sql(catalog, LIST).replace("  seg.logins AS logins",
                                                   "  seg.logins AS logins,\n  users.email")

    assert issues(catalog, tampered, LIST, granted) == []


def test_a_statement_without_the_askers_row_filter_is_one_issue(catalog) -> None:
    emea = principal(catalog, "cs-emea")
    filtered = compiled_sql(catalog, COUNT, emea)
    assert "users.country IN ('GB', 'DE', 'FR', 'NL')" in filtered

    assert issues(catalog, filtered, COUNT, emea) == []
    found = issues(catalog, compiled_sql(catalog, COUNT), COUNT, emea)
    assert [rule for rule, _ in found] == ["row_filter_applied"]


def test_another_groups_row_filter_does_not_pass_for_this_one(catalog) -> None:
    emea, americas = principal(catalog, "cs-emea"), principal(catalog, "cs-americas", user="U2")

    found = issues(catalog, compiled_sql(catalog, COUNT, americas), COUNT, emea)

    assert [rule for rule, _ in found] == ["row_filter_applied"]


def test_a_plan_naming_a_hidden_segment_is_one_issue(catalog) -> None:
    nobody = principal(catalog, user="U9")  # no group matches: the default group
    plan = QueryPlan.model_validate({"intent": "count", "segment": {"name": "churn_risk"}})

    found = issues(catalog, compiled_sql(catalog, plan), plan, nobody)

    assert [rule for rule, _ in found] == ["plan_within_access"]
    assert "`churn_risk` is not visible to principal `slack:U9` (everyone)" in found[0][1]
