"""Segment membership at a date, and what changed between two dates ("why did at-risk grow?").

Members at a date are the governed definition compiled with `as_of` = that date (the same
CTEs every answer uses, built by the compiler; no user text enters the SQL). Between two dates
the answer is joiners, leavers, net change and the main movements between members (engaged ->
at_risk), and, when the definition itself changed in between, how much of the change is the
definition's: members at the later date are recomputed with the *old* definition, so

    net change        = new definition at d2 - old definition at d1 (the numbers people saw)
    definition effect = new definition at d2 - old definition at d2
    data effect       = old definition at d2 - old definition at d1
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlglot import exp

from assistant import history
from assistant.answer import Answer, DefinitionUsed
from assistant.catalog import load_catalog
from assistant.catalog.models import Catalog, Segment
from assistant.compiler import segment_ctes
from assistant.compiler.portable import render
from assistant.compiler.segments import segment_closure
from assistant.plan import QueryPlan
from assistant.warehouses import Adapter

NONE = "(not a member)"


def membership_query(catalog: Catalog, segment: Segment, as_of: date, suffix: str
                     ) -> tuple[list[tuple[str, exp.Expr]], exp.Select]:
    """CTEs for `segment` at `as_of`, and a SELECT of user_id plus member (or the name)."""
    ctes = segment_ctes(catalog, segment, as_of, suffix=suffix)
    member: exp.Expr = (exp.column(segment.member_column) if segment.members
                        else exp.Literal.string(segment.name))
    select = exp.select(exp.column("user_id"), member.as_("member")).from_(
        f"{segment.name}{suffix}")
    return ctes, select


def _with(query: exp.Select, ctes: list[tuple[str, exp.Expr]]) -> exp.Select:
    for name, body in ctes:
        query = query.with_(name, as_=body)
    return query


def member_counts(catalog: Catalog, warehouse: Adapter, name: str, member: str | None,
                  dates: list[date]) -> dict[date, int]:
    """How many users were in `name` (or one of its members) at each date."""
    segment = catalog.segments[name]
    out = {}
    for when in dates:
        ctes, members = membership_query(catalog, segment, when, "")
        query = exp.select(exp.func("count", exp.Star()).as_("n")).from_(
            members.subquery("m"))
        if member:
            query = query.where(exp.column("member", "m").eq(exp.Literal.string(member)))
        result = warehouse.execute(render(_with(query, ctes), warehouse.dialect), row_cap=1)
        out[when] = int(result.rows[0][0])
    return out


@dataclass
class Movement:
    before: str
    after: str
    users: int


@dataclass
class ChangeReport:
    segment: str
    member: str | None
    start: date
    end: date
    count_start: int
    count_end: int
    joiners: int
    leavers: int
    movements: list[Movement]
    definition_changes: list[dict[str, Any]] = field(default_factory=list)
    old_definition_count_end: int | None = None  # members at `end` under the old definition
    by_member: dict[str, tuple[int, int]] = field(default_factory=dict)  # family: start, end

    @property
    def net(self) -> int:
        return self.count_end - self.count_start

    @property
    def growth(self) -> float | None:
        return self.net / self.count_start if self.count_start else None

    @property
    def definition_effect(self) -> int | None:
        if self.old_definition_count_end is None:
            return None
        return self.count_end - self.old_definition_count_end

    @property
    def data_effect(self) -> int | None:
        if self.old_definition_count_end is None:
            return None
        return self.old_definition_count_end - self.count_start

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment, "member": self.member, "start": self.start.isoformat(),
            "end": self.end.isoformat(), "count_start": self.count_start,
            "count_end": self.count_end, "net": self.net, "growth": self.growth,
            "joiners": self.joiners, "leavers": self.leavers,
            "movements": [m.__dict__ for m in self.movements],
            "by_member": {k: {"start": a, "end": b} for k, a, b in
                          ((k, *v) for k, v in self.by_member.items())},
            "definition_changes": self.definition_changes,
            "old_definition_count_end": self.old_definition_count_end,
            "definition_effect": self.definition_effect, "data_effect": self.data_effect,
        }


def movement_query(old: tuple[Catalog, Segment, date], new: tuple[Catalog, Segment, date]
                   ) -> exp.Select:
    """One row per (member before, member after) with its users, NULL for not a member."""
    ctes_a, a = membership_query(*old, "__a")
    ctes_b, b = membership_query(*new, "__b")
    query = (
        exp.select(exp.column("member", "a").as_("before"), exp.column("member", "b")
                   .as_("after"), exp.func("count", exp.Star()).as_("users"))
        .from_(a.subquery("a"))
        .join(b.subquery("b"), on=exp.column("user_id", "a").eq(exp.column("user_id", "b")),
              join_type="FULL OUTER")
        .group_by(exp.column("member", "a"), exp.column("member", "b"))
    )
    return _with(_with(query, ctes_a), ctes_b)


def compare(catalog: Catalog, warehouse: Adapter, name: str, member: str | None,
            start: date, end: date, before: Catalog | None = None) -> ChangeReport:
    """Members of `name` (or `name`:`member`) at `start` and at `end`, and the flows between.

    `before` is the catalog in force at `start` when the definition changed in between, so
    the earlier side is what people saw then; by default both sides use `catalog`.
    """
    segment = catalog.segments[name]
    old = before or catalog
    query = movement_query((old, old.segments[name], start), (catalog, segment, end))
    rows = warehouse.execute(render(query, warehouse.dialect), row_cap=10_000).rows
    flows = [(b if b is not None else NONE, a if a is not None else NONE, int(n))
             for b, a, n in rows]

    def inside(value: str) -> bool:
        return value != NONE and (member is None or value == member)

    count_start = sum(n for b, _, n in flows if inside(b))
    count_end = sum(n for _, a, n in flows if inside(a))
    joiners = sum(n for b, a, n in flows if inside(a) and not inside(b))
    leavers = sum(n for b, a, n in flows if inside(b) and not inside(a))
    moves = [Movement(b, a, n) for b, a, n in flows if b != a and (inside(a) or inside(b))]
    moves.sort(key=lambda m: (-m.users, m.before, m.after))
    by_member: dict[str, tuple[int, int]] = {}
    if segment.members and member is None:
        for known in (m.name for m in segment.members):
            by_member[known] = (sum(n for b, _, n in flows if b == known),
                                sum(n for _, a, n in flows if a == known))
    return ChangeReport(name, member, start, end, count_start, count_end, joiners, leavers,
                        moves[:8], by_member=by_member)


def count_with(catalog: Catalog, warehouse: Adapter, name: str, member: str | None,
               when: date) -> int:
    """Members at `when` under the definitions in `catalog` (an old catalog, for example)."""
    return member_counts(catalog, warehouse, name, member, [when])[when]


# -- the definition between the two dates ----------------------------------------------------


@dataclass(frozen=True)
class OldDefinition:
    """The definitions as they were before a change, and which changes lie in between."""

    catalog: Catalog
    label: str  # "commit abc123 (2026-06-15)" or "revision HEAD~1"
    changes: list[dict[str, Any]]


def old_definition(models_dir: str | Path, name: str, start: date, end: date,
                   revision: str | None = None) -> OldDefinition | None:
    """The catalog before the logic of `name` or anything it requires first changed between
    `start` and `end` (by commit date; uncommitted edits are dated today), or at `revision`;
    None when nothing changed."""
    if revision is not None:
        texts = history.files_at(models_dir, revision)
        old = history.nodes_from_texts(texts)
        changes = _changes_from(old, history.working_nodes(models_dir), name)
        label = f"revision {revision}"
    else:
        today = date.today()
        if not any(start < _commit_date(r, today) <= end for r in history.revisions(models_dir)) \
                and not start < today <= end:
            return None  # nothing was committed between the dates: skip reading the history
        found = history.states(models_dir)
        between = [c for c in history.timeline(models_dir, name, found)
                   if c.logic_changed and c.before is not None
                   and start < _commit_date(c.revision, today) <= end]
        if not between:
            return None
        first = between[0].revision
        index = next(i for i, (rev, _) in enumerate(found) if rev == first)
        texts = _state_texts(models_dir, found, index - 1)
        changes = [c.to_dict() for c in between]
        label = f"before commit {first.short} ({first.when[:10]})"
    if not changes:
        return None
    with tempfile.TemporaryDirectory(prefix="segq-old-models-") as tmp:
        for file, text in texts.items():
            (Path(tmp) / file).write_text(text, encoding="utf-8")
        catalog = load_catalog(tmp)
    return OldDefinition(catalog, label, changes)


def _commit_date(revision: history.Revision, default: date) -> date:
    return date.fromisoformat(revision.when[:10]) if revision.when else default


def _state_texts(models_dir: str | Path, found: list[tuple[history.Revision, history.Nodes]],
                 index: int) -> dict[str, str]:
    revision = found[index][0]
    if revision.commit == history.WORKING_TREE:
        return {p.name: p.read_text(encoding="utf-8") for p in Path(models_dir).glob("*.yml")}
    return history.files_at(models_dir, revision.commit)


def _changes_from(old: history.Nodes, new: history.Nodes, name: str) -> list[dict[str, Any]]:
    changes = []
    for member, via in (history.closure(old, name) | history.closure(new, name)).items():
        before, after = old.get(member), new.get(member)
        if before and after and history.logic_hash(before[1], before[0]) == history.logic_hash(
                after[1], after[0]):
            continue
        if before is None and after is None:
            continue
        changes.append({"name": member, "via": list(via),
                        "words": history.describe_change(before and before[1],
                                                         after and after[1])})
    return changes


# -- the answer --------------------------------------------------------------------------


def change_answer(question: str, plan: QueryPlan, catalog: Catalog, warehouse: Adapter,
                  models_dir: str | Path, *, revision: str | None = None) -> Answer:
    """Members at time_range.start and .end, the flows between, and the definition's part."""
    assert plan.segment is not None and plan.time_range is not None
    name, member = plan.segment.name, plan.segment.member
    start, end = plan.time_range.start, plan.time_range.end
    segment = catalog.segments[name]
    old = old_definition(models_dir, name, start, end, revision)
    if old is not None and name not in old.catalog.segments:
        old = None  # the segment did not exist then: nothing to recompute with
    before = old.catalog if old else catalog
    query = movement_query((before, before.segments[name], start), (catalog, segment, end))
    report = compare(catalog, warehouse, name, member, start, end, before=before)
    if old is not None:
        report.definition_changes = old.changes
        report.old_definition_count_end = count_with(old.catalog, warehouse, name, member, end)
    answer = Answer(question, "answered", change_message(report, catalog, old),
                    plan=plan.to_dict(), sql=render(query, warehouse.dialect))
    answer.definitions = [_used(s, member if s.name == name else None)
                          for s in segment_closure(catalog, segment)]
    answer.columns = ["member_before", "member_after", "users"]
    answer.rows = [[m.before, m.after, m.users] for m in report.movements]
    answer.row_count = len(answer.rows)
    answer.extra = {"change": report.to_dict()}
    return answer


def _used(segment: Segment, member: str | None) -> DefinitionUsed:
    return DefinitionUsed(segment.name, segment.kind, segment.version, segment.hash,
                          segment.source, segment.owner, segment.label, member)


def _label(catalog: Catalog, name: str, member: str | None) -> str:
    segment = catalog.segments[name]
    found = segment.member(member) if member else None
    return f"{segment.label} `{found.label}`" if found else segment.label


def change_message(report: ChangeReport, catalog: Catalog, old: OldDefinition | None) -> str:
    label = _label(catalog, report.segment, report.member)
    growth = "" if report.growth is None else f", {report.growth:+.1%}"
    lines = [f"{label}: {report.count_start:,} users on {report.start} -> "
             f"{report.count_end:,} on {report.end} (net {report.net:+,}{growth}). "
             f"{report.joiners:,} joined and {report.leavers:,} left."]
    if report.by_member:
        lines.append("By member: " + "; ".join(
            f"{k} {a:,} -> {b:,} ({b - a:+,})" for k, (a, b) in report.by_member.items()) + ".")
    if report.movements:
        lines.append("Main movements: " + "; ".join(
            f"{m.before} -> {m.after} {m.users:,}" for m in report.movements[:5]) + ".")
    if old is None or report.old_definition_count_end is None:
        names = ", ".join(f"`{s.name}` v{s.version}" for s in
                          segment_closure(catalog, catalog.segments[report.segment]))
        lines.append(f"The definition did not change between those dates ({names}): the "
                     "change is in the data.")
        return "\n".join(lines)
    what = "; ".join(f"`{c['name']}`" + (" (required)" if c["via"] else "") + ": "
                     + ", ".join(c["words"]) for c in old.changes)
    lines.append(f"The definition changed in between ({old.label}): {what}. With the old "
                 f"definition there would be {report.old_definition_count_end:,} on "
                 f"{report.end}: the definition change accounts for "
                 f"{report.definition_effect:+,} and the data for {report.data_effect:+,}.")
    return "\n".join(lines)
