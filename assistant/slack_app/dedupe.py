"""Answering each question once, although Slack delivers some events more than once.

Slack re-delivers an event it thinks was lost, and sends a DM's message both as `message` and,
when the bot is mentioned, as `app_mention`. A bounded memory of event ids and message
timestamps drops the copies; a retry of a delivery that never arrived is still answered.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse

log = logging.getLogger("segq.slack")

SEEN_EVENTS = 10_000
# A retry for this reason means the first delivery reached a server and is being answered.
RETRY_ALREADY_DELIVERED = "http_timeout"


class BoundedSet:
    """Keys seen recently; the oldest are forgotten first."""

    def __init__(self, size: int) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def add_all(self, keys: list[str]) -> bool:
        """Remember `keys`; True when none of them was seen before."""
        with self._lock:
            new = not any(k in self._keys for k in keys)
            for key in keys:
                self._keys[key] = None
                self._keys.move_to_end(key)
            while len(self._keys) > self._size:
                self._keys.popitem(last=False)
            return new


class Deliveries:
    """The events already delivered; one instance per app, shared by Bolt's worker threads."""

    def __init__(self, size: int = SEEN_EVENTS) -> None:
        self._seen = BoundedSet(size)

    def skip_redeliveries(
        self, body: dict[str, Any], request: BoltRequest, next: Callable[[], None]
    ) -> BoltResponse | None:
        """Global middleware: a retried or duplicate event is acknowledged and dropped."""
        if body.get("type") == "event_callback" and not self._first_delivery(body, request):
            return BoltResponse(status=200, body="")
        next()
        return None

    def _first_delivery(self, body: dict[str, Any], request: BoltRequest) -> bool:
        event = body.get("event") or {}
        keys = [f"event:{body['event_id']}"] if body.get("event_id") else []
        if event.get("type") in ("app_mention", "message") and event.get("channel"):
            keys.append(f"message:{event['channel']}:{event.get('ts')}")  # mention + DM copy
        if keys and not self._seen.add_all(keys):
            return False
        retry = _header(request, "x-slack-retry-num")
        if retry and _header(request, "x-slack-retry-reason") in (None, RETRY_ALREADY_DELIVERED):
            log.info("ignoring Slack retry %s of event %s", retry, body.get("event_id"))
            return False
        return True  # a retry of a delivery that never arrived (connection failed) is answered


def _header(request: BoltRequest, name: str) -> str | None:
    values = request.headers.get(name) or []
    return values[0] if values else None
