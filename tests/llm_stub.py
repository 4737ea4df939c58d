"""A local OpenAI-compatible endpoint for tests: queued replies out, recorded requests in.

Serves `POST /v1/chat/completions` on 127.0.0.1 (a free port) and answers each request with
the next queued reply: a tool call (what `with_structured_output(method="function_calling")`
expects), plain text, or an HTTP error. Every request body is recorded so tests can assert on
exactly what segq sent. Use it as a plugin:

    pytest_plugins = ["tests.llm_stub"]

    def test_something(llm_stub):
        llm_stub.queue_tool_call("LlmReply", {"status": "refuse", "reason": "weather"})
        ...  # point OPENAI_BASE_URL at llm_stub.base_url
        assert llm_stub.requests[0].body["tools"][0]["function"]["name"] == "LlmReply"
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", [])


@dataclass
class LlmStub:
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[Request] = field(default_factory=list)
    replies: deque[tuple[int, dict[str, Any]]] = field(default_factory=deque)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def queue_tool_call(self, name: str, arguments: dict[str, Any] | str) -> None:
        """Reply with one tool call; `arguments` may be a raw (even malformed) JSON string."""
        args = arguments if isinstance(arguments, str) else json.dumps(arguments)
        n = len(self.replies) + len(self.requests) + 1
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{n}",
                    "type": "function",
                    "function": {"name": name, "arguments": args},
                }
            ],
        }
        self.replies.append((200, _completion(message, "tool_calls")))

    def queue_text(self, content: str) -> None:
        self.replies.append((200, _completion({"role": "assistant", "content": content}, "stop")))

    def queue_error(self, status: int, message: str = "stub error") -> None:
        self.replies.append((status, {"error": {"message": message, "type": "stub_error"}}))

    def _next(self, request: Request) -> tuple[int, dict[str, Any]]:
        self.requests.append(request)
        if request.path != "/v1/chat/completions":
            return 404, {"error": {"message": f"no route {request.path}", "type": "not_found"}}
        if not self.replies:
            return 500, {"error": {"message": "no reply queued", "type": "stub_error"}}
        return self.replies.popleft()


def _completion(message: dict[str, Any], finish_reason: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": 0,
        "model": "stub",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _handler(stub: LlmStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            request = Request(
                "POST",
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                json.loads(raw or b"{}"),
            )
            status, payload = stub._next(request)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler


@pytest.fixture()
def llm_stub() -> Iterator[LlmStub]:
    """A running stub for one test, shut down afterwards."""
    stub = LlmStub()
    server = ThreadingHTTPServer((stub.host, 0), _handler(stub))
    stub.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
