"""The workbench's pages: overview, answers, one answer, backlog, feedback, likely wrong,
definitions, eval runs. Each route reads the request's filters, asks `Workbench`, renders."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask, Response, abort, current_app, request

from assistant import history
from assistant.web.app import page, workbench

ANSWER_FILTERS = ("status", "source", "user", "definition", "feedback", "planner", "text")


def register(app: Flask) -> None:
    app.add_url_rule("/", "overview", overview)
    app.add_url_rule("/answers", "answers", answers)
    app.add_url_rule("/answers/<answer_id>", "answer", answer)
    app.add_url_rule("/answers/<answer_id>/eval.yaml", "answer_eval", answer_eval)
    app.add_url_rule("/answers/<answer_id>/rows", "answer_rows", answer_rows)
    app.add_url_rule("/backlog", "backlog", backlog)
    app.add_url_rule("/feedback", "feedback", feedback)
    app.add_url_rule("/likely-wrong", "likely_wrong", likely_wrong)
    app.add_url_rule("/definitions", "definitions", definitions)
    app.add_url_rule("/definitions/<name>", "definition", definition)
    app.add_url_rule("/evals", "evals", evals)


def _source() -> str | None:
    return request.args.get("source") or None


def overview() -> str:
    data = workbench().overview(source=_source())
    peak = max([d["total"] for d in data["days"]] or [1])
    return page("overview.html", data=data, peak=peak, source=_source())


def answers() -> str:
    chosen: dict[str, Any] = {k: request.args.get(k) or None for k in ANSWER_FILTERS}
    confidence = request.args.get("max_confidence") or None
    try:
        max_confidence = float(confidence) if confidence else None
    except ValueError:
        max_confidence = None
    found = workbench().answers(max_confidence=max_confidence, **chosen)
    return page("answers.html", answers=found, chosen=chosen, max_confidence=confidence or "",
                users=workbench().users(), planners=workbench().planners())


def answer(answer_id: str) -> str:
    record = workbench().get(answer_id)
    if record is None:
        abort(404)
    diffs = _definition_diffs(record["definitions"])
    can_rerun = bool(current_app.config["RERUN"] and record.get("plan")
                     and record["plan"].get("intent") not in ("definition", "catalog"))
    return page("answer.html", a=record, thread=workbench().thread(record), diffs=diffs,
                can_rerun=can_rerun)


ROWS_SHOWN = 100


def answer_rows(answer_id: str) -> str:
    """The rows of a logged answer, computed again from its plan (the log keeps no rows)."""
    record = workbench().get(answer_id)
    rerun = current_app.config["RERUN"]
    if record is None or not record.get("plan") or rerun is None:
        abort(404)
    again = rerun(record["plan"], record["question"])
    now = {d.name: d.hash for d in again.definitions}
    changed = [d["name"] for d in record["definitions"] if now.get(d["name"]) != d["hash"]]
    return page("rows.html", a=record, again=again, rows=again.rows[:ROWS_SHOWN],
                shown=ROWS_SHOWN, changed=changed)


def answer_eval(answer_id: str) -> Response:
    from assistant.evals.from_log import eval_cases_yaml

    record = workbench().get(answer_id)
    if record is None:
        abort(404)
    return Response(eval_cases_yaml([record]), mimetype="text/yaml", headers={
        "Content-Disposition": f'attachment; filename="{answer_id}.eval.yaml"'})


def _definition_diffs(used: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each definition an answer used: what its version changed, and what changed since."""
    models = current_app.config["MODELS_DIR"]
    if not models:
        return []
    found = history.states(models)
    current = found[-1][1]
    out = []
    for d in used:
        changes = history.timeline(models, d["name"], found)
        made = next((c for c in reversed(changes)
                     if c.name == d["name"] and c.hash_after == d["hash"]), None)
        then = history.node_with_hash(found, d["name"], d["hash"])
        now = current.get(d["name"])
        since = None
        if then is not None and now is not None and history.content_hash(now[1]) != d["hash"]:
            since = history.yaml_diff(then, now[1], now[2])
        out.append({"name": d["name"], "hash": d["hash"], "version": d["version"],
                    "made": made, "since": since, "known": then is not None})
    return out


def backlog() -> str:
    return page("backlog.html", groups=workbench().backlog(source=_source()))


def feedback() -> str:
    return page("feedback.html", votes=workbench().thumbs_down(source=_source()),
                choices=workbench().choices())


def likely_wrong() -> str:
    causes = workbench().likely_wrong(source=_source(),
                                      leftover=current_app.config["LEFTOVER"])
    return page("likely_wrong.html", causes=causes)


def definitions() -> str:
    models = current_app.config["MODELS_DIR"]
    nodes = history.working_nodes(models) if models else {}
    logged = {e["name"]: e for e in workbench().definition_history()}
    rows = [{"name": name, "kind": kind, "version": node.get("version"), "file": file,
             "hash": history.content_hash(node), "requires": node.get("requires") or [],
             "logged": len(logged.get(name, {}).get("versions", []))}
            for name, (kind, node, file) in sorted(nodes.items()) if kind != "dimension"]
    return page("definitions.html", rows=rows)


def definition(name: str) -> str:
    models = current_app.config["MODELS_DIR"]
    if not models:
        abort(404)
    found = history.states(models)
    current = found[-1][1].get(name)
    if current is None:
        abort(404)
    changes = list(reversed(history.timeline(models, name, found)))
    logged = next(iter(workbench().definition_history(name)), None)
    requires = history.closure(found[-1][1], name)
    usage = workbench().definition_usage(name, tuple(n for n in requires if n != name))
    return page("definition.html", name=name, kind=current[0], node=current[1],
                file=current[2], changes=changes, logged=logged, usage=usage,
                counts=_counts(name, current[1]), requires=requires)


def _counts(name: str, node: dict[str, Any]) -> list[dict[str, Any]]:
    """Members at the last six month ends up to as_of, when a warehouse is attached."""
    counter, as_of = current_app.config["COUNTS"], current_app.config["AS_OF"]
    if counter is None or as_of is None:
        return []
    ends = month_ends(as_of, 6)
    members: list[str | None] = [str(m["name"]) for m in node.get("members") or []] or [None]
    rows = []
    for member in members:
        try:
            by_date = counter(name, member, ends)
        except Exception:  # a count that cannot run is left out of the page, not fatal
            return []
        rows.append({"member": member or name, "counts": [by_date.get(d) for d in ends]})
    return [{"dates": ends, "rows": rows}]


def month_ends(as_of: date, n: int) -> list[date]:
    """The last `n` month ends on or before `as_of`, oldest first, `as_of` itself last."""
    out = [as_of]
    year, month = as_of.year, as_of.month
    while len(out) < n:
        first = date(year, month, 1)
        out.append(date.fromordinal(first.toordinal() - 1))
        year, month = out[-1].year, out[-1].month
    return sorted(set(out))


def evals() -> str:
    runs = workbench().eval_runs()
    run_a, run_b = request.args.get("a"), request.args.get("b")
    if not run_a and len(runs) >= 2:
        run_a, run_b = runs[-2]["eval_run"], runs[-1]["eval_run"]
    compared = workbench().eval_compare(run_a, run_b) if run_a and run_b else None
    return page("evals.html", runs=runs, compared=compared, run_a=run_a, run_b=run_b)
