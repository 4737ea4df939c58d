"""Answering each question once, although Slack delivers some events more than once.

Slack re-delivers an event it got no timely answer for (`X-Slack-Retry-Num`), and sends a DM's
message both as `message` and, when the bot is mentioned, as `app_mention`. Each delivery is
claimed under the question's identity (team, channel, message ts; else the event id) with one
atomic insert-or-ignore in the query log, which every process serving the bot shares. Whichever
delivery claims it first is answered, every later copy is acknowledged and dropped.

The claim is made only for a delivery that is about to be answered, never for one that is
dropped, and the retry headers play no part: a retry whose first delivery never reached a
server (or sat unread in a full backlog) is the first to claim the question, so it is answered
once. Without a query log (or while it cannot be written) a bounded memory in this process
stands in.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from slack_bolt import BoltRequest, BoltResponse

log = logging.getLogger("segq.slack")

SEEN_EVENTS = 10_000  # keys kept in memory when there is no query log to claim them in


class EventClaims(Protocol):
    """What the query log offers (`QueryLog.claim_slack_event`)."""

    def claim_slack_event(self, key: str, *, event_id: str | None = None) -> bool | None: ...


class BoundedSet:
    """Keys seen recently; the oldest are forgotten first."""

    def __init__(self, size: int) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def add(self, key: str) -> bool:
        """Remember `key`; True when it was not seen before."""
        with self._lock:
            new = key not in self._keys
            self._keys[key] = None
            self._keys.move_to_end(key)
            while len(self._keys) > self._size:
                self._keys.popitem(last=False)
            return new


class Deliveries:
    """The events already accepted; one instance per app, shared by Bolt's threads."""

    def __init__(self, claims: EventClaims | None = None, size: int = SEEN_EVENTS) -> None:
        self._claims = claims
        self._memory = BoundedSet(size)

    def skip_redeliveries(
        self, body: dict[str, Any], request: BoltRequest, next: Callable[[], None]
    ) -> BoltResponse | None:
        """Global middleware: a retried or duplicate event is acknowledged and dropped."""
        if body.get("type") == "event_callback" and not self._accept(body, request):
            return BoltResponse(status=200, body="")
        next()
        return None

    def _accept(self, body: dict[str, Any], request: BoltRequest) -> bool:
        key = delivery_key(body)
        if key is None:
            return True
        event_id = body.get("event_id")
        claimed = self._claims.claim_slack_event(key, event_id=event_id) if self._claims else None
        if claimed is None:  # no query log, or it cannot be written just now
            claimed = self._memory.add(key)
        if not claimed:
            log.info(
                "dropping a copy of Slack event %s (%s, retry %s, reason %s)",
                event_id,
                key,
                _header(request, "x-slack-retry-num") or "none",
                _header(request, "x-slack-retry-reason") or "none",
            )
        return claimed


def delivery_key(body: dict[str, Any]) -> str | None:
    """The identity of what an event asks: its message if it has one, else the event itself."""
    event = body.get("event") or {}
    if event.get("type") in ("app_mention", "message") and event.get("channel") and event.get("ts"):
        team = body.get("team_id") or event.get("team") or ""
        return f"message:{team}:{event['channel']}:{event['ts']}"  # a mention and its DM copy
    if body.get("event_id"):
        return f"event:{body['event_id']}"
    return None


def _header(request: BoltRequest, name: str) -> str | None:
    values = request.headers.get(name) or []
    return values[0] if values else None
