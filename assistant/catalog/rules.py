"""Catalog validation rules: small functions, each returning issues, run by one runner.

A rule that crashes becomes an issue naming the rule, never a crash of `segq validate`.
Rules here need only the catalog; `catalog/check.py` adds the rules that compile SQL and
dry-run it on the warehouse.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from assistant.catalog.cluster_rules import RULES as CLUSTER_RULES
from assistant.catalog.models import Catalog, Metric
from assistant.catalog.relationships import relationship_names_unique, relationships_resolve
from assistant.catalog.sql_rules import fragments_parse, no_restricted_columns
from assistant.errors import Issue
from assistant.messages import did_you_mean

Rule = Callable[[Catalog], Iterator[Issue]]


def dimension_columns_exist(catalog: Catalog) -> Iterator[Issue]:
    for dim in catalog.dimensions.values():
        table = catalog.tables.get(dim.table)
        if table is None:
            yield Issue("error", f"Dimension `{dim.name}` uses unknown table `{dim.table}`. "
                        f"Accepted: {', '.join(catalog.tables)}."
                        f"{did_you_mean(dim.table, catalog.tables)}", dim.source)
        elif dim.column and table.column(dim.column) is None:  # "": an expression (dbt)
            names = [c.name for c in table.columns]
            yield Issue("error", f"Dimension `{dim.name}` uses unknown column "
                        f"`{dim.table}.{dim.column}`. Accepted: {', '.join(names)}."
                        f"{did_you_mean(dim.column, names)}", dim.source)
        if dim.is_time and not dim.grains:
            yield Issue("error", f"Time dimension `{dim.name}` declares no `grains`.", dim.source)


def metric_tables_exist(catalog: Catalog) -> Iterator[Issue]:
    for metric in catalog.metrics.values():
        table = catalog.tables.get(metric.table)
        if table is None:
            yield Issue("error", f"Metric `{metric.name}` uses unknown table `{metric.table}`. "
                        f"Accepted: {', '.join(catalog.tables)}."
                        f"{did_you_mean(metric.table, catalog.tables)}", metric.source)
        elif metric.engine:  # its engine plans its joins and time columns (a dbt metric)
            continue
        elif metric.time_column and not _has_time_column(catalog, metric):
            yield Issue("error", f"Metric `{metric.name}` has unknown time_column "
                        f"`{metric.time_column}` on `{metric.time_table or metric.table}`.",
                        metric.source)
        elif catalog.segments and table.column("user_id") is None:
            yield Issue("error", f"Metric `{metric.name}` reads `{metric.table}`, which has no "
                        "`user_id` to join segments and dimensions on.", metric.source)



def _has_time_column(catalog: Catalog, metric: Metric) -> bool:
    """The metric's time column is on its own table, or on its `time_table`."""
    timed = catalog.tables.get(metric.time_table or metric.table)
    return timed is not None and timed.column(metric.time_column) is not None

def segment_references_exist(catalog: Catalog) -> Iterator[Issue]:
    for seg in catalog.segments.values():
        for ref in seg.requires:
            if ref not in catalog.segments:
                yield Issue("error", f"Segment `{seg.name}` requires unknown segment `{ref}`. "
                            f"Accepted: {', '.join(sorted(catalog.segments))}."
                            f"{did_you_mean(ref, catalog.segments)}", seg.source)
        stage_names = [s.name for s in seg.stages]
        clashes = set(stage_names) & (set(catalog.tables) | set(catalog.segments))
        for name in sorted(clashes):
            yield Issue("error", f"Segment `{seg.name}` has a stage named `{name}`, which is "
                        "also a table or segment name. Rename the stage.", seg.source)
        if len(set(stage_names)) != len(stage_names):
            yield Issue("error", f"Segment `{seg.name}` repeats a stage name.", seg.source)
        if not seg.stages:
            yield Issue("error", f"Segment `{seg.name}` has no stages.", seg.source)
        names = [m.name for m in seg.members]
        if len(set(names)) != len(names):
            yield Issue("error", f"Segment `{seg.name}` repeats a member name.", seg.source)
        for member in seg.members:
            for column, lo, hi in member.match:
                if column not in seg.columns:
                    yield Issue("error", f"Member `{member.name}` of `{seg.name}` matches on "
                                f"`{column}`, which is not in the segment's `columns`. Accepted: "
                                f"{', '.join(seg.columns)}.{did_you_mean(column, seg.columns)}",
                                member.source)
                if lo > hi:
                    yield Issue("error", f"Member `{member.name}` of `{seg.name}` has "
                                f"`match.{column}` [{lo}, {hi}] with min above max.",
                                member.source)
        if seg.members and seg.where:
            yield Issue("error", f"Segment `{seg.name}` has both `members` and `where`; a family "
                        "uses members, a single segment uses where.", seg.source)


def no_cycles(catalog: Catalog) -> Iterator[Issue]:
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, path: list[str]) -> Iterator[Issue]:
        if state.get(name) == 2 or name not in catalog.segments:
            return
        if state.get(name) == 1:
            cycle = " -> ".join([*path[path.index(name):], name])
            yield Issue("error", f"Segments require each other in a cycle: {cycle}. Remove one "
                        "`requires` entry.", catalog.segments[name].source)
            return
        state[name] = 1
        for ref in catalog.segments[name].requires:
            yield from visit(ref, [*path, name])
        state[name] = 2

    for name in sorted(catalog.segments):
        yield from visit(name, [])


def examples_are_plans(catalog: Catalog) -> Iterator[Issue]:
    from pydantic import ValidationError

    from assistant.plan import QueryPlan

    for seg in catalog.segments.values():
        for example in seg.examples:
            try:
                QueryPlan.model_validate(example.plan)
            except ValidationError as exc:
                first = exc.errors()[0]
                loc = ".".join(str(p) for p in first["loc"])
                yield Issue("error", f"Example \"{example.question}\" of `{seg.name}` has an "
                            f"invalid plan at `{loc}`: {first['msg']}.", example.source)


PLACEHOLDER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)\b")


def placeholders_are_declared(catalog: Catalog) -> Iterator[Issue]:
    """Every `:name` in stage SQL, `where` and member `when` must be a declared parameter,
    `as_of`, or (for fitted segments) `weighted_score`; a typo would only fail at run time."""
    for seg in catalog.segments.values():
        accepted = {"as_of", *(p.name for p in seg.parameters)}
        if seg.fitted and not seg.is_cluster:
            accepted.add("weighted_score")
        texts = [(stage.sql, f"{seg.file}:{stage.line}") for stage in seg.stages]
        texts.append((seg.where, seg.source))
        texts += [(m.when, m.source) for m in seg.members]
        for text, source in texts:
            for name in PLACEHOLDER.findall(_without_strings(text)):
                if name not in accepted:
                    yield Issue("error", f"Segment `{seg.name}` uses `:{name}`, which is not one "
                                f"of its parameters. Accepted: {', '.join(sorted(accepted))}."
                                f"{did_you_mean(name, accepted)}", source)


SUMMARY_PLACEHOLDER = re.compile(r"\{(\w+)(?:\s*[-+]\s*\d+)?(?::[^{}]+)?\}")


def summaries_name_parameters(catalog: Catalog) -> Iterator[Issue]:
    """Every `{name}` in a plain-language `summary` must be a parameter of its segment, or the
    card a marketer reads would show the braces instead of the value."""
    for seg in catalog.segments.values():
        accepted = {p.name for p in seg.parameters}
        texts = [(seg.summary, seg.source)] + [(m.summary, m.source) for m in seg.members]
        for text, source in texts:
            for name in SUMMARY_PLACEHOLDER.findall(text):
                if name not in accepted:
                    yield Issue("error", f"The summary of `{seg.name}` uses `{{{name}}}`, which "
                                "is not one of its parameters. Accepted: "
                                f"{', '.join(sorted(accepted)) or '(none)'}."
                                f"{did_you_mean(name, accepted)}", source)


def _without_strings(sql: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


RULES: tuple[Rule, ...] = (
    dimension_columns_exist,
    metric_tables_exist,
    segment_references_exist,
    no_cycles,
    placeholders_are_declared,
    summaries_name_parameters,
    examples_are_plans,
    fragments_parse,
    no_restricted_columns,
    relationships_resolve,
    relationship_names_unique,
    *CLUSTER_RULES,
)


def run_rules(catalog: Catalog, rules: tuple[Rule, ...] = RULES) -> list[Issue]:
    issues: list[Issue] = []
    for rule in rules:
        try:
            found = list(rule(catalog))
        except Exception as exc:  # a broken rule must not hide the other findings
            found = [Issue("error", f"rule crashed: {exc!r}", catalog.directory, rule.__name__)]
        issues.extend(Issue(i.level, i.message, i.source, i.rule or rule.__name__) for i in found)
    return issues
