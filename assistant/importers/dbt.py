"""dbt MetricFlow semantic models and metrics -> catalog objects, with `file:line` each.

Reads both spellings MetricFlow knows: a dbt project's YAML (`semantic_models:` and `metrics:`
lists, `model: ref('x')`, measures with `create_metric: true`) and MetricFlow's own manifest
documents (`semantic_model:`, `metric:`, `project_configuration:` separated by `---`). Every
file is read with the line-aware loader, so an error points at its line.

What the planner plans over comes from the model's own vocabulary: a metric's name, label and
description; a dimension's name and label (its catalog name is MetricFlow's group-by name
`entity__dimension`, which is also what the compiler hands to MetricFlow). The normalised
documents travel with the catalog (`Catalog.foreign["metricflow"]`), so a question over a dbt
metric is compiled by MetricFlow itself (`assistant/importers/metricflow.py`) and returns
exactly what dbt returns.

`ref('x')` resolves to table `x` of the warehouse's default schema: a dbt model's relation is
named after the model, and an example's loader (`datasets.py`) creates one table per model
(for ACME, per `model_to_table.csv`); a ref to a model the project does not have is an error.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from assistant.catalog.documents import content_hash
from assistant.catalog.models import Catalog, Column, Dimension, DimensionValue, Metric, Table
from assistant.catalog.yaml_loader import LineDict, load_yaml, load_yaml_documents
from assistant.errors import Issue
from assistant.importers.detect import METRICFLOW, classify

SCHEMA = "main"  # the warehouse schema every example's tables are loaded into
_REF = re.compile(r"""^\s*ref\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?\)\s*$""")
_PLACEHOLDER = re.compile(r"\$(source_schema|system_schema)")
GRAINS = ("day", "week", "month", "quarter", "year")

SEMANTIC_MODEL_KEYS = {"name", "description", "model", "node_relation", "defaults", "entities",
                       "measures", "dimensions", "primary_entity", "label", "config", "meta"}
METRIC_KEYS = {"name", "description", "type", "type_params", "filter", "label", "config",
               "meta", "time_granularity"}


@dataclass
class ForeignManifest:
    """MetricFlow's input, normalised: plain dicts MetricFlow's own parser accepts."""

    semantic_models: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    project_configuration: dict[str, Any] | None = None
    saved_queries: list[dict[str, Any]] = field(default_factory=list)


class _Reader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.issues: list[Issue] = []
        self.manifest = ForeignManifest()
        self.sources: dict[tuple[str, str], str] = {}  # (kind, name) -> file:line
        self.models = _known_models(root)

    def where(self, file: str, node: Any, key: str | None = None) -> str:
        line = node.line_of(key) if isinstance(node, LineDict) and key else getattr(
            node, "line", 0)
        return f"{file}:{line}" if line else file

    def error(self, where: str, message: str, rule: str, level: str = "error") -> None:
        self.issues.append(Issue(level, message, where, rule))

    def read(self, path: Path) -> None:
        from assistant.importers import display_path

        shown = display_path(path, self.root)
        if classify(path) == METRICFLOW:
            docs, issues = load_yaml_documents(path, shown)
            self.issues += issues
            for doc in docs:
                self.document(shown, doc)
            return
        data, issues = load_yaml(path, shown)
        self.issues += issues
        if data is None:
            return
        for item in _items(data.get("semantic_models")):
            self.semantic_model(shown, item, dbt=True)
        for item in _items(data.get("metrics")):
            self.metric(shown, item)
        for item in _items(data.get("saved_queries")):
            self.manifest.saved_queries.append(_plain(item))

    def document(self, shown: str, doc: LineDict) -> None:
        for kind, value in doc.items():
            if kind == "semantic_model" and isinstance(value, LineDict):
                self.semantic_model(shown, value, dbt=False)
            elif kind == "metric" and isinstance(value, LineDict):
                self.metric(shown, value)
            elif kind == "project_configuration" and isinstance(value, dict):
                self.manifest.project_configuration = _schema(_plain(value))
            elif kind == "saved_query" and isinstance(value, dict):
                self.manifest.saved_queries.append(_schema(_plain(value)))

    def semantic_model(self, shown: str, node: LineDict, *, dbt: bool) -> None:
        name = str(node.get("name", "?"))
        self._keys(shown, node, SEMANTIC_MODEL_KEYS, f"Semantic model `{name}`")
        model = _schema(_plain(node))
        if dbt or "model" in model:
            relation = self._relation(shown, node, name)
            if relation is None:
                return
            model.pop("model", None)
            model["node_relation"] = relation
        self.sources[("semantic_model", name)] = self.where(shown, node)
        for kind in ("dimensions", "measures", "entities"):
            for item in _items(node.get(kind)):
                self.sources[(kind, f"{name}.{item.get('name')}")] = self.where(shown, item)
        measures = _items(node.get("measures"))
        for measure in measures:
            if measure.get("create_metric"):  # dbt makes a simple metric of the measure
                self.manifest.metrics.append({
                    "name": measure["name"], "type": "simple",
                    "type_params": {"measure": measure["name"]},
                    **{k: measure[k] for k in ("label", "description") if k in measure}})
                self.sources[("metric", str(measure["name"]))] = self.where(shown, measure)
        for item in model.get("measures", []):
            item.pop("create_metric", None)
        self.manifest.semantic_models.append(model)

    def _relation(self, shown: str, node: LineDict, name: str) -> dict[str, str] | None:
        match = _REF.match(str(node.get("model", "")))
        if match is None:
            self.error(self.where(shown, node, "model"),
                       f"Semantic model `{name}` has model `{node.get('model')}`; expected "
                       "`ref('<dbt model>')`.", "dbt-ref")
            return None
        table = match.group(2) or match.group(1)
        if self.models is not None and table not in self.models:
            from assistant.messages import did_you_mean

            self.error(self.where(shown, node, "model"),
                       f"Semantic model `{name}` refers to dbt model `{table}`, which the "
                       f"project does not define.{did_you_mean(table, sorted(self.models))}",
                       "dbt-ref")
            return None
        return {"alias": table, "schema_name": SCHEMA, "relation_name": f"{SCHEMA}.{table}"}

    def metric(self, shown: str, node: LineDict) -> None:
        name = str(node.get("name", "?"))
        self._keys(shown, node, METRIC_KEYS, f"Metric `{name}`")
        self.sources[("metric", name)] = self.where(shown, node)
        self.manifest.metrics.append(_metric_doc(_plain(node)))

    def _keys(self, shown: str, node: LineDict, accepted: set[str], what: str) -> None:
        from assistant.messages import did_you_mean

        for key in node:
            if key not in accepted:
                self.error(self.where(shown, node, str(key)),
                           f"{what} has unknown key `{key}`. Accepted keys: "
                           f"{', '.join(sorted(accepted))}.{did_you_mean(str(key), accepted)}",
                           "unknown-key")


_INPUTS = ("measure", "numerator", "denominator", "base_measure", "conversion_measure")


def _metric_doc(metric: dict[str, Any]) -> dict[str, Any]:
    """Inputs written as bare names (`numerator: revenue`) in the object form MetricFlow's
    models take (`{name: revenue}`), as its YAML parser does."""
    params = metric.get("type_params")
    if not isinstance(params, dict):
        return metric
    for holder in (params, params.get("conversion_type_params")):
        if isinstance(holder, dict):
            for key in _INPUTS:
                if isinstance(holder.get(key), str):
                    holder[key] = {"name": holder[key]}
    if isinstance(params.get("metrics"), list):
        params["metrics"] = [{"name": m} if isinstance(m, str) else m for m in params["metrics"]]
    return metric


def _items(value: Any) -> list[LineDict]:
    return [v for v in value if isinstance(v, LineDict)] if isinstance(value, list) else []


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _schema(value: Any) -> Any:
    """MetricFlow's `$source_schema` placeholders name the warehouse's default schema."""
    if isinstance(value, dict):
        return {k: _schema(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_schema(v) for v in value]
    return _PLACEHOLDER.sub(SCHEMA, value) if isinstance(value, str) else value


def _known_models(root: Path) -> set[str] | None:
    """The dbt models a ref may name: a mapping file's `dbt_model` column, else the project's
    `*.sql` model files; None when neither exists (any ref is taken as a table name)."""
    mapping = root / "model_to_table.csv"
    if mapping.is_file():
        with mapping.open(newline="", encoding="utf-8") as handle:
            return {row["dbt_model"] for row in csv.DictReader(handle)}
    sql = {p.stem for p in root.rglob("*.sql") if "target" not in p.parts}
    return sql or None


# -- catalog objects ----------------------------------------------------------------------
def _columns(expr: str) -> set[str]:
    try:
        tree = sqlglot.parse_one(expr, read="duckdb")
    except sqlglot.errors.ParseError:
        return set()
    return {c.name for c in tree.find_all(exp.Column)}


def _primary_entity(model: dict[str, Any]) -> str:
    for entity in model.get("entities") or []:
        if entity.get("type") == "primary":
            return str(entity["name"])
    return str(model.get("primary_entity") or "")


def _unit_free(label: str) -> tuple[str, ...]:
    """The label without a parenthesised unit ("Revenue (USD)" -> "Revenue"): how people say
    it. Derived from the model's own label, never added by hand."""
    bare = re.sub(r"\s*\([^)]*\)\s*$", "", label).strip()
    return (bare,) if bare and bare != label else ()


def _label(node: dict[str, Any]) -> str:
    return str(node.get("label") or str(node["name"]).replace("_", " "))


def _table(model: dict[str, Any], source: str) -> Table:
    names: set[str] = set()
    for kind in ("dimensions", "measures", "entities"):
        for item in model.get(kind) or []:
            expr = str(item.get("expr") or item["name"])
            names |= _columns(expr) if item.get("expr") else {str(item["name"])}
    relation = model["node_relation"]
    return Table(relation["alias"], str(model.get("description") or ""), _primary_key(model),
                 tuple(Column(n.lower(), "") for n in sorted(names)), source)


def _primary_key(model: dict[str, Any]) -> str:
    """The column of the primary entity, when it is one plain column."""
    for entity in model.get("entities") or []:
        if entity.get("type") == "primary":
            expr = str(entity.get("expr") or entity["name"])
            return expr.lower() if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", expr) else ""
    return ""


def _dimensions(model: dict[str, Any], sources: dict[tuple[str, str], str]) -> list[Dimension]:
    entity, table = _primary_entity(model), model["node_relation"]["alias"]
    out = []
    for dim in model.get("dimensions") or []:
        is_time = dim.get("type") == "time"
        grain = str((dim.get("type_params") or {}).get("time_granularity") or "day")
        grains = GRAINS[GRAINS.index(grain):] if grain in GRAINS else GRAINS  # sub-day: all
        name = f"{entity}__{dim['name']}" if entity else str(dim["name"])
        source = sources.get(("dimensions", f"{model['name']}.{dim['name']}"), "")
        expr = str(dim.get("expr") or dim["name"])
        column = expr.lower() if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", expr) else ""
        values = () if is_time or column else _case_values(expr)
        out.append(Dimension(name, _label(dim), str(dim.get("description") or ""), table,
                             column,
                             "time" if is_time else "categorical", (), values, grains, source,
                             content_hash(dim)))
    return out


def _case_values(expr: str) -> tuple[DimensionValue, ...]:
    """The values of a dimension defined by a CASE whose every outcome is a text literal
    (`CASE WHEN transaction_type_name = 'quick-buy' THEN 'Quick Buy' ELSE 'Not Quick Buy'
    END`): exactly those outcomes, so a question can name one. Anything else lists none."""
    try:
        tree = sqlglot.parse_one(expr)
    except sqlglot.errors.ParseError:
        return ()
    if not isinstance(tree, exp.Case) or tree.args.get("default") is None:
        return ()
    outcomes = [branch.args.get("true") for branch in tree.args.get("ifs") or []]
    outcomes.append(tree.args["default"])
    if not all(isinstance(o, exp.Literal) and o.is_string for o in outcomes):
        return ()
    names = dict.fromkeys(str(o.this) for o in outcomes)  # in the order the rule lists them
    return tuple(DimensionValue(v, v, ()) for v in names)


def _entity_dimension(model: dict[str, Any],
                      sources: dict[tuple[str, str], str]) -> list[Dimension]:
    """The model's primary entity as a dimension of the entity's own name: MetricFlow groups a
    metric by an entity ("transactions by customer" is `group_by customer`, one row per key)."""
    for entity in model.get("entities") or []:
        expr = str(entity.get("expr") or entity["name"])
        if entity.get("type") != "primary" or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", expr):
            continue
        name = str(entity["name"])
        return [Dimension(name, name.replace("_", " "), str(entity.get("description") or ""),
                          model["node_relation"]["alias"], expr.lower(), "categorical", (), (),
                          (), sources.get(("entities", f"{model['name']}.{name}"), ""),
                          content_hash(entity), role="entity")]
    return []


def _measure_owner(manifest: ForeignManifest) -> dict[str, dict[str, Any]]:
    return {str(m["name"]): sm for sm in manifest.semantic_models for m in sm.get("measures") or []}


def _metric_measures(metric: dict[str, Any], metrics: dict[str, dict[str, Any]]) -> list[str]:
    """The measures a metric is computed from, through derived and ratio inputs."""
    params = metric.get("type_params") or {}
    found: list[str] = []
    for key in ("measure", "numerator", "denominator", "base_measure", "conversion_measure"):
        value = params.get(key) or (params.get("conversion_type_params") or {}).get(key)
        if isinstance(value, dict):
            value = value.get("name")
        if isinstance(value, str):
            found.append(value if key not in ("numerator", "denominator") or value not in metrics
                         else "")
            if key in ("numerator", "denominator") and value in metrics:
                found += _metric_measures(metrics[value], metrics)
    for item in params.get("metrics") or []:
        name = item.get("name") if isinstance(item, dict) else item
        if name in metrics:
            found += _metric_measures(metrics[name], metrics)
    return [f for f in found if f]


def _metric(metric: dict[str, Any], manifest: ForeignManifest, source: str,
            metrics: dict[str, dict[str, Any]]) -> Metric:
    owners = _measure_owner(manifest)
    measures = _metric_measures(metric, metrics)
    model = owners.get(measures[0]) if measures else None
    table = model["node_relation"]["alias"] if model else ""
    time_column = str(((model or {}).get("defaults") or {}).get("agg_time_dimension") or "")
    return Metric(str(metric["name"]), _label(metric), _description(metric, measures, model),
                  "", 1, table, "", "", time_column, None, _unit_free(_label(metric)), source,
                  content_hash(metric),
                  kind="metric", engine="metricflow",
                  aggregate=_aggregate(metric, measures, model))


def _aggregate(metric: dict[str, Any], measures: list[str],
               model: dict[str, Any] | None) -> str:
    """What a simple metric's one measure does: "count" (COUNT, COUNT_DISTINCT, a sum of ones
    or of a flag), "sum" of a column, or "" for anything else."""
    if str(metric.get("type", "")).lower() != "simple" or len(measures) != 1 or model is None:
        return ""
    measure: dict[str, Any] = next(
        (m for m in model.get("measures") or [] if m.get("name") == measures[0]), {})
    agg, expr = str(measure.get("agg") or "").lower(), str(measure.get("expr") or "").strip()
    if agg in ("count", "count_distinct", "sum_boolean") or agg == "sum" and expr == "1":
        return "count"
    return "sum" if agg == "sum" else ""


def _description(metric: dict[str, Any], measures: list[str],
                 model: dict[str, Any] | None) -> str:
    """The metric's own description; a simple metric without one is described by its measure's
    ("The total USD value of the transactions that were cancelled"), which is what it sums."""
    if metric.get("description") or str(metric.get("type", "")).lower() != "simple" \
            or len(measures) != 1 or model is None:
        return str(metric.get("description") or "")
    measure: dict[str, Any] = next(
        (m for m in model.get("measures") or [] if m.get("name") == measures[0]), {})
    return str(measure.get("description") or "").strip()


def load_dbt(files: list[Path], root: Path) -> tuple[Catalog, list[Issue]]:
    """The semantic models and metrics of `files` as one catalog part."""
    reader = _Reader(root)
    for path in files:
        reader.read(path)
    manifest = reader.manifest
    if manifest.project_configuration is None:
        manifest.project_configuration = _default_project_configuration(manifest)
    tables: dict[str, Table] = {}
    dimensions: dict[str, Dimension] = {}
    for model in manifest.semantic_models:
        source = reader.sources.get(("semantic_model", str(model["name"])), "")
        table = _table(model, source)
        if table.name in tables:  # two semantic models over one table: one column list
            known = {c.name for c in tables[table.name].columns}
            extra = tuple(c for c in table.columns if c.name not in known)
            table = Table(table.name, tables[table.name].description, "",
                          tables[table.name].columns + extra, tables[table.name].source)
        tables[table.name] = table
        for dim in _dimensions(model, reader.sources) + _entity_dimension(model, reader.sources):
            dimensions.setdefault(dim.name, dim)
    for spine in _time_spines(manifest.project_configuration):
        tables.setdefault(spine.name, spine)
    by_name = {str(m.get("name")): m for m in manifest.metrics}
    metrics = {name: _metric(m, manifest, reader.sources.get(("metric", name), ""), by_name)
               for name, m in by_name.items()}
    catalog = Catalog(tables, dimensions, metrics, {}, foreign={"metricflow": manifest})
    return catalog, reader.issues


def _time_spines(config: dict[str, Any]) -> list[Table]:
    """The time spine tables MetricFlow may read, as governed tables."""
    spines = []
    for legacy in config.get("time_spine_table_configurations") or []:
        table = str(legacy["location"]).split(".")[-1]
        spines.append(Table(table, "time spine", "", (Column(str(legacy["column_name"]), ""),),
                            ""))
    for spine in config.get("time_spines") or []:
        columns = [spine["primary_column"]["name"],
                   *[c.get("column_name") or c["name"]
                     for c in spine.get("custom_granularities") or []]]
        spines.append(Table(str(spine["node_relation"]["alias"]), "time spine", "",
                            tuple(Column(str(c), "") for c in columns), ""))
    return spines


def _default_project_configuration(manifest: ForeignManifest) -> dict[str, Any]:
    """dbt's legacy default time spine: the model `metricflow_time_spine(date_day)`."""
    return {"time_spine_table_configurations": [
        {"location": f"{SCHEMA}.metricflow_time_spine", "column_name": "date_day",
         "grain": "day"}]}
