"""Questions arriving as @mentions, DMs and `/segment`, each answered where it was asked.

A mention or DM is answered in its own thread, with an hourglass reaction while it runs. A
command is answered in the channel; where the bot is not a member, through the command's
`response_url` instead, so `/segment` works in any channel.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from assistant import messages
from assistant.render import slack as render
from assistant.slack_app.answers import Answers
from assistant.slack_app.replies import Undelivered, deliver, guard, post, reaction, upload_chart

NOT_POSTABLE = ("not_in_channel", "channel_not_found", "is_archived")

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<(?:[^>|]*\|)?([^>]*)>")


def question_from_text(text: str, bot_user_id: str | None = None) -> str:
    """The question in a Slack message: bot mention removed, links and escapes undone."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    text = re.sub(r"^\s*(?:" + _MENTION.pattern + r"\s*)+", " ", text)  # leading mentions
    text = _MENTION.sub(lambda m: "@" + m.group(1), text)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


class Questions:
    """The question listeners; each runs lazily, after its request was acknowledged."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers

    def on_mention(self, event: dict[str, Any], context: Any, client: WebClient) -> None:
        question = question_from_text(event.get("text") or "", context.bot_user_id)
        self._answer_in_thread(client, question, event)

    def on_direct_message(self, event: dict[str, Any], context: Any, client: WebClient) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        question = question_from_text(event.get("text") or "", context.bot_user_id)
        self._answer_in_thread(client, question, event)

    def ack_command(self, ack: Ack, command: dict[str, Any]) -> None:
        question = question_from_text(command.get("text") or "")
        if question:
            ack(text=render.WORKING.format(question=render.escape(question)))
        else:
            ack(text=messages.CAN_ANSWER)

    def on_command(self, command: dict[str, Any], client: WebClient, respond: Any) -> None:
        question = question_from_text(command.get("text") or "")
        if not question:
            return
        channel, user = str(command.get("channel_id") or ""), command.get("user_id")
        with guard(client, channel, None, self.answers):
            answer = self.answers.ask(question, user=user, channel=channel, thread_ts=None)
            message = self.answers.render(answer, asked_by=user)
            try:
                thread_ts = deliver(client, self.answers, answer, channel, None, message)
            except Undelivered as exc:
                if exc.error not in NOT_POSTABLE:
                    raise
                # The bot is not in this channel: answer through the command's response_url.
                respond(response_type="in_channel", **message.kwargs())
                self.answers.set_delivery(answer.id, "delivered (response_url)")
                self.answers.set_thread(answer, channel, None)
                return
            self.answers.set_thread(answer, channel, thread_ts)
            upload_chart(client, answer, channel, thread_ts, self.answers.catalog)

    def _answer_in_thread(self, client: WebClient, question: str, event: dict[str, Any]) -> None:
        channel, ts, user = (
            str(event.get("channel") or ""),
            str(event.get("ts") or ""),
            event.get("user"),
        )
        thread_ts = event.get("thread_ts") or ts
        with guard(client, channel, thread_ts, self.answers):
            if not question:
                post(client, channel, thread_ts, render.render_notice(messages.CAN_ANSWER))
                return
            in_thread = bool(event.get("thread_ts")) and event.get("thread_ts") != ts
            with reaction(client, channel, ts):
                answer = self.answers.ask(
                    question, user=user, channel=channel, thread_ts=thread_ts, in_thread=in_thread
                )
                reply = self.answers.render(answer)
                deliver(client, self.answers, answer, channel, thread_ts, reply)
                self.answers.set_thread(answer, channel, thread_ts)
                upload_chart(client, answer, channel, thread_ts, self.answers.catalog)
