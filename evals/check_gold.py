"""Run every gold SQL in the eval suites and report failures and empty results.

Gold answers are only useful if they execute and return something on the demo warehouse: an
empty gold result would let a wrong answer (an empty one) pass. This script is deliberately
independent of the product code apart from `assistant.demo`, which it uses only to build a
warehouse when none is given.

    python evals/check_gold.py [--warehouse PATH] [--list-limit N] [FILE_OR_DIR ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import yaml

EVALS_DIR = Path(__file__).resolve().parent


def _case_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        else:
            files.append(path)
    return files


def _build_demo() -> Path:
    sys.path.insert(0, str(EVALS_DIR.parent))
    from assistant.demo import build_demo  # imported late: only needed without --warehouse

    path = Path(tempfile.mkdtemp(prefix="segq-gold-")) / "demo.duckdb"
    build_demo(path, users=20000, seed=42)
    return path


def _is_empty(rows: list[tuple[Any, ...]]) -> bool:
    """No rows, or a single all-zero/NULL row (a count of nothing)."""
    if not rows:
        return True
    return len(rows) == 1 and all(v is None or v == 0 for v in rows[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[EVALS_DIR])
    parser.add_argument("--warehouse", type=Path, help="DuckDB file (default: build a demo)")
    parser.add_argument(
        "--list-limit",
        type=int,
        default=1000,
        help="warn when a gold result has more rows than this (answers may be truncated)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print every case")
    args = parser.parse_args(argv)

    warehouse = args.warehouse or _build_demo()
    con = duckdb.connect(str(warehouse), read_only=True)
    failures: list[str] = []
    warnings: list[str] = []
    checked = 0
    for file in _case_files(args.paths):
        for case in yaml.safe_load(file.read_text()) or []:
            sql = (case.get("expect") or {}).get("sql")
            if sql is None:
                continue
            checked += 1
            where = f"{file.name}:{case['id']}"
            started = time.perf_counter()
            try:
                rows = con.execute(sql).fetchall()
            except duckdb.Error as exc:
                failures.append(f"{where}: ERROR {exc}")
                continue
            elapsed = (time.perf_counter() - started) * 1000
            if _is_empty(rows):
                failures.append(f"{where}: EMPTY {rows[:1]}")
            elif len(rows) > args.list_limit:
                warnings.append(f"{where}: {len(rows)} rows (> {args.list_limit})")
            if args.verbose:
                preview = rows[0] if len(rows) == 1 else f"{len(rows)} rows, first {rows[:1]}"
                print(f"{where}: {preview} ({elapsed:.0f} ms)")
    for line in warnings:
        print(f"WARN  {line}")
    for line in failures:
        print(f"FAIL  {line}")
    print(f"{checked} gold queries on {warehouse}: {len(failures)} failed or empty")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
