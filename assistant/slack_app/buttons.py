"""Clicks on an answer's buttons: its SQL, its definitions, its rows as CSV, a vote, a choice.

Every button value carries the answer id; the answer is looked up in memory first and in the
query log after, so a click still works after a restart or on another worker.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from assistant.errors import SegqError
from assistant.render import slack as render
from assistant.render.provenance import as_of_words, csv_comment, file_name, plan_title
from assistant.slack_app.answers import Answers, logged_definition
from assistant.slack_app.replies import deliver, guard, post, upload_chart

log = logging.getLogger("segq.slack")


class Buttons:
    """The button listeners; each runs lazily, after its click was acknowledged."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers

    def on_show_sql(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        channel, thread_ts, _ = _where(body)
        with guard(client, channel, thread_ts, self.answers):
            answer_id = render.read_button_value(action.get("value")).get("id", "")
            answer = self.answers.recent.get(answer_id)
            logged = None if answer else self.answers.logged(answer_id)
            if answer is None and logged is None:
                message = render.render_notice(render.ANSWER_GONE.format(ref=answer_id))
            else:
                sql = answer.sql if answer else (logged or {}).get("sql")
                message = render.render_sql(answer_id, sql)
            post(client, channel, thread_ts, message)

    def on_show_definition(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        from assistant.definitions import definition_text, definition_used

        channel, thread_ts, _ = _where(body)
        with guard(client, channel, thread_ts, self.answers):
            value = render.read_button_value(action.get("value"))
            answer_id, name = value.get("id", ""), str(value.get("definition", ""))
            catalog = self.answers.assistant.catalog
            try:
                yaml_text, current = definition_text(catalog, name), definition_used(catalog, name)
            except SegqError as exc:  # the definition was removed since the answer
                post(client, channel, thread_ts, render.render_notice(render.escape(exc.message)))
                return
            answer = self.answers.recent.get(answer_id)
            used = next((d for d in answer.definitions if d.name == name), None) if answer else None
            if used is None and answer is None:
                logged = self.answers.logged(answer_id) or {}
                used = logged_definition(logged, name)
            message = render.render_definition(yaml_text, current, used=used, answer_id=answer_id)
            post(client, channel, thread_ts, message)

    def on_download_csv(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        channel, thread_ts, _ = _where(body)
        user = (body.get("user") or {}).get("id")
        with guard(client, channel, thread_ts, self.answers):
            answer_id = render.read_button_value(action.get("value")).get("id", "")
            answer = self.answers.recent.get(answer_id)
            note = ""
            if answer is not None and answer.principal is not None and (
                    self.answers.principal_of(user) != answer.principal):
                answer = None  # rows computed for someone else: the clicker's own, re-run
            if answer is None:
                answer = self.answers.rerun(
                    answer_id, user=user, channel=channel, thread_ts=thread_ts
                )
                if answer is None:
                    _answer_gone(client, channel, thread_ts, answer_id)
                    return
                note = render.CSV_RERUN.format(old=answer_id, ref=answer.id)
            if answer.status != "answered":
                post(client, channel, thread_ts, self.answers.render(answer))
                return
            if answer.truncated:
                note += "; " + render.ROW_CAP_NOTE.format(n=len(answer.rows))
            catalog = self.answers.catalog
            header = "\n".join(csv_comment(answer, catalog)) + "\n"
            client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                content=header + render.csv_text(answer.columns, answer.rows),
                filename=file_name(answer, "csv", catalog),
                title=f"{plan_title(answer, catalog)} ({as_of_words(answer.as_of)})"[:250],
                initial_comment=render.CSV_COMMENT.format(
                    rows=len(answer.rows), ref=answer.id, note=note,
                    as_of=as_of_words(answer.as_of),
                ),
            )

    def on_clarify_choice(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        channel, thread_ts, message_ts = _where(body)
        user = (body.get("user") or {}).get("id")
        with guard(client, channel, thread_ts, self.answers):
            value = render.read_button_value(action.get("value"))
            answer_id = value.get("id", "")
            original = self.answers.recent.get(answer_id)
            logged = None if original else self.answers.logged(answer_id)
            if original is None and logged is None:
                _answer_gone(client, channel, thread_ts, answer_id)
                return
            question = original.question if original else str((logged or {})["question"])
            candidates = original.candidates if original else (logged or {}).get("candidates")
            candidate = _candidate(candidates or [], value)
            choice = value.get("choice") or (candidate or {}).get("choice")
            if original is not None and message_ts:
                label = str((candidate or {}).get("label") or choice)
                closed = render.render_clarification_closed(original, label=label, user=user)
                try:
                    client.chat_update(channel=channel, ts=message_ts, **closed.kwargs())
                except SlackApiError:
                    log.warning("could not close clarification %s", answer_id, exc_info=True)
            answer = self.answers.ask(
                question, user=user, channel=channel, thread_ts=thread_ts, choice=choice,
                in_thread=True,
            )
            deliver(client, self.answers, answer, channel, thread_ts, self.answers.render(answer))
            self.answers.set_thread(answer, channel, thread_ts)
            upload_chart(client, answer, channel, thread_ts, self.answers.catalog)


def _where(body: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(channel, thread to answer in, message ts) of a button click."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    message_ts = message.get("ts") or container.get("message_ts")
    thread_ts = message.get("thread_ts") or container.get("thread_ts") or message_ts
    return str(channel), thread_ts, message_ts


def _candidate(candidates: list[dict[str, Any]], value: dict[str, Any]) -> dict[str, Any] | None:
    if value.get("choice"):
        match = next((c for c in candidates if c.get("choice") == value["choice"]), None)
        if match:
            return match
    n = value.get("n")
    return candidates[n] if isinstance(n, int) and 0 <= n < len(candidates) else None


def _answer_gone(client: WebClient, channel: str, thread_ts: str | None, answer_id: str) -> None:
    """The answer a button refers to is neither in memory nor in the query log."""
    post(client, channel, thread_ts, render.render_notice(render.ANSWER_GONE.format(ref=answer_id)))
