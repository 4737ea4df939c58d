"""JSON Schemas published for editors and tools; a test keeps `docs/schemas/` up to date.

Both are generated from the pydantic models the code validates with: the QueryPlan, and the
document models every native model file is validated against (`catalog/documents.py`).
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from assistant.catalog.documents import ModelFile
from assistant.plan import QueryPlan


class _Untitled(GenerateJsonSchema):
    """No `"title": "Primary Key"` on every property: the key itself is the title."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def plan_schema() -> dict[str, Any]:
    return QueryPlan.model_json_schema()


def models_schema() -> dict[str, Any]:
    """Schema of `semantic_models/*.yml`, generated from the models the loader validates with.

    A verified example's `plan` is a QueryPlan: its schema (and its `$defs`) is the plan's own,
    though the loader leaves checking it to `segq validate`'s dry run."""
    schema = ModelFile.model_json_schema(schema_generator=_Untitled)
    plan = plan_schema()
    definitions = schema.setdefault("$defs", {})
    definitions.update(plan.pop("$defs", {}))
    definitions["QueryPlan"] = plan
    definitions["ExampleDoc"]["properties"]["plan"] = {"$ref": "#/$defs/QueryPlan"}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
