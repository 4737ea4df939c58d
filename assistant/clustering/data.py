"""Features as of a date and outcomes in the window after it, read in one validated query.

Features are the cluster segment's own governed stages compiled as of `feature_as_of`; each
outcome is a governed metric computed per user over (feature_as_of, feature_as_of + window],
0 where the user had none, and NULL for users outside its `among` dimensions (not measured).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from sqlglot import exp

from assistant.catalog.models import Catalog, ClusterOutcome, Metric, Segment
from assistant.compiler import date_literal, parse_fragment, segment_ctes
from assistant.compiler.portable import render
from assistant.errors import FitError
from assistant.validator import SqlContext, validate_sql
from assistant.warehouses import Adapter

MAX_USERS = 2_000_000  # every user's feature row comes back once; sampling is in numpy
_DISTINCT_USERS = re.compile(r"^COUNT\s*\(\s*DISTINCT\s+(\w+\.)?user_id\s*\)$", re.I)


@dataclass(frozen=True)
class FitData:
    user_ids: np.ndarray
    features: np.ndarray  # n x f, raw values in the order of the spec's features
    outcomes: dict[str, np.ndarray]  # float, NaN where not measured
    feature_as_of: date
    outcome_window: tuple[date, date]


def is_binary(metric: Metric) -> bool:
    """A metric counting distinct users is, per user, 1 or 0: a rate, not an amount."""
    return bool(_DISTINCT_USERS.match(" ".join(metric.expr.split())))


def windows(seg: Segment, as_of: date) -> tuple[date, tuple[date, date]]:
    assert seg.cluster is not None
    feature_as_of = as_of - timedelta(days=seg.cluster.outcome_window_days)
    return feature_as_of, (feature_as_of + timedelta(days=1), as_of)


def fit_query(catalog: Catalog, seg: Segment, as_of: date) -> tuple[exp.Select, dict]:
    assert seg.cluster is not None
    feature_as_of, (start, end) = windows(seg, as_of)
    ctes = segment_ctes(catalog, seg, feature_as_of)
    select = exp.select(exp.column("user_id", table="s")).from_(
        exp.to_table(seg.name).as_("s"))
    for feature in seg.cluster.features:
        select = select.select(exp.column(feature.name, table="s"))
    extra: list[tuple[str, exp.Expr]] = []
    for index, outcome in enumerate(seg.cluster.outcomes):
        alias = f"o{index}"
        name = f"outcome_{index}"
        extra.append((name, _outcome_cte(catalog, outcome, start, end)))
        select = select.join(exp.to_table(name).as_(alias), join_type="left", on=exp.column(
            "user_id", table=alias).eq(exp.column("user_id", table="s")))
        value = exp.func("COALESCE", exp.column("value", table=alias), exp.Literal.number(0))
        measured = _among(catalog, outcome, "s")
        if measured is not None:
            value = exp.Case().when(measured, value)
        select = select.select(value.as_(f"outcome_{index}"))
    for cte_name, body in [*ctes, *extra]:
        select = select.with_(cte_name, as_=body)
    return select.order_by(exp.column("user_id", table="s")).limit(MAX_USERS), dict(ctes)


def _outcome_cte(catalog: Catalog, outcome: ClusterOutcome, start: date, end: date) -> exp.Select:
    metric = catalog.metrics[outcome.metric]
    when = exp.cast(exp.column(metric.time_column, table=metric.table),
                    exp.DataType.build("DATE"))
    body = (exp.select(exp.column("user_id", table=metric.table),
                       parse_fragment(metric.expr).as_("value"))
            .from_(metric.table)
            .where(when.between(date_literal(start), date_literal(end)))
            .group_by(exp.column("user_id", table=metric.table)))
    if metric.filter:
        body = body.where(parse_fragment(metric.filter, condition=True))
    return body


def _among(catalog: Catalog, outcome: ClusterOutcome, alias: str) -> exp.Expr | None:
    """`s.user_id IN (SELECT user_id FROM users WHERE plan IN ('free', 'trial'))`."""
    if not outcome.among:
        return None
    conditions = []
    for name, values in outcome.among:
        dim = catalog.dimensions[name]
        conditions.append(exp.column(dim.column).isin(*[exp.Literal.string(v) for v in values]))
    tables = {catalog.dimensions[name].table for name, _ in outcome.among}
    inner = exp.select("user_id").from_(tables.pop()).where(exp.and_(*conditions))
    return exp.column("user_id", table=alias).isin(query=inner)


def read_fit_data(catalog: Catalog, seg: Segment, warehouse: Adapter, as_of: date) -> FitData:
    if seg.cluster is None:
        raise FitError(f"Segment `{seg.name}` ({seg.source}) has no `cluster:` block, so there "
                       "is nothing to fit. Add `cluster: {features: [...], outcomes: [...]}`.")
    select, ctes = fit_query(catalog, seg, as_of)
    sql = render(select, warehouse.dialect)
    validate_sql(sql, SqlContext(catalog, None, ctes, max_limit=MAX_USERS,
                                 dialect=warehouse.dialect))
    result = warehouse.execute(sql, row_cap=MAX_USERS)
    n_features = len(seg.cluster.features)
    rows = np.array([[np.nan if v is None else float(v) for v in row] for row in result.rows],
                    dtype=float).reshape(len(result.rows), 1 + n_features
                                         + len(seg.cluster.outcomes))
    feature_as_of, window = windows(seg, as_of)
    return FitData(rows[:, 0].astype(np.int64), np.nan_to_num(rows[:, 1:1 + n_features]),
                   {o.name: rows[:, 1 + n_features + i]
                    for i, o in enumerate(seg.cluster.outcomes)}, feature_as_of, window)
