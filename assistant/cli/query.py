"""`segq query`: run a structured QueryPlan (JSON from a file, stdin or flags)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.config import Config
from assistant.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("query", help="run a QueryPlan given as JSON or flags")
    p.add_argument("plan", nargs="?", help="JSON file with a QueryPlan, or - for stdin")
    p.add_argument("--intent", default="count", help="count|list|breakdown|distribution|metric|"
                   "retention|history|definition|catalog")
    p.add_argument("--segment", help="segment[:member], e.g. lifecycle_stage:at_risk")
    p.add_argument("--metric", help="metric name, e.g. revenue")
    p.add_argument("--by", action="append", default=[], help="dimension[:grain], repeatable")
    p.add_argument("--where", action="append", default=[],
                   help="dimension=value[,value], repeatable")
    p.add_argument("--from", dest="start", help="start date (inclusive)")
    p.add_argument("--to", dest="end", help="end date (inclusive)")
    p.add_argument("--set", action="append", default=[], help="parameter=value override")
    p.add_argument("--limit", type=int)
    p.add_argument("--json", action="store_true", help="print the SPEC §5 answer object")
    p.add_argument("--sql", action="store_true", help="also print the SQL")
    p.add_argument("--dialect", help="print the SQL in another sqlglot dialect and exit")
    p.set_defaults(handler=run)


def plan_from_args(args: argparse.Namespace) -> dict:
    if args.plan:
        text = sys.stdin.read() if args.plan == "-" else Path(args.plan).read_text("utf-8")
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"QueryPlan JSON {args.plan}:{exc.lineno} is not valid JSON: "
                              f"{exc.msg}.") from None
    plan: dict = {"intent": args.intent}
    if args.segment:
        name, _, member = args.segment.partition(":")
        plan["segment"] = {"name": name, "member": member or None}
    if args.metric:
        plan["metric"] = {"name": args.metric}
    plan["group_by"] = [dict(zip(("name", "grain"), b.split(":"), strict=False)) for b in args.by]
    plan["filters"] = [{"dimension": w.split("=", 1)[0], "values": w.split("=", 1)[1].split(",")}
                       for w in args.where]
    if args.start or args.end:
        plan["time_range"] = {"start": args.start or "2000-01-01", "end": args.end or "2999-12-31"}
    plan["overrides"] = [{"parameter": s.split("=", 1)[0], "value": float(s.split("=", 1)[1])}
                         for s in args.set]
    if args.limit:
        plan["limit"] = args.limit
    return plan


def run(args: argparse.Namespace, config: Config) -> int:
    from pydantic import ValidationError

    from assistant.cli.ask import build_assistant
    from assistant.plan import QueryPlan
    from assistant.render.terminal import render

    raw = plan_from_args(args)
    try:
        plan = QueryPlan.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"The QueryPlan is invalid at `{where}`: {first['msg']}.") from None
    assistant = build_assistant(config)
    if args.dialect:
        from assistant.compiler import compile_plan

        compiled = compile_plan(plan, assistant.catalog, config.as_of, row_cap=config.row_cap)
        print(compiled.sql(dialect=args.dialect))
        return 0
    answer = assistant.run_plan(plan, source="cli")
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2, default=str))
    else:
        print(render(answer, show_sql=args.sql))
    return 0 if answer.status == "answered" else 1
