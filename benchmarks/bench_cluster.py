"""How long `segq cluster fit` and the warehouse assignment of a cluster segment take.

    python benchmarks/bench_cluster.py                         # 20,000 and 100,000 users
    python benchmarks/bench_cluster.py --users 20000 1000000 --sample 4000

For each size: build the demo, fit `examples/clusters/behaviour_clusters.yml` (read features
and outcomes, cluster a sample with every candidate, test outcomes), then count every member
through the normal pipeline ("users in each behaviour cluster": nearest centroid in DuckDB).
Needs the `cluster` extra.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout, uninstalled

from assistant.catalog import load_catalog  # noqa: E402 (path set above)
from assistant.clustering.fit import fit_clusters  # noqa: E402
from assistant.config import load_config  # noqa: E402
from assistant.demo import DEMO_AS_OF, build_demo  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402

COLUMNS = ("users", "sample", "read s", "fit s", "assign s", "chosen")


def bench(users: int, sample: int) -> tuple[float, float, float, str]:
    with tempfile.TemporaryDirectory(prefix="segq-bench-") as tmp:
        root = Path(tmp)
        build_demo(root / "demo.duckdb", users=users)
        shutil.copytree(REPO / "semantic_models", root / "models")
        shutil.copy(REPO / "examples/clusters/behaviour_clusters.yml", root / "models")
        assistant = Assistant(load_config(environ={
            "SEGQ_WAREHOUSE": str(root / "demo.duckdb"),
            "SEGQ_SEMANTIC_MODELS": str(root / "models"),
            "SEGQ_QUERY_LOG": str(root / "log.sqlite3")}))
        catalog = load_catalog(root / "models")
        started = time.perf_counter()
        result = fit_clusters(catalog, "behaviour_clusters", assistant.warehouse, DEMO_AS_OF,
                              sample=sample)
        total = time.perf_counter() - started
        read = result.data_seconds
        started = time.perf_counter()
        answer = assistant.ask("how many users in each behaviour cluster?")
        assign = time.perf_counter() - started
        assert answer.status == "answered", answer.message
        return read, total - read, assign, result.chosen.name if result.chosen else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--sample", type=int, default=4_000)
    args = parser.parse_args(argv)
    print(" ".join(f"{name:>12}" for name in COLUMNS))
    for users in args.users:
        read, fit, assign, chosen = bench(users, args.sample)
        print(f"{users:>12,} {args.sample:>12,} {read:>12.2f} {fit:>12.2f} {assign:>12.2f} "
              f"{chosen:>12}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
