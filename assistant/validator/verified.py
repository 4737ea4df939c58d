"""The governed WITH of a statement, checked once: the rules that look at the statement node by
node then check only the question's own query, over stand-ins of the governed CTEs.

A compiled statement is mostly its governed CTEs (a month-end history is ~150 of them), and
the node-by-node rules (writes, tables, functions, whole-row references, joins) find the same
in them every time: their verdict on a governed CTE is a property of the governed tree, the
catalog and the other CTE names alone. So when the statement's WITH is exactly the governed CTEs
of its plan (`exactly_governed`: in their compiled order, no other CTE anywhere) and every body
is, node for node, its governed tree (`same_tree`: the read-back tree whose text is kept, so
the body generates exactly that text), those rules run once over the governed CTEs by
themselves (`WITH ... SELECT 1`, kept per governed trees and catalog), and, when they find
nothing there, over the statement
with each governed body replaced by a stand-in reading nothing (`SELECT NULL AS "col", ...`).
Every node a rule would have found an issue in is in that stand-in statement, in the same
order; anything else (an edited, extra, nested or reordered CTE, a body that is not exactly
its governed tree, governed CTEs that break a rule) runs every rule on the whole statement.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import cast

from sqlglot import exp

from assistant.catalog.models import Catalog
from assistant.errors import Issue
from assistant.validator.runner import SqlContext

Rule = Callable[[exp.Expr, SqlContext], Iterator[Issue]]
KEPT = 256
# (governed trees' texts, dialect, rules) -> (catalog, whether the governed CTEs alone pass them)
_CLEAN: OrderedDict[str, tuple[Catalog, bool]] = OrderedDict()
_LOCK = threading.Lock()


def exactly_governed(tree: exp.Expr, ctx: SqlContext, ctes_anywhere: int | None = None) -> bool:
    """The WITH holds the governed CTEs in their compiled order, each body read back (node for
    node its governed tree), and there is no other CTE anywhere in the statement (of which
    there are `ctes_anywhere`, when the caller counted them walking it)."""
    with_ = tree.args.get("with_")
    if not ctx.governed_key or not isinstance(with_, exp.With) or with_.args.get("recursive"):
        return False
    ctes = with_.expressions
    return ([c.alias_or_name for c in ctes] == list(ctx.expected_ctes)
            and all(id(c.this) in ctx.read_back for c in ctes)
            and all(name in ctx.expected_normal for name in ctx.expected_ctes)
            and (sum(1 for _ in tree.find_all(exp.CTE)) if ctes_anywhere is None
                 else ctes_anywhere) == len(ctes))


def same_tree(a: exp.Expr, b: exp.Expr) -> bool:
    """Whether two trees are node for node the same: the same node types with the same
    arguments, names and literals compared exactly (sqlglot's `==` compares the trees'
    hashes). An argument that is None, False or empty counts as absent; comments
    and type annotations are not compared. Two such trees generate the same SQL text."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if x.__class__ is not y.__class__:
            return False
        present = 0
        for key, u in x.args.items():
            if u is None or u is False or u.__class__ is list and not u:
                continue
            present += 1
            v = y.args.get(key)
            if u.__class__ is not list:
                pairs: Iterable[tuple[object, object]] = ((u, v),)
            elif v.__class__ is not list or len(u) != len(v):
                return False
            else:
                pairs = zip(u, v, strict=True)
            for i, j in pairs:
                if isinstance(i, exp.Expr):
                    if not isinstance(j, exp.Expr):
                        return False
                    stack.append((i, j))
                elif i.__class__ is not j.__class__ or i != j:
                    return False
        if present != sum(1 for v in y.args.values()
                          if not (v is None or v is False or v.__class__ is list and not v)):
            return False
    return True


def statement_ctes(tree: exp.Expr, ctx: SqlContext) -> list[exp.CTE]:
    """Every CTE of the statement, in the order a walk finds them: its WITH's own when check_sql
    found that WITH exactly governed (then no other CTE exists anywhere), else a whole walk."""
    with_ = tree.args.get("with_")
    if ctx.exactly_governed and isinstance(with_, exp.With) and all(
            id(cte.this) in ctx.read_back for cte in with_.expressions):
        return list(with_.expressions)
    return list(tree.find_all(exp.CTE))


def stand_in_statement(tree: exp.Expr, ctx: SqlContext,
                       rules: Sequence[Rule]) -> exp.Expr | None:
    """The statement over stand-ins of its governed CTEs, when its WITH is exactly the governed
    one, node for node, and the governed CTEs alone pass every one of `rules`; else None."""
    if not rules or not ctx.exactly_governed or tree.args.get("with_") is None:
        return None
    bodies = [ctx.expected_normal[name] for name in ctx.expected_ctes]
    if not all(isinstance(body, exp.Query) for body in bodies):
        return None
    outputs = {name: cast(exp.Query, body).named_selects
               for name, body in zip(ctx.expected_ctes, bodies, strict=True)}
    if any(not names or "*" in names for names in outputs.values()):
        return None
    if not _governed_clean(ctx, rules):
        return None
    return over_stand_ins(tree, outputs)


def _governed_clean(ctx: SqlContext, rules: Sequence[Rule]) -> bool:
    key = json.dumps([[(n, ctx.expected_text.get(n)) for n in ctx.expected_ctes], ctx.dialect,
                      [r.__name__ for r in rules]])
    with _LOCK:
        kept = _CLEAN.get(key)
        if kept is not None and kept[0] is ctx.catalog:
            _CLEAN.move_to_end(key)
            return kept[1]
    governed = exp.select("1")
    for name in ctx.expected_ctes:
        governed = governed.with_(name, as_=ctx.expected_normal[name].copy(), copy=False)
    clean = True
    for rule in rules:
        try:
            clean = clean and not any(True for _ in rule(governed, ctx))
        except Exception:  # a rule that crashes on them: the whole statement is checked
            clean = False
    with _LOCK:
        _CLEAN[key] = (ctx.catalog, clean)
        while len(_CLEAN) > KEPT:
            _CLEAN.popitem(last=False)
    return clean


def over_stand_ins(tree: exp.Expr, outputs: dict[str, list[str]]) -> exp.Expr:
    """A copy of the statement whose governed CTEs are stand-ins with their output columns."""
    outer = cast(exp.Query, type(tree)(**{key: _copied(value) for key, value
                                          in tree.args.items() if key != "with_"}))
    for name, columns in outputs.items():
        stand_in = exp.select(*[exp.alias_(exp.null(), c, quoted=True) for c in columns])
        outer = outer.with_(name, as_=stand_in, copy=False)
    return outer


def _copied(value: object) -> object:
    if isinstance(value, exp.Expr):
        return value.copy()
    if isinstance(value, list):
        return [v.copy() if isinstance(v, exp.Expr) else v for v in value]
    return value
