"""Per-stage latency of `segq ask` over every eval question, on demo warehouses of several sizes.

    python benchmarks/bench_pipeline.py                      # 20,000 users
    python benchmarks/bench_pipeline.py --users 20000 200000 1000000

Prints one row per warehouse size with p50/p95 per stage (plan, compile, validate, execute,
total) in milliseconds. Warehouses are built into a temporary directory (or reused with
--keep DIR).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from assistant.config import load_config
from assistant.demo import build_demo
from assistant.evals import load_cases
from assistant.pipeline import Assistant

STAGES = ("plan", "compile", "validate", "execute", "total")
REPO = Path(__file__).resolve().parents[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def run(users: int, directory: Path, questions: list[str]) -> dict[str, object]:
    path = directory / f"demo-{users}.duckdb"
    build_seconds = 0.0
    if not path.exists():
        build_seconds = build_demo(path, users=users, seed=42).seconds
    config = load_config(environ={"SEGQ_WAREHOUSE": str(path),
                                  "SEGQ_SEMANTIC_MODELS": str(REPO / "semantic_models"),
                                  "SEGQ_QUERY_TIMEOUT": "600"})
    assistant = Assistant(config)
    assistant.ask("how many users do we have?")  # warm the connection and caches
    timings: dict[str, list[float]] = {s: [] for s in STAGES}
    statuses: dict[str, int] = {}
    started = time.perf_counter()
    for question in questions:
        answer = assistant.ask(question, source="benchmark")
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
        for stage in STAGES:
            timings[stage].append(answer.timings_ms.get(stage, 0.0))
    wall = time.perf_counter() - started
    row: dict[str, object] = {"users": users, "build_s": build_seconds, "questions": len(questions),
                              "wall_s": wall, "answered": statuses.get("answered", 0)}
    for stage in STAGES:
        row[f"{stage}_p50"] = statistics.median(timings[stage])
        row[f"{stage}_p95"] = percentile(timings[stage], 0.95)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[20_000])
    parser.add_argument("--keep", type=Path, help="directory to build warehouses in and keep")
    args = parser.parse_args()
    questions = [case.question for case in load_cases([REPO / "evals"])]
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        rows = [run(users, directory, questions) for users in args.users]
    header = ["users", "build s", "questions", "answered", "wall s"] + [
        f"{s} p50/p95 ms" for s in STAGES]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        cells = [f"{r['users']:,}", f"{r['build_s']:.1f}", str(r["questions"]),
                 str(r["answered"]), f"{r['wall_s']:.1f}"]
        cells += [f"{r[f'{s}_p50']:.1f} / {r[f'{s}_p95']:.1f}" for s in STAGES]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
