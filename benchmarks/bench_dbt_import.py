"""Cost of answering from a dbt project: import, MetricFlow start-up, compile.

    python benchmarks/bench_dbt_import.py [--models ../shared/external/acme-insurance] [--runs 5]

Each run is a fresh interpreter (cold start as a CLI sees it); prints min and median per step.
Needs the `dbt` extra.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STEP = r"""
import json, sys, time
t0 = time.perf_counter(); out = {}
from assistant.catalog import load_catalog
catalog = load_catalog(sys.argv[1]); out["load dbt models"] = time.perf_counter() - t0
t = time.perf_counter()
import metricflow.engine.metricflow_engine  # noqa: F401
out["import metricflow"] = time.perf_counter() - t
from assistant.importers.metricflow import compile_request, engine_for
t = time.perf_counter(); engine_for(catalog); out["build engine"] = time.perf_counter() - t
metric = next(iter(catalog.metrics))
t = time.perf_counter(); compile_request(catalog, limit=100, metric_names=[metric])
out["first compile"] = time.perf_counter() - t
warm = []
for _ in range(20):
    t = time.perf_counter(); compile_request(catalog, limit=100, metric_names=[metric])
    warm.append(time.perf_counter() - t)
out["warm compile (median of 20)"] = sorted(warm)[10]
out["interpreter to first SQL"] = time.perf_counter() - t0 - sum(warm)
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=str(REPO.parent / "shared/external/acme-insurance"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = [json.loads(subprocess.run([sys.executable, "-c", STEP, args.models], check=True,
                                      capture_output=True, text=True, cwd=REPO).stdout)
            for _ in range(args.runs)]
    print(f"{args.models}: {args.runs} fresh interpreters")
    print(f"{'step':32} {'min ms':>8} {'median ms':>10}")
    for step in runs[0]:
        values = [r[step] * 1000 for r in runs]
        print(f"{step:32} {min(values):8.1f} {statistics.median(values):10.1f}")


if __name__ == "__main__":
    main()
