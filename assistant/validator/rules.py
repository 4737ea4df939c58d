"""Validator rules. Each takes the parsed tree and the context and yields issues.

The rules are allowlists (root type, tables, functions) because DuckDB's own lockdown
still lets `CREATE TEMP TABLE`, temp macros, `SET VARIABLE` and `CHECKPOINT` through,
and `checkpoint` even parses as a bare column.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

from assistant import messages
from assistant.access.scope import denials, row_condition
from assistant.compiler.portable import render
from assistant.errors import Issue
from assistant.validator.columns import governed_columns_only
from assistant.validator.joins import governed_joins_only
from assistant.validator.runner import SqlContext
from assistant.validator.verified import statement_ctes

FORBIDDEN = (
    exp.Insert, exp.Update, exp.Delete, exp.Drop, exp.Create, exp.Copy, exp.Pragma, exp.Set,
    exp.Command, exp.Attach, exp.Detach, exp.Install, exp.Use, exp.Describe, exp.Merge,
    exp.Alter, exp.TruncateTable, exp.Transaction, exp.Commit, exp.Rollback, exp.Into,
)

ALLOWED_FUNCTIONS = {
    # aggregates and windows
    "Count", "Sum", "Avg", "Min", "Max", "CountIf", "PercentRank", "Rank", "RowNumber",
    "DenseRank", "CumeDist", "Ntile", "Median", "Quantile", "Stddev", "StddevPop",
    "StddevSamp", "Variance", "Corr", "LogicalOr", "LogicalAnd", "AnyValue", "First", "Last",
    "Lag", "Lead", "Window", "ArgMin", "ArgMax",
    # scalar
    "Cast", "TryCast", "Coalesce", "Nullif", "If", "Case", "Greatest", "Least", "Abs", "Round",
    "Floor", "Ceil", "Ln", "Log", "Sqrt", "Pow", "Div", "SafeDivide", "Mod",
    "Lower", "Upper", "Length", "Concat", "Substring", "Trim", "Split",
    "DateTrunc", "TimestampTrunc", "DateDiff", "DateAdd", "DateSub", "Extract", "CurrentDate",
    "Date", "Year", "Month", "Quarter", "Week", "Day", "DayOfWeek", "LastDay", "StrToDate",
    "TimeToStr", "ToChar", "DateStrToDate", "TsOrDsToDate", "TimestampDiff", "Interval",
    # list expansion in a SELECT list (month grids); as table sources they are still refused
    "GenerateSeries", "ExplodingGenerateSeries", "Explode", "Unnest",
}
# `age`: how PostgreSQL spells a month difference (DATE_DIFF('month', ...) there).
ALLOWED_ANONYMOUS = {"date_part", "strftime", "datediff", "date_diff", "last_day", "age"}


def read_only_select(tree: exp.Expr, ctx: SqlContext) -> Iterator[Issue]:
    """The root must be a SELECT (or a set operation of SELECTs)."""
    if not isinstance(tree, exp.Select | exp.SetOperation):
        yield Issue("error", f"Only a read-only SELECT may run; this is a "
                    f"{type(tree).__name__.upper()} statement.")


def no_writes_anywhere(tree: exp.Expr, ctx: SqlContext) -> Iterator[Issue]:
    """DML/DDL can hide inside a CTE (`WITH d AS (DELETE ... RETURNING *)`): walk everything."""
    for node in tree.walk():
        if isinstance(node, FORBIDDEN):
            yield Issue("error", f"The statement contains a {type(node).__name__.upper()}, "
                        "which could change the warehouse or its settings.")
            return


def governed_tables_only(tree: exp.Expr, ctx: SqlContext) -> Iterator[Issue]:
    """Tables must be governed tables or CTEs; table functions and file paths are refused."""
    yield from tables_outside_governed(tree, ctx, tree.find_all(exp.Table))


def tables_outside_governed(tree: exp.Expr, ctx: SqlContext,
                            tables: Iterable[exp.Table]) -> Iterator[Issue]:
    """The same check over `tables` only, for SQL that may also draw on row generators."""
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in tables:
        if not isinstance(table.this, exp.Identifier):
            name = table.this.sql("duckdb")[:60] if table.this else "?"
            yield Issue("error", f"Table functions and file access are not allowed: {name}.",
                        rule="no-file-access")
        elif table.args.get("db") or table.args.get("catalog"):
            yield Issue("error", f"Only tables of the governed warehouse may be read; "
                        f"`{table.sql('duckdb')}` names another schema or database.")
        elif table.name not in ctes and table.name not in ctx.catalog.tables:
            yield Issue("error", messages.unknown_object("table", table.name,
                                                         list(ctx.catalog.tables)))


def allowed_functions_only(tree: exp.Expr, ctx: SqlContext) -> Iterator[Issue]:
    yield from functions_off_allowlist(tree, ALLOWED_FUNCTIONS)


def functions_off_allowlist(tree: exp.Expr, allowed: Collection[str],
                            anonymous: Collection[str] = ALLOWED_ANONYMOUS) -> Iterator[Issue]:
    """The allowlist check with the lists as parameters, for SQL with other needs (gold)."""
    for node in tree.find_all(exp.Func):
        if isinstance(node, exp.Anonymous):
            if node.name.lower() not in anonymous:
                yield Issue("error", f"Function `{node.name}` is not on the allowlist.")
        elif type(node).__name__ not in allowed and not isinstance(
                node, exp.Binary | exp.Connector | exp.Unary):
            yield Issue("error", f"Function `{node.sql_name()}` is not on the allowlist.")


def no_row_or_alias_tricks(tree: exp.Expr, ctx: SqlContext) -> Iterator[Issue]:
    """Whole-row references (`SELECT u FROM users u`), column alias lists on tables and
    PIVOT/UNPIVOT can all reach a restricted column without naming it; none are needed."""
    yield from row_or_alias_tricks(tree, tree.find_all(exp.Table))


def row_or_alias_tricks(tree: exp.Expr, tables: Iterable[exp.Table]) -> Iterator[Issue]:
    """The same check with alias lists looked for on `tables` only (gold SQL names the
    columns of `range(...) AS t(n)`, which holds no data)."""
    if any(isinstance(node, exp.Pivot) for node in tree.walk()):
        yield Issue("error", "PIVOT and UNPIVOT are not allowed.")
    for table in tables:
        alias = table.args.get("alias")
        if isinstance(alias, exp.TableAlias) and alias.columns:
            yield Issue("error", f"Renaming the columns of `{table.name}` in its alias is not "
                        "allowed.")
    for scope in traverse_scope(tree):  # reads the tree, changes nothing: no copy needed
        for column in scope.columns:
            if not column.table and column.name in scope.sources:
                yield Issue("error", f"`{column.name}` refers to a whole row of a table; name "
                            "the columns instead.")


def limit_present(tree: exp.Expr, ctx: SqlContext) -> Iterator[Issue]:
    limit = tree.args.get("limit")
    if limit is None:
        yield Issue("error", "The statement has no LIMIT; every query must cap its rows.")
        return
    value = limit.expression if isinstance(limit, exp.Limit) else None
    if not isinstance(value, exp.Literal) or not value.is_int:
        yield Issue("error", "The LIMIT must be a whole number literal.")
    elif int(value.this) > ctx.max_limit:
        yield Issue("error", f"The LIMIT {value.this} is above the row cap {ctx.max_limit}.")


def overrides_within_bounds(tree: exp.Expr, ctx: SqlContext) -> Iterator[Issue]:
    if ctx.plan is None:
        return
    for override in ctx.plan.overrides:
        owners = ctx.catalog.parameter_owner(override.parameter)
        if override.segment:
            owners = [s for s in owners if s.name == override.segment]
        if not owners:
            yield Issue("error", f"Override `{override.parameter}` is not a declared parameter.")
            continue
        param = owners[0].parameter(override.parameter)
        assert param is not None
        if not param.min <= override.value <= param.max:
            yield Issue("error", messages.override_out_of_bounds(
                param.name, override.value, owners[0].name, param.min, param.max))


def governed_segment_logic(tree: exp.Expr, ctx: SqlContext) -> Iterator[Issue]:
    """Every governed CTE, wherever it is, must be AST-equal to the governed compilation.

    All occurrences are checked (a nested honest copy must not hide a tampered one), a
    governed name may be defined once, and none of the expected CTEs may be missing.
    """
    occurrences: dict[str, list[exp.Expr]] = {}
    for cte in statement_ctes(tree, ctx):
        occurrences.setdefault(cte.alias_or_name, []).append(cte.this)
    governed_names = set(ctx.catalog.segments)
    for name, bodies in occurrences.items():
        base = name.split("__")[0]
        governed = base in governed_names or name in ctx.expected_ctes
        if governed and name not in ctx.expected_ctes:
            yield Issue("error", f"CTE `{name}` looks like governed segment `{base}` but is not "
                        "part of its compiled definition.")
        elif governed and len(bodies) > 1:
            yield Issue("error", f"The governed definition `{name}` appears {len(bodies)} times; "
                        "it may be defined once.")
    for name, expected in ctx.expected_ctes.items():
        found = occurrences.get(name) or []
        if not found:
            yield Issue("error", f"The governed definition `{name}` is missing from the SQL.")
        elif any(not _governed_body(name, body, expected, ctx) for body in found):
            yield Issue("error", f"The SQL of `{name}` differs from its governed definition; "
                        "segment logic may not be edited in a query.")


def _governed_body(name: str, body: exp.Expr, expected: exp.Expr, ctx: SqlContext) -> bool:
    """Whether `body` reads back as the governed tree: at once when its text is the kept
    text of that tree (which parses back to it), else by parsing and comparing trees."""
    if id(body) in ctx.read_back:  # a top-level CTE that is node for node the governed tree
        return True
    return _normal(body, ctx.dialect) == _expected_normal(name, expected, ctx)


def _expected_normal(name: str, expected: exp.Expr, ctx: SqlContext) -> exp.Expr:
    known = ctx.expected_normal.get(name)
    return known if known is not None else _normal(expected, ctx.dialect, compiled=True)


def _foreign_ctes(tree: exp.Expr, ctx: SqlContext) -> list[str]:
    return sorted({c.alias_or_name for c in statement_ctes(tree, ctx)} - set(ctx.expected_ctes))


def only_governed_ctes(tree: exp.Expr, ctx: SqlContext) -> Iterator[Issue]:
    """With a plan, every CTE is one the governed compilation makes: a look-alike under another
    name (an edited copy joined instead of the governed CTE) is refused."""
    if ctx.plan is None:
        return
    foreign = _foreign_ctes(tree, ctx)
    governed = set(ctx.catalog.segments)
    foreign = [n for n in foreign if n.split("__")[0] not in governed]  # governed_segment_logic
    if foreign:
        names = ", ".join(f"`{n}`" for n in foreign)
        yield Issue("error", f"CTE {names} is not part of any governed definition; an answer may "
                    "only read the governed CTEs compiled for its plan.")


def governed_ctes_read(tree: exp.Expr, ctx: SqlContext) -> Iterator[Issue]:
    """Every governed CTE is read by the answer: by the outer query, or by a CTE it reads.

    A governed CTE that is present but unread means the answer came from somewhere else. (A
    statement with a look-alike CTE is reported by `only_governed_ctes` alone.)
    """
    if ctx.plan is None or not ctx.expected_ctes or _foreign_ctes(tree, ctx):
        return
    bodies = {c.alias_or_name: c.this for c in statement_ctes(tree, ctx)}
    # The outer query is everything of the statement but its WITH (read without copying it)
    read: set[str] = set()
    todo: list[exp.Expr] = [v for key, value in tree.args.items() if key != "with_"
                            for v in (value if isinstance(value, list) else [value])
                            if isinstance(v, exp.Expr)]
    while todo:
        for table in todo.pop().find_all(exp.Table):
            if table.name in bodies and table.name not in read:
                read.add(table.name)
                todo.append(bodies[table.name])
    unread = [n for n in ctx.expected_ctes if n in bodies and n not in read]
    if unread:
        names = ", ".join(f"`{n}`" for n in unread)
        yield Issue("error", f"The governed definition {names} is in the SQL but the answer does "
                    "not read it; an answer must be computed from its governed CTEs.")


def plan_within_access(tree: exp.Expr, ctx: SqlContext) -> Iterator[Issue]:
    """The plan names only governed objects the principal may use."""
    if ctx.plan is None or ctx.principal is None:
        return
    for kind, name in denials(ctx.plan, ctx.catalog, ctx.principal):
        yield Issue("error", f"The {kind} `{name}` is not visible to principal "
                    f"`{ctx.principal.id}` ({', '.join(ctx.principal.groups)}).")


def row_filter_applied(tree: exp.Expr, ctx: SqlContext) -> Iterator[Issue]:
    """The principal's row filter, bound to its attributes, is a condition of the outer query."""
    if ctx.principal is None or not isinstance(tree, exp.Select):
        return
    from assistant.compiler.rows import base_user_id

    if row_condition(ctx.catalog, ctx.principal, exp.column("user_id")) is None:
        return
    user_id = base_user_id(tree, ctx.catalog)
    expected = row_condition(ctx.catalog, ctx.principal, user_id) if user_id else None
    where = tree.args.get("where")
    found = where.this if isinstance(where, exp.Where) else None
    conjuncts = list(found.flatten()) if isinstance(found, exp.And) else [found] if found else []
    wanted = _normal(expected, ctx.dialect, compiled=True) if expected is not None else None
    if wanted is None or all(_normal(c, ctx.dialect) != wanted for c in conjuncts):
        yield Issue("error", f"The row filter of principal `{ctx.principal.id}` is not applied to "
                    "the outer query; it may only see the rows its access policy allows.")


def _normal(node: exp.Expr, dialect: str, *, compiled: bool = False) -> exp.Expr:
    """Compare trees as they read back from SQL text, so generation quirks don't matter.

    A compiled tree is first rendered the way the compiler renders it for `dialect`.
    """
    text = render(node, dialect, pretty=False) if compiled else node.sql(dialect)
    return sqlglot.parse_one(text, read=dialect)


# The rules that look at the statement node by node, so that their verdict on a governed CTE
# is its tree's: over a WITH verified as exactly the governed one, they check the statement
# over stand-ins of its governed CTEs (`validator/verified.py`).
NODE_RULES = frozenset({no_writes_anywhere, governed_tables_only, no_row_or_alias_tricks,
                        allowed_functions_only, governed_joins_only})

RULES = (
    read_only_select,
    no_writes_anywhere,
    governed_tables_only,
    no_row_or_alias_tricks,
    allowed_functions_only,
    governed_columns_only,
    governed_joins_only,
    limit_present,
    overrides_within_bounds,
    governed_segment_logic,
    only_governed_ctes,
    governed_ctes_read,
    plan_within_access,
    row_filter_applied,
)
