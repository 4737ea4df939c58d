"""Warm added time of whole questions: this checkout against another revision, paired.

    python benchmarks/bench_warm.py --ref main --warehouse /tmp/segq-bench/demo-100000.duckdb

Each round runs one worker process per revision, alternating which goes first. A worker asks
each question of `bench_compare.py`'s warm rows (and the two history questions) through
`Assistant.ask` (rules planner, result cache off) after 3 warm-ups, then --repeat times, each
ask followed by the hand SQL of the question on the worker's own connection; it prints the
median of (ask total - hand SQL) and of each stage. Printed: the median over rounds of each
worker's medians. The other revision runs from a `git archive` copy put first on `sys.path`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from paired import REPO, export_revision

STAGES = ("plan", "compile", "validate", "execute")
HISTORY = ["how many champions were there at the end of each month?"]


def worker(warehouse: str, repeat: int) -> None:
    """Reads the questions (label, question, hand SQL or None) as JSON on stdin: importing
    `hand_sql` here would put this checkout first on `sys.path`."""
    import duckdb

    import assistant as package
    from assistant.config import load_config
    from assistant.pipeline import Assistant

    models = Path(package.__file__).resolve().parents[1] / "semantic_models"
    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant(load_config(environ={
            "SEGQ_SEMANTIC_MODELS": str(models), "SEGQ_PLANNER": "rules",
            "SEGQ_WAREHOUSE": warehouse, "SEGQ_RESULT_CACHE": "off",
            "SEGQ_QUERY_LOG": str(Path(tmp) / "log.sqlite3"),
            "SEGQ_QUERY_TIMEOUT": "600", "SEGQ_QUESTION_TIMEOUT": "600"}))
        con = duckdb.connect(warehouse, read_only=True, config={"threads": 2})
        out = {}
        cases = json.load(sys.stdin)
        for label, question, hand in cases:
            for _ in range(3):
                assistant.ask(question, source="benchmark")
            added, stages = [], []
            for _ in range(repeat):
                answer = assistant.ask(question, source="benchmark")
                started = time.perf_counter()
                if hand is not None:
                    con.execute(hand).fetchall()
                hand_ms = (time.perf_counter() - started) * 1000 if hand else 0.0
                added.append(answer.timings_ms["total"] - hand_ms)
                stages.append(answer.timings_ms)
            out[label] = [statistics.median(added)] + [
                statistics.median(t.get(k, 0.0) for t in stages) for k in STAGES]
        print(json.dumps({"package": str(Path(package.__file__).parent), "times": out}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="revision to compare with (default main)")
    parser.add_argument("--rounds", type=int, default=4, help="worker runs per revision")
    parser.add_argument("--repeat", type=int, default=15, help="timed asks per question")
    parser.add_argument("--warehouse", type=Path, required=True, help="a demo warehouse")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(str(args.warehouse), args.repeat)
    from hand_sql import METRIC_QUESTIONS

    cases = json.dumps([list(c) for c in METRIC_QUESTIONS] + [[q, q, None] for q in HISTORY])
    with tempfile.TemporaryDirectory() as tmp:
        copy = export_revision(args.ref, Path(tmp) / "ref")
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "--repeat",
               str(args.repeat), "--warehouse", str(args.warehouse.resolve())]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        variants = {args.ref: dict(env, PYTHONPATH=str(copy)),
                    "this checkout": dict(env, PYTHONPATH=str(REPO))}
        runs: dict[str, list[dict[str, list[float]]]] = {name: [] for name in variants}
        for i in range(args.rounds):
            order = list(variants.items())
            for name, run_env in order if i % 2 == 0 else reversed(order):
                done = subprocess.run(cmd, env=run_env, capture_output=True, text=True,
                                      check=True, cwd=tmp, input=cases)
                found = json.loads(done.stdout)
                expected = (copy if name == args.ref else REPO) / "assistant"
                if Path(found["package"]) != expected:  # the revision really timed
                    sys.exit(f"{name} ran {found['package']}, not {expected}")
                runs[name].append(found["times"])
    print(f"warm ask, {args.rounds} rounds x median of {args.repeat}, load "
          f"{os.getloadavg()[0]:.1f} (ms; added = ask total - hand SQL; history: ask total):")
    for label in runs[args.ref][0]:
        cells = []
        for name, rs in runs.items():
            med = [statistics.median(r[label][i] for r in rs) for i in range(1 + len(STAGES))]
            cells.append(f"{name} {med[0]:+6.1f} (" + " / ".join(f"{m:.1f}" for m in med[1:])
                         + ")")
        print(f"  {label[:40]:40s} " + "  ".join(cells))
    print("  (in brackets: " + " / ".join(STAGES) + " p50)")


if __name__ == "__main__":
    main()
