"""segq against hand-written SQL, paired and interleaved, on demo warehouses of several sizes.

    python benchmarks/bench_compare.py                          # 100,000 and 1,000,000 users
    python benchmarks/bench_compare.py --users 100000 --keep /tmp/segq-bench --rounds 5

For every size it prints one table:
* each segment family and the metric + users join: segq's compiled SQL and the hand SQL of the
  same question (benchmarks/hand_sql.py) run alternately on one DuckDB connection (2 threads);
  the ratio of their medians, and whether the results are equal;
* warm added time: the whole `Assistant.ask` (plan, compile, validate, execute; result cache
  off) minus the hand SQL, p50 over rounds, for Q1–Q3-style metric questions;
* compile + validate of month-end history plans (no execution), p50;
* the same question asked twice (result cache on): the second answer's time;
* cold start: `segq ask ... --json` as a new process against
  `python -c "import duckdb; ..."` running the hand SQL.
MetricFlow is compared when the `metricflow` package is installed (it is not by default).
Warehouses are built into --keep DIR (default: a temporary directory) when missing.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
from hand_sql import FAMILIES, METRIC_QUESTIONS, USERS, normal_rows
from paired import compile_validate_ms

from assistant.config import load_config
from assistant.demo import build_demo
from assistant.pipeline import Assistant

REPO = Path(__file__).resolve().parents[1]


def _timed(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[float, list[Any]]:
    started = time.perf_counter()
    rows = con.execute(sql).fetchall()
    return (time.perf_counter() - started) * 1000, rows


def _assistant(path: Path, cache: bool, log: Path) -> Assistant:
    env = {"SEGQ_WAREHOUSE": str(path), "SEGQ_SEMANTIC_MODELS": str(REPO / "semantic_models"),
           "SEGQ_QUERY_TIMEOUT": "600", "SEGQ_QUESTION_TIMEOUT": "600",
           "SEGQ_RESULT_CACHE": "on" if cache else "off", "SEGQ_QUERY_LOG": str(log)}
    return Assistant(load_config(environ=env))


def families(con: duckdb.DuckDBPyConnection, assistant: Assistant,
             rounds: int) -> list[list[str]]:
    """segq SQL / hand SQL per family: alternating runs on one connection, medians."""
    out = []
    for family, question, hand in FAMILIES:
        answer = assistant.ask(question, source="benchmark")
        if answer.status != "answered":
            out.append([family, "-", "-", "-", f"not answered ({answer.status})"])
            continue
        segq_ms, hand_ms, equal = [], [], True
        for i in range(rounds):
            pair = [(segq_ms, answer.sql), (hand_ms, hand)]
            for times, sql in pair if i % 2 == 0 else reversed(pair):
                ms, rows = _timed(con, sql)
                times.append(ms)
                if sql is hand:
                    equal = equal and normal_rows(rows) == normal_rows(answer.rows)
        s, h = statistics.median(segq_ms), statistics.median(hand_ms)
        out.append([family, f"{s:.0f}", f"{h:.0f}", f"{s / h:.2f}x", "equal" if equal
                    else "DIFFERENT"])
    return out


def warm(con: duckdb.DuckDBPyConnection, assistant: Assistant, rounds: int) -> list[list[str]]:
    """The whole ask (cache off) minus the hand SQL on the same data, paired, p50."""
    out = []
    for label, question, hand in METRIC_QUESTIONS:
        assistant.ask(question, source="benchmark")
        added, stages = [], []
        for _ in range(rounds):
            answer = assistant.ask(question, source="benchmark")
            ms, _rows = _timed(con, hand)
            added.append(answer.timings_ms["total"] - ms)
            stages.append(answer.timings_ms)
        p50 = {k: statistics.median(t[k] for t in stages)
               for k in ("plan", "compile", "validate", "execute")}
        out.append([f"warm added time: {label}", f"+{statistics.median(added):.1f} ms", "",
                    "", "plan {plan:.1f} / compile {compile:.1f} / validate {validate:.1f} / "
                    "execute {execute:.1f} ms p50".format(**p50)])
    return out


HISTORY = [("month-end RFM history, one member", "how many champions were there at the end of "
            "each month?"), ("month-end RFM history, every member",
                             "RFM segments at each month end")]


def compile_validate(assistant: Assistant, rounds: int) -> list[list[str]]:
    """Compile + validate of history plans (goal <= 50 ms), in-process and warm, p50:
    the plan is compiled and its SQL validated as `Assistant.ask` does, no execution."""
    catalog, config = assistant.catalog, assistant.config
    principal = assistant.principal(catalog, "benchmark", None, None)
    out = []
    for label, question in HISTORY:
        plan = assistant.planner.plan(question, catalog, as_of=config.as_of).plan
        times = [compile_validate_ms(assistant, plan, principal)[0] for _ in range(rounds + 1)]
        out.append([f"compile + validate: {label}", f"{statistics.median(times[1:]):.0f}", "",
                    "", f"first {times[0]:.0f} ms; no execution"])
    return out


def repeat(assistant: Assistant, rounds: int) -> list[list[str]]:
    out = []
    for label, question, _hand in FAMILIES[:2] + METRIC_QUESTIONS[1:2]:
        first = assistant.ask(question, source="benchmark")
        again = [assistant.ask(question, source="benchmark") for _ in range(rounds)]
        p50 = statistics.median(a.timings_ms["total"] for a in again)
        cached = all(a.cached_at is not None for a in again)
        out.append([f"asked again: {label}", f"{p50:.1f} ms",
                    f"first {first.timings_ms['total']:.0f} ms", "",
                    "from the result cache" if cached else "recomputed"])
    return out


def cold(path: Path, rounds: int, log: Path) -> list[list[str]]:
    """A new process each time: segq ask against python + duckdb running the hand SQL.

    Caches on disk are warm (a first run fills them), as for anyone who asked before: the
    compiled catalog cache always; the result cache only in the second row. Bytecode is
    written (PYTHONDONTWRITEBYTECODE unset), as in any ordinary install."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"SEGQ_WAREHOUSE": str(path), "SEGQ_QUERY_LOG": str(log),
                "SEGQ_SEMANTIC_MODELS": str(REPO / "semantic_models")})
    segq = [str(Path(sys.executable).parent / "segq"), "ask", "how many users do we have?",
            "--json"]
    raw = [sys.executable, "-c", f"import duckdb; con = duckdb.connect({str(path)!r}, "
           f"read_only=True); print(con.execute({USERS!r}).fetchall())"]
    variants = {"segq": [*segq, "--no-cache"], "segq cached": segq, "raw": raw}
    for cmd in variants.values():  # warms the OS file cache, bytecode and segq's caches
        subprocess.run(cmd, env=env, capture_output=True, check=True)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for i in range(rounds):
        order = list(variants.items())
        for name, cmd in order if i % 2 == 0 else reversed(order):
            started = time.perf_counter()
            subprocess.run(cmd, env=env, capture_output=True, check=True)
            times[name].append(time.perf_counter() - started)
    s, c, r = (statistics.median(times[n]) for n in ("segq", "segq cached", "raw"))
    return [["cold start, one question (process)", f"{s * 1000:.0f}", f"{r * 1000:.0f}",
             f"{s / r:.2f}x", "segq ask --json --no-cache vs python -c 'import duckdb; ...'"],
            ["cold start, result cache hit (process)", f"{c * 1000:.0f}", f"{r * 1000:.0f}",
             f"{c / r:.2f}x", "segq ask --json, the same question asked before"]]


def metricflow_row() -> list[list[str]]:
    if importlib.util.find_spec("metricflow") is None:
        return [["MetricFlow", "-", "-", "-", "not installed: not compared"]]
    return [["MetricFlow", "-", "-", "-", "installed, but its comparison is not built yet"]]


def run(users: int, directory: Path, rounds: int) -> list[list[str]]:
    path = directory / f"demo-{users}.duckdb"
    if not path.exists():
        build_demo(path, users=users, seed=42)
    log = directory / "bench-querylog.sqlite3"
    con = duckdb.connect(str(path), read_only=True, config={"threads": 2})
    rows = families(con, _assistant(path, False, log), rounds)
    rows += warm(con, _assistant(path, False, log), rounds * 2)
    rows += compile_validate(_assistant(path, False, log), rounds)
    rows += repeat(_assistant(path, True, log), rounds)
    con.close()
    rows += cold(path, rounds, log)
    return rows + metricflow_row()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--keep", type=Path, help="directory to build warehouses in and keep")
    parser.add_argument("--rounds", type=int, default=5, help="paired runs per figure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        for users in args.users:
            print(f"\n{users:,} users\n")
            print("| figure | segq ms | hand ms | segq / hand | note |")
            print("| --- | --- | --- | --- | --- |")
            for row in run(users, directory, args.rounds):
                print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
