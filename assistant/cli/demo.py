"""`segq demo build`: (re)build the embedded demo warehouse, swapped in atomically.

One build of a file runs at a time; a second waits `--wait` seconds for it, then stops with
a worded error. A failed build leaves the served file as it was and exits 2, without a
traceback (`assistant.cli.main` prints every `SegqError` as one line).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant.config import Config
from assistant.errors import ConfigError

# The generator (`assistant.demo`) and DuckDB are imported by `run` only, so building the
# parser for another command loads neither; a test pins this equal to `demo.BUILD_WAIT_S`.
WAIT_HELP_S = 5.0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="build the embedded demo warehouse")
    demo_sub = p.add_subparsers(dest="demo_command", required=True, metavar="ACTION")
    b = demo_sub.add_parser("build", help="generate the demo warehouse (deterministic per seed)")
    b.add_argument("--users", type=int, default=None, help="number of users (default 20,000)")
    b.add_argument("--seed", type=int, default=42)
    b.add_argument("--engine", choices=("duckdb", "postgres", "spark"), default=None,
                   help="where to load the demo (default: the engine of the configured "
                        "warehouse); the same rows on every engine")
    b.add_argument("--out", help="DuckDB file, postgresql:// URL (a role that may create "
                   "tables) or Parquet directory / spark://local/DIR to write (default: the "
                   "configured warehouse)")
    b.add_argument("--read-role", help="PostgreSQL role to GRANT SELECT on the demo tables")
    b.add_argument("--wait", type=float, default=None, metavar="SECONDS",
                   help="how long to wait for another build of the same file "
                        f"(default {WAIT_HELP_S:g})")
    b.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from assistant.demo import BUILD_WAIT_S, build_demo
    from assistant.warehouses.base import engine_of, redacted

    target = args.out or config.warehouse
    engine = args.engine or engine_of(target)
    users = args.users or config.demo_users
    if engine != "duckdb":
        from assistant.warehouses.loaders import build_engine_demo

        if args.out is None and engine_of(target) != engine:
            raise ConfigError(f"`--engine {engine}` needs --out (the configured warehouse "
                              f"is a {engine_of(target)} warehouse).")
        stats = build_engine_demo(engine, target, users=users, seed=args.seed,
                                  read_role=args.read_role)
        print(f"loaded the demo into {engine} at {redacted(target)}: {stats.users:,} users, "
              f"{stats.sessions:,} sessions, {stats.events:,} events, {stats.orders:,} orders")
        return 0
    out = Path(target)
    wait_s = BUILD_WAIT_S if args.wait is None else max(0.0, args.wait)
    stats = build_demo(out, users=users, seed=args.seed, wait_s=wait_s)
    print(f"built {out}: {stats.users:,} users, {stats.sessions:,} sessions, "
          f"{stats.events:,} events, {stats.orders:,} orders in {stats.seconds:.1f} s")
    return 0
