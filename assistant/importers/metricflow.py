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

from assistant import messages
from assistant.answer import DefinitionUsed
from assistant.catalog.models import Catalog, Metric
from assistant.compiler.sql import date_literal
from assistant.errors import Candidate, ClarificationNeeded, CompileError, Refusal
from assistant.importers.dbt import ForeignManifest
from assistant.plan import DimensionRef, QueryPlan

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
    group_by = [_group_by_name(ref, catalog, metric) for ref in plan.group_by]
    where = []
    for flt in plan.filters:
        if flt.dimension not in catalog.dimensions:
            raise CompileError(f"`{flt.dimension}` is not a dimension of these models.")
        values = ", ".join(_literal(v) for v in flt.values)
        negate = "NOT " if flt.exclude else ""
        where.append(f"{{{{ Dimension('{flt.dimension}') }}}} {negate}IN ({values})")
    event = _event_date(plan.time_range.column, catalog, metric) if plan.time_range else None
    if plan.time_range is not None and event is not None:  # "claims closed in 2019"
        dated = f"{{{{ TimeDimension('{event}', 'day') }}}}"
        where += [f"{dated} >= {_literal(plan.time_range.start.isoformat())}",
                  f"{dated} <= {_literal(plan.time_range.end.isoformat())}"]
    parts: dict[str, Any] = {"metric_names": [metric.name],
                             "group_by_names": one_reading_each(group_by, catalog, metric),
                             "where_constraints": where or None}
    if plan.time_range is not None and event is None:
        parts["time_constraint_start"] = datetime.combine(plan.time_range.start, time.min)
        parts["time_constraint_end"] = datetime.combine(plan.time_range.end, time.min)
    if plan.order:
        parts["order_by_names"] = [("-" if plan.order == "desc" else "") + metric.name]
    return parts


def _event_date(column: str | None, catalog: Catalog, metric: Metric) -> str | None:
    """MetricFlow's name of a date of the metric's own semantic model other than the one it
    aggregates by (a plan names it bare, `claim_close_date`), or None for the metric's own."""
    dim = catalog.other_dates(metric).get(column) if column else None
    return dim.name if dim is not None else None


def _group_by_name(ref: DimensionRef, catalog: Catalog, metric: Metric | None = None) -> str:
    dim = catalog.dimensions.get(ref.name)
    if dim is not None and not dim.is_time:
        return ref.name
    event = _event_date(ref.name, catalog, metric) if metric and ref.grain else None
    base = ref.name if dim is not None else event or "metric_time"
    return f"{base}__{ref.grain.value if ref.grain else 'month'}"


def _periods(plan: QueryPlan, catalog: Catalog, metric: Metric) -> set[str]:
    """The group-by names of `plan` that are time periods (every grain segq plans is a day or
    coarser)."""
    return {_group_by_name(ref, catalog, metric) for ref in plan.group_by
            if ref.name not in catalog.dimensions or catalog.dimensions[ref.name].is_time}


def _as_dates(select: exp.Select, periods: set[str]) -> exp.Select:
    """A trend's periods as DATEs, as segq's own trends return them: MetricFlow truncates a
    time dimension to a TIMESTAMP (`metric_time__week` is 2022-03-07 00:00:00). Only the
    outer projection is cast, under its own name, so grouping and ordering are MetricFlow's."""
    projections = []
    for projection in select.expressions:
        name = projection.alias_or_name
        if name in periods:
            inner = projection.this if isinstance(projection, exp.Alias) else projection
            projection = exp.alias_(exp.cast(inner.copy(), exp.DataType.build("date")), name)
        projections.append(projection)
    select.set("expressions", projections)
    return select


def one_reading_each(names: list[str], catalog: Catalog, metric: Metric) -> list[str]:
    """Dimensions of one label are readings of one phrase ("policy number" is a column of
    `policy`, of a claim-to-policy bridge and of a policy-holder table): of those MetricFlow
    can group `metric` by, the one it reaches in the fewest joins (the metric's own table's,
    else the nearest). A tie is asked back; none reachable is refused in MetricFlow's words."""
    readings: dict[str, list[str]] = {}
    for name in names:
        dim = catalog.dimensions.get(name)
        readings.setdefault(dim.label.lower() if dim and not dim.is_time else name,
                            []).append(name)
    chosen = {tuple(group): group[0] if len(group) == 1 else _nearest(group, catalog, metric)
              for group in readings.values()}
    return [name for name in names if name in chosen.values()]


def _nearest(names: list[str], catalog: Catalog, metric: Metric) -> str:
    joins: dict[str, int] = {}
    reasons = []
    for name in names:
        try:
            select = compile_request(catalog, limit=None, metric_names=[metric.name],
                                     group_by_names=[name])
        except CompileError as exc:
            reasons.append(str(exc.details.get("why") or exc.message))
            continue
        joins[name] = len(list(select.find_all(exp.Join)))
    if not joins:
        raise Refusal(messages.metricflow_unreachable(
            metric.label, metric.source, [_shown(catalog, n) for n in names], reasons[0]),
            "metricflow: no join path")
    fewest = min(joins.values())
    best = [name for name in names if joins.get(name) == fewest]
    own = _own_entities(catalog, metric)  # of equally near, the one keyed by what is counted
    if len(best) > 1 and len(keyed := [n for n in best if n.split("__")[0] in own]) == 1:
        return keyed[0]
    if len(best) > 1:
        raise ClarificationNeeded(messages.metricflow_which_dimension(
            metric.label, catalog.dimensions[best[0]].label), [
            Candidate(n, "dimension", None, _shown(catalog, n),
                      catalog.dimensions[n].description, catalog.dimensions[n].source, n)
            for n in best])
    return best[0]


def _own_entities(catalog: Catalog, metric: Metric) -> set[str]:
    """The entity the metric's own table is keyed by, as its dimensions' names start with it
    (`claim_identifier__…` of a claim count): "policy number" of claims is the claim's policy
    number, through that entity, rather than a number keyed by another entity as near."""
    return {name.split("__")[0] for name, dim in catalog.dimensions.items()
            if dim.table == metric.table and "__" in name}


def _shown(catalog: Catalog, name: str) -> str:
    dim = catalog.dimensions.get(name)
    return f"`{name}` ({dim.source})" if dim is not None and dim.source else f"`{name}`"


def compile_metricflow(plan: QueryPlan, catalog: Catalog, metric: Metric, *,
                       limit: int) -> exp.Select:
    """MetricFlow's SQL for `plan` as a sqlglot tree over the warehouse's own tables.

    A question MetricFlow cannot plan (a dimension it finds no join path to, or several) is
    refused in MetricFlow's words: the models do not answer it, nothing is guessed."""
    parts = request_parts(plan, catalog, metric)
    try:
        select = compile_request(catalog, limit=limit, **parts)
        return _as_dates(select, _periods(plan, catalog, metric))
    except CompileError as exc:
        if not exc.details.get("query"):
            raise
        raise Refusal(messages.metricflow_cannot(metric.label, metric.source,
                                                 str(exc.details["why"])),
                      "metricflow: invalid query") from exc


def compile_compared(plan: QueryPlan, catalog: Catalog, metric: Metric, *,
                     limit: int) -> exp.Select:
    """Compared periods of a dbt metric ("this month against last month"): MetricFlow's SQL of
    each period, one row each (with its groups) labelled by the period's first day, as segq's
    own comparisons are. Each period's CTEs keep MetricFlow's logic under the period's name."""
    withs: list[exp.CTE] = []
    parts: list[exp.Select] = []
    for i, period in enumerate(plan.compared, start=1):
        one = plan.model_copy(update={"compared": (), "time_range": period})
        select = compile_metricflow(one, catalog, metric, limit=limit)
        select.set("limit", None)
        select.set("order", None)
        withs += _renamed_ctes(select, f"p{i}_")
        columns = [exp.column(c.alias_or_name, table=f"period_{i}") for c in select.selects]
        parts.append(exp.select(date_literal(period.start).as_("period_start"), *columns)
                     .from_(select.subquery(f"period_{i}")))
    union: exp.Query = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    outer = exp.select("*").from_(union.subquery("compared")).order_by("period_start")
    for cte in withs:
        outer = outer.with_(cte.alias_or_name, as_=cte.this)
    return outer.limit(limit)


def _renamed_ctes(select: exp.Select, prefix: str) -> list[exp.CTE]:
    """The WITH of `select`, taken off it, each CTE and every read of it renamed `prefix`+name."""
    with_ = select.args.get("with_")
    if with_ is None:
        return []
    names = {cte.alias_or_name for cte in with_.expressions}
    select.set("with_", None)
    ctes = list(with_.expressions)
    for node in [select, *(cte.this for cte in ctes)]:
        for table in node.find_all(exp.Table):
            if table.name in names and not table.args.get("db"):
                table.set("this", exp.to_identifier(prefix + table.name))
    for cte in ctes:
        cte.set("alias", exp.TableAlias(this=exp.to_identifier(prefix + cte.alias_or_name)))
    return ctes


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
        why = _reason(exc)
        raise CompileError(f"MetricFlow cannot compile this question: {why}",
                           reason="metricflow", why=why, query=_invalid_query(exc)) from exc
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


def _invalid_query(exc: Exception) -> bool:
    """Whether MetricFlow refused the request itself (names it cannot resolve or join), not
    failed on its way to SQL."""
    from metricflow_semantics.errors.error_classes import InvalidQueryException

    return isinstance(exc, InvalidQueryException)


_SECTION = re.compile(r"(Message|Suggestions|Query Input|Issue Location):|Error #\d+:"
                      r"|Common issues")


def _sections(text: str) -> list[dict[str, str]]:
    """MetricFlow's error text, one {section: text} per `Error #n` (a section's text may
    start on the line after its heading)."""
    errors: list[dict[str, str]] = [{}]
    section = ""
    for line in (line.strip() for line in text.splitlines()):
        heading = _SECTION.match(line)
        if heading and line.startswith("Error #"):
            errors.append({})
            section = ""
        elif heading:
            section = heading[1] or "Common issues"
            line = line[heading.end():].strip()
        if section and line:
            errors[-1][section] = f"{errors[-1].get(section, '')} {line}".strip()
    return [e for e in errors if e.get("Message")]


def _reason(exc: Exception) -> str:
    """MetricFlow's explanation in a sentence: each issue's message, the input it could not
    resolve and the first names it suggests instead; not its tables of context."""
    issues = []
    for error in _sections(str(exc)):
        text = re.sub(r"\s*\*\s+", " ", error["Message"])  # its list of common causes
        asked = error.get("Query Input", "")
        suggested = re.findall(r"'([^']+)'", error.get("Suggestions", ""))[:3]
        if asked:
            text += f" (asked: `{asked}`" + (
                f"; it suggests {', '.join(f'`{n}`' for n in suggested)})" if suggested else ")")
        issues.append(text)
    if not issues:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        issues = [line for line in lines if "error" not in line.lower()][:1] or lines[:1]
    text = " ".join(dict.fromkeys(i for i in issues if i))[:700]
    return text or type(exc).__name__


def definition_used(metric: Metric) -> DefinitionUsed:
    return DefinitionUsed(metric.name, "metric", metric.version, metric.hash, metric.source,
                          metric.owner, metric.label)

