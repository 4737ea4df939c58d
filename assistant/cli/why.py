"""`segq why SEGMENT[:MEMBER]`: why a segment changed between two dates.

Wiring only: the comparison lives in `assistant.changes`. The same answer comes from a
question ("why did lifecycle at-risk grow since last month?") through `segq ask` or Slack.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta

from assistant.config import Config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("why", help="why a segment changed between two dates: joiners, leavers, "
                       "movements, and the definition's part")
    p.add_argument("segment", help="SEGMENT or SEGMENT:MEMBER, e.g. lifecycle_stage:at_risk")
    p.add_argument("--from", dest="start", type=date.fromisoformat,
                   help="earlier date (default: the end of the month before --to)")
    p.add_argument("--to", dest="end", type=date.fromisoformat,
                   help="later date (default: as_of)")
    p.add_argument("--rev", help="compare with the definition at this git revision of the "
                   "models (default: the one before any change committed between the dates)")
    p.add_argument("--json", action="store_true", help="print the answer object")
    p.add_argument("--no-log", action="store_true", help="do not record in the query log")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from assistant.changes import change_answer
    from assistant.cli.ask import build_assistant
    from assistant.errors import ConfigError
    from assistant.messages import did_you_mean
    from assistant.plan import Intent, QueryPlan, SegmentRef, TimeRange
    from assistant.render.terminal import render

    assistant = build_assistant(config, log=not args.no_log)
    catalog = assistant.catalog
    name, _, member = args.segment.partition(":")
    segment = catalog.segments.get(name)
    if segment is None:
        hint = did_you_mean(name, catalog.segments)
        raise ConfigError(f"Segment `{name}` is not governed.{hint}")
    if member and segment.member(member) is None:
        known = [m.name for m in segment.members]
        raise ConfigError(f"Segment `{name}` has no member `{member}`. Members: "
                          f"{', '.join(known) or 'none'}.{did_you_mean(member, known)}")
    end = args.end or config.as_of
    start = args.start or end.replace(day=1) - timedelta(days=1)
    if start >= end:
        raise ConfigError(f"--from {start} must be before --to {end}.")
    plan = QueryPlan(intent=Intent.CHANGE, segment=SegmentRef(name=name, member=member or None),
                     time_range=TimeRange(start=start, end=end, phrase=f"{start} to {end}"))
    question = f"why did {args.segment} change from {start} to {end}?"
    if args.rev:
        try:
            answer = change_answer(question, plan, catalog, assistant.warehouse,
                                   config.semantic_models, revision=args.rev)
        except OSError as exc:
            raise ConfigError(f"Revision `{args.rev}` of the models in "
                              f"{config.semantic_models} cannot be read: {exc}") from None
        answer.planner = "why"
        if assistant.query_log is not None:
            assistant.query_log.record(answer.to_dict(), source="cli")
    else:
        answer = assistant.run_plan(plan, question=question, source="cli")
    if args.json:  # the SPEC §5 answer plus the comparison itself under `change`
        print(json.dumps(answer.to_dict() | {"change": answer.extra.get("change")}, indent=2,
                         default=str))
    else:
        print(render(answer))
    if answer.status != "answered":
        print(f"segq: {answer.message}", file=sys.stderr)
        return 1
    return 0
