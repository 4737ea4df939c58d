"""A fitted cluster segment -> nearest-centroid assignment, as sqlglot expressions.

The features come from the segment's own stages (governed SQL over governed definitions);
this module adds one CTE with the squared distance of each user to each member's centroid in
the fitted scaled space, and the member column picks the nearest (the first on a tie, as
scikit-learn's `KMeans.predict` does). Scaling: z = (t(x) - mean) / scale, t = ln(1 + x) for
`log1p` features, with mean and scale from `fitted.scaling`.
"""

from __future__ import annotations

from sqlglot import exp

from assistant import messages
from assistant.catalog.models import ClusterFeature, Member, Segment
from assistant.compiler.sql import number_literal
from assistant.errors import CompileError


def is_fitted(seg: Segment) -> bool:
    return seg.is_cluster and bool(seg.members) and bool(seg.fitted.get("scaling"))


def distance_column(index: int) -> str:
    return f"distance_{index}"


def scaling(seg: Segment) -> dict[str, tuple[float, float]]:
    """feature -> (mean, scale), checked enough that the SQL cannot divide by zero."""
    raw = seg.fitted.get("scaling") or {}
    assert seg.cluster is not None
    out: dict[str, tuple[float, float]] = {}
    for feature in seg.cluster.features:
        pair = raw.get(feature.name)
        if not (isinstance(pair, list) and len(pair) == 2 and float(pair[1]) > 0):
            raise CompileError(messages.cluster_not_fitted(seg.name, seg.source))
        out[feature.name] = (float(pair[0]), float(pair[1]))
    return out


def scaled_feature(feature: ClusterFeature, mean: float, scale: float) -> exp.Expr:
    value: exp.Expr = exp.cast(exp.column(feature.name),
                               exp.DataType.build(exp.DataType.Type.DOUBLE))
    if feature.transform == "log1p":
        value = exp.Ln(this=exp.Add(this=number_literal(1), expression=value))
    centred = exp.Sub(this=value, expression=number_literal(mean))
    return exp.Div(this=exp.paren(centred), expression=number_literal(scale))


def distances(seg: Segment, source: str) -> exp.Select:
    """SELECT *, distance_0, distance_1, ... FROM <the last feature stage>."""
    assert seg.cluster is not None
    scales = scaling(seg)
    select = exp.select(exp.Star()).from_(exp.to_table(source))
    for index, member in enumerate(seg.members):
        centre = dict(member.centroid)
        terms: list[exp.Expr] = []
        for feature in seg.cluster.features:
            if feature.name not in centre:
                raise CompileError(messages.cluster_not_fitted(seg.name, member.source))
            diff = exp.paren(exp.Sub(this=scaled_feature(feature, *scales[feature.name]),
                                     expression=number_literal(centre[feature.name])))
            terms.append(exp.Mul(this=diff, expression=diff.copy()))
        total = terms[0]
        for term in terms[1:]:
            total = exp.Add(this=total, expression=term)
        select = select.select(total.as_(distance_column(index)))
    return select


def fit_summary(seg: Segment) -> str:
    """The card line: "fitted 2026-06-30, K-Means k=4 on 4,000 users, silhouette 0.54;
    separates retained (V 0.57), revenue (eps2 0.09); does not separate converted"."""
    fitted = seg.fitted
    if not seg.is_cluster or not fitted.get("fit_as_of"):
        return ""
    symbol = {"cramers_v": "V", "epsilon_squared": "eps2"}
    yes: list[str] = []
    no: list[str] = []
    for outcome, test in (fitted.get("separation") or {}).items():
        if not isinstance(test, dict):
            continue
        size = _number(test.get("effect_size"))
        effect = f"{symbol.get(str(test.get('effect')), 'effect')} {size}"
        (yes if test.get("separates") else no).append(f"{outcome} ({effect})")
    k, sample = fitted.get("k", len(seg.members)), int(fitted.get("sample", 0))
    text = (f"fitted {fitted['fit_as_of']}, K-Means k={k} on {sample:,} users, "
            f"silhouette {_number(fitted.get('silhouette'))}")
    if yes:
        text += "; separates " + ", ".join(yes)
    if no:
        text += "; does not separate " + ", ".join(no)
    return text


def _number(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else "?"


def strongest_features(member: Member, top: int = 3) -> str:
    """"session_minutes +1.8, active_days +1.2, lifetime_revenue -0.6"."""
    strongest = sorted(member.centroid, key=lambda fv: -abs(fv[1]))[:top]
    return ", ".join(f"{feature} {value:+.1f}" for feature, value in strongest)


def nearest_member(seg: Segment) -> exp.Expr:
    """CASE WHEN d0 <= d1 AND d0 <= d2 THEN 'a' WHEN d1 <= d2 THEN 'b' ELSE 'c' END."""
    case = exp.Case()
    last = len(seg.members) - 1
    for index, member in enumerate(seg.members[:last]):
        nearest = exp.and_(*[
            exp.column(distance_column(index)) <= exp.column(distance_column(other))
            for other in range(index + 1, last + 1)
        ])
        case = case.when(nearest, exp.Literal.string(member.name))
    return case.else_(exp.Literal.string(seg.members[last].name))
