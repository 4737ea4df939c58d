"""Today's members of a segment, split by when they signed up, against plain SQL."""

from __future__ import annotations

from assistant.pipeline import Assistant
from tests import reference_sql


def test_todays_pqls_by_signup_quarter_are_every_current_pql(config):
    assistant = Assistant(config)
    answer = assistant.ask("how many of today's PQLs signed up in each quarter?")
    assert answer.status == "answered", answer.message
    expected = assistant.warehouse.cursor().execute(
        f"WITH pql AS ({reference_sql.pql_sql()}) "
        "SELECT date_trunc('quarter', CAST(u.signup_at AS DATE))::DATE, COUNT(*) "
        "FROM pql JOIN users u USING (user_id) GROUP BY 1").fetchall()
    assert sorted((str(q), n) for q, n in answer.rows) == sorted((str(q), n) for q, n in expected)
    assert len(expected) > 1  # every quarter with signups, not only today's
