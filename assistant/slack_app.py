"""The Slack surface: thin Bolt listeners around `Assistant.ask` and the Block Kit renderer.

Every listener acknowledges at once and works in a lazy listener (a Bolt worker thread), so
Slack's 3-second deadline holds on a long-running server and on FaaS
(`process_before_response=True`) alike. A question is answered in its own thread, with an
hourglass reaction while it runs. Slack re-delivers an event it thinks was lost; a bounded
memory of event ids and message timestamps makes sure a question is answered once.

Buttons carry the answer id. Recent answers (with their rows) stay in a bounded LRU, so
"Download CSV" uploads the very rows that were answered; an answer that has left memory is
re-run from the plan recorded in the query log. Nothing here reads the environment: the
`segq slack` command (the edge) passes tokens in.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt import Ack, App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from assistant import messages
from assistant.answer import Answer, new_reference
from assistant.errors import ConfigError, SegqError
from assistant.render import slack as render
from assistant.render.charts import chart_for

log = logging.getLogger("segq.slack")

HOURGLASS = "hourglass_flowing_sand"
RECENT_ANSWERS = 256
RECENT_ROWS = 2_000_000  # rows kept across the remembered answers, bounding memory
SEEN_EVENTS = 10_000
# A retry for this reason means the first delivery reached a server and is being answered.
RETRY_ALREADY_DELIVERED = "http_timeout"
NOT_POSTABLE = ("not_in_channel", "channel_not_found", "is_archived")

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<(?:[^>|]*\|)?([^>]*)>")


def make_client(token: str | None, base_url: str | None = None) -> WebClient:
    """A Web API client; `base_url` (e.g. `SEGQ_SLACK_API_URL`) gets the trailing `/`
    slack_sdk needs, since it joins method names onto it with urljoin."""
    if base_url:
        return WebClient(token=token, base_url=base_url.rstrip("/") + "/")
    return WebClient(token=token)


def create_app(
    assistant: Any,
    *,
    client: WebClient | None = None,
    signing_secret: str | None = None,
    token: str | None = None,
    process_before_response: bool = False,
    token_verification_enabled: bool = True,
    recent_answers: int = RECENT_ANSWERS,
) -> App:
    """A Bolt app answering @mentions, DMs and `/segment` with `assistant`.

    Pass `client` (tests, a custom API URL) or `token`. `signing_secret` is needed for HTTP
    mode; Socket Mode requests are not signed. `recent_answers` bounds the answers kept in
    memory for buttons (older ones are re-run from the query log).
    """
    if client is None:
        if not token:
            raise ConfigError(
                "The Slack app needs a bot token (SLACK_BOT_TOKEN, starting with xoxb-)."
            )
        client = make_client(token)
    app = App(
        client=client,
        signing_secret=signing_secret if signing_secret is not None else "",
        process_before_response=process_before_response,
        token_verification_enabled=token_verification_enabled,
    )
    SlackBot(assistant, recent_answers=recent_answers).register(app)
    return app


def question_from_text(text: str, bot_user_id: str | None = None) -> str:
    """The question in a Slack message: bot mention removed, links and escapes undone."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    text = re.sub(r"^\s*(?:" + _MENTION.pattern + r"\s*)+", " ", text)  # leading mentions
    text = _MENTION.sub(lambda m: "@" + m.group(1), text)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


class _BoundedSet:
    """Keys seen recently; the oldest are forgotten first."""

    def __init__(self, size: int) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def add_all(self, keys: list[str]) -> bool:
        """Remember `keys`; True when none of them was seen before."""
        with self._lock:
            new = not any(k in self._keys for k in keys)
            for key in keys:
                self._keys[key] = None
                self._keys.move_to_end(key)
            while len(self._keys) > self._size:
                self._keys.popitem(last=False)
            return new


class _RecentAnswers:
    """LRU of answers by id, bounded by count and by the rows they hold."""

    def __init__(self, size: int = RECENT_ANSWERS, max_rows: int = RECENT_ROWS) -> None:
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._size, self._max_rows, self._rows = size, max_rows, 0
        self._lock = threading.Lock()

    def put(self, answer: Answer) -> None:
        with self._lock:
            old = self._answers.pop(answer.id, None)
            self._rows -= len(old.rows) if old else 0
            self._answers[answer.id] = answer
            self._rows += len(answer.rows)
            while len(self._answers) > 1 and (
                len(self._answers) > self._size or self._rows > self._max_rows
            ):
                _, evicted = self._answers.popitem(last=False)
                self._rows -= len(evicted.rows)

    def get(self, answer_id: str) -> Answer | None:
        with self._lock:
            answer = self._answers.get(answer_id)
            if answer is not None:
                self._answers.move_to_end(answer_id)
            return answer


class SlackBot:
    """The listeners; one instance per app, shared by Bolt's worker threads."""

    def __init__(self, assistant: Any, *, recent_answers: int = RECENT_ANSWERS) -> None:
        self.assistant = assistant
        self.recent = _RecentAnswers(recent_answers)
        self._seen = _BoundedSet(SEEN_EVENTS)

    def register(self, app: App) -> None:
        app.use(self.skip_redeliveries)
        app.event("app_mention")(ack=_ack, lazy=[self.on_mention])
        app.event("message")(ack=_ack, lazy=[self.on_direct_message])
        app.command("/segment")(ack=self.ack_command, lazy=[self.on_command])
        actions: dict[str, Callable[..., None]] = {
            render.SHOW_SQL: self.on_show_sql,
            render.SHOW_DEFINITION: self.on_show_definition,
            render.DOWNLOAD_CSV: self.on_download_csv,
            render.FEEDBACK_UP: self.on_feedback,
            render.FEEDBACK_DOWN: self.on_feedback,
            render.CLARIFY_CHOICE: self.on_clarify_choice,
        }
        for action_id, handler in actions.items():
            pattern = re.compile(rf"^{re.escape(action_id)}(?::\d+)?$")
            app.action(pattern)(ack=_ack, lazy=[handler])

    # -- delivery ---------------------------------------------------------------------------

    def skip_redeliveries(
        self, body: dict[str, Any], request: BoltRequest, next: Callable[[], None]
    ) -> BoltResponse | None:
        """Global middleware: a retried or duplicate event is acknowledged and dropped."""
        if body.get("type") == "event_callback" and not self._first_delivery(body, request):
            return BoltResponse(status=200, body="")
        next()
        return None

    def _first_delivery(self, body: dict[str, Any], request: BoltRequest) -> bool:
        event = body.get("event") or {}
        keys = [f"event:{body['event_id']}"] if body.get("event_id") else []
        if event.get("type") in ("app_mention", "message") and event.get("channel"):
            keys.append(f"message:{event['channel']}:{event.get('ts')}")  # mention + DM copy
        if keys and not self._seen.add_all(keys):
            return False
        retry = _header(request, "x-slack-retry-num")
        if retry and _header(request, "x-slack-retry-reason") in (None, RETRY_ALREADY_DELIVERED):
            log.info("ignoring Slack retry %s of event %s", retry, body.get("event_id"))
            return False
        return True  # a retry of a delivery that never arrived (connection failed) is answered

    # -- questions --------------------------------------------------------------------------

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
        with self._guard(client, channel, None):
            answer = self._ask(question, user=user, channel=channel, thread_ts=None)
            message = render.render_answer(answer, asked_by=user)
            try:
                posted = client.chat_postMessage(channel=channel, **message.kwargs())
            except SlackApiError as exc:
                if exc.response.get("error") not in NOT_POSTABLE:
                    raise
                # The bot is not in this channel: answer through the command's response_url.
                respond(response_type="in_channel", **message.kwargs())
                self._set_thread(answer, channel, None)
                return
            thread_ts = posted.get("ts")
            self._set_thread(answer, channel, thread_ts)
            self._upload_chart(client, answer, channel, thread_ts)

    def _answer_in_thread(self, client: WebClient, question: str, event: dict[str, Any]) -> None:
        channel, ts, user = (
            str(event.get("channel") or ""),
            str(event.get("ts") or ""),
            event.get("user"),
        )
        thread_ts = event.get("thread_ts") or ts
        with self._guard(client, channel, thread_ts):
            if not question:
                self._post(client, channel, thread_ts, render.render_notice(messages.CAN_ANSWER))
                return
            with self._reaction(client, channel, ts):
                answer = self._ask(question, user=user, channel=channel, thread_ts=thread_ts)
                self._post(client, channel, thread_ts, render.render_answer(answer))
                self._set_thread(answer, channel, thread_ts)
                self._upload_chart(client, answer, channel, thread_ts)

    def _ask(
        self,
        question: str,
        *,
        user: str | None,
        channel: str | None,
        thread_ts: str | None,
        choice: str | None = None,
    ) -> Answer:
        try:
            answer: Answer = self.assistant.ask(
                question,
                source="slack",
                user=user,
                channel=channel,
                thread_ts=thread_ts,
                choice=choice,
            )
        except Exception as exc:  # Assistant.ask should not raise; if it does, say so kindly
            answer = Answer(question, "error", "", error=f"internal: {exc!r}")
            answer.message = messages.INTERNAL_ERROR.format(ref=answer.id)
            log.exception("internal error answering %r (reference %s)", question, answer.id)
            self._record(answer, user=user, channel=channel, thread_ts=thread_ts)
        self.recent.put(answer)
        return answer

    # -- buttons ----------------------------------------------------------------------------

    def on_show_sql(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        channel, thread_ts, _ = _where(body)
        with self._guard(client, channel, thread_ts):
            answer_id = render.read_button_value(action.get("value")).get("id", "")
            answer = self.recent.get(answer_id)
            logged = None if answer else self._logged(answer_id)
            if answer is None and logged is None:
                message = render.render_notice(render.ANSWER_GONE.format(ref=answer_id))
            else:
                sql = answer.sql if answer else (logged or {}).get("sql")
                message = render.render_sql(answer_id, sql)
            self._post(client, channel, thread_ts, message)

    def on_show_definition(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        from assistant.definitions import definition_text, definition_used

        channel, thread_ts, _ = _where(body)
        with self._guard(client, channel, thread_ts):
            value = render.read_button_value(action.get("value"))
            answer_id, name = value.get("id", ""), str(value.get("definition", ""))
            catalog = self.assistant.catalog
            try:
                yaml_text, current = definition_text(catalog, name), definition_used(catalog, name)
            except SegqError as exc:  # the definition was removed since the answer
                self._post(
                    client, channel, thread_ts, render.render_notice(render.escape(exc.message))
                )
                return
            answer = self.recent.get(answer_id)
            used = next((d for d in answer.definitions if d.name == name), None) if answer else None
            if used is None and answer is None:
                logged = self._logged(answer_id) or {}
                used = _logged_definition(logged, name)
            message = render.render_definition(yaml_text, current, used=used, answer_id=answer_id)
            self._post(client, channel, thread_ts, message)

    def on_download_csv(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        channel, thread_ts, _ = _where(body)
        user = (body.get("user") or {}).get("id")
        with self._guard(client, channel, thread_ts):
            answer_id = render.read_button_value(action.get("value")).get("id", "")
            answer = self.recent.get(answer_id)
            note = ""
            if answer is None:
                answer = self._rerun(answer_id, user=user, channel=channel, thread_ts=thread_ts)
                if answer is None:
                    self._post(
                        client,
                        channel,
                        thread_ts,
                        render.render_notice(render.ANSWER_GONE.format(ref=answer_id)),
                    )
                    return
                note = render.CSV_RERUN.format(old=answer_id, ref=answer.id)
            if answer.status != "answered":
                self._post(client, channel, thread_ts, render.render_answer(answer))
                return
            if answer.truncated:
                note += "; " + render.ROW_CAP_NOTE.format(n=len(answer.rows))
            client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                content=render.csv_text(answer.columns, answer.rows),
                filename=f"segq-{answer.id}.csv",
                title=f"segq {answer.id}: {answer.question}"[:250],
                initial_comment=render.CSV_COMMENT.format(
                    rows=len(answer.rows), ref=answer.id, note=note
                ),
            )

    def on_feedback(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        channel, thread_ts, _ = _where(body)
        user = (body.get("user") or {}).get("id")
        with self._guard(client, channel, thread_ts):
            answer_id = render.read_button_value(action.get("value")).get("id", "")
            value = "up" if action.get("action_id") == render.FEEDBACK_UP else "down"
            query_log = getattr(self.assistant, "query_log", None)
            recorded = bool(query_log and query_log.add_feedback(answer_id, value, user))
            text = (render.FEEDBACK_THANKS[value] if recorded else render.FEEDBACK_FAILED).format(
                ref=answer_id
            )
            if user:
                client.chat_postEphemeral(
                    channel=channel, user=user, text=text, thread_ts=thread_ts
                )
            else:
                self._post(client, channel, thread_ts, render.render_notice(text))

    def on_clarify_choice(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        channel, thread_ts, message_ts = _where(body)
        user = (body.get("user") or {}).get("id")
        with self._guard(client, channel, thread_ts):
            value = render.read_button_value(action.get("value"))
            answer_id = value.get("id", "")
            original = self.recent.get(answer_id)
            logged = None if original else self._logged(answer_id)
            if original is None and logged is None:
                self._post(
                    client,
                    channel,
                    thread_ts,
                    render.render_notice(render.ANSWER_GONE.format(ref=answer_id)),
                )
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
            answer = self._ask(
                question, user=user, channel=channel, thread_ts=thread_ts, choice=choice
            )
            self._post(client, channel, thread_ts, render.render_answer(answer))
            self._set_thread(answer, channel, thread_ts)
            self._upload_chart(client, answer, channel, thread_ts)

    # -- helpers ----------------------------------------------------------------------------

    def _post(
        self,
        client: WebClient,
        channel: str,
        thread_ts: str | None,
        message: render.SlackMessage,
    ) -> Any:
        return client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message.kwargs())

    def _upload_chart(
        self, client: WebClient, answer: Answer, channel: str, thread_ts: str | None
    ) -> None:
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

    def _rerun(self, answer_id: str, **where: Any) -> Answer | None:
        """The answer again from its logged plan (same definitions), else its question."""
        logged = self._logged(answer_id)
        if not logged:
            return None
        plan = logged.get("plan")
        if isinstance(plan, dict) and plan.get("intent"):
            from assistant.plan import QueryPlan

            try:
                parsed = QueryPlan.model_validate(plan)
            except ValueError:
                log.warning("logged plan of %s no longer parses; asking again", answer_id)
            else:
                answer: Answer = self.assistant.run_plan(
                    parsed, question=logged["question"], source="slack"
                )
                self.recent.put(answer)
                return answer
        return self._ask(str(logged["question"]), **where)

    def _logged(self, answer_id: str) -> dict[str, Any] | None:
        query_log = getattr(self.assistant, "query_log", None)
        if not query_log or not answer_id:
            return None
        try:
            record: dict[str, Any] | None = query_log.get(answer_id)
            return record
        except SegqError:
            log.warning("query log unreadable while looking up %s", answer_id, exc_info=True)
            return None

    def _record(self, answer: Answer, **where: Any) -> None:
        query_log = getattr(self.assistant, "query_log", None)
        if query_log is not None:
            query_log.record(answer.to_dict(), source="slack", **where)

    def _set_thread(self, answer: Answer, channel: str | None, thread_ts: str | None) -> None:
        query_log = getattr(self.assistant, "query_log", None)
        if query_log is not None:
            query_log.set_thread(answer.id, channel, thread_ts)

    @contextmanager
    def _reaction(self, client: WebClient, channel: str, ts: str) -> Iterator[None]:
        """The hourglass on the question while it is being answered."""
        added = _try(lambda: client.reactions_add(channel=channel, timestamp=ts, name=HOURGLASS))
        try:
            yield
        finally:
            if added:
                _try(lambda: client.reactions_remove(channel=channel, timestamp=ts, name=HOURGLASS))

    @contextmanager
    def _guard(self, client: WebClient, channel: str, thread_ts: str | None) -> Iterator[None]:
        """Any failure becomes a worded reply with a reference; the traceback goes to the log."""
        try:
            yield
        except Exception:
            reference = new_reference()
            log.exception("Slack handler failed (reference %s)", reference)
            if channel:
                _try(lambda: self._post(client, channel, thread_ts, render.render_error(reference)))


def _ack(ack: Ack) -> None:
    ack()


def _try(call: Callable[[], Any]) -> bool:
    try:
        call()
        return True
    except Exception as exc:  # reactions and error replies are best effort
        log.warning("Slack call failed: %s", exc)
        return False


def _header(request: BoltRequest, name: str) -> str | None:
    values = request.headers.get(name) or []
    return values[0] if values else None


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


def _logged_definition(logged: dict[str, Any], name: str) -> Any:
    from assistant.answer import DefinitionUsed

    for d in logged.get("definitions") or []:
        if d.get("name") == name:
            return DefinitionUsed(
                d["name"],
                d.get("kind") or "",
                d.get("version") or 0,
                d.get("hash") or "",
                d.get("source") or "",
                d.get("owner") or "",
                d.get("label") or "",
                d.get("member"),
                d.get("overrides") or {},
            )
    return None
