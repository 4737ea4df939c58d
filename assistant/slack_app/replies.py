"""Posting from a listener: the reply, its chart, the hourglass, and the safety net.

A listener's failure reaches the user as a worded message with a reference (the traceback goes
to the log), and best-effort calls (reactions, charts, the error reply itself) never cost the
answer that was already posted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient

from assistant.answer import Answer, new_reference
from assistant.render import slack as render
from assistant.render.charts import chart_for

log = logging.getLogger("segq.slack")

HOURGLASS = "hourglass_flowing_sand"


def post(
    client: WebClient, channel: str, thread_ts: str | None, message: render.SlackMessage
) -> Any:
    return client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message.kwargs())


def upload_chart(client: WebClient, answer: Answer, channel: str, thread_ts: str | None) -> None:
    try:
        png = chart_for(answer)
    except Exception:  # a chart is a bonus; the answer is already posted
        log.warning("could not draw a chart for %s", answer.id, exc_info=True)
        return
    if png:
        client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            content=png,
            filename=f"segq-{answer.id}.png",
            title=f"segq {answer.id}: {answer.question}"[:250],
        )


@contextmanager
def reaction(client: WebClient, channel: str, ts: str) -> Iterator[None]:
    """The hourglass on the question while it is being answered."""
    added = best_effort(lambda: client.reactions_add(channel=channel, timestamp=ts, name=HOURGLASS))
    try:
        yield
    finally:
        if added:
            best_effort(
                lambda: client.reactions_remove(channel=channel, timestamp=ts, name=HOURGLASS)
            )


@contextmanager
def guard(client: WebClient, channel: str, thread_ts: str | None) -> Iterator[None]:
    """Any failure becomes a worded reply with a reference; the traceback goes to the log."""
    try:
        yield
    except Exception:
        reference = new_reference()
        log.exception("Slack handler failed (reference %s)", reference)
        if channel:
            best_effort(lambda: post(client, channel, thread_ts, render.render_error(reference)))


def best_effort(call: Callable[[], Any]) -> bool:
    try:
        call()
        return True
    except Exception as exc:  # reactions and error replies are best effort
        log.warning("Slack call failed: %s", exc)
        return False
