"""Votes on answers: 👍 and 👎 recorded at the click, their state shown, a 👎 asked why.

The vote is written before anything else, so a closed form or a failed redraw loses nothing.
The reply is redrawn (chat.update) with the counts so far and the pressed button styled; a 👎
opens the short form (`views.open` with the click's trigger id) whose submission adds the
reason and the user's words to that vote.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from assistant.render import slack as render
from assistant.render.slack_feedback import feedback_view, read_feedback_view, with_votes
from assistant.slack_app.answers import Answers
from assistant.slack_app.buttons import _where
from assistant.slack_app.replies import best_effort, guard, post

log = logging.getLogger("segq.slack")


class Feedback:
    """The vote and form listeners; each runs lazily, after its request was acknowledged."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers

    def on_vote(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        channel, thread_ts, message_ts = _where(body)
        user = (body.get("user") or {}).get("id")
        with guard(client, channel, thread_ts, self.answers):
            answer_id = render.read_button_value(action.get("value")).get("id", "")
            value = "up" if action.get("action_id") == render.FEEDBACK_UP else "down"
            recorded = self.answers.add_feedback(answer_id, value, user)
            if recorded and value == "down" and body.get("trigger_id"):
                view = feedback_view(answer_id, channel, thread_ts, message_ts)
                best_effort(lambda: client.views_open(trigger_id=body["trigger_id"], view=view))
            if recorded and message_ts:
                self._redraw(client, body, channel, message_ts, answer_id, value)
            text = (render.FEEDBACK_THANKS[value] if recorded else render.FEEDBACK_FAILED).format(
                ref=answer_id
            )
            self._tell(client, channel, thread_ts, user, text)

    def on_reason(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        meta, reason, comment = read_feedback_view(view)
        user = (body.get("user") or {}).get("id")
        channel, thread_ts = str(meta.get("channel") or ""), meta.get("thread")
        answer_id = str(meta.get("id") or "")
        with guard(client, channel, thread_ts, self.answers):
            query_log = getattr(self.answers.assistant, "query_log", None)
            saved = bool(query_log and reason and query_log.set_feedback_reason(
                answer_id, user, reason, comment))
            text = (render.FEEDBACK_REASON_THANKS if saved else render.FEEDBACK_FAILED).format(
                ref=answer_id)
            if channel:
                self._tell(client, channel, thread_ts, user, text)

    def _redraw(self, client: WebClient, body: dict[str, Any], channel: str, message_ts: str,
                answer_id: str, pressed: str) -> None:
        """The reply's vote buttons with the counts so far and the pressed one styled."""
        blocks = (body.get("message") or {}).get("blocks")
        logged = self.answers.logged(answer_id) or {}
        if not blocks:
            return
        votes: dict[str, int] = {}
        for vote in logged.get("feedback") or []:
            votes[vote["value"]] = votes.get(vote["value"], 0) + 1
        redrawn = with_votes(blocks, render.FEEDBACK_UP, render.FEEDBACK_DOWN, votes, pressed)
        text = str((body.get("message") or {}).get("text") or "")
        best_effort(lambda: client.chat_update(channel=channel, ts=message_ts, text=text,
                                               blocks=redrawn))

    def _tell(self, client: WebClient, channel: str, thread_ts: str | None, user: str | None,
              text: str) -> None:
        if user:
            client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
        else:
            post(client, channel, thread_ts, render.render_notice(text))
