"""Who a Slack user is to the access policy: their profile email and Slack user groups.

`users.info` gives the email (scope `users:read.email`), `usergroups.list` with its members
the user groups (scope `usergroups:read`); both are cached for `ttl_s`, so a busy channel costs
one lookup per user and one group listing per TTL. A lookup that fails (missing scope, Slack
down) leaves out what it would have added: the user then has only the groups their user id
alone earns, never more (fail closed).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from slack_sdk.errors import SlackApiError

from assistant.access.models import Identity

log = logging.getLogger("segq.slack")

TTL_S = 300.0


class SlackDirectory:
    def __init__(self, client: Any, *, ttl_s: float = TTL_S) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._emails: dict[str, tuple[float, str]] = {}
        self._groups: tuple[float, dict[str, tuple[str, ...]]] | None = None

    def identity(self, user: str) -> Identity:
        return Identity("slack", user, self._email(user), self._user_groups(user))

    def _email(self, user: str) -> str:
        now = time.monotonic()
        with self._lock:
            kept = self._emails.get(user)
        if kept is not None and now - kept[0] < self.ttl_s:
            return kept[1]
        try:
            info = self.client.users_info(user=user)
            profile = (info.get("user") or {}).get("profile") or {}
            email = str(profile.get("email") or "")
        except (SlackApiError, OSError, ValueError):
            log.warning("users.info failed for %s; treating them by user id only", user,
                        exc_info=True)
            email = ""
        with self._lock:
            self._emails[user] = (now, email)
        return email

    def _user_groups(self, user: str) -> tuple[str, ...]:
        """Ids and handles of the Slack user groups `user` belongs to."""
        now = time.monotonic()
        with self._lock:
            kept = self._groups
        if kept is None or now - kept[0] >= self.ttl_s:
            kept = (now, self._list_groups())
            with self._lock:
                self._groups = kept
        return kept[1].get(user, ())

    def _list_groups(self) -> dict[str, tuple[str, ...]]:
        try:
            listed = self.client.usergroups_list(include_users=True)
        except (SlackApiError, OSError, ValueError):
            log.warning("usergroups.list failed; Slack user groups grant nothing until it "
                        "works", exc_info=True)
            return {}
        members: dict[str, list[str]] = {}
        for group in listed.get("usergroups") or []:
            names = [str(group.get(k)) for k in ("id", "handle") if group.get(k)]
            for member in group.get("users") or []:
                members.setdefault(str(member), []).extend(names)
        return {user: tuple(names) for user, names in members.items()}
