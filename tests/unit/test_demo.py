"""The demo warehouse honours SPEC §3 and makes every governed segment of SPEC §4 non-empty.

One small demo (3,000 users, seed 42) is built per module and opened read-only; segment
membership is computed with the plain reference SQL in `tests/reference_sql.py`, as of the
demo's pinned date 2026-06-30.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from assistant.demo import (
    DEFAULT_SEED,
    DEFAULT_USERS,
    DEMO_AS_OF,
    DEMO_START,
    DemoStats,
    build_demo,
    ensure_demo,
)
from assistant.errors import ConfigError
from tests import reference_sql as ref

SMALL_USERS = 3_000
FIRST_INSTANT = datetime(2025, 1, 1, 0, 0, 0)
LAST_INSTANT = datetime(2026, 6, 30, 23, 59, 59)

SCHEMA = {
    "users": [
        ("user_id", "BIGINT"),
        ("signup_at", "TIMESTAMP"),
        ("country", "VARCHAR"),
        ("plan", "VARCHAR"),
        ("acquisition_channel", "VARCHAR"),
        ("company_size", "VARCHAR"),
        ("email", "VARCHAR"),
    ],
    "sessions": [
        ("session_id", "BIGINT"),
        ("user_id", "BIGINT"),
        ("started_at", "TIMESTAMP"),
        ("duration_seconds", "INTEGER"),
    ],
    "events": [
        ("event_id", "BIGINT"),
        ("user_id", "BIGINT"),
        ("session_id", "BIGINT"),
        ("event_at", "TIMESTAMP"),
        ("event_name", "VARCHAR"),
    ],
    "orders": [
        ("order_id", "BIGINT"),
        ("user_id", "BIGINT"),
        ("ordered_at", "TIMESTAMP"),
        ("amount", "DECIMAL(12,2)"),
        ("status", "VARCHAR"),
    ],
}
PRIMARY_KEY = {"users": "user_id", "sessions": "session_id", "events": "event_id",
               "orders": "order_id"}  # fmt: skip
TIMESTAMP_COLUMN = {"users": "signup_at", "sessions": "started_at", "events": "event_at",
                    "orders": "ordered_at"}  # fmt: skip
DOMAINS = {
    ("users", "country"): {"US", "GB", "DE", "FR", "IN", "BR", "CA", "AU", "JP", "NL"},
    ("users", "plan"): {"free", "trial", "pro", "enterprise"},
    ("users", "acquisition_channel"): {"organic", "paid_search", "paid_social", "referral",
                                       "partner"},
    ("users", "company_size"): {"1-10", "11-50", "51-200", "201-1000", "1000+"},
    ("events", "event_name"): {"login", "page_view", "feature_used", "project_created",
                               "teammate_invited", "profile_completed", "onboarding_completed",
                               "report_exported"},
    ("orders", "status"): {"completed", "refunded"},
}  # fmt: skip
MEMBERS = {
    "churn_risk": (ref.CHURN_RISK, "tier", {"high", "medium", "low", "healthy"}),
    "lifecycle_stage": (
        ref.LIFECYCLE_STAGE,
        "stage",
        {"new", "not_activated", "churned", "at_risk", "engaged", "activated"},
    ),
    "rfm_segment": (
        ref.RFM_SEGMENT,
        "segment",
        {"champions", "loyal_customers", "potential_loyalists", "new_customers",
         "cant_lose_them", "at_risk", "hibernating", "need_attention"},
    ),
}  # fmt: skip


def checksums(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """An order-independent fingerprint of every table: md5 over rows sorted by primary key."""
    return {
        table: con.execute(
            f"SELECT md5(string_agg(CAST(t AS VARCHAR), '|' ORDER BY t.{key})) FROM {table} AS t"
        ).fetchone()[0]
        for table, key in PRIMARY_KEY.items()
    }


def member_counts(con: duckdb.DuckDBPyConnection, sql: str, column: str) -> dict[str, int]:
    rows = con.execute(f"SELECT {column}, count(*) FROM ({sql}) GROUP BY 1").fetchall()
    return dict(rows)


def scalar(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoStats]:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    return path, build_demo(path, users=SMALL_USERS, seed=DEFAULT_SEED)


@pytest.fixture(scope="module")
def con(small_demo: tuple[Path, DemoStats]) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(small_demo[0]), read_only=True)
    yield connection
    connection.close()


# --- the build itself ----------------------------------------------------------------------


def test_demo_constants_pin_the_spec_dates() -> None:
    assert (date(2025, 1, 1), date(2026, 6, 30)) == (DEMO_START, DEMO_AS_OF)
    assert (DEFAULT_USERS, DEFAULT_SEED) == (20_000, 42)


def test_stats_report_the_row_counts_in_the_file(
    small_demo: tuple[Path, DemoStats], con: duckdb.DuckDBPyConnection
) -> None:
    path, stats = small_demo
    assert stats.path == path
    assert stats.users == SMALL_USERS == scalar(con, "SELECT count(*) FROM users")
    assert stats.sessions == scalar(con, "SELECT count(*) FROM sessions")
    assert stats.events == scalar(con, "SELECT count(*) FROM events")
    assert stats.orders == scalar(con, "SELECT count(*) FROM orders")
    assert stats.seconds > 0


def test_users_average_between_20_and_50_events(small_demo: tuple[Path, DemoStats]) -> None:
    stats = small_demo[1]
    assert 20 <= stats.events / stats.users <= 50


def test_no_staging_file_is_left_behind(small_demo: tuple[Path, DemoStats]) -> None:
    """Only the file and its build lock stay (a lock file is kept: deleting one races)."""
    path = small_demo[0]
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name, f"{path.name}.lock"]


def test_same_seed_gives_identical_tables(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    again = tmp_path / "again.duckdb"
    build_demo(again, users=SMALL_USERS, seed=DEFAULT_SEED)
    with duckdb.connect(str(again), read_only=True) as other:
        assert checksums(other) == checksums(con)


def test_different_seed_gives_different_tables(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    other_path = tmp_path / "other.duckdb"
    build_demo(other_path, users=SMALL_USERS, seed=DEFAULT_SEED + 1)
    with duckdb.connect(str(other_path), read_only=True) as other:
        mine, theirs = checksums(con), checksums(other)
    assert all(mine[table] != theirs[table] for table in PRIMARY_KEY)


def test_rebuild_replaces_the_file_without_disturbing_an_open_reader(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "demo.duckdb"
    build_demo(path, users=300, seed=1)
    reader = duckdb.connect(str(path), read_only=True)
    try:
        before = checksums(reader)
        build_demo(path, users=400, seed=2)
        assert checksums(reader) == before
        assert scalar(reader, "SELECT count(*) FROM users") == 300
        # A fresh instance (not the per-process cache keyed by path) sees the new file.
        fresh = duckdb.connect(":memory:")
        fresh.execute(f"ATTACH '{path}' AS demo (READ_ONLY)")
        assert scalar(fresh, "SELECT count(*) FROM demo.users") == 400
        fresh.close()
    finally:
        reader.close()
    with duckdb.connect(str(path), read_only=True) as after:
        assert checksums(after) != before


def test_ensure_demo_builds_only_when_the_file_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "demo.duckdb"
    assert ensure_demo(path, users=200) is True
    built_at = path.stat().st_mtime_ns
    assert ensure_demo(path, users=200) is False
    assert path.stat().st_mtime_ns == built_at


def test_a_demo_without_users_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        build_demo(tmp_path / "demo.duckdb", users=0)


# --- SPEC §3: schema, domains, dates ---------------------------------------------------------


@pytest.mark.parametrize("table", sorted(SCHEMA))
def test_columns_and_types_match_the_spec(con: duckdb.DuckDBPyConnection, table: str) -> None:
    described = [(row[0], row[1]) for row in con.execute(f"DESCRIBE {table}").fetchall()]
    assert described == SCHEMA[table]


def test_the_warehouse_holds_exactly_the_four_spec_tables(
    con: duckdb.DuckDBPyConnection,
) -> None:
    tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
    assert tables == set(SCHEMA)


@pytest.mark.parametrize("table", sorted(PRIMARY_KEY))
def test_primary_keys_are_unique_and_not_null(con: duckdb.DuckDBPyConnection, table: str) -> None:
    key = PRIMARY_KEY[table]
    total, distinct, nulls = con.execute(
        f"SELECT count(*), count(DISTINCT {key}), count(*) - count({key}) FROM {table}"
    ).fetchone()
    assert (distinct, nulls) == (total, 0)


@pytest.mark.parametrize(("table", "column"), sorted(DOMAINS))
def test_values_are_exactly_the_spec_list(
    con: duckdb.DuckDBPyConnection, table: str, column: str
) -> None:
    values = {row[0] for row in con.execute(f"SELECT DISTINCT {column} FROM {table}").fetchall()}
    assert values == DOMAINS[(table, column)]


def test_categories_are_skewed_not_uniform(con: duckdb.DuckDBPyConnection) -> None:
    for column in ("country", "plan", "acquisition_channel", "company_size"):
        counts = [n for (n,) in con.execute(f"SELECT count(*) FROM users GROUP BY {column}")
                  .fetchall()]  # fmt: skip
        assert max(counts) > 2 * min(counts), column


def test_email_is_user_id_at_example_com(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "SELECT count(*) FROM users WHERE email <> "
                       "'user' || user_id || '@example.com'") == 0  # fmt: skip
    assert scalar(con, "SELECT email FROM users WHERE user_id = 123") == "user123@example.com"


@pytest.mark.parametrize("table", sorted(TIMESTAMP_COLUMN))
def test_no_row_is_after_as_of(con: duckdb.DuckDBPyConnection, table: str) -> None:
    assert scalar(con, f"SELECT max({TIMESTAMP_COLUMN[table]}) FROM {table}") <= LAST_INSTANT


@pytest.mark.parametrize("table", sorted(TIMESTAMP_COLUMN))
def test_no_row_is_before_the_demo_start(con: duckdb.DuckDBPyConnection, table: str) -> None:
    assert scalar(con, f"SELECT min({TIMESTAMP_COLUMN[table]}) FROM {table}") >= FIRST_INSTANT


def test_no_session_ends_after_as_of(con: duckdb.DuckDBPyConnection) -> None:
    last_end = scalar(con, "SELECT max(started_at + to_seconds(duration_seconds)) FROM sessions")
    assert last_end <= LAST_INSTANT


@pytest.mark.parametrize("table", ["sessions", "events", "orders"])
def test_nothing_happens_before_the_users_signup(
    con: duckdb.DuckDBPyConnection, table: str
) -> None:
    early = scalar(
        con,
        f"SELECT count(*) FROM {table} AS t JOIN users AS u USING (user_id) "
        f"WHERE t.{TIMESTAMP_COLUMN[table]} < u.signup_at",
    )
    orphans = scalar(
        con,
        f"SELECT count(*) FROM {table} AS t ANTI JOIN users AS u USING (user_id)",
    )
    assert (early, orphans) == (0, 0)


def test_every_event_is_in_a_session_of_the_same_user(con: duckdb.DuckDBPyConnection) -> None:
    mismatched = scalar(
        con,
        "SELECT count(*) FROM events AS e LEFT JOIN sessions AS s USING (session_id) "
        "WHERE s.user_id IS DISTINCT FROM e.user_id "
        "   OR e.event_at < s.started_at "
        "   OR e.event_at > s.started_at + to_seconds(s.duration_seconds)",
    )
    assert mismatched == 0


def test_signups_fall_in_every_month_from_2025_01_to_2026_06(
    con: duckdb.DuckDBPyConnection,
) -> None:
    months = [
        row[0]
        for row in con.execute(
            "SELECT DISTINCT CAST(date_trunc('month', signup_at) AS DATE) FROM users ORDER BY 1"
        ).fetchall()
    ]
    expected = [date(2025 + (m // 12), m % 12 + 1, 1) for m in range(18)]
    assert months == expected


def test_some_users_signed_up_in_the_last_7_days(con: duckdb.DuckDBPyConnection) -> None:
    recent = scalar(
        con, "SELECT count(*) FROM users WHERE CAST(signup_at AS DATE) > DATE '2026-06-30' - 7"
    )
    assert recent > 0


def test_between_5_and_8_percent_of_orders_are_refunded(
    con: duckdb.DuckDBPyConnection,
) -> None:
    share = scalar(con, "SELECT avg(CASE WHEN status = 'refunded' THEN 1 ELSE 0 END) FROM orders")
    assert 0.05 <= share <= 0.08


def test_amounts_are_positive(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "SELECT min(amount) FROM orders") > 0


def test_top_fifth_of_customers_carry_most_completed_revenue(
    con: duckdb.DuckDBPyConnection,
) -> None:
    share = scalar(
        con,
        """
        WITH spend AS (
            SELECT user_id, sum(amount) AS spend FROM orders
            WHERE status = 'completed' GROUP BY user_id
        ), ranked AS (
            SELECT spend, row_number() OVER (ORDER BY spend DESC) AS rank,
                   count(*) OVER () AS customers
            FROM spend
        )
        SELECT sum(spend) FILTER (WHERE rank <= 0.2 * customers) / sum(spend) FROM ranked
        """,
    )
    assert share > 0.5


# --- SPEC §4: every segment and member has users -----------------------------------------


@pytest.mark.parametrize("segment", sorted(MEMBERS))
def test_every_member_of_the_segment_has_users(
    con: duckdb.DuckDBPyConnection, segment: str
) -> None:
    sql, column, members = MEMBERS[segment]
    counts = member_counts(con, sql, column)
    assert set(counts) == members
    assert min(counts.values()) > 0


def test_lifecycle_stage_covers_every_user(con: duckdb.DuckDBPyConnection) -> None:
    staged = scalar(con, f"SELECT count(*) FROM ({ref.LIFECYCLE_STAGE})")
    assert staged == scalar(con, "SELECT count(*) FROM users")


def test_engaged_users_exist(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, f"SELECT count(*) FROM ({ref.ENGAGED_USERS})") > 0


def test_product_qualified_free_and_trial_users_exist(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, f"SELECT count(*) FROM ({ref.PQL})") > 0


def test_pql_scores_range_from_zero_to_qualified(con: duckdb.DuckDBPyConnection) -> None:
    low, high, qualified, distinct = con.execute(
        f"SELECT min(score), max(score), count(*) FILTER (WHERE score >= 80), "
        f"count(DISTINCT score) FROM ({ref.PQL_SCORE})"
    ).fetchone()
    assert low == 0
    assert high >= 80
    assert qualified > 0
    assert distinct >= 10


def test_cohorts_retain_differently(con: duckdb.DuckDBPyConnection) -> None:
    rates = [
        row[0]
        for row in con.execute(
            f"SELECT rate FROM ({ref.COHORT_RETENTION}) WHERE month_number = 3"
        ).fetchall()
    ]
    assert len(rates) == 15  # cohorts 2025-01 .. 2026-03 have a month 3 by 2026-06
    assert max(rates) - min(rates) > 0.2


def test_cohort_retention_has_a_row_per_cohort_month_up_to_as_of(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rows = scalar(con, f"SELECT count(*) FROM ({ref.COHORT_RETENTION})")
    assert rows == sum(range(1, 19))  # 18 cohorts, the first with 18 months, the last with 1


def test_engagement_features_vary_across_users(con: duckdb.DuckDBPyConnection) -> None:
    spread = con.execute(
        f"SELECT count(DISTINCT page_views), count(DISTINCT feature_uses), "
        f"count(DISTINCT active_days), count(*) FILTER (WHERE session_minutes = 0) "
        f"FROM ({ref.ENGAGEMENT_FEATURES})"
    ).fetchone()
    assert min(spread[:3]) >= 5
    assert spread[3] > 0


def test_default_size_members_are_varied(tmp_path: Path) -> None:
    """At 20,000 users every member holds a real share, and no member swallows its segment."""
    path = tmp_path / "default.duckdb"
    build_demo(path)  # how long that takes: benchmarks/bench_demo_build.py
    with duckdb.connect(str(path), read_only=True) as default:
        for segment, (sql, column, members) in MEMBERS.items():
            counts = member_counts(default, sql, column)
            total = sum(counts.values())
            assert set(counts) == members, segment
            assert min(counts.values()) >= 0.004 * total, (segment, counts)
            assert max(counts.values()) <= 0.6 * total, (segment, counts)
        engaged = scalar(default, f"SELECT count(*) FROM ({ref.ENGAGED_USERS})")
        pql = scalar(default, f"SELECT count(*) FROM ({ref.PQL})")
        assert 0.01 * DEFAULT_USERS <= engaged <= 0.2 * DEFAULT_USERS
        assert 0.01 * DEFAULT_USERS <= pql <= 0.2 * DEFAULT_USERS
