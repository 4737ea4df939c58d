"""Catalog rules over the SQL written in the YAML: it parses, and it reads no restricted column.

Both run when the catalog loads, so a fragment sqlglot cannot parse is reported at its
`file:line` by `segq validate` (and refuses to load) instead of raising a ParseError inside
every question that compiles it; and a definition reading personal data fails CI instead of
being refused by the SQL validator at every use.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from sqlglot import exp

from assistant import messages
from assistant.catalog.models import Catalog
from assistant.errors import Issue

MAX_FRAGMENT_CHARS = 20_000  # the longest governed stage is under 700


@dataclass(frozen=True)
class Fragment:
    what: str  # e.g. "Stage `activity` of segment `churn_risk`"
    sql: str
    source: str
    condition: bool  # parsed as a boolean condition (`when`, `where`, `filter`)
    accepted: str  # what the fragment may be, for the error message
    tables: tuple[str, ...] = ()  # governed tables it reads implicitly (a metric's table)
    file: str = ""  # with `first_line`: where line 1 of a multi-line SQL block is written
    first_line: int = 0

    def source_of(self, sql_line: int) -> str:
        """`file:line` of a line within the SQL, when the block's lines map onto the file's."""
        if self.first_line and "\n" in self.sql.strip():
            return f"{self.file}:{self.first_line + sql_line - 1}"
        return self.source


def fragments(catalog: Catalog) -> Iterator[Fragment]:
    """Every piece of SQL in the catalog, with the line it is written on."""
    for seg in catalog.segments.values():
        for stage in seg.stages:
            yield Fragment(f"Stage `{stage.name}` of segment `{seg.name}`", stage.sql,
                           f"{seg.file}:{stage.line}", False, "one SELECT statement",
                           file=seg.file, first_line=stage.line)
        columns = ", ".join(seg.columns) or "the last stage's columns"
        if seg.where:
            yield Fragment(f"The `where` of segment `{seg.name}`", seg.where,
                           seg.where_source or seg.source, True,
                           f"one boolean SQL condition over {columns}")
        for member in seg.members:
            if member.when and member.when.upper() != "TRUE":
                yield Fragment(f"The `when` of member `{member.name}` of `{seg.name}`",
                               member.when, member.when_source or member.source, True,
                               f"one boolean SQL condition over {columns}")
    for metric in catalog.metrics.values():
        if metric.engine:  # compiled by its own engine from its own definition (a dbt metric)
            continue
        yield Fragment(f"The `expr` of metric `{metric.name}`", metric.expr, metric.source,
                       False, f"one SQL aggregate over `{metric.table}`", (metric.table,))
        if metric.filter:
            yield Fragment(f"The `filter` of metric `{metric.name}`", metric.filter,
                           metric.source, True, f"one boolean SQL condition over "
                           f"`{metric.table}`", (metric.table,))


@dataclass(frozen=True)
class Unparsed:
    reason: str
    line: int = 1  # within the SQL


@lru_cache(maxsize=1024)
def parse(sql: str, condition: bool) -> exp.Expr | Unparsed:
    """The tree the compiler will build from this fragment, or why it has none."""
    from assistant.compiler.sql import parse_fragment  # the compiler's own parse, late: no cycle

    if len(sql) > MAX_FRAGMENT_CHARS:
        return Unparsed("too long")
    try:
        return parse_fragment(sql, condition=condition)
    except RecursionError:
        return Unparsed("it nests too deeply to parse")
    except Exception as exc:  # sqlglot raises ParseError, TokenError and a few others
        errors = getattr(exc, "errors", None)
        if errors:
            first = errors[0]
            near = f" near `{first['highlight']}`" if first.get("highlight") else ""
            what = re.sub(r"<class '[\w.]*?(\w+)'>", lambda m: m[1].upper(),
                          str(first["description"]))
            line = int(first.get("line") or 1)
            return Unparsed(f"{what} at line {line}, column {first['col']} of the SQL{near}",
                            line)
        return Unparsed(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


def fragments_parse(catalog: Catalog) -> Iterator[Issue]:
    for fragment in fragments(catalog):
        if len(fragment.sql) > MAX_FRAGMENT_CHARS:
            yield Issue("error", messages.sql_fragment_too_long(
                fragment.what, len(fragment.sql), MAX_FRAGMENT_CHARS), fragment.source,
                "sql-parse")
            continue
        tree = parse(fragment.sql, fragment.condition)
        if isinstance(tree, Unparsed):
            yield Issue("error", messages.sql_fragment_invalid(fragment.what, tree.reason,
                        fragment.accepted), fragment.source_of(tree.line), "sql-parse")


def no_restricted_columns(catalog: Catalog) -> Iterator[Issue]:
    """No definition may read a column declared `access: restricted` (personal data), except
    a dimension that says `access: restricted` itself, over a column a `column` access policy
    grants (docs/access.md): only the granted groups ever see it.

    Unqualified names count against every governed table the fragment reads; a column
    qualified by a stage or CTE name is judged where that stage read it from a table.
    """
    restricted = catalog.restricted_columns()
    if not restricted:
        return
    granted = {p.target for p in catalog.access.policies if p.kind == "column"} if (
        catalog.access) else set()
    for dim in catalog.dimensions.values():
        # A dimension over a restricted column the access policy grants to some group is
        # how a granted group reads it; everyone else never sees the dimension.
        if (dim.table, dim.column) in restricted and not (
                dim.access == "restricted" and f"{dim.table}.{dim.column}" in granted):
            yield Issue("error", messages.restricted_column_read(
                f"Dimension `{dim.name}`", f"{dim.table}.{dim.column}"), dim.source,
                "restricted-column")
    for fragment in fragments(catalog):
        tree = parse(fragment.sql, fragment.condition)
        if isinstance(tree, Unparsed):
            continue  # reported by fragments_parse
        for column in sorted(_restricted_reads(tree, fragment.tables, catalog, restricted)):
            yield Issue("error", messages.restricted_column_read(fragment.what, column),
                        fragment.source, "restricted-column")


def _restricted_reads(tree: exp.Expr, implicit: tuple[str, ...], catalog: Catalog,
                      restricted: set[tuple[str, str]]) -> set[str]:
    aliases = {t.alias_or_name: t.name for t in tree.find_all(exp.Table) if not t.db}
    read = {name for name in [*aliases.values(), *implicit] if name in catalog.tables}
    found: set[str] = set()
    for column in tree.find_all(exp.Column):
        table = aliases.get(column.table, column.table) if column.table else ""
        scope = [table] if table else sorted(read)
        if isinstance(column.this, exp.Star):
            found |= {f"{t}.{c}" for t, c in restricted if t in scope}
        else:
            found |= {f"{t}.{column.name}" for t in scope if (t, column.name) in restricted}
    for select in tree.find_all(exp.Select):
        if any(isinstance(e, exp.Star) for e in select.expressions):
            sources = [select.args.get("from_"), *(select.args.get("joins") or [])]
            names = {s.this.name for s in sources if s and isinstance(s.this, exp.Table)}
            found |= {f"{t}.{c}" for t, c in restricted if t in names}
    return found
