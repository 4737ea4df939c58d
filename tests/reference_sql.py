"""Reference SQL for every governed segment, written straight from SPEC §4 and nothing else.

These are deliberately plain: one CTE per rule in the spec, literal dates and numbers, no
shared helpers with the product. Tests compare the product's compiled SQL against them, so
they must stay obvious enough to check by reading them next to the spec.

Each function takes the spec's parameters with the spec's defaults and returns a DuckDB
SELECT. Numbers are formatted with `int()`/`float()` so only numbers enter the SQL text.
The module-level constants are the defaults as of the demo's pinned date.

Reading of the spec where it leaves a choice:
* Rows dated after `as_of` are ignored (the demo has none, so this changes nothing there).
* `cohort_retention` returns every (cohort, month) pair from month 0 up to `as_of`'s month,
  including months where nobody was retained (retained = 0, rate = 0).
"""

from __future__ import annotations

from datetime import date

AS_OF = date(2026, 6, 30)
CORE_ACTIONS = "('feature_used', 'project_created', 'report_exported')"


def _d(as_of: date) -> str:
    return f"DATE '{date.fromisoformat(str(as_of)).isoformat()}'"


def engaged_users_sql(as_of: date = AS_OF, *, min_logins_per_week: int = 3, weeks: int = 4) -> str:
    """engaged_users: login events in the last 7*weeks days >= min_logins_per_week * weeks."""
    days = 7 * int(weeks)
    needed = int(min_logins_per_week) * int(weeks)
    return f"""
SELECT user_id
FROM events
WHERE event_name = 'login'
  AND CAST(event_at AS DATE) > {_d(as_of)} - {days}
  AND CAST(event_at AS DATE) <= {_d(as_of)}
GROUP BY user_id
HAVING count(*) >= {needed}
"""


def churn_risk_sql(
    as_of: date = AS_OF,
    *,
    high_inactive_days: int = 14,
    low_inactive_days: int = 7,
    decline_ratio: float = 0.5,
) -> str:
    """churn_risk: user_id, tier (high | medium | low | healthy) for users with an event."""
    a = _d(as_of)
    return f"""
WITH per_user AS (
    SELECT
        user_id,
        {a} - CAST(max(event_at) AS DATE) AS days_inactive,
        count(*) FILTER (WHERE CAST(event_at AS DATE) > {a} - 30) / 30.0 AS recent_daily,
        count(*) FILTER (WHERE CAST(event_at AS DATE) > {a} - 120
                           AND CAST(event_at AS DATE) <= {a} - 30) / 90.0 AS baseline_daily
    FROM events
    WHERE CAST(event_at AS DATE) <= {a}
    GROUP BY user_id
)
SELECT
    user_id,
    CASE
        WHEN days_inactive >= {int(high_inactive_days)} THEN 'high'
        WHEN recent_daily < {float(decline_ratio)} * baseline_daily THEN 'medium'
        WHEN days_inactive >= {int(low_inactive_days)} THEN 'low'
        ELSE 'healthy'
    END AS tier
FROM per_user
"""


def lifecycle_stage_sql(
    as_of: date = AS_OF,
    *,
    churned_inactive_days: int = 30,
    at_risk_inactive_days: int = 14,
    activation_window_days: int = 7,
    min_logins_per_week: int = 3,
    weeks: int = 4,
) -> str:
    """lifecycle_stage: user_id, stage (new | not_activated | churned | at_risk | engaged |
    activated) for every user who signed up on or before as_of."""
    a = _d(as_of)
    engaged = engaged_users_sql(as_of, min_logins_per_week=min_logins_per_week, weeks=weeks)
    return f"""
WITH last_event AS (
    SELECT user_id, max(event_at) AS last_event_at
    FROM events
    WHERE CAST(event_at AS DATE) <= {a}
    GROUP BY user_id
),
first_core AS (
    SELECT user_id, min(event_at) AS first_core_at
    FROM events
    WHERE event_name IN {CORE_ACTIONS} AND CAST(event_at AS DATE) <= {a}
    GROUP BY user_id
),
profile AS (
    SELECT DISTINCT user_id
    FROM events
    WHERE event_name = 'profile_completed' AND CAST(event_at AS DATE) <= {a}
),
engaged AS ({engaged}),
facts AS (
    SELECT
        u.user_id,
        u.signup_at,
        {a} - CAST(le.last_event_at AS DATE) AS days_inactive,
        (p.user_id IS NOT NULL
         AND fc.first_core_at IS NOT NULL
         AND fc.first_core_at <= u.signup_at + INTERVAL {int(activation_window_days)} DAY)
            AS activated,
        e.user_id IS NOT NULL AS engaged
    FROM users AS u
    LEFT JOIN last_event AS le ON le.user_id = u.user_id
    LEFT JOIN first_core AS fc ON fc.user_id = u.user_id
    LEFT JOIN profile AS p ON p.user_id = u.user_id
    LEFT JOIN engaged AS e ON e.user_id = u.user_id
    WHERE CAST(u.signup_at AS DATE) <= {a}
)
SELECT
    user_id,
    CASE
        WHEN CAST(signup_at AS DATE) > {a} - 7 THEN 'new'
        WHEN NOT activated THEN 'not_activated'
        WHEN days_inactive >= {int(churned_inactive_days)} THEN 'churned'
        WHEN days_inactive >= {int(at_risk_inactive_days)} THEN 'at_risk'
        WHEN engaged THEN 'engaged'
        ELSE 'activated'
    END AS stage
FROM facts
"""


def rfm_segment_sql(as_of: date = AS_OF) -> str:
    """rfm_segment: user_id, r, f, m, segment for customers (a completed order by as_of)."""
    a = _d(as_of)
    return f"""
WITH customers AS (
    SELECT
        user_id,
        {a} - CAST(max(ordered_at) AS DATE) AS recency,
        count(*) AS frequency,
        sum(amount) AS monetary
    FROM orders
    WHERE status = 'completed' AND CAST(ordered_at AS DATE) <= {a}
    GROUP BY user_id
),
ranked AS (
    SELECT
        user_id,
        PERCENT_RANK() OVER (ORDER BY recency DESC) AS r_pct,
        PERCENT_RANK() OVER (ORDER BY frequency ASC) AS f_pct,
        PERCENT_RANK() OVER (ORDER BY monetary ASC) AS m_pct
    FROM customers
),
scored AS (
    SELECT
        user_id,
        CASE WHEN r_pct >= 0.8 THEN 5 WHEN r_pct >= 0.6 THEN 4 WHEN r_pct >= 0.4 THEN 3
             WHEN r_pct >= 0.2 THEN 2 ELSE 1 END AS r,
        CASE WHEN f_pct >= 0.8 THEN 5 WHEN f_pct >= 0.6 THEN 4 WHEN f_pct >= 0.4 THEN 3
             WHEN f_pct >= 0.2 THEN 2 ELSE 1 END AS f,
        CASE WHEN m_pct >= 0.8 THEN 5 WHEN m_pct >= 0.6 THEN 4 WHEN m_pct >= 0.4 THEN 3
             WHEN m_pct >= 0.2 THEN 2 ELSE 1 END AS m
    FROM ranked
)
SELECT
    user_id,
    r,
    f,
    m,
    CASE
        WHEN r >= 4 AND f >= 4 AND m >= 4 THEN 'champions'
        WHEN r >= 3 AND f >= 4 THEN 'loyal_customers'
        WHEN r >= 4 AND f BETWEEN 2 AND 3 THEN 'potential_loyalists'
        WHEN r >= 4 AND f = 1 THEN 'new_customers'
        WHEN r = 1 AND f >= 4 AND m >= 4 THEN 'cant_lose_them'
        WHEN r <= 2 AND f >= 3 THEN 'at_risk'
        WHEN r <= 2 AND f <= 2 THEN 'hibernating'
        ELSE 'need_attention'
    END AS segment
FROM scored
"""


def pql_sql(as_of: date = AS_OF, *, min_projects: int = 3) -> str:
    """pql: free or trial users with onboarding_completed, teammate_invited and enough
    project_created events."""
    a = _d(as_of)
    return f"""
SELECT u.user_id
FROM users AS u
JOIN events AS e ON e.user_id = u.user_id
WHERE u.plan IN ('free', 'trial')
  AND CAST(e.event_at AS DATE) <= {a}
GROUP BY u.user_id
HAVING count(*) FILTER (WHERE e.event_name = 'onboarding_completed') >= 1
   AND count(*) FILTER (WHERE e.event_name = 'teammate_invited') >= 1
   AND count(*) FILTER (WHERE e.event_name = 'project_created') >= {int(min_projects)}
"""


def pql_score_sql(as_of: date = AS_OF) -> str:
    """pql_score: user_id, score for every free or trial user (qualified = score >= 80)."""
    a = _d(as_of)
    return f"""
WITH free_users AS (
    SELECT user_id FROM users WHERE plan IN ('free', 'trial')
),
last_login AS (
    SELECT user_id, {a} - CAST(max(event_at) AS DATE) AS days_since_login
    FROM events
    WHERE event_name = 'login' AND CAST(event_at AS DATE) <= {a}
    GROUP BY user_id
),
session_minutes AS (
    SELECT user_id, sum(duration_seconds) / 60.0 AS minutes
    FROM sessions
    WHERE CAST(started_at AS DATE) > {a} - 30 AND CAST(started_at AS DATE) <= {a}
    GROUP BY user_id
),
core_types AS (
    SELECT user_id, count(DISTINCT event_name) AS n_types
    FROM events
    WHERE event_name IN {CORE_ACTIONS}
      AND CAST(event_at AS DATE) > {a} - 30 AND CAST(event_at AS DATE) <= {a}
    GROUP BY user_id
),
inviters AS (
    SELECT DISTINCT user_id
    FROM events
    WHERE event_name = 'teammate_invited' AND CAST(event_at AS DATE) <= {a}
)
SELECT
    f.user_id,
    CASE WHEN ll.days_since_login <= 7 THEN 30
         WHEN ll.days_since_login <= 30 THEN 15
         ELSE 0 END
    + CASE WHEN coalesce(sm.minutes, 0) >= 60 THEN 20
           WHEN coalesce(sm.minutes, 0) >= 15 THEN 10
           ELSE 0 END
    + 10 * coalesce(ct.n_types, 0)
    + CASE WHEN i.user_id IS NOT NULL THEN 20 ELSE 0 END AS score
FROM free_users AS f
LEFT JOIN last_login AS ll ON ll.user_id = f.user_id
LEFT JOIN session_minutes AS sm ON sm.user_id = f.user_id
LEFT JOIN core_types AS ct ON ct.user_id = f.user_id
LEFT JOIN inviters AS i ON i.user_id = f.user_id
"""


def cohort_retention_sql(as_of: date = AS_OF) -> str:
    """cohort_retention: cohort_month, month_number, cohort_size, retained, rate."""
    a = _d(as_of)
    return f"""
WITH cohorts AS (
    SELECT user_id, CAST(date_trunc('month', signup_at) AS DATE) AS cohort_month
    FROM users
    WHERE CAST(signup_at AS DATE) <= {a}
),
sizes AS (
    SELECT cohort_month, count(*) AS cohort_size
    FROM cohorts
    GROUP BY cohort_month
),
grid AS (
    SELECT
        s.cohort_month,
        s.cohort_size,
        CAST(m.month_number AS INTEGER) AS month_number
    FROM sizes AS s,
         range(0, date_diff('month', s.cohort_month,
                            CAST(date_trunc('month', {a}) AS DATE)) + 1) AS m(month_number)
),
core_months AS (
    SELECT DISTINCT user_id, CAST(date_trunc('month', event_at) AS DATE) AS activity_month
    FROM events
    WHERE event_name IN {CORE_ACTIONS} AND CAST(event_at AS DATE) <= {a}
),
retained AS (
    SELECT
        c.cohort_month,
        date_diff('month', c.cohort_month, cm.activity_month) AS month_number,
        count(DISTINCT c.user_id) AS retained
    FROM cohorts AS c
    JOIN core_months AS cm ON cm.user_id = c.user_id
    GROUP BY 1, 2
)
SELECT
    g.cohort_month,
    g.month_number,
    g.cohort_size,
    coalesce(r.retained, 0) AS retained,
    coalesce(r.retained, 0) / g.cohort_size AS rate
FROM grid AS g
LEFT JOIN retained AS r
    ON r.cohort_month = g.cohort_month AND r.month_number = g.month_number
ORDER BY g.cohort_month, g.month_number
"""


def engagement_features_sql(as_of: date = AS_OF, *, window_end_days_before: int = 0) -> str:
    """engagement_score features over the 30 days ending `window_end_days_before` days before
    as_of: user_id, page_views, feature_uses, session_minutes, active_days (every user who
    signed up by the window's end; zeros where there was no activity). The fitted weights
    are not reproduced here."""
    end = f"({_d(as_of)} - {int(window_end_days_before)})"
    return f"""
WITH window_events AS (
    SELECT user_id, event_name, CAST(event_at AS DATE) AS event_date
    FROM events
    WHERE CAST(event_at AS DATE) > {end} - 30 AND CAST(event_at AS DATE) <= {end}
),
event_features AS (
    SELECT
        user_id,
        count(*) FILTER (WHERE event_name = 'page_view') AS page_views,
        count(*) FILTER (WHERE event_name = 'feature_used') AS feature_uses,
        count(DISTINCT event_date) AS active_days
    FROM window_events
    GROUP BY user_id
),
session_features AS (
    SELECT user_id, sum(duration_seconds) / 60.0 AS session_minutes
    FROM sessions
    WHERE CAST(started_at AS DATE) > {end} - 30 AND CAST(started_at AS DATE) <= {end}
    GROUP BY user_id
)
SELECT
    u.user_id,
    coalesce(ef.page_views, 0) AS page_views,
    coalesce(ef.feature_uses, 0) AS feature_uses,
    coalesce(sf.session_minutes, 0) AS session_minutes,
    coalesce(ef.active_days, 0) AS active_days
FROM users AS u
LEFT JOIN event_features AS ef ON ef.user_id = u.user_id
LEFT JOIN session_features AS sf ON sf.user_id = u.user_id
WHERE CAST(u.signup_at AS DATE) <= {end}
"""


ENGAGED_USERS = engaged_users_sql()
CHURN_RISK = churn_risk_sql()
LIFECYCLE_STAGE = lifecycle_stage_sql()
RFM_SEGMENT = rfm_segment_sql()
PQL = pql_sql()
PQL_SCORE = pql_score_sql()
COHORT_RETENTION = cohort_retention_sql()
ENGAGEMENT_FEATURES = engagement_features_sql()
