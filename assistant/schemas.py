"""JSON Schemas published for editors and tools; a test keeps `docs/schemas/` up to date."""

from __future__ import annotations

from typing import Any

from assistant.access.models import ACCESS_VALUES, MEMBER_KEYS, POLICY_KINDS
from assistant.catalog.builder import KEYS, ROLES
from assistant.catalog.models import RELATIONSHIP_TYPES
from assistant.plan import QueryPlan


def plan_schema() -> dict[str, Any]:
    return QueryPlan.model_json_schema()


def _object(kind: str, children: dict[str, Any] | None = None) -> dict[str, Any]:
    required, optional = KEYS[kind]
    props: dict[str, Any] = {k: {} for k in sorted(required | optional)}
    props.update(children or {})
    return {"type": "object", "required": sorted(required), "properties": props,
            "additionalProperties": False}


def _cluster_schema() -> dict[str, Any]:
    from assistant.catalog.cluster_builder import CLUSTER_KEYS, OUTCOME_KEYS, TRANSFORMS

    feature = {"oneOf": [{"type": "string"}, {
        "type": "object", "required": ["name"], "additionalProperties": False,
        "properties": {"name": {"type": "string"}, "transform": {"enum": list(TRANSFORMS)}}}]}
    outcome = {"type": "object", "required": ["metric", "name"], "additionalProperties": False,
               "properties": {k: {} for k in sorted(OUTCOME_KEYS)}}
    props: dict[str, Any] = {k: {} for k in sorted(CLUSTER_KEYS)}
    props.update({"features": {"type": "array", "items": feature, "minItems": 1},
                  "outcomes": {"type": "array", "items": outcome},
                  "outcome_window_days": {"type": "integer", "minimum": 1, "maximum": 365},
                  "k": {"type": "array", "items": {"type": "integer", "minimum": 2,
                                                   "maximum": 20}, "minItems": 2, "maxItems": 2},
                  "sample": {"type": "integer", "minimum": 100}})
    return {"type": "object", "required": ["features"], "properties": props,
            "additionalProperties": False}


def models_schema() -> dict[str, Any]:
    """Schema of `semantic_models/*.yml`, generated from the same key table the loader uses."""
    strings = {"type": "array", "items": {"type": "string"}}
    access_value = {"enum": list(ACCESS_VALUES)}
    column = _object("column", {"access": access_value})
    member = _object("member", {"synonyms": strings, "when": {"type": "string"},
                                "match": {"type": "object", "additionalProperties": {
                                    "type": "array", "items": {"type": "integer"},
                                    "minItems": 2, "maxItems": 2}},
                                "centroid": {"type": "object",
                                             "additionalProperties": {"type": "number"}}})
    parameter = _object("parameter", {"default": {"type": "number"}, "min": {"type": "number"},
                                      "max": {"type": "number"}, "synonyms": strings,
                                      "role": {"enum": list(ROLES["parameter"])},
                                      "unit": {"type": "string"}})
    segment = _object("segment", {
        "synonyms": strings, "requires": strings, "columns": strings,
        "version": {"type": "integer", "minimum": 1},
        "entity": {"enum": ["user", "cohort"]}, "access": access_value,
        "parameters": {"type": "array", "items": parameter},
        "members": {"type": "array", "items": member},
        "stages": {"type": "array", "items": _object("stage"), "minItems": 1},
        "examples": {"type": "array", "items": _object("example", {"plan": plan_schema()})},
        "cluster": _cluster_schema(),
    })
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "segq semantic model file",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "tables": {"type": "array", "items": _object("table", {
                "columns": {"type": "array", "items": column}})},
            "dimensions": {"type": "array", "items": _object("dimension", {
                "synonyms": strings, "grains": strings,
                "type": {"enum": ["categorical", "time"]},
                "role": {"enum": list(ROLES["dimension"])}, "access": access_value,
                "values": {"type": "array", "items": _object("value", {"synonyms": strings})}})},
            "metrics": {"type": "array", "items": _object("metric", {
                "synonyms": strings, "role": {"enum": list(ROLES["metric"])},
                "windows": {"type": "array", "items": _object("window", {
                    "days": {"type": "integer", "minimum": 1}, "synonyms": strings})}})},
            "segments": {"type": "array", "items": segment},
            "relationships": {"type": "array", "items": _object("relationship", {
                "type": {"enum": list(RELATIONSHIP_TYPES)}, "unique_key": {"type": "boolean"},
                "keys": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["from", "to"], "additionalProperties": False,
                    "properties": {"from": {"type": "string"}, "to": {"type": "string"}}}}})},
            "access": _access_schema(strings),
        },
    }


def _access_schema(strings: dict[str, Any]) -> dict[str, Any]:
    """The `access:` section (assistant/access/parse.py)."""
    def closed(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
        return {"type": "object", "required": list(required), "properties": props,
                "additionalProperties": False}

    members = closed({k: strings for k in MEMBER_KEYS})
    group = closed({"name": {"type": "string"}, "description": {"type": "string"},
                    "members": members,
                    "attributes": {"type": "object", "additionalProperties": strings}},
                   ("name",))
    policy = closed({**{k: {"type": "string"} for k in POLICY_KINDS}, "groups": strings,
                     "filter": {"type": "string"}, "description": {"type": "string"}},
                    ("groups",))
    return closed({"default_group": {"type": "string"}, "contact": {"type": "string"},
                   "groups": {"type": "array", "items": group},
                   "policies": {"type": "array", "items": policy}}, ("default_group",))
