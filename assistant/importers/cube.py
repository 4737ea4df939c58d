"""Cube data model YAML (cubes and views) -> the typed catalog, every object at file:line.

What each Cube object becomes:
- a cube over `sql_table`: a governed table named by the table's own name (`ECOM.ORDERS` is
  table `orders`: the schema is where Cube's warehouse keeps it; the example's loader gives it
  that name), its `primary_key` dimension the table's key;
- a dimension over one column: a dimension (`type: time` a time dimension with every grain);
  the cube's first time dimension times its measures (Cube has no default time dimension, a
  query names one; segq's metrics need one for "in 2021");
- a measure (`count`, `count_distinct`, `sum`, `avg`, `min`, `max`, ...): a metric; its
  `filters:` are the metric's condition; a `number` measure is its SQL with the measures it
  names expanded, each filtered one as `CASE WHEN` inside its aggregate;
- a measure over a `sub_query: true` dimension that is another cube's sum (`orders.amount` =
  `{line_items.total_amount}`): a metric over that other cube's table, which must declare a
  many-to-one join to this one (a sum of per-order sums is the sum over line items; an average
  of them is that sum over the number of orders that have any);
- a join: a declared relationship on the column pairs of its `sql` (`belongs_to`, `has_many`
  and `has_one` are Cube's older names for many_to_one, one_to_many and one_to_one);
- a segment: a segment of the cube's rows is not a segq definition (segq's segments are of
  users, built by stages); each is a warning at its line;
- a view: checked (its join paths must be declared joins, its members must exist: a missing
  member is a warning at its line and left out of the view); the members it exposes are the
  cube members, so a view adds no second definition.
Names used by more than one cube (`count`, `created_at`) get the cube's name in front
(`orders_count`). An unknown key is an error at its line; what segq cannot import (an
expression dimension, a masked member, a `sql:` cube, a rolling window) is a warning at its
line, never silently dropped. Jinja templates are rendered as `cube_jinja.py` says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from assistant.catalog.documents import content_hash
from assistant.catalog.models import Catalog, Column, Dimension, Metric, Relationship, Table
from assistant.catalog.reporter import LineReporter
from assistant.catalog.yaml_loader import LineDict, LineList, load_yaml_text
from assistant.errors import Issue
from assistant.importers.cube_jinja import render
from assistant.messages import did_you_mean

TOP = {"cubes", "views"}
CUBE = {"name", "sql_table", "sql", "title", "description", "public", "shown", "joins",
        "dimensions", "measures", "segments", "pre_aggregations", "data_source", "extends",
        "refresh_key", "meta", "sql_alias", "rewrite_queries", "hierarchies", "folders",
        "access_policy", "calendar"}
DIMENSION = {"name", "sql", "type", "primary_key", "title", "description", "shown", "public",
             "sub_query", "propagate_filters_to_sub_query", "format", "meta", "case",
             "granularities", "order", "key", "label", "time_shift"}
MEASURE = {"name", "sql", "type", "filters", "title", "description", "shown", "public",
           "format", "meta", "rolling_window", "drill_members", "cumulative", "multi_stage",
           "time_shift", "reduce_by", "add_group_by", "group_by", "order_by", "case"}
JOIN = {"name", "sql", "relationship"}
SEGMENT = {"name", "sql", "title", "description", "public", "shown", "meta"}
VIEW = {"name", "cubes", "title", "description", "public", "meta", "folders", "includes",
        "excludes", "extends", "access_policy"}
VIEW_CUBE = {"join_path", "includes", "excludes", "prefix", "alias"}
RELATIONSHIPS = {"many_to_one": "many_to_one", "one_to_many": "one_to_many",
                 "one_to_one": "one_to_one", "belongs_to": "many_to_one",
                 "has_many": "one_to_many", "has_one": "one_to_one",
                 "manyToOne": "many_to_one", "oneToMany": "one_to_many",
                 "oneToOne": "one_to_one", "belongsTo": "many_to_one", "hasMany": "one_to_many",
                 "hasOne": "one_to_one"}
DIMENSION_TYPES = {"string", "number", "time", "boolean", "geo", "switch"}
AGGREGATES = {"count": "COUNT", "count_distinct": "COUNT", "count_distinct_approx": "COUNT",
              "sum": "SUM", "avg": "AVG", "min": "MIN", "max": "MAX"}
MEASURE_TYPES = {*AGGREGATES, "number", "string", "time", "boolean", "running_total",
                 "number_agg", "rank"}
GRAINS = ("day", "week", "month", "quarter", "year")
DIALECT = "snowflake"  # Cube SQL is the source warehouse's; case-insensitive names read alike
_REFERENCE = re.compile(r"\$?\{([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?\}")


class CubeError(Exception):
    """A member whose SQL cannot become a segq definition (message says why)."""


@dataclass
class _Cube:
    name: str
    table: str
    node: LineDict
    file: str
    dimensions: dict[str, LineDict] = field(default_factory=dict)
    measures: dict[str, LineDict] = field(default_factory=dict)
    primary_key: str = ""


class _Reader:
    def __init__(self) -> None:
        self.b = LineReporter()
        self.cubes: dict[str, _Cube] = {}
        self.views: list[tuple[str, LineDict]] = []
        self.joins: list[tuple[_Cube, LineDict]] = []
        self.columns: dict[str, dict[str, str]] = {}

    @property
    def issues(self) -> list[Issue]:
        return self.b.issues

    def at(self, file: str, node: Any, key: str | None = None) -> str:
        self.b.file = file
        return self.b.where(node, key)

    def warn(self, file: str, node: Any, message: str, rule: str = "not-imported",
             key: str | None = None) -> None:
        self.issues.append(Issue("warning", message, self.at(file, node, key), rule))

    def error(self, file: str, node: Any, message: str, rule: str,
              key: str | None = None) -> None:
        self.issues.append(Issue("error", message, self.at(file, node, key), rule))

    def keys(self, file: str, node: Any, accepted: set[str], what: str) -> bool:
        if not isinstance(node, LineDict):
            self.error(file, node, f"{what} must be a mapping.", "shape")
            return False
        for key in node:
            if key not in accepted:
                self.error(file, node, f"{what} has unknown key `{key}`. Accepted keys: "
                           f"{', '.join(sorted(accepted))}.{did_you_mean(str(key), accepted)}",
                           "unknown-key", str(key))
        return True

    def items(self, file: str, node: LineDict, key: str, what: str) -> list[LineDict]:
        self.b.file = file
        return self.b.items(node, key, what, what)

    # -- reading ----------------------------------------------------------------------------
    def read(self, path: Path, shown: str) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.issues.append(Issue("error", f"cannot be read ({exc}).", f"{shown}:1",
                                     "file-unreadable"))
            return
        text, found = render(text, shown)
        self.issues.extend(found)
        if any(i.level == "error" for i in found):
            return
        data, found = load_yaml_text(text, shown, top_keys=TOP)
        self.issues.extend(found)
        if data is None:
            return
        self.keys(shown, data, TOP, "A Cube model file")
        for node in self.items(shown, data, "cubes", "cube"):
            self.cube(shown, node)
        for node in self.items(shown, data, "views", "view"):
            if self.keys(shown, node, VIEW, f"View `{node.get('name', '?')}`"):
                self.views.append((shown, node))

    def cube(self, file: str, node: LineDict) -> None:
        name = str(node.get("name", "?"))
        if not self.keys(file, node, CUBE, f"Cube `{name}`"):
            return
        if name in self.cubes:
            self.error(file, node, f"Cube `{name}` is defined again; it is already defined at "
                       f"{self.at(self.cubes[name].file, self.cubes[name].node)}.",
                       "duplicate-name")
            return
        if not node.get("sql_table"):
            what = "is defined by `sql:`, a query" if node.get("sql") else "has no `sql_table`"
            self.warn(file, node, f"Cube `{name}` {what}; segq governs tables only, so the "
                      "cube and its members are not imported.")
            return
        table = str(node["sql_table"]).split(".")[-1].strip('"`').lower()
        cube = _Cube(name, table, node, file)
        self.columns.setdefault(table, {})
        for item in self.items(file, node, "dimensions", f"cube `{name}` dimension"):
            if self.keys(file, item, DIMENSION, f"Dimension `{name}.{item.get('name', '?')}`"):
                cube.dimensions[str(item.get("name"))] = item
                if item.get("primary_key") is True:
                    cube.primary_key = str(item.get("name"))
        for item in self.items(file, node, "measures", f"cube `{name}` measure"):
            if self.keys(file, item, MEASURE, f"Measure `{name}.{item.get('name', '?')}`"):
                cube.measures[str(item.get("name"))] = item
        for item in self.items(file, node, "joins", f"cube `{name}` join"):
            if self.keys(file, item, JOIN, f"Join `{name}.{item.get('name', '?')}`"):
                self.joins.append((cube, item))
        for item in self.items(file, node, "segments", f"cube `{name}` segment"):
            if self.keys(file, item, SEGMENT, f"Segment `{name}.{item.get('name', '?')}`"):
                self.warn(file, item, f"Segment `{name}.{item.get('name')}` (`{item.get('sql')}`)"
                          " filters the cube's rows; segq's segments are groups of users built "
                          "in stages, so it is not imported and questions using it are refused.")
        self.cubes[name] = cube


# -- SQL of members ---------------------------------------------------------------------------
class _Sql:
    """Cube member SQL -> DuckDB SQL over the governed tables, references expanded."""

    def __init__(self, reader: _Reader) -> None:
        self.r = reader

    def parse(self, text: str, cube: _Cube) -> exp.Expr:
        try:
            tree = sqlglot.parse_one(text, read=DIALECT)
        except SqlglotError as exc:
            raise CubeError(f"is not valid SQL (`{text}`): {str(exc).splitlines()[0]}") from exc
        for column in tree.find_all(exp.Column):
            table = column.table.lower() if column.table else cube.table
            column.set("table", exp.to_identifier(table))
            column.set("this", exp.to_identifier(column.name.lower()))
            self.r.columns.setdefault(table, {}).setdefault(column.name.lower(), "")
        return tree

    def expand(self, text: str, cube: _Cube, *, measures: bool, seen: tuple[str, ...] = ()) -> str:
        """`{CUBE}`, `{CUBE.member}`, `{member}` (and `{measure}` in a number measure)
        replaced by the table and the members' own SQL."""

        def one(match: re.Match[str]) -> str:
            first, second = match.group(1), match.group(2)
            if second is None and first in ("CUBE", cube.name):
                return cube.table
            owner, member = (cube.name, second) if first == "CUBE" else (
                (first, second) if second else (cube.name, first))
            if owner != cube.name:
                raise CubeError(f"reads `{match.group(0)}` of another cube; segq imports a "
                                "member over its own cube's table")
            if f"{owner}.{member}" in seen:
                raise CubeError(f"refers to itself through `{match.group(0)}`")
            here = (*seen, f"{owner}.{member}")
            if member in cube.dimensions:
                return f"({self.dimension_sql(cube, member, here)})"
            if measures and member in cube.measures:
                return f"({self.aggregate(cube, cube.measures[member], here, inline=True)})"
            raise CubeError(f"names `{match.group(0)}`, which cube `{cube.name}` does not "
                            "define" + did_you_mean(member, [*cube.dimensions, *cube.measures]))

        return _REFERENCE.sub(one, text)

    def dimension_sql(self, cube: _Cube, name: str, seen: tuple[str, ...]) -> str:
        node = cube.dimensions[name]
        if node.get("sub_query"):
            raise CubeError(f"reads the sub-query dimension `{cube.name}.{name}`")
        text = str(node.get("sql") or name)
        return self.parse(self.expand(text, cube, measures=False, seen=seen), cube).sql(DIALECT)

    def condition(self, cube: _Cube, node: LineDict, seen: tuple[str, ...]) -> str:
        parts = []
        for item in node.get("filters") or []:
            if not isinstance(item, dict) or "sql" not in item or len(item) != 1:
                raise CubeError("has a filter that is not `{sql: ...}`")
            parts.append(f"({self.expand(str(item['sql']), cube, measures=False, seen=seen)})")
        return " AND ".join(parts)

    def aggregate(self, cube: _Cube, node: LineDict, seen: tuple[str, ...], *,
                  inline: bool) -> str:
        """The measure's SQL; with `inline`, its filters inside the aggregate (CASE WHEN)."""
        kind = str(node.get("type", ""))
        for unsupported in ("rolling_window", "multi_stage", "time_shift", "reduce_by",
                            "add_group_by", "group_by"):
            if node.get(unsupported):
                raise CubeError(f"uses `{unsupported}`, which segq does not compile")
        if kind == "number":
            if node.get("filters"):
                raise CubeError("is a `number` measure with `filters`")
            return self.expand(str(node.get("sql", "")), cube, measures=True, seen=seen)
        if kind not in AGGREGATES:
            raise CubeError(f"has type `{kind}`, which segq does not compile")
        sql = node.get("sql")
        inner = self.expand(str(sql), cube, measures=False, seen=seen) if sql else ""
        condition = self.condition(cube, node, seen) if inline else ""
        if condition:
            inner = f"CASE WHEN {condition} THEN {inner or 1} END"
        if kind.startswith("count_distinct"):
            return f"COUNT(DISTINCT {inner})"
        return f"{AGGREGATES[kind]}({inner or '*'})"


def _label(node: LineDict, name: str) -> str:
    return str(node.get("title") or name.replace("_", " "))


def _description(node: LineDict) -> str:
    return " ".join(str(node.get("description") or "").split())


class _Builder2:
    """Catalog objects from what the reader collected."""

    def __init__(self, reader: _Reader) -> None:
        self.r = reader
        self.sql = _Sql(reader)
        self.dimensions: dict[str, Dimension] = {}
        self.metrics: dict[str, Metric] = {}
        self.relationships: list[Relationship] = []
        self.uses: dict[str, int] = {}
        for cube in reader.cubes.values():
            for member in [*cube.dimensions, *cube.measures]:
                self.uses[member] = self.uses.get(member, 0) + 1

    def name(self, cube: _Cube, member: str) -> str:
        return member if self.uses.get(member, 0) <= 1 else f"{cube.name}_{member}"

    def label(self, cube: _Cube, member: str, node: LineDict) -> str:
        if node.get("title"):
            return str(node["title"])
        return self.name(cube, member).replace("_", " ")

    def warn(self, cube: _Cube, node: LineDict, what: str, why: str) -> None:
        self.r.warn(cube.file, node, f"{what} {why}; it is not imported, so questions about "
                    "it are refused.")

    def dimension(self, cube: _Cube, name: str, node: LineDict) -> None:
        what = f"Dimension `{cube.name}.{name}`"
        kind = str(node.get("type", ""))
        if kind not in DIMENSION_TYPES:
            accepted = ", ".join(sorted(DIMENSION_TYPES))
            self.r.error(cube.file, node, f"{what} has type `{kind}`. Accepted: {accepted}."
                         f"{did_you_mean(kind, DIMENSION_TYPES)}", "bad-value", "type")
            return
        if node.get("primary_key") is True or node.get("sub_query"):
            return  # the table's key; a sub-query dimension is read by the measures over it
        try:
            tree = sqlglot.parse_one(self.sql.dimension_sql(cube, name, (f"{cube.name}.{name}",)),
                                     read=DIALECT)
        except CubeError as exc:
            self.warn(cube, node, what, str(exc))
            return
        if isinstance(tree, exp.Paren):
            tree = tree.unnest()
        if isinstance(tree, exp.Literal):
            self.warn(cube, node, what, f"is the constant {tree.sql()} (the model's Jinja masks "
                      "it for an unknown team)")
            return
        if not isinstance(tree, exp.Column):
            self.warn(cube, node, what, f"is the expression `{tree.sql(DIALECT)}`, not one "
                      "column; segq imports dimensions over one column")
            return
        table = tree.table or cube.table
        self.r.columns.setdefault(table, {})[tree.name] = "TIMESTAMP" if kind == "time" else ""
        time = kind == "time"
        dim = Dimension(self.name(cube, name), self.label(cube, name, node), _description(node),
                        table, tree.name, "time" if time else "categorical",
                        self.dimension_synonyms(cube, name), (),
                        GRAINS if time else (), self.r.at(cube.file, node), content_hash(node))
        self.dimensions[dim.name] = dim

    def dimension_synonyms(self, cube: _Cube, name: str) -> tuple[str, ...]:
        """A dimension said with its cube ("product name", "order status"), and one named
        after its cube without it (`products.product_category` is also "category"): from the
        model's own names, never added by hand."""
        one = cube.name.removesuffix("s").replace("_", " ")
        words = name.replace("_", " ")
        if words.startswith(f"{one} "):
            rest = words.removeprefix(f"{one} ")
            taken = rest.replace(" ", "_") in self.uses
            return () if taken else (rest,)
        return (f"{one} {words}",)

    def time_column(self, cube: _Cube) -> str:
        for node in cube.dimensions.values():
            if node.get("type") == "time" and not node.get("sub_query"):
                sql = str(node.get("sql") or node.get("name"))
                if re.fullmatch(r"(\{CUBE\}\.)?[A-Za-z_]\w*", sql):
                    return sql.split(".")[-1].lower()
        return ""

    def measure(self, cube: _Cube, name: str, node: LineDict) -> None:
        what = f"Measure `{cube.name}.{name}`"
        kind = str(node.get("type", ""))
        if kind not in MEASURE_TYPES:
            self.r.error(cube.file, node, f"{what} has type `{kind}`. Accepted: "
                         f"{', '.join(sorted(MEASURE_TYPES))}.{did_you_mean(kind, MEASURE_TYPES)}",
                         "bad-value", "type")
            return
        table, time_column, owner = cube.table, self.time_column(cube), cube
        time_table = ""
        try:
            over = self.sub_query(cube, node)
            if over is not None:  # over the other cube's rows, timed by this cube's own time
                owner, expr, condition = over
                table, time_table = owner.table, cube.table if time_column else ""
            else:
                seen = (f"{cube.name}.{name}",)
                expr = self.sql.aggregate(cube, node, seen, inline=False)
                condition = self.sql.condition(cube, node, seen)
            tree = self.sql.parse(expr, owner)
            filter_sql = self.sql.parse(condition, owner).sql("duckdb") if condition else ""
        except CubeError as exc:
            self.warn(cube, node, what, str(exc))
            return
        if not tree.find(exp.AggFunc):
            self.warn(cube, node, what, f"(`{tree.sql('duckdb')}`) aggregates nothing")
            return
        metric = Metric(self.name(cube, name), self.label(cube, name, node), _description(node),
                        "", 1, table, tree.sql("duckdb"), filter_sql, time_column, None,
                        self.synonyms(cube, name, node), self.r.at(cube.file, node),
                        content_hash(node), time_table=time_table)
        self.metrics[metric.name] = metric

    def synonyms(self, cube: _Cube, name: str, node: LineDict) -> tuple[str, ...]:
        """How people say a member from the model's own names, never added by hand: a plain
        `count` is the number of the cube's rows ("number of orders", "orders"), a count
        named `<kind>_count` is "<kind> <cube>" ("completed orders"); a member named after its
        cube reads "<member> of <cube>" ("total amount of line items")."""
        noun = cube.name.replace("_", " ")
        said = [f"{name.replace('_', ' ')} of {noun}"] if self.name(cube, name) != name else []
        if said:  # and with the cube's noun before it: "order total amount", "order amount"
            single, words = noun.removesuffix("s"), name.replace("_", " ")
            said.append(f"{single} {words}")
            if words.startswith("total "):
                rest = words.removeprefix("total ")
                said += [f"total {single} {rest}", f"{single} {rest}"]
        if str(node.get("type")) == "count" and not node.get("filters") and not node.get("sql"):
            said += [f"number of {noun}", noun]
        elif str(node.get("type")) == "count" and name.endswith("_count"):  # completed_count
            kind = name.removesuffix("_count").replace("_", " ")
            said += [f"{kind} {noun}", f"number of {kind} {noun}"]
        return tuple(said)

    def sub_query(self, cube: _Cube, node: LineDict) -> tuple[_Cube, str, str] | None:
        """A sum or average of a sub-query dimension that is another cube's sum: the other
        cube, its aggregate and condition, when it joins many-to-one to this cube."""
        match = re.fullmatch(r"\s*\{(?:CUBE\.)?(\w+)\}\s*", str(node.get("sql", "")))
        dim = cube.dimensions.get(match.group(1)) if match else None
        if dim is None or not dim.get("sub_query"):
            return None
        inner = re.fullmatch(r"\s*\{(\w+)\.(\w+)\}\s*", str(dim.get("sql", "")))
        other = self.r.cubes.get(inner.group(1)) if inner else None
        measure = other.measures.get(inner.group(2)) if other and inner else None
        kind = str(node.get("type"))
        if other is None or measure is None or measure.get("type") != "sum" or \
                kind not in ("sum", "avg") or node.get("filters"):
            raise CubeError("is over a sub-query dimension segq compiles only as a sum or "
                            "average of another cube's sum")
        keys = self.join_keys(other, cube)
        if keys is None:
            raise CubeError(f"needs cube `{other.name}` to declare a many_to_one join to "
                            f"`{cube.name}`, which it does not")
        seen = (f"{other.name}.{inner.group(2) if inner else ''}",)
        total = self.sql.aggregate(other, measure, seen, inline=True)
        if kind == "sum":
            return other, total, ""
        per = ", ".join(f"{other.table}.{a}" for a, _ in keys)
        return other, f"{total} / NULLIF(COUNT(DISTINCT {per}), 0)", ""

    def join_keys(self, many: _Cube, one: _Cube) -> tuple[tuple[str, str], ...] | None:
        for rel in self.relationships:
            if rel.from_table == many.table and rel.to_table == one.table and \
                    rel.type == "many_to_one":
                return rel.keys
        return None

    def join(self, cube: _Cube, node: LineDict) -> None:
        name = str(node.get("name", "?"))
        what = f"Join `{cube.name}.{name}`"
        target = self.r.cubes.get(name)
        if target is None:
            self.r.error(cube.file, node, f"{what} names cube `{name}`, which the model does "
                         f"not define.{did_you_mean(name, self.r.cubes)}", "unknown-reference",
                         "name")
            return
        kind = RELATIONSHIPS.get(str(node.get("relationship", "")))
        if kind is None:
            self.r.error(cube.file, node, f"{what} has relationship `{node.get('relationship')}`."
                         f" Accepted: {', '.join(RELATIONSHIPS)}.", "bad-value", "relationship")
            return
        keys = self.join_pairs(cube, target, str(node.get("sql", "")))
        if keys is None:
            self.r.warn(cube.file, node, f"{what} is `{node.get('sql')}`, not equal columns of "
                        f"`{cube.name}` and `{name}` joined by AND; segq joins on column pairs "
                        "only, so questions needing it are refused.", key="sql")
            return
        for a, b in keys:
            self.r.columns.setdefault(cube.table, {}).setdefault(a, "")
            self.r.columns.setdefault(target.table, {}).setdefault(b, "")
        self.relationships.append(Relationship(f"{cube.name}.{name}", cube.table, target.table,
                                               keys, kind, self.r.at(cube.file, node)))

    def join_pairs(self, cube: _Cube, target: _Cube,
                   sql: str) -> tuple[tuple[str, str], ...] | None:
        text = _REFERENCE.sub(lambda m: f"__{m.group(1)}__" + (f".{m.group(2)}" if m.group(2)
                                                                else ""), sql)
        try:
            tree = sqlglot.parse_one(text, read=DIALECT)
        except SqlglotError:
            return None
        conditions = list(tree.flatten()) if isinstance(tree, exp.And) else [tree]
        pairs = []
        mine = {"__CUBE__", f"__{cube.name}__"}
        for cond in conditions:
            left_side, right_side = cond.args.get("this"), cond.args.get("expression")
            if not isinstance(cond, exp.EQ) or not isinstance(left_side, exp.Column) or \
                    not isinstance(right_side, exp.Column):
                return None
            sides = {c.table: c.name.lower() for c in (left_side, right_side)}
            left = next((sides[t] for t in sides if t in mine), None)
            right = sides.get(f"__{target.name}__")
            if left is None or right is None or len(sides) != 2:
                return None
            pairs.append((left, right))
        return tuple(pairs)

    def view(self, file: str, node: LineDict) -> None:
        name = str(node.get("name", "?"))
        for item in self.r.items(file, node, "cubes", f"view `{name}` cube"):
            if not self.r.keys(file, item, VIEW_CUBE, f"A cube of view `{name}`"):
                continue
            path = str(item.get("join_path", "")).split(".")
            cube = self.view_path(file, item, name, path)
            if cube is None:
                continue
            includes = item.get("includes")
            if not isinstance(includes, LineList):
                continue
            for index, member in enumerate(includes):
                if str(member) not in cube.dimensions and str(member) not in cube.measures:
                    self.r.issues.append(Issue(
                        "warning", f"View `{name}` includes `{cube.name}.{member}`, which cube "
                        f"`{cube.name}` does not define (Cube would reject the view); it is left "
                        "out of the view."
                        f"{did_you_mean(str(member), [*cube.dimensions, *cube.measures])}",
                        self.r.b.where_item(includes, index), "unknown-reference"))

    def view_path(self, file: str, item: LineDict, view: str, path: list[str]) -> _Cube | None:
        cube = self.r.cubes.get(path[0])
        for hop in path[1:]:
            if cube is None:
                break
            declared = {str(j.get("name")) for c, j in self.r.joins if c is cube}
            cube = self.r.cubes.get(hop) if hop in declared else None
        if cube is None:
            self.r.error(file, item, f"View `{view}` has join_path `{'.'.join(path)}`, which is "
                         "not a chain of defined cubes and their declared joins.",
                         "unknown-reference", "join_path")
        return cube

    def catalog(self, display: str) -> Catalog:
        for cube, node in self.r.joins:
            self.join(cube, node)
        for cube in self.r.cubes.values():
            for name, node in cube.dimensions.items():
                self.dimension(cube, name, node)
            for name, node in cube.measures.items():
                self.measure(cube, name, node)
        for file, node in self.r.views:
            self.view(file, node)
        keys = {c.table: self.key_column(c) for c in self.r.cubes.values()}
        sources = {c.table: self.r.at(c.file, c.node) for c in self.r.cubes.values()}
        descriptions = {c.table: _description(c.node) for c in self.r.cubes.values()}
        tables = {t: Table(t, descriptions.get(t, ""), keys.get(t, ""),
                           tuple(Column(c, ty) for c, ty in sorted(cols.items())),
                           sources.get(t, display))
                  for t, cols in self.r.columns.items()}
        return Catalog(tables, self.dimensions, self.metrics, {}, (display,), display,
                       relationships=tuple(self.relationships))

    def key_column(self, cube: _Cube) -> str:
        if not cube.primary_key:
            return ""
        try:
            tree = sqlglot.parse_one(self.sql.dimension_sql(cube, cube.primary_key, ()),
                                     read=DIALECT)
        except CubeError:
            return ""
        if isinstance(tree, exp.Column):
            self.r.columns.setdefault(cube.table, {}).setdefault(tree.name, "")
            return tree.name
        return ""


def load_cube(files: list[Path], root: Path) -> tuple[Catalog, list[Issue]]:
    """The cubes and views of `files` as one catalog part, every issue at file:line."""
    from assistant.importers import display_path

    reader = _Reader()
    for path in files:
        reader.read(path, display_path(path, root))
    builder = _Builder2(reader)
    catalog = builder.catalog(str(root.name))
    return catalog, reader.issues
