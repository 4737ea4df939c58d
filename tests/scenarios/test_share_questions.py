"""Share questions ("what % of trial users are PQLs?") against a plain SQL computation."""

from __future__ import annotations

import pytest

from assistant.pipeline import Assistant
from tests import reference_sql


@pytest.fixture()
def raw(config):
    """Plain SQL on the same warehouse (one DuckDB instance per file and configuration)."""
    return Assistant(config).warehouse.cursor()


def test_share_of_trial_users_who_are_pqls(config, raw):
    answer = Assistant(config).ask("what percentage of trial users are PQLs?")
    members, everyone, share = answer.rows[0]
    pql = {r[0] for r in raw.execute(reference_sql.pql_sql()).fetchall()}
    trial = {r[0] for r in raw.execute("SELECT user_id FROM users WHERE plan = 'trial'").fetchall()}
    assert (members, everyone) == (len(pql & trial), len(trial))
    assert share == pytest.approx(len(pql & trial) / len(trial))
    expected = f"{len(pql & trial) / len(trial):.1%} of users with plan Trial"
    assert answer.message.startswith(expected)


def test_share_of_customers_uses_customers_as_the_population(config, raw):
    answer = Assistant(config).ask("what % of our customers are champions?")
    members, everyone, _ = answer.rows[0]
    customers = raw.execute("SELECT count(DISTINCT user_id) FROM orders "
                            "WHERE status = 'completed'").fetchone()[0]
    assert everyone == customers
    assert answer.definitions[0].name == "rfm_segment" and members > 0


def test_average_pql_score_of_trial_users_matches_the_reference(config, raw):
    answer = Assistant(config).ask("average pql score of trial users")
    scores = raw.execute(
        f"SELECT avg(s.score) FROM ({reference_sql.pql_score_sql()}) s "
        "JOIN users u ON u.user_id = s.user_id WHERE u.plan = 'trial'").fetchone()[0]
    assert answer.columns == ["avg_pql_score"]
    assert answer.rows[0][0] == pytest.approx(scores)


def test_users_not_on_the_free_plan_matches_plain_sql(config, raw):
    answer = Assistant(config).ask("How many users are not on the free plan?")
    expected = raw.execute("SELECT count(*) FROM users WHERE plan <> 'free'").fetchone()[0]
    assert answer.rows == [[expected]]


def test_share_of_revenue_from_a_country_matches_plain_sql(config, raw):
    answer = Assistant(config).ask("what share of 2025 revenue came from US users?")
    part, whole = raw.execute(
        "SELECT sum(o.amount) FILTER (WHERE u.country = 'US'), sum(o.amount) FROM orders o "
        "JOIN users u ON u.user_id = o.user_id WHERE o.status = 'completed' "
        "AND CAST(o.ordered_at AS DATE) BETWEEN DATE '2025-01-01' AND DATE '2025-12-31'"
    ).fetchone()
    assert answer.rows[0][-1] == pytest.approx(float(part) / float(whole))


def test_share_of_a_plan_that_was_active_matches_plain_sql(config, raw):
    answer = Assistant(config).ask("what % of enterprise users were active in the last 30 days?")
    active, everyone = raw.execute(
        "SELECT count(DISTINCT u.user_id) FILTER (WHERE u.user_id IN (SELECT user_id FROM events "
        "WHERE event_name IN ('feature_used', 'project_created', 'report_exported') "
        "AND CAST(event_at AS DATE) > DATE '2026-05-31' AND CAST(event_at AS DATE) <= "
        "DATE '2026-06-30')), count(DISTINCT u.user_id) FROM users u WHERE u.plan = 'enterprise'"
    ).fetchone()
    assert answer.rows[0][:2] == [active, everyone]


def test_a_tiers_share_is_of_the_users_the_tiers_classify(config, raw):
    # churn risk classifies users with at least one event: a tier's share is of those users
    answer = Assistant(config).ask("what share of paid social users are at high churn risk?")
    members, everyone, share = answer.rows[0]
    tiers = {r[0]: r[-1] for r in raw.execute(reference_sql.churn_risk_sql()).fetchall()}
    paid_social = {r[0] for r in raw.execute(
        "SELECT user_id FROM users WHERE acquisition_channel = 'paid_social'").fetchall()}
    classified = paid_social & set(tiers)
    high = {u for u in classified if tiers[u] == "high"}
    assert (members, everyone) == (len(high), len(classified))
    assert share == pytest.approx(len(high) / len(classified))
    assert "classified by Churn risk" in answer.message


def _ids(raw, sql: str, where: str = "") -> set[int]:
    return {r[0] for r in raw.execute(f"SELECT user_id FROM ({sql}) s {where}").fetchall()}


def test_a_share_of_a_segment_in_another_is_of_the_segment_named_first(config, raw):
    answer = Assistant(config).ask("what share of our champions are high churn risk?")
    members, everyone, share = answer.rows[0]
    champions = _ids(raw, reference_sql.rfm_segment_sql(), "WHERE segment = 'champions'")
    high = _ids(raw, reference_sql.churn_risk_sql(), "WHERE tier = 'high'")
    assert (members, everyone) == (len(champions & high), len(champions))
    assert share == pytest.approx(len(champions & high) / len(champions))
    assert answer.message.startswith(f"{len(champions & high) / len(champions):.1%} of users in "
                                     "RFM segment `Champions`")


def test_a_share_of_a_segment_on_a_plan_is_of_the_segment(config, raw):
    answer = Assistant(config).ask("what share of engaged users are on the pro plan?")
    engaged = _ids(raw, reference_sql.engaged_users_sql())
    pro = {r[0] for r in raw.execute("SELECT user_id FROM users WHERE plan = 'pro'").fetchall()}
    assert list(answer.rows[0][:2]) == [len(engaged & pro), len(engaged)]
    assert answer.message.startswith(f"{len(engaged & pro) / len(engaged):.1%} of engaged users")


@pytest.mark.parametrize(("question", "whole"), [
    ("what share of engaged users are not champions?", "engaged"),
    ("what percentage of free users are not PQLs?", "free")])
def test_a_share_that_is_not_in_a_segment_keeps_the_named_whole(question, whole, config, raw):
    answer = Assistant(config).ask(question)
    if whole == "engaged":
        base = _ids(raw, reference_sql.engaged_users_sql())
        other = _ids(raw, reference_sql.rfm_segment_sql(), "WHERE segment = 'champions'")
    else:
        base = {r[0] for r in raw.execute("SELECT user_id FROM users WHERE plan = 'free'")
                .fetchall()}
        other = _ids(raw, reference_sql.pql_sql())
    assert list(answer.rows[0][:2]) == [len(base - other), len(base)]


def test_a_tiers_share_within_each_countrys_classified_users(config, raw):
    # the family named first is each row's whole; the tier named after it is the part
    answer = Assistant(config).ask(
        "For every country, what share of its churn-risk population is in the high tier?")
    tiers = {r[0]: r[-1] for r in raw.execute(reference_sql.churn_risk_sql()).fetchall()}
    country = dict(raw.execute("SELECT user_id, country FROM users").fetchall())
    expected = {}
    for code in {country[u] for u in tiers}:
        classified = [u for u in tiers if country[u] == code]
        expected[code] = sum(tiers[u] == "high" for u in classified) / len(classified)
    assert answer.status == "answered"
    assert {row[0]: pytest.approx(row[-1]) for row in answer.rows} == expected


def test_the_group_with_the_highest_share_is_ranked_by_its_share_not_its_count(config, raw):
    answer = Assistant(config).ask("which acquisition channel has the highest share of its "
                                   "users in the engaged users segment?")
    engaged = {r[0] for r in raw.execute(reference_sql.engaged_users_sql()).fetchall()}
    by_channel: dict[str, list[int]] = {}
    for user, channel in raw.execute("SELECT user_id, acquisition_channel FROM users").fetchall():
        by_channel.setdefault(channel, []).append(user in engaged)
    best = max(by_channel, key=lambda c: sum(by_channel[c]) / len(by_channel[c]))
    assert answer.status == "answered"
    assert [row[0] for row in answer.rows] == [best]
    assert answer.message.startswith(f"acquisition_channel {best} has the highest share")


def test_a_share_of_users_who_were_active_names_the_users_as_the_whole(config, raw):
    # the filtered users are the whole and the active ones among them the part, and the
    # sentence says it that way round
    answer = Assistant(config).ask("what fraction of our free-plan users were active in the "
                                   "last 30 days?")
    active, everyone = raw.execute(
        "SELECT count(DISTINCT u.user_id) FILTER (WHERE u.user_id IN (SELECT user_id FROM events "
        "WHERE event_name IN ('feature_used', 'project_created', 'report_exported') "
        "AND CAST(event_at AS DATE) > DATE '2026-05-31' AND CAST(event_at AS DATE) <= "
        "DATE '2026-06-30')), count(DISTINCT u.user_id) FROM users u WHERE u.plan = 'free'"
    ).fetchone()
    assert answer.rows[0][:2] == [active, everyone]
    assert answer.message.startswith(f"{active / everyone:.1%} of users with plan Free "
                                     f"({active:,} of {everyone:,}) are active users")


Q1_BUYERS = ("SELECT DISTINCT user_id FROM orders WHERE status = 'completed' "
             "AND CAST(ordered_at AS DATE) BETWEEN DATE '2026-01-01' AND DATE '2026-03-31'")


def test_a_share_of_users_who_ordered_is_of_those_users_not_of_the_orders(config, raw):
    answer = Assistant(config).ask("what % of free users ordered in Q1?")
    buyers, everyone = raw.execute(
        f"SELECT count(*) FILTER (WHERE user_id IN ({Q1_BUYERS})), count(*) FROM users "
        "WHERE plan = 'free'").fetchone()
    assert answer.rows[0][:2] == [buyers, everyone]
    assert answer.message.startswith(f"{buyers / everyone:.1%} of users with plan Free")


def test_a_share_of_users_described_by_a_value_who_made_a_purchase(config, raw):
    answer = Assistant(config).ask("what % of German users made a purchase in Q1?")
    buyers, everyone = raw.execute(
        f"SELECT count(*) FILTER (WHERE user_id IN ({Q1_BUYERS})), count(*) FROM users "
        "WHERE country = 'DE'").fetchone()
    assert answer.rows[0][:2] == [buyers, everyone]


def test_how_many_users_of_a_plan_placed_an_order_counts_people_not_orders(config, raw):
    answer = Assistant(config).ask("how many free users placed an order in Q1?")
    buyers = raw.execute(f"SELECT count(*) FROM users WHERE plan = 'free' AND user_id IN "
                         f"({Q1_BUYERS})").fetchone()[0]
    orders = raw.execute("SELECT count(*) FROM orders o JOIN users u USING (user_id) WHERE "
                         "u.plan = 'free' AND CAST(o.ordered_at AS DATE) BETWEEN "
                         "DATE '2026-01-01' AND DATE '2026-03-31'").fetchone()[0]
    assert answer.rows == [[buyers]] and buyers != orders
