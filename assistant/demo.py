"""The embedded demo warehouse: four tables (SPEC §3) generated deterministically inside DuckDB.

Why it looks the way it does:

* **Everything is SQL over `range()`/`unnest()`**, so a million users take minutes, not hours,
  and no Python loop touches a row.
* **Randomness is a hash, not `random()`.** `rnd(a, b, c)` = `hash(seed, a, b, c)` scaled to
  [0, 1). A row's draws depend only on the seed and the row's own keys, never on thread
  scheduling, so one seed always gives the same data and user `i` has the same attributes in a
  3,000-user and a 20,000-user build.
* **Users follow archetypes** (power, regular, casual, decliner, lapsing, never-activated, no
  events) whose activity windows and session rates are chosen so that every governed segment of
  SPEC §4 has members when computed as of `DEMO_AS_OF`. Each active user has an anchor session
  on the signup day (the onboarding script) and one on the last active day, so `days_inactive`
  is set by design rather than by luck.
* **The file is written next to its destination and swapped in with `os.replace`**: a reader
  holding the old file keeps its snapshot, and DuckDB's single-writer lock never blocks it.
  Each build writes into its own staging directory (`.<name>.build-*`, removed whatever
  happens), so a reader only ever finds a whole file at `path`.
* **One build of a path at a time**, under `flock` on `<path>.lock` (the lock file stays; the
  lock dies with its process). A second `build_demo` waits a few seconds for the first to
  finish and otherwise fails with a worded error: two people rebuilding one file at once is
  worth telling them about, and a short wait keeps a scripted rebuild from failing on a
  nearly finished one. `ensure_demo` waits as long as it takes: any whole demo will do.
"""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from assistant import messages
from assistant.errors import ConfigError, WarehouseError

DEMO_START = date(2025, 1, 1)
DEMO_AS_OF = date(2026, 6, 30)
DEFAULT_USERS = 20_000
DEFAULT_SEED = 42
BUILD_WAIT_S = 5.0  # how long a build waits for another build of the same path

# Day index of `DEMO_AS_OF` counted from `DEMO_START` (day 0).
_LAST_DAY = (DEMO_AS_OF - DEMO_START).days
# Cohort quality by signup month (2025-01 .. 2026-06): scales how long users stay, so cohorts
# retain visibly differently (a weak spring 2025, strong launches in autumn 2025 and 2026).
_COHORT_QUALITY = (1.0, 0.9, 1.1, 0.5, 0.4, 0.7, 1.2, 1.4, 1.0, 2.0, 0.6, 0.9,
                   1.8, 2.2, 1.2, 2.2, 1.6, 1.3)  # fmt: skip


@dataclass(frozen=True)
class DemoStats:
    """What one build produced, for the CLI and the benchmark."""

    path: Path
    users: int
    sessions: int
    events: int
    orders: int
    seconds: float


def ensure_demo(path: Path, *, users: int = DEFAULT_USERS, seed: int = DEFAULT_SEED) -> bool:
    """Build the demo at `path` unless a file is already there; return whether it built.

    A build of `path` already running is waited for, and its file is then used as it is.
    """
    path = Path(path)
    if path.exists():
        return False
    _check_users(users)
    with build_lock(path, wait_s=None):
        if path.exists():
            return False
        _build_locked(path, int(users), int(seed))
    return True


def build_demo(path: Path, *, users: int = DEFAULT_USERS, seed: int = DEFAULT_SEED,
               wait_s: float = BUILD_WAIT_S) -> DemoStats:
    """Generate the demo aside, then atomically replace `path` with it.

    Waits up to `wait_s` seconds for another build of `path`, then raises `WarehouseError`.
    Any failure leaves `path` as it was and removes the half-written copy.
    """
    _check_users(users)
    path = Path(path)
    with build_lock(path, wait_s=wait_s):
        return _build_locked(path, int(users), int(seed))


@contextmanager
def build_lock(path: Path, *, wait_s: float | None) -> Iterator[None]:
    """Hold the exclusive build lock of `path`, waiting up to `wait_s` (None: until free)."""
    path = Path(path)
    lock_path = path.with_name(path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WarehouseError(messages.demo_build_failed(path, exc),
                             reason=type(exc).__name__) from exc
    try:
        _take(fd, path, wait_s)
        yield
    finally:
        os.close(fd)  # releases the lock


def _take(fd: int, path: Path, wait_s: float | None) -> None:
    """flock `fd` exclusively: blocking when `wait_s` is None, else polling until then."""
    deadline = time.monotonic() + (wait_s or 0.0)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait_s is None else fcntl.LOCK_NB))
            return
        except BlockingIOError:
            if wait_s is not None and time.monotonic() >= deadline:
                raise WarehouseError(messages.demo_build_busy(path, wait_s),
                                     reason="build-locked") from None
            time.sleep(0.05)
        except OSError as exc:
            raise WarehouseError(messages.demo_build_failed(path, exc),
                                 reason=type(exc).__name__) from exc


def _check_users(users: int) -> None:
    if int(users) < 1:
        raise ConfigError(f"The demo needs at least 1 user, got {users}.", users=users)


def _build_locked(path: Path, users: int, seed: int) -> DemoStats:
    """The build itself; the caller holds `build_lock(path)`."""
    started = time.perf_counter()
    # Holding the lock, any staging directory still here belongs to a build that was killed.
    for abandoned in path.parent.glob(f".{glob.escape(path.name)}.build-*"):
        shutil.rmtree(abandoned, ignore_errors=True)
    staging_dir: Path | None = None
    try:
        staging_dir = Path(tempfile.mkdtemp(prefix=f".{path.name}.build-", dir=path.parent))
        staging = staging_dir / path.name
        counts = _generate(staging, users, seed)
        # A WAL left by a crashed writer of the old file would be replayed onto the new one.
        path.with_name(path.name + ".wal").unlink(missing_ok=True)
        os.replace(staging, path)
    except (duckdb.Error, OSError) as exc:
        raise WarehouseError(messages.demo_build_failed(path, exc),
                             reason=type(exc).__name__) from exc
    finally:
        if staging_dir is not None:
            shutil.rmtree(staging_dir, ignore_errors=True)
    return DemoStats(
        path=path,
        users=counts["users"],
        sessions=counts["sessions"],
        events=counts["events"],
        orders=counts["orders"],
        seconds=time.perf_counter() - started,
    )


def _generate(staging: Path, users: int, seed: int) -> dict[str, int]:
    """Write the four tables into a new file at `staging`; return their row counts."""
    # A modest memory cap: large builds spill to `<staging>.tmp` instead of growing unbounded.
    con = duckdb.connect(str(staging), config={"memory_limit": "768MB"})
    try:
        con.execute("SET enable_progress_bar = false")
        for statement in _build_statements(users, seed):
            con.execute(statement)
        counts = {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            for table in ("users", "sessions", "events", "orders")
        }
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return counts


def _build_statements(users: int, seed: int) -> list[str]:
    """The whole build as an ordered list of SQL statements (temp tables hold the helpers)."""
    return [
        *_macros(seed),
        _PROFILE_SQL.format(users=users, last=_LAST_DAY, quality=_quality_case()),
        _USERS_SQL,
        _PHASES_SQL.format(last=_LAST_DAY),
        _SESSION_PLAN_SQL,
        _SESSIONS_SQL,
        _EVENTS_SQL,
        _ORDERS_SQL.format(last=_LAST_DAY),
    ]


def _macros(seed: int) -> list[str]:
    """Hash-based uniform draws in [0, 1).

    DuckDB combines the arguments of a multi-argument `hash()` with little mixing, so draws
    that differ only in the last key come out strongly correlated (r ~ 0.9). Hashing the
    combined hash again finalises it; the top 53 bits then keep the result strictly below 1.
    """
    return [
        f"CREATE TEMP MACRO rnd(a, b, c) AS "
        f"(hash(hash({seed}, a, b, c)) >> 11) / 9007199254740992.0",
        f"CREATE TEMP MACRO rnd4(a, b, c, d) AS "
        f"(hash(hash({seed}, a, b, c, d)) >> 11) / 9007199254740992.0",
        "CREATE TEMP MACRO day_ts(d) AS "
        "TIMESTAMP '2025-01-01 00:00:00' + to_days(CAST(d AS INTEGER))",
    ]


def _quality_case() -> str:
    whens = " ".join(f"WHEN {i} THEN {q}" for i, q in enumerate(_COHORT_QUALITY))
    return f"CASE signup_month {whens} ELSE 1.0 END"


# One row per user with every per-user draw. Signup days grow over time (density ~ day^0.43);
# archetype, plan and traits are independent draws except where noted.
_PROFILE_SQL = """
CREATE TEMP TABLE profile AS
WITH draws AS (
    SELECT
        i AS user_id,
        CAST(least({last}, floor(({last} + 1) * pow(rnd(i, 0, 1), 0.7))) AS INTEGER) AS signup_day,
        CAST(floor(rnd(i, 0, 2) * 72000) AS INTEGER) AS signup_second,
        rnd(i, 0, 3) AS r_country, rnd(i, 0, 4) AS r_size, rnd(i, 0, 5) AS r_plan,
        rnd(i, 0, 6) AS r_channel, rnd(i, 0, 7) AS r_archetype, rnd(i, 0, 8) AS r_life,
        rnd(i, 0, 9) AS r_end, rnd(i, 0, 10) AS r_profile, rnd(i, 0, 11) AS r_onboard,
        rnd(i, 0, 12) AS r_invite, rnd(i, 0, 13) AS r_builder, rnd(i, 0, 14) AS r_variant
    FROM range(1, {users} + 1) AS t(i)
), attributes AS (
    SELECT
        *,
        CAST(date_diff('month', DATE '2025-01-01',
                       CAST(day_ts(signup_day) AS DATE)) AS INTEGER) AS signup_month,
        CASE
            WHEN r_country < 0.30 THEN 'US' WHEN r_country < 0.40 THEN 'GB'
            WHEN r_country < 0.49 THEN 'DE' WHEN r_country < 0.56 THEN 'FR'
            WHEN r_country < 0.68 THEN 'IN' WHEN r_country < 0.76 THEN 'BR'
            WHEN r_country < 0.83 THEN 'CA' WHEN r_country < 0.88 THEN 'AU'
            WHEN r_country < 0.94 THEN 'JP' ELSE 'NL'
        END AS country,
        CASE
            WHEN r_size < 0.38 THEN '1-10' WHEN r_size < 0.65 THEN '11-50'
            WHEN r_size < 0.83 THEN '51-200' WHEN r_size < 0.94 THEN '201-1000' ELSE '1000+'
        END AS company_size,
        CASE
            WHEN r_channel < 0.34 THEN 'organic' WHEN r_channel < 0.58 THEN 'paid_search'
            WHEN r_channel < 0.74 THEN 'paid_social' WHEN r_channel < 0.89 THEN 'referral'
            ELSE 'partner'
        END AS acquisition_channel
    FROM draws
), planned AS (
    SELECT
        *,
        -- Bigger companies buy bigger plans.
        CASE
            WHEN company_size IN ('1-10', '11-50') THEN
                CASE WHEN r_plan < 0.60 THEN 'free' WHEN r_plan < 0.75 THEN 'trial'
                     WHEN r_plan < 0.98 THEN 'pro' ELSE 'enterprise' END
            WHEN company_size = '51-200' THEN
                CASE WHEN r_plan < 0.45 THEN 'free' WHEN r_plan < 0.60 THEN 'trial'
                     WHEN r_plan < 0.92 THEN 'pro' ELSE 'enterprise' END
            ELSE
                CASE WHEN r_plan < 0.30 THEN 'free' WHEN r_plan < 0.45 THEN 'trial'
                     WHEN r_plan < 0.75 THEN 'pro' ELSE 'enterprise' END
        END AS plan,
        CASE
            WHEN r_archetype < 0.05 THEN 'ghost'
            WHEN r_archetype < 0.16 THEN 'dormant'
            WHEN r_archetype < 0.21 THEN 'power'
            -- A decline needs a busy baseline before it, so only older users decline.
            WHEN r_archetype < 0.29 AND signup_day <= 400 THEN 'decliner'
            WHEN r_archetype < 0.29 THEN 'regular'
            WHEN r_archetype < 0.39 THEN 'lapsing'
            -- Better cohorts (see _COHORT_QUALITY) bring more regulars and fewer casuals.
            WHEN r_archetype < 0.39 + 0.36 * least(1.5, quality) THEN 'regular'
            ELSE 'casual'
        END AS archetype
    FROM (
        SELECT
            *,
            {quality} * CASE acquisition_channel
                WHEN 'referral' THEN 1.3 WHEN 'partner' THEN 1.15 WHEN 'paid_search' THEN 0.9
                WHEN 'paid_social' THEN 0.65 ELSE 1.0 END AS quality
        FROM attributes
    )
)
SELECT
    user_id, signup_day, signup_month, country, company_size, acquisition_channel, plan,
    archetype, quality,
    day_ts(signup_day) + to_seconds(signup_second) AS signup_at,
    -- Last active day: anchored so days_inactive lands where the archetype needs it.
    CAST(greatest(signup_day, CASE archetype
        WHEN 'power' THEN {last} - floor(r_end * 3)
        WHEN 'decliner' THEN {last} - floor(r_end * 7)
        WHEN 'lapsing' THEN {last} - 7 - floor(r_end * 60)
        ELSE CASE
            WHEN signup_day + lifetime < {last} THEN signup_day + lifetime
            ELSE {last} - floor(r_end * 10)
        END
    END) AS INTEGER) AS end_day,
    -- never-activated users: variant A never completes the profile, variant B acts too late.
    archetype <> 'ghost' AND NOT (archetype = 'dormant' AND r_variant < 0.6)
        AND r_profile < CASE WHEN archetype = 'dormant' THEN 1.0 ELSE 0.93 END AS has_profile,
    archetype = 'dormant' AS late_core,
    r_onboard < CASE WHEN archetype = 'dormant' THEN 0.2 ELSE 0.6 END AS onboards,
    r_invite < CASE WHEN archetype = 'dormant' THEN 0.05
                    WHEN plan IN ('pro', 'enterprise') THEN 0.5 ELSE 0.3 END AS inviter,
    r_builder < 0.3 AS builder
FROM (
    SELECT
        *,
        floor(-ln(1 - r_life) * quality * CASE archetype
            WHEN 'regular' THEN 220 WHEN 'casual' THEN 120 ELSE 45 END) AS lifetime
    FROM planned
)
"""

_USERS_SQL = """
CREATE TABLE users AS
SELECT
    CAST(user_id AS BIGINT) AS user_id,
    CAST(signup_at AS TIMESTAMP) AS signup_at,
    CAST(country AS VARCHAR) AS country,
    CAST(plan AS VARCHAR) AS plan,
    CAST(acquisition_channel AS VARCHAR) AS acquisition_channel,
    CAST(company_size AS VARCHAR) AS company_size,
    'user' || user_id || '@example.com' AS email
FROM profile
ORDER BY user_id
"""

# Activity phases per user: (first_day, last_day, sessions per day, fixed count or NULL).
# Phase 0 is the signup session, phase 1 the last-active-day session, the rest are uniform.
_PHASES_SQL = """
CREATE TEMP TABLE phases AS
WITH active AS (SELECT * FROM profile WHERE archetype <> 'ghost'),
spans AS (
    SELECT user_id, 0 AS phase, signup_day AS first_day, signup_day AS last_day,
           0.0 AS rate, 1 AS fixed
    FROM active
    UNION ALL
    SELECT user_id, 1, end_day, end_day, 0.0, 1 FROM active WHERE end_day > signup_day
    UNION ALL
    -- Power users: steady, then very busy for the last two months.
    SELECT user_id, 2, signup_day + 1, least(end_day, {last} - 61), 0.06, NULL
    FROM active WHERE archetype = 'power'
    UNION ALL
    SELECT user_id, 3, greatest(signup_day + 1, {last} - 60), end_day, 0.6, NULL
    FROM active WHERE archetype = 'power'
    UNION ALL
    -- Decliners: busy in the baseline window (as_of-120, as_of-30], then nearly silent.
    SELECT user_id, 4, signup_day + 1, {last} - 116, 0.06, NULL
    FROM active WHERE archetype = 'decliner'
    UNION ALL
    SELECT user_id, 5, greatest(signup_day + 1, {last} - 115), {last} - 30, 0.3, NULL
    FROM active WHERE archetype = 'decliner'
    UNION ALL
    SELECT user_id, 6, {last} - 29, end_day, 0.03, NULL
    FROM active WHERE archetype = 'decliner'
    UNION ALL
    SELECT user_id, 7, signup_day + 1, end_day,
           CASE archetype WHEN 'regular' THEN 0.08 WHEN 'lapsing' THEN 0.07
                          WHEN 'casual' THEN 0.035 ELSE 0.05 END
               * greatest(0.5, least(1.5, quality)), NULL
    FROM active WHERE archetype IN ('regular', 'lapsing', 'casual', 'dormant')
)
SELECT
    s.user_id, s.phase, s.first_day, s.last_day,
    CAST(coalesce(s.fixed, floor(s.rate * (s.last_day - s.first_day + 1)
                                 + rnd(s.user_id, s.phase, 20))) AS INTEGER) AS n_sessions
FROM spans AS s
WHERE s.first_day <= s.last_day
"""

# One row per session with everything the events need; `k` numbers sessions within a phase.
_SESSION_PLAN_SQL = """
CREATE TEMP TABLE session_plan AS
WITH numbered AS (
    SELECT *, phase * 100000 + k AS skey
    FROM (
        SELECT user_id, phase, first_day, last_day, unnest(range(n_sessions)) AS k
        FROM phases
        WHERE n_sessions > 0
    )
), placed AS (
    SELECT
        n.user_id, n.phase, n.k, n.skey,
        p.signup_at, p.archetype, p.has_profile, p.late_core, p.onboards, p.inviter,
        p.builder,
        CASE
            -- The signup session starts right after signing up.
            WHEN n.phase = 0 THEN p.signup_at
                + to_seconds(CAST(30 + floor(rnd(n.user_id, n.skey, 1) * 300) AS INTEGER))
            -- Others start between 07:00 and 22:00, never before the signup itself.
            ELSE greatest(
                day_ts(n.first_day + floor(rnd(n.user_id, n.skey, 2)
                                           * (n.last_day - n.first_day + 1)))
                    + to_seconds(CAST(25200 + floor(rnd(n.user_id, n.skey, 3) * 54000)
                                      AS INTEGER)),
                p.signup_at + to_seconds(60))
        END AS started_at,
        CASE
            WHEN n.phase = 0 THEN 6 + floor(rnd(n.user_id, n.skey, 5) * 4)
            ELSE least(40, 1 + floor(-ln(1 - rnd(n.user_id, n.skey, 4))
                 * CASE p.archetype WHEN 'power' THEN 2.6 WHEN 'decliner' THEN 2.2
                                    ELSE 1.8 END))
        END AS n_events
    FROM numbered AS n
    JOIN profile AS p USING (user_id)
)
SELECT
    row_number() OVER (ORDER BY user_id, started_at, phase, k) AS session_id,
    *,
    CAST(least(3599, n_events * (20 + floor(rnd(user_id, skey, 6) * 220))) AS INTEGER)
        AS duration_seconds
FROM placed
"""

_SESSIONS_SQL = """
CREATE TABLE sessions AS
SELECT
    CAST(session_id AS BIGINT) AS session_id,
    CAST(user_id AS BIGINT) AS user_id,
    CAST(started_at AS TIMESTAMP) AS started_at,
    CAST(duration_seconds AS INTEGER) AS duration_seconds
FROM session_plan
ORDER BY session_id
"""

# The signup session runs an onboarding script (login, profile, onboarding, first core action,
# invite); other sessions open with a login most of the time, then draw names with weights
# `w_*` (power users act more, builders create more projects). Events are spread evenly over
# the session, so `event_id` order is time order within a session.
_EVENTS_SQL = """
CREATE TABLE events AS
WITH offsets AS (
    SELECT
        *,
        sum(n_events) OVER (ORDER BY session_id) - n_events AS first_event
    FROM session_plan
), exploded AS (
    SELECT *, unnest(range(CAST(n_events AS BIGINT))) AS j FROM offsets
), named AS (
    SELECT
        *,
        rnd4(user_id, skey, j, 1) AS r_name,
        CASE WHEN archetype = 'power' THEN 0.38 ELSE 0.50 END AS w_page,
        0.25 AS w_feature,
        CASE WHEN builder THEN 0.20 ELSE 0.06 END AS w_project,
        CASE WHEN archetype = 'power' THEN 0.14 ELSE 0.08 END AS w_report,
        0.01 AS w_invite,
        CASE
            WHEN phase = 0 AND j = 0 THEN 'login'
            WHEN phase = 0 AND j = 1 THEN CASE WHEN has_profile THEN 'profile_completed' END
            WHEN phase = 0 AND j = 2 THEN CASE WHEN onboards THEN 'onboarding_completed' END
            WHEN phase = 0 AND j = 3 THEN CASE WHEN NOT late_core AND builder
                                               THEN 'project_created'
                                               WHEN NOT late_core THEN 'feature_used' END
            WHEN phase = 0 AND j = 4 THEN CASE WHEN inviter THEN 'teammate_invited' END
            WHEN j = 0 THEN CASE WHEN rnd4(user_id, skey, j, 2) < 0.85 THEN 'login' END
        END AS scripted
    FROM exploded
), drawn AS (
    SELECT
        *,
        CASE
            WHEN scripted IS NOT NULL THEN scripted
            WHEN phase = 0 AND j <= 4 THEN 'page_view'
            WHEN j = 0 THEN 'page_view'
            WHEN r_name < w_page THEN 'page_view'
            WHEN r_name < w_page + w_feature THEN 'feature_used'
            WHEN r_name < w_page + w_feature + w_project THEN 'project_created'
            WHEN r_name < w_page + w_feature + w_project + w_report THEN 'report_exported'
            WHEN r_name < w_page + w_feature + w_project + w_report + w_invite
                THEN 'teammate_invited'
            ELSE 'page_view'
        END AS drawn_name
    FROM named
)
SELECT
    CAST(first_event + j + 1 AS BIGINT) AS event_id,
    CAST(user_id AS BIGINT) AS user_id,
    CAST(session_id AS BIGINT) AS session_id,
    CAST(started_at + to_seconds(CAST(floor(duration_seconds * j / n_events) AS INTEGER))
         AS TIMESTAMP) AS event_at,
    CAST(CASE
        -- Late activators use core features only after the 7-day activation window.
        WHEN late_core
             AND drawn_name IN ('feature_used', 'project_created', 'report_exported')
             AND started_at <= signup_at + INTERVAL 8 DAY THEN 'page_view'
        ELSE drawn_name
    END AS VARCHAR) AS event_name
FROM drawn
"""

# Customers pay on a schedule from shortly after signup until they lapse; each customer has a
# Pareto-distributed basket size (alpha 1.16, the "80/20" shape), enterprise buys bigger.
_ORDERS_SQL = """
CREATE TABLE orders AS
WITH customers AS (
    SELECT
        p.*,
        rnd(p.user_id, 0, 30) AS r_style,
        least({last}, p.signup_day + floor(rnd(p.user_id, 0, 31) * 14)) AS first_day,
        CASE
            WHEN p.end_day < {last} - 30
                THEN least({last}, p.end_day + floor(rnd(p.user_id, 0, 32) * 30))
            ELSE {last}
        END AS paid_until,
        least(25000, 19 * pow(1 - rnd(p.user_id, 0, 33), -1 / 1.16))
            * CASE p.plan WHEN 'enterprise' THEN 4 WHEN 'pro' THEN 1.5 ELSE 1 END AS basket
    FROM profile AS p
    WHERE p.archetype <> 'ghost'
      AND rnd(p.user_id, 0, 34) < CASE p.plan WHEN 'enterprise' THEN 0.9 WHEN 'pro' THEN 0.85
                                             WHEN 'trial' THEN 0.04 ELSE 0.07 END
), schedules AS (
    SELECT
        *,
        CASE
            WHEN r_style < 0.55 THEN 30
            WHEN r_style < 0.65 THEN 91
            ELSE 12 + floor(rnd(user_id, 0, 35) * 50)
        END AS interval_days
    FROM customers
), counted AS (
    SELECT
        *,
        CASE
            WHEN r_style >= 0.85 THEN 1
            ELSE least(30, floor((greatest(paid_until, first_day) - first_day) / interval_days)
                           + 1)
        END AS n_orders
    FROM schedules
), exploded AS (
    SELECT *, unnest(range(CAST(n_orders AS BIGINT))) AS k FROM counted
), placed AS (
    SELECT
        user_id, k, basket,
        greatest(
            day_ts(least(greatest(paid_until, first_day),
                         first_day + k * interval_days + floor(rnd(user_id, k, 36) * 4)))
                + to_seconds(CAST(28800 + floor(rnd(user_id, k, 37) * 50400) AS INTEGER)),
            signup_at + to_seconds(120)) AS ordered_at,
        rnd(user_id, k, 38) AS r_amount,
        rnd(user_id, k, 39) AS r_status
    FROM exploded
)
SELECT
    CAST(row_number() OVER (ORDER BY user_id, k) AS BIGINT) AS order_id,
    CAST(user_id AS BIGINT) AS user_id,
    CAST(ordered_at AS TIMESTAMP) AS ordered_at,
    CAST(round(basket * (0.85 + 0.3 * r_amount), 2) AS DECIMAL(12, 2)) AS amount,
    CAST(CASE WHEN r_status < 0.065 THEN 'refunded' ELSE 'completed' END AS VARCHAR) AS status
FROM placed
ORDER BY order_id
"""
