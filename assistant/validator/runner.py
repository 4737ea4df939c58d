"""Parse once, run every rule, turn a crashing rule into an issue, raise on any error."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from assistant.catalog.models import Catalog
from assistant.errors import Issue, SqlRejected
from assistant.plan import QueryPlan

DIALECT = "duckdb"


@dataclass(frozen=True)
class SqlContext:
    """What the statement is checked against."""

    catalog: Catalog
    plan: QueryPlan | None = None
    expected_ctes: dict[str, exp.Expr] = field(default_factory=dict)
    live_schema: dict[str, dict[str, str]] | None = None
    max_limit: int = 10_001
    allow_pii: bool = False
    dialect: str = DIALECT  # the engine's: the SQL is parsed and checked as that engine reads it


Rule = Callable[[exp.Expr, "SqlContext"], Iterator[Issue]]


def check_sql(sql: str, ctx: SqlContext, rules: Sequence[Rule] | None = None) -> list[Issue]:
    """Every issue found in `sql`; empty means it may run.

    `rules` defaults to the answer rules; eval gold SQL passes its own selection of them.
    """
    from assistant.validator.rules import RULES

    try:
        statements = [s for s in sqlglot.parse(sql, read=ctx.dialect) if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f"line {first.get('line', '?')}, col {first.get('col', '?')}"
        return [Issue("error", f"The SQL does not parse ({where}): "
                      f"{first.get('description', exc)}.", "sql", "parse")]
    if len(statements) != 1:
        return [Issue("error", f"Exactly one statement may run; got {len(statements)}.", "sql",
                      "single-statement")]
    tree = statements[0]
    issues: list[Issue] = []
    for rule in RULES if rules is None else rules:
        try:
            found = list(rule(tree, ctx))
        except Exception as exc:  # a broken rule is a finding, not a crash
            found = [Issue("error", f"rule crashed: {exc!r}", "sql", rule.__name__)]
        issues.extend(Issue(i.level, i.message, i.source or "sql", i.rule or rule.__name__)
                      for i in found)
        if found and rule.__name__ in {"read_only_select"}:
            break  # later rules assume a SELECT
    return issues


def validate_sql(sql: str, ctx: SqlContext) -> None:
    """Raise SqlRejected naming every rule broken."""
    issues = [i for i in check_sql(sql, ctx) if i.level == "error"]
    if issues:
        rules = ", ".join(sorted({i.rule for i in issues}))
        raise SqlRejected(f"The SQL was rejected before running ({rules}): "
                          f"{issues[0].message}", issues)
