"""Cold start of `segq ask` as a new process: this checkout against another revision and the floor.

    python benchmarks/bench_cold.py --ref main --rounds 10
    python benchmarks/bench_cold.py --ref main --rounds 10 --no-cache

Each round runs, interleaved and alternating order: `segq ask QUESTION` from a `git archive`
copy of --ref (put first on `sys.path`), the same from this checkout, and
`python -c "import duckdb; duckdb.connect(DEMO).sql('select 1')"` (the floor). One warm-up run
of each first fills the OS file cache, bytecode and segq's caches (the demo warehouse, the
compiled catalog cache and, without --no-cache, the result cache), as for anyone who asked
before. Prints the median and min wall time and the median CPU time of each, then the median
`-X importtime` self time by top-level package. Bytecode is written (PYTHONDONTWRITEBYTECODE
unset), as in any ordinary install. Both revisions must give the same answer.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from paired import REPO, export_revision

MAIN = "import sys; from assistant.cli import main; sys.exit(main())"
GROUPS = {"_duckdb": "duckdb", "pydantic_core": "pydantic", "annotated_types": "pydantic",
          "typing_inspection": "pydantic", "_yaml": "yaml"}


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def import_self_ms(stderr: str) -> dict[str, float]:
    totals: dict[str, float] = {"all": 0.0}
    for line in stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if found:
            top = found[2].split(".")[0]
            top = GROUPS.get(top, top)
            totals[top] = totals.get(top, 0.0) + int(found[1]) / 1000
            totals["all"] += int(found[1]) / 1000
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="revision to compare with (default main)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--question", default="how many engaged users are there?")
    parser.add_argument("--no-cache", action="store_true", help="pass --no-cache to segq ask")
    args = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["SEGQ_PLANNER"] = "rules"
    with tempfile.TemporaryDirectory() as tmp:
        copy = export_revision(args.ref, Path(tmp) / "ref")
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(copy / "assistant"),
                        str(REPO / "assistant")], env=env, capture_output=True, check=True)
        ask = [sys.executable, "-c", MAIN, "ask", args.question,
               *(["--no-cache"] if args.no_cache else [])]
        from assistant.config import load_config  # where `segq ask` finds the demo

        demo = load_config(environ=env).warehouse
        floor = [sys.executable, "-c", f"import duckdb; duckdb.connect({demo!r}, "
                 "read_only=True).sql('select 1').fetchall()"]
        variants = {args.ref: (ask, dict(env, PYTHONPATH=str(copy))), "this checkout": (ask, env),
                    "floor": (floor, env)}
        answers = {}
        for _ in range(2):  # the first run may build the demo and the caches
            for name, (cmd, cmd_env) in variants.items():
                done = subprocess.run(cmd, env=cmd_env, capture_output=True, text=True,
                                      check=True, cwd=tmp)
                answers[name] = re.sub(r"computed .* UTC", "computed …", done.stdout)
        if answers[args.ref] != answers["this checkout"]:
            sys.exit(f"the answers differ:\n{answers[args.ref]}\n{answers['this checkout']}")
        wall: dict[str, list[float]] = {name: [] for name in variants}
        cpu: dict[str, list[float]] = {name: [] for name in variants}
        for i in range(args.rounds):
            order = list(variants.items())
            for name, (cmd, cmd_env) in order if i % 2 == 0 else reversed(order):
                used, started = cpu_of_children(), time.perf_counter()
                subprocess.run(cmd, env=cmd_env, capture_output=True, check=True, cwd=tmp)
                wall[name].append(time.perf_counter() - started)
                cpu[name].append(cpu_of_children() - used)
        print(f"segq ask {args.question!r}{' --no-cache' if args.no_cache else ''}, "
              f"{args.rounds} rounds, load {os.getloadavg()[0]:.1f}")
        for name in variants:
            print(f"  {name:14s} wall median {statistics.median(wall[name]):.3f} s "
                  f"(min {min(wall[name]):.3f})  cpu median {statistics.median(cpu[name]):.3f} s")
        imports: dict[str, list[dict[str, float]]] = {args.ref: [], "this checkout": []}
        for _ in range(max(3, args.rounds // 2)):
            for name in imports:
                cmd, cmd_env = variants[name]
                done = subprocess.run([cmd[0], "-X", "importtime", *cmd[1:]], env=cmd_env,
                                      capture_output=True, text=True, check=True, cwd=tmp)
                imports[name].append(import_self_ms(done.stderr))
        print("  -X importtime self ms, median:")
        for package in ("all", "assistant", "sqlglot", "pydantic", "duckdb", "yaml"):
            row = "  ".join(f"{name} {statistics.median(r.get(package, 0.0) for r in runs):6.1f}"
                            for name, runs in imports.items())
            print(f"    {package:10s} {row}")


if __name__ == "__main__":
    main()
