"""The Slack Web API client, made in one place because a custom API URL and retries need care.

`segq slack` (with `SEGQ_SLACK_API_URL`) and the tests' fake Slack server both point the
client elsewhere; slack_sdk joins method names onto the URL, so it must end in `/`.

Every client the app uses retries what Slack asks to be retried, with slack_sdk's own retry
handlers: HTTP 429 waits the `Retry-After` seconds Slack sent, 5xx answers and dropped
connections back off and try again. An answer is then lost only when Slack keeps refusing it,
and that is recorded in the query log (`delivery`).
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler

RATE_LIMIT_RETRIES = 4  # each waits Slack's Retry-After (a second or so for chat.postMessage)
SERVER_ERROR_RETRIES = 2
CONNECTION_RETRIES = 2


def make_client(token: str | None, base_url: str | None = None) -> WebClient:
    """A Web API client with retries; `base_url` (e.g. `SEGQ_SLACK_API_URL`) gets the trailing
    `/` slack_sdk needs, since it joins method names onto it with urljoin."""
    if base_url:
        return with_retries(WebClient(token=token, base_url=base_url.rstrip("/") + "/"))
    return with_retries(WebClient(token=token))


def with_retries(client: WebClient) -> WebClient:
    """`client` with a handler for rate limits, server errors and connection errors each,
    unless it already has one of that kind (a caller's own choice stands)."""
    wanted: list[RetryHandler] = [
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
        ConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
    ]
    have = {type(h) for h in client.retry_handlers}
    client.retry_handlers.extend(h for h in wanted if type(h) not in have)
    return client
