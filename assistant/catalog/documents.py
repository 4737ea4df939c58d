"""The shape of a native model file (`semantic_models/*.yml`), as pydantic models.

These document models say once which keys each object accepts, which are required, what type
each value has and which values an enumerated key takes (`Literal`s). The builder validates
every file against `ModelFile` before it builds the runtime catalog (`models.py`, which the
foreign importers build too), and the JSON Schema published for editors is generated from them
(`assistant/schemas.py`). What needs more than one key or the whole catalog to check (bounds
against a default, a member's one rule, references between definitions) stays in the builder
and the catalog rules.

Every document remembers where it was written: validated with `context={"file": ...}` from a
line-aware mapping, `where()` is its `file:line` and `where(key)` the line of one key.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    StrictBool,
    StrictInt,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic_core import PydanticCustomError

from assistant.catalog.models import RelationshipType
from assistant.catalog.yaml_loader import LineDict

Access = Literal["public", "restricted"]  # anything else reads as `restricted` (fail closed)
Grain = Literal["day", "week", "month", "quarter", "year"]


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PydanticCustomError("number_type", "Input should be a finite number")
    return value


# 14 stays 14 (not 14.0); true, "14" and .inf are refused
Number = Annotated[int | float, PlainValidator(_number, json_schema_input_type=float)]


def _words(value: Any) -> Any:
    """`synonyms: churn` means `[churn]`; an empty `synonyms:` means none."""
    if value is None:
        return ()
    scalar = isinstance(value, str | int | float) and not isinstance(value, bool)
    return [value] if scalar else value


# A list of words; a single word is accepted for a one-word list.
Words = Annotated[tuple[str, ...], BeforeValidator(_words, json_schema_input_type=list[str] | str)]


class Document(BaseModel):
    """A mapping of a model file: unknown keys are errors, values are frozen once read."""

    # Numbers are accepted where text is expected (`value: 2024`); the schema asks for text.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False,
                              coerce_numbers_to_str=True)
    kind: ClassVar[str] = "object"  # what messages call it: "segment", "member", ...
    _file: str = PrivateAttr(default="")
    _line: int = PrivateAttr(default=0)
    _key_lines: dict[str, int] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_lines(cls, data: Any, handler: ValidatorFunctionWrapHandler,
                        info: ValidationInfo) -> Any:
        document = handler(data)
        if isinstance(data, LineDict) and isinstance(document, Document):
            document._file = str((info.context or {}).get("file", ""))
            document._line, document._key_lines = data.line, dict(data.key_lines)
        return document

    def at(self, key: str | None = None) -> str:
        """`file:line` of this mapping, or of one of its keys."""
        line = self._key_lines.get(key, self._line) if key else self._line
        return f"{self._file}:{line}" if line else self._file

    @property
    def file(self) -> str:
        return self._file

    def line_of(self, key: str) -> int:
        return self._key_lines.get(key, self._line)


def content_hash(raw: Any) -> str:
    """Stable short hash of a definition's content as written, shown with every answer (and
    compared with the same definition in git history: `assistant/history.py`)."""
    text = json.dumps(raw, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class Definition(Document):
    """A table, dimension, metric or segment: also remembers the hash of its YAML."""

    _hash: str = PrivateAttr(default="")

    @model_validator(mode="wrap")
    @classmethod
    def _remember_hash(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        document = handler(data)
        if isinstance(document, Definition):
            document._hash = content_hash(data)
        return document

    @property
    def hash(self) -> str:
        return self._hash


class ColumnDoc(Document):
    kind: ClassVar[str] = "column"
    name: str
    type: str
    access: Access = "public"  # "restricted" columns (PII) never reach an answer by default
    references: str = ""  # `table.column`: a many-to-one relationship
    description: str = ""


class TableDoc(Definition):
    kind: ClassVar[str] = "table"
    name: str
    columns: tuple[ColumnDoc, ...]
    description: str = ""
    primary_key: str = ""


class KeyDoc(Document):
    kind: ClassVar[str] = "key"
    from_: str = Field(alias="from")
    to: str


class RelationshipDoc(Document):
    kind: ClassVar[str] = "relationship"
    name: str
    from_: str = Field(alias="from")
    to: str
    keys: tuple[KeyDoc, ...] = Field(min_length=1)
    type: RelationshipType
    unique_key: StrictBool = False
    description: str = ""


class ValueDoc(Document):
    kind: ClassVar[str] = "value"
    value: str
    label: str = ""  # default: the name
    synonyms: Words = ()


class DimensionDoc(Definition):
    kind: ClassVar[str] = "dimension"
    name: str
    table: str
    column: str
    label: str = ""  # default: the name
    description: str = ""
    synonyms: Words = ()
    values: tuple[ValueDoc, ...] = ()
    type: Literal["categorical", "time"] = "categorical"
    grains: tuple[Grain, ...] = ()
    role: Literal["geography"] | None = None  # the dimension regions and country codes filter
    access: Access = "public"


class WindowDoc(Document):
    kind: ClassVar[str] = "window"
    days: StrictInt = Field(ge=1)
    synonyms: Words


# `[[finished onboarding | completed onboarding, "{min_projects}"]]`: restatements of parts
RestatedBy = tuple[Annotated[tuple[str, ...], Field(min_length=1)], ...]


class MetricDoc(Definition):
    kind: ClassVar[str] = "metric"
    name: str
    table: str
    expr: str
    label: str = ""  # default: the name
    description: str = ""
    owner: str = ""
    version: StrictInt = 1
    filter: str = ""
    time_column: str = ""
    default_window_days: StrictInt | None = Field(default=None, ge=1)
    synonyms: Words = ()
    # population: counts the entity itself; buyers: counts people by their purchases
    role: Literal["population", "buyers"] | None = None
    windows: tuple[WindowDoc, ...] = ()
    restated_by: RestatedBy = ()


class ParameterDoc(Document):
    kind: ClassVar[str] = "parameter"
    name: str
    default: Number
    min: Number
    max: Number
    label: str = ""  # default: the name
    synonyms: Words = ()
    description: str = ""
    # window: how far back the rule looks; threshold: the qualifying bar
    role: Literal["window", "threshold"] | None = None
    unit: str = ""  # what the value counts: "2 weeks" is 14 for a parameter in days


class MemberDoc(Document):
    kind: ClassVar[str] = "member"
    name: str
    label: str = ""  # default: the name
    description: str = ""
    synonyms: Words = ()
    when: str = ""  # a condition over the last stage's columns ...
    match: dict[str, tuple[StrictInt, StrictInt]] | None = None  # ... or inclusive ranges ...
    centroid: dict[str, Number] | None = Field(default=None, min_length=1)  # ... or a centroid
    summary: str = ""
    # false: the name and label alone are too plain a word ("new", "high") to name the
    # member; they name it beside their family ("the new stage") or through a synonym
    alone: bool = True


class StageDoc(Document):
    kind: ClassVar[str] = "stage"
    name: str
    sql: str


class ExampleDoc(Document):
    kind: ClassVar[str] = "example"
    question: str
    # A QueryPlan; checked by `segq validate`'s dry run at the example's line, not on load
    plan: dict[str, Any]


def _feature(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


class FeatureDoc(Document):
    kind: ClassVar[str] = "feature"
    name: str  # a column of the segment's last stage
    transform: Literal["none", "log1p"] = "none"  # log1p: ln(1 + x), for skewed counts


class OutcomeDoc(Document):
    kind: ClassVar[str] = "outcome"
    name: str
    metric: str
    label: str = ""  # default: the name
    among: dict[str, Words] = {}  # dimension -> the values the outcome is measured on


class ClusterDoc(Document):
    kind: ClassVar[str] = "cluster"
    # A feature is a column name, or `{name: column, transform: log1p}`
    features: tuple[Annotated[FeatureDoc, BeforeValidator(
        _feature, json_schema_input_type=str | FeatureDoc)], ...] = Field(min_length=1)
    outcomes: tuple[OutcomeDoc, ...] = ()
    outcome_window_days: StrictInt = Field(default=30, ge=1, le=365)
    k: tuple[Annotated[StrictInt, Field(ge=2, le=20)],
             Annotated[StrictInt, Field(ge=2, le=20)]] = (2, 8)  # K-Means tries min..max
    sample: StrictInt = Field(default=5000, ge=100, le=1_000_000)  # users fitted on


class SegmentDoc(Definition):
    kind: ClassVar[str] = "segment"
    name: str
    stages: tuple[StageDoc, ...] = Field(min_length=1)
    label: str = ""  # default: the name
    description: str = ""
    summary: str = ""
    # who a family classifies, in a stakeholder's words ("users with any activity")
    population: str = ""
    owner: str = ""
    version: StrictInt = Field(default=1, ge=1)
    access: Access = "public"
    entity: Literal["user", "cohort"] = "user"
    synonyms: Words = ()
    parameters: tuple[ParameterDoc, ...] = ()
    requires: Words = ()
    where: str = ""
    columns: Words = ()
    # words people use for a declared column ("r: [recency score, R score]")
    column_synonyms: dict[str, Words] = {}
    member_column: str = ""
    members: tuple[MemberDoc, ...] = ()
    history: str = ""
    fitted: dict[str, Any] = {}
    examples: tuple[ExampleDoc, ...] = ()
    rank_by: str = ""
    restated_by: RestatedBy = ()
    cluster: ClusterDoc | None = None


# -- the `access:` section (semantics and checks against the catalog: assistant/access/parse.py)


class MembersDoc(Document):
    kind: ClassVar[str] = "members"
    cli_users: Words = ()
    slack_users: Words = ()
    emails: Words = ()
    domains: Words = ()
    slack_groups: Words = ()


class GroupDoc(Document):
    kind: ClassVar[str] = "group"
    name: str
    description: str = ""
    members: MembersDoc | None = None
    attributes: dict[str, Words] = {}


class PolicyDoc(Document):
    """Exactly one of `segment`, `metric`, `dimension`, `column` or `rows` names its target."""

    kind: ClassVar[str] = "policy"
    segment: str | None = None
    metric: str | None = None
    dimension: str | None = None
    column: str | None = None
    rows: str | None = None
    groups: Words
    filter: str = ""  # rows policies: which rows the groups see
    description: str = ""


class AccessDoc(Document):
    kind: ClassVar[str] = "access section"
    default_group: str
    contact: str = ""
    groups: tuple[GroupDoc, ...] = ()
    policies: tuple[PolicyDoc, ...] = ()


class ModelFile(Document):
    """One `semantic_models/*.yml` file: any of these sections; names are unique catalog-wide."""

    model_config = ConfigDict(title="segq semantic model file")
    kind: ClassVar[str] = "model file"
    tables: tuple[TableDoc, ...] = ()
    dimensions: tuple[DimensionDoc, ...] = ()
    metrics: tuple[MetricDoc, ...] = ()
    segments: tuple[SegmentDoc, ...] = ()
    relationships: tuple[RelationshipDoc, ...] = ()
    access: AccessDoc | None = None


def accepted_keys(model: type[Document]) -> list[str]:
    """The keys a mapping of `model` may have, as written in YAML (`from`, not `from_`)."""
    return sorted(f.alias or name for name, f in model.model_fields.items())
