"""Run every gold SQL in the eval suites and report failures and empty results.

Gold answers are only useful if they execute and return something on the warehouse they are
scored against: an empty gold result would let a wrong answer (an empty one) pass. A suite is a
list of cases (run on the demo warehouse, or `--warehouse`) or a mapping with its own
`semantic_models:` and `cases:` (evals/foreign/), whose gold runs on that example's own data.

This script is deliberately independent of the product code apart from two loaders, so that
gold is checked on exactly the tables `segq eval` scores against: `assistant.demo`, used only to
build a demo warehouse when none is given, and `assistant.importers.datasets` (with the cache
folder of `assistant.config`), which loads a mapping-form suite's example data into DuckDB the
way `segq eval` does, once per change of its files. Suites are read here with plain YAML, and
gold runs on a plain read-only DuckDB connection, not through the product's validator.

    python evals/check_gold.py [--warehouse PATH] [--cache-dir DIR] [--list-limit N]
                               [FILE_OR_DIR ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
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


def _read_suite(file: Path) -> tuple[Path | None, list[dict[str, Any]]]:
    """The suite's own models (a mapping-form suite; the path is relative to the file) or None,
    and its cases."""
    data = yaml.safe_load(file.read_text()) or []
    if not isinstance(data, dict):
        return None, data
    models = data.get("semantic_models")
    return ((file.parent / str(models)).resolve() if models else None), data.get("cases") or []


def _use_product() -> None:
    sys.path.insert(0, str(EVALS_DIR.parent))


def _build_demo() -> Path:
    _use_product()
    from assistant.demo import build_demo  # imported late: only needed without --warehouse

    path = Path(tempfile.mkdtemp(prefix="segq-gold-")) / "demo.duckdb"
    build_demo(path, users=20000, seed=42)
    return path


def _example_data(models: Path, cache_dir: Path | None) -> Path | None:
    """The DuckDB file of the example `models` belong to, as `segq eval` builds it, or None."""
    _use_product()
    from assistant.config import CACHE_DIR
    from assistant.importers.datasets import ensure_dataset, find_dataset

    dataset = find_dataset(models)
    return None if dataset is None else ensure_dataset(dataset, cache_dir or CACHE_DIR)


def _is_empty(rows: list[tuple[Any, ...]]) -> bool:
    """No rows, or a single all-zero/NULL row (a count of nothing)."""
    if not rows:
        return True
    return len(rows) == 1 and all(v is None or v == 0 for v in rows[0])


class _Warehouses:
    """Read-only connections, opened (and the demo built) only when a suite needs one."""

    def __init__(self, default: Path | None, cache_dir: Path | None) -> None:
        self._default = default
        self._cache_dir = cache_dir
        self._connections: dict[Path, duckdb.DuckDBPyConnection] = {}

    def for_suite(self, models: Path | None) -> tuple[Path, Callable[[str], list[Any]]]:
        """The suite's warehouse and how to run SQL on it: its example's data, else (a list
        suite, or models without data of their own, as in `segq eval`) the default one."""
        path = _example_data(models, self._cache_dir) if models else None
        if path is None:
            self._default = self._default or _build_demo()
            path = self._default
        if path not in self._connections:
            self._connections[path] = duckdb.connect(str(path), read_only=True)
        con = self._connections[path]
        return path, lambda sql: con.execute(sql).fetchall()

    @property
    def used(self) -> list[Path]:
        return list(self._connections)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[EVALS_DIR])
    parser.add_argument("--warehouse", type=Path,
                        help="DuckDB file for list-form suites (default: build a demo)")
    parser.add_argument("--cache-dir", type=Path,
                        help="where example data is loaded for mapping-form suites "
                             "(default: segq's cache, shared with `segq eval`)")
    parser.add_argument(
        "--list-limit",
        type=int,
        default=1000,
        help="warn when a gold result has more rows than this (answers may be truncated)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print every case")
    args = parser.parse_args(argv)

    warehouses = _Warehouses(args.warehouse, args.cache_dir)
    failures: list[str] = []
    warnings: list[str] = []
    checked = 0
    for file in _case_files(args.paths):
        models, cases = _read_suite(file)
        if models is not None and not models.exists():
            failures.append(f"{file.name}: ERROR semantic_models {models} does not exist")
            continue
        gold = [(case, sql) for case in cases if (sql := (case.get("expect") or {}).get("sql"))]
        if not gold:
            continue
        _, run = warehouses.for_suite(models)
        for case, sql in gold:
            checked += 1
            where = f"{file.name}:{case['id']}"
            started = time.perf_counter()
            try:
                rows = run(sql)
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
    on = ", ".join(map(str, warehouses.used)) or "no warehouse"
    print(f"{checked} gold queries on {on}: {len(failures)} failed or empty")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
