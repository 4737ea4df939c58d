"""Hand-written SQL for each benchmark question: what a careful analyst would write from SPEC §4.

The segment rules come from `tests/reference_sql.py` (written from the spec alone, no shared code
with the product); the questions around them, and the PQL families and metric questions, are
written here the way an analyst would: one filtered pass per fact, half-open timestamp bounds.
Each entry is (family, question asked to segq, hand SQL of the same answer).
"""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import reference_sql as ref  # noqa: E402  (the repository root is added just above)

END = "TIMESTAMP '2026-07-01'"  # the first instant after as_of (2026-06-30)


def normal_rows(rows: list[Any]) -> list[tuple[Any, ...]]:
    """Rows as compared with the hand SQL's: numbers rounded to 6 places, dates as text,
    in a fixed order."""
    def cell(v: Any) -> Any:
        if isinstance(v, float | Decimal):
            return round(float(v), 6)
        return str(v) if v is not None and not isinstance(v, int | str) else v
    return sorted((tuple(cell(v) for v in row) for row in rows), key=repr)


WINDOW_30 = "TIMESTAMP '2026-06-01'"  # dates > as_of - 30
CORE = ref.CORE_ACTIONS

PQL_COUNT = f"""
SELECT count(*) AS users
FROM users AS u
WHERE u.plan IN ('free', 'trial') AND u.signup_at < {END}
  AND u.user_id IN (SELECT user_id FROM events
                    WHERE event_name = 'onboarding_completed' AND event_at < {END})
  AND u.user_id IN (SELECT user_id FROM events
                    WHERE event_name = 'teammate_invited' AND event_at < {END})
  AND u.user_id IN (SELECT user_id FROM events
                    WHERE event_name = 'project_created' AND event_at < {END}
                    GROUP BY user_id HAVING count(*) >= 3)
"""

PQL_SCORE = f"""
WITH f AS (SELECT user_id FROM users WHERE plan IN ('free', 'trial') AND signup_at < {END}),
ll AS (SELECT user_id, DATE '2026-06-30' - CAST(max(event_at) AS DATE) AS days
       FROM events WHERE event_name = 'login' AND event_at < {END} GROUP BY user_id),
sm AS (SELECT user_id, sum(duration_seconds) / 60.0 AS minutes FROM sessions
       WHERE started_at >= {WINDOW_30} AND started_at < {END} GROUP BY user_id),
ct AS (SELECT user_id, count(DISTINCT event_name) AS n FROM events
       WHERE event_name IN {CORE} AND event_at >= {WINDOW_30} AND event_at < {END}
       GROUP BY user_id),
inv AS (SELECT DISTINCT user_id FROM events
        WHERE event_name = 'teammate_invited' AND event_at < {END}),
scored AS (
  SELECT CASE WHEN ll.days <= 7 THEN 30 WHEN ll.days <= 30 THEN 15 ELSE 0 END
       + CASE WHEN coalesce(sm.minutes, 0) >= 60 THEN 20
              WHEN coalesce(sm.minutes, 0) >= 15 THEN 10 ELSE 0 END
       + 10 * coalesce(ct.n, 0)
       + CASE WHEN inv.user_id IS NOT NULL THEN 20 ELSE 0 END AS score
  FROM f LEFT JOIN ll USING (user_id) LEFT JOIN sm USING (user_id)
  LEFT JOIN ct USING (user_id) LEFT JOIN inv USING (user_id))
SELECT CASE WHEN score >= 80 THEN 'qualified' ELSE 'not_qualified' END AS qualification,
       count(*) AS users
FROM scored GROUP BY 1 ORDER BY 1
"""


def _counts(segment_sql: str, column: str) -> str:
    return f"SELECT {column}, count(*) AS users FROM ({segment_sql}) AS s GROUP BY 1 ORDER BY 1"


MOVEMENT = f"""
SELECT DATE '2026-03-31' AS month_end, t.segment AS segment_then,
       coalesce(n.segment, '(none)') AS segment_now, count(*) AS users
FROM ({ref.rfm_segment_sql(date(2026, 3, 31))}) AS t
LEFT JOIN ({ref.RFM_SEGMENT}) AS n ON n.user_id = t.user_id
WHERE t.segment = 'champions'
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""

COHORT = f"""
SELECT * FROM ({ref.COHORT_RETENTION}) AS c
WHERE cohort_month = DATE '2026-01-01' ORDER BY month_number
"""

REVENUE_US = f"""
SELECT u.plan, sum(o.amount) AS revenue
FROM orders AS o JOIN users AS u ON u.user_id = o.user_id
WHERE u.country = 'US' AND o.status = 'completed' AND o.ordered_at < {END}
GROUP BY 1 ORDER BY 1
"""

USERS = f"SELECT count(*) AS users FROM users WHERE signup_at < {END}"

ORDERS_Q2 = f"""
SELECT u.country, count(o.order_id) AS orders
FROM orders AS o JOIN users AS u ON u.user_id = o.user_id
WHERE o.status = 'completed' AND o.ordered_at >= TIMESTAMP '2026-04-01' AND o.ordered_at < {END}
GROUP BY 1 ORDER BY 1
"""

ACTIVE_BY_PLAN = f"""
SELECT u.plan, count(DISTINCT e.user_id) AS active_users
FROM events AS e JOIN users AS u ON u.user_id = e.user_id
WHERE e.event_name IN {CORE} AND e.event_at >= {WINDOW_30} AND e.event_at < {END}
GROUP BY 1 ORDER BY 1
"""

# Segment families (the ≤ 1.1x goal) and metric questions (the warm-overhead goal).
FAMILIES: list[tuple[str, str, str]] = [
    ("PQL score distribution", "pql score tiers", PQL_SCORE),  # qualified or not; "pql score
     # distribution" is one row per score value since 28a0435
    ("PQL count", "how many PQLs do we have?", PQL_COUNT),
    ("RFM segment counts", "how many customers are in each RFM segment?",
     _counts(ref.RFM_SEGMENT, "segment")),
    ("churn risk tiers", "churn risk tiers", _counts(ref.CHURN_RISK, "tier")),
    ("lifecycle stages", "users by lifecycle stage", _counts(ref.LIFECYCLE_STAGE, "stage")),
    ("engaged users", "how many engaged users?",
     f"SELECT count(*) AS users FROM ({ref.ENGAGED_USERS}) AS e"),
    ("cohort retention", "retention of the January 2026 cohort", COHORT),
    ("RFM movement", "where did the champions from the end of March go?", MOVEMENT),
    ("revenue by plan, US users", "revenue by plan for US users", REVENUE_US),
]

METRIC_QUESTIONS: list[tuple[str, str, str]] = [
    ("users", "how many users do we have?", USERS),
    ("revenue by plan, US users", "revenue by plan for US users", REVENUE_US),
    ("orders by country in Q2", "orders by country in Q2", ORDERS_Q2),
    ("active users by plan", "active users by plan", ACTIVE_BY_PLAN),
]
