"""A small warehouse with planted behaviour groups, drawn for the clustering tests.

    as_of 2026-06-30; the fit reads features in May and outcomes in June; questions assign
    users by their June features (each group behaves alike in both months).

    group   users  sessions x minutes   page views   active days   June: retained / spends
    heavy   200    ~20 x 45             ~40          ~20           90% / 80%   (planted)
    medium  200    ~8 x 20              ~12          ~8            50% / 30%
    light   200    ~1 x 5               ~2           ~1            10% / 5%
    (`equal_outcomes=True`: every group retained 40% and spending 20%: tidy, useless)

Counts get +-25% noise per user, so the groups are clear but not points.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np

REPO = Path(__file__).resolve().parents[3]
AS_OF = date(2026, 6, 30)
GROUPS = {"heavy": (20, 45, 40, 20, 0.9, 0.8), "medium": (8, 20, 12, 8, 0.5, 0.3),
          "light": (1, 5, 2, 1, 0.1, 0.05)}
PER_GROUP = 200

SPEC = """\
segments:
  - name: usage_clusters
    label: Usage clusters
    description: Users clustered by last-30-day usage.
    owner: test
    version: 1
    synonyms: [usage cluster, usage clusters]
    stages:
      - name: sess
        sql: |
          SELECT user_id, SUM(duration_seconds) / 60.0 AS session_minutes
          FROM sessions
          WHERE CAST(started_at AS DATE) > :as_of - 30 AND CAST(started_at AS DATE) <= :as_of
          GROUP BY user_id
      - name: ev
        sql: |
          SELECT user_id,
            COUNT(*) FILTER (WHERE event_name = 'page_view') AS page_views,
            COUNT(DISTINCT CAST(event_at AS DATE)) AS active_days
          FROM events
          WHERE CAST(event_at AS DATE) > :as_of - 30 AND CAST(event_at AS DATE) <= :as_of
          GROUP BY user_id
      - name: features
        sql: |
          SELECT u.user_id,
            COALESCE(s.session_minutes, 0) AS session_minutes,
            COALESCE(e.page_views, 0) AS page_views,
            COALESCE(e.active_days, 0) AS active_days
          FROM users AS u
          LEFT JOIN sess AS s ON s.user_id = u.user_id
          LEFT JOIN ev AS e ON e.user_id = u.user_id
          WHERE CAST(u.signup_at AS DATE) <= :as_of
    columns: [session_minutes, page_views, active_days]
    member_column: cluster
    cluster:
      features:
        - {name: session_minutes, transform: log1p}
        - {name: page_views, transform: log1p}
        - active_days
      outcomes:
        - {name: retained, metric: active_users, label: retained}
        - {name: revenue, metric: revenue, label: revenue}
      outcome_window_days: 30
      k: [2, 5]
      sample: 600
"""


def build_world(directory: Path, *, equal_outcomes: bool = False, seed: int = 7) -> dict:
    """Write warehouse.duckdb and models/ under `directory`; return paths and planted labels."""
    rng = np.random.default_rng(seed)
    users, sessions, events, orders = [], [], [], []
    planted: dict[int, str] = {}
    for g, (name, (n_sess, minutes, views, days, p_ret, p_buy)) in enumerate(GROUPS.items()):
        if equal_outcomes:
            p_ret, p_buy = 0.4, 0.2
        for i in range(PER_GROUP):
            uid = 1 + g * PER_GROUP + i
            planted[uid] = name
            users.append([uid, "2026-01-05 09:00:00", "US", "pro", "organic", "11-50",
                          f"u{uid}@example.com"])
            for month in (datetime(2026, 4, 30), datetime(2026, 5, 31)):
                _usage(rng, uid, month, (n_sess, minutes, views, days), sessions, events)
            if rng.random() < p_ret:
                events.append([len(events) + 1, uid, 1, "2026-06-15 12:00:00", "feature_used"])
            if rng.random() < p_buy:
                orders.append([len(orders) + 1, uid, "2026-06-20 12:00:00",
                               round(float(rng.uniform(20, 200)), 2), "completed"])
    directory.mkdir(parents=True, exist_ok=True)
    warehouse = directory / "warehouse.duckdb"
    _write(warehouse, directory, users, sessions, events, orders)
    models = directory / "models"
    models.mkdir(exist_ok=True)
    for name in ("warehouse.yml", "metrics.yml"):
        shutil.copy(REPO / "semantic_models" / name, models / name)
    (models / "usage_clusters.yml").write_text(SPEC, encoding="utf-8")
    return {"warehouse": warehouse, "models": models, "planted": planted}


def _usage(rng: np.random.Generator, uid: int, start: datetime,
           shape: tuple[int, int, int, int], sessions: list, events: list) -> None:
    """One month of sessions and page views on ~`days` distinct days after `start`."""
    n_sess, minutes, views, days = shape
    n_days = max(1, int(round(days * rng.uniform(0.75, 1.25))))
    active = sorted(rng.choice(29, size=min(n_days, 29), replace=False).tolist())
    for s in range(max(1, int(round(n_sess * rng.uniform(0.75, 1.25))))):
        at = start + timedelta(days=1 + active[s % len(active)], hours=10)
        duration = int(minutes * 60 * rng.uniform(0.75, 1.25))
        sessions.append([len(sessions) + 1, uid, at.isoformat(sep=" "), duration])
    for v in range(max(1, int(round(views * rng.uniform(0.75, 1.25))))):
        at = start + timedelta(days=1 + active[v % len(active)], hours=11)
        events.append([len(events) + 1, uid, 1, at.isoformat(sep=" "), "page_view"])


def _write(path: Path, directory: Path, *tables: list[list[object]]) -> None:
    ddl = {
        "users": "user_id BIGINT, signup_at TIMESTAMP, country VARCHAR, plan VARCHAR, "
                 "acquisition_channel VARCHAR, company_size VARCHAR, email VARCHAR",
        "sessions": "session_id BIGINT, user_id BIGINT, started_at TIMESTAMP, "
                    "duration_seconds INTEGER",
        "events": "event_id BIGINT, user_id BIGINT, session_id BIGINT, event_at TIMESTAMP, "
                  "event_name VARCHAR",
        "orders": "order_id BIGINT, user_id BIGINT, ordered_at TIMESTAMP, "
                  "amount DECIMAL(12,2), status VARCHAR",
    }
    con = duckdb.connect(str(path))
    try:
        for (table, columns), rows in zip(ddl.items(), tables, strict=True):
            con.execute(f"CREATE TABLE {table} ({columns})")
            if rows:
                file = directory / f"{table}.csv"
                with file.open("w", newline="") as handle:
                    csv.writer(handle).writerows(rows)
                con.execute(f"COPY {table} FROM '{file}' (HEADER false)")
    finally:
        con.close()
