"""Per-engine time of the segment queries: DuckDB, PostgreSQL and Spark over the same demo.

    python benchmarks/bench_engines.py                         # 200,000 users, 3 runs each
    python benchmarks/bench_engines.py --users 20000 --runs 5
    python benchmarks/bench_engines.py --postgres postgresql://owner@host/db   # your server

Needs the extras (`pip install -e '.[postgres,spark]'`), Java, and PostgreSQL: without
`--postgres` a throwaway server is started from the Debian packages, as the engine suite
does. The demo is generated once by DuckDB and loaded into the others; each query (one per
segment family, compiled for each engine's dialect) runs once to warm up, then `--runs` times;
the table shows the median seconds per engine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from assistant.catalog import load_catalog  # noqa: E402 (path set above)
from assistant.compiler import compile_plan  # noqa: E402
from assistant.demo import DEFAULT_SEED, build_demo  # noqa: E402
from assistant.executor import Warehouse  # noqa: E402
from assistant.plan import Intent, QueryPlan, SegmentRef  # noqa: E402
from assistant.warehouses.loaders import export_parquet, load_postgres  # noqa: E402
from assistant.warehouses.postgres import PostgresWarehouse  # noqa: E402
from assistant.warehouses.spark import SparkWarehouse  # noqa: E402

AS_OF = date(2026, 6, 30)
MODELS = Path(__file__).resolve().parents[1] / "semantic_models"
QUERIES = {
    "engaged_users count": QueryPlan(intent=Intent.COUNT,
                                     segment=SegmentRef(name="engaged_users")),
    "churn_risk tiers": QueryPlan(intent=Intent.DISTRIBUTION,
                                  segment=SegmentRef(name="churn_risk")),
    "lifecycle_stage stages": QueryPlan(intent=Intent.DISTRIBUTION,
                                        segment=SegmentRef(name="lifecycle_stage")),
    "rfm_segment segments": QueryPlan(intent=Intent.DISTRIBUTION,
                                      segment=SegmentRef(name="rfm_segment")),
    "pql count": QueryPlan(intent=Intent.COUNT, segment=SegmentRef(name="pql")),
    "pql_score qualification": QueryPlan(intent=Intent.DISTRIBUTION,
                                         segment=SegmentRef(name="pql_score")),
    "engagement_score tiers": QueryPlan(intent=Intent.DISTRIBUTION,
                                        segment=SegmentRef(name="engagement_score")),
    "cohort_retention matrix": QueryPlan(intent=Intent.RETENTION,
                                         segment=SegmentRef(name="cohort_retention")),
}


def timed(adapter, sql: str, runs: int) -> float:
    adapter.execute(sql)  # warm-up: caches, JIT, plans
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        adapter.execute(sql)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def open_engines(stack: ExitStack, users: int, seed: int, postgres: str | None) -> dict:
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="segq-bench-")))
    stats = build_demo(tmp / "demo.duckdb", users=users, seed=seed)
    print(f"demo: {stats.users:,} users, {stats.events:,} events, {stats.orders:,} orders",
          flush=True)
    if postgres is None:
        from tests.engines.servers import READER, postgres_server

        owner, reader = stack.enter_context(postgres_server())
        load_postgres(stats.path, owner, read_role=READER)
        postgres = reader
    else:
        load_postgres(stats.path, postgres)
    export_parquet(stats.path, tmp / "parquet")
    engines = {"duckdb": Warehouse(stats.path, timeout_s=600),
               "postgres": PostgresWarehouse(postgres, timeout_s=600),
               "spark": SparkWarehouse(f"spark://local{tmp / 'parquet'}", timeout_s=600)}
    for adapter in engines.values():
        adapter.warm()
        stack.callback(adapter.close)
    return engines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", help="a PostgreSQL URL that may create tables")
    args = parser.parse_args(argv)
    catalog = load_catalog(MODELS)
    with ExitStack() as stack:
        engines = open_engines(stack, args.users, args.seed, args.postgres)
        print(f"{'query':<26}" + "".join(f"{name:>12}" for name in engines), flush=True)
        totals = dict.fromkeys(engines, 0.0)
        for label, plan in QUERIES.items():
            compiled = compile_plan(plan, catalog, AS_OF, row_cap=10_000)
            cells = []
            for name, adapter in engines.items():
                seconds = timed(adapter, compiled.sql(adapter.dialect, pretty=False), args.runs)
                totals[name] += seconds
                cells.append(f"{seconds:>11.2f}s")
            print(f"{label:<26}" + "".join(cells), flush=True)
        print(f"{'total':<26}" + "".join(f"{t:>11.2f}s" for t in totals.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
