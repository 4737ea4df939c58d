"""MetricFlow's own integration cases run through segq: the compiler-correctness oracle.

Each case of `metricflow-itests/integration_test_cases/` names a manifest, a structured metric
query and a hand-written `check_query`. The manifest is imported by segq's dbt loader, the
query compiled through segq's MetricFlow path (`compile_request`), both run on the DuckDB
snapshots (`datasets.py`), and the rows compared as multisets (in order when `check_order`).

    python -m tests.metricflow_oracle [--manifest simple_manifest] [-v]   # pass count per manifest
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import yaml

ITESTS = Path(__file__).resolve().parents[2] / "shared" / "external" / "metricflow-itests"
MANIFESTS = {"SIMPLE_MODEL": "simple_manifest", "SIMPLE_MODEL_NON_DS": "non_sm_manifest",
             "EXTENDED_DATE_MODEL": "extended_date_manifest", "SCD_MODEL": "scd_manifest",
             "UNPARTITIONED_MULTI_HOP_JOIN_MODEL": "multi_hop_join_manifest",
             "PARTITIONED_MULTI_HOP_JOIN_MODEL": "partitioned_multi_hop_join_manifest"}


NOT_APPLICABLE = "n/a"


@dataclass(frozen=True)
class Case:
    name: str
    manifest: str
    spec: dict[str, Any]
    source: str


def load_cases(itests: Path = ITESTS) -> list[Case]:
    cases = []
    for path in sorted((itests / "integration_test_cases").glob("itest_*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and "integration_test" in doc:
                spec = doc["integration_test"]
                cases.append(Case(spec["name"], MANIFESTS[spec["model"]], spec, path.name))
    return cases


# -- the runner's Jinja helpers, as the README's table renders them for DuckDB --------------
def _helpers() -> dict[str, Any]:
    from metricflow_semantic_interfaces.type_enums.date_part import DatePart
    from metricflow_semantic_interfaces.type_enums.time_granularity import TimeGranularity

    def unit(grain: Any, count: Any) -> str:
        value = getattr(grain, "value", grain)
        return f"({count} * 3) month" if value == "quarter" else f"{count} {value}"

    def stop(value: str) -> str:
        parsed = datetime.fromisoformat(value)
        step = timedelta(days=1) if len(value) <= 10 else timedelta(seconds=1)
        return (parsed + step).isoformat(sep=" ")

    def time_constraint(expr: str, start_time: str | None = None,
                        stop_time: str | None = None) -> str:
        parts = []
        if start_time:
            parts.append(f"CAST({expr} AS TIMESTAMP) >= CAST('{start_time}' AS TIMESTAMP)")
        if stop_time:
            parts.append(f"CAST({expr} AS TIMESTAMP) < CAST('{stop(stop_time)}' AS TIMESTAMP)")
        return " AND ".join(parts) or "TRUE"

    def extract(expr: str, part: Any) -> str:
        name = "isodow" if part.value == "dow" else part.value
        return f"EXTRACT({name} FROM CAST({expr} AS TIMESTAMP))"

    def percentile(expr: str, p: float, discrete: bool = False, approximate: bool = False) -> str:
        if approximate:
            return f"approx_quantile({expr}, {p})"
        kind = "PERCENTILE_DISC" if discrete else "PERCENTILE_CONT"
        return f"{kind}({p}) WITHIN GROUP (ORDER BY ({expr}))"

    def template(kind: str) -> Any:
        def render(name: str, *args: Any, entity_path: Any = (), **kw: Any) -> str:
            extra = "".join(f", '{a}'" for a in args if isinstance(a, str))
            if kind == "Metric" and (args or kw.get("group_by")):
                group_by = list(args[0] if args else kw["group_by"])
                extra = f", group_by={group_by!r}"
            grain = kw.get("time_granularity_name") or kw.get("grain")
            if grain:
                extra += f", '{grain}'"
            path = f", entity_path={list(entity_path)!r}" if entity_path else ""
            return "{{ " + f"{kind}('{name}'{extra}{path})" + " }}"
        return render

    return {
        "source_schema": "main", "mf_time_spine_source": "main.mf_time_spine",
        "double_data_type_name": "DOUBLE", "TimeGranularity": TimeGranularity,
        "DatePart": DatePart,
        "render_date_trunc": lambda e, g: f"DATE_TRUNC('{g.value}', CAST({e} AS TIMESTAMP))",
        "render_extract": extract, "render_time_constraint": time_constraint,
        "render_date_sub": lambda a, c, n, g: f"{a}.{c} - INTERVAL {unit(g, n)}",
        "render_date_add": lambda e, n, g: f"{e} + INTERVAL {unit(g, n)}",
        "render_percentile_expr": percentile,
        "cast_to_ts": lambda s: f"CAST('{s}' AS TIMESTAMP)",
        "generate_random_uuid": lambda: "GEN_RANDOM_UUID()",
        "render_dimension_template": template("Dimension"),
        "render_entity_template": template("Entity"),
        "render_metric_template": template("Metric"),
        "render_time_dimension_template": template("TimeDimension"),
    }


def render(text: str) -> str:
    import jinja2

    return jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(text).render(
        **_helpers())


def request(spec: dict[str, Any]) -> dict[str, Any]:
    """The case's structured query as MetricFlow request parts (names only)."""
    from metricflow_semantic_interfaces.type_enums.date_part import DatePart
    from metricflow_semantics.specs.query_param_implementations import (
        DimensionOrEntityParameter,
        TimeDimensionParameter,
    )

    names = list(spec.get("group_bys") or [])
    objects = [TimeDimensionParameter(name=o["name"], grain=o.get("grain"),
                                      date_part=DatePart(o["date_part"]) if o.get("date_part")
                                      else None) for o in spec.get("group_by_objs") or []]
    if objects:  # MetricFlow takes names or objects, not both
        objects += [DimensionOrEntityParameter(name=n) for n in names]
        names = []
    parts: dict[str, Any] = {"metric_names": spec.get("metrics"), "group_by_names": names or None,
                             "group_by": objects or None,
                             "order_by_names": spec.get("order_bys"),
                             "min_max_only": bool(spec.get("min_max_only")),
                             "apply_group_by": spec.get("apply_group_by", True),
                             "saved_query_name": spec.get("saved_query_name")}
    if spec.get("where_filter"):
        parts["where_constraints"] = [render(spec["where_filter"])]
    if spec.get("time_constraint"):
        start, end = spec["time_constraint"]
        parts["time_constraint_start"] = datetime.fromisoformat(str(start))
        parts["time_constraint_end"] = datetime.fromisoformat(str(end))
    return parts


def _value(v: Any) -> Any:
    if isinstance(v, Decimal):
        v = float(v)
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 6)
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day).isoformat()
    return v


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    cursor = con.execute(sql)
    columns = [d[0].lower() for d in cursor.description]
    return columns, [tuple(_value(v) for v in row) for row in cursor.fetchall()]


def run_case(case: Case, catalog: Any, con: duckdb.DuckDBPyConnection) -> str:
    """'' when segq's result equals the check query's, else why not."""
    from assistant.importers.metricflow import compile_request

    spec = case.spec
    if any(f.startswith("APPROXIMATE_DISCRETE") for f in spec.get("required_features") or []):
        return NOT_APPLICABLE  # not run upstream on DuckDB either: the engine lacks it
    try:
        select = compile_request(catalog, limit=spec.get("limit"), **request(spec))
        got_cols, got = _rows(con, select.sql("duckdb"))
    except Exception as exc:
        return f"segq: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    try:
        want_cols, want = _rows(con, render(spec["check_query"]))
    except Exception as exc:
        return f"check query: {exc}"[:200]
    if sorted(got_cols) != sorted(want_cols):
        return f"columns {got_cols} != {want_cols}"
    order = [got_cols.index(c) for c in want_cols]
    got = [tuple(row[i] for i in order) for row in got]
    same = got == want if spec.get("check_order") else Counter(got) == Counter(want)
    return "" if same else f"rows differ: {len(got)} vs {len(want)} rows"


def run_all(manifests: set[str] | None = None, itests: Path = ITESTS) -> dict[str, list]:
    """{manifest: [(case, failure or '')]} over every case of the chosen manifests."""
    from assistant.catalog import collect_issues
    from assistant.config import CACHE_DIR
    from assistant.importers.datasets import ensure_dataset, find_dataset

    results: dict[str, list] = {}
    cases = [c for c in load_cases(itests) if manifests is None or c.manifest in manifests]
    dataset = find_dataset(itests / "semantic_manifests")
    assert dataset is not None
    con = duckdb.connect(str(ensure_dataset(dataset, CACHE_DIR)), read_only=True)
    catalogs: dict[str, Any] = {}
    for case in cases:
        if case.manifest not in catalogs:
            catalogs[case.manifest] = collect_issues(
                itests / "semantic_manifests" / case.manifest)[0]
        results.setdefault(case.manifest, []).append(
            (case, run_case(case, catalogs[case.manifest], con)))
    con.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", action="append", help="only these manifests")
    parser.add_argument("-v", action="store_true", help="list every failing case")
    args = parser.parse_args()
    results = run_all(set(args.manifest) if args.manifest else None)
    print(f"{'manifest':40} {'passed':>7} {'n/a':>4} {'cases':>6}")
    for manifest, outcomes in results.items():
        passed = sum(1 for _, failure in outcomes if not failure)
        skipped = sum(1 for _, failure in outcomes if failure == NOT_APPLICABLE)
        print(f"{manifest:40} {passed:>7} {skipped:>4} {len(outcomes):>6}")
        if args.v:
            for case, failure in outcomes:
                if failure and failure != NOT_APPLICABLE:
                    print(f"    {case.name} ({case.source}): {failure}")


if __name__ == "__main__":
    main()
