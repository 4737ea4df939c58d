"""Answers that explain governed definitions instead of querying data."""

from __future__ import annotations

from pathlib import Path

from assistant.answer import Answer, DefinitionUsed
from assistant.catalog.models import Catalog, Metric, Segment
from assistant.compiler.clusters import fit_summary, strongest_features
from assistant.errors import CompileError
from assistant.messages import unknown_object
from assistant.plan import QueryPlan


def _lookup(catalog: Catalog, name: str) -> Segment | Metric:
    obj = catalog.segments.get(name) or catalog.metrics.get(name)
    if obj is None:
        raise CompileError(unknown_object("definition", name,
                                          [*catalog.segments, *catalog.metrics]))
    return obj


def definition_used(catalog: Catalog, name: str, member: str | None = None) -> DefinitionUsed:
    obj = _lookup(catalog, name)
    fit = fit_summary(obj) if isinstance(obj, Segment) else ""
    return DefinitionUsed(obj.name, obj.kind, obj.version, obj.hash, obj.source, obj.owner,
                          obj.label, member, fit=fit)


def definition_text(catalog: Catalog, name: str) -> str:
    """The YAML block of a definition, exactly as governed in its file."""
    obj = _lookup(catalog, name)
    file, _, line = obj.source.rpartition(":")
    root = Path(catalog.directory)  # sources are shown relative to the folder's parent; a
    root = root.parent if root.is_file() else root  # single model file is in its folder
    lines = (root.parent / file).read_text(encoding="utf-8").splitlines()
    start = int(line) - 1
    first = lines[start]
    indent = len(first) - len(first.lstrip(" -"))
    block = [first]
    for text in lines[start + 1:]:
        stripped = text.lstrip(" ")
        if stripped and (len(text) - len(stripped) < indent or (
                len(text) - len(stripped) == indent - 2 and stripped.startswith("- "))):
            break
        block.append(text)
    while block and not block[-1].strip():
        block.pop()
    return "\n".join(block)


def definition_answer(question: str, plan: QueryPlan, catalog: Catalog) -> Answer:
    name = plan.segment.name if plan.segment else plan.metric.name if plan.metric else ""
    obj = _lookup(catalog, name)
    member = plan.segment.member if plan.segment else None
    text = f"{obj.label} (`{obj.name}` v{obj.version}, owner {obj.owner or 'unassigned'}): "
    text += obj.description
    columns: list[str] = []
    rows: list[list[object]] = []
    if isinstance(obj, Segment):
        if member and obj.member(member):
            m = obj.member(member)
            assert m is not None
            rule = m.when or ", ".join(f"{c} {lo}-{hi}" for c, lo, hi in m.match) or "otherwise"
            if m.centroid:
                rule = f"the users nearest its centroid ({strongest_features(m)})"
            text += f" Member `{m.name}` ({m.label}): {rule}."
        if obj.parameters:
            text += " Parameters: " + "; ".join(
                f"{p.name} = {p.default:g} (allowed {p.min:g}..{p.max:g})" for p in obj.parameters
            ) + "."
        columns = ["member", "label", "rule (first match wins)"]
        if obj.is_cluster:
            text += _cluster_text(obj)
            columns[2] = "centroid: strongest features (sd from the mean)"
        for m in obj.members:
            if obj.is_cluster:
                rows.append([m.name, m.label, strongest_features(m)])
                continue
            rule = m.when if m.when else ", ".join(
                f"{c} between {lo} and {hi}" for c, lo, hi in m.match) or "otherwise"
            rows.append([m.name, m.label, "otherwise" if rule.upper() == "TRUE" else rule])
        if not obj.members and obj.where:
            columns, rows = ["rule"], [[obj.where]]
    else:
        columns = ["expression", "filter", "time column"]
        rows = [[obj.expr, obj.filter or "(none)", obj.time_column]]
        if obj.default_window_days:
            text += f" Default window: the last {obj.default_window_days} days."
    answer = Answer(question, "answered", text, plan=plan.to_dict(), columns=columns, rows=rows,
                    row_count=len(rows), definitions=[definition_used(catalog, name, member)])
    answer.extra["definition_yaml"] = definition_text(catalog, name)
    return answer


def _cluster_text(seg: Segment) -> str:
    fit = fit_summary(seg)
    rule = (" Each user belongs to the member with the nearest centroid over "
            + ", ".join(f.name for f in seg.cluster.features) + " (scaled)."
            if seg.cluster else "")
    return rule + (f" Version {seg.version}, {fit}." if fit else " Not fitted yet.")


def catalog_answer(question: str, catalog: Catalog) -> Answer:
    rows: list[list[object]] = []
    for seg in catalog.segments.values():
        members = ", ".join(m.name for m in seg.members)
        rows.append([seg.name, "segment", seg.label, members])
    for metric in catalog.metrics.values():
        rows.append([metric.name, "metric", metric.label, ""])
    for dim in catalog.dimensions.values():
        values = ", ".join(v.value for v in dim.values) or ", ".join(dim.grains)
        rows.append([dim.name, "dimension", dim.label, values])
    text = (f"I can answer questions about {len(catalog.segments)} governed segments, "
            f"{len(catalog.metrics)} metrics and {len(catalog.dimensions)} dimensions.")
    return Answer(question, "answered", text, plan={"intent": "catalog"},
                  columns=["name", "kind", "label", "members / values"], rows=rows,
                  row_count=len(rows))
