"""Turn native model files into the typed runtime catalog, strictly.

Each file is validated against its document model (`documents.ModelFile`): unknown keys,
missing keys, wrong types and values outside a `Literal` are issues at their `file:line`
(`document_errors.py`). What one key cannot say alone is checked here, on the validated
documents: a parameter's default within its bounds, a member's one rule, `rank_by` among the
columns, restatement slots among the parameters, names unique across the catalog. Every
problem is collected, so `segq validate` can list them all at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant import messages
from assistant.catalog.cluster_builder import centroid, cluster_spec
from assistant.catalog.document_errors import validate_document
from assistant.catalog.documents import (
    AccessDoc,
    Definition,
    DimensionDoc,
    Document,
    MemberDoc,
    MetricDoc,
    ModelFile,
    ParameterDoc,
    SegmentDoc,
    TableDoc,
    accepted_keys,
    content_hash,
)
from assistant.catalog.models import (
    Catalog,
    Column,
    Dimension,
    DimensionValue,
    Example,
    Member,
    Metric,
    Parameter,
    Relationship,
    Restatements,
    Segment,
    Stage,
    Table,
)
from assistant.catalog.relationships import from_references, relationship
from assistant.catalog.yaml_loader import LIMITS, LoadLimits, load_yaml
from assistant.errors import Issue
from assistant.messages import did_you_mean

__all__ = ["TOP_KEYS", "build_catalog", "content_hash"]

TOP_KEYS = set(accepted_keys(ModelFile))


def _rule(loc: tuple[int | str, ...], rule: str) -> str:
    """The access section's shape issues keep its own rules (`access-unknown-key`, ...)."""
    if loc[:1] != ("access",):
        return rule
    return "access-unknown-key" if rule == "unknown-key" else "access-shape"


class _Builder:
    """Builds runtime objects from one file's validated documents, collecting issues."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.file = ""

    def error(self, doc: Document, message: str, rule: str, key: str | None = None) -> None:
        self.issues.append(Issue("error", message, doc.at(key), rule))

    # -- objects --------------------------------------------------------------------------
    def table(self, doc: TableDoc) -> Table:
        columns = tuple(Column(c.name, c.type, c.access, c.references) for c in doc.columns)
        return Table(doc.name, doc.description, doc.primary_key, columns, doc.at())

    def dimension(self, doc: DimensionDoc) -> Dimension:
        values = tuple(DimensionValue(v.value, v.label or v.value, v.synonyms)
                       for v in doc.values)
        return Dimension(doc.name, doc.label or doc.name, doc.description, doc.table,
                         doc.column, doc.type, doc.synonyms, values, doc.grains, doc.at(),
                         doc.hash, role=doc.role or "", access=doc.access)

    def metric(self, doc: MetricDoc) -> Metric:
        return Metric(doc.name, doc.label or doc.name, doc.description, doc.owner, doc.version,
                      doc.table, doc.expr, doc.filter, doc.time_column, doc.default_window_days,
                      doc.synonyms, doc.at(), doc.hash, role=doc.role or "",
                      windows=tuple((w.days, w.synonyms) for w in doc.windows),
                      restated_by=self.restatements(doc, f"metric `{doc.name}`", ()))

    def segment(self, doc: SegmentDoc) -> Segment:
        name = doc.name
        params = tuple(self.parameter(p, name) for p in doc.parameters)
        stages = tuple(Stage(s.name, s.sql, s.at(),
                             s.line_of("sql") + (1 if "\n" in s.sql.strip() else 0))
                       for s in doc.stages)
        examples = tuple(Example(e.question, _plain(e.plan), e.at()) for e in doc.examples)
        if doc.members and not doc.member_column:
            self.error(doc, f"Segment `{name}` has members but no `member_column`. Add "
                       "`member_column: <name of the tier column>`.", "missing-key")
        return Segment(
            name=name, label=doc.label or name, description=_flat(doc.description),
            owner=doc.owner, version=doc.version, access=doc.access, entity=doc.entity,
            synonyms=doc.synonyms, parameters=params, requires=doc.requires, stages=stages,
            where=_flat(doc.where), columns=doc.columns, member_column=doc.member_column,
            members=tuple(self.member(m, name) for m in doc.members), history=doc.history,
            fitted=_plain(doc.fitted), examples=examples, source=doc.at(), file=self.file,
            hash=doc.hash, where_source=doc.at("where"), rank_by=self.rank_by(doc),
            restated_by=self.restatements(doc, f"segment `{name}`",
                                          tuple(p.name for p in params)),
            summary=_flat(doc.summary), population=_flat(doc.population),
            cluster=cluster_spec(self, doc.cluster, name) if doc.cluster else None,
            column_synonyms=self.column_synonyms(doc, name),
        )

    def column_synonyms(self, doc: SegmentDoc,
                        name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """`column_synonyms:` of declared columns only; another key is an error at its line."""
        for column in doc.column_synonyms:
            if column not in doc.columns:
                self.error(doc, f"Segment `{name}` has `column_synonyms` for `{column}`, which "
                           f"is not one of its `columns` ({', '.join(doc.columns) or 'none'}).",
                           "unknown-column", "column_synonyms")
        return tuple((c, words) for c, words in doc.column_synonyms.items() if c in doc.columns)

    def restatements(self, doc: MetricDoc | SegmentDoc, owner: str,
                     parameters: tuple[str, ...]) -> Restatements:
        """`restated_by: [[finished onboarding | completed onboarding, "{min_projects}"]]`."""
        out = []
        for restatement in doc.restated_by:
            parts = tuple(tuple(a.strip() for a in part.split("|") if a.strip())
                          for part in restatement)
            for part in parts:
                slot = part[0][1:-1] if len(part) == 1 and part[0].startswith("{") else None
                if slot is not None and slot not in parameters:
                    self.error(doc, f"`restated_by` of {owner} names the parameter `{slot}`, "
                               f"which it does not declare. Accepted: "
                               f"{', '.join(parameters) or '(none)'}."
                               f"{did_you_mean(slot, set(parameters))}", "bad-value",
                               "restated_by")
            out.append(parts)
        return tuple(out)

    def rank_by(self, doc: SegmentDoc) -> str:
        if doc.rank_by and doc.rank_by not in doc.columns:
            accepted = ", ".join(doc.columns) or "(no columns declared)"
            self.error(doc, f"Segment `{doc.name}` ranks by `{doc.rank_by}`, which is not one of "
                       f"its columns. Accepted: {accepted}."
                       f"{did_you_mean(doc.rank_by, set(doc.columns))}", "bad-value", "rank_by")
        return doc.rank_by

    def parameter(self, doc: ParameterDoc, segment: str) -> Parameter:
        name, default, lo, hi = doc.name, doc.default, doc.min, doc.max
        if lo > hi:
            self.error(doc, f"Parameter `{name}` of `{segment}` has min {lo} above max {hi}.",
                       "bounds", "min")
        elif not lo <= default <= hi:
            self.error(doc, f"Parameter `{name}` of `{segment}` has default {default} outside "
                       f"its bounds {lo}..{hi}. Change the default or the bounds.",
                       "default-out-of-bounds", "default")
        return Parameter(name, doc.label or name, default, lo, hi, doc.synonyms, doc.at(),
                         role=doc.role or "", unit=doc.unit)

    def member(self, doc: MemberDoc, segment: str) -> Member:
        when = _flat(doc.when)
        if sum([bool(when), doc.match is not None, doc.centroid is not None]) != 1:
            self.error(doc, f"Member `{doc.name}` of `{segment}` needs exactly one of `when` "
                       "(a condition), `match` (a lookup-table row) or `centroid` (a cluster "
                       "member).", "member-rule")
        match = tuple((column, lo, hi) for column, (lo, hi) in (doc.match or {}).items())
        return Member(doc.name, doc.label or doc.name, doc.description, doc.synonyms, when,
                      match, doc.at(), doc.at("when"), _flat(doc.summary), centroid(doc),
                      alone=doc.alone)


def _flat(text: str) -> str:
    """Folded YAML text on one line (descriptions, conditions, summaries)."""
    return " ".join(text.split())


def _plain(value: Any) -> Any:
    """YAML's line-aware containers as plain dicts and lists (kept as written, e.g. `fitted`)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def build_catalog(directory: Path, limits: LoadLimits = LIMITS, *,
                  only: list[Path] | None = None) -> tuple[Catalog, list[Issue]]:
    """Load every `*.yml`/`*.yaml` under `directory` (or the `only` files of it, when a
    directory mixes formats); return the catalog and all issues."""
    builder = _Builder()
    tables: dict[str, Table] = {}
    dimensions: dict[str, Dimension] = {}
    metrics: dict[str, Metric] = {}
    segments: dict[str, Segment] = {}
    files = sorted(only if only is not None
                   else [*directory.glob("*.yml"), *directory.glob("*.yaml")])
    if not files:
        builder.issues.append(Issue("error", "contains no *.yml semantic model files.",
                                    str(directory), "no-files"))
    seen: dict[str, str] = {}
    declared: list[Relationship] = []
    access_sections: list[AccessDoc] = []
    unread = 0  # files that did not load: their objects are missing, not misnamed
    for path in files:
        builder.file = f"{directory.name}/{path.name}"  # shown as e.g. semantic_models/x.yml:12
        data, issues = load_yaml(path, display=builder.file, top_keys=TOP_KEYS, limits=limits)
        builder.issues.extend(issues)
        if data is None:
            unread += 1
            continue
        document, issues = validate_document(ModelFile, data, builder.file, rename=_rule)
        builder.issues.extend(issues)
        if document is None:
            continue
        if document.access is not None:
            access_sections.append(document.access)
        declared += [relationship(r) for r in document.relationships]
        sections: list[tuple[str, dict[str, Any], Sequence[Definition],
                             Callable[[Any], Any]]] = [
            ("tables", tables, document.tables, builder.table),
            ("dimensions", dimensions, document.dimensions, builder.dimension),
            ("metrics", metrics, document.metrics, builder.metric),
            ("segments", segments, document.segments, builder.segment),
        ]
        for key, target, docs, make in sections:
            for doc in docs:
                try:
                    obj = make(doc)
                except Exception as exc:  # a shape no check foresaw still gets its line
                    builder.error(doc, messages.definition_unreadable(key[:-1], exc), "shape")
                    continue
                if obj.name in target or (key != "tables" and obj.name in seen):
                    first = target[obj.name].source if obj.name in target else seen[obj.name]
                    builder.error(doc, f"defines `{obj.name}` again; it is already defined at "
                                  f"{first}. Names must be unique across the catalog.",
                                  "duplicate-name")
                    continue
                target[obj.name] = obj
                if key != "tables":
                    seen[obj.name] = obj.source
    catalog = Catalog(tables, dimensions, metrics, segments,
                      tuple(str(f) for f in files), str(directory),
                      relationships=(*declared, *from_references(tables.values())))
    from assistant.access.parse import AccessBuilder  # it imports the catalog's documents

    access = AccessBuilder(catalog, complete=unread == 0)
    policy = access.build(access_sections)
    if policy is not None:
        catalog = dataclasses.replace(catalog, access=policy)
    return catalog, builder.issues + access.issues
