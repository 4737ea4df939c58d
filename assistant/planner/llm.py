"""The llm planner: langchain structured output into the same QueryPlan the rules planner makes.

The model sees the governed catalog, the verified example questions and the time rules, and
calls one tool, `LlmReply`, whose schema embeds QueryPlan. Its plan is checked against the
catalog by compiling it; a rejected plan gets exactly one repair round with the reason, then
a PlanError. The model never writes SQL, so a wrong answer is a wrong *name*, and names are
checked.

`langchain_openai` (about 2 s to import) and `langchain_core` are imported only when a model
is built or called, so CLI paths that never plan with the LLM stay fast.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError

from assistant import messages
from assistant.catalog.models import Catalog, Segment
from assistant.compiler import compile_plan
from assistant.config import REPO_DIR
from assistant.errors import (
    Candidate,
    ClarificationNeeded,
    CompileError,
    ConfigError,
    PlanError,
    Refusal,
)
from assistant.plan import Intent, QueryPlan
from assistant.planner import PlanOutcome
from assistant.planner.timephrases import find_time

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

    from assistant.config import Config

PROMPTS_DIR = REPO_DIR / "prompts"
LLM_CONFIDENCE = 0.8

# User-facing wording of LLM failures (candidates to move into messages.py with the rest).
LLM_UNREACHABLE = (
    "The language model could not be reached ({why}). Try again in a moment, or ask with the "
    "offline rules planner (SEGQ_PLANNER=rules)."
)
LLM_FAILED = (
    "The language model returned an error ({why}). Try again in a moment, or ask with the "
    "offline rules planner (SEGQ_PLANNER=rules)."
)
LLM_BAD_PLAN = (
    "The language model could not turn this question into a valid plan: {error} Try naming "
    'the segment or metric you mean, or ask "what can I ask?"'
)
# LlmReply.refusal -> (message, reason); the reasons are the rules planner's, for the log.
REFUSALS = {
    "off_topic": (messages.REFUSE_OFF_TOPIC, "off topic"),
    "write": (messages.REFUSE_WRITE, "write request"),
    "pii": (messages.REFUSE_PII.format(column="email"), "restricted column"),
}
# Time phrases resolved in the prompt with the same resolver the rules planner uses.
CALENDAR_PHRASES = (
    "q1",
    "q3",
    "march",
    "last month",
    "last quarter",
    "this quarter",
    "this year",
    "last week",
    "the past 45 days",
    "since april",
    "in 2025",
)


class LlmReply(BaseModel):
    """Answer a stakeholder question with a QueryPlan over the governed definitions, or ask
    which definition they meant, or refuse. Use only governed names; never write SQL."""

    status: Literal["answer", "clarify", "refuse"] = Field(
        description="answer: `plan` answers the question; clarify: several governed "
        "definitions fit; refuse: off topic, a write request or personal data"
    )
    plan: QueryPlan | None = Field(None, description="The plan, when status is answer")
    candidates: list[str] = Field(
        default_factory=list,
        description="When status is clarify: each fitting definition as segment:member, "
        "segment or metric, e.g. lifecycle_stage:churned",
    )
    phrase: str = Field("", description="When status is clarify: the ambiguous words")
    refusal: Literal["off_topic", "write", "pii"] | None = Field(
        None, description="When status is refuse: why"
    )
    reason: str = Field("", description="One short sentence on why this status")


# -- the prompt ------------------------------------------------------------------------------


@cache
def load_prompt(name: str, directory: Path = PROMPTS_DIR) -> str:
    return (directory / name).read_text(encoding="utf-8")


def _num(value: float) -> str:
    return f"{value:g}"


def _also_called(name: str, label: str, synonyms: tuple[str, ...]) -> list[str]:
    """Synonyms beyond the name and label themselves, as an indented prompt line."""
    obvious = {name.lower(), name.replace("_", " ").lower(), label.lower()}
    extra = [s for s in synonyms if s.lower() not in obvious]
    return [f"  also called: {', '.join(extra)}"] if extra else []


def _segment_lines(seg: Segment) -> list[str]:
    flags = [seg.entity] + (["monthly history"] if seg.history else [])
    lines = [f"- {seg.name} ({seg.label}; {', '.join(flags)}): {seg.description}"]
    if seg.members:
        members = "; ".join(
            f"{m.name} = {m.label}" + (f" ({', '.join(m.synonyms[:4])})" if m.synonyms else "")
            for m in seg.members
        )
        lines.append(f"  members: {members}")
    if seg.parameters:
        params = "; ".join(
            f"{p.name} = {_num(p.default)} (bounds {_num(p.min)}..{_num(p.max)}"
            + (f"; {', '.join(p.synonyms[:3])})" if p.synonyms else ")")
            for p in seg.parameters
        )
        lines.append(f"  parameters: {params}")
    return lines + _also_called(seg.name, seg.label, seg.synonyms)


def render_catalog(catalog: Catalog) -> str:
    """A compact listing of every governed name the model may use, short enough to prompt."""
    lines = ["Segments:"]
    for seg in catalog.segments.values():
        lines += _segment_lines(seg)
    lines.append("Metrics:")
    for metric in catalog.metrics.values():
        window = (
            f"; default window last {metric.default_window_days} days"
            if metric.default_window_days
            else ""
        )
        lines.append(
            f"- {metric.name} ({metric.label}; time column {metric.time_column}"
            f"{window}): {metric.description}"
        )
        lines += _also_called(metric.name, metric.label, metric.synonyms)
    lines.append("Dimensions (of users):")
    for dim in catalog.dimensions.values():
        if dim.is_time:
            detail = f"time; grains {', '.join(dim.grains)}"
        else:
            detail = "values " + ", ".join(
                v.value if v.label.lower() == v.value.lower() else f"{v.value} ({v.label})"
                for v in dim.values
            )
        lines.append(f"- {dim.name} ({dim.label}; {detail})")
        lines += _also_called(dim.name, dim.label, dim.synonyms)
    return "\n".join(lines)


def render_examples(catalog: Catalog) -> str:
    """Each segment's verified example questions with the plan its owners signed off."""
    return "\n".join(
        f"Q: {ex.question}\n   {json.dumps(ex.plan, separators=(', ', ': '), default=str)}"
        for seg in catalog.segments.values()
        for ex in seg.examples
    )


def render_calendar(as_of: date) -> str:
    lines = []
    for phrase in CALENDAR_PHRASES:
        found = find_time(phrase, as_of)
        if found:
            lines.append(f'- "{phrase}" = {found.start.isoformat()} .. {found.end.isoformat()}')
    return "\n".join(lines)


def system_prompt(catalog: Catalog, as_of: date) -> str:
    return load_prompt("planner_system.md").format(
        catalog=render_catalog(catalog),
        examples=render_examples(catalog),
        as_of=as_of.isoformat(),
        calendar=render_calendar(as_of),
    )


def user_prompt(question: str, catalog: Catalog, choice: str | None) -> str:
    text = f"Question: {question}"
    if choice:
        known = candidate(choice, catalog)
        meaning = f" ({known.label})" if known else ""
        text += (
            f"\nIn answer to a clarifying question the user chose `{choice}`{meaning}. "
            "Plan the question with that definition; do not ask again."
        )
    return text


# -- checking a reply --------------------------------------------------------------------------


def candidate(token: str, catalog: Catalog) -> Candidate | None:
    """A Candidate for "segment:member", "segment" or "metric"; None when it is not governed.

    Same shape as the rules planner's candidates, so a clarification reads the same whichever
    planner asked it.
    """
    name, _, member_name = token.strip().replace(".", ":").partition(":")
    obj = catalog.segments.get(name) or catalog.metrics.get(name)
    if obj is None or (member_name and not isinstance(obj, Segment)):
        return None
    label, description, member = obj.label, obj.description, None
    if isinstance(obj, Segment) and member_name:
        if (found := obj.member(member_name)) is None:
            return None
        member = found.name
        rule = found.when or ", ".join(f"{c} {lo}-{hi}" for c, lo, hi in found.match)
        label = f"{obj.label}: {found.label}"
        description = f"{found.label} in {obj.label} ({rule or 'otherwise'})."
    return Candidate(
        name=obj.name,
        kind=obj.kind,
        member=member,
        label=label,
        description=description[:300],
        source=obj.source,
        choice=f"{obj.name}:{member}" if member else obj.name,
    )


def check_plan(plan: QueryPlan, catalog: Catalog, as_of: date) -> str | None:
    """Why the catalog rejects `plan`, or None. Data plans are checked by compiling them."""
    if plan.time_range and plan.time_range.start > plan.time_range.end:
        return (
            f"The time range {plan.time_range.start}..{plan.time_range.end} starts after it ends."
        )
    if plan.intent == Intent.CATALOG:
        return None
    if plan.intent == Intent.DEFINITION:
        name = plan.segment.name if plan.segment else plan.metric.name if plan.metric else ""
        if not name:
            return "A `definition` plan names the segment or metric to explain."
        if name not in catalog.segments and name not in catalog.metrics:
            return messages.unknown_object(
                "definition", name, [*catalog.segments, *catalog.metrics]
            )
        member = plan.segment.member if plan.segment else None
        seg = catalog.segments.get(name)
        if member and seg and not seg.member(member):
            return messages.unknown_member(name, member, [m.name for m in seg.members])
        return None
    try:
        compile_plan(plan, catalog, as_of, row_cap=1)
    except CompileError as exc:
        return exc.message
    return None


def check_reply(reply: LlmReply, catalog: Catalog, as_of: date) -> str | None:
    if reply.status == "answer":
        if reply.plan is None:
            return "Status `answer` needs a `plan`."
        return check_plan(reply.plan, catalog, as_of)
    if reply.status == "clarify" and not any(candidate(c, catalog) for c in reply.candidates):
        given = ", ".join(f"`{c}`" for c in reply.candidates) or "none"
        return (
            f"Status `clarify` needs `candidates` that are governed names written as "
            f"segment:member, segment or metric; got {given}."
        )
    return None


UNREADABLE_REPLY = "The reply's tool call could not be read as LlmReply JSON."


def describe_parsing_error(error: Exception) -> str:
    """A parsing failure in words, without the exception's repr."""
    if isinstance(error, ValidationError):
        problems = "; ".join(
            f"`{'.'.join(str(p) for p in e['loc']) or 'reply'}`: {e['msg']}"
            for e in error.errors()[:5]
        )
        return f"The reply does not match the LlmReply schema ({problems})."
    return UNREADABLE_REPLY


# -- the planner ---------------------------------------------------------------------------------


def _llm_failure(exc: Exception) -> PlanError:
    """Worded PlanError for a failed model call; the exception stays in details for the log."""
    from langchain_core.exceptions import (
        ModelAuthenticationError,
        ModelConnectionError,
        ModelError,
        ModelPermissionDeniedError,
        ModelRateLimitError,
        ModelTimeoutError,
    )

    status = getattr(exc, "status_code", None)
    if isinstance(exc, ModelTimeoutError | TimeoutError) or "Timeout" in type(exc).__name__:
        message = LLM_UNREACHABLE.format(why="it did not answer in time")
    elif isinstance(exc, ModelConnectionError | ConnectionError) or (
        "Connection" in type(exc).__name__
    ):
        message = LLM_UNREACHABLE.format(why="connection failed")
    elif isinstance(exc, ModelAuthenticationError | ModelPermissionDeniedError):
        message = LLM_FAILED.format(why="the API key was refused; check OPENAI_API_KEY")
    elif isinstance(exc, ModelRateLimitError):
        message = LLM_FAILED.format(why="rate limited")
    elif isinstance(exc, ModelError) or status:
        message = LLM_FAILED.format(why=f"HTTP {status}" if status else type(exc).__name__)
    else:
        message = LLM_FAILED.format(why=type(exc).__name__)
    return PlanError(message, reason="llm_call_failed", error=repr(exc), status_code=status)


class LlmPlanner:
    """Plans with a chat model through structured output (function calling) into LlmReply."""

    name = "llm"

    def __init__(self, chat_model: BaseChatModel, *, min_confidence: float = 0.6) -> None:
        self.chat_model = chat_model
        self.min_confidence = min_confidence
        self._structured: Any = None

    @classmethod
    def from_config(cls, config: Config) -> LlmPlanner:
        if not config.openai_api_key:
            raise ConfigError(messages.LLM_UNAVAILABLE)
        from langchain_openai import ChatOpenAI

        chat_model = ChatOpenAI(
            model=config.llm_model,
            api_key=SecretStr(config.openai_api_key),
            base_url=config.openai_base_url or None,
            timeout=config.llm_timeout_s,
            max_retries=0,
            use_responses_api=False,
            temperature=0,
        )
        return cls(chat_model, min_confidence=config.min_confidence)

    @property
    def structured(self) -> Any:
        if self._structured is None:
            self._structured = self.chat_model.with_structured_output(
                LlmReply, method="function_calling", include_raw=True
            )
        return self._structured

    def plan(
        self, question: str, catalog: Catalog, *, as_of: date, choice: str | None = None
    ) -> PlanOutcome:
        from langchain_core.messages import HumanMessage, SystemMessage

        conversation: list[BaseMessage] = [
            SystemMessage(system_prompt(catalog, as_of)),
            HumanMessage(user_prompt(question, catalog, choice)),
        ]
        errors: list[str] = []
        for _ in range(2):  # the first answer and one repair round
            try:
                result = self.structured.invoke(conversation)
            except Exception as exc:  # any failed model call becomes a worded PlanError
                raise _llm_failure(exc) from exc
            reply, error = self._read(result, catalog, as_of)
            if reply is not None:
                return self._outcome(reply, question, catalog)
            errors.append(error)
            conversation += _repair_turn(result.get("raw"), error)
        raise PlanError(
            LLM_BAD_PLAN.format(error=errors[-1]),
            reason="llm_plan_rejected",
            errors=errors,
            question=question,
        )

    def _read(
        self, result: dict[str, Any], catalog: Catalog, as_of: date
    ) -> tuple[LlmReply | None, str]:
        if result.get("parsing_error") is not None:
            return None, describe_parsing_error(result["parsing_error"])
        reply = result.get("parsed")
        if not isinstance(reply, LlmReply):
            if getattr(result.get("raw"), "invalid_tool_calls", None):  # arguments not JSON
                return None, UNREADABLE_REPLY
            return None, "The reply did not call the `LlmReply` tool."
        error = check_reply(reply, catalog, as_of)
        return (None, error) if error else (reply, "")

    def _outcome(self, reply: LlmReply, question: str, catalog: Catalog) -> PlanOutcome:
        if reply.status == "refuse":
            message, reason = REFUSALS[reply.refusal or "off_topic"]
            detail = f": {reply.reason}" if reply.reason else ""
            raise Refusal(message, reason=reason + detail)
        if reply.status == "clarify":
            found = [c for c in (candidate(t, catalog) for t in reply.candidates) if c]
            unique = list({c.choice: c for c in found}.values())
            phrase = reply.phrase or question
            raise ClarificationNeeded(messages.CLARIFY_AMBIGUOUS.format(phrase=phrase), unique)
        if self.min_confidence > LLM_CONFIDENCE:
            raise Refusal(messages.LOW_CONFIDENCE, reason="low confidence")
        assert reply.plan is not None  # check_reply guarantees a plan for answers
        return PlanOutcome(reply.plan, LLM_CONFIDENCE, self.name)


def _repair_turn(raw: BaseMessage | None, error: str) -> list[BaseMessage]:
    """The model's rejected message and the reason, answered as its tool call's result.

    OpenAI requires every tool call in an assistant message to be followed by a tool message
    with its id, so the repair text is sent as that tool result (or as a user message when
    the model called no tool).
    """
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    text = load_prompt("planner_repair.md").format(error=error).strip()
    raw = raw if raw is not None else AIMessage("")
    calls = [*getattr(raw, "tool_calls", []), *getattr(raw, "invalid_tool_calls", [])]
    ids = [call["id"] for call in calls if call.get("id")]
    if ids:
        return [raw, *(ToolMessage(text, tool_call_id=i) for i in ids)]
    return [raw, HumanMessage(text)]
