"""Wiring only: which listener answers which Slack request, and the app they are wired into.

Each request is acknowledged at once (`/segment` with a "Working on" line) and answered in a
lazy listener, so Slack's 3-second deadline holds however long the question takes. The
listeners live in `questions.py` and `buttons.py`, by what the user did.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from assistant.errors import ConfigError
from assistant.render import slack as render
from assistant.render.slack_feedback import FEEDBACK_VIEW
from assistant.slack_app.answers import RECENT_ANSWERS, Answers
from assistant.slack_app.buttons import Buttons
from assistant.slack_app.client import make_client, with_retries
from assistant.slack_app.dedupe import Deliveries
from assistant.slack_app.feedback import Feedback
from assistant.slack_app.home import Home
from assistant.slack_app.identity import SlackDirectory
from assistant.slack_app.questions import Questions


def create_app(
    assistant: Any,
    *,
    client: WebClient | None = None,
    signing_secret: str | None = None,
    token: str | None = None,
    process_before_response: bool = False,
    token_verification_enabled: bool = True,
    recent_answers: int = RECENT_ANSWERS,
    listener_executor: Executor | None = None,
) -> App:
    """A Bolt app answering @mentions, DMs and `/segment` with `assistant`.

    Pass `client` (tests, a custom API URL) or `token`. `signing_secret` is needed for HTTP
    mode; Socket Mode requests are not signed. `recent_answers` bounds the answers kept in
    memory for buttons (older ones are re-run from the query log). `listener_executor` runs
    the lazy listeners (the answering); Bolt's default is a pool of 5 threads.
    `process_before_response=True` runs each ack in the request's own thread, so an ack never
    waits behind answers for a free worker (HTTP mode under load, FaaS).
    """
    if client is None:
        if not token:
            raise ConfigError(
                "The Slack app needs a bot token (SLACK_BOT_TOKEN, starting with xoxb-)."
            )
        client = make_client(token)
    else:
        with_retries(client)
    app = App(
        client=client,
        signing_secret=signing_secret if signing_secret is not None else "",
        process_before_response=process_before_response,
        token_verification_enabled=token_verification_enabled,
        listener_executor=listener_executor,
    )
    SlackBot(assistant, recent_answers=recent_answers,
             directory=SlackDirectory(client)).register(app)
    return app


class SlackBot:
    """The listeners; one instance per app, shared by Bolt's worker threads."""

    def __init__(self, assistant: Any, *, recent_answers: int = RECENT_ANSWERS,
                 directory: SlackDirectory | None = None) -> None:
        self.assistant = assistant
        self.answers = Answers(assistant, recent_answers=recent_answers, directory=directory)
        self.deliveries = Deliveries(getattr(assistant, "query_log", None))
        self.questions = Questions(self.answers)
        self.buttons = Buttons(self.answers)
        self.feedback = Feedback(self.answers)
        self.home = Home(self.answers)

    def register(self, app: App) -> None:
        questions, buttons = self.questions, self.buttons
        app.use(self.deliveries.skip_redeliveries)
        app.event("app_mention")(ack=_ack, lazy=[questions.on_mention])
        app.event("message")(ack=_ack, lazy=[questions.on_direct_message])
        home = self.home
        app.event("app_home_opened")(ack=_ack, lazy=[home.on_home_opened])
        app.event("assistant_thread_started")(ack=_ack, lazy=[home.on_assistant_thread_started])
        app.command("/segment")(ack=questions.ack_command, lazy=[questions.on_command])
        actions: dict[str, Callable[..., None]] = {
            render.SHOW_SQL: buttons.on_show_sql,
            render.SHOW_DEFINITION: buttons.on_show_definition,
            render.DOWNLOAD_CSV: buttons.on_download_csv,
            render.FEEDBACK_UP: self.feedback.on_vote,
            render.FEEDBACK_DOWN: self.feedback.on_vote,
            render.CLARIFY_CHOICE: buttons.on_clarify_choice,
        }
        for action_id, handler in actions.items():
            pattern = re.compile(rf"^{re.escape(action_id)}(?::\d+)?$")
            app.action(pattern)(ack=_ack, lazy=[handler])
        app.view(FEEDBACK_VIEW)(ack=_ack, lazy=[self.feedback.on_reason])


def _ack(ack: Ack) -> None:
    ack()
