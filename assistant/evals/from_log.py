"""`segq log to-eval`: turn logged answers into eval cases, so a reviewed answer becomes a test.

The case keeps the question and what the answer was (status, the definition it described,
or for an answered question its SQL as a *skeleton*). Gold SQL must be written independently
over the raw tables, so an answered case is written with a `confirm` note and the answer's
own SQL: scoring it as is would only test that segq agrees with itself.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

CONFIRM = ("gold SQL skeleton copied from the answer: rewrite it over the raw tables from the "
           "spec (or confirm it by hand) before relying on this case")


def case_id(record: dict[str, Any]) -> str:
    words = re.findall(r"[a-z0-9]+", (record.get("question") or "").lower())[:6]
    return "-".join(["log", *words, record["id"].removeprefix("q_")[:6]])


def eval_case(record: dict[str, Any]) -> dict[str, Any]:
    """One eval case (SPEC §5 format) from one `QueryLog.get` record."""
    plan = record.get("plan") or {}
    case: dict[str, Any] = {"id": case_id(record), "question": record["question"]}
    if record["status"] in ("clarify", "refused"):
        case["expect"] = {"status": record["status"]}
    elif plan.get("intent") == "definition" and record.get("definitions"):
        case["expect"] = {"definition": record["definitions"][0]["name"]}
    elif record["status"] == "answered" and record.get("sql"):
        case["expect"] = {"sql": record["sql"]}
        case["confirm"] = CONFIRM
    else:
        case["expect"] = {"status": "answered"}
        case["confirm"] = f"the log recorded status {record['status']}: say what should happen"
    case["from_log"] = {"answer": record["id"], "status": record["status"],
                        "plan": plan or None}
    return case


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (SQL) as `|` blocks, so a case file reads like the SQL it holds."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def eval_cases_yaml(records: list[dict[str, Any]]) -> str:
    cases = [eval_case(r) for r in records]
    return yaml.dump(cases, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
