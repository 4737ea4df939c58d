"""A local stand-in for the Slack Web API that records every call (tests only, no internet).

Answers what the app calls: auth.test, chat.postMessage (fresh ts each time),
chat.postEphemeral, chat.update, reactions.add/remove, and the three steps of
`files_upload_v2` in slack_sdk 3.48: files.getUploadURLExternal (an upload_url pointing back
here), the raw POST of the bytes to that URL, and files.completeUploadExternal. Any other
method answers `{"ok": true}`, so a new call shows up in `calls` instead of failing.
`latency` delays every answer, as the real API's round trip does, for tests of a busy bot.
`rate_limited[method] = n` answers the next n calls of `method` with HTTP 429 and a
`Retry-After` header, as Slack does past a method's rate limit (`retry_after` seconds);
`server_errors[method] = n` answers them with HTTP 503.
users.info and usergroups.list answer from `people` (user id -> email) and `usergroups`
(as Slack lists them, with members); by default the tests' usual user `U0000001` is on the
data team (`data-team`), so the demo's access policy gives them the data team's rights.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT_USER_ID = "UBOT0001"
DATA_TEAM_USER = "U0000001"
BOT_ID = "BBOT0001"
TEAM_ID = "T0000001"


@dataclass
class Call:
    method: str  # "chat.postMessage", or "upload" for the raw file POST
    body: dict[str, Any]
    headers: dict[str, str]
    raw: bytes = b""
    response: dict[str, Any] = field(default_factory=dict)
    status: int = 200  # the HTTP status answered
    at: float = field(default_factory=time.monotonic)


class MockSlackApi:
    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.calls: list[Call] = []
        self.failures: dict[str, str] = {}  # method -> Slack error code to answer with
        self.rate_limited: dict[str, int] = {}  # method -> calls still to answer with 429
        self.server_errors: dict[str, int] = {}  # method -> calls still to answer with 503
        self.retry_after = 1
        self._lock = threading.Condition()
        self._ts = itertools.count(1)
        self._files = itertools.count(1)
        self.uploads: dict[str, bytes] = {}
        self.people: dict[str, str] = {DATA_TEAM_USER: "dana@example.com"}
        self.usergroups: list[dict[str, Any]] = [
            {"id": "S0DATA", "handle": "data-team", "users": [DATA_TEAM_USER]}]
        mock = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                time.sleep(mock.latency)
                path, _, query = self.path.partition("?")
                status, payload = mock._handle(path, query, raw, dict(self.headers))
                data = json.dumps(payload).encode()
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", str(mock.retry_after))
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> MockSlackApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- recording ---------------------------------------------------------------------------
    def _handle(
        self, path: str, query: str, raw: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        method = path.strip("/").split("/")[-1]
        if path.startswith("/upload/"):
            file_id = method
            self.uploads[file_id] = raw
            self._record(Call("upload", {"file_id": file_id}, headers, raw))
            return 200, {"ok": True}
        body: dict[str, Any] = dict(parse_qsl(query))
        ctype = headers.get("Content-Type") or headers.get("content-type") or ""
        if raw and "json" in ctype:
            body.update(json.loads(raw))
        elif raw:
            body.update(parse_qsl(raw.decode(), keep_blank_values=True))
        for key in ("blocks", "files"):
            if isinstance(body.get(key), str):
                body[key] = json.loads(body[key])
        status, payload = self._refusal(method) or (200, self._answer(method, body))
        self._record(Call(method, body, headers, raw, payload, status=status))
        return status, payload

    def _refusal(self, method: str) -> tuple[int, dict[str, Any]] | None:
        with self._lock:
            for counts, status, error in (
                (self.rate_limited, 429, "ratelimited"),
                (self.server_errors, 503, "service_unavailable"),
            ):
                if counts.get(method, 0) > 0:
                    counts[method] -= 1
                    return status, {"ok": False, "error": error}
        return None

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method in self.failures:
            return {"ok": False, "error": self.failures[method]}
        if method == "auth.test":
            return {
                "ok": True,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "team_id": TEAM_ID,
                "user": "segq",
                "team": "Test",
                "url": "https://test.slack.com/",
            }
        if method == "chat.postMessage":
            ts = f"1800000000.{next(self._ts):06d}"
            return {
                "ok": True,
                "channel": body.get("channel"),
                "ts": ts,
                "message": {"text": body.get("text"), "ts": ts},
            }
        if method == "users.info":
            user = str(body.get("user"))
            if user not in self.people:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": user, "profile": {"email": self.people[user]}}}
        if method == "usergroups.list":
            return {"ok": True, "usergroups": self.usergroups}
        if method == "chat.update":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1800000000.{next(self._ts):06d}"}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._files):08d}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = body.get("files") or []
            return {
                "ok": True,
                "files": [{"id": f.get("id"), "title": f.get("title")} for f in files],
            }
        return {"ok": True}

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    # -- reading -----------------------------------------------------------------------------
    def calls_to(self, method: str, *, accepted: bool = False) -> list[Call]:
        """Calls of `method`; with `accepted`, only those answered 200 (not 429 or 503)."""
        with self._lock:
            return [
                c for c in self.calls if c.method == method and (not accepted or c.status == 200)
            ]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 20.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Block until `count` matching calls arrived; fail loudly after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self.calls if c.method == method and (not where or where(c))]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(
                        f"waited {timeout:g}s for {count} x {method}, got {len(found)}; "
                        f"calls: {seen}"
                    )
                self._lock.wait(left)

    def upload_of(self, complete: Call) -> bytes:
        """The bytes uploaded for the file a files.completeUploadExternal call finished."""
        file_id = complete.body["files"][0]["id"]
        return self.uploads[file_id]
