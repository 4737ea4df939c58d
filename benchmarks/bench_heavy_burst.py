"""Ten heavy questions at once: every one ends with an answer or a worded "busy"/timeout.

    python benchmarks/bench_heavy_burst.py                       # 20,000 users
    python benchmarks/bench_heavy_burst.py --users 1000000 --keep /tmp/segq-bench

The issue-9 acceptance check at scale: heavy segment questions (month-end RFM history, PQL
score distribution, churn tiers, lifecycle stages, cohort retention) fired from one thread
each against one Assistant, as a busy Slack bot would. Prints one row per status with the
count and latency percentiles; a question that ended without a status would be a crash and
is counted under `crash`.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

from assistant.config import load_config
from assistant.demo import build_demo
from assistant.pipeline import Assistant

REPO = Path(__file__).resolve().parents[1]
HEAVY = [
    "how many champions were there at each month end?",
    "pql score distribution",
    "churn risk tiers by plan",
    "lifecycle stages by country",
    "cohort retention matrix",
    "rfm segments by acquisition channel",
    "how many engaged users by company size?",
    "engagement score tiers",
    "how many at risk lifecycle users signed up in Q1?",
    "revenue by country in 2025",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--copies", type=int, default=1, help="times each question is fired")
    parser.add_argument("--keep", type=Path, help="directory to build/reuse warehouses in")
    args = parser.parse_args()
    directory = args.keep or Path(tempfile.mkdtemp(prefix="segq-burst-"))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"demo-{args.users}.duckdb"
    if not path.exists():
        print(f"building {args.users:,} users ...", flush=True)
        build_demo(path, users=args.users, seed=42)
    config = load_config(environ={"SEGQ_WAREHOUSE": str(path),
                                  "SEGQ_SEMANTIC_MODELS": str(REPO / "semantic_models"),
                                  "SEGQ_QUERY_LOG": str(directory / "burst-log.sqlite3")})
    assistant = Assistant(config)
    results: dict[str, list[float]] = defaultdict(list)
    lock = threading.Lock()

    def ask(question: str) -> None:
        started = time.perf_counter()
        try:
            status = assistant.ask(question, source="api").status
        except Exception:  # noqa: BLE001 - a crash is what this benchmark counts
            status = "crash"
        with lock:
            results[status].append(time.perf_counter() - started)

    threads = [threading.Thread(target=ask, args=(q,)) for q in HEAVY * args.copies]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    print(f"\n{len(threads)} heavy questions at once, {args.users:,} users, "
          f"max_concurrent_queries={config.max_concurrent_queries}, "
          f"question_timeout_s={config.question_timeout_s:g}; wall {wall:.1f} s\n")
    print(f"{'status':<10}{'count':>6}{'p50 s':>9}{'p95 s':>9}{'max s':>9}")
    for status in sorted(results):
        times = results[status]
        print(f"{status:<10}{len(times):>6}{percentile(times, .5):>9.2f}"
              f"{percentile(times, .95):>9.2f}{max(times):>9.2f}")


if __name__ == "__main__":
    main()
