"""Deep catalog checks for `segq validate`: compile every definition, qualify it against the
live warehouse schema and dry-run it on the warehouse's engine (in its dialect), so a
definition gone stale after a schema change fails CI with the file and line of the stage
that broke."""

from __future__ import annotations

import re
from datetime import date

from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.qualify import qualify

from assistant.catalog.models import Catalog, Segment
from assistant.compiler import compile_plan, segment_ctes
from assistant.compiler.portable import render
from assistant.errors import Issue, SegqError
from assistant.plan import DimensionRef, Intent, MetricRef, QueryPlan, SegmentRef
from assistant.warehouses import Adapter


def schema_matches(catalog: Catalog, live: dict[str, dict[str, str]]) -> list[Issue]:
    issues = []
    for table in catalog.tables.values():
        if table.name not in live:
            issues.append(Issue("error", f"Table `{table.name}` is declared but the warehouse has "
                                f"no such table. Tables there: {', '.join(sorted(live))}.",
                                table.source, "schema-drift"))
            continue
        names = {c.lower() for c in live[table.name]}  # DuckDB: identifiers ignore case
        for column in table.columns:
            if column.name.lower() not in names:
                issues.append(Issue("error", f"Column `{table.name}.{column.name}` is declared "
                                    "but missing from the warehouse. Update the model or the "
                                    "warehouse.", table.source, "schema-drift"))
    return issues


def _stage_source(segment: Segment, column: str) -> str:
    for stage in segment.stages:
        if re.search(rf"\b{re.escape(column)}\b", stage.sql):
            return f"{segment.file}:{stage.line}"
    return segment.source


def segment_sql_issues(catalog: Catalog, live: dict[str, dict[str, str]], as_of: date,
                       warehouse: Adapter | None) -> list[Issue]:
    issues = []
    for seg in catalog.segments.values():
        try:
            ctes = segment_ctes(catalog, seg, as_of)
        except (SqlglotError, SegqError, RecursionError) as exc:
            issues.append(Issue("error", f"Segment `{seg.name}` has SQL that does not parse: "
                                f"{_first_line(exc)}.", seg.source, "sql-parse"))
            continue
        query = exp.select("*").from_(seg.name)
        for name, body in ctes:
            query = query.with_(name, as_=body)
        try:
            qualify(query.copy(), schema=dict[str, object](live), dialect="duckdb")
        except OptimizeError as exc:
            column = re.search(r"Column '([^']+)'|column: (\w+)", str(exc))
            name = (column[1] or column[2]) if column else ""
            issues.append(Issue("error", f"Segment `{seg.name}` refers to a column the warehouse "
                                f"does not have: {exc}. Fix the stage SQL or the warehouse.",
                                _stage_source(seg, name) if name else seg.source,
                                "unknown-column"))
            continue
        if warehouse is not None:
            try:
                warehouse.explain(render(query.limit(1), warehouse.dialect, pretty=False))
            except SegqError as exc:
                issues.append(Issue("error", f"Segment `{seg.name}` fails a dry run on the "
                                    f"warehouse: {exc.message}", seg.source, "dry-run"))
    return issues


def plan_issues(catalog: Catalog, as_of: date, warehouse: Adapter | None) -> list[Issue]:
    """Every metric, dimension, segment member and verified example must compile and plan."""
    plans: list[tuple[QueryPlan, str]] = []
    for metric in catalog.metrics.values():
        plans.append((QueryPlan(intent=Intent.METRIC, metric=MetricRef(name=metric.name)),
                       metric.source))
    # A breakdown without a metric counts users; a catalog without them (a dbt project, whose
    # dimensions are only grouped by through a metric) has its columns checked by schema_matches
    for dim in catalog.dimensions.values() if "users" in catalog.metrics else ():
        ref = DimensionRef(name=dim.name, grain=dim.grains[0] if dim.grains else None)
        plans.append((QueryPlan(intent=Intent.BREAKDOWN, group_by=(ref,)), dim.source))
    for seg in catalog.segments.values():
        if seg.is_cluster and not seg.members:
            continue  # not fitted: the cluster_artifact_is_whole rule says so
        if seg.entity == "cohort":
            plans.append((QueryPlan(intent=Intent.RETENTION, segment=SegmentRef(name=seg.name)),
                          seg.source))
        elif seg.is_family:
            plans.append((QueryPlan(intent=Intent.DISTRIBUTION,
                                    segment=SegmentRef(name=seg.name)), seg.source))
        else:
            plans.append((QueryPlan(intent=Intent.COUNT, segment=SegmentRef(name=seg.name)),
                          seg.source))
        for example in seg.examples:
            try:
                plans.append((QueryPlan.model_validate(example.plan), example.source))
            except ValueError:
                continue  # reported by the examples_are_plans rule
    issues = []
    for plan, source in plans:
        if plan.intent in (Intent.DEFINITION, Intent.CATALOG):
            continue
        try:
            compiled = compile_plan(plan, catalog, as_of, row_cap=10)
            if warehouse is not None:
                warehouse.explain(compiled.sql(warehouse.dialect, pretty=False))
        except SegqError as exc:
            issues.append(Issue("error", f"Plan {plan.to_dict()} does not compile or run: "
                                f"{exc.message}", source, "compile"))
        except Exception as exc:  # a definition that breaks the compiler is an issue, not a crash
            issues.append(Issue("error", f"Plan {plan.to_dict()} does not compile: "
                                f"{type(exc).__name__}: {_first_line(exc)}", source, "compile"))
    return issues


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def keys_unique(catalog: Catalog, warehouse: Adapter,
                live: dict[str, dict[str, str]]) -> list[Issue]:
    """A declared primary key (a dbt model's primary entity) must be unique in the data: a
    join to a table that repeats it fans out and would silently multiply every sum."""
    issues = []
    for table in catalog.tables.values():
        names = {c.lower() for c in live.get(table.name, {})}
        if not table.primary_key or table.primary_key.lower() not in names:
            continue
        key = exp.column(table.primary_key)
        counted = exp.select(exp.func("COUNT", key.copy()).as_("n"),
                             exp.func("COUNT", exp.Distinct(expressions=[key.copy()])).as_("d")
                             ).from_(table.name)
        rows = warehouse.execute(counted.sql(warehouse.dialect), row_cap=1).rows
        total, distinct = rows[0] if rows else (0, 0)
        if total != distinct:
            issues.append(Issue("error", f"Table `{table.name}` declares `{table.primary_key}` "
                                f"its primary key, but {total} rows have only {distinct} "
                                "distinct values: a join to it fans out and multiplies what it "
                                "meets. Declare the key it has, or make it unique.",
                                table.source, "fan-out"))
    return issues


def deep_check(catalog: Catalog, warehouse: Adapter | None, as_of: date) -> list[Issue]:
    live = warehouse.schema() if warehouse is not None else catalog.schema()
    issues = schema_matches(catalog, live) if warehouse is not None else []
    if warehouse is not None:
        from assistant.catalog.key_checks import relationship_key_issues

        issues += keys_unique(catalog, warehouse, live)
        issues += relationship_key_issues(catalog, warehouse)
    issues += segment_sql_issues(catalog, live, as_of, warehouse)
    issues += plan_issues(catalog, as_of, warehouse)
    return issues
