"""A governed segment at many as-of dates in one query: each row carries the date it is as of.

The governed SQL is written for one `as_of`. `series_ctes` compiles its chain of CTEs once,
with `:as_of` standing for `CAST(<dates>.month_end AS DATE)` (a column of a CTE listing the
dates as a VALUES list), and makes every CTE carry `month_end` so that the rows of one date
are exactly what the one-date query returns for that date:

* a scan (a YAML stage reading warehouse tables only) is, up to `SCANS_PER_DATE_MAX` dates,
  that stage compiled once per date with the date as a literal plus a `month_end` column,
  UNION ALL: the SQL of the one-date query, so its bounds are the half-open timestamp ranges
  of `compiler/bounds.py`, and the engine aggregates each date by itself (on DuckDB at 1M
  users, one aggregate over orders joined with 18 dates took twice as long as 18 small ones,
  and the whole history query ~15-20% longer than one copy per date);
* any other CTE is lifted, once for all dates:
  - a SELECT reading no lifted source (a scan of a longer series) joins the dates right after
    its FROM (`CROSS JOIN <dates>`): every row meets every date, and its WHERE, now
    `CAST(ordered_at AS DATE) <= CAST(<dates>.month_end AS DATE)`, keeps that date's rows (a
    comparison with a column has no half-open rewrite: `bounds.py` needs a literal bound, the
    rows are the same, and a join cannot use a scan's zone maps anyway);
  - a SELECT reading lifted sources takes the date of the one in its FROM, and every other
    lifted source it joins is joined on that date too (`AND l.month_end = f.month_end`, in the
    ON, so a LEFT JOIN keeps its meaning);
  - the date is an output column, a key of the GROUP BY and the first PARTITION BY key of
    every window, so percentiles rank the customers of one date among themselves.

Shapes where lifting would change the meaning, or that this module does not rewrite, make
`series_ctes` return None and the caller compile the definition once per date instead:
subqueries and set operations, an aggregate without GROUP BY (one row per date only when the
date has rows), RIGHT/FULL, USING or comma joins, LIMIT/OFFSET, `*` projections, named
windows, DISTINCT ON, or governed SQL that already names a `month_end` column.
"""

from __future__ import annotations

from datetime import date

from sqlglot import exp

from assistant.catalog.models import Catalog, Segment
from assistant.compiler.chains import kept_chain
from assistant.compiler.segments import (
    Ctes,
    Overrides,
    segment_closure,
    segment_ctes,
    stage_at,
    stage_names,
)
from assistant.compiler.sql import as_date, date_literal

SNAPSHOT = "month_end"  # the column holding the date a lifted row is computed as of
SUFFIX = "__by_month_end"
# Up to this many dates (two years of month ends, the longest default history) a scan is one
# SELECT per date, each ~1-1.5 ms of compile + validate; a longer series joins the scan with
# the dates instead, so compile + validate stays ~15 ms however many dates.
SCANS_PER_DATE_MAX = 24


def dates_cte_name(segment: Segment) -> str:
    return f"{segment.name}__month_ends"


def series_name(segment: Segment) -> str:
    """The CTE with one row per (member of the segment, date)."""
    return f"{segment.name}{SUFFIX}"


def series_ctes(catalog: Catalog, segment: Segment, dates: list[date], overrides: Overrides,
                *, scans_per_date: bool | None = None) -> Ctes | None:
    """Every CTE of `segment` carrying `month_end`, plus the dates CTE when one reads it; None
    when a CTE has a shape that cannot be lifted (see the module docstring).

    A scan (a YAML stage reading warehouse tables only) is, with `scans_per_date`, one SELECT
    per date with that date as a literal, UNION ALL: each with its own timestamp bounds,
    and each date's aggregate its own; otherwise it is lifted like every other CTE. Built once
    per (catalog snapshot, segment, dates, overrides, form), a copy each call (`chains.py`)."""
    per_date = len(dates) <= SCANS_PER_DATE_MAX if scans_per_date is None else scans_per_date
    return kept_chain(catalog, segment, ("series", dates, overrides, per_date),
                      lambda: _series_ctes(catalog, segment, dates, overrides, per_date))


def _series_ctes(catalog: Catalog, segment: Segment, dates: list[date], overrides: Overrides,
                 scans_per_date: bool) -> Ctes | None:
    dates_name = dates_cte_name(segment)
    marker = exp.column(SNAPSHOT, table=dates_name)
    chain = segment_ctes(catalog, segment, as_date(marker), overrides, SUFFIX)
    names = {name for name, _ in chain}
    stages = {cte: (seg, stage) for seg in segment_closure(catalog, segment)
              for stage, cte in stage_names(seg, SUFFIX).items()}
    lifted = {dates_name}
    ctes: Ctes = []
    for name, body in chain:
        if scans_per_date and name in stages and not _reads(body, names):
            scan = _per_date(*stages[name], dates, overrides)
            if scan is None:
                return None
            ctes.append((name, scan))
        elif isinstance(body, exp.Select) and not_liftable(body, dates_name) is None:
            ctes.append((name, lift(body, lifted, dates_name)))
        else:
            return None
        lifted.add(name)
    if any(_reads(body, {dates_name}) for _, body in ctes):
        ctes.insert(0, (dates_name, dates_select(dates)))
    return ctes


def _reads(tree: exp.Expr, names: set[str]) -> bool:
    return any(table.name in names and not table.db for table in tree.find_all(exp.Table))


def _per_date(seg: Segment, stage: str, dates: list[date],
              overrides: Overrides) -> exp.Expr | None:
    """`stage` once per date, with the date as a `month_end` column, UNION ALL."""
    union: exp.Expr | None = None
    for day in dates:
        part = stage_at(seg, stage, day, overrides, SUFFIX)
        if not isinstance(part, exp.Select) or SNAPSHOT in part.named_selects or any(
                part.args.get(key) for key in ("order", "limit", "offset")):
            return None
        part = part.select(date_literal(day).as_(SNAPSHOT), copy=False)
        union = part if union is None else exp.union(union, part, distinct=False, copy=False)
    return union


def dates_select(dates: list[date]) -> exp.Select:
    """`SELECT month_end FROM (VALUES (CAST('2025-01-31' AS DATE)), ...) AS month_ends(...)`."""
    rows = [exp.Tuple(expressions=[date_literal(day)]) for day in dates]
    values = exp.Values(expressions=rows, alias=exp.TableAlias(
        this=exp.to_identifier("month_ends"), columns=[exp.to_identifier(SNAPSHOT)]))
    return exp.select(exp.column(SNAPSHOT)).from_(values, copy=False)


_NESTED = (exp.Subquery, exp.Union, exp.Intersect, exp.Except, exp.With, exp.Lateral,
           exp.Values, exp.Unnest)


def not_liftable(select: exp.Select, dates_name: str) -> str | None:
    """Why `select` cannot be lifted, or None when it can (`dates_name.month_end` is `:as_of`)."""
    if any(isinstance(node, exp.Select) for node in select.walk() if node is not select) or \
            any(isinstance(node, _NESTED) for node in select.walk()):
        return "a subquery or set operation"
    for key in ("limit", "offset", "windows"):
        if select.args.get(key):
            return f"{key.upper()}"
    distinct = select.args.get("distinct")
    if isinstance(distinct, exp.Distinct) and distinct.args.get("on"):
        return "DISTINCT ON"
    if any(isinstance(p, exp.Star) or isinstance(p, exp.Column) and isinstance(p.this, exp.Star)
           for p in select.expressions):
        return "a * projection"
    if SNAPSHOT in select.named_selects or any(
            c.name == SNAPSHOT for c in select.find_all(exp.Column) if c.table != dates_name):
        return f"a column named {SNAPSHOT}"
    if not select.args.get("group") and any(_is_aggregate(node) for node in select.walk()):
        return "an aggregate without GROUP BY"
    for join in select.args.get("joins") or []:
        if join.side in ("RIGHT", "FULL") or join.args.get("using"):
            return f"a {join.side or 'USING'} join"
        if not (join.kind or join.side or join.args.get("on")):
            return "a comma join"
    sources = _sources(select)
    if not sources:
        return "no FROM"
    if any(not isinstance(s, exp.Table) or not isinstance(s.this, exp.Identifier) or s.db
           for s in sources):
        return "a source that is not a table"
    return None


def _is_aggregate(node: exp.Expr) -> bool:
    return isinstance(node, exp.AggFunc) and not isinstance(node.parent, exp.Window)


def _sources(select: exp.Select) -> list[exp.Expr]:
    from_ = select.args.get("from_")
    first = [from_.this] if isinstance(from_, exp.From) else []
    return first + [join.this for join in select.args.get("joins") or []]


def lift(select: exp.Select, lifted: set[str], dates_name: str) -> exp.Select:
    """`select` (changed in place) with the date of each row: joined, grouped, partitioned."""
    sources = _sources(select)
    first = sources[0] if sources else None
    if isinstance(first, exp.Table) and first.name in lifted:
        anchor = first.alias_or_name
    else:  # the first join, so every later ON may read the date
        anchor = dates_name
        joins = select.args.get("joins") or []
        select.set("joins", [exp.Join(this=exp.to_table(dates_name), kind="CROSS"), *joins])
    for join in select.args.get("joins") or []:
        source = join.this
        if source.name not in lifted or source.alias_or_name == anchor:
            continue
        same = exp.column(SNAPSHOT, table=source.alias_or_name).eq(_date(anchor))
        on = join.args.get("on")
        join.set("on", exp.and_(on, same, copy=False) if on is not None else same)
        if join.kind == "CROSS":
            join.set("kind", None)
    for column in select.find_all(exp.Column):
        if column.name == SNAPSHOT and column.table == dates_name:  # `:as_of`
            column.set("table", exp.to_identifier(anchor))
    for window in select.find_all(exp.Window):
        window.set("partition_by", [_date(anchor), *(window.args.get("partition_by") or [])])
    if select.args.get("group"):
        select.group_by(_date(anchor), copy=False)
    return select.select(_date(anchor).as_(SNAPSHOT), copy=False)


def _date(table: str) -> exp.Column:
    return exp.column(SNAPSHOT, table=table)
