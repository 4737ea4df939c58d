"""`segq demo build`: (re)build the embedded demo warehouse, swapped in atomically."""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant.config import Config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="build the embedded demo warehouse")
    demo_sub = p.add_subparsers(dest="demo_command", required=True, metavar="ACTION")
    b = demo_sub.add_parser("build", help="generate the demo warehouse (deterministic per seed)")
    b.add_argument("--users", type=int, default=None, help="number of users (default 20,000)")
    b.add_argument("--seed", type=int, default=42)
    b.add_argument("--out", help="DuckDB file to write (default: the configured warehouse)")
    b.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from assistant.demo import build_demo

    out = Path(args.out or config.warehouse)
    stats = build_demo(out, users=args.users or config.demo_users, seed=args.seed)
    print(f"built {out}: {stats.users:,} users, {stats.sessions:,} sessions, "
          f"{stats.events:,} events, {stats.orders:,} orders in {stats.seconds:.1f} s")
    return 0
