"""The column rule: every column resolves against the governed schema; PII needs allow_pii.

Qualifying a statement rewrites it, so the rule qualifies a copy. When the statement's WITH is
exactly the governed CTEs compiled for its plan (each body node for node the governed tree,
in the compiled order, and no other CTE exists anywhere: `verified.exactly_governed`), the
outcome for those
bodies is a property of the governed definitions, the schema and the restricted columns alone:
it is worked out once (qualifying the governed CTEs by themselves) and kept. The statement's
own SELECT is then qualified over stand-ins that have each governed CTE's output columns and
read no table, which resolves its columns exactly as the bodies would. Whenever the governed
CTEs are not clean, or the WITH is anything else, the whole statement is qualified as before.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import NamedTuple

from sqlglot import exp
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope
from sqlglot.schema import MappingSchema

from assistant.access.scope import unreadable_columns
from assistant.errors import Issue
from assistant.validator.runner import SqlContext
from assistant.validator.verified import over_stand_ins

Restricted = set[tuple[str, str]] | frozenset[tuple[str, str]]
KEPT = 256
# (governed CTEs' texts, schema, restricted columns) -> each governed CTE's output columns, or
# None when qualifying the governed CTEs by themselves finds an issue
_CLEAN: OrderedDict[str, dict[str, list[str]] | None] = OrderedDict()
_LOCK = threading.Lock()
# (catalog, live schema, dialect) -> the schema as qualify reads it, built once per catalog
# snapshot instead of once per statement (normalising every table and column name)
_SCHEMAS: OrderedDict[tuple[int, int, str], tuple[object, object, Schema]] = OrderedDict()


def governed_columns_only(tree: exp.Expr, ctx: SqlContext) -> Iterator[Issue]:
    """Qualify against the governed schema; restricted (PII) columns need `allow_pii`."""
    schema = _schema(ctx)
    if ctx.principal is None or ctx.principal.unrestricted:
        restricted: Restricted = (frozenset() if ctx.allow_pii
                                  else ctx.catalog.restricted_columns())
    else:  # the access policy decides, per principal; SEGQ_ALLOW_PII does not override it
        restricted = unreadable_columns(ctx.catalog, ctx.principal)
    outputs = _governed_outputs(tree, ctx, schema, restricted)
    target = tree.copy() if outputs is None else over_stand_ins(tree, outputs)
    try:
        qualified = qualify(target, schema=schema.mapping, dialect=ctx.dialect,
                            validate_qualify_columns=True)
    except OptimizeError as exc:
        yield Issue("error", f"A column is not governed or cannot be resolved: {exc}.")
        return
    yield from _restricted_reads(qualified, restricted)


class Schema(NamedTuple):
    """The governed schema (limited to the live one, when given), as qualify reads it and as
    text for keys."""

    tables: dict[str, dict[str, str]]
    mapping: MappingSchema
    text: str


def _schema(ctx: SqlContext) -> Schema:
    key = (id(ctx.catalog), id(ctx.live_schema), ctx.dialect)
    with _LOCK:
        kept = _SCHEMAS.get(key)
    if kept is not None and kept[0] is ctx.catalog and kept[1] is ctx.live_schema:
        return kept[2]
    schema = ctx.catalog.schema()
    if ctx.live_schema is not None:
        schema = {t: {c: ty for c, ty in cols.items() if c in ctx.live_schema.get(t, {})}
                  for t, cols in schema.items()}
    made = Schema(schema, MappingSchema(dict[str, object](schema), dialect=ctx.dialect),
                  json.dumps(schema))
    with _LOCK:
        _SCHEMAS[key] = (ctx.catalog, ctx.live_schema, made)
        while len(_SCHEMAS) > 8:
            _SCHEMAS.popitem(last=False)
    return made


def _restricted_reads(qualified: exp.Expr, restricted: Restricted) -> Iterator[Issue]:
    if not restricted:
        return
    for scope in traverse_scope(qualified):
        for column in scope.columns:
            source = scope.sources.get(column.table)
            if isinstance(source, exp.Table) and (source.name, column.name) in restricted:
                yield Issue("error", f"Column `{source.name}.{column.name}` is restricted "
                            "(personal data) and cannot be returned.", rule="restricted-column")


def _governed_outputs(tree: exp.Expr, ctx: SqlContext, schema: Schema,
                      restricted: Restricted) -> dict[str, list[str]] | None:
    """Each governed CTE's output columns when the WITH is exactly the clean governed one."""
    if not ctx.exactly_governed:
        return None
    # by the governed CTEs' texts, not the plan: plans over the same CTEs share the outcome
    key = json.dumps([[(n, ctx.expected_text.get(n)) for n in ctx.expected_ctes], ctx.dialect,
                      sorted(restricted)]) + schema.text
    with _LOCK:
        if key in _CLEAN:
            _CLEAN.move_to_end(key)
            return _CLEAN[key]
    outputs = _clean_outputs(ctx, schema, restricted)
    with _LOCK:
        _CLEAN[key] = outputs
        while len(_CLEAN) > KEPT:
            _CLEAN.popitem(last=False)
    return outputs


def _clean_outputs(ctx: SqlContext, schema: Schema,
                   restricted: Restricted) -> dict[str, list[str]] | None:
    """The governed CTEs (as they read back) qualified by themselves: None on any issue."""
    governed = exp.select("1")
    for name in ctx.expected_ctes:
        governed = governed.with_(name, as_=ctx.expected_normal[name].copy(), copy=False)
    try:
        qualified = qualify(governed, schema=schema.mapping, dialect=ctx.dialect,
                            validate_qualify_columns=True)
    except OptimizeError:
        return None
    if any(True for _ in _restricted_reads(qualified, restricted)):
        return None
    outputs = {cte.alias_or_name: list(cte.this.named_selects)
               for cte in qualified.args["with_"].expressions}
    return outputs if all(outputs.values()) else None
