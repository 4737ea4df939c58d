"""The answers the bot has given, found again when a button on one of them is clicked.

Buttons carry only the answer id, and a click may come much later or reach another worker.
Recent answers (with their rows) stay in a bounded LRU, so "Download CSV" uploads the very rows
that were answered; an answer that has left memory is read back from the query log and, when
its rows are needed, re-run from the plan recorded there.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

from assistant.answer import Answer, DefinitionUsed
from assistant.errors import SegqError
from assistant.failures import internal_failure
from assistant.messages import FAILED_REQUEST
from assistant.render.slack import SlackMessage, render_answer
from assistant.slack_app.identity import SlackDirectory

log = logging.getLogger("segq.slack")

RECENT_ANSWERS = 256
RECENT_ROWS = 2_000_000  # rows kept across the remembered answers, bounding memory


class RecentAnswers:
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


class Answers:
    """Asking `assistant` from Slack, and every answer since: in memory, else in its log.

    One instance per app, shared by Bolt's worker threads.
    """

    def __init__(self, assistant: Any, *, recent_answers: int = RECENT_ANSWERS,
                 directory: SlackDirectory | None = None) -> None:
        self.assistant = assistant
        self.directory = directory
        self.recent = RecentAnswers(recent_answers)

    def ask(
        self,
        question: str,
        *,
        user: str | None,
        channel: str | None,
        thread_ts: str | None,
        choice: str | None = None,
        in_thread: bool = False,
    ) -> Answer:
        """Ask `assistant`; `in_thread` plans it against the thread's previous plan, if any."""
        previous_id, previous = self.thread_context(channel, thread_ts) if in_thread else (
            None, None)
        context = {"previous": previous} if previous is not None else {}
        try:
            answer: Answer = self.assistant.ask(
                question,
                source="slack",
                user=user,
                channel=channel,
                thread_ts=thread_ts,
                choice=choice,
                **context,
                **self._identity(user),
            )
        except Exception as exc:  # Assistant.ask should not raise; if it does, say so kindly
            answer = Answer(question, "error", "")
            answer.failure = internal_failure(exc, answer.id)
            answer.message = answer.failure.message
            log.exception("internal error answering %r (reference %s)", question, answer.id)
            self._record(answer, user=user, channel=channel, thread_ts=thread_ts)
        if previous_id and answer.extra.get("carried"):
            self.assistant.query_log.set_followup(answer.id, previous_id)
        self.recent.put(answer)
        return answer

    def thread_context(self, channel: str | None, thread_ts: str | None) -> tuple[
            str | None, Any]:
        """(answer id, QueryPlan) of the thread's newest answered question, from the log."""
        query_log = getattr(self.assistant, "query_log", None)
        if query_log is None or not channel or not thread_ts:
            return None, None
        try:
            found = query_log.thread_plan(channel, thread_ts)
        except SegqError:
            log.warning("query log unreadable while reading thread %s", thread_ts, exc_info=True)
            return None, None
        if found is None:
            return None, None
        from assistant.plan import QueryPlan

        try:
            return found[0], QueryPlan.model_validate(found[1])
        except ValueError:
            log.warning("the logged plan of %s no longer parses; starting afresh", found[0])
            return None, None
    def _identity(self, user: str | None) -> dict[str, Any]:
        """`identity=` for the assistant: the user's Slack profile and groups, when known."""
        if self.directory is None or not user:
            return {}
        return {"identity": self.directory.identity(user)}

    def principal_of(self, user: str | None) -> Any:
        """The principal `user` is answered as, or None when the assistant cannot say."""
        resolve = getattr(self.assistant, "principal", None)
        if resolve is None or not user:
            return None
        catalog = self.assistant.catalog
        return resolve(catalog, "slack", user, self._identity(user).get("identity"))

    def rerun(self, answer_id: str, **where: Any) -> Answer | None:
        """The answer again from its logged plan (same definitions), else its question."""
        logged = self.logged(answer_id)
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
                    parsed, question=logged["question"], source="slack",
                    user=where.get("user"), **self._identity(where.get("user"))
                )
                self.recent.put(answer)
                return answer
        return self.ask(str(logged["question"]), **where)

    def logged(self, answer_id: str) -> dict[str, Any] | None:
        query_log = getattr(self.assistant, "query_log", None)
        if not query_log or not answer_id:
            return None
        try:
            record: dict[str, Any] | None = query_log.get(answer_id)
            return record
        except SegqError:
            log.warning("query log unreadable while looking up %s", answer_id, exc_info=True)
            return None

    def set_thread(self, answer: Answer, channel: str | None, thread_ts: str | None) -> None:
        query_log = getattr(self.assistant, "query_log", None)
        if query_log is not None:
            query_log.set_thread(answer.id, channel, thread_ts)

    @property
    def catalog(self) -> Any:
        """The assistant's current catalog (None for a stand-in without one)."""
        return getattr(self.assistant, "catalog", None)

    def render(self, answer: Answer, *, asked_by: str | None = None) -> SlackMessage:
        """The reply to `answer`, its definitions in words from the current catalog."""
        catalog = self.catalog
        counts = self.member_counts(answer) if answer.status == "clarify" else {}
        return render_answer(answer, asked_by=asked_by, catalog=catalog, counts=counts)

    def member_counts(self, answer: Answer) -> dict[str, int]:
        """Members of each segment option of a clarification, as of the answer's date.

        One distribution query per segment family, kept out of the query log; an option
        whose count cannot be had is shown without one.
        """
        from assistant.plan import Intent, QueryPlan, SegmentRef

        counts: dict[str, int] = {}
        families = {str(c["name"]) for c in answer.candidates
                    if c.get("kind") == "segment" and c.get("name")}
        for name in sorted(families):
            try:
                plan = QueryPlan(intent=Intent.DISTRIBUTION, segment=SegmentRef(name=name))
                # counted for the asker: their row filter, their hidden segments
                whose = {"principal": answer.principal} if answer.principal else {}
                sizes = self.assistant.run_plan(plan, question=name, source="slack",
                                                record=False, **whose)
            except Exception:  # counts are a help, never a reason to lose the clarification
                log.warning("could not count the members of %s", name, exc_info=True)
                continue
            if sizes.status != "answered" or len(sizes.columns) < 2:
                continue
            for row in sizes.rows:
                counts[f"{name}:{row[0]}"] = int(row[-1] or 0)
            counts[name] = sum(int(row[-1] or 0) for row in sizes.rows)
        return counts

    def set_delivery(self, answer_id: str, status: str, message_ts: str | None = None) -> bool:
        query_log = getattr(self.assistant, "query_log", None)
        return bool(query_log and query_log.set_delivery(answer_id, status, message_ts))

    def record_failure(self, reference: str, channel: str | None, thread_ts: str | None) -> None:
        """A Slack request that failed outside any answer, logged under the reference shown."""
        answer = Answer(FAILED_REQUEST, "error", "", id=reference)
        answer.failure = internal_failure(RuntimeError("the Slack handler failed"), reference)
        answer.message = answer.failure.message
        self._record(answer, channel=channel, thread_ts=thread_ts)

    def add_feedback(self, answer_id: str, value: str, user: str | None) -> bool:
        query_log = getattr(self.assistant, "query_log", None)
        return bool(query_log and query_log.add_feedback(answer_id, value, user))

    def _record(self, answer: Answer, **where: Any) -> None:
        query_log = getattr(self.assistant, "query_log", None)
        if query_log is not None:
            query_log.record(answer.log_dict(), source="slack", **where)


def logged_definition(logged: dict[str, Any], name: str) -> DefinitionUsed | None:
    """A definition as the query log recorded it for an answer, or None."""
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
                d.get("fit") or "",
            )
    return None
