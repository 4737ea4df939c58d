"""`segq fit engagement-score`: Pearson weights from warehouse data, written into the YAML.

Features come from the governed definition itself, computed as of `as_of - 30` (so the
feature window is (as_of-60, as_of-30]); the outcome is a core action in the last 30 days.
Features whose correlation is below the mean correlation are dropped (SPEC §4.7).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlglot import exp

from assistant.catalog.models import Catalog
from assistant.compiler import date_literal, parse_fragment, segment_ctes
from assistant.compiler.portable import render
from assistant.validator import SqlContext, validate_sql
from assistant.warehouses import Adapter

CORE_ACTIONS = ("feature_used", "project_created", "report_exported")
FEATURES = ("page_views", "feature_uses", "session_minutes", "active_days")


def fit_engagement_score(catalog: Catalog, warehouse: Adapter, as_of: date) -> dict[str, Any]:
    seg = catalog.segments["engagement_score"]
    feature_as_of = as_of - timedelta(days=30)
    ctes = segment_ctes(catalog, seg, feature_as_of)
    outcome = (
        exp.select("user_id").distinct().from_("events")
        .where(exp.column("event_name").isin(*[exp.Literal.string(a) for a in CORE_ACTIONS]))
        .where(parse_fragment("CAST(event_at AS DATE)", condition=False)
               > date_literal(feature_as_of))
        .where(parse_fragment("CAST(event_at AS DATE)") <= date_literal(as_of))
    )
    converted = exp.Case().when(exp.column("user_id", table="o").is_(exp.null()).not_(),
                                exp.Literal.number(1)).else_(exp.Literal.number(0))
    features_cte = f"{seg.name}__features"
    query = exp.select(*[
        exp.func("CORR", exp.cast(exp.column(f, table="f"), exp.DataType.build("DOUBLE")),
                 converted.copy()).as_(f)
        for f in FEATURES
    ]).from_(exp.to_table(features_cte).as_("f")).join(
        exp.to_table("outcome").as_("o"),
        on=exp.column("user_id", table="o").eq(exp.column("user_id", table="f")), join_type="left")
    for name, body in ctes:
        query = query.with_(name, as_=body)
    query = query.with_("outcome", as_=outcome).limit(1)
    sql = render(query, warehouse.dialect)
    validate_sql(sql, SqlContext(catalog, None, {n: b for n, b in ctes},
                                 dialect=warehouse.dialect))
    result = warehouse.execute(sql)
    correlations = {f: float(v or 0.0) for f, v in zip(FEATURES, result.rows[0], strict=True)}
    mean = sum(correlations.values()) / len(correlations)
    weights = {f: round(c, 6) for f, c in correlations.items() if c >= mean}
    return {
        "features": list(FEATURES),
        "outcome": "core action in the 30 days after the feature window",
        "fit_as_of": as_of.isoformat(),
        "feature_window": [(as_of - timedelta(days=59)).isoformat(), feature_as_of.isoformat()],
        "outcome_window": [(feature_as_of + timedelta(days=1)).isoformat(), as_of.isoformat()],
        "correlations": {f: round(c, 6) for f, c in correlations.items()},
        "weights": weights,
    }


def _flow(mapping: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in mapping.items()) + "}"


def write_fitted(path: Path, result: dict[str, Any]) -> int:
    """Replace the `fitted:` block (the last block of the file) and bump `version`."""
    text = path.read_text(encoding="utf-8")
    match = re.search(r"^(\s*)fitted:\n(?:\1  .*\n?)*", text, flags=re.M)
    if not match:
        raise ValueError(f"{path} has no `fitted:` block to update")
    indent = match[1] + "  "
    block = (
        f"{match[1]}fitted:\n"
        f"{indent}features: [{', '.join(result['features'])}]\n"
        f"{indent}outcome: {result['outcome']}\n"
        f"{indent}fit_as_of: \"{result['fit_as_of']}\"\n"
        f"{indent}feature_window: [\"{result['feature_window'][0]}\", "
        f"\"{result['feature_window'][1]}\"]\n"
        f"{indent}outcome_window: [\"{result['outcome_window'][0]}\", "
        f"\"{result['outcome_window'][1]}\"]\n"
        f"{indent}correlations: {_flow(result['correlations'])}\n"
        f"{indent}weights: {_flow(result['weights'])}\n"
    )
    text = text[:match.start()] + block + text[match.end():]
    version = re.search(r"^(\s*)version: (\d+)$", text, flags=re.M)
    new_version = int(version[2]) + 1 if version else 1
    if version:
        text = text[:version.start()] + f"{version[1]}version: {new_version}" + text[version.end():]
    path.write_text(text, encoding="utf-8")
    return new_version
