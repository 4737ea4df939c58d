"""`segq` command line: wiring only. Each subcommand lives in its own module with `register`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from assistant.config import load_config
from assistant.errors import SegqError


def build_parser() -> argparse.ArgumentParser:
    from assistant.cli import ask, cluster, demo, eval, log, models, query, slack, web, why

    parser = argparse.ArgumentParser(
        prog="segq",
        description="Ask plain-language questions of governed segment definitions.",
    )
    parser.add_argument("--config", help="config file (YAML); env SEGQ_CONFIG")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (ask, query, models, cluster, demo, eval, log, slack, web, why):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not logging.getLogger().handlers:  # progress notes (e.g. the first demo build) on stderr
        logging.basicConfig(level=logging.WARNING, format="segq: %(message)s")
        logging.getLogger("segq").setLevel(logging.INFO)
    try:
        config = load_config(args.config)
        return int(args.handler(args, config) or 0)
    except BrokenPipeError:  # `segq ask ... | head`: the reader left, nothing to report
        sys.stderr.close()
        return 0
    except SegqError as exc:
        print(f"segq: {exc.message}", file=sys.stderr)
        for issue in getattr(exc, "issues", []) or []:
            print(f"  {issue}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
