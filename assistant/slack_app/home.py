"""The App Home tab and the assistant pane's suggested prompts, drawn from the catalog."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from assistant.render.slack_home import home_view, suggested_prompts
from assistant.slack_app.answers import Answers
from assistant.slack_app.replies import best_effort

log = logging.getLogger("segq.slack")


class Home:
    """Onboarding listeners; each runs lazily after its event was acknowledged."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers

    def on_home_opened(self, event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        view = home_view(self.answers.catalog)
        best_effort(lambda: client.views_publish(user_id=event["user"], view=view))

    def on_assistant_thread_started(self, event: dict[str, Any], client: WebClient) -> None:
        thread = event.get("assistant_thread") or {}
        channel, thread_ts = thread.get("channel_id"), thread.get("thread_ts")
        if not channel:
            return
        prompts = suggested_prompts(self.answers.catalog)
        best_effort(lambda: client.assistant_threads_setSuggestedPrompts(
            channel_id=channel, thread_ts=thread_ts, title="Try one of these", prompts=prompts))
