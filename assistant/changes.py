"""Segment membership at a date, and what changed between two dates ("why did at-risk grow?").

Members at a date are the governed definition compiled with `as_of` = that date (the same
CTEs every answer uses, built by the compiler; no user text enters the SQL). Between two dates
the answer is joiners, leavers, net change and the main movements between members (engaged ->
at_risk), and, when the definition itself changed in between, how much of the change is the
definition's: members at the later date are recomputed with the *old* definition, so

    definition effect = new definition at d2 - old definition at d2
    data effect       = old definition at d2 - old definition at d1
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlglot import exp

from assistant.catalog.models import Catalog, Segment
from assistant.compiler import segment_ctes
from assistant.executor import Warehouse

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


def member_counts(catalog: Catalog, warehouse: Warehouse, name: str, member: str | None,
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
        result = warehouse.execute(_with(query, ctes).sql("duckdb"), row_cap=1)
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


def compare(catalog: Catalog, warehouse: Warehouse, name: str, member: str | None,
            start: date, end: date) -> ChangeReport:
    """Members of `name` (or `name`:`member`) at `start` and at `end`, and the flows between."""
    segment = catalog.segments[name]
    rows = warehouse.execute(movement_query((catalog, segment, start), (catalog, segment, end))
                             .sql("duckdb"), row_cap=10_000).rows
    flows = [(b if b is not None else NONE, a if a is not None else NONE, int(n))
             for b, a, n in rows]

    def inside(value: str) -> bool:
        return value != NONE and (member is None or value == member)

    count_start = sum(n for b, _, n in flows if inside(b))
    count_end = sum(n for _, a, n in flows if inside(a))
    joiners = sum(n for b, a, n in flows if inside(a) and not inside(b))
    leavers = sum(n for b, a, n in flows if inside(b) and not inside(a))
    moves = [Movement(b, a, n) for b, a, n in flows
             if b != a and (inside(a) or inside(b))]
    moves.sort(key=lambda m: (-m.users, m.before, m.after))
    return ChangeReport(name, member, start, end, count_start, count_end, joiners, leavers,
                        moves[:8])


def count_with(catalog: Catalog, warehouse: Warehouse, name: str, member: str | None,
               when: date) -> int:
    """Members at `when` under the definitions in `catalog` (an old catalog, for example)."""
    return member_counts(catalog, warehouse, name, member, [when])[when]
