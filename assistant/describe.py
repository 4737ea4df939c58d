"""The one-sentence answer: what was counted, for whom, over which period, with what overrides."""

from __future__ import annotations

from datetime import date
from typing import Any

from assistant.catalog.models import Catalog, Metric
from assistant.executor import Result
from assistant.plan import OPEN_START, Intent, QueryPlan, SegmentRef


def _fmt(value: Any) -> str:
    if isinstance(value, float) or type(value).__name__ == "Decimal":
        return f"{float(value):,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def population(plan: QueryPlan, catalog: Catalog) -> str:
    """Words for the users a plan is about, e.g. "users in the At risk lifecycle stage".

    A catalog that counts no population (an imported revenue model) has no "users": its words
    are only the filters and the period ("with sales region Europe, in 2023-01-01 to ...")."""
    words = "users" if catalog.population_metrics() or plan.segment else ""
    if plan.segment:
        seg = catalog.segments[plan.segment.name]
        if plan.segment.selected():
            labels = [m.label for m in (seg.member(n) for n in plan.segment.selected()) if m]
            words = f"users in {seg.label} `{'` or `'.join(labels)}`"
        elif plan.intent != Intent.DISTRIBUTION:
            words = seg.label.lower() if seg.label.lower().endswith("users") else (
                f"users in {seg.label}")
    words += _other_segments(plan, catalog)
    for flt in plan.filters:
        dim = catalog.dimensions.get(flt.dimension)
        labels = []
        for value in flt.values:
            match = next((v for v in dim.values if v.value == value), None) if dim else None
            labels.append(match.label if match else value)
        name = dim.label.lower() if dim else flt.dimension
        if flt.exclude:
            words += f" excluding {name} {' and '.join(labels)}"
        else:
            words += f" with {name} {' or '.join(labels)}"
    if plan.signed_up is not None:
        su = plan.signed_up
        phrase = f" ({su.phrase})" if su.phrase else ""
        words += f" who signed up {_span(su.start, su.end)}{phrase}"
    lacking = catalog.metrics.get(plan.without_metric.name) if plan.without_metric else None
    if lacking is not None:
        tr = plan.time_range
        own = tr is not None and tr.column == lacking.time_column
        when = f" in {_span(tr.start, tr.end)}" + (f" ({tr.phrase})" if tr.phrase else "") \
            if own and tr is not None else ""
        window = f" (last {lacking.default_window_days} days)" if lacking.default_window_days \
            and not own else ""  # its governed window, when the plan names no period of it
        never = "not" if own or window else "never"
        words += f" who were {never} among {lacking.label.lower()}{when}{window}"
        if own:
            return words.strip()
    if plan.to_members and plan.segment and plan.time_range:
        seg = catalog.segments[plan.segment.name]
        now = [m.label for m in (seg.member(n) for n in plan.to_members) if m]
        words += f" at {plan.time_range.end.isoformat()} who are now in `{'` or `'.join(now)}`"
    elif plan.time_range and plan.intent not in (Intent.HISTORY, Intent.MOVEMENT):
        tr = plan.time_range
        col = tr.column or ""
        verbs = {catalog.signup_column(): "signed up", catalog.order_column(): "ordered"}
        verb = verbs.get(col, "in") if col else "signed up"
        other = _other_date(plan, catalog, col)
        verb = f"with {other}" if other else verb  # "claims, with claim close date 2019-..."
        if plan.intent in (Intent.METRIC, Intent.BREAKDOWN) and plan.metric and not col:
            verb = "in"
        phrase = f" ({tr.phrase})" if tr.phrase else ""
        verb = "" if verb == "in" and tr.start == tr.end else f"{verb} "  # not "in on <day>"
        words += f", {verb}{_span(tr.start, tr.end)}{phrase}"
    return words.strip()


def joined(head: str, word: str, who: str) -> str:
    """ "revenue for users with plan Pro", or without a population "revenue with sales region
    Europe" / "revenue, in 2023-01-01 to 2023-12-31"."""
    if not who:
        return head
    if who.startswith(","):
        return f"{head}{who}"
    if who.startswith(("with ", "excluding ")):
        return f"{head} {who}"
    return f"{head} {word} {who}"


def _other_segments(plan: QueryPlan, catalog: Catalog) -> str:
    """The segments the users are not in, also in, or in one of: " who are not in Engaged
    users", " who are in neither A nor B", " who are in A or in B"."""
    excluded = [_segment_label(catalog, r) for r in plan.excluding]
    words = ""
    if len(excluded) == 1:
        words += f" who are not in {excluded[0]}"
    elif excluded:
        words += f" who are in neither {' nor '.join(excluded)}" if len(excluded) == 2 else (
            f" who are in none of {', '.join(excluded)}")
    for ref in plan.also_in:
        words += f" who are also in {_segment_label(catalog, ref)}"
    if plan.any_of:
        words += f" who are in {' or in '.join(_segment_label(catalog, r) for r in plan.any_of)}"
    return words


def _segment_label(catalog: Catalog, ref: SegmentRef) -> str:
    """A segment (and member) as the answer names it: "Churn risk `High churn risk`"."""
    other = catalog.segments.get(ref.name)
    member = other.member(ref.member) if other and ref.member else None
    return f"{other.label} `{member.label}`" if other and member else (
        other.label if other else ref.name)


def _other_date(plan: QueryPlan, catalog: Catalog, column: str) -> str:
    """The label of a date of the metric's table other than the metric's own, when the period
    is on it ("claim close date"), else ""."""
    metric = catalog.metrics.get(plan.metric.name) if plan.metric else None
    dim = catalog.other_dates(metric).get(column) if metric is not None else None
    return dim.label.lower() if dim is not None else ""


def _span(start: date, end: date) -> str:
    """ "on 2026-03-03" for one day, "2026-01-05 to 2026-01-11" for a range."""
    if start == OPEN_START:
        return f"up to {end.isoformat()}"
    return f"on {start.isoformat()}" if start == end else \
        f"{start.isoformat()} to {end.isoformat()}"


def population_words(plan: QueryPlan, catalog: Catalog) -> str:
    """Just the segment part of `population`: "engaged users", "in Lifecycle stage `Churned`"."""
    bare = plan.model_copy(update={"filters": (), "time_range": None})
    return population(bare, catalog)


def overrides_text(plan: QueryPlan, catalog: Catalog | None = None) -> str:
    """What-if values next to the governed value they replace: "min_logins_per_week=5
    instead of the governed 3"."""
    if not plan.overrides:
        return ""
    parts = []
    for o in plan.overrides:
        governed = None
        if catalog is not None:
            owner = catalog.segments.get(o.segment or (plan.segment.name if plan.segment else ""))
            param = owner.parameter(o.parameter) if owner else None
            governed = param.default if param else None
        baseline = f" instead of the governed {governed:g}" if governed is not None else ""
        parts.append(f"{o.parameter}={o.value:g}{baseline}")
    return f" (what-if: {', '.join(parts)})"


def _cohort_people(plan: QueryPlan, catalog: Catalog) -> str:
    """Who a cohort counts: "users", or "users with plan Enterprise" when it is narrowed."""
    return population(QueryPlan(intent=Intent.COUNT, filters=plan.filters), catalog)


def _ranked_by(plan: QueryPlan, catalog: Catalog) -> str:
    """ "highest revenue" when the plan ranks people by a metric, else ""."""
    metric = catalog.metrics.get(plan.metric.name) if plan.metric else None
    if plan.intent != Intent.LIST or metric is None or plan.order is None or not plan.limit:
        return ""
    return f"{'highest' if plan.order == 'desc' else 'lowest'} {metric.label.lower()}"


def sentence(plan: QueryPlan, catalog: Catalog, result: Result) -> str:
    who = population(plan, catalog)  # "everyone else" is a row of the result, said by `dims`
    extra = overrides_text(plan, catalog)
    ranked = _ranked_by(plan, catalog)
    if plan.intent == Intent.LIST and ranked:
        return f"The {result.row_count:,} {who} with the {ranked}{extra}."
    if plan.intent == Intent.LIST:
        more = " (showing the first rows; the full list is truncated)" if result.truncated else ""
        return f"{result.row_count:,} {who}{extra}{more}."
    if plan.intent == Intent.RETENTION:
        seg = catalog.segments.get(plan.segment.name) if plan.segment else None
        rate_column = seg.rank_by if seg else ""
        if result.row_count == 1 and rate_column in result.columns:
            rate = result.rows[0][result.columns.index(rate_column)]
            cohort, month = result.rows[0][0], result.rows[0][1]
            best = {"desc": " (the best)", "asc": " (the worst)"}.get(plan.order or "", "")
            sized = [i for i, c in enumerate(result.columns) if c.endswith("size")]
            size = result.rows[0][sized[0]] if sized else None
            people = _cohort_people(plan, catalog)
            users = f" has {_fmt(size)} {people};" if isinstance(size, int | float) else \
                f" ({people})" * bool(plan.filters)
            return (f"The {cohort:%B %Y} cohort{best}{users} {float(rate):.1%} were retained "
                    f"in month {month}{extra}.")
        narrowed = f" of {_cohort_people(plan, catalog)}" if plan.filters else ""
        return f"Cohort retention{narrowed}: {result.row_count} cohort-month cells{extra}."
    if plan.intent == Intent.MOVEMENT and plan.segment and plan.time_range:
        seg = catalog.segments[plan.segment.name]
        then = plan.time_range.end.isoformat()
        if plan.to_members and result.rows:
            labels = [m.label for m in (seg.member(n) for n in plan.to_members) if m]
            who = population(plan.model_copy(update={"to_members": ()}), catalog)
            return (f"{_fmt(result.rows[0][0])} {who} at {then} are in "
                    f"`{'` or `'.join(labels)}` now{extra}.")
        return f"Where {who} at {then} are now: {result.row_count} moves{extra}."
    if plan.intent == Intent.HISTORY:
        days = sorted({row[0] for row in result.rows})
        when = f"at {days[0]:%Y-%m-%d}" if len(days) == 1 and isinstance(days[0], date) \
            else "at each month end"  # one month end said ("as it stood at the end of May")
        return f"{who.capitalize()} {when}: {result.row_count} rows{extra}."
    if plan.measure is not None and result.rows:
        word = {"avg": "Average", "median": "Median"}.get(plan.measure.aggregate,
                                                         plan.measure.aggregate.capitalize())
        what = f"{word} {plan.measure.column.replace('_', ' ')} of {who}"
        if len(result.rows) > 1 or plan.group_by:
            dims = ", ".join(d.name for d in plan.group_by)
            return f"{what} by {dims}{extra}: {result.row_count} groups."
        value = result.rows[0][-1]
        return f"{what}: {_fmt(float(value) if value is not None else 0.0)}{extra}."
    population_metrics = catalog.population_metrics()
    metric = catalog.metrics[plan.metric.name] if plan.metric else population_metrics[0]
    counts_people = metric in population_metrics
    if not result.rows:  # a model of no people has no "who": its figure is the subject
        subject = who if who[:1].isalnum() else f"{metric.label} figures{who}"
        return f"No rows: there are no {subject} matching that{extra}."
    if plan.averaged_over is not None and plan.time_range is not None:
        return _average(plan, metric, result, who, extra)
    if plan.change and len(result.rows) == 1 and len(result.rows[0]) == 6:
        return _change(metric, result, who, extra)
    if plan.intent == Intent.DISTRIBUTION:
        label = catalog.segments[plan.segment.name].label if plan.segment else "segment"
        if plan.by_column:
            label = f"each value of {plan.by_column}"
        second = catalog.segments.get(plan.by_segment) if plan.by_segment else None
        if second is not None:
            label = f"{label} and {second.label}"
        what = who if counts_people else joined(metric.label, "of", who)  # "Revenue of users"
        return f"{what[:1].upper()}{what[1:]} by {label}{extra}: {result.row_count} groups" \
            f"{_each_share(plan)}."
    if plan.share and plan.group_by and result.columns[-1] == "share" and \
            len(result.rows) == 1:
        return _one_group_share(plan, result, who if counts_people else joined(
            metric.label.lower(), "of", who), extra)
    if plan.share and result.columns[-1] == "share" and len(result.rows) == 1:
        members, everyone, share = result.rows[0][-3:]
        if plan.share_part() == "metric":  # "what % of enterprise users were active": the
            return _share_having_metric(plan, catalog, metric, (members, everyone, share),
                                        extra)  # users are the whole, the metric the part
        if plan.share_part() != "segment":  # the whole and the part are the plan's other parts
            base, segment_words = (population(p, catalog) for p in _share_sides(plan))
        else:
            segment_words = population_words(plan, catalog)
            base = who.replace(segment_words, "users", 1)
            family = catalog.segments.get(plan.segment.name) if plan.segment else None
            if family is not None and family.is_family and plan.segment and \
                    plan.segment.selected() and counts_people:  # who the family classifies
                base = base.replace("users", f"users classified by {family.label}", 1)
        if not counts_people:  # "what % of revenue came from the US": a part of a metric
            total = metric.label.lower() + ("" if base in ("users", "") else f" of {base}")
            segment_words = segment_words.removeprefix("with ")  # "comes from product line X"
            verb = "are" if "DISTINCT" in metric.expr.upper() else "comes from"
            return (f"{float(share or 0):.1%} of {total} ({_fmt(members)} of "
                    f"{_fmt(everyone)}) {verb} {segment_words}{extra}.")
        return (f"{float(share or 0):.1%} of {base} ({_fmt(members)} of {_fmt(everyone)}) are "
                f"{segment_words}{extra}.")
    if len(result.rows) == 1 and len(result.columns) == 1:
        value = _fmt(result.rows[0][0] if result.rows[0][0] is not None else 0)
        if counts_people:
            return f"There are {value} {who}{extra}."
        if who in ("users", "") and metric.table != catalog.population_table():  # no people
            return f"{metric.label}: {value}{extra}."
        return f"{joined(metric.label, 'for', who)}: {value}{extra}."
    dims = ", ".join(["them and everyone else"] * plan.versus_rest
                     + [f"{d.name} ({d.grain})" if d.grain else d.name for d in plan.group_by]
                     + [_periods(plan)] * bool(plan.compared)
                     + [f"each value of {plan.by_column}"] * bool(plan.by_column))
    what = who[:1].upper() + who[1:] if counts_people else joined(metric.label, "of", who)
    if not counts_people and who in ("users", "") and metric.table != catalog.population_table():
        what = metric.label
    return f"{what} by {dims}{_ranking(plan)}{extra}: {result.row_count} groups" \
        f"{_each_share(plan)}."


def _ranking(plan: QueryPlan) -> str:
    """ ", highest first, top 3": the order and the limit of a ranked breakdown, as the plan
    has them (a limit alone, with no order, is only a row cap and is not said)."""
    order = {"desc": ", highest first", "asc": ", lowest first"}.get(plan.order or "", "")
    return f"{order}, top {plan.limit}" if order and plan.limit else order


def _average(plan: QueryPlan, metric: Metric, result: Result, who: str, extra: str) -> str:
    """ "Average monthly revenue for users, ordered 2025-01-01 to 2025-12-31 (in 2025):
    151,125.67, the mean of its monthly figures." """
    assert plan.averaged_over is not None and plan.time_range is not None
    grain = plan.averaged_over
    what = f"Average {grain.adjective} number of {who}" if metric.role == "population" else \
        joined(f"Average {grain.adjective} {metric.label.lower()}", "for", who)
    how = f"the mean of its {grain.adjective} figures"
    if len(result.rows) == 1 and len(result.columns) == 1:
        value = result.rows[0][0]
        if value is None:  # no period of the range has a figure: no average, not a zero
            return f"{what}: no figure, as no {grain.value} of the period has one{extra}."
        return f"{what}: {_fmt(float(value))}, {how}{extra}."
    dims = ", ".join(d.name for d in plan.group_by)
    return f"{what} by {dims}{extra}: {result.row_count} groups, each {how}."


def _each_share(plan: QueryPlan) -> str:
    """A share beside every row says so ("... by plan: 4 groups, ..."): of all the rows, or
    of each row's own whole (a part of revenue in each quarter)."""
    if plan.share_of_total:
        return ", each with its share of them all"
    return ", each with its share of the whole" if plan.share else ""


def _change(metric: Metric, result: Result, who: str, extra: str) -> str:
    """ "Revenue went from 1,035,057.70 (from 2026-01-01) to 1,393,910.61 (from 2026-04-01):
    +358,852.91 (+34.7%)."""
    first, before, last, after, change, relative = result.rows[0]
    what = who if metric.role in ("population", "buyers") else joined(metric.label, "of", who)
    sign = "+" if (change or 0) >= 0 else "-"
    pct = f" ({sign}{abs(float(relative)):.1%})" if relative is not None else \
        " (no relative change: the earlier figure is 0)"
    return (f"{what[:1].upper()}{what[1:]} went from {_fmt(before or 0)} (the period from "
            f"{_day(first)}) to {_fmt(after or 0)} (from {_day(last)}): {sign}"
            f"{_fmt(abs(change or 0))}{pct}{extra}.")


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _one_group_share(plan: QueryPlan, result: Result, of: str, extra: str) -> str:
    """The one group a ranked share asks for ("which channel has the highest share"),
    named with its share and, when the row has them, the part and the whole it is of."""
    row, columns = result.rows[0], result.columns
    keys = ", ".join(str(v) for v in row[:len(plan.group_by)])
    dims = ", ".join(g.name for g in plan.group_by)
    rank = {"desc": "the highest share", "asc": "the lowest share"}.get(plan.order or "",
                                                                        "a share")
    counts = [v for c, v in zip(columns[len(plan.group_by):-1], row[len(plan.group_by):-1],
                                strict=True) if c]
    sides = f" ({_fmt(counts[0])} of {_fmt(counts[1])})" if len(counts) == 2 else ""
    return f"{dims} {keys} has {rank} of {of}: {float(row[-1] or 0):.1%}{sides}{extra}."


def _share_having_metric(plan: QueryPlan, catalog: Catalog, metric: Metric,
                         counts: tuple[Any, Any, Any], extra: str) -> str:
    """ "36.9% of users with plan Enterprise (541 of 1,467) are active users, in 2026-06-01
    to 2026-06-30 (in the last 30 days)": the filtered users are the whole, those the metric
    counts among them (in its period) the part."""
    members, everyone, share = counts
    whole = population(plan.model_copy(update={"time_range": None}), catalog)
    period = population(QueryPlan(intent=plan.intent, metric=plan.metric,
                                  time_range=plan.time_range), catalog)
    when = period.partition(",")[2].strip()
    part = metric.label.lower() + (f", {when}" if when else "")
    return f"{float(share or 0):.1%} of {whole} ({_fmt(members)} of {_fmt(everyone)}) are " \
        f"{part}{extra}."


def _share_sides(plan: QueryPlan) -> tuple[QueryPlan, QueryPlan]:
    """A share's whole and its part, each as a plan whose population words describe it."""
    bare = {"also_in": (), "excluding": (), "filters": (), "time_range": None, "segment": None}
    kind = plan.share_part()
    if kind == "also_in":
        return (plan.model_copy(update={"also_in": ()}),
                plan.model_copy(update={**bare, "segment": plan.also_in[0]}))
    if kind == "excluding":
        return (plan.model_copy(update={"excluding": ()}),
                plan.model_copy(update={**bare, "excluding": plan.excluding}))
    return (plan.model_copy(update={"filters": plan.filters[:-1]}),
            plan.model_copy(update={**bare, "filters": plan.filters[-1:]}))


def _metric_words(plan: QueryPlan, catalog: Catalog) -> str:
    if plan.measure is not None:
        word = {"avg": "average", "median": "median"}.get(plan.measure.aggregate,
                                                        plan.measure.aggregate)
        return f"the {word} {plan.measure.column.replace('_', ' ')}"
    metric = catalog.metrics.get(plan.metric.name) if plan.metric else None
    if metric is None or metric in catalog.population_metrics():
        return "the number"
    window = f" (last {metric.default_window_days} days)" if metric.default_window_days and (
        plan.time_range is None) else ""
    average = f"the average {plan.averaged_over.adjective} " if plan.averaged_over else ""
    return f"{average}{metric.label.lower()}{window}"


def _periods(plan: QueryPlan) -> str:
    return "period (" + " and ".join(_span(r.start, r.end) for r in plan.compared) + ")"


def reading(plan: QueryPlan, catalog: Catalog) -> str:
    """Every element of a plan in plain words: what is measured, of whom, when, how shaped."""
    who = population(plan, catalog)
    if plan.versus_rest:
        family = catalog.segments.get(plan.segment.name) if plan.segment else None
        classified = f" {family.label} classifies" if family and family.is_family else ""
        who = f"{who}, and of everyone else{classified} apart"
    extra = overrides_text(plan, catalog)
    dims = ", ".join([f"{d.name} ({d.grain})" if d.grain else d.name for d in plan.group_by]
                     + [_periods(plan)] * bool(plan.compared))
    by = f" by {dims}" if dims else ""
    if plan.by_column and plan.intent != Intent.DISTRIBUTION:
        by += f" by each value of {plan.by_column}"
    ranked = _ranked_by(plan, catalog)
    if plan.intent == Intent.LIST and ranked:
        return f"the {plan.limit} {who} with the {ranked}, one row each{extra}"
    if plan.intent == Intent.LIST:
        limit = f" (top {plan.limit})" if plan.limit else ""
        return f"a list of {who}{limit}{extra}"
    if plan.intent == Intent.RETENTION:
        month = f", month {plan.month_number}" if plan.month_number is not None else ""
        return f"cohort retention{month} for {who}{extra}"
    if plan.intent == Intent.HISTORY:
        return f"{who} at each month end{extra}"
    if plan.intent == Intent.MOVEMENT:
        return f"where {who} moved to by now{extra}"
    second = catalog.segments.get(plan.by_segment) if plan.by_segment else None
    if plan.intent == Intent.DISTRIBUTION and second is not None and plan.segment:
        first = catalog.segments[plan.segment.name].label
        return (f"the number of {who} in each pair of a {first} member and a {second.label} "
                f"member (people both classify){by}{extra}")
    if plan.intent == Intent.DISTRIBUTION:
        return f"the size of each member of {who}{by}{extra}"
    order = {"desc": ", highest first", "asc": ", lowest first"}.get(plan.order or "", "")
    top = f", top {plan.limit}" if plan.limit else ""
    share = " and their share" if plan.share else ""
    return f"{joined(_metric_words(plan, catalog), 'of', who)}{by}{share}{order}{top}{extra}"
