"""`segq eval FILE...`: run question sets with gold answers; report pass and wrong rates."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path

from assistant.config import SETTINGS, Config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="run eval suites (YAML files or directories)")
    p.add_argument("paths", nargs="*", type=Path, help="eval suites (not with --compare)")
    p.add_argument("--compare", nargs=2, metavar=("RUN_A", "RUN_B"),
                   help="list the cases that fail in RUN_B but passed in RUN_A (new failures) "
                   "and the reverse (fixes), from the query log; exit 1 on a new failure")
    p.add_argument("--json", action="store_true", help="print summary and every case as JSON")
    p.add_argument("--min-pass", type=float, default=0.0,
                   help="exit 1 when the overall pass rate is below this (0..1)")
    p.add_argument("--max-wrong", type=int, default=None, metavar="N",
                   help="exit 1 when more than N answers are wrong (answered, but not the gold)")
    p.add_argument("--allow-restricted-gold", action="store_true",
                   help="run gold SQL that reads restricted (PII) columns; values stay masked")
    p.add_argument("--planner", choices=["rules", "llm", "auto"], help="override SEGQ_PLANNER")
    p.add_argument("--no-log", action="store_true", help="do not record the run in the query log")
    p.set_defaults(handler=run)


def compare(args: argparse.Namespace, config: Config) -> int:
    from assistant.errors import ConfigError
    from assistant.querylog import QueryLog

    log = QueryLog(config.query_log)
    known = {r["eval_run"] for r in log.eval_runs()}
    for run_id in args.compare:
        if run_id not in known:
            from assistant.messages import did_you_mean

            raise ConfigError(f"Eval run `{run_id}` is not in the query log {log.path}."
                              f"{did_you_mean(run_id, sorted(known))} `segq log stats --source "
                              "eval` lists the runs.")
    result = log.eval_compare(*args.compare)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print(f"{result['run_a']} ({result['cases_a']} cases) -> {result['run_b']} "
              f"({result['cases_b']} cases)")
        for title, key in (("New failures", "regressions"), ("Fixes", "fixes")):
            print(f"{title} ({len(result[key])}):")
            for case in result[key]:
                print(f"  {case['eval_case']}: {case['question']} (now {case['status']}, "
                      f"{case['id']}; before {case['before']})")
        for key, label in (("only_in_a", "only in A"), ("only_in_b", "only in B")):
            if result[key]:
                print(f"Cases {label}: {', '.join(result[key])}")
    return 1 if result["regressions"] else 0


_DEFAULT_WAREHOUSE = next(s.default for s in SETTINGS if s.name == "warehouse")


def _by_setup(cases: list) -> dict[tuple[str, str], list]:
    """Cases grouped by the models and as-of date their suite asks for, in first-seen order."""
    groups: dict[tuple[str, str], list] = {}
    for case in cases:
        groups.setdefault(case.setup, []).append(case)
    return groups


def run(args: argparse.Namespace, config: Config) -> int:
    if args.compare:
        if args.paths:
            from assistant.errors import ConfigError

            raise ConfigError("`segq eval --compare RUN_A RUN_B` takes no suite files.")
        return compare(args, config)
    if not args.paths:
        from assistant.errors import ConfigError

        raise ConfigError("`segq eval` needs suite files or directories, or --compare A B.")
    from assistant.evals import GoldQueries, format_summary, load_cases, run_cases
    from assistant.evals.report import EvalReport
    from assistant.pipeline import Assistant
    from assistant.querylog import QueryLog

    if args.planner:
        config = config.replace(planner=args.planner)
    cases = load_cases(args.paths)
    log = None if args.no_log else QueryLog(config.query_log)
    run_id = "eval_" + uuid.uuid4().hex[:10]

    def record(result) -> None:
        if log is not None:
            log.record(result.answer, source="eval", eval_run=run_id, eval_case=result.case.id,
                       eval_passed=result.passed)

    results, names = [], set()
    # Cases run in groups that share a setup: a suite with its own `semantic_models` (a dbt
    # project, a Cube folder...) gets an assistant over those models and their example data.
    for (models, as_of), group in _by_setup(cases).items():
        changes: dict = {}
        if models:  # its example's data, whatever warehouse is configured for the rest
            changes = {"semantic_models": models, "warehouse": _DEFAULT_WAREHOUSE}
        if as_of:
            changes["as_of"] = as_of
        assistant = Assistant(config.replace(**changes) if changes else config)

        def ask(question: str, assistant: Assistant = assistant) -> dict:
            return assistant.ask(question, source="eval").log_dict()

        # Gold runs on the product's own read-only, locked-down warehouse, with its cap and
        # timeout.
        gold = GoldQueries(assistant.warehouse, assistant.catalog,
                           allow_restricted=args.allow_restricted_gold)
        results += run_cases(group, ask, gold, on_result=record).results
        names |= {*assistant.catalog.segments, *assistant.catalog.metrics}
    report = EvalReport(results, governed_names=frozenset(names))
    if args.json:
        print(json.dumps(report.to_json_dict(), indent=2, default=str))
    else:
        print(format_summary(report))
        print(f"run id: {run_id}")
    summary = report.summary()
    code = 0
    if summary["pass_rate"] < args.min_pass:
        print(f"pass rate {summary['pass_rate']:.1%} is below --min-pass {args.min_pass:.1%}",
              file=sys.stderr)
        code = 1
    if args.max_wrong is not None and summary["wrong"] > args.max_wrong:
        wrong = summary["wrong"]
        print(f"{wrong} wrong answer{'s' * (wrong != 1)}, more than --max-wrong {args.max_wrong}",
              file=sys.stderr)
        code = 1
    return code
