"""`segq web`: serve the workbench (a read-only web view of the query log) with waitress."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from assistant.config import Config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("web", help="the data team's workbench: a read-only web view of the log",
                       description="Serve the query log, definition history and eval runs as "
                       "web pages. Binds to 127.0.0.1 unless --host is given, and then only "
                       "with a token.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--token", help="token every request must carry (env SEGQ_WEB_TOKEN); "
                   "required beyond localhost")
    p.add_argument("--no-warehouse", action="store_true",
                   help="do not open the warehouse (no member counts on definition pages)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from assistant.web import check_binding, serve

    token = check_binding(args.host, args.token or config.web_token or None)
    serve(build_app(config, token, warehouse=not args.no_warehouse), args.host, args.port)
    return 0


def build_app(config: Config, token: str | None, *, warehouse: bool = True) -> Any:
    """The workbench app for `config`; with the warehouse opened, definition pages count
    members over time and answer pages can re-run a logged plan to show its rows."""
    from assistant.web import create_app

    counts = rerun = None
    if warehouse:
        from assistant.changes import member_counts
        from assistant.pipeline import Assistant
        from assistant.plan import QueryPlan

        assistant = Assistant(config)  # no query log: the workbench never writes one

        def counts(name: str, member: str | None, dates: list[date]) -> dict[date, int]:
            return member_counts(assistant.catalog, assistant.warehouse, name, member, dates)

        def rerun(plan: dict[str, Any], question: str) -> Any:
            return assistant.run_plan(QueryPlan.model_validate(plan), question=question)

    from assistant.web.leftover import leftover_finder

    return create_app(config.query_log, models_dir=config.semantic_models, token=token,
                      as_of=config.as_of, counts=counts, rerun=rerun,
                      leftover=leftover_finder(config.semantic_models, config.as_of))
