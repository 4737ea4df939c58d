"""Governed SQL is written in DuckDB; these passes make its tree mean the same on every engine.

DuckDB reads `date - date` as a day count and `date - 30` as a date; Spark reads the first as
an interval, and other engines have no date arithmetic with plain numbers at all. So, once the
placeholders are literals, the tree is rewritten into sqlglot's portable nodes, which each
dialect generates its own way:

* `date - date`                    -> `DateDiff(unit=DAY)` (a whole number of days everywhere)
* `DATE 'x' - 30`, `+ 7 * :weeks`  -> a typed date literal folded at compile time
* `date - n` with a non-constant n -> `CAST(DateSub(...) AS DATE)` (unit DAY; DateAdd for +)
* `7 * INTERVAL 1 DAY`             -> `INTERVAL '7' DAY`

"Date" here is what the tree itself says: a CAST to DATE, a typed literal, MIN/MAX of one, or
a portable date node. A column whose type only the warehouse knows is left alone.

`for_dialect` then adapts the few constructs no single tree spells for every engine (the
month grid's row generator, aggregate FILTER where a dialect has none); it runs on a copy
just before generation, so the compiled tree stays one tree.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

# Engines with `AGG(x) FILTER (WHERE c)`; every other dialect gets `AGG(CASE WHEN c THEN x END)`.
FILTER_DIALECTS = frozenset({"duckdb", "postgres", "spark", "databricks", "sqlite", "trino",
                             "presto"})
# Engines whose `/` on decimals is DECIMAL division: the dividend is cast to DOUBLE first.
FLOAT_DIVISION_BY_CAST = frozenset({"spark", "databricks"})
_NUMERIC = (exp.Paren, exp.Mul, exp.Add, exp.Sub, exp.Neg)


def portable(tree: exp.Expr) -> exp.Expr:
    """The same query with DuckDB-only date arithmetic spelled in portable nodes."""
    return tree.transform(_rewrite, copy=False)


def _rewrite(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Mul):
        return _interval_times(node) or node
    if not isinstance(node, exp.Sub | exp.Add):
        return node
    left, right = node.this, node.expression
    if isinstance(node, exp.Sub) and is_date(left) and is_date(right):
        return exp.DateDiff(this=left, expression=right, unit=exp.var("DAY"))
    if not is_date(left) or is_date(right) or not _maybe_number(right):
        return node
    days = constant(right)
    sign = -1 if isinstance(node, exp.Sub) else 1
    start = date_value(left)
    if start is not None and days is not None and float(days).is_integer():
        return typed_date(start + timedelta(days=sign * int(days)))
    kind = exp.DateSub if isinstance(node, exp.Sub) else exp.DateAdd
    # DuckDB and PostgreSQL make a TIMESTAMP of `date - INTERVAL`; the cast keeps it a DATE
    return exp.cast(kind(this=left, expression=right, unit=exp.var("DAY")),
                    exp.DataType.build(exp.DataType.Type.DATE))


def _interval_times(node: exp.Mul) -> exp.Expr | None:
    """`n * INTERVAL 1 DAY` (either order) with a constant n -> `INTERVAL 'n' DAY`."""
    for interval, factor in ((node.expression, node.this), (node.this, node.expression)):
        if not isinstance(interval, exp.Interval):
            continue
        one, n = constant(interval.this), constant(factor)
        if one is None or n is None or not float(one * n).is_integer():
            continue
        return exp.Interval(this=exp.Literal.string(str(int(one * n))),
                            unit=interval.args.get("unit"))
    return None


def typed_date(value: date) -> exp.Expr:
    """A date literal that every engine reads as a DATE: `CAST('2026-06-30' AS DATE)`."""
    return exp.cast(exp.Literal.string(value.isoformat()),
                    exp.DataType.build(exp.DataType.Type.DATE))


def is_date(node: exp.Expr) -> bool:
    """Whether the tree alone says `node` is a DATE."""
    if isinstance(node, exp.Paren):
        return is_date(node.this)
    if isinstance(node, exp.Cast):
        return node.to.is_type(exp.DataType.Type.DATE)
    if isinstance(node, exp.Max | exp.Min):
        return is_date(node.this)
    return isinstance(node, exp.DateSub | exp.DateAdd | exp.Date)


def date_value(node: exp.Expr) -> date | None:
    """The date a typed literal stands for, if `node` is one."""
    if isinstance(node, exp.Paren):
        return date_value(node.this)
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
        try:
            return date.fromisoformat(node.this.this) if is_date(node) else None
        except ValueError:
            return None
    return None


def constant(node: exp.Expr) -> float | None:
    """The value of a constant arithmetic expression of number literals, else None."""
    if isinstance(node, exp.Literal):
        try:
            return float(node.this)
        except ValueError:
            return None
    if isinstance(node, exp.Paren):
        return constant(node.this)
    if isinstance(node, exp.Neg):
        inner = constant(node.this)
        return None if inner is None else -inner
    if isinstance(node, exp.Mul | exp.Add | exp.Sub):
        a, b = constant(node.this), constant(node.expression)
        if a is None or b is None:
            return None
        return a * b if isinstance(node, exp.Mul) else a + b if isinstance(node, exp.Add) else a - b
    return None


def _maybe_number(node: exp.Expr) -> bool:
    """Number literals and arithmetic of them; a column's type is the warehouse's to know."""
    if isinstance(node, exp.Literal):
        return not node.is_string
    return isinstance(node, _NUMERIC) and all(
        isinstance(n, _NUMERIC) or isinstance(n, exp.Literal) and not n.is_string
        for n in node.walk())


# -- per dialect, at generation time -----------------------------------------------------------


def render(tree: exp.Expr, dialect: str, *, pretty: bool = True) -> str:
    """The SQL text of a compiled tree for one engine."""
    name = _dialect_name(dialect)
    if not _adapted(name):  # DuckDB, the governed SQL's own dialect: generated as it is
        return tree.sql(dialect=dialect, pretty=pretty)
    return for_dialect(tree, dialect).sql(dialect=dialect, pretty=pretty)


def for_dialect(tree: exp.Expr, dialect: str) -> exp.Expr:
    """A copy of `tree` with what no single tree spells for every engine adapted to `dialect`."""
    tree = tree.copy()
    name = _dialect_name(dialect)
    if name in _MONTH_GRID_DIALECTS:
        tree = tree.transform(lambda node: _month_grid(node, name), copy=False)
    if name not in FILTER_DIALECTS:
        tree = tree.transform(_filter_as_case, copy=False)
    if name in FLOAT_DIVISION_BY_CAST:
        tree = tree.transform(_double_division, copy=False)
    return tree


# The dialects `_month_grid` rewrites for; every other one reads DuckDB's spelling.
_MONTH_GRID_DIALECTS = frozenset({"spark", "postgres"})


def _dialect_name(dialect: str) -> str:
    return Dialect.get_or_raise(dialect).__class__.__name__.lower()


def _adapted(name: str) -> bool:
    """Whether `for_dialect` changes anything for the dialect `name`: when it does not, the
    tree is generated without the whole-tree copy and walks (a history plan is ~150 CTEs)."""
    return (name in _MONTH_GRID_DIALECTS or name not in FILTER_DIALECTS
            or name in FLOAT_DIVISION_BY_CAST)


def _double_division(node: exp.Expr) -> exp.Expr:
    """`a / b` in DOUBLE, as DuckDB divides (and sqlglot already spells it for PostgreSQL).

    Spark divides decimals in DECIMAL rounded to six places, so `1 / 30.0` would be less than
    `0.5 * (6 / 90.0)` there and a churn tie would tip into `medium`.
    """
    if not isinstance(node, exp.Div) or _is_double(node.this):
        return node
    return exp.Div(this=exp.cast(node.this.copy(), exp.DataType.build(exp.DataType.Type.DOUBLE)),
                   expression=node.expression.copy())


def _is_double(node: exp.Expr) -> bool:
    return isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.DOUBLE)


def _month_grid(node: exp.Expr, dialect: str) -> exp.Expr:
    """`CAST(UNNEST(GENERATE_SERIES(a, b, step)) AS DATE)`, a row per step in a SELECT list.

    Spark cannot nest its generator in a CAST (a SEQUENCE of dates is already dates), and
    PostgreSQL's GENERATE_SERIES is itself the set-returning function (UNNEST wants an array).
    """
    if not (isinstance(node, exp.Cast) and isinstance(node.this, exp.Explode | exp.Unnest)):
        return node
    series = node.this.this if isinstance(node.this, exp.Explode) else None
    if isinstance(node.this, exp.Unnest) and node.this.expressions:
        series = node.this.expressions[0]
    if not isinstance(series, exp.GenerateSeries):
        return node
    if dialect == "spark":
        return exp.Explode(this=series.copy())
    if dialect == "postgres":
        return exp.cast(series.copy(), node.to.copy())
    return node


def _filter_as_case(node: exp.Expr) -> exp.Expr:
    """`AGG(x) FILTER (WHERE c)` -> `AGG(CASE WHEN c THEN x END)` (COUNT(*) counts 1s)."""
    if not isinstance(node, exp.Filter) or not isinstance(node.this, exp.AggFunc):
        return node
    agg = node.this.copy()
    cond = node.expression.this if isinstance(node.expression, exp.Where) else node.expression
    target = agg.this
    distinct = isinstance(target, exp.Distinct)
    value = target.expressions[0] if distinct and target.expressions else target
    if isinstance(value, exp.Star) or value is None:
        value = exp.Literal.number(1)
    case = exp.Case().when(cond.copy(), value.copy())
    agg.set("this", exp.Distinct(expressions=[case]) if distinct else case)
    return agg
