"""The Slack Web API client, made in one place because a custom API URL needs care.

`segq slack` (with `SEGQ_SLACK_API_URL`) and the tests' fake Slack server both point the
client elsewhere; slack_sdk joins method names onto the URL, so it must end in `/`.
"""

from __future__ import annotations

from slack_sdk import WebClient


def make_client(token: str | None, base_url: str | None = None) -> WebClient:
    """A Web API client; `base_url` (e.g. `SEGQ_SLACK_API_URL`) gets the trailing `/`
    slack_sdk needs, since it joins method names onto it with urljoin."""
    if base_url:
        return WebClient(token=token, base_url=base_url.rstrip("/") + "/")
    return WebClient(token=token)
