"""A metric's window said as a noun ("a 60-day window instead of the usual 30"), against SQL."""

from __future__ import annotations

import pytest

from assistant.pipeline import Assistant

CORE = "('feature_used', 'project_created', 'report_exported')"


def _active(config, days: int) -> int:
    return Assistant(config).warehouse.cursor().execute(
        "SELECT COUNT(DISTINCT user_id) FROM events WHERE event_name IN " + CORE +
        f" AND CAST(event_at AS DATE) > DATE '2026-06-30' - {days} "
        "AND CAST(event_at AS DATE) <= DATE '2026-06-30'").fetchone()[0]


@pytest.mark.parametrize("question", [
    "Using a 45-day window instead of the usual 30, how many active users are there?",
    "active users over a 45 day lookback",
    "how many active users with a window of 45 days?",
])
def test_a_window_said_for_the_windowed_metric_is_its_period(question, config):
    answer = Assistant(config).ask(question)
    assert answer.status == "answered", answer.message
    assert answer.rows == [[_active(config, 45)]]
    assert "2026-05-17 to 2026-06-30" in answer.message


def test_a_window_beside_a_segment_stays_the_segments_what_if(config):
    answer = Assistant(config).ask("engaged users with a 14 day window")
    assert answer.status != "answered" or "what-if" in answer.message
