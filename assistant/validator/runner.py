"""Parse once, run every rule, turn a crashing rule into an issue, raise on any error."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from assistant.access.models import Principal
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
    # Who the answer is for, and the date it is computed as of: with a plan, the validator
    # recompiles the governed CTEs itself from (plan, catalog, as_of, principal) instead of
    # trusting `expected_ctes`, and checks the principal's row filter and columns.
    principal: Principal | None = None
    as_of: date | None = None
    # The joins of the statement the validator compiled itself from the plan (rendered SQL):
    # governed by construction (declared relationships, or a foreign engine's own entities).
    governed_joins: frozenset[str] = frozenset()
    # Each expected CTE as it reads back from its rendered SQL (what statements are compared
    # with); filled with the governed compilation, else as the rules need it.
    expected_normal: dict[str, exp.Expr] = field(default_factory=dict)
    # The SQL text of each expected CTE whose read-back tree generates text that parses to
    # that same tree: a statement's CTE that is node for node that tree is the governed one.
    expected_text: dict[str, str] = field(default_factory=dict)
    # What identifies the governed compilation (set with it), and the bodies of the checked
    # statement's top-level CTEs that are node for node their read-back tree whose text is
    # kept, so they generate exactly that text (`id()`s, set by check_sql).
    governed_key: str = ""
    read_back: frozenset[int] = frozenset()
    # Whether the checked statement's WITH is exactly the governed CTEs, each read back, and
    # no other CTE exists anywhere in it (`validator/verified.py`; set by check_sql).
    exactly_governed: bool = False

    def recompiled(self) -> SqlContext:
        """This context with `expected_ctes` compiled here from the plan, when it is known.

        The compilation is the validator's own, made once per (plan, catalog snapshot, as-of,
        cap, dialect) and kept (`_GOVERNED`): a plan asked again is checked against the same
        governed trees without compiling and re-parsing them again."""
        if self.plan is None or self.as_of is None:
            return self
        key = json.dumps([self.plan.to_dict(), self.as_of.isoformat(), self.max_limit,
                          self.dialect], default=str, sort_keys=True)
        with _GOVERNED_LOCK:
            kept = _GOVERNED.get(key)
            if kept is not None and kept[0] is self.catalog:
                _GOVERNED.move_to_end(key)
                return dataclasses.replace(self, expected_ctes=kept[1], governed_joins=kept[2],
                                           expected_normal=kept[3], expected_text=kept[4],
                                           governed_key=key)
        from assistant.compiler import compile_plan
        from assistant.compiler.portable import render

        compiled = compile_plan(self.plan, self.catalog, self.as_of,
                                row_cap=max(1, self.max_limit - 1))
        joins = frozenset(j.sql(self.dialect) for j in compiled.expression.find_all(exp.Join))
        read = {name: _read_back_once(render(tree, self.dialect, pretty=False), self.dialect)
                for name, tree in compiled.governed_ctes.items()}
        normal = {name: tree for name, (tree, _) in read.items()}
        texts = {name: text for name, (_, text) in read.items() if text is not None}
        with _GOVERNED_LOCK:
            _GOVERNED[key] = (self.catalog, compiled.governed_ctes, joins, normal, texts)
            while len(_GOVERNED) > GOVERNED_KEPT:
                _GOVERNED.popitem(last=False)
        return dataclasses.replace(self, expected_ctes=compiled.governed_ctes,
                                   governed_joins=joins, expected_normal=normal,
                                   expected_text=texts, governed_key=key)


def _read_back_once(rendered: str, dialect: str) -> tuple[exp.Expr, str | None]:
    """A governed CTE's SQL as it reads back (parsed), and that tree's own text, kept only when
    it parses to that very tree again; both made once per (text, dialect): plans that differ
    outside their governed CTEs share them.

    Then a CTE whose own text is this text reads back equal to the governed tree, which is
    what `governed_segment_logic` asks, without parsing it; any other text is compared the
    long way, so a statement is accepted or refused exactly as before."""
    key = (rendered, dialect)
    with _GOVERNED_LOCK:
        kept = _READ_BACK.get(key)
        if kept is not None:
            _READ_BACK.move_to_end(key)
            return kept
    tree = sqlglot.parse_one(rendered, read=dialect)
    text = tree.sql(dialect)
    made = (tree, text if sqlglot.parse_one(text, read=dialect) == tree else None)
    with _GOVERNED_LOCK:
        _READ_BACK[key] = made
        while len(_READ_BACK) > READ_BACK_KEPT:
            _READ_BACK.popitem(last=False)
    return made


GOVERNED_KEPT = 256
READ_BACK_KEPT = 2_048
# (rendered SQL of a governed CTE, dialect) -> (its read-back tree, that tree's stable text)
_READ_BACK: OrderedDict[tuple[str, str], tuple[exp.Expr, str | None]] = OrderedDict()
_GOVERNED: OrderedDict[str, tuple[Catalog, dict[str, exp.Expr], frozenset[str],
                                  dict[str, exp.Expr], dict[str, str]]] = OrderedDict()
_GOVERNED_LOCK = threading.Lock()


Rule = Callable[[exp.Expr, "SqlContext"], Iterator[Issue]]



def check_sql(sql: str, ctx: SqlContext, rules: Sequence[Rule] | None = None) -> list[Issue]:
    """Every issue found in `sql`; empty means it may run.

    `rules` defaults to the answer rules; eval gold SQL passes its own selection of them.
    """
    from assistant.validator.rules import NODE_RULES, RULES
    from assistant.validator.verified import stand_in_statement

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
    ctes_anywhere = 0
    for node in tree.walk():  # token positions: no rule reads them, and every copy copies them
        node._meta = None
        ctes_anywhere += isinstance(node, exp.CTE)
    try:
        ctx = ctx.recompiled()
    except Exception as exc:  # the plan itself does not compile: nothing can match it
        return [Issue("error", f"The governed definitions could not be compiled from the plan "
                      f"({type(exc).__name__}), so the SQL cannot be checked against them.",
                      "sql", "governed_segment_logic")]
    ctx = _read_back(tree, ctx, ctes_anywhere)
    chosen = RULES if rules is None else rules
    stand_in = stand_in_statement(tree, ctx, [r for r in chosen if r in NODE_RULES])
    issues: list[Issue] = []
    for rule in chosen:
        target = stand_in if stand_in is not None and rule in NODE_RULES else tree
        try:
            found = list(rule(target, ctx))
        except Exception as exc:  # a broken rule is a finding, not a crash
            found = [Issue("error", f"rule crashed: {exc!r}", "sql", rule.__name__)]
        issues.extend(Issue(i.level, i.message, i.source or "sql", i.rule or rule.__name__)
                      for i in found)
        if found and rule.__name__ in {"read_only_select"}:
            break  # later rules assume a SELECT
    return issues


def _read_back(tree: exp.Expr, ctx: SqlContext, ctes_anywhere: int | None = None) -> SqlContext:
    """`ctx` knowing which top-level CTE bodies are node for node their governed read-back
    tree whose text is kept (so they generate exactly that text), and whether the WITH is
    exactly the governed one."""
    from assistant.validator.verified import exactly_governed, same_tree

    with_ = tree.args.get("with_")
    if not ctx.expected_text or not isinstance(with_, exp.With):
        return ctx
    same = frozenset(id(cte.this) for cte in with_.expressions
                     if cte.alias_or_name in ctx.expected_text
                     and same_tree(cte.this, ctx.expected_normal[cte.alias_or_name]))
    ctx = dataclasses.replace(ctx, read_back=same)
    return dataclasses.replace(ctx, exactly_governed=exactly_governed(tree, ctx, ctes_anywhere))


def validate_sql(sql: str, ctx: SqlContext) -> None:
    """Raise SqlRejected naming every rule broken."""
    issues = [i for i in check_sql(sql, ctx) if i.level == "error"]
    if issues:
        rules = ", ".join(sorted({i.rule for i in issues}))
        raise SqlRejected(f"The SQL was rejected before running ({rules}): "
                          f"{issues[0].message}", issues)
