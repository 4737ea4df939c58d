"""`segq ask "QUESTION"`: a plain-language question, answered from governed definitions."""

from __future__ import annotations

import argparse
import csv
import gc
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from assistant.config import Config

if TYPE_CHECKING:
    from assistant.catalog.models import Metric, Segment
    from assistant.pipeline import Assistant


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="ask a plain-language question")
    p.add_argument("question", help='e.g. "how many engaged users are on the pro plan?"')
    p.add_argument("--json", action="store_true", help="print the SPEC §5 answer object")
    p.add_argument("--sql", action="store_true", help="also print the SQL that ran")
    p.add_argument("--csv", metavar="FILE", help="write all result rows to a CSV file")
    p.add_argument("--choice", help="answer a clarification with this candidate (NAME[:MEMBER])")
    p.add_argument("--planner", choices=["rules", "llm", "auto"], help="override SEGQ_PLANNER")
    p.add_argument("--no-log", action="store_true", help="do not record in the query log")
    p.add_argument("--no-cache", action="store_true",
                   help="run the query even if the result cache holds its rows")
    p.set_defaults(handler=run)


def build_assistant(config: Config, *, log: bool = True) -> Assistant:
    from assistant.pipeline import Assistant
    from assistant.querylog import QueryLog

    assistant = Assistant(config, query_log=QueryLog(config.query_log) if log else None)
    if log and assistant.query_log is not None:
        catalog = assistant.catalog
        objects: list[Segment | Metric] = [*catalog.segments.values(), *catalog.metrics.values()]
        assistant.query_log.record_catalog([
            {"name": o.name, "kind": o.kind, "version": o.version, "hash": o.hash,
             "source": o.source}
            for o in objects
        ])
    return assistant


@contextmanager
def cycles_kept() -> Iterator[None]:
    """No cyclic garbage collection while one question is answered.

    Nearly all of a cold `segq ask` is importing (sqlglot, pydantic, DuckDB, the planner),
    which triggers ~160 collections, ~40 ms; what they would free is a few sqlglot trees.
    Objects without cycles are still freed at once, and collection resumes afterwards (the
    process usually exits; a caller asking in-process, as tests do, gets it back)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run(args: argparse.Namespace, config: Config) -> int:
    with cycles_kept():
        return _run(args, config)


def _run(args: argparse.Namespace, config: Config) -> int:
    from assistant.render.terminal import render

    if args.planner:
        config = config.replace(planner=args.planner)
    if args.no_cache:
        config = config.replace(result_cache=False)
    assistant = build_assistant(config, log=not args.no_log)
    answer = assistant.ask(args.question, source="cli", choice=args.choice)
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2, default=str))
    else:
        print(render(answer, show_sql=args.sql))
    if args.csv and answer.columns:
        with open(args.csv, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(answer.columns)
            writer.writerows(answer.to_dict()["rows"])
        print(f"wrote {answer.row_count:,} rows to {args.csv}", file=sys.stderr)
    return 0 if answer.status in ("answered", "clarify", "refused") else 1
