"""Which Slack deliveries are answered: the first to claim a question, whatever its retries."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltRequest

from assistant.slack_app.dedupe import Deliveries, delivery_key


class Claims:
    """A stand-in query log: records claims, or fails like an unwritable file (None)."""

    def __init__(self, *, broken: bool = False) -> None:
        self.claimed: list[str] = []
        self.broken = broken

    def claim_slack_event(self, key: str, *, event_id: str | None = None) -> bool | None:
        if self.broken:
            return None
        if key in self.claimed:
            return False
        self.claimed.append(key)
        return True


def body(event_id: str = "Ev1", event_type: str = "app_mention", **event: Any) -> dict[str, Any]:
    return {
        "type": "event_callback",
        "team_id": "T1",
        "event_id": event_id,
        "event": {"type": event_type, "channel": "C1", "ts": "1700000000.000001", **event},
    }


def passes(deliveries: Deliveries, payload: dict[str, Any], **headers: str) -> bool:
    request = BoltRequest(body="", headers={k.replace("_", "-"): [v] for k, v in headers.items()})
    went_on: list[bool] = []
    response = deliveries.skip_redeliveries(payload, request, lambda: went_on.append(True))
    assert (response is None) == bool(went_on)
    return bool(went_on)


def test_a_mention_and_its_dm_copy_are_one_question() -> None:
    mention, copy = body("Ev1"), body("Ev2", "message", channel_type="im")
    assert delivery_key(mention) == delivery_key(copy) == "message:T1:C1:1700000000.000001"


def test_other_events_are_known_by_their_event_id() -> None:
    assert delivery_key({"event_id": "Ev9", "event": {"type": "app_home_opened"}}) == "event:Ev9"


def test_a_retry_whose_first_delivery_never_arrived_is_answered_then_its_copies_dropped() -> None:
    claims = Claims()
    deliveries = Deliveries(claims)
    timeout = {"x_slack_retry_num": "1", "x_slack_retry_reason": "http_timeout"}

    assert passes(deliveries, body(), **timeout)
    assert not passes(deliveries, body(), x_slack_retry_num="2", x_slack_retry_reason="http_error")
    assert not passes(deliveries, body())
    assert claims.claimed == ["message:T1:C1:1700000000.000001"]


def test_a_dropped_copy_claims_nothing_new() -> None:
    claims = Claims()
    deliveries = Deliveries(claims)
    passes(deliveries, body("Ev1"))

    assert not passes(deliveries, body("Ev2", "message", channel_type="im"))
    assert claims.claimed == ["message:T1:C1:1700000000.000001"]


def test_without_a_writable_query_log_this_process_remembers() -> None:
    deliveries = Deliveries(Claims(broken=True))

    assert passes(deliveries, body())
    assert not passes(deliveries, body())


def test_requests_that_are_not_events_always_pass() -> None:
    deliveries = Deliveries(Claims())
    action = {"type": "block_actions", "actions": [{"action_id": "x"}]}
    assert passes(deliveries, action) and passes(deliveries, action)
