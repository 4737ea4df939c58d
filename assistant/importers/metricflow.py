"""dbt metrics compiled by MetricFlow itself, so segq returns exactly what dbt returns.

The `dbt` extra (`pip install -e ".[dbt]"`) brings `metricflow` (it runs without dbt). The
engine is built once per loaded catalog from the normalised documents the dbt loader keeps
(`Catalog.foreign["metricflow"]`), with a SQL client that only renders: MetricFlow writes the
SQL (`explain`), segq parses it into a sqlglot tree and then validates and executes it like
any other statement, on its own read-only warehouse.

A plan reaches MetricFlow as names only: the metric, group-by names (`entity__dimension`,
`metric_time__month`), a time constraint and filters in MetricFlow's filter syntax whose values
are SQL string literals made by sqlglot; a value that could be read as a template is refused.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime, time
from typing import Any

import sqlglot
from sqlglot import exp

from assistant.answer import DefinitionUsed
from assistant.catalog.models import Catalog, Metric
from assistant.errors import CompileError
from assistant.importers.dbt import ForeignManifest
from assistant.plan import QueryPlan

_ENGINES: dict[int, tuple[Catalog, Any]] = {}
_LOCK = threading.Lock()
INSTALL_HINT = ('dbt metrics are compiled by MetricFlow: install it with `pip install -e '
                '".[dbt]"` (metricflow runs without dbt).')


class _RenderOnlyClient:
    """MetricFlow's SqlClient protocol for `explain`: DuckDB's renderer, no execution (segq
    validates and runs the SQL itself)."""

    def __init__(self) -> None:
        from metricflow.protocols.sql_client import SqlEngine
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

        self.sql_engine_type = SqlEngine.DUCKDB
        self.sql_plan_renderer = DuckDbSqlPlanRenderer()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise CompileError("MetricFlow only writes SQL here; segq's executor runs it.")

    query = execute = dry_run = _refuse

    def close(self) -> None:
        return None

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


def semantic_manifest(docs: ForeignManifest) -> Any:
    """MetricFlow's validated, transformed manifest from the loader's documents."""
    from metricflow_semantic_interfaces.implementations.metric import PydanticMetric
    from metricflow_semantic_interfaces.implementations.project_configuration import (
        PydanticProjectConfiguration,
    )
    from metricflow_semantic_interfaces.implementations.saved_query import PydanticSavedQuery
    from metricflow_semantic_interfaces.implementations.semantic_manifest import (
        PydanticSemanticManifest,
    )
    from metricflow_semantic_interfaces.implementations.semantic_model import (
        PydanticSemanticModel,
    )
    from metricflow_semantic_interfaces.transformations.semantic_manifest_transformer import (
        PydanticSemanticManifestTransformer,
    )

    manifest = PydanticSemanticManifest(
        semantic_models=[PydanticSemanticModel.parse_obj(m) for m in docs.semantic_models],
        metrics=[PydanticMetric.parse_obj(m) for m in docs.metrics],
        project_configuration=PydanticProjectConfiguration.parse_obj(
            docs.project_configuration or {}),
        saved_queries=[PydanticSavedQuery.parse_obj(q) for q in docs.saved_queries],
    )
    return PydanticSemanticManifestTransformer.transform(manifest)


def engine_for(catalog: Catalog) -> Any:
    """The MetricFlow engine of this catalog snapshot, built on first use."""
    with _LOCK:
        cached = _ENGINES.get(id(catalog))
        if cached is not None and cached[0] is catalog:
            return cached[1]
        docs = catalog.foreign.get("metricflow")
        if not isinstance(docs, ForeignManifest):
            raise CompileError("These semantic models have no MetricFlow metrics.")
        try:
            from metricflow.engine.metricflow_engine import MetricFlowEngine
            from metricflow_semantics.model.semantic_manifest_lookup import (
                SemanticManifestLookup,
            )
        except ImportError:
            raise CompileError(INSTALL_HINT) from None
        try:
            engine = MetricFlowEngine(SemanticManifestLookup(semantic_manifest(docs)),
                                      _RenderOnlyClient())
        except Exception as exc:  # the models do not make a MetricFlow manifest
            raise CompileError(f"MetricFlow cannot read these semantic models: {_reason(exc)}",
                               reason="metricflow") from exc
        _ENGINES.clear()  # one catalog snapshot at a time: a reload replaces it
        _ENGINES[id(catalog)] = (catalog, engine)
        return engine


def _literal(value: str) -> str:
    if "{" in value or "}" in value:
        raise CompileError("A filter value may not contain `{` or `}`.")
    return exp.Literal.string(value).sql("duckdb")


def request_parts(plan: QueryPlan, catalog: Catalog, metric: Metric) -> dict[str, Any]:
    """The MetricFlow query request of `plan`, as names and literals."""
    group_by = []
    for ref in plan.group_by:
        dim = catalog.dimensions.get(ref.name)
        if dim is not None and not dim.is_time:
            group_by.append(ref.name)
            continue
        base = ref.name if dim is not None else "metric_time"
        group_by.append(f"{base}__{ref.grain.value if ref.grain else 'month'}")
    where = []
    for flt in plan.filters:
        if flt.dimension not in catalog.dimensions:
            raise CompileError(f"`{flt.dimension}` is not a dimension of these models.")
        values = ", ".join(_literal(v) for v in flt.values)
        negate = "NOT " if flt.exclude else ""
        where.append(f"{{{{ Dimension('{flt.dimension}') }}}} {negate}IN ({values})")
    parts: dict[str, Any] = {"metric_names": [metric.name], "group_by_names": group_by,
                             "where_constraints": where or None}
    if plan.time_range is not None:
        parts["time_constraint_start"] = datetime.combine(plan.time_range.start, time.min)
        parts["time_constraint_end"] = datetime.combine(plan.time_range.end, time.min)
    if plan.order:
        parts["order_by_names"] = [("-" if plan.order == "desc" else "") + metric.name]
    return parts


def compile_metricflow(plan: QueryPlan, catalog: Catalog, metric: Metric, *,
                       limit: int) -> exp.Select:
    """MetricFlow's SQL for `plan` as a sqlglot tree over the warehouse's own tables."""
    return compile_request(catalog, limit=limit, **request_parts(plan, catalog, metric))


def compile_request(catalog: Catalog, *, limit: int | None, **parts: Any) -> exp.Select:
    """Any MetricFlow query request (metrics, group-by names, where, time constraint, order,
    saved query...) over this catalog's dbt models, as a sqlglot SELECT."""
    from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

    engine = engine_for(catalog)
    try:
        result = engine.explain(MetricFlowQueryRequest.create(limit=limit, **parts))
    except CompileError:
        raise
    except Exception as exc:  # MetricFlow's own words: an unknown group-by, too many hops
        raise CompileError(f"MetricFlow cannot compile this question: {_reason(exc)}",
                           reason="metricflow") from exc
    statement = sqlglot.parse_one(result.sql_statement.sql, read="duckdb")
    if not isinstance(statement, exp.Select):
        raise CompileError("MetricFlow wrote a statement that is not one SELECT.")
    for table in statement.find_all(exp.Table):  # the default schema, named: drop it
        if table.args.get("db") is not None and table.db == "main":
            table.set("db", None)
    _number_in_order(statement)
    if limit is not None and statement.args.get("limit") is None:
        statement = statement.limit(limit)
    return statement


_NUMBERED = re.compile(r"([a-z]+)_\d+")  # MetricFlow's own names: subq_10, cte_3


def _number_in_order(statement: exp.Select) -> None:
    """MetricFlow's subqueries and CTEs renamed `subq_1`, `subq_2`... in order of appearance.

    MetricFlow numbers them from a counter whose position depends on what its engine has
    already cached, so one request is written `subq_10` the first time and `subq_7` after: the
    validator, which compiles the plan again and accepts exactly the joins it wrote itself,
    would refuse a two-hop join (`LEFT JOIN (customers JOIN countries) AS subq_10`) for its
    name alone. Numbered here, the same request is always the same SQL."""
    renamed: dict[str, str] = {}
    for node in statement.find_all(exp.Subquery, exp.CTE):
        match = _NUMBERED.fullmatch(node.alias)
        if match and node.alias not in renamed:
            count = sum(1 for new in renamed.values() if new.startswith(f"{match[1]}_"))
            renamed[node.alias] = f"{match[1]}_{count + 1}"
    for node in statement.find_all(exp.Subquery, exp.CTE):
        if node.alias in renamed:
            node.args["alias"].set("this", exp.to_identifier(renamed[node.alias]))
    for column in statement.find_all(exp.Column):
        if column.table in renamed:
            column.set("table", exp.to_identifier(renamed[column.table]))
    for table in statement.find_all(exp.Table):  # a CTE read by name
        if not table.db and table.name in renamed:
            table.set("this", exp.to_identifier(renamed[table.name]))


def _reason(exc: Exception) -> str:
    """MetricFlow's explanation in a sentence: its issue lines, not its tables of context."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    issues = [line.removeprefix("Message:").strip() for line in lines if "Message:" in line]
    if not issues:
        issues = [line for line in lines if "error" not in line.lower()][:1] or lines[:1]
    text = " ".join(dict.fromkeys(issues))[:400]
    return text or type(exc).__name__


def definition_used(metric: Metric) -> DefinitionUsed:
    return DefinitionUsed(metric.name, "metric", metric.version, metric.hash, metric.source,
                          metric.owner, metric.label)

