"""`segq validate`, `segq fit engagement-score`, `segq schema`: the data team's model tools."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from assistant.config import Config


def register(sub: argparse._SubParsersAction) -> None:
    v = sub.add_parser("validate", help="check the semantic models (CI gate)")
    v.add_argument("path", nargs="?", help="semantic models directory (default: configured)")
    v.add_argument("--no-warehouse", action="store_true",
                   help="skip qualifying and dry-running against the live warehouse")
    v.add_argument("--json", action="store_true")
    v.set_defaults(handler=validate)

    f = sub.add_parser("fit", help="fit fitted definitions from warehouse data")
    f.add_argument("what", choices=["engagement-score"])
    f.add_argument("--dry-run", action="store_true", help="print the weights, write nothing")
    f.set_defaults(handler=fit)

    s = sub.add_parser("schema", help="print the JSON Schema of QueryPlan or the YAML models")
    s.add_argument("what", choices=["plan", "models"])
    s.set_defaults(handler=schema)


def validate(args: argparse.Namespace, config: Config) -> int:
    from assistant.catalog import collect_issues
    from assistant.catalog.check import deep_check

    directory = args.path or config.semantic_models
    catalog, issues = collect_issues(directory)
    issues += _version_issues(directory, config)
    if not [i for i in issues if i.level == "error"]:
        warehouse = None
        if not args.no_warehouse:
            from assistant.pipeline import Assistant

            warehouse = Assistant(config.replace(semantic_models=directory),
                                  catalog=catalog).warehouse
        issues += deep_check(catalog, warehouse, config.as_of)
    errors = [i for i in issues if i.level == "error"]
    if args.json:
        print(json.dumps({"ok": not errors, "issues": [i.__dict__ for i in issues],
                          "segments": len(catalog.segments), "metrics": len(catalog.metrics),
                          "dimensions": len(catalog.dimensions)}, indent=2))
    else:
        for issue in issues:
            print(issue)
        if errors:
            print(f"{len(errors)} error(s) in {directory}")
        else:
            print(f"OK: {len(catalog.segments)} segments, {len(catalog.metrics)} metrics, "
                  f"{len(catalog.dimensions)} dimensions in {directory} compile"
                  + ("" if args.no_warehouse else " and dry-run on the warehouse"))
    return 1 if errors else 0


def _version_issues(directory: str, config: Config) -> list[Any]:
    """Logic changed but version not bumped, against git's previous revision or, outside git,
    the hashes the query log recorded. A log that cannot be read is skipped, not fatal."""
    from assistant.errors import Issue, SegqError
    from assistant.history import version_issues
    from assistant.querylog import QueryLog

    logged: dict[str, list[dict]] = {}
    try:
        if Path(config.query_log).expanduser().exists():
            logged = {e["name"]: e["versions"] for e in
                      QueryLog(config.query_log).definition_history()}
    except SegqError:
        logged = {}
    try:
        return version_issues(directory, logged)
    except Exception as exc:  # a check that crashes is an issue, not a traceback
        return [Issue("warning", f"Versions were not compared with the models' history: {exc}",
                      directory, "version-history")]


def fit(args: argparse.Namespace, config: Config) -> int:
    from assistant.fitting import fit_engagement_score, write_fitted
    from assistant.pipeline import Assistant

    assistant = Assistant(config)
    seg = assistant.catalog.segments["engagement_score"]
    result = fit_engagement_score(assistant.catalog, assistant.warehouse, config.as_of)
    print("feature         correlation  weight")
    for name, corr in result["correlations"].items():
        print(f"{name:<15} {corr:>11.4f}  {result['weights'].get(name, 0):.4f}")
    if not args.dry_run:
        version = write_fitted(Path(assistant.catalog.directory).parent / seg.file, result)
        print(f"wrote weights to {seg.file} as version {version}; review the diff and commit")
    return 0


def schema(args: argparse.Namespace, config: Config) -> int:
    from assistant.schemas import models_schema, plan_schema

    print(json.dumps(plan_schema() if args.what == "plan" else models_schema(), indent=2))
    return 0
