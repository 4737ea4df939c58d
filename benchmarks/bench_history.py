"""Month-end history and movement plans: this checkout against another revision, paired.

    python benchmarks/bench_history.py --ref main --rounds 3
    python benchmarks/bench_history.py --ref main --rounds 3 --warehouse /tmp/demo-1m.duckdb

Compile + validate: each round runs one worker process per revision, alternating which goes
first; a worker plans each question with the rules planner, then times `compile_plan(...).sql()`
plus `validate_sql` as `Assistant.ask` calls them (in-process, warm: 2 warm-ups, then the
median of --repeat), no execution. Printed: the median over rounds of each worker's median.
The other revision runs from a `git archive` copy put first on `sys.path`, this checkout from
its own directory (whichever segq the interpreter has installed).

With --warehouse, each revision's SQL for every question is then run alternately on one
read-only DuckDB connection (2 threads, as the executor opens it), --exec-rounds times after
one warm-up; printed: median wall and CPU time (CPU of the whole process: DuckDB's threads),
and whether both revisions returned the same rows in the same order (the script stops if not).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from paired import REPO, compile_validate_ms, export_revision

QUESTIONS = [
    "how many customers are in each RFM segment?",
    "how many champions were there at the end of each month?",
    "RFM segments at each month end",
    "champions at each month end since January",
    "champions at each month end since July 2024",
    "champions at each month end since 2020",
    "where did the champions from the end of March go?",
    "which champions at the end of March are at risk now?",
]


def worker(repeat: int) -> None:
    """Print {question: [median ms, sql]} for the segq found first on sys.path."""
    import assistant as package
    from assistant.config import load_config
    from assistant.pipeline import Assistant

    # each revision with its own models: an older one may not know a newer model key
    models = Path(package.__file__).resolve().parents[1] / "semantic_models"
    config = load_config(environ={"SEGQ_SEMANTIC_MODELS": str(models),
                                  "SEGQ_PLANNER": "rules", "SEGQ_RESULT_CACHE": "off"})
    assistant = Assistant(config)
    catalog = assistant.catalog
    principal = assistant.principal(catalog, "benchmark", None, None)
    out = {}
    for question in QUESTIONS:
        plan = assistant.planner.plan(question, catalog, as_of=config.as_of).plan
        runs = [compile_validate_ms(assistant, plan, principal) for _ in range(repeat + 2)]
        out[question] = [statistics.median(ms for ms, _ in runs[2:]), runs[-1][1]]
    print(json.dumps(out))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def execute(warehouse: Path, sql: dict[str, dict[str, str]], rounds: int) -> None:
    """Each revision's SQL per question, alternately on one connection: medians, same rows."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True, config={"threads": 2})
    names = list(sql)
    print(f"execution on {warehouse.name}, {rounds} rounds (ms, median wall / CPU):")
    for question in QUESTIONS:
        wall: dict[str, list[float]] = {n: [] for n in names}
        cpu: dict[str, list[float]] = {n: [] for n in names}
        rows = {n: con.execute(sql[n][question]).fetchall() for n in names}  # warm-up
        for i in range(rounds):
            for name in names if i % 2 == 0 else reversed(names):
                used, started = _cpu(), time.perf_counter()
                con.execute(sql[name][question]).fetchall()
                wall[name].append((time.perf_counter() - started) * 1000)
                cpu[name].append((_cpu() - used) * 1000)
        if rows[names[0]] != rows[names[1]]:
            sys.exit(f"the rows differ for {question!r}")
        cells = "  ".join(f"{n} {statistics.median(wall[n]):6.0f} / "
                          f"{statistics.median(cpu[n]):6.0f}" for n in names)
        print(f"  {question[:52]:52s} {cells}  same rows ({len(rows[names[0]])})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="revision to compare with (default main)")
    parser.add_argument("--rounds", type=int, default=3, help="worker runs per revision")
    parser.add_argument("--repeat", type=int, default=7, help="timed compiles per worker")
    parser.add_argument("--warehouse", type=Path, help="a demo warehouse to execute the SQL on")
    parser.add_argument("--exec-rounds", type=int, default=5)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        copy = export_revision(args.ref, Path(tmp) / "ref")
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker",
               "--repeat", str(args.repeat)]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        variants = {args.ref: dict(env, PYTHONPATH=str(copy)),
                    "this checkout": dict(env, PYTHONPATH=str(REPO))}
        runs: dict[str, list[dict[str, list]]] = {name: [] for name in variants}
        for i in range(args.rounds):
            order = list(variants.items())
            for name, run_env in order if i % 2 == 0 else reversed(order):
                done = subprocess.run(cmd, env=run_env, capture_output=True, text=True,
                                      check=True, cwd=tmp)
                runs[name].append(json.loads(done.stdout))
    print(f"compile + validate, {args.rounds} rounds x median of {args.repeat}, "
          f"load {os.getloadavg()[0]:.1f} (ms):")
    for question in QUESTIONS:
        cells = "  ".join(f"{name} {statistics.median(r[question][0] for r in rs):7.1f}"
                          for name, rs in runs.items())
        print(f"  {question[:52]:52s} {cells}")
    if args.warehouse:
        execute(args.warehouse, {name: {q: rs[-1][q][1] for q in QUESTIONS}
                                 for name, rs in runs.items()}, args.exec_rounds)


if __name__ == "__main__":
    main()
