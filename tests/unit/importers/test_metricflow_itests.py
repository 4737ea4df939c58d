"""MetricFlow's own integration cases, run through segq's dbt import and MetricFlow path on the
DuckDB snapshots, equal their hand-written check queries (tests/metricflow_oracle.py)."""

from __future__ import annotations

import pytest

from tests.metricflow_oracle import ITESTS, NOT_APPLICABLE, run_all

pytest.importorskip("metricflow")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not ITESTS.is_dir(), reason="the shared MetricFlow itests are not on this machine")]


def test_every_case_of_every_manifest_equals_its_check_query() -> None:
    results = run_all()
    failures = [f"{case.manifest}/{case.name}: {why}" for outcomes in results.values()
                for case, why in outcomes if why and why != NOT_APPLICABLE]
    assert failures == []
    assert len(results["simple_manifest"]) == 233
    not_applicable = [case.name for outcomes in results.values() for case, why in outcomes
                      if why == NOT_APPLICABLE]
    assert not_applicable == ["approximate_discrete_percentile_agg"]  # DuckDB lacks it
