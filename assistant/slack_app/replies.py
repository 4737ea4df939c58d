"""Posting from a listener: the reply, its chart, the hourglass, and the safety net.

A listener's failure reaches the user as a worded message with a reference that is in the
query log (the traceback goes to the process log), and best-effort calls (reactions, charts,
the error reply itself) never cost the answer that was already posted.

An answer's reply goes through `deliver`: the client has already retried what Slack asked to
be retried (`client.py`), and the outcome is written on the answer's log record, `delivered`
with the reply's ts or `failed: <Slack error>`, so no computed answer disappears unrecorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from assistant.answer import Answer, new_reference
from assistant.render import slack as render
from assistant.render.charts import chart_for
from assistant.render.provenance import as_of_words, file_name, plan_title

log = logging.getLogger("segq.slack")

HOURGLASS = "hourglass_flowing_sand"


def post(
    client: WebClient, channel: str, thread_ts: str | None, message: render.SlackMessage
) -> Any:
    return client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message.kwargs())


class Undelivered(Exception):
    """Slack kept refusing the reply of a computed answer; the answer is in the query log."""

    def __init__(self, answer_id: str, error: str) -> None:
        super().__init__(f"reply to {answer_id} not delivered: {error}")
        self.answer_id, self.error = answer_id, error


class DeliveryLog(Protocol):
    def set_delivery(self, answer_id: str, status: str, message_ts: str | None = None) -> bool: ...

    def record_failure(self, reference: str, channel: str | None,
                       thread_ts: str | None) -> None: ...


def deliver(
    client: WebClient,
    answers: DeliveryLog,
    answer: Answer,
    channel: str,
    thread_ts: str | None,
    message: render.SlackMessage,
) -> str | None:
    """Post the reply to `answer` and record whether it arrived; its ts, or `Undelivered`."""
    try:
        posted = post(client, channel, thread_ts, message)
    except SlackApiError as exc:
        error = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
        answers.set_delivery(answer.id, f"failed: {error}")
        raise Undelivered(answer.id, error) from exc
    except Exception as exc:  # connection errors left after the client's retries
        answers.set_delivery(answer.id, f"failed: {type(exc).__name__}")
        raise Undelivered(answer.id, type(exc).__name__) from exc
    ts = posted.get("ts")
    answers.set_delivery(answer.id, "delivered", ts)
    return str(ts) if ts else None


def upload_chart(
    client: WebClient, answer: Answer, channel: str, thread_ts: str | None, catalog: Any = None
) -> None:
    """The answer's chart, titled and named for what it shows; best effort after the reply."""
    try:
        png = chart_for(answer, catalog)
    except Exception:  # a chart is a bonus; the answer is already posted
        log.warning("could not draw a chart for %s", answer.id, exc_info=True)
        return
    if not png:
        return
    title = f"{plan_title(answer, catalog)} ({as_of_words(answer.as_of)})"
    best_effort(
        lambda: client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            content=png,
            filename=file_name(answer, "png", catalog),
            title=title[:250],
        )
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
def guard(
    client: WebClient, channel: str, thread_ts: str | None, answers: DeliveryLog | None = None
) -> Iterator[None]:
    """Any failure becomes a worded reply with a reference the query log holds.

    An undelivered answer is referred to by its own id (its record says what Slack answered);
    any other failure is recorded under a new reference. The traceback goes to the log.
    """
    try:
        yield
    except Undelivered as exc:
        log.error("Slack refused the reply to answer %s: %s", exc.answer_id, exc.error)
        if channel:
            notice = render.render_notice(render.UNDELIVERED.format(ref=exc.answer_id))
            best_effort(lambda: post(client, channel, thread_ts, notice))
    except Exception:
        reference = new_reference()
        log.exception("Slack handler failed (reference %s)", reference)
        if answers is not None:
            answers.record_failure(reference, channel or None, thread_ts)
        if channel:
            best_effort(lambda: post(client, channel, thread_ts, render.render_error(reference)))


def best_effort(call: Callable[[], Any]) -> bool:
    try:
        call()
        return True
    except Exception as exc:  # reactions and error replies are best effort
        log.warning("Slack call failed: %s", exc)
        return False
