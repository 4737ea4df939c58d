"""Typed governed objects built from the YAML: tables, dimensions, metrics, segments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from assistant.access.models import AccessPolicy

# The rule of a definition in stakeholders' words: restatements, each a tuple of parts, each
# part a tuple of alternative phrases ("finished onboarding", "completed onboarding") or a
# parameter slot ("{min_projects}": a number the question binds to that parameter).
Restatements = tuple[tuple[tuple[str, ...], ...], ...]


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    access: str = "public"  # "restricted" columns (PII) never reach an answer by default
    references: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    primary_key: str
    columns: tuple[Column, ...]
    source: str

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


# Declared here, with the runtime catalog, so reading a cached catalog loads no YAML code;
# the document models (documents.py) type a relationship's `type` with it.
RelationshipType = Literal["many_to_one", "one_to_many", "one_to_one"]
RELATIONSHIP_TYPES: tuple[str, ...] = get_args(RelationshipType)


@dataclass(frozen=True)
class Relationship:
    """A declared join between two governed tables: `from_table` rows to `to_table` rows.

    `keys` pairs a column of `from_table` with a column of `to_table` (all must be equal).
    `type` says how many rows of each side meet: `many_to_one` means each `from_table` row has
    at most one `to_table` row. `unique_key`: the `to` columns are known unique in the data (a
    primary key the warehouse enforces or `segq validate` checks), so a join may read the table
    itself; otherwise a join to the one side reads its distinct (key, attribute) rows.
    """

    name: str
    from_table: str
    to_table: str
    keys: tuple[tuple[str, str], ...]
    type: str
    source: str
    unique_key: bool = False

    def reversed(self) -> Relationship:
        """The same join read from the other side (`many_to_one` becomes `one_to_many`)."""
        flipped = {"many_to_one": "one_to_many", "one_to_many": "many_to_one"}
        return Relationship(self.name, self.to_table, self.from_table,
                            tuple((b, a) for a, b in self.keys),
                            flipped.get(self.type, self.type), self.source)

    @property
    def fans_out(self) -> bool:
        """Walking this join from `from_table` can meet several `to_table` rows per row."""
        return self.type == "one_to_many"


@dataclass(frozen=True)
class DimensionValue:
    value: str
    label: str
    synonyms: tuple[str, ...]


@dataclass(frozen=True)
class Dimension:
    name: str
    label: str
    description: str
    table: str
    column: str
    type: str  # "categorical" | "time"
    synonyms: tuple[str, ...]
    values: tuple[DimensionValue, ...]
    grains: tuple[str, ...]
    source: str
    hash: str
    role: str = ""  # "geography": the dimension a region or a country code filters;
    # "entity": a foreign model's entity, grouped by its key ("by customer")
    access: str = "public"  # "restricted": over a restricted column (docs/access.md)

    @property
    def is_time(self) -> bool:
        return self.type == "time"


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    description: str
    owner: str
    version: int
    table: str
    expr: str
    filter: str
    time_column: str
    default_window_days: int | None
    synonyms: tuple[str, ...]
    source: str
    hash: str
    kind: str = "metric"
    role: str = ""  # "population": counts the entity itself; "buyers": people who ordered
    restated_by: Restatements = ()
    # (days, phrases): names of the metric over another window ("wau" is 7 days)
    windows: tuple[tuple[int, tuple[str, ...]], ...] = ()
    # Who compiles it: "" segq's compiler; "metricflow" a dbt metric MetricFlow compiles from
    # the catalog's `foreign["metricflow"]` documents (assistant/importers/metricflow.py)
    engine: str = ""
    # The table of `time_column` when it is not `table`'s own, reached through declared joins
    # (Cube's orders.total_amount sums line items but is timed by the order's created_at)
    time_table: str = ""
    # What a metric compiled elsewhere (no `expr` here) aggregates, where its source says:
    # "count" of rows or keys, "sum" of a column; "" when unknown or when `expr` says it
    aggregate: str = ""


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    default: float
    min: float
    max: float
    synonyms: tuple[str, ...]
    source: str
    role: str = ""  # "window": how far back the rule looks; "threshold": the qualifying bar
    unit: str = ""  # what the value counts ("days", "weeks", "logins per week", "points")

    @property
    def is_integer(self) -> bool:
        return all(float(v).is_integer() for v in (self.default, self.min, self.max))

    def coerce(self, value: float) -> float | int:
        return int(value) if self.is_integer and float(value).is_integer() else float(value)


@dataclass(frozen=True)
class Member:
    name: str
    label: str
    description: str
    synonyms: tuple[str, ...]
    when: str  # SQL condition over the last stage's columns ("" with `match`)
    match: tuple[tuple[str, int, int], ...]  # lookup-table row: (column, lo, hi) inclusive
    source: str
    when_source: str = ""  # file:line of `when`, for SQL errors in it
    summary: str = ""  # plain-language rule, `{parameter}` placeholders resolved when shown
    # Cluster members: the K-Means centroid in scaled units, one (feature, value) per feature.
    centroid: tuple[tuple[str, float], ...] = ()
    alone: bool = True  # whether its name and label alone name it (`alone: false`: "new")


@dataclass(frozen=True)
class Stage:
    name: str
    sql: str
    source: str
    line: int  # line of the first SQL line, for mapping parse errors


@dataclass(frozen=True)
class Example:
    question: str
    plan: dict[str, Any]
    source: str


@dataclass(frozen=True)
class ClusterFeature:
    name: str  # a column of the segment's last stage
    transform: str = "none"  # "none" | "log1p" (ln(1 + x), for skewed counts and money)


@dataclass(frozen=True)
class ClusterOutcome:
    """An outcome the clusters must separate: a governed metric per user in the later window."""

    name: str
    metric: str
    label: str
    among: tuple[tuple[str, tuple[str, ...]], ...] = ()  # dimension -> values it is measured on


@dataclass(frozen=True)
class ClusterSpec:
    """The `cluster:` block of a segment: what `segq cluster fit` clusters and checks."""

    features: tuple[ClusterFeature, ...]
    outcomes: tuple[ClusterOutcome, ...]
    outcome_window_days: int
    k_min: int
    k_max: int
    sample: int
    source: str

    def feature(self, name: str) -> ClusterFeature | None:
        return next((f for f in self.features if f.name == name), None)


@dataclass(frozen=True)
class Segment:
    name: str
    label: str
    description: str
    owner: str
    version: int
    access: str
    entity: str  # "user" | "cohort"
    synonyms: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    requires: tuple[str, ...]
    stages: tuple[Stage, ...]
    where: str
    columns: tuple[str, ...]
    member_column: str
    members: tuple[Member, ...]
    history: str
    fitted: dict[str, Any]
    examples: tuple[Example, ...]
    source: str
    file: str
    hash: str
    kind: str = "segment"
    where_source: str = ""  # file:line of `where`, for SQL errors in it
    rank_by: str = ""  # the column "best"/"worst" ranks rows by (a cohort's retention rate)
    restated_by: Restatements = ()
    summary: str = ""  # plain-language rule, `{parameter}` placeholders resolved when shown
    population: str = ""  # who a family classifies, in words ("users with any activity")
    cluster: ClusterSpec | None = None
    column_synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (column, its words)

    def column_words(self, column: str) -> tuple[str, ...]:
        """The words a question may use for one of the segment's columns: its name and
        the synonyms the model declares for it."""
        declared = next((words for name, words in self.column_synonyms if name == column), ())
        return (column.replace("_", " "), *declared)

    @property
    def is_cluster(self) -> bool:
        return self.cluster is not None

    @property
    def is_family(self) -> bool:
        return bool(self.members)

    def member(self, name: str) -> Member | None:
        return next((m for m in self.members if m.name == name), None)

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def parameter_with_role(self, role: str) -> Parameter | None:
        return next((p for p in self.parameters if p.role == role), None)


@dataclass(frozen=True, eq=False)  # identity: a catalog is a loaded snapshot
class Catalog:
    tables: dict[str, Table]
    dimensions: dict[str, Dimension]
    metrics: dict[str, Metric]
    segments: dict[str, Segment]
    files: tuple[str, ...] = ()
    directory: str = ""
    access: AccessPolicy | None = None  # the `access:` section; None: no policies declared
    # What a foreign format's own compiler needs, by engine (dbt: MetricFlow's documents)
    foreign: dict[str, Any] = field(default_factory=dict)
    relationships: tuple[Relationship, ...] = ()  # declared joins (and column `references`)
    examples: tuple[Example, ...] = ()  # a foreign model's verified questions (no plan)

    def schema(self, *, include_restricted: bool = True) -> dict[str, dict[str, str]]:
        """sqlglot-style schema {table: {column: type}} of the governed tables."""
        return {
            t.name: {
                c.name: c.type
                for c in t.columns
                if include_restricted or c.access != "restricted"
            }
            for t in self.tables.values()
        }

    def population_metrics(self) -> list[Metric]:
        """Metrics that count the entity itself (`role: population`)."""
        return [m for m in self.metrics.values() if m.role == "population"]

    def other_dates(self, metric: Metric) -> dict[str, Dimension]:
        """The dates of a metric's own table other than the one it is timed by, keyed by the
        name a plan gives a time column: MetricFlow's dimension name without its entity for a
        dbt metric (`claim_close_date`), the column otherwise."""
        out: dict[str, Dimension] = {}
        for dim in self.dimensions.values():
            if dim.is_time and dim.table == metric.table:
                key = dim.name.split("__")[-1] if metric.engine == "metricflow" else dim.column
                if key != metric.time_column:
                    out.setdefault(key, dim)
        return out

    def buyer_metrics(self) -> list[Metric]:
        """Metrics that count people by what they bought (`role: buyers`)."""
        return [m for m in self.metrics.values() if m.role == "buyers"]

    def population_table(self) -> str:
        """The table of the entity every segment is made of (the population metric's)."""
        return next((m.table for m in self.population_metrics()), "")

    def signup_column(self) -> str:
        """The date a population member joined: the population metric's time column."""
        return next((m.time_column for m in self.population_metrics()), "")

    def order_column(self) -> str:
        """The date of a purchase: the buyers metric's time column."""
        return next((m.time_column for m in self.buyer_metrics()), "")

    def geography(self) -> Dimension | None:
        """The dimension that regions and country codes filter (`role: geography`)."""
        return next((d for d in self.dimensions.values() if d.role == "geography"), None)

    def retention_segment(self) -> Segment | None:
        """The cohort segment that "retention" questions read, when there is exactly one."""
        cohorts = [s for s in self.segments.values() if s.entity == "cohort"]
        return cohorts[0] if len(cohorts) == 1 else None

    def restricted_columns(self) -> set[tuple[str, str]]:
        return {
            (t.name, c.name) for t in self.tables.values() for c in t.columns
            if c.access == "restricted"
        }

    def parameter_owner(self, parameter: str) -> list[Segment]:
        return [s for s in self.segments.values() if s.parameter(parameter)]
