"""`segq log`: the data team's window on the query log (list, show, stats, export, history).

Wiring only: every query lives in `assistant.querylog`; this module parses flags and prints
plain aligned tables, or the same data as JSON with `--json`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from assistant.config import Config
from assistant.messages import did_you_mean
from assistant.querylog import EXPORT_FORMATS, FEEDBACK_VALUES, SOURCES, QueryLog

_RELATIVE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
QUESTION_WIDTH = 60


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "log",
        help="review the query log: what was asked, answered, failed",
        description="Review every recorded question: what people ask, what answered it with "
        "which definition version, what failed or could not be answered, and why a number "
        "changed.",
    )
    actions = parser.add_subparsers(dest="log_command", required=True, metavar="ACTION")

    show_list = actions.add_parser("list", help="recent answers, newest first")
    _add_filters(show_list)
    show_list.add_argument("--limit", type=int, default=50, help="most answers shown (50)")
    show_list.add_argument(
        "--feedback", choices=FEEDBACK_VALUES, help="only answers with such a vote, with reasons"
    )
    show_list.set_defaults(handler=list_answers)

    show = actions.add_parser("show", help="everything recorded about one answer")
    show.add_argument("id", help="answer reference, e.g. q_ab12cd34ef56")
    show.set_defaults(handler=show_answer)

    stats = actions.add_parser("stats", help="volume, outcome rates, top and unanswered questions")
    stats.add_argument("--source", choices=SOURCES, help="only answers from this surface")
    stats.add_argument("--since", type=parse_since, help="ISO date/time or an age like 7d, 12h, 2w")
    stats.add_argument("--top", type=int, default=10, help="length of each top list (10)")
    stats.set_defaults(handler=show_stats)

    export = actions.add_parser("export", help="write matching answers as CSV or JSON lines")
    _add_filters(export)
    export.add_argument(
        "--format", choices=EXPORT_FORMATS, help="csv, or jsonl (the default with --json)"
    )
    export.add_argument("--out", help="file to write (default: standard output)")
    export.set_defaults(handler=export_answers)

    history = actions.add_parser(
        "history", help="each hash a definition has had, its users, and changes through what it "
        "requires")
    history.add_argument("name", nargs="?", help="one definition (default: all)")
    history.add_argument("--diff", action="store_true",
                         help="print the YAML diff of each change (from the models' git history)")
    history.set_defaults(handler=show_history)

    to_eval = actions.add_parser("to-eval", help="write logged answers as eval cases (YAML)")
    to_eval.add_argument("ids", nargs="+", metavar="ID", help="answer references")
    to_eval.add_argument("--out", help="append to this eval file (default: standard output)")
    to_eval.set_defaults(handler=answers_to_eval)

    for action in (show_list, show, stats, export, history):
        action.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--status", choices=("answered", "clarify", "refused", "error"))
    parser.add_argument("--source", choices=SOURCES, help="surface that asked")
    parser.add_argument("--user", help="Slack user id, CLI user or principal (cli:ana)")
    parser.add_argument("--group", help="access group the answer was computed for")
    parser.add_argument("--definition", help="definition name or hash prefix it used")
    parser.add_argument("--text", help="part of the question, any case")
    parser.add_argument(
        "--since", type=parse_since, help="ISO date/time or an age like 7d, 12h, 2w"
    )


def parse_since(text: str) -> datetime:
    """`2026-06-01`, `2026-06-01T09:00`, or an age back from now: `12h`, `7d`, `2w`."""
    relative = _RELATIVE.match(text)
    if relative:
        amount, unit = int(relative[1]), _UNITS[relative[2].lower()]
        return datetime.now(UTC) - timedelta(**{unit: amount})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--since `{text}` is neither an ISO date/time (2026-06-01, 2026-06-01T09:00) nor "
            "an age like 7d, 12h or 2w."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    names = ("status", "source", "user", "definition", "text", "since", "group")
    return {name: getattr(args, name, None) for name in names}


# -- handlers ------------------------------------------------------------------------------


def list_answers(args: argparse.Namespace, config: Config) -> int:
    feedback = getattr(args, "feedback", None)
    answers = QueryLog(config.query_log).list(
        **_filters(args), limit=args.limit, feedback=feedback
    )
    if args.json:
        return _print_json(answers)
    if not answers:
        print("No recorded answers match.")
        return 0
    if feedback:
        print(_feedback_table(answers, feedback))
        return 0
    print(
        table(
            ("ID", "WHEN (UTC)", "SOURCE", "USER", "GROUPS", "STATUS", "MS", "QUESTION",
             "DEFINITIONS"),
            [
                (
                    a["id"],
                    _when(a["created_at"]),
                    a["source"],
                    a["user"] or a.get("principal") or "",
                    ",".join(a.get("groups") or []),
                    a["status"],
                    _ms(a["timing_total_ms"]),
                    _clip(a["question"]),
                    ", ".join(_definition_label(d) for d in a["definitions"]),
                )
                for a in answers
            ],
        )
    )
    return 0


def _feedback_table(answers: list[dict[str, Any]], value: str) -> str:
    """One line per vote of that kind: which answer, who, why, in their words."""
    rows = [
        (
            a["id"],
            _when(f["created_at"]),
            f["user"] or "",
            f.get("reason") or "",
            _clip(f.get("comment") or "", 40),
            _clip(a["question"]),
        )
        for a in answers
        for f in a["feedback"]
        if f["value"] == value
    ]
    return table(("ID", "WHEN (UTC)", "USER", "REASON", "COMMENT", "QUESTION"), rows)


def show_answer(args: argparse.Namespace, config: Config) -> int:
    log = QueryLog(config.query_log)
    answer = log.get(args.id)
    if answer is None:
        print(
            f"segq: no answer `{args.id}` in the query log {log.path}. "
            "`segq log list` shows recent ids.",
            file=sys.stderr,
        )
        return 1
    if args.json:
        return _print_json(answer)
    print("\n".join(_answer_lines(answer)))
    return 0


def show_stats(args: argparse.Namespace, config: Config) -> int:
    stats = QueryLog(config.query_log).stats(source=args.source, since=args.since, top=args.top)
    if args.json:
        return _print_json(stats)
    print("\n".join(_stats_lines(stats)))
    return 0


def export_answers(args: argparse.Namespace, config: Config) -> int:
    fmt = args.format or ("jsonl" if args.json else "csv")
    log = QueryLog(config.query_log)
    if not args.out:
        log.export(fmt, sys.stdout, **_filters(args))
        return 0
    with open(args.out, "w", encoding="utf-8", newline="") as out:
        count = log.export(fmt, out, **_filters(args))
    if args.json:
        return _print_json({"exported": count, "format": fmt, "out": args.out})
    print(f"Exported {count} answers as {fmt} to {args.out}.")
    return 0


def show_history(args: argparse.Namespace, config: Config) -> int:
    log = QueryLog(config.query_log)
    history = log.definition_history(args.name)
    if args.name and not history:
        known = [entry["name"] for entry in log.definition_history()]
        print(
            f"segq: definition `{args.name}` has never been recorded in the query log "
            f"{log.path}.{did_you_mean(args.name, known)}",
            file=sys.stderr,
        )
        if args.json:
            _print_json([])
        return 1
    from assistant.history import with_dependencies

    everything = history if not args.name else log.definition_history()
    history = with_dependencies(history, everything, config.semantic_models)
    if args.json:
        return _print_json(history)
    if not history:
        print("No definitions recorded yet.")
        return 0
    print("\n\n".join("\n".join(_history_lines(entry, diff=args.diff)) for entry in history))
    return 0


def answers_to_eval(args: argparse.Namespace, config: Config) -> int:
    """Eval cases from logged answers; an unknown id is an error and nothing is written."""
    from assistant.evals.from_log import eval_cases_yaml

    log = QueryLog(config.query_log)
    records = [log.get(answer_id) for answer_id in args.ids]
    missing = [i for i, r in zip(args.ids, records, strict=True) if r is None]
    if missing:
        print(f"segq: no answer {', '.join(f'`{m}`' for m in missing)} in the query log "
              f"{log.path}; nothing written. `segq log list` shows recent ids.", file=sys.stderr)
        return 1
    text = eval_cases_yaml([r for r in records if r is not None])
    if not args.out:
        print(text, end="")
        return 0
    with open(args.out, "a", encoding="utf-8") as out:
        out.write(text)
    print(f"Wrote {len(records)} eval case{'s' * (len(records) != 1)} to {args.out}; confirm "
          "each gold SQL skeleton before relying on it.")
    return 0


# -- text rendering ------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], indent: str = "") -> str:
    """Plain left-aligned columns separated by two spaces; no trailing blanks."""
    cells = [[str(h) for h in headers], *[["" if v is None else str(v) for v in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(
        indent
        + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


def _answer_lines(a: dict[str, Any]) -> list[str]:
    where = ", ".join(
        f"{label} {a[key]}"
        for label, key in (("user", "user"), ("channel", "channel"), ("thread", "thread_ts"))
        if a[key]
    )
    how = ", ".join(
        part
        for part in (
            f"planner {a['planner']}" if a["planner"] else "",
            f"confidence {a['confidence']:.2f}" if a["confidence"] is not None else "",
            f"intent {a['intent']}" if a["intent"] else "",
        )
        if part
    )
    lines = [
        f"{a['id']}  {_when(a['created_at'], seconds=True)} UTC  from {a['source']}"
        + (f" ({where})" if where else ""),
        f"Question:  {a['question']}",
        f"Status:    {a['status']}" + (f" ({how})" if how else ""),
        f"Message:   {a['message'] or ''}",
    ]
    if a.get("principal"):
        lines.append(f"Principal: {a['principal']} (groups {', '.join(a.get('groups') or [])})")
    if a["error"]:
        lines.append(f"Error:     {a['error']}")
    if a["status"] == "answered":
        columns = ", ".join(a["columns"])
        lines.append(
            f"Rows:      {a['row_count']}{' (truncated)' if a['truncated'] else ''}"
            + (f" with columns {columns}" if columns else "")
        )
    if a["timings_ms"]:
        lines.append(
            "Timings:   " + ", ".join(f"{k} {_ms(v)} ms" for k, v in a["timings_ms"].items())
        )
    if a.get("delivery"):
        ts = f" (message ts {a['delivered_ts']})" if a.get("delivered_ts") else ""
        lines.append(f"Delivery:  {a['delivery']}{ts}")
    if a.get("followup_of"):
        lines.append(f"Follow-up: carried over the plan of {a['followup_of']} in its thread")
    if a["eval_run"] or a["eval_case"]:
        verdict = {True: "passed", False: "failed", None: "not judged"}[a["eval_passed"]]
        lines.append(f"Eval:      run {a['eval_run']}, case {a['eval_case']}, {verdict}")
    if a["definitions"]:
        lines += ["", "Definitions used:"]
        rows = [
            (
                d["name"] + (f".{d['member']}" if d["member"] else ""),
                d["kind"],
                d["version"],
                d["hash"],
                d["source"],
                ", ".join(f"{k}={_num(v)}" for k, v in d["overrides"].items()),
            )
            for d in a["definitions"]
        ]
        lines.append(table(("NAME", "KIND", "VERSION", "HASH", "SOURCE", "OVERRIDES"), rows, "  "))
    if a["candidates"]:
        lines += ["", "Candidates offered:"]
        lines += [f"  {_candidate_label(c)}" for c in a["candidates"]]
    if a["sql"]:
        lines += ["", "SQL:", *(f"  {line}" for line in a["sql"].splitlines())]
    if a["plan"]:
        plan = json.dumps(a["plan"], indent=2, ensure_ascii=False)
        lines += ["", "Plan:", *(f"  {line}" for line in plan.splitlines())]
    if a["feedback"]:
        lines += ["", "Feedback:"]
        lines += [
            f"  {f['value']} by {f['user'] or 'anonymous'} at {_when(f['created_at'])}"
            + (f": {f['reason']}" if f.get("reason") else "")
            + (f" \"{f['comment']}\"" if f.get("comment") else "")
            for f in a["feedback"]
        ]
    return lines


def _stats_lines(s: dict[str, Any]) -> list[str]:
    scope = f"source {s['source'] or 'all'}" + (
        f", since {_when(s['since'])}" if s["since"] else ""
    )
    lines = [f"Answers: {s['total']} ({scope})"]
    if not s["total"]:
        return lines
    if s["people"] != s["total"]:
        lines.append(f"People's questions (every source but eval): {s['people']}")
    lines.append(
        table(
            ("STATUS", "COUNT", "RATE"),
            [(k, v["count"], f"{v['rate']:.1%}") for k, v in s["by_status"].items()],
            "  ",
        )
    )
    lines.append("By source: " + ", ".join(f"{k} {v}" for k, v in s["by_source"].items()))
    votes = s["feedback"]
    lines.append(f"Feedback: {votes['up']} up, {votes['down']} down")
    if s["top_questions"]:
        lines += ["", "Top questions:"]
        rows: list[tuple[Any, ...]]
        rows = [(q["count"], _clip(q["question"]), q["last_id"]) for q in s["top_questions"]]
        lines.append(table(("COUNT", "QUESTION", "LATEST"), rows, "  "))
    if s["top_unanswered"]:
        lines += ["", "Top unanswered (the backlog for new definitions):"]
        rows = [
            (q["count"], q["last_status"], _clip(q["question"]), q["last_id"])
            for q in s["top_unanswered"]
        ]
        lines.append(table(("COUNT", "LAST STATUS", "QUESTION", "LATEST"), rows, "  "))
    if s["slowest"]:
        lines += ["", "Slowest answers:"]
        rows = [
            (_ms(a["timing_total_ms"]), a["id"], a["status"], _clip(a["question"]))
            for a in s["slowest"]
        ]
        lines.append(table(("MS", "ID", "STATUS", "QUESTION"), rows, "  "))
    if s["eval_runs"]:
        lines += ["", "Eval runs:"]
        rows = [
            (
                r["eval_run"],
                _when(r["started_at"]),
                r["cases"],
                r["passed"],
                "-" if r["pass_rate"] is None else f"{r['pass_rate']:.1%}",
            )
            for r in s["eval_runs"]
        ]
        lines.append(table(("RUN", "STARTED (UTC)", "CASES", "PASSED", "PASS RATE"), rows, "  "))
    return lines


def _history_lines(entry: dict[str, Any], diff: bool = False) -> list[str]:
    changes = len(entry["versions"]) - 1
    note = f"hash changed {changes} time{'s' if changes != 1 else ''}" if changes else "unchanged"
    through = entry.get("changed_through") or []
    if through:
        note += ("; " if changes else " itself; ") + "changed through " + ", ".join(
            f"{t['name']}{' (via ' + ' -> '.join(t['via'][:-1]) + ')' if len(t['via']) > 1 else ''}"
            f" (hash changed {t['hash_changes']} time{'s' if t['hash_changes'] != 1 else ''})"
            for t in through)
    rows = [
        (
            v["version"],
            v["hash"],
            _when(v["first_seen"]),
            _when(v["last_seen"]),
            v["answers"],
            ", ".join(v["answer_ids"][:3]) + (" ..." if v["answers"] > 3 else ""),
            v["source"],
        )
        for v in entry["versions"]
    ]
    headers = ("VERSION", "HASH", "FIRST SEEN", "LAST SEEN", "ANSWERS", "LATEST", "SOURCE")
    lines = [f"{entry['name']} ({entry['kind']}): {note}", table(headers, rows, "  ")]
    if entry.get("requires"):
        lines.append(f"  requires: {', '.join(entry['requires'])}")
    if entry.get("changes"):
        lines.append("  Changes in the models' git history (newest first, with what it requires):")
        for c in entry["changes"]:
            via = ""
            if c["via"]:
                via = " (required" + (f", via {' -> '.join(c['via'][:-1])}"
                                      if len(c["via"]) > 1 else "") + ")"
            added = c["version_before"] is None
            versions = (f"added as v{c['version_after']}" if added
                        else f"v{c['version_before']} -> v{c['version_after']}")
            words = "" if added else ": " + "; ".join(c["words"])
            lines.append(f"    {c['commit'][:10]} {_when(c['when'])} {c['author']}: "
                         f"{c['name']}{via} {versions}{words}")
            if diff and c["diff"] and not added:
                lines += [f"      {line}" for line in c["diff"].splitlines()]
    return lines


def _definition_label(d: dict[str, Any]) -> str:
    member = f".{d['member']}" if d.get("member") else ""
    return f"{d['name']}{member} v{d['version']}"


def _candidate_label(c: Any) -> str:
    if not isinstance(c, dict):
        return str(c)
    name = c.get("name", "") + (f".{c['member']}" if c.get("member") else "")
    return f"{name} ({c.get('label') or c.get('kind') or ''})".replace(" ()", "")


def _when(iso: str | None, seconds: bool = False) -> str:
    """Stored times are fixed-width UTC ISO text; show them without the noise."""
    return "" if not iso else iso[: 19 if seconds else 16].replace("T", " ")


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _clip(text: str, width: int = QUESTION_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _print_json(data: Any) -> int:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default))
    return 0


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
