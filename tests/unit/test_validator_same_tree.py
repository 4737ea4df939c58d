"""A governed CTE is read back (and its WITH verified) only when it is node for node its governed
tree: `same_tree` compares types, arguments, names and literals exactly (sqlglot's `==`
compares the trees' hashes)."""

from __future__ import annotations

import pytest
import sqlglot

from assistant.validator.verified import same_tree

GOVERNED = ("SELECT user_id, COUNT(*) AS logins FROM events WHERE event_name = 'login' "
            "AND event_at < CAST('2026-07-01 00:00:00' AS TIMESTAMP) GROUP BY user_id")


def tree(sql: str):
    return sqlglot.parse_one(sql, read="duckdb")


def test_a_tree_parsed_again_from_its_own_text_is_the_same_tree():
    assert same_tree(tree(GOVERNED), tree(tree(GOVERNED).sql("duckdb")))


def test_a_comment_is_not_part_of_what_is_compared():
    assert same_tree(tree(GOVERNED), tree(GOVERNED.replace("FROM events", "/* x */ FROM events")))


@pytest.mark.parametrize(("name", "old", "new"), [
    ("a name in another case", "FROM events", 'FROM "Events"'),
    ("a column in another case", "SELECT user_id", "SELECT USER_ID"),
    ("another literal", "'login'", "'Login'"),
    ("another number", "COUNT(*)", "COUNT(1)"),
    ("an extra condition", "GROUP BY", "AND TRUE GROUP BY"),
    ("a DISTINCT", "SELECT user_id", "SELECT DISTINCT user_id"),
    ("another operator", "event_at <", "event_at <="),
])
def test_any_other_difference_is_not_the_same_tree(name, old, new):
    changed = GOVERNED.replace(old, new)
    assert changed != GOVERNED, name
    assert not same_tree(tree(GOVERNED), tree(changed)), name
