"""Snowflake Cortex Analyst semantic model YAML -> the typed catalog, every object at file:line.

What each Cortex object becomes:
- a logical table: its `base_table.table` is a governed table (the database and schema name
  Snowflake objects; the warehouse holds the table under its own name), with the columns its
  expressions, key and relationships read;
- `dimensions` and `time_dimensions` over one column: dimensions (`sample_values` are known
  values, `synonyms` and `description` carried); a time dimension also times the table's
  metrics;
- `measures`/`facts` with a `default_aggregation`, and `metrics` (an aggregate expression):
  metrics over the table; a measure without an aggregation is summed, with a warning saying so;
- `relationships`: declared many-to-one (or one-to-one) joins on their column pairs;
- `verified_queries`: their questions, kept as the model's example questions.
Names used twice (`product_id` on two tables) get the logical table's name in front. A
dimension whose physical column another logical table already exposes is the same dimension.
Named `filters` and objects whose expression is not a column of their table cannot be a segq
definition yet: each is a warning at its line, never silently dropped.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from assistant.catalog.documents import content_hash
from assistant.catalog.models import (
    RELATIONSHIP_TYPES,
    Catalog,
    Column,
    Dimension,
    DimensionValue,
    Example,
    Metric,
    Relationship,
    Table,
)
from assistant.catalog.reporter import LineReporter
from assistant.catalog.yaml_loader import LineDict, load_yaml
from assistant.errors import Issue
from assistant.messages import did_you_mean

TOP = {"name", "description", "comments", "tables", "relationships", "verified_queries",
       "custom_instructions", "module_custom_instructions"}
TABLE = {"name", "description", "synonyms", "base_table", "primary_key", "dimensions",
         "time_dimensions", "measures", "facts", "metrics", "filters", "unique_keys", "comments"}
COLUMN = {"name", "description", "synonyms", "expr", "data_type", "unique", "sample_values",
          "is_enum", "cortex_search_service_name", "cortex_search_service", "default_aggregation",
          "access_modifier", "comments", "labels"}
RELATIONSHIP = {"name", "left_table", "right_table", "relationship_columns", "join_type",
                "relationship_type"}
VERIFIED = {"name", "question", "sql", "verified_at", "verified_by",
            "use_as_onboarding_question", "semantic_model_name"}
AGGREGATIONS = {"sum": "SUM", "avg": "AVG", "min": "MIN", "max": "MAX", "median": "MEDIAN",
                "count": "COUNT", "count_distinct": "COUNT"}
TYPES = {"number": "DOUBLE", "varchar": "VARCHAR", "text": "VARCHAR", "string": "VARCHAR",
         "date": "DATE", "timestamp": "TIMESTAMP", "boolean": "BOOLEAN"}
GRAINS = ("day", "week", "month", "quarter", "year")
ROW_GRAINS = {"daily", "weekly", "monthly", "quarterly", "yearly", "annual"}


class _Cortex:
    def __init__(self, b: LineReporter) -> None:
        self.b = b
        self.columns: dict[str, dict[str, str]] = {}  # physical table -> column -> type
        self.table_source: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        self.physical: dict[str, str] = {}  # logical table -> physical table
        self.dimensions: dict[str, Dimension] = {}
        self.metrics: dict[str, Metric] = {}
        self.relationships: list[Relationship] = []
        self.examples: list[Example] = []
        self.names: dict[str, int] = {}  # how many logical tables use an object name

    def warn(self, node: Any, message: str, rule: str, key: str | None = None) -> None:
        self.b.issues.append(Issue("warning", message, self.b.where(node, key), rule))

    def keys_of(self, node: Any, accepted: set[str], what: str) -> bool:
        if not isinstance(node, dict):
            self.b.error(node, f"{what} must be a mapping.", "shape")
            return False
        for key in node:
            if key not in accepted:
                self.b.error(node, f"{what} has unknown key `{key}`. Accepted keys: "
                             f"{', '.join(sorted(accepted))}.{did_you_mean(str(key), accepted)}",
                             "unknown-key", key)
        return True

    def column_of(self, node: LineDict, table: str, what: str) -> str | None:
        """The physical column a dimension's `expr` names; None (warned) for an expression."""
        expr = str(node.get("expr", node.get("name", "")))
        try:
            parsed = sqlglot.parse_one(expr, read="snowflake")
        except SqlglotError:
            parsed = None
        if not isinstance(parsed, exp.Column):
            self.warn(node, f"{what} is the expression `{expr}`, not a column of `{table}`; "
                      "segq imports dimensions over one column only, so it is left out.",
                      "not-imported", "expr")
            return None
        return parsed.name

    def add_column(self, table: str, column: str, data_type: str = "") -> None:
        types = self.columns.setdefault(table, {})
        wanted = TYPES.get(data_type.lower().split("(")[0], "")
        if column not in types or (wanted and not types[column]):
            types[column] = wanted

    def name_for(self, logical: str, name: str) -> str:
        return name if self.names.get(name, 0) <= 1 else f"{logical}_{name}"

    # -- objects --------------------------------------------------------------------------
    def table(self, node: LineDict) -> None:
        logical = str(node.get("name", "?"))
        if not self.keys_of(node, TABLE, f"Logical table `{logical}`"):
            return
        base = node.get("base_table")
        if not isinstance(base, dict) or not base.get("table"):
            self.b.error(node, f"Logical table `{logical}` has no `base_table.table`. Add "
                         "`base_table: {database: ..., schema: ..., table: ...}`.",
                         "missing-key", "base_table")
            return
        physical = str(base["table"]).lower()
        self.physical[logical] = physical
        self.table_source.setdefault(physical, self.b.where(node))
        key = node.get("primary_key")
        key_columns = [str(c).lower() for c in (key.get("columns") or [])] \
            if isinstance(key, dict) else []
        for column in key_columns:
            self.add_column(physical, column)
        if len(key_columns) == 1:
            self.keys.setdefault(physical, key_columns[0])
        for section in ("dimensions", "time_dimensions"):
            for item in self.b.items(node, section, "dimension", f"table `{logical}`"):
                self.dimension(item, logical, physical, time=section == "time_dimensions")
        self.table_named_dimension(logical, physical, key_columns)
        for section in ("measures", "facts"):
            for item in self.b.items(node, section, "measure", f"table `{logical}`"):
                self.measure(item, logical, physical)
        for item in self.b.items(node, "metrics", "metric", f"table `{logical}`"):
            self.metric(item, logical, physical, str(item.get("expr", "")))
        for item in self.b.items(node, "filters", "filter", f"table `{logical}`"):
            self.warn(item, f"Filter `{item.get('name', '?')}` of `{logical}` "
                      f"(`{item.get('expr', '')}`) is not imported: segq has no named filters "
                      "over a foreign table yet, so questions using it are refused.",
                      "not-imported")

    def table_named_dimension(self, logical: str, physical: str, key: list[str]) -> None:
        """A logical table with one descriptive dimension (`region`: `sales_region`, beside
        its key) is what its name means in a question: "revenue by region"."""
        own = [d for d in self.dimensions.values() if d.table == physical and not d.is_time
               and d.column not in key]
        if len(own) == 1 and logical.replace("_", " ") not in own[0].synonyms:
            dim = own[0]
            self.dimensions[dim.name] = dataclasses.replace(
                dim, synonyms=(*dim.synonyms, logical.replace("_", " ")))

    def dimension(self, node: LineDict, logical: str, physical: str, *, time: bool) -> None:
        name = str(node.get("name", "?"))
        if not self.keys_of(node, COLUMN, f"Dimension `{logical}.{name}`"):
            return
        column = self.column_of(node, physical, f"Dimension `{logical}.{name}`")
        if column is None:
            return
        column = column.lower()
        self.add_column(physical, column, str(node.get("data_type", "")))
        if node.get("cortex_search_service_name") or node.get("cortex_search_service"):
            self.warn(node, f"Dimension `{logical}.{name}` uses a Cortex Search service, which "
                      "exists only in Snowflake; its values are matched from the data's "
                      "declared sample values instead.", "not-imported")
        if any(d.table == physical and d.column == column for d in self.dimensions.values()):
            return  # another logical table over the same table already exposes it
        values = tuple(DimensionValue(str(v), str(v), ()) for v in node.get("sample_values") or [])
        kind = "time" if time else "categorical"
        dim = Dimension(self.name_for(logical, name), name.replace("_", " "),
                        " ".join(str(node.get("description", "")).split()), physical, column,
                        kind, self.b.strings(node, "synonyms"), values,
                        GRAINS if time else (), self.b.where(node), content_hash(node))
        self.dimensions[dim.name] = dim

    def measure(self, node: LineDict, logical: str, physical: str) -> None:
        name = str(node.get("name", "?"))
        if not self.keys_of(node, COLUMN, f"Measure `{logical}.{name}`"):
            return
        expr = str(node.get("expr", name))
        aggregation = str(node.get("default_aggregation", "")).lower()
        if not aggregation:
            self.warn(node, f"Measure `{logical}.{name}` declares no `default_aggregation`; "
                      "segq sums it, as for an additive fact.", "default-aggregation")
            aggregation = "sum"
        if aggregation not in AGGREGATIONS:
            self.b.error(node, f"Measure `{logical}.{name}` has default_aggregation "
                         f"`{aggregation}`. Accepted: {', '.join(sorted(AGGREGATIONS))}."
                         f"{did_you_mean(aggregation, AGGREGATIONS)}", "bad-value",
                         "default_aggregation")
            return
        inner = f"DISTINCT {expr}" if aggregation == "count_distinct" else expr
        self.metric(node, logical, physical, f"{AGGREGATIONS[aggregation]}({inner})",
                    _label(name, aggregation))

    def metric(self, node: LineDict, logical: str, physical: str, expr: str,
               label: str = "") -> None:
        name = str(node.get("name", "?"))
        try:
            tree = sqlglot.parse_one(expr, read="snowflake")
        except SqlglotError as exc:
            self.b.error(node, f"The expression of `{logical}.{name}` is not valid SQL: "
                         f"{str(exc).splitlines()[0]}.", "sql-parse", "expr")
            return
        if not tree.find(exp.AggFunc):
            self.b.error(node, f"Metric `{logical}.{name}` (`{expr}`) has no aggregate; a metric "
                         "must aggregate, e.g. SUM(revenue).", "bad-value", "expr")
            return
        for column in tree.find_all(exp.Column):
            column.set("table", exp.to_identifier(physical))
            column.set("this", exp.to_identifier(column.name.lower()))
            self.add_column(physical, column.name, str(node.get("data_type", "")))
        metric = Metric(self.name_for(logical, name), label or name.replace("_", " "),
                        " ".join(str(node.get("description", "")).split()), "", 1, physical,
                        tree.sql("duckdb"), "", "", None, self.b.strings(node, "synonyms"),
                        self.b.where(node), content_hash(node))
        self.metrics[metric.name] = metric

    def relationship(self, node: LineDict) -> None:
        name = str(node.get("name", "?"))
        if not self.keys_of(node, RELATIONSHIP, f"Relationship `{name}`"):
            return
        left, right = str(node.get("left_table", "")), str(node.get("right_table", ""))
        for side, logical in (("left_table", left), ("right_table", right)):
            if logical not in self.physical:
                self.b.error(node, f"Relationship `{name}` names unknown logical table "
                             f"`{logical}` as `{side}`. Accepted: "
                             f"{', '.join(sorted(self.physical))}."
                             f"{did_you_mean(logical, self.physical)}", "unknown-reference", side)
                return
        kind = str(node.get("relationship_type", "many_to_one"))
        if kind not in RELATIONSHIP_TYPES:
            self.b.error(node, f"Relationship `{name}` has relationship_type `{kind}`. Accepted: "
                         f"{', '.join(RELATIONSHIP_TYPES)}.", "bad-value", "relationship_type")
            return
        pairs = []
        for item in self.b.items(node, "relationship_columns", "column pair",
                                 f"relationship `{name}`"):
            if self.keys_of(item, {"left_column", "right_column"}, f"A column pair of `{name}`"):
                a, b = str(item.get("left_column", "")).lower(), \
                    str(item.get("right_column", "")).lower()
                self.add_column(self.physical[left], a)
                self.add_column(self.physical[right], b)
                pairs.append((a, b))
        if pairs:
            self.relationships.append(Relationship(name, self.physical[left],
                                                   self.physical[right], tuple(pairs), kind,
                                                   self.b.where(node)))

    def verified(self, node: LineDict) -> None:
        if self.keys_of(node, VERIFIED, f"Verified query `{node.get('name', '?')}`") and \
                node.get("question"):
            self.examples.append(Example(str(node["question"]), {}, self.b.where(node)))

    def count_names(self, tables: list[LineDict]) -> None:
        """How many physical tables use each object name (two logical tables over one table
        expose the same column, not two)."""
        users: dict[str, set[str]] = {}
        for node in tables:
            base = node.get("base_table")
            physical = str(base.get("table", "")).lower() if isinstance(base, dict) else ""
            for section in ("dimensions", "time_dimensions", "measures", "facts", "metrics"):
                for item in node.get(section) or []:
                    if isinstance(item, dict):
                        users.setdefault(str(item.get("name")), set()).add(physical)
        self.names = {name: len(tables_) for name, tables_ in users.items()}

    def catalog(self, display: str) -> Catalog:
        for metric in list(self.metrics.values()):  # a table's one time dimension times it
            times = [d for d in self.dimensions.values() if d.is_time and d.table == metric.table]
            if len(times) == 1:
                self.metrics[metric.name] = _with_time(metric, times[0].column)
        tables = {name: Table(name, "", self.keys.get(name, ""),
                              tuple(Column(c, t or "VARCHAR") for c, t in columns.items()),
                              self.table_source[name])
                  for name, columns in self.columns.items()}
        return Catalog(tables, self.dimensions, self.metrics, {}, (display,), display,
                       relationships=tuple(self.relationships),
                       examples=tuple(self.examples))


def _label(name: str, aggregation: str) -> str:
    """A summed measure named for its table's row grain (`daily_revenue` on a table of days):
    summed over any period it is that period's revenue, so its label drops the grain word (the
    name stays a phrase too). An averaged one keeps it: the average *daily* error is not the
    error of a month."""
    words = name.split("_")
    if aggregation == "sum" and len(words) > 1 and words[0].lower() in ROW_GRAINS:
        return " ".join(words[1:])
    return name.replace("_", " ")


def _with_time(metric: Metric, column: str) -> Metric:
    return dataclasses.replace(metric, time_column=column)


def load_cortex(files: list[Path], root: Path) -> tuple[Catalog, list[Issue]]:
    """Load Cortex Analyst semantic model files; the catalog and every issue at file:line."""
    parts, issues = [], []
    for path in files:
        b = LineReporter()
        b.file = f"{root.name}/{path.relative_to(root)}" if path.is_relative_to(root) \
            else path.name
        data, found = load_yaml(path, display=b.file, top_keys=TOP)
        issues += found
        if data is None:
            continue
        cortex = _Cortex(b)
        cortex.keys_of(data, TOP, f"Cortex semantic model `{data.get('name', path.name)}`")
        tables = b.items(data, "tables", "logical table", f"model file `{path.name}`")
        cortex.count_names(tables)
        for node in tables:
            cortex.table(node)
        for node in b.items(data, "relationships", "relationship", f"model file `{path.name}`"):
            cortex.relationship(node)
        for node in b.items(data, "verified_queries", "verified query",
                            f"model file `{path.name}`"):
            cortex.verified(node)
        parts.append(cortex.catalog(b.file))
        issues += b.issues
    return _merged(parts), issues


def _merged(parts: list[Catalog]) -> Catalog:
    """Several Cortex files side by side: one catalog (a name defined twice is reported by
    the importers' merge when mixed with other formats; here the first file wins)."""
    if len(parts) == 1:
        return parts[0]
    first = Catalog({}, {}, {}, {})
    for part in parts:
        first = Catalog({**part.tables, **first.tables}, {**part.dimensions, **first.dimensions},
                        {**part.metrics, **first.metrics}, {}, first.files + part.files,
                        first.directory or part.directory,
                        relationships=first.relationships + part.relationships,
                        examples=first.examples + part.examples)
    return first
