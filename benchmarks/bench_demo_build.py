"""How long the demo warehouse takes to build, and how big it gets, at several sizes.

    python benchmarks/bench_demo_build.py                      # 20,000 and 100,000 users
    python benchmarks/bench_demo_build.py --users 20000 1000000 --seed 7

Each size is built into a fresh temporary directory that is removed afterwards.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from assistant.demo import DEFAULT_SEED, DEFAULT_USERS, DemoStats, build_demo  # noqa: E402 (path set above)

COLUMNS = ("users", "sessions", "events", "orders", "seconds", "MB")


def bench(users: int, seed: int) -> tuple[DemoStats, float]:
    with tempfile.TemporaryDirectory(prefix="segq-bench-") as tmp:
        stats = build_demo(Path(tmp) / "demo.duckdb", users=users, seed=seed)
        return stats, stats.path.stat().st_size / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--users", type=int, nargs="+", default=[DEFAULT_USERS, 100_000], help="sizes to build"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)

    print(" ".join(f"{name:>12}" for name in COLUMNS))
    for users in args.users:
        stats, megabytes = bench(users, args.seed)
        print(
            f"{stats.users:>12,} {stats.sessions:>12,} {stats.events:>12,} {stats.orders:>12,}"
            f" {stats.seconds:>12.2f} {megabytes:>12.1f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
